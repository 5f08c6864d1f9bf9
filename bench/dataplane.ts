// The LNS data path as a forwarder benchmark (docs/BENCHMARKS.md, Forwarder): netns A (the "LAC",
// 10.210.1.2) —veth— netns B (the LNS, 10.210.1.1, TUN 10.210.2.1/24, clients 10.210.3.0/24).
// "up" = L2TP data in → strip L2TP+PPP → TUN; "down" = TUN → add L2TP+PPP → UDP out. Throughput
// is read from kernel interface counters, so any forwarder (a Target) can be measured alike.
//
//   node --import tsx bench/dataplane.ts [--targets c,ffi,dgram] [--dirs up,down,both] [--sizes 64,1400] [--secs 4] [--runs 3]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PeerAddress } from '../src/core/engine.js';
import { TunDevice } from '../src/io/tun-device.js';
import { openUdpTransport } from '../src/io/udp-open.js';
import type { UdpTransportKind } from '../src/io/udp-transport.js';
import { L2tpHeaderView, writeDataHeader } from '../src/l2tp/wire/header.js';
import { floodUdp, holdUdp, machineBusyJiffies, median } from './io-common.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const SELF = fileURLToPath(import.meta.url);
const NODE = [process.execPath, '--import', 'tsx', SELF];

/** The addresses and IDs every target and the generator agree on. */
export const TOPOLOGY = {
  nsA: `l2tpts-dpA-${process.pid}`,
  nsB: `l2tpts-dpB-${process.pid}`,
  lac: '10.210.1.2',
  lns: '10.210.1.1',
  port: 1701,
  tunAddress: '10.210.2.1/24',
  sinkInner: '10.210.2.1',
  clientNet: '10.210.3.0/24',
  client: '10.210.3.2',
  /** The LNS's tunnel/session IDs (what the LAC puts in data headers). */
  tunnelId: 0x1234,
  sessionId: 0x5678,
  /** The LAC's IDs (what the LNS puts in data headers going down). */
  peerTunnelId: 0x4321,
  peerSessionId: 0x8765,
} as const;
type Topology = typeof TOPOLOGY;

/**
 * A forwarder under test. It runs inside netns B, must print a line `ready` once it forwards, and
 * must exit on SIGTERM. A second implementation (l2tpns, a C reference) plugs in here.
 */
export interface DataplaneTarget {
  readonly name: string;
  readonly description: string;
  /** argv run as `ip netns exec <nsB> taskset -c 1 <argv>`. */
  command(t: Topology): string[];
}

const TARGETS: Record<string, DataplaneTarget> = {
  ffi: {
    name: 'l2tp-ts ffi',
    description: 'udp-batch (koffi recvmmsg/sendmmsg) + TunDevice (poll + read drain, koffi write)',
    command: () => [...NODE, '--role', 'fwd', '--transport', 'mmsg'],
  },
  c: {
    name: 'C reference',
    description: 'bench/c/fwd-ref.c: epoll, recvmmsg -> write, read x64 -> sendmmsg (no JS), built with gcc -O2',
    command: (t) => {
      const bin = '/tmp/l2tpts-fwd-ref';
      execFileSync('gcc', ['-O2', '-o', bin, join(dirname(SELF), 'c', 'fwd-ref.c')]);
      return [
        bin,
        t.lns,
        String(t.port),
        t.lac,
        String(t.port),
        t.tunAddress,
        t.clientNet,
        String(t.tunnelId),
        String(t.sessionId),
        String(t.peerTunnelId),
        String(t.peerSessionId),
      ];
    },
  },
  dgram: {
    name: 'l2tp-ts dgram',
    description: "node:dgram 'message' + send, TunDevice for the TUN side",
    command: () => [...NODE, '--role', 'fwd', '--transport', 'dgram'],
  },
};

/** The l2tp-ts data path: header view, session table, PPP protocol check, headroom prepend. */
async function forwarder(transport: UdpTransportKind): Promise<void> {
  const t = TOPOLOGY;
  interface Session {
    readonly peer: PeerAddress;
    readonly peerTunnelId: number;
    readonly peerSessionId: number;
    rx: number;
    tx: number;
  }
  // 1000 sessions, like a busy LNS; the generator uses one of them.
  const sessions = new Map<number, Session>();
  const byClient = new Map<number, Session>();
  const peer: PeerAddress = { address: t.lac, port: t.port };
  for (let i = 0; i < 1000; i++) {
    const s: Session = { peer, peerTunnelId: t.peerTunnelId, peerSessionId: t.peerSessionId + i, rx: 0, tx: 0 };
    sessions.set(t.tunnelId * 65536 + t.sessionId + i, s);
    byClient.set(0x0ad20302 + i, s); // 10.210.3.2 + i
  }
  const tun = TunDevice.open({ name: 'l2tpbench%d', headroom: 16 });
  tun.setAddress(t.tunAddress);
  tun.up(1500);
  tun.addRoute(t.clientNet);
  const view = new L2tpHeaderView();
  let up = 0;
  let down = 0;
  const udp = await openUdpTransport(transport, {
    address: t.lns,
    port: t.port,
    onDatagram: (bytes) => {
      // RFC 2661 §3.1: a data message (T=0) for a known session carries a PPP frame.
      if (view.wrap(bytes) !== undefined || view.isControl) return;
      const s = sessions.get(view.tunnelId * 65536 + view.sessionId);
      if (s === undefined) return;
      const f = view.body;
      let at = 0;
      if (f.length >= 2 && f[0] === 0xff && f[1] === 0x03) at = 2; // RFC 1661/1662 address+control (ACFC)
      // PPP protocol 0x0021 (IPv4), also compressed (PFC) as 0x21.
      if (f[at] === 0x21) at += 1;
      else if (f[at] === 0x00 && f[at + 1] === 0x21) at += 2;
      else return;
      s.rx++;
      if (tun.write(f.subarray(at))) up++;
    },
  });
  tun.start(
    (slot, at, length) => {
      if (length < 20) return;
      const dst = ((slot[at + 16]! << 24) | (slot[at + 17]! << 16) | (slot[at + 18]! << 8) | slot[at + 19]!) >>> 0;
      const s = byClient.get(dst);
      if (s === undefined) return;
      // PPP header in the headroom, then the L2TP data header before it: no copy of the packet.
      slot[at - 4] = 0xff;
      slot[at - 3] = 0x03;
      slot[at - 2] = 0x00;
      slot[at - 1] = 0x21;
      const start = writeDataHeader(slot, at - 4, at + length, s.peerTunnelId, s.peerSessionId);
      s.tx++;
      udp.send(slot.subarray(start, at + length), s.peer);
      down++;
    },
    () => udp.flush(),
  );
  process.on('SIGTERM', () => {
    void udp.close().then(() => {
      tun.close();
      process.stderr.write(`fwd ${transport}: up=${up} down=${down}\n`);
      process.exit(0);
    });
  });
  process.stdout.write('ready\n');
}

/** IPv4/UDP (checksum 0, RFC 768 "none") with `size` payload bytes. */
function ipUdp(size: number, src: number[], dst: number[], sport: number, dport: number): Uint8Array {
  const p = new Uint8Array(28 + size).fill(0x78);
  p.set([0x45, 0, (28 + size) >> 8, (28 + size) & 255, 0, 0, 0x40, 0, 64, 17, 0, 0, ...src, ...dst]);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (p[i]! << 8) | p[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  p[10] = (~s >> 8) & 255;
  p[11] = ~s & 255;
  p.set([sport >> 8, sport & 255, dport >> 8, dport & 255, (8 + size) >> 8, (8 + size) & 255, 0, 0], 20);
  return p;
}

/** The generator for one side: holds that side's sink, floods when its direction is on. */
function generator(side: 'A' | 'B', dir: string, size: number, secs: number): void {
  const t = TOPOLOGY;
  if (side === 'A') {
    holdUdp(t.lac, t.port); // sink for "down" packets
    process.stdout.write('go\n');
    if (dir === 'up' || dir === 'both') {
      const inner = ipUdp(size, [10, 210, 3, 2], [10, 210, 2, 1], 4000, 9999);
      const l2tp = new Uint8Array(10 + inner.length);
      l2tp.set([
        0x00,
        0x02,
        t.tunnelId >> 8,
        t.tunnelId & 255,
        t.sessionId >> 8,
        t.sessionId & 255,
        0xff,
        0x03,
        0x00,
        0x21,
      ]);
      l2tp.set(inner, 10);
      floodUdp({ dst: t.lns, port: t.port, payload: l2tp, secs });
    } else execFileSync('sleep', [String(secs)]);
  } else {
    holdUdp(t.sinkInner, 9999); // sink for "up" packets
    process.stdout.write('go\n');
    if (dir === 'down' || dir === 'both') {
      floodUdp({ dst: t.client, port: 9999, payload: new Uint8Array(size).fill(0x79), secs });
    } else execFileSync('sleep', [String(secs)]);
  }
}

const ip = (...a: string[]): void => void execFileSync('ip', a, { stdio: ['ignore', 'ignore', 'pipe'] });

function setup(): void {
  const t = TOPOLOGY;
  ip('netns', 'add', t.nsA);
  ip('netns', 'add', t.nsB);
  const va = `l2tpdpa${process.pid % 10000}`;
  const vb = `l2tpdpb${process.pid % 10000}`;
  ip('link', 'add', va, 'type', 'veth', 'peer', 'name', vb);
  ip('link', 'set', va, 'netns', t.nsA);
  ip('link', 'set', vb, 'netns', t.nsB);
  for (const [ns, dev, addr] of [
    [t.nsA, va, `${t.lac}/24`],
    [t.nsB, vb, `${t.lns}/24`],
  ] as const) {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'addr', 'add', addr, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
    execFileSync('ip', [
      'netns',
      'exec',
      ns,
      'sysctl',
      '-qw',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
    ]);
  }
}

function cleanup(): void {
  for (const ns of [TOPOLOGY.nsA, TOPOLOGY.nsB]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  }
}

/** rx_packets per interface of a namespace. */
function rxPackets(ns: string): Map<string, number> {
  const j = JSON.parse(execFileSync('ip', ['-n', ns, '-s', '-j', 'link', 'show'], { encoding: 'utf8' })) as {
    ifname: string;
    stats64?: { rx?: { packets?: number } };
  }[];
  return new Map(j.map((l) => [l.ifname, l.stats64?.rx?.packets ?? 0]));
}

/** up = packets written into B's TUN device(s) (their rx); down = packets A's veth received. */
function counters(): { up: number; down: number } {
  let up = 0;
  for (const [name, n] of rxPackets(TOPOLOGY.nsB)) if (name !== 'lo' && !name.startsWith('l2tpdp')) up += n;
  let down = 0;
  for (const [name, n] of rxPackets(TOPOLOGY.nsA)) if (name.startsWith('l2tpdp')) down += n;
  return { up, down };
}

/** utime + stime of a process in seconds. */
function procCpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function waitLine(p: ChildProcess, line: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "${line}" within ${ms} ms: ${out}`)), ms);
    p.stdout!.setEncoding('utf8');
    p.stdout!.on('data', (d: string) => {
      out += d;
      if (out.split('\n').includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before "${line}": ${out}`));
    });
  });
}

interface Sample {
  up: number;
  down: number;
  cpu: number;
  foreign: number;
}

async function runOnce(target: DataplaneTarget, dir: string, size: number, secs: number): Promise<Sample> {
  const t = TOPOLOGY;
  const children: ChildProcess[] = [];
  try {
    const fwd = spawn('ip', ['netns', 'exec', t.nsB, 'taskset', '-c', '1', ...target.command(t)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(fwd);
    await waitLine(fwd, 'ready', 15_000);
    const genSecs = String(secs + 2);
    const gens = (['A', 'B'] as const).map((side) =>
      spawn(
        'ip',
        [
          'netns',
          'exec',
          side === 'A' ? t.nsA : t.nsB,
          'taskset',
          '-c',
          '0',
          ...NODE,
          '--role',
          'gen',
          '--side',
          side,
          '--dir',
          dir,
          '--size',
          String(size),
          '--secs',
          genSecs,
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      ),
    );
    children.push(...gens);
    await Promise.all(gens.map((g) => waitLine(g, 'go', 15_000)));
    await sleep(800); // warm-up
    const c0 = counters();
    const p0 = procCpu(fwd.pid!);
    const j0 = machineBusyJiffies();
    const t0 = performance.now();
    await sleep(secs * 1000);
    const el = (performance.now() - t0) / 1000;
    const c1 = counters();
    const cpu = (100 * (procCpu(fwd.pid!) - p0)) / el;
    // Everything but the forwarder and the generators (which keep one CPU busy between them when flooding).
    const gensCpu = dir === 'both' || dir === 'up' || dir === 'down' ? 100 : 0;
    const foreign = Math.max(0, (machineBusyJiffies() - j0) / el - cpu - gensCpu);
    return { up: (c1.up - c0.up) / el, down: (c1.down - c0.down) / el, cpu, foreign };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  }
}

async function main(): Promise<void> {
  const role = arg('role', 'main');
  if (role === 'fwd') return forwarder(arg('transport', 'mmsg') as UdpTransportKind);
  if (role === 'gen')
    return generator(
      arg('side', 'A') as 'A' | 'B',
      arg('dir', 'both'),
      Number(arg('size', '64')),
      Number(arg('secs', '3')),
    );
  if (process.getuid?.() !== 0) throw new Error('dataplane bench needs root (netns, veth, TUN)');
  const targets = arg('targets', 'c,ffi,dgram')
    .split(',')
    .map((n) => {
      const tgt = TARGETS[n];
      if (tgt === undefined) throw new Error(`unknown target ${n}; known: ${Object.keys(TARGETS).join(', ')}`);
      return tgt;
    });
  const dirs = arg('dirs', 'up,down,both').split(',');
  const sizes = arg('sizes', '64,1400').split(',').map(Number);
  const secs = Number(arg('secs', '4'));
  const runs = Number(arg('runs', '3'));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
  cleanup();
  setup();
  try {
    console.log(
      `# dataplane: ${runs} runs x ${secs} s; forwarder on CPU 1, generators (sendmmsg, both namespaces) on CPU 0; loadavg ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`,
    );
    console.log(
      '| target | dir | size | up pps | down pps | total pps (runs) | fwd CPU % | µs CPU / packet | foreign CPU % |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const size of sizes) {
      for (const dir of dirs) {
        for (const target of targets) {
          const rs: Sample[] = [];
          for (let i = 0; i < runs; i++) rs.push(await runOnce(target, dir, size, secs));
          const k = (x: number) => `${Math.round(x / 1000)}k`;
          const totals = rs.map((r) => r.up + r.down);
          console.log(
            `| ${target.name} | ${dir} | ${size} | ${k(median(rs.map((r) => r.up)))} | ${k(median(rs.map((r) => r.down)))} | ${k(median(totals))} (${totals.map(k).join(' ')}) | ${Math.round(median(rs.map((r) => r.cpu)))} | ${median(rs.map((r) => (r.cpu * 1e4) / Math.max(1, r.up + r.down))).toFixed(2)} | ${Math.round(median(rs.map((r) => r.foreign)))} |`,
          );
        }
      }
    }
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  cleanup();
  process.exit(1);
});
