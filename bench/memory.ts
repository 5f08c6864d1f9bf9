// Memory per established idle session: our LNS (RSS and V8 heap deltas ÷ sessions, after forced GC)
// and l2tpns (RSS of its process), at 1,000 and 10,000 sessions, same LAC, same run; optionally a
// heap-snapshot diff of ours ("where the bytes go") and the idle CPU of each LNS while its sessions
// sit idle (with --echo, pinging). Related: bench/setup-rate.ts, docs/BENCHMARKS.md.
//
//   node --import tsx bench/memory.ts [--counts 1000,10000] [--targets ours,l2tpns] [--heap 1000]
//        [--per-tunnel 100] [--concurrency 200] [--echo SECONDS] [--idle-secs 0] [--ping] [--json]
//
// --per-tunnel: calls per tunnel (100 tunnels × 1,000 for 100,000: one peer may hold 256 tunnels).
// --echo: our LNS sends LCP Echo-Requests this often (pppd lcp-echo-interval; the seed's is 5).
// --idle-secs: after the sessions are up and settled, the LNS's CPU time over this many seconds
// of idle (utime+stime from /proc) as a percentage of one core.
// --ping: after the idle measurement, one ICMP echo through every session (C at once), counted.
//
// Topology: netns LNS (10.208.1.1) —veth— netns LAC (10.208.1.2), made and removed by NetLab.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSetupLoad } from '../src/io/setup-load.js';
import { labSkipReason, NetLab } from '../test/support/netns.js';
import { startL2tpns } from '../test/support/peers/l2tpns.js';
import { heapGrowthPerSession, summarizeByRetainer, summarizeHeap } from './lib/heap-summary.js';
import { cpuMsOf, findProcess, machineNote, pin, rssOf, sleep, startLnsChild } from './lib/procs.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const COUNTS = arg('counts', '1000,10000').split(',').map(Number);
const TARGETS = arg('targets', 'ours,l2tpns').split(',');
const HEAP_AT = Number(arg('heap', '1000'));
const SESSIONS_PER_TUNNEL = Number(arg('per-tunnel', '100'));
const ECHO_S = arg('echo', '');
const IDLE_SECS = Number(arg('idle-secs', '0'));
const CONCURRENCY = Number(arg('concurrency', '200'));
const PING = args.includes('--ping');
const USER = { user: 'alice', password: 's3cret' };
const LNS = '10.208.1.1';
const LAC = '10.208.1.2';

interface Row {
  target: string;
  sessions: number;
  up: number;
  rssPerSession: number;
  heapPerSession?: number;
  externalPerSession?: number;
  arrayBuffersPerSession?: number;
  rssBefore: number;
  rssAfter: number;
  /** CPU of the LNS over --idle-secs of idle, % of one core. */
  idleCpuPercent?: number;
  /** --ping: sessions that answered one echo, and those that did not. */
  pingOk?: number;
  pingFailed?: number;
}

/** --ping: one echo through every session that is up; undefined without --ping. */
async function pingAll(load: Awaited<ReturnType<typeof startSetupLoad>>): Promise<Pick<Row, 'pingOk' | 'pingFailed'>> {
  if (!PING) return {};
  const p = await load.ping(5000);
  process.stderr.write(`  ping: ${p.ok} ok, ${p.failed} failed, rtt ms p50 ${p.rttMs.p50} p99 ${p.rttMs.p99}\n`);
  return { pingOk: p.ok, pingFailed: p.failed };
}

/** The CPU % of one core `pid` uses over the next `secs` seconds (undefined when secs is 0). */
async function idleCpu(pid: number, secs: number): Promise<number | undefined> {
  if (secs <= 0) return undefined;
  const c0 = cpuMsOf(pid);
  await sleep(secs * 1000);
  return ((cpuMsOf(pid) - c0) / (secs * 1000)) * 100;
}

const skip = labSkipReason(TARGETS.includes('l2tpns') ? ['l2tpns', 'freeradius'] : []);
if (skip !== undefined) {
  process.stderr.write(`memory: ${skip}\n`);
  process.exit(2);
}
const hardStop = setTimeout(() => {
  process.stderr.write('memory: hard time limit reached\n');
  process.exit(3);
}, 15 * 60_000);
hardStop.unref();

pin(process.pid, 0);
const lab = new NetLab('bm');
const rows: Row[] = [];
let heapReport: ReturnType<typeof heapGrowthPerSession> | undefined;
let retainerReport: ReturnType<typeof heapGrowthPerSession> | undefined;
try {
  const nsLns = lab.addNamespace();
  const nsLac = lab.addNamespace();
  lab.addVeth({ ns: nsLns, address: `${LNS}/24` }, { ns: nsLac, address: `${LAC}/24` });

  /** Brings `count` sessions up and keeps them; returns the load (close it) and how many came up. */
  const establish = async (count: number, auth: 'chap' | 'mschapv2') => {
    const load = await startSetupLoad({
      server: { address: LNS, port: 1701 },
      ...USER,
      auth,
      tunnels: Math.ceil(count / SESSIONS_PER_TUNNEL),
      sessionsPerTunnel: Math.min(count, SESSIONS_PER_TUNNEL),
      concurrency: CONCURRENCY,
      durationMs: Math.max(180_000, count * 5),
      localAddress: LAC,
      bindWith: (bind) => lab.withNetns(nsLac, bind),
    });
    const r = await load.result;
    process.stderr.write(
      `  ${r.up}/${r.requested} up in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.sessionsPerSecond.toFixed(0)}/s)\n`,
    );
    // Idle: let retransmissions, delayed acks and the first timers settle.
    await sleep(3000);
    return { load, up: r.up };
  };

  for (const target of TARGETS) {
    for (const count of COUNTS) {
      process.stderr.write(`${target} ${count}:\n`);
      if (target === 'ours') {
        if (ECHO_S !== '') process.env.L2TP_BENCH_ECHO_S = ECHO_S;
        const lns = await startLnsChild({ address: LNS, port: 1701, auth: 'mschapv2', ...USER, cpu: 1, netns: nsLns });
        try {
          const heapBefore = join(tmpdir(), `l2tp-bench-heap-${process.pid}-0.heapsnapshot`);
          const heapAfter = join(tmpdir(), `l2tp-bench-heap-${process.pid}-1.heapsnapshot`);
          const snapshot = count === HEAP_AT;
          if (snapshot) await lns.command(`heap ${heapBefore}`);
          const m0 = await lns.mem();
          const { load, up } = await establish(count, 'mschapv2');
          const idleCpuPercent = await idleCpu(lns.pid, IDLE_SECS);
          const m1 = await lns.mem();
          const pinged = await pingAll(load);
          if (snapshot) {
            await lns.command(`heap ${heapAfter}`);
            heapReport = heapGrowthPerSession(summarizeHeap(heapBefore), summarizeHeap(heapAfter), up);
            retainerReport = heapGrowthPerSession(
              summarizeByRetainer(heapBefore),
              summarizeByRetainer(heapAfter),
              up,
              40,
            );
            if (process.env.L2TP_BENCH_KEEP_HEAP !== '1') {
              rmSync(heapBefore, { force: true });
              rmSync(heapAfter, { force: true });
            } else process.stderr.write(`  heap snapshots kept: ${heapBefore} ${heapAfter}\n`);
          }
          rows.push({
            target,
            sessions: count,
            up,
            rssPerSession: (m1.rss - m0.rss) / up,
            heapPerSession: (m1.heapUsed - m0.heapUsed) / up,
            externalPerSession: (m1.external - m0.external) / up,
            arrayBuffersPerSession: (m1.arrayBuffers - m0.arrayBuffers) / up,
            rssBefore: m0.rss,
            rssAfter: m1.rss,
            ...(idleCpuPercent !== undefined && { idleCpuPercent }),
            ...pinged,
          });
          await load.close(5000);
        } finally {
          await lns.stop();
        }
      } else if (target === 'l2tpns') {
        const l2tpns = await startL2tpns(lab, {
          ns: nsLns,
          bindAddress: LNS,
          secret: 'bmsecret',
          tunAddress: '10.208.99.1',
          pool: '10.209.0.0/16',
          hostName: 'bm-l2tpns',
          debug: 0,
        });
        try {
          const pid = findProcess(l2tpns.proc.pid, 'l2tpns');
          if (pid === undefined) throw new Error('l2tpns PID not found');
          pin(pid, 1);
          const rss0 = rssOf(pid);
          const { load, up } = await establish(count, 'chap');
          const idleCpuPercent = await idleCpu(pid, IDLE_SECS);
          const rss1 = rssOf(pid);
          const pinged = await pingAll(load);
          rows.push({
            target,
            sessions: count,
            up,
            rssPerSession: (rss1 - rss0) / up,
            rssBefore: rss0,
            rssAfter: rss1,
            ...(idleCpuPercent !== undefined && { idleCpuPercent }),
            ...pinged,
          });
          await load.close(5000);
        } finally {
          await lab.stop(l2tpns.proc);
          await lab.stop(l2tpns.radius);
        }
      }
    }
  }
} finally {
  await lab.destroy();
}

const out = { machine: machineNote(), rows, heapGrowthPerSession: heapReport, byRetainer: retainerReport };
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
else {
  const kib = (b: number | undefined): string => (b === undefined ? '–' : (b / 1024).toFixed(2));
  process.stdout.write(`# ${out.machine}\n`);
  process.stdout.write(
    '| LNS | sessions (up) | RSS KiB/session | V8 heap KiB/session | external KiB/session | RSS before → after MiB | idle CPU % | ping ok / failed |\n|---|---|---|---|---|---|---|---|\n',
  );
  for (const r of rows) {
    const cpu = r.idleCpuPercent === undefined ? '–' : r.idleCpuPercent.toFixed(1);
    const ping = r.pingOk === undefined ? '–' : `${r.pingOk} / ${r.pingFailed}`;
    process.stdout.write(
      `| ${r.target} | ${r.sessions} (${r.up}) | ${kib(r.rssPerSession)} | ${kib(r.heapPerSession)} | ${kib(r.externalPerSession)} | ${(r.rssBefore / 2 ** 20).toFixed(1)} → ${(r.rssAfter / 2 ** 20).toFixed(1)} | ${cpu} | ${ping} |\n`,
    );
  }
  if (heapReport) {
    process.stdout.write(`\nHeap growth per session at ${HEAP_AT} sessions (heap snapshot diff, ours):\n\n`);
    process.stdout.write('| type:constructor | objects/session | bytes/session |\n|---|---|---|\n');
    for (const h of heapReport) {
      process.stdout.write(`| ${h.key} | ${h.objectsPerSession.toFixed(2)} | ${h.bytesPerSession.toFixed(0)} |\n`);
    }
  }
  if (retainerReport) {
    process.stdout.write(`\nThe same by what first retains it (field > … > node), largest first:\n\n`);
    process.stdout.write('| retained by | objects/session | bytes/session |\n|---|---|---|\n');
    for (const h of retainerReport) {
      process.stdout.write(`| ${h.key} | ${h.objectsPerSession.toFixed(2)} | ${h.bytesPerSession.toFixed(0)} |\n`);
    }
  }
}
process.exit(0);
