// The batched UDP transport: a non-blocking AF_INET or AF_INET6 socket made with libc, readiness
// from a libuv poll (koffi.node.poll), recvmmsg/sendmmsg over fixed native slots: ≈ 2.5x the
// datagrams per core of node:dgram (forwarder 277–291k pps vs 75–120k, docs/BENCHMARKS.md, Machine
// limits 1 and 3). An IPv6 socket is dual-stack (IPV6_V6ONLY off): IPv4 peers arrive IPv4-mapped
// and are reported, and addressed, as dotted quads (../core/peer-address.ts).
// Related: udp-transport.ts (interface), udp-dgram.ts (fallback), libc.ts.
import type { PeerAddress } from '../core/engine.js';
import { formatIpv4, parseIpv4, requireIpv4 } from '../core/ipv4.js';
import { parseIpv6 } from '../core/ipv6.js';
import { canonicalAddress, formatPeerIpv6, isIpv6Address } from '../core/peer-address.js';
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
const AF_INET6 = 10;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
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
/** A name slot holds a struct sockaddr_in6 (28 bytes; a sockaddr_in is 16). */
const NAME = 28;
const SOCKADDR_IN = 16;
const SOCKADDR_IN6 = 28;
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

/** One IPv6 peer in the receive cache: its 16 octets and port, checked on every hit of its hash. */
interface Ipv6PeerEntry {
  readonly raw: Uint8Array;
  readonly port: number;
  readonly peer: PeerAddress;
}

/**
 * Opens a batched UDP socket bound to `opts.address:opts.port` (an IPv6 address, `::` included,
 * opens an AF_INET6 socket), synchronously. Throws when koffi or the libc calls are unavailable,
 * when the address is not an IP address, or when socket()/bind() fail (the message carries errno).
 */
export function openBatchUdp(opts: UdpTransportOptions): BatchUdpTransport {
  const bindText = opts.address ?? '0.0.0.0';
  const v6 = isIpv6Address(bindText);
  const bindV6 = v6 ? parseIpv6(bindText.replace(/^\[|\]$/g, '')) : undefined;
  if (v6 ? bindV6 === undefined : parseIpv4(bindText) === undefined) {
    throw new TypeError(`not an IP address: ${bindText}`);
  }
  const family = v6 ? AF_INET6 : AF_INET;
  const nameLength = v6 ? SOCKADDR_IN6 : SOCKADDR_IN;
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

  const fd = libc.socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const e = libc.errno();
    mem.free();
    throw new Error(`socket(${v6 ? 'AF_INET6' : 'AF_INET'}, SOCK_DGRAM) failed: errno ${e}`);
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
  // struct sockaddr_in6: family, port (network order), flowinfo 0, 16 address octets, scope id 0.
  const writeName6 = (off: number, ip: Uint8Array, port: number): void => {
    dv.setUint16(off, AF_INET6, true);
    dv.setUint16(off + 2, port, false);
    dv.setUint32(off + 4, 0, true);
    bytes.set(ip, off + 8);
    dv.setUint32(off + 24, 0, true);
  };
  if (v6) {
    // Dual-stack whatever net.ipv6.bindv6only says: `listen-addr = ::` serves IPv4 LACs too.
    dv.setInt32(SCRATCH, 0, true);
    libc.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, base + SCRATCH, 4);
    writeName6(SCRATCH, bindV6!, opts.port);
  } else writeName(SCRATCH, requireIpv4(bindText), opts.port);
  if (libc.bind(fd, base + SCRATCH, nameLength) < 0) fail(`bind(${bindText}:${opts.port})`);
  dv.setUint32(SCRATCH + NAME, NAME, true);
  if (libc.getsockname(fd, base + SCRATCH, base + SCRATCH + NAME) < 0) fail('getsockname');
  const port = dv.getUint16(SCRATCH + 2, false);
  for (let i = 0; i < B; i++) dv.setUint32(TXMSG + i * MMSG + 8, nameLength, true);

  const stats: BatchUdpStats = { received: 0, sent: 0, truncated: 0, sendDropped: 0, recvCalls: 0, sendCalls: 0 };
  // PeerAddress objects are cached per (address, port), so the receive path allocates nothing
  // per datagram after the first from a peer.
  const peers = new Map<number, PeerAddress>();
  const peers6 = new Map<number, Ipv6PeerEntry>();
  /** Send addresses: an IPv4 number, the 16 octets of an IPv6 one, or null (not sendable here). */
  const ipCache = new Map<string, number | Uint8Array | null>();
  let queued = 0;
  let flushScheduled = false;
  let closed = false;

  const peerOf6 = (off: number): PeerAddress => {
    const p = dv.getUint16(off + 2, false);
    // FNV-1a over the 16 address octets and the port; a hit is checked octet by octet.
    let h = 0x811c9dc5;
    for (let i = 8; i < 24; i++) h = Math.imul(h ^ bytes[off + i]!, 0x01000193);
    h = Math.imul(h ^ p, 0x01000193) >>> 0;
    const hit = peers6.get(h);
    if (hit !== undefined && hit.port === p) {
      let same = true;
      for (let i = 0; i < 16 && same; i++) same = hit.raw[i] === bytes[off + 8 + i];
      if (same) return hit.peer;
    }
    const raw = bytes.slice(off + 8, off + 24);
    const peer = Object.freeze({ address: formatPeerIpv6(raw), port: p });
    if (peers6.size >= 65536) peers6.clear();
    peers6.set(h, { raw, port: p, peer });
    return peer;
  };

  const peerOf = (off: number): PeerAddress => {
    if (dv.getUint16(off, true) === AF_INET6) return peerOf6(off);
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
        ip = sendAddress(to.address, v6);
        if (ipCache.size >= 65536) ipCache.clear();
        ipCache.set(to.address, ip);
      }
      if (ip === null) {
        // An IPv6 destination on an IPv4 socket (or not an address at all): no route from here.
        stats.sendDropped++;
        return;
      }
      const k = queued;
      bytes.set(data, TXBUF + k * SLOT);
      dv.setUint32(TXIOV + k * IOV + 8, data.length, true);
      if (typeof ip === 'number') writeName(TXNAME + k * NAME, ip, to.port);
      else writeName6(TXNAME + k * NAME, ip, to.port);
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

/**
 * Where a datagram to `address` goes from a socket of this family: an IPv4 socket takes dotted
 * quads (as numbers); an IPv6 one takes IPv6 addresses and IPv4 ones IPv4-mapped (::ffff:a.b.c.d).
 * null: not an address this socket can reach.
 */
export function sendAddress(address: string, v6Socket: boolean): number | Uint8Array | null {
  const canonical = canonicalAddress(address);
  if (canonical === undefined) return null;
  const v4 = parseIpv4(canonical);
  if (!v6Socket) return v4 ?? null;
  if (v4 === undefined) return parseIpv6(canonical) ?? null;
  const mapped = new Uint8Array(16);
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  mapped[12] = v4 >>> 24;
  mapped[13] = (v4 >>> 16) & 0xff;
  mapped[14] = (v4 >>> 8) & 0xff;
  mapped[15] = v4 & 0xff;
  return mapped;
}
