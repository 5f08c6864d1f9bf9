// Data plane through a whole LNS, l2tp-ts vs l2tpns, same machine and run (issue 4): packets/s and
// Mbit/s UDP → TUN ("up") and TUN → UDP ("down") over a real PPP session (RFC 2661 §3.1 data
// messages). Related: bench/dataplane.ts (forwarders only), bench/c/dp-gen.c, docs/BENCHMARKS.md.
//
//   node --import tsx bench/dataplane-lns.ts [--targets ours,l2tpns] [--dirs up,down] [--sizes 64,1400]
//        [--secs 3] [--runs 3] [--nice -10] [--profile DIR] [--node-args --perf-basic-prof,…] [--max-secs 290]
//
// Topology (namespaces made and removed by test/support/netns.ts's NetLab): LAC ns —veth— ours ns
// (10.210.1.1, `l2tp-ts lns --tun`) and LAC ns —veth— l2tpns ns (10.210.4.1, l2tpns + FreeRADIUS).
// Both LNSes run on CPU 1, generators (bench/c/dp-gen.c, sendmmsg) on CPU 0 with this process.
// Runs of the two targets alternate, so foreign load hits both alike.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLac, type LacClient } from '../src/io/create-lac.js';
import { type LabProcess, NetLab, sleep, tail, waitFor } from '../test/support/netns.js';
import { startL2tpns } from '../test/support/peers/l2tpns.js';
import { machineBusyJiffies, median } from './io-common.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, '../bin/l2tp-ts.js');
const GEN = `/tmp/l2tpts-dpgen-${process.pid}`;
const USER = { user: 'alice', password: 's3cret' };
const SINK_PORT = 9999;
/**
 * Niceness of the LNSes and the generator (default -10). The machine is shared and the kernel
 * schedules by autogroup (one per session; plain nice only ranks tasks inside their own group), so
 * each LNS and each generator runs in a session of its own whose autogroup gets this niceness
 * (/proc/PID/autogroup): both LNSes are treated alike. `--nice 0` measures without it.
 */
const NICE = arg('nice', '-10');

/** One LNS under test with its session, as the generators need it. */
interface Target {
  readonly name: string;
  readonly ns: string;
  readonly lacNs: string;
  /** LNS process (the one pinned to CPU 1). */
  readonly pid: number;
  readonly lnsAddress: string;
  readonly lacAddress: string;
  /** LAC-side veth: its rx counts "down" datagrams. */
  readonly lacIf: string;
  /** The LNS's IDs, which the LAC puts into data headers. */
  tunnelId: number;
  sessionId: number;
  /** Client (pool) address and the LNS's IPCP address (the "up" sink is bound there). */
  client: string;
  sinkAddress: string;
  lac?: LacClient;
}

interface Sample {
  pps: number;
  lost: number;
  offered: number;
  cpu: number;
  genCpu: number;
  foreign: number;
}

/** Gives the autogroup (session) of `pid` and the task itself the bench's niceness. */
function prioritize(pid: number): void {
  writeFileSync(`/proc/${pid}/autogroup`, NICE);
  execFileSync('renice', ['-n', NICE, '-p', String(pid)], { stdio: 'ignore' });
}

/** utime + stime of a process (all its threads) in seconds. */
function procCpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** rx_packets of every interface of a namespace (`tunOnly`: of its TUN devices only). */
function rxPackets(ns: string, tunOnly = false): Map<string, number> {
  const j = JSON.parse(execFileSync('ip', ['-n', ns, '-s', '-j', 'link', 'show'], { encoding: 'utf8' })) as {
    ifname: string;
    link_type?: string;
    stats64?: { rx?: { packets?: number } };
  }[];
  return new Map(
    j.filter((l) => !tunOnly || l.link_type === 'none').map((l) => [l.ifname, l.stats64?.rx?.packets ?? 0]),
  );
}

/**
 * Packets lost in front of the LNS: up = drops of its UDP socket (its receive queue was full), down = TUN tx_dropped (the device queue towards it was full). Shows whether the LNS was
 * the bottleneck rather than the generator.
 */
function lostBeforeLns(t: Target, dir: string): number {
  if (dir === 'up') {
    // The `drops` column of the LNS's own socket (local port 1701) in /proc/net/udp: the never-read
    // sink's drops would swamp the namespace-wide RcvbufErrors.
    const udp = execFileSync('ip', ['netns', 'exec', t.ns, 'cat', '/proc/net/udp'], { encoding: 'utf8' });
    let drops = 0;
    for (const line of udp.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(':06A5')) drops += Number(f[f.length - 1]);
    }
    return drops;
  }
  const j = JSON.parse(execFileSync('ip', ['-n', t.ns, '-s', '-j', 'link', 'show'], { encoding: 'utf8' })) as {
    link_type?: string;
    stats64?: { tx?: { dropped?: number } };
  }[];
  return j.filter((l) => l.link_type === 'none').reduce((a, l) => a + (l.stats64?.tx?.dropped ?? 0), 0);
}

/** up: packets the LNS wrote into its TUN device (TUN rx); down: datagrams the LAC's veth received. */
function counter(t: Target, dir: string): number {
  if (dir === 'down') return rxPackets(t.lacNs).get(t.lacIf) ?? 0;
  let n = 0;
  for (const v of rxPackets(t.ns, true).values()) n += v;
  return n;
}

/** PIDs of running generators (they run in sessions of their own, outside the lab's list). */
const liveGens = new Set<number>();

/** Spawns dp-gen inside `ns` on CPU 0; resolves once it floods, with its pid and final output. */
async function startGen(ns: string, genArgs: string[]): Promise<{ pid: number; done: Promise<string> }> {
  const p = spawn('ip', ['netns', 'exec', ns, 'taskset', '-c', '0', GEN, ...genArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  liveGens.add(p.pid!);
  p.on('exit', () => liveGens.delete(p.pid!));
  prioritize(p.pid!);
  let out = '';
  p.stdout.setEncoding('utf8');
  const done = new Promise<string>((r) => p.on('exit', () => r(out)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dp-gen did not start: ${out}`)), 5000);
    p.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('go\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dp-gen exited (${code}): ${out}`));
    });
  });
  return { pid: p.pid!, done };
}

async function runOnce(t: Target, dir: string, size: number, secs: number): Promise<Sample> {
  const warm = 0.7;
  const genArgs =
    dir === 'up'
      ? [
          'up',
          t.lacAddress,
          t.lnsAddress,
          '1701',
          String(t.tunnelId),
          String(t.sessionId),
          t.client,
          t.sinkAddress,
          String(SINK_PORT),
          String(size),
          String(secs + warm + 1),
        ]
      : ['down', t.client, String(SINK_PORT), String(size), String(secs + warm + 1)];
  const gen = await startGen(dir === 'up' ? t.lacNs : t.ns, genArgs);
  try {
    await sleep(warm * 1000);
    const c0 = counter(t, dir);
    const l0 = lostBeforeLns(t, dir);
    const p0 = procCpu(t.pid);
    const g0 = procCpu(gen.pid);
    const j0 = machineBusyJiffies();
    const t0 = performance.now();
    await sleep(secs * 1000);
    const c1 = counter(t, dir);
    const l1 = lostBeforeLns(t, dir);
    const el = (performance.now() - t0) / 1000;
    const cpu = (100 * (procCpu(t.pid) - p0)) / el;
    const genCpu = (100 * (procCpu(gen.pid) - g0)) / el;
    const busy = (machineBusyJiffies() - j0) / el;
    process.kill(gen.pid, 'SIGTERM');
    const out = await gen.done;
    const offered = Number(/pps (\d+)/.exec(out)?.[1] ?? 0);
    return {
      pps: (c1 - c0) / el,
      lost: (l1 - l0) / el,
      offered,
      cpu,
      genCpu,
      foreign: Math.max(0, busy - cpu - genCpu),
    };
  } finally {
    try {
      process.kill(gen.pid, 'SIGKILL');
    } catch {}
    await gen.done;
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (netns, veth, TUN)');
  const targets = arg('targets', 'ours,l2tpns').split(',');
  const dirs = arg('dirs', 'up,down').split(',');
  const sizes = arg('sizes', '64,1400').split(',').map(Number);
  const secs = Number(arg('secs', '3'));
  const runs = Number(arg('runs', '3'));
  const profileDir = args.includes('--profile') ? resolve(arg('profile', '/tmp/l2tpts-dp-prof')) : undefined;
  const started = performance.now();
  // This process (the LACs, the bookkeeping) shares CPU 0 with the generators; CPU 1 is the LNS's.
  execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
  execFileSync('cc', ['-O2', '-o', GEN, join(HERE, 'c', 'dp-gen.c')]);
  const lab = new NetLab('dl');
  const onSignal = (): void => {
    for (const pid of liveGens) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    lab.destroySync();
    rmSync(GEN, { force: true });
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A hard bound on the whole bench (default 290 s): whatever hangs, namespaces and processes go.
  const maxSecs = Number(arg('max-secs', '290'));
  setTimeout(() => {
    console.error(`dataplane-lns: over ${maxSecs} s, giving up`);
    process.exitCode = 1;
    onSignal();
  }, maxSecs * 1000).unref();
  const all: Target[] = [];
  try {
    const lacNs = lab.addNamespace();
    const nft: string[] = [];
    if (targets.includes('ours')) all.push(await startOurs(lab, lacNs, profileDir));
    if (targets.includes('l2tpns')) all.push(await startTheirs(lab, lacNs));
    for (const t of all) {
      nft.push(
        // "down" datagrams are counted on the veth and dropped before the LAC's socket, so the LAC
        // in this process (CPU 0, with the generators) does not pay for them. Only data messages
        // (T bit 0, RFC 2661 §3.1) of 100+ octets: LCP echoes, HELLOs and ZLBs still reach the LAC.
        `add rule inet dpbench in ip daddr ${t.lacAddress} udp dport 1701 udp length >= 100 @th,64,1 0 drop`,
      );
    }
    execFileSync('ip', ['netns', 'exec', lacNs, 'nft', '-f', '-'], {
      input: [
        'add table inet dpbench',
        'add chain inet dpbench in { type filter hook input priority 0; }',
        ...nft,
      ].join('\n'),
    });
    const setupSecs = (performance.now() - started) / 1000;
    const load0 = loadavg();
    console.log(
      `# dataplane-lns ${new Date().toISOString()}: ${runs} runs x ${secs} s per cell, LNS on CPU 1, generator (dp-gen sendmmsg) on CPU 0, each in its own autogroup at nice ${NICE}; setup ${setupSecs.toFixed(1)} s; loadavg ${load0.map((x) => x.toFixed(2)).join(' ')}`,
    );
    for (const t of all)
      console.log(
        `# ${t.name}: pid ${t.pid}, tid ${t.tunnelId} sid ${t.sessionId}, client ${t.client}, sink ${t.sinkAddress}`,
      );
    console.log(
      '| dir | size | target | pps (runs) | Mbit/s payload | offered pps | lost before LNS pps | LNS CPU % | µs CPU/pkt | gen CPU % | foreign CPU % |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    const results = new Map<string, Sample[]>();
    for (const size of sizes) {
      for (const dir of dirs) {
        for (let i = 0; i < runs; i++) {
          for (const t of all) {
            const key = `${dir}|${size}|${t.name}`;
            const s = await runOnce(t, dir, size, secs);
            results.set(key, [...(results.get(key) ?? []), s]);
          }
        }
        for (const t of all) {
          const rs = results.get(`${dir}|${size}|${t.name}`)!;
          const pps = median(rs.map((r) => r.pps));
          const k = (x: number): string => `${Math.round(x / 1000)}k`;
          const cpu = median(rs.map((r) => r.cpu));
          console.log(
            `| ${dir} | ${size} | ${t.name} | ${k(pps)} (${rs.map((r) => k(r.pps)).join(' ')}) | ${((pps * size * 8) / 1e6).toFixed(0)} | ${k(median(rs.map((r) => r.offered)))} | ${k(median(rs.map((r) => r.lost)))} | ${cpu.toFixed(0)} | ${median(rs.map((r) => (r.cpu * 1e4) / Math.max(1, r.pps))).toFixed(2)} | ${median(rs.map((r) => r.genCpu)).toFixed(0)} | ${median(rs.map((r) => r.foreign)).toFixed(0)} |`,
          );
        }
        if (all.length === 2) {
          const m = (t: Target): number => median(results.get(`${dir}|${size}|${t.name}`)!.map((r) => r.pps));
          console.log(
            `|  |  | **ratio ${all[0]!.name} / ${all[1]!.name}** | **${(m(all[0]!) / m(all[1]!)).toFixed(2)}×** |  |  |  |  |  |  |  |`,
          );
        }
      }
    }
    for (const t of all) {
      const s = t.lac?.engine.sessions.values().next().value;
      console.log(
        `# ${t.name}: LAC session still up: ${s !== undefined}; LAC rx packets ${s?.counters.rxPackets ?? '-'}`,
      );
    }
    console.log(
      `# loadavg at end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}; total ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    for (const t of all) await t.lac?.close(500).catch(() => undefined);
    if (profileDir !== undefined) {
      const ours = all.find((t) => t.name === 'l2tp-ts');
      if (ours !== undefined) {
        // SIGTERM: the LNS exits 0 and node writes the profile.
        try {
          process.kill(ours.pid, 'SIGTERM');
        } catch {}
        await waitFor('the profiled LNS to exit', () => !existsPid(ours.pid), 10_000).catch(() => undefined);
        console.log(`# profile in ${profileDir}`);
      }
    }
    await lab.destroy();
    rmSync(GEN, { force: true });
  }
}

const existsPid = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Brings up a session through the LAC in `lacNs` (in this process); fills in the target's IDs. */
async function dial(lab: NetLab, lacNs: string, t: Target, auth: 'mschapv2' | 'chap'): Promise<void> {
  const lac = await lab.withNetns(lacNs, () =>
    createLac({
      server: { address: t.lnsAddress, port: 1701 },
      localAddress: t.lacAddress,
      localPort: 1701,
      ...USER,
      auth: [auth],
      mru: 1500,
    }),
  );
  t.lac = lac;
  const up = await lac.waitFor('session-up', undefined, 15_000);
  const session = lac.engine.sessions.values().next().value!;
  t.tunnelId = session.handle.peerTunnelId;
  t.sessionId = session.handle.peerSessionId;
  t.client = up.address;
  t.sinkAddress = up.peerAddress;
  await lac.ping(session, 3000);
  const sink = lab.spawn(`sink-${t.name}`, t.ns, GEN, ['sink', t.sinkAddress, String(SINK_PORT)]);
  await waitFor('the sink', () => tail(sink.log).includes('ready') || sink.exitCode !== undefined, 5000);
  if (sink.exitCode !== undefined) throw new Error(`sink: ${tail(sink.log)}`);
}

function newTarget(
  name: string,
  ns: string,
  lacNs: string,
  lacIf: string,
  lnsAddress: string,
  lacAddress: string,
  pid: number,
): Target {
  return {
    name,
    ns,
    lacNs,
    lacIf,
    lnsAddress,
    lacAddress,
    pid,
    tunnelId: 0,
    sessionId: 0,
    client: '',
    sinkAddress: '',
  };
}

async function startOurs(lab: NetLab, lacNs: string, profileDir: string | undefined): Promise<Target> {
  const ns = lab.addNamespace();
  const { ifA } = lab.addVeth({ ns: lacNs, address: '10.210.1.2/24' }, { ns, address: '10.210.1.1/24' });
  lab.run(ns, 'sysctl', ['-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
  const config = join(lab.dir, 'lns.json');
  // MTU/MRU 1500 (the seed says 1400): 1400-octet payloads make 1428-octet IP packets, which the
  // kernel would otherwise fragment on the way into the TUN device.
  writeFileSync(config, JSON.stringify({ users: { alice: USER.password }, mtu: 1500, mru: 1500, pppDebug: false }));
  const extra = arg('node-args', '');
  const nodeArgs = [
    ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
    ...(extra === '' ? [] : extra.split(',')),
  ];
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const lns: LabProcess = lab.spawn(
    'lns',
    ns,
    'taskset',
    [
      '-c',
      '1',
      process.execPath,
      ...nodeArgs,
      BIN,
      'lns',
      '--tun',
      '--json-config',
      config,
      '--listen',
      '10.210.1.1',
      '--port',
      '1701',
      '--tun-name',
      'dptun0',
      '--no-control',
    ],
    { newSession: true },
  );
  prioritize(lns.pid);
  await waitFor(
    'l2tp-ts lns to listen',
    () => /listening on/.test(tail(lns.log)) || lns.exitCode !== undefined,
    20_000,
    () => tail(lns.log),
  );
  if (lns.exitCode !== undefined) throw new Error(`l2tp-ts lns exited:\n${tail(lns.log)}`);
  const t = newTarget('l2tp-ts', ns, lacNs, ifA, '10.210.1.1', '10.210.1.2', lns.pid);
  await dial(lab, lacNs, t, 'mschapv2');
  return t;
}

async function startTheirs(lab: NetLab, lacNs: string): Promise<Target> {
  const ns = lab.addNamespace();
  const { ifA } = lab.addVeth({ ns: lacNs, address: '10.210.4.2/24' }, { ns, address: '10.210.4.1/24' });
  lab.run(ns, 'sysctl', ['-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
  // debug 0: at 3 (the launcher's default) l2tpns logs a line every time a poll round reaches
  // multi_read_count, which under a flood is most rounds.
  const l2tpns = await startL2tpns(lab, {
    ns,
    bindAddress: '10.210.4.1',
    secret: 'dpsecret',
    tunAddress: '10.210.99.1',
    pool: '10.210.100.0/24',
    debug: 0,
  });
  execFileSync('taskset', ['-a', '-cp', '1', String(l2tpns.proc.pid)], { stdio: 'ignore' });
  prioritize(l2tpns.proc.pid);
  execFileSync('taskset', ['-a', '-cp', '0', String(l2tpns.radius.pid)], { stdio: 'ignore' });
  const t = newTarget('l2tpns', ns, lacNs, ifA, '10.210.4.1', '10.210.4.2', l2tpns.proc.pid);
  await dial(lab, lacNs, t, 'chap');
  return t;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
