// The batched UDP transport: a non-blocking AF_INET socket made with libc, readiness from a libuv
// poll (koffi.node.poll), recvmmsg/sendmmsg over fixed native slots: ≈ 2.5x the datagrams per core of
// node:dgram (forwarder 277–291k pps vs 75–120k, docs/BENCHMARKS.md, Machine limits 1 and 3).
// Related: udp-transport.ts (interface), udp-dgram.ts (fallback), libc.ts.
import type { PeerAddress } from '../core/engine.js';
import { formatIpv4, requireIpv4 } from '../core/ipv4.js';
import { EAGAIN, EINTR, loadLibc } from './libc.js';

import type { UdpTransport, UdpTransportOptions } from './udp-transport.js';

/** recvmmsg errors that an ICMP message about one peer can raise (Linux errno values): never fatal. */
const TRANSIENT_RECV_ERRORS: ReadonlySet<number> = new Set([
  90, // EMSGSIZE
  100, // ENETDOWN
  101, // ENETUNREACH
  111, // ECONNREFUSED
  112, // EHOSTDOWN
  113, // EHOSTUNREACH
]);

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0x800;
const SOCK_CLOEXEC = 0x80000;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_SNDBUF = 7;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
// struct mmsghdr on 64-bit Linux: msghdr {name 0, namelen 8, iov 16, iovlen 24, control 32,
// controllen 40, flags 48} then msg_len at 56; 64 bytes. struct iovec: base 0, len 8.
const MMSG = 64;
const IOV = 16;
const NAME = 16;
/** Receive batches per readiness callback before yielding to the event loop: 1 keeps the UDP and TUN sides fair (64 each per turn, like fwdffi.js). */
const MAX_ROUNDS = 1;

/** Counters of one batched socket. */
export interface BatchUdpStats {
  received: number;
  sent: number;
  /** Datagrams longer than a slot (MSG_TRUNC), dropped. */
  truncated: number;
  /** Datagrams the kernel refused (EAGAIN on a full send buffer, or an error), dropped. */
  sendDropped: number;
  /** Calls of recvmmsg / sendmmsg (datagrams per call = received / recvCalls). */
  recvCalls: number;
  sendCalls: number;
}

/** A UdpTransport with batch counters. */
export interface BatchUdpTransport extends UdpTransport {
  readonly stats: BatchUdpStats;
}

/**
 * Opens a batched UDP socket bound to `opts.address:opts.port`, synchronously. Throws when koffi or
 * the libc calls are unavailable, or when socket()/bind() fail (the message carries errno).
 */
export function openBatchUdp(opts: UdpTransportOptions): BatchUdpTransport {
  const libc = loadLibc();
  const B = Math.max(1, Math.min(1024, opts.batchSize ?? 64));
  const SLOT = 2048;
  // Layout of the one native block.
  const RXBUF = 0;
  const TXBUF = RXBUF + B * SLOT;
  const RXMSG = TXBUF + B * SLOT;
  const TXMSG = RXMSG + B * MMSG;
  const RXIOV = TXMSG + B * MMSG;
  const TXIOV = RXIOV + B * IOV;
  const RXNAME = TXIOV + B * IOV;
  const TXNAME = RXNAME + B * NAME;
  const SCRATCH = TXNAME + B * NAME;
  const TOTAL = SCRATCH + 32;
  const mem = libc.alloc(TOTAL);
  const { base, bytes, view: dv } = mem;
  const set64 = (off: number, v: number): void => dv.setBigUint64(off, BigInt(v), true);
  for (let i = 0; i < B; i++) {
    set64(RXIOV + i * IOV, base + RXBUF + i * SLOT);
    set64(RXIOV + i * IOV + 8, SLOT);
    set64(RXMSG + i * MMSG, base + RXNAME + i * NAME);
    dv.setUint32(RXMSG + i * MMSG + 8, NAME, true);
    set64(RXMSG + i * MMSG + 16, base + RXIOV + i * IOV);
    set64(RXMSG + i * MMSG + 24, 1);
    set64(TXIOV + i * IOV, base + TXBUF + i * SLOT);
    set64(TXMSG + i * MMSG, base + TXNAME + i * NAME);
    dv.setUint32(TXMSG + i * MMSG + 8, NAME, true);
    set64(TXMSG + i * MMSG + 16, base + TXIOV + i * IOV);
    set64(TXMSG + i * MMSG + 24, 1);
  }

  const fd = libc.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const e = libc.errno();
    mem.free();
    throw new Error(`socket(AF_INET, SOCK_DGRAM) failed: errno ${e}`);
  }
  const fail = (what: string): never => {
    const e = libc.errno();
    libc.close(fd);
    mem.free();
    throw Object.assign(new Error(`${what} failed: errno ${e}`), { errno: e });
  };
  dv.setInt32(SCRATCH, opts.receiveBufferBytes ?? 4 << 20, true);
  libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, base + SCRATCH, 4);
  dv.setInt32(SCRATCH, 4 << 20, true);
  libc.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, base + SCRATCH, 4);
  // struct sockaddr_in: family (host order), port (network order), address (network order).
  const writeName = (off: number, ip: number, port: number): void => {
    dv.setUint16(off, AF_INET, true);
    dv.setUint16(off + 2, port, false);
    dv.setUint32(off + 4, ip, false);
  };
  writeName(SCRATCH, requireIpv4(opts.address ?? '0.0.0.0'), opts.port);
  if (libc.bind(fd, base + SCRATCH, NAME) < 0) fail(`bind(${opts.address ?? '0.0.0.0'}:${opts.port})`);
  dv.setUint32(SCRATCH + 16, NAME, true);
  if (libc.getsockname(fd, base + SCRATCH, base + SCRATCH + 16) < 0) fail('getsockname');
  const port = dv.getUint16(SCRATCH + 2, false);

  const stats: BatchUdpStats = { received: 0, sent: 0, truncated: 0, sendDropped: 0, recvCalls: 0, sendCalls: 0 };
  // PeerAddress objects are cached per (address, port), so the receive path allocates nothing
  // per datagram after the first from a peer.
  const peers = new Map<number, PeerAddress>();
  const ipCache = new Map<string, number>();
  let queued = 0;
  let flushScheduled = false;
  let closed = false;

  const peerOf = (off: number): PeerAddress => {
    const ip = dv.getUint32(off + 4, false);
    const p = dv.getUint16(off + 2, false);
    const key = ip * 65536 + p;
    let from = peers.get(key);
    if (from === undefined) {
      from = Object.freeze({
        address: formatIpv4(ip),
        port: p,
      });
      if (peers.size >= 65536) peers.clear();
      peers.set(key, from);
    }
    return from;
  };

  const flush = (): void => {
    flushScheduled = false;
    let off = 0;
    while (off < queued) {
      stats.sendCalls++;
      const r = libc.sendmmsg(fd, base + TXMSG + off * MMSG, queued - off, 0);
      if (r > 0) {
        off += r;
        stats.sent += r;
        continue;
      }
      const e = libc.errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) {
        // A full send buffer: UDP may drop, and waiting would stall the receive path.
        stats.sendDropped += queued - off;
        break;
      }
      // The datagram at `off` was refused (e.g. EPERM from a firewall, ENETUNREACH): skip it.
      stats.sendDropped++;
      off++;
    }
    queued = 0;
  };

  const onReadable = (): void => {
    for (let round = 0; round < MAX_ROUNDS && !closed; round++) {
      stats.recvCalls++;
      const n = libc.recvmmsg(fd, base + RXMSG, B, MSG_DONTWAIT, 0);
      if (n < 0) {
        const e = libc.errno();
        if (e === EINTR) continue;
        // EAGAIN: drained. ICMP-reported errors (port/host/net unreachable, refused) concern one
        // peer; anything else (EBADF, ENOTSOCK, EFAULT, ENOMEM) means this socket is broken.
        if (e !== EAGAIN && !TRANSIENT_RECV_ERRORS.has(e)) {
          closed = true;
          poll.close();
          opts.onFatal?.(new Error(`udp socket: recvmmsg failed with errno ${e}`));
        }
        break;
      }
      if (n === 0) break;
      for (let i = 0; i < n && !closed; i++) {
        const m = RXMSG + i * MMSG;
        const len = dv.getUint32(m + 56, true);
        const flags = dv.getInt32(m + 48, true);
        // The kernel overwrote namelen; restore it for the next call.
        dv.setUint32(m + 8, NAME, true);
        if ((flags & MSG_TRUNC) !== 0) {
          stats.truncated++;
          continue;
        }
        stats.received++;
        const at = RXBUF + i * SLOT;
        opts.onDatagram(bytes.subarray(at, at + len), peerOf(RXNAME + i * NAME));
      }
      if (closed) return;
      opts.onBatchEnd?.();
      if (queued > 0) flush();
      if (n < B) break;
    }
  };

  const poll = libc.pollReadable(fd, onReadable);

  return {
    kind: 'mmsg',
    port,
    stats,
    send(data: Uint8Array, to: PeerAddress): void {
      if (closed) return;
      if (data.length > SLOT) {
        // Larger than any L2TP datagram over a 1500-byte path; refuse rather than fragment.
        stats.sendDropped++;
        return;
      }
      let ip = ipCache.get(to.address);
      if (ip === undefined) {
        ip = requireIpv4(to.address);
        if (ipCache.size >= 65536) ipCache.clear();
        ipCache.set(to.address, ip);
      }
      const k = queued;
      bytes.set(data, TXBUF + k * SLOT);
      dv.setUint32(TXIOV + k * IOV + 8, data.length, true);
      writeName(TXNAME + k * NAME, ip, to.port);
      queued = k + 1;
      if (queued === B) flush();
      else if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(() => {
          if (flushScheduled && !closed) flush();
        });
      }
    },
    flush(): void {
      if (!closed && queued > 0) flush();
    },
    close(): Promise<void> {
      if (!closed) {
        if (queued > 0) flush();
        closed = true;
        poll.close();
        libc.close(fd);
        // Freed on a later turn: a readiness callback of this turn may still hold `bytes`.
        setImmediate(() => mem.free());
      }
      return Promise.resolve();
    },
  };
}
