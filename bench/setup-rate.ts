// Session setup rate (full LCP + auth + IPCP) of our LNS (MS-CHAPv2 and CHAP-MD5) and of l2tpns +
// FreeRADIUS (CHAP-MD5; it has no MS-CHAPv2), same LAC (src/io/setup-load.ts), same run, LNS side on
// CPU 1 and the load generator on CPU 0. Related: bench/memory.ts, docs/BENCHMARKS.md.
//
//   node --import tsx bench/setup-rate.ts [--tunnels 100] [--sessions 10] [--concurrency 200] [--per-tunnel N]
//        [--runs 3] [--duration 30] [--targets ours-mschapv2,ours-chap,l2tpns] [--rws 4] [--tun] [--json]
//        [--profile DIR]   (a V8 CPU profile of our LNS per run: DIR/<target>-<run>.cpuprofile)
//        [--warmup [N]]    (N unrecorded runs per target first, default 1: a running LNS has long passed
//                           V8's JIT warm-up, which dominates the first ~3,000 sessions of a fresh process)
//
// Topology: netns LNS (10.206.1.1, .2, .3: one address per target) —veth— netns LAC (10.206.1.100),
// made and removed by NetLab. Runs are interleaved over the targets.
import { startSetupLoad } from '../src/io/setup-load.js';
import type { SetupLoadResult } from '../src/lac/load-scheduler.js';
import { labSkipReason, NetLab } from '../test/support/netns.js';
import { startL2tpns } from '../test/support/peers/l2tpns.js';
import { cpuMsOf, findProcess, machineBusyMs, machineNote, median, pin, sleep, startLnsChild } from './lib/procs.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const TUNNELS = Number(arg('tunnels', '100'));
const SESSIONS = Number(arg('sessions', '10'));
// --per-tunnel: no bound unless given (issue 10 item 1: the LAC starts PPP after its ICCN is sent).
const PER_TUNNEL = Number(arg('per-tunnel', 'Infinity'));
const CONCURRENCY = Number(arg('concurrency', '200'));
const RUNS = Number(arg('runs', '3'));
const DURATION_MS = Number(arg('duration', '30')) * 1000;
const TARGETS = arg('targets', 'ours-mschapv2,ours-chap,l2tpns').split(',');
const RWS = Number(arg('rws', '4'));
const PROFILE_DIR = arg('profile', '');
const warmupAt = args.indexOf('--warmup');
/** Unrecorded runs per target before the recorded ones. */
const WARMUP_RUNS = warmupAt < 0 ? 0 : /^\d+$/.test(args[warmupAt + 1] ?? '') ? Number(args[warmupAt + 1]) : 1;
// --tun: our LNS in shared TUN mode (a /32 route per session, issue 9 item 5) instead of userspace.
if (args.includes('--tun')) process.env.L2TP_BENCH_TUN = '1';
const USER = { user: 'alice', password: 's3cret' };
/** Target i listens on LNS_BASE.(i+1). */
const LNS_BASE = '10.206.1';
const LAC = '10.206.1.100';

/** One run's numbers. */
interface Row {
  target: string;
  run: number;
  result: SetupLoadResult;
  /** CPU the LNS side used during the run (ms; l2tpns: l2tpns + freeradius). */
  lnsCpuMs: number;
  /** CPU of the whole machine not used by the LNS side or this process, in % of one CPU. */
  foreignPct: number;
}

const skip = labSkipReason(['taskset', ...(TARGETS.includes('l2tpns') ? ['l2tpns', 'freeradius'] : [])]);
if (skip !== undefined) {
  process.stderr.write(`setup-rate: ${skip}\n`);
  process.exit(2);
}
// A hard bound on the whole benchmark: whatever happens, NetLab's exit hook removes what it made.
const hardStop = setTimeout(
  () => {
    process.stderr.write('setup-rate: hard time limit reached\n');
    process.exit(3);
  },
  ((RUNS + WARMUP_RUNS) * TARGETS.length * (DURATION_MS + 20_000) + 60_000) | 0,
);
hardStop.unref();

pin(process.pid, 0);
const lab = new NetLab('bs');
const rows: Row[] = [];
try {
  const nsLns = lab.addNamespace();
  const nsLac = lab.addNamespace();

  // Every target listens on its own address of the LNS namespace, so the runs can be interleaved
  // (run 1 of each target, then run 2 of each, …): a change of foreign load hits all targets alike.
  const veth = lab.addVeth({ ns: nsLns, address: `${LNS_BASE}.1/24` }, { ns: nsLac, address: `${LAC}/24` });
  interface Target {
    readonly name: string;
    readonly address: string;
    readonly auth: 'mschapv2' | 'chap';
    readonly cpuMs: () => Promise<number> | number;
    /** Our LNS only: its V8 CPU profiler around one run. */
    readonly command?: (line: string) => Promise<string>;
    readonly stop: () => Promise<void>;
  }
  const targets: Target[] = [];
  for (const [i, name] of TARGETS.entries()) {
    const address = `${LNS_BASE}.${i + 1}`;
    if (i > 0) lab.addAddress(nsLns, veth.ifA, `${address}/24`);
    if (name === 'ours-mschapv2' || name === 'ours-chap') {
      const auth = name === 'ours-chap' ? 'chap' : 'mschapv2';
      const lns = await startLnsChild({ address, port: 1701, auth, ...USER, cpu: 1, netns: nsLns, receiveWindow: RWS });
      targets.push({
        name,
        address,
        auth,
        // /proc, as for l2tpns: `mem` forces three full GCs, and each ages V8 bytecode towards flushing.
        cpuMs: () => cpuMsOf(lns.pid),
        command: (line) => lns.command(line),
        stop: () => lns.stop(),
      });
    } else if (name === 'l2tpns') {
      const l2tpns = await startL2tpns(lab, {
        ns: nsLns,
        bindAddress: address,
        secret: 'bssecret',
        tunAddress: '10.206.99.1',
        pool: '10.207.0.0/16',
        hostName: 'bs-l2tpns',
        debug: Number(process.env.L2TP_BENCH_L2TPNS_DEBUG ?? '0'),
      });
      const found = [findProcess(l2tpns.proc.pid, 'l2tpns'), findProcess(l2tpns.radius.pid, 'freeradius')];
      const pids = found.filter((p): p is number => p !== undefined);
      if (pids.length !== 2) throw new Error(`l2tpns/freeradius PIDs not found: ${found}`);
      for (const p of pids) pin(p, 1);
      targets.push({
        name,
        address,
        auth: 'chap',
        cpuMs: () => pids.reduce((sum, p) => sum + cpuMsOf(p), 0),
        stop: async () => {
          if (process.env.L2TP_BENCH_L2TPNS_LOG === '1')
            process.stderr.write(`${l2tpns.log(Number(process.env.L2TP_BENCH_L2TPNS_LOG_LINES ?? '60'))}\n`);
          await lab.stop(l2tpns.proc);
          await lab.stop(l2tpns.radius);
        },
      });
    } else throw new Error(`unknown target ${name}`);
  }

  try {
    for (let run = 1 - WARMUP_RUNS; run <= RUNS; run++) {
      for (const target of targets) {
        const c0 = await target.cpuMs();
        if (PROFILE_DIR !== '' && target.command) await target.command('prof-start');
        const self0 = process.cpuUsage();
        const busy0 = machineBusyMs();
        const t0 = performance.now();
        const load = await startSetupLoad({
          server: { address: target.address, port: 1701 },
          ...USER,
          auth: target.auth,
          tunnels: TUNNELS,
          sessionsPerTunnel: SESSIONS,
          concurrency: CONCURRENCY,
          perTunnel: PER_TUNNEL,
          durationMs: DURATION_MS,
          localAddress: LAC,
          bindWith: (bind) => lab.withNetns(nsLac, bind),
        });
        const result = await load.result;
        const wall = performance.now() - t0;
        if (PROFILE_DIR !== '' && target.command)
          await target.command(`prof-stop ${PROFILE_DIR}/${target.name}-${run}.cpuprofile`);
        const c1 = await target.cpuMs();
        const self = process.cpuUsage(self0);
        const busy = machineBusyMs() - busy0;
        const lnsCpuMs = c1 - c0;
        const foreignPct = ((busy - lnsCpuMs - (self.user + self.system) / 1000) / wall) * 100;
        if (run > 0) rows.push({ target: target.name, run, result, lnsCpuMs, foreignPct });
        process.stderr.write(
          `${target.name} run ${run <= 0 ? `${run} (warm-up, not counted)` : run}: ${result.up}/${result.requested} up, ${result.sessionsPerSecond.toFixed(0)} sessions/s, ` +
            `cps min/avg/max ${result.cps.min.toFixed(0)}/${result.cps.avg.toFixed(0)}/${result.cps.max.toFixed(0)}, ` +
            `p50 ${result.latencyMs.p50.toFixed(0)} ms p99 ${result.latencyMs.p99.toFixed(0)} ms, ` +
            `LNS CPU ${((lnsCpuMs * 1000) / Math.max(1, result.up)).toFixed(0)} µs/session, foreign ${foreignPct.toFixed(0)} %` +
            `${Object.entries(result.failures)
              .map(([k, v]) => `; ${v} × ${k}`)
              .join('')}\n`,
        );
        await load.close();
        await sleep(1500); // StopCCNs acknowledged, sessions freed on the LNS
      }
    }
  } finally {
    for (const t of targets) await t.stop();
  }
} finally {
  await lab.destroy();
}

// Summary: medians over the runs per target, and the ratio of ours to l2tpns.
const summary = TARGETS.map((target) => {
  const rs = rows.filter((r) => r.target === target);
  return {
    target,
    runs: rs.length,
    sessionsPerSecond: median(rs.map((r) => r.result.sessionsPerSecond)),
    runsPerSecond: rs.map((r) => Math.round(r.result.sessionsPerSecond)),
    /** Sessions up per full second of each run (bench --json `cps`), median over the runs. */
    cps: {
      min: median(rs.map((r) => r.result.cps.min)),
      avg: median(rs.map((r) => r.result.cps.avg)),
      max: median(rs.map((r) => r.result.cps.max)),
    },
    p50Ms: median(rs.map((r) => r.result.latencyMs.p50)),
    p99Ms: median(rs.map((r) => r.result.latencyMs.p99)),
    failed: rs.reduce((s, r) => s + r.result.failed + r.result.pending, 0),
    lnsCpuUsPerSession: median(rs.map((r) => (r.lnsCpuMs * 1000) / Math.max(1, r.result.up))),
    lacCpuUsPerSession: median(rs.map((r) => (r.result.lacCpuMs * 1000) / Math.max(1, r.result.up))),
    foreignPct: median(rs.map((r) => r.foreignPct)),
  };
});
const ref = summary.find((s) => s.target === 'l2tpns');
const out = {
  machine: machineNote(),
  load: {
    tunnels: TUNNELS,
    sessionsPerTunnel: SESSIONS,
    concurrency: CONCURRENCY,
    perTunnel: PER_TUNNEL,
    runs: RUNS,
    rws: RWS,
    warmup: WARMUP_RUNS,
  },
  summary: summary.map((s) => ({
    ...s,
    ratioToL2tpns: ref && s !== ref ? s.sessionsPerSecond / ref.sessionsPerSecond : undefined,
    cpuRatioToL2tpns: ref && s !== ref ? s.lnsCpuUsPerSession / ref.lnsCpuUsPerSession : undefined,
  })),
};
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
else {
  process.stdout.write(`# ${out.machine}\n# load ${JSON.stringify(out.load)}\n`);
  process.stdout.write(
    '| target | sessions/s (median; runs) | cps min/avg/max (medians) | p50 ms | p99 ms | failed | LNS CPU µs/session | LAC CPU µs/session | foreign CPU % | rate ratio to l2tpns | CPU ratio to l2tpns |\n|---|---|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const s of out.summary) {
    process.stdout.write(
      `| ${s.target} | ${s.sessionsPerSecond.toFixed(0)} (${s.runsPerSecond.join(' ')}) | ${s.cps.min.toFixed(0)}/${s.cps.avg.toFixed(0)}/${s.cps.max.toFixed(0)} | ${s.p50Ms.toFixed(0)} | ${s.p99Ms.toFixed(0)} | ${s.failed} | ${s.lnsCpuUsPerSession.toFixed(0)} | ${s.lacCpuUsPerSession.toFixed(0)} | ${s.foreignPct.toFixed(0)} | ${s.ratioToL2tpns === undefined ? '–' : s.ratioToL2tpns.toFixed(2)} | ${s.cpuRatioToL2tpns === undefined ? '–' : s.cpuRatioToL2tpns.toFixed(2)} |\n`,
    );
  }
}
process.exit(0);
