// Shared pieces of the I/O benchmarks: a sendmmsg flood (the load generator), CPU accounting,
// foreign-load measurement (the machine is shared), medians. Related: io-udp.bench.ts, dataplane.ts.
import { readFileSync } from 'node:fs';
import { requireIpv4 } from '../src/core/ipv4.js';
import { loadLibc } from '../src/io/libc.js';

/** CPU seconds (user + system) of this process. */
export const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Busy jiffies of the whole machine (all CPUs), from /proc/stat; 100 per CPU-second. */
export function machineBusyJiffies(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

/**
 * Floods `payload` to `dst:port` with blocking sendmmsg (batches of 64) for `secs`, from a socket
 * bound to `bindAddress` (default any). Returns datagrams sent and CPU %. Runs synchronously: the
 * generator does nothing else.
 */
export function floodUdp(opts: {
  readonly dst: string;
  readonly port: number;
  readonly payload: Uint8Array;
  readonly secs: number;
  readonly bindAddress?: string;
}): { sent: number; pps: number; cpu: number } {
  const libc = loadLibc();
  const B = 64;
  const mem = libc.alloc(2048 + 16 + 16 + B * 64 + 8);
  const BUF = 0;
  const NAME = 2048;
  const IOV = NAME + 16;
  const MSG = IOV + 16;
  const INT = MSG + B * 64;
  const dv = mem.view;
  mem.bytes.set(opts.payload, BUF);
  dv.setUint16(NAME, 2, true);
  dv.setUint16(NAME + 2, opts.port, false);
  dv.setUint32(NAME + 4, requireIpv4(opts.dst), false);
  dv.setBigUint64(IOV, BigInt(mem.base + BUF), true);
  dv.setBigUint64(IOV + 8, BigInt(opts.payload.length), true);
  for (let i = 0; i < B; i++) {
    const m = MSG + i * 64;
    dv.setBigUint64(m, BigInt(mem.base + NAME), true);
    dv.setUint32(m + 8, 16, true);
    dv.setBigUint64(m + 16, BigInt(mem.base + IOV), true);
    dv.setBigUint64(m + 24, 1n, true);
  }
  const fd = libc.socket(2, 2, 0);
  // A big send buffer (SO_SNDBUFFORCE, root): skbs waiting in a TUN ring stay charged to this
  // socket; with the default the generator would block on a slow reader (docs/BENCHMARKS.md, Machine limits 2).
  dv.setInt32(INT, 16 << 20, true);
  libc.setsockopt(fd, 1, 32 /* SO_SNDBUFFORCE */, mem.base + INT, 4);
  if (opts.bindAddress !== undefined) {
    const s = libc.alloc(16);
    s.view.setUint16(0, 2, true);
    s.view.setUint32(4, requireIpv4(opts.bindAddress), false);
    libc.bind(fd, s.base, 16);
  }
  let sent = 0;
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const end = t0 + opts.secs * 1000;
  let now = t0;
  while (now < end) {
    for (let k = 0; k < 8; k++) {
      const r = libc.sendmmsg(fd, mem.base + MSG, B, 0);
      if (r > 0) sent += r;
    }
    now = performance.now();
  }
  const el = (now - t0) / 1000;
  libc.close(fd);
  return { sent, pps: sent / el, cpu: (100 * (cpuSeconds() - c0)) / el };
}

/** A bound UDP socket that is never read: the cheapest sink (the kernel drops at the socket). */
export function holdUdp(address: string, port: number): number {
  const libc = loadLibc();
  const fd = libc.socket(2, 2, 0);
  const s = libc.alloc(16);
  s.view.setUint16(0, 2, true);
  s.view.setUint16(2, port, false);
  s.view.setUint32(4, requireIpv4(address), false);
  if (libc.bind(fd, s.base, 16) < 0) throw new Error(`bind ${address}:${port}: errno ${libc.errno()}`);
  return fd;
}
