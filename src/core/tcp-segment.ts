// TCP segmentation and coalescing for a TUN device opened with IFF_VNET_HDR (issue 13 item 1).
// Pure functions over caller-owned Uint8Arrays: no sockets, no clock, no allocation per byte (one
// small result object per call). Related: ../io/tun-device.ts (the device), ./tcp-mss.ts (MSS clamp).
//
// Theory of operation
// - With IFF_VNET_HDR every read from and write to the TUN fd starts with a `struct
//   virtio_net_hdr` (include/uapi/linux/virtio_net.h, 10 octets: flags u8, gso_type u8, hdr_len,
//   gso_size, csum_start, csum_offset as u16). The u16 fields are in the device's byte order, which
//   for TUN is the host's (little-endian on x86 and arm64) unless TUNSETVNETLE/TUNSETVNETBE say
//   otherwise; those two ioctls only matter on a big-endian host, so this module reads them
//   little-endian and says so in the name.
// - With TUNSETOFFLOAD(TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6) the kernel may hand us (a) a TCP
//   super-segment of up to 64 KiB with gso_type TCPV4/TCPV6 and gso_size = the MSS it meant to use,
//   and (b) any packet with VIRTIO_NET_HDR_F_NEEDS_CSUM, i.e. a checksum field at csum_start +
//   csum_offset that holds only the folded pseudo-header sum: the sum from csum_start to the end,
//   complemented, is the real checksum. `segmentTcp` turns either into packets a peer can take:
//   cut to min(gso_size, what fits the session's MTU), IPv4 Total Length / IPv6 Payload Length,
//   IPv4 Identification (+1 per segment, as Linux's tcp_gso_segment does) and header checksum per
//   segment, TCP sequence number advanced by the payload before it, FIN and PSH only on the last
//   segment, CWR only on the first (RFC 3168 §6.1.2: CWR once per window reduction), and the TCP
//   checksum computed in full over each segment (pseudo-header, RFC 9293 §3.1 / RFC 8200 §8.1).
// - The other way, `coalesceTcp` turns a train of consecutive segments of one flow into one
//   super-segment with a vnet header (gso_type TCPV4/TCPV6, NEEDS_CSUM) for one GSO write: the
//   kernel then runs its IP input once for the train. It only merges what Linux's own GRO would
//   (net/ipv4/tcp_offload.c tcp_gro_receive): same addresses and ports, contiguous sequence
//   numbers, identical ACK, window and options, consecutive IPv4 IDs, equal TOS/TTL/DF or traffic
//   class/flow label/hop limit, no SYN/FIN/RST/URG, flags equal but for PSH (only on the last) and
//   CWR (only on the first), every payload the size of the first but the last (which may be
//   shorter), and a correct TCP checksum on each (so a corrupt segment is never laundered by a
//   checksum the kernel would then compute). Segmenting a coalesced train with its gso_size gives
//   back the same packets octet for octet; the property tests check exactly that.
//
// Hostile input: everything here may come from a misbehaving kernel or a peer (coalescing sees
// peer packets). Every length is checked against the buffer before a read; a bad header is a
// typed fault (a frozen value, no Error, no stack), never a throw, never a read past `length`.
// Bounds:
// - MAX_SEGMENTS (1366) per super-segment: Linux never sends TCP with an MSS below
//   net.ipv4.tcp_min_snd_mss (48 by default) and an IP payload is at most 65 535 octets, so
//   ceil(65535 / 48) = 1366 segments is the most a real super-segment needs; a gso_size that would
//   fan one read out into more datagrams than that is refused ('too-many-segments').
// - An IP packet is at most 65 535 octets (IPv4 Total Length; IPv6 without jumbograms, which TUN
//   GSO does not use), so coalescing stops at that size and at MAX_COALESCE segments (64, as
//   Linux's GRO caps a flow at 64 segments, MAX_GSO_SEGS in net/core/gro.c).
// - IPv6 extension headers are not walked: a super-segment with one is refused
//   ('ipv6-extension-header'); Linux's TSO over TUN does not produce them for TCP.

import { onesComplementSum } from './ipv4.js';

/** sizeof(struct virtio_net_hdr) without num_buffers (TUNSETVNETHDRSZ 10). */
export const VNET_HEADER_LENGTH = 10;
/** virtio_net_hdr.flags (include/uapi/linux/virtio_net.h). */
export const VnetFlag = Object.freeze({ needsCsum: 1, dataValid: 2 });
/** virtio_net_hdr.gso_type; `ecn` is a bit or'ed into the TCP types. */
export const VnetGso = Object.freeze({ none: 0, tcpv4: 1, udp: 3, tcpv6: 4, udpL4: 5, ecn: 0x80 });
/** See the header: the largest number of segments one super-segment may be cut into. */
export const MAX_SEGMENTS = 1366;
/** See the header: the largest number of segments coalesced into one GSO write. */
export const MAX_COALESCE = 64;

const IP_MAX = 65_535;
const PROTOCOL_TCP = 6;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_PSH = 0x08;
const TCP_URG = 0x20;
const TCP_CWR = 0x80;

/** A parsed virtio_net_hdr (host order, see the header). */
export interface VnetHeader {
  readonly flags: number;
  readonly gsoType: number;
  readonly hdrLen: number;
  readonly gsoSize: number;
  readonly csumStart: number;
  readonly csumOffset: number;
}

export type TcpSegmentFault =
  | 'short-vnet-header'
  | 'unknown-gso-type'
  | 'bad-csum-offsets'
  | 'not-ip'
  | 'bad-ip-header'
  | 'bad-ip-length'
  | 'ip-fragment'
  | 'ipv6-extension-header'
  | 'gso-not-tcp'
  | 'gso-version-mismatch'
  | 'bad-tcp-header'
  | 'bad-gso-size'
  | 'mtu-too-small'
  | 'too-many-segments'
  | 'scratch-too-small';

export interface Faulted {
  readonly ok: false;
  readonly fault: TcpSegmentFault;
}
const FAULTS = new Map<TcpSegmentFault, Faulted>();
function fault(code: TcpSegmentFault): Faulted {
  let f = FAULTS.get(code);
  if (f === undefined) {
    f = Object.freeze({ ok: false as const, fault: code });
    FAULTS.set(code, f);
  }
  return f;
}

export type VnetParse = { readonly ok: true; readonly header: VnetHeader } | Faulted;

/** Reads the virtio_net_hdr at b[at, at + 10) (little-endian, see the header). */
export function parseVnetHeaderLe(b: Uint8Array, at: number, length: number): VnetParse {
  if (at < 0 || length < VNET_HEADER_LENGTH || at + VNET_HEADER_LENGTH > b.length) return fault('short-vnet-header');
  const gsoType = b[at + 1]!;
  const base = gsoType & ~VnetGso.ecn;
  if (base !== VnetGso.none && base !== VnetGso.tcpv4 && base !== VnetGso.tcpv6 && base !== VnetGso.udpL4) {
    return fault('unknown-gso-type');
  }
  return {
    ok: true,
    header: {
      flags: b[at]!,
      gsoType,
      hdrLen: le16(b, at + 2),
      gsoSize: le16(b, at + 4),
      csumStart: le16(b, at + 6),
      csumOffset: le16(b, at + 8),
    },
  };
}

/** Writes `h` as a little-endian virtio_net_hdr at b[at, at + 10). */
export function writeVnetHeaderLe(b: Uint8Array, at: number, h: VnetHeader): void {
  b[at] = h.flags;
  b[at + 1] = h.gsoType;
  putLe16(b, at + 2, h.hdrLen);
  putLe16(b, at + 4, h.gsoSize);
  putLe16(b, at + 6, h.csumStart);
  putLe16(b, at + 8, h.csumOffset);
}

/** The header of a plain packet (no GSO, checksums complete): ten zero octets. */
export const VNET_NONE: VnetHeader = Object.freeze({
  flags: 0,
  gsoType: VnetGso.none,
  hdrLen: 0,
  gsoSize: 0,
  csumStart: 0,
  csumOffset: 0,
});

/** Receives one finished packet; `buf` may be reused after it returns, so it must send or copy. */
export type SegmentEmit = (buf: Uint8Array, at: number, length: number) => void;

export type SegmentResult =
  | {
      readonly ok: true;
      /** Packets emitted. */
      readonly segments: number;
      /** True when the packet was cut (the emitted packets came from `scratch`). */
      readonly cut: boolean;
    }
  | Faulted;

const PASSED: SegmentResult = Object.freeze({ ok: true, segments: 1, cut: false });

/** The IP and TCP layout of a packet, after the checks. */
interface Layout {
  v6: boolean;
  ipLength: number;
  tcpLength: number;
  /** IP packet length by its own header (≤ the buffer length given). */
  total: number;
}
const scratchLayout: Layout = { v6: false, ipLength: 0, tcpLength: 0, total: 0 };

/**
 * Checks the IP (v4 or v6) and TCP headers of p[at, at + length) into `out`. Returns a fault
 * or undefined. `requireTcp` false: a non-TCP packet is fine (tcpLength 0).
 */
function layoutOf(p: Uint8Array, at: number, length: number, out: Layout): TcpSegmentFault | 'not-tcp' | undefined {
  if (length < 1) return 'not-ip';
  const version = p[at]! >> 4;
  let next: number;
  if (version === 4) {
    if (length < 20) return 'bad-ip-header';
    const ihl = (p[at]! & 0x0f) * 4;
    if (ihl < 20 || ihl > length) return 'bad-ip-header';
    const total = (p[at + 2]! << 8) | p[at + 3]!;
    if (total < ihl || total > length) return 'bad-ip-length';
    out.v6 = false;
    out.ipLength = ihl;
    out.total = total;
    next = p[at + 9]!;
    // More Fragments or a fragment offset: not a whole TCP segment.
    if (next === PROTOCOL_TCP && ((p[at + 6]! & 0x3f) | p[at + 7]!) !== 0) return 'ip-fragment';
  } else if (version === 6) {
    if (length < 40) return 'bad-ip-header';
    const payload = (p[at + 4]! << 8) | p[at + 5]!;
    if (40 + payload > length) return 'bad-ip-length';
    out.v6 = true;
    out.ipLength = 40;
    out.total = 40 + payload;
    next = p[at + 6]!;
  } else {
    return 'not-ip';
  }
  if (next !== PROTOCOL_TCP) {
    out.tcpLength = 0;
    return out.v6 && isIpv6ExtensionHeader(next) ? 'ipv6-extension-header' : 'not-tcp';
  }
  const tcp = at + out.ipLength;
  if (out.ipLength + 20 > out.total) return 'bad-tcp-header';
  const offset = (p[tcp + 12]! >> 4) * 4;
  if (offset < 20 || out.ipLength + offset > out.total) return 'bad-tcp-header';
  out.tcpLength = offset;
  return undefined;
}

/** RFC 8200 §4 and the IANA list: headers that may sit between IPv6 and TCP. */
function isIpv6ExtensionHeader(n: number): boolean {
  return n === 0 || n === 43 || n === 44 || n === 50 || n === 51 || n === 60 || n === 135 || n === 139 || n === 140;
}

/**
 * Turns what one TUN read gave (the IP packet p[at, at + length) after its vnet header `vnet`)
 * into packets of at most `mtu` octets with complete checksums, handed to `emit` in order.
 * - A packet that needs no cut is emitted in place (p, at, ·), its checksum completed first when
 *   the header says NEEDS_CSUM.
 * - A TCP packet that must be cut (a GSO super-segment, or a plain TCP packet over `mtu`) is
 *   written one segment at a time into scratch[scratchAt, scratchAt + mtu) (so room before
 *   scratchAt stays free for the caller's headers) and emitted from there.
 * - A non-TCP packet over `mtu` is emitted as it is (the caller's MTU policy applies to it).
 */
export function segmentTcp(
  p: Uint8Array,
  at: number,
  length: number,
  vnet: VnetHeader,
  mtu: number,
  scratch: Uint8Array,
  scratchAt: number,
  emit: SegmentEmit,
): SegmentResult {
  if (at < 0 || length < 0 || at + length > p.length) return fault('bad-ip-length');
  const gso = vnet.gsoType & ~VnetGso.ecn;
  const L = scratchLayout;
  const problem = layoutOf(p, at, length, L);
  if (problem !== undefined && problem !== 'not-tcp') return fault(problem);
  const isTcp = problem === undefined;
  if (gso !== VnetGso.none) {
    if (gso === VnetGso.udpL4) return fault('gso-not-tcp');
    if (!isTcp) return fault('gso-not-tcp');
    if ((gso === VnetGso.tcpv6) !== L.v6) return fault('gso-version-mismatch');
    if (vnet.gsoSize === 0) return fault('bad-gso-size');
  }
  const headers = L.ipLength + L.tcpLength;
  const payload = L.total - headers;
  let mss = IP_MAX;
  if (isTcp) {
    if (mtu - headers < 1 && (gso !== VnetGso.none || L.total > mtu)) return fault('mtu-too-small');
    mss = mtu - headers;
    if (gso !== VnetGso.none && vnet.gsoSize < mss) mss = vnet.gsoSize;
  }
  if (!isTcp || payload <= mss) {
    // One packet: finish its checksum where the kernel left it partial, and pass it in place.
    if (isTcp && (gso !== VnetGso.none || (vnet.flags & VnetFlag.needsCsum) !== 0)) {
      // TCP: computed in full, whatever the field held (partial sum or stale), as for a cut.
      const t = at + L.ipLength;
      p[t + 16] = 0;
      p[t + 17] = 0;
      const addressSum = L.v6 ? onesComplementSum(p, at + 8, at + 40) : onesComplementSum(p, at + 12, at + 20);
      const pseudo = addressSum + PROTOCOL_TCP + (L.total - L.ipLength);
      putBe16(p, t + 16, ~onesComplementSum(p, t, at + L.total, pseudo) & 0xffff);
    } else if ((vnet.flags & VnetFlag.needsCsum) !== 0) {
      const field = vnet.csumStart + vnet.csumOffset;
      if (vnet.csumStart >= L.total || field + 2 > L.total) return fault('bad-csum-offsets');
      const sum = ~onesComplementSum(p, at + vnet.csumStart, at + L.total) & 0xffff;
      p[at + field] = sum >> 8;
      p[at + field + 1] = sum & 0xff;
    }
    emit(p, at, L.total);
    return PASSED;
  }
  const count = Math.ceil(payload / mss);
  if (count > MAX_SEGMENTS) return fault('too-many-segments');
  if (scratchAt < 0 || scratchAt + headers + mss > scratch.length) return fault('scratch-too-small');
  const v6 = L.v6;
  const ipLength = L.ipLength;
  const tcp = at + ipLength;
  const flags = p[tcp + 13]!;
  const seq0 = ((p[tcp + 4]! << 24) | (p[tcp + 5]! << 16) | (p[tcp + 6]! << 8) | p[tcp + 7]!) >>> 0;
  const id0 = v6 ? 0 : (p[at + 4]! << 8) | p[at + 5]!;
  // The pseudo-header's addresses (RFC 9293 §3.1, RFC 8200 §8.1), the same for every segment.
  const addressSum = v6 ? onesComplementSum(p, at + 8, at + 40) : onesComplementSum(p, at + 12, at + 20);
  const s = scratchAt;
  const st = s + ipLength;
  for (let i = 0, off = 0; i < count; i++, off += mss) {
    const n = Math.min(mss, payload - off);
    scratch.set(p.subarray(at, at + headers), s);
    scratch.set(p.subarray(at + headers + off, at + headers + off + n), s + headers);
    const segLength = headers + n;
    if (v6) {
      putBe16(scratch, s + 4, segLength - 40);
    } else {
      putBe16(scratch, s + 2, segLength);
      putBe16(scratch, s + 4, (id0 + i) & 0xffff);
      scratch[s + 10] = 0;
      scratch[s + 11] = 0;
      putBe16(scratch, s + 10, ~onesComplementSum(scratch, s, s + ipLength) & 0xffff);
    }
    const seq = (seq0 + off) >>> 0;
    scratch[st + 4] = seq >>> 24;
    scratch[st + 5] = (seq >>> 16) & 0xff;
    scratch[st + 6] = (seq >>> 8) & 0xff;
    scratch[st + 7] = seq & 0xff;
    let f = flags;
    if (i !== count - 1) f &= ~(TCP_FIN | TCP_PSH);
    if (i !== 0) f &= ~TCP_CWR;
    scratch[st + 13] = f;
    scratch[st + 16] = 0;
    scratch[st + 17] = 0;
    const tcpTotal = segLength - ipLength;
    const pseudo = addressSum + PROTOCOL_TCP + tcpTotal;
    putBe16(scratch, st + 16, ~onesComplementSum(scratch, st, s + segLength, pseudo) & 0xffff);
    emit(scratch, s, segLength);
  }
  return { ok: true, segments: count, cut: true };
}

/** A packet of a train: p[at, at + length). */
export interface PacketRef {
  readonly buf: Uint8Array;
  readonly at: number;
  readonly length: number;
}

export type CoalesceResult =
  | {
      readonly ok: true;
      /** Packets of the train (from `start`) that the write holds; at least 1. */
      readonly count: number;
      /** Octets written to out[outAt, ·): the vnet header and the IP packet. */
      readonly length: number;
      /** True when a GSO super-segment was written (count > 1). */
      readonly merged: boolean;
    }
  | Faulted;

const headLayout: Layout = { v6: false, ipLength: 0, tcpLength: 0, total: 0 };
const nextLayout: Layout = { v6: false, ipLength: 0, tcpLength: 0, total: 0 };

/**
 * Writes packets[start] and as many following packets of its TCP flow as may be merged (see the
 * header) into out[outAt, ·) as one vnet header + IP packet, for one write to a TUN device with
 * IFF_VNET_HDR. A packet that cannot start a train (not TCP, malformed, a SYN, a bad checksum)
 * is written alone behind a zero vnet header: the kernel judges it as it would without offloads.
 * The only fault is an `out` too small for packets[start] ('scratch-too-small').
 */
export function coalesceTcp(
  packets: readonly PacketRef[],
  start: number,
  out: Uint8Array,
  outAt: number,
  maxCount = MAX_COALESCE,
): CoalesceResult {
  const first = packets[start];
  if (first === undefined || first.at < 0 || first.at + first.length > first.buf.length) {
    return fault('bad-ip-length');
  }
  const space = out.length - outAt - VNET_HEADER_LENGTH;
  if (outAt < 0 || space < first.length) return fault('scratch-too-small');
  const H = headLayout;
  const fb = first.buf;
  const fa = first.at;
  const headOk = layoutOf(fb, fa, first.length, H) === undefined && canStartTrain(fb, fa, H);
  const headers = H.ipLength + H.tcpLength;
  const size = H.total - headers;
  let count = 1;
  let total = headOk ? H.total : first.length;
  let lastFlags = headOk ? fb[fa + H.ipLength + 13]! : 0;
  if (headOk && (lastFlags & TCP_PSH) === 0) {
    const N = nextLayout;
    let prev = first;
    while (start + count < packets.length && count < maxCount) {
      const q = packets[start + count]!;
      if (q.at < 0 || q.at + q.length > q.buf.length) break;
      if (layoutOf(q.buf, q.at, q.length, N) !== undefined) break;
      const n = N.total - N.ipLength - N.tcpLength;
      if (n < 1 || n > size || total + n > IP_MAX || total + n > space) break;
      if (!follows(first, prev, q, H, N, count)) break;
      if (!tcpChecksumOk(q.buf, q.at, N)) break;
      total += n;
      count++;
      lastFlags = q.buf[q.at + N.ipLength + 13]!;
      prev = q;
      if (n < size || (lastFlags & TCP_PSH) !== 0) break;
    }
  }
  const o = outAt + VNET_HEADER_LENGTH;
  if (count === 1) {
    writeVnetHeaderLe(out, outAt, VNET_NONE);
    out.set(fb.subarray(fa, fa + first.length), o);
    return { ok: true, count: 1, length: VNET_HEADER_LENGTH + first.length, merged: false };
  }
  // The super-segment: the first packet's headers, every payload in order.
  out.set(fb.subarray(fa, fa + headers), o);
  let w = o + headers;
  for (let i = 0; i < count; i++) {
    const q = packets[start + i]!;
    layoutOf(q.buf, q.at, q.length, nextLayout);
    const h = nextLayout.ipLength + nextLayout.tcpLength;
    out.set(q.buf.subarray(q.at + h, q.at + nextLayout.total), w);
    w += nextLayout.total - h;
  }
  if (H.v6) {
    putBe16(out, o + 4, total - 40);
  } else {
    putBe16(out, o + 2, total);
    out[o + 10] = 0;
    out[o + 11] = 0;
    putBe16(out, o + 10, ~onesComplementSum(out, o, o + H.ipLength) & 0xffff);
  }
  const t = o + H.ipLength;
  // PSH from the last segment (the others had none); CWR stays as the first had it.
  out[t + 13] = out[t + 13]! | (lastFlags & TCP_PSH);
  // NEEDS_CSUM: the field holds the folded pseudo-header sum, the kernel adds the rest per segment.
  const addressSum = H.v6 ? onesComplementSum(out, o + 8, o + 40) : onesComplementSum(out, o + 12, o + 20);
  let pseudo = addressSum + PROTOCOL_TCP + (total - H.ipLength);
  while (pseudo > 0xffff) pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
  putBe16(out, t + 16, pseudo);
  writeVnetHeaderLe(out, outAt, {
    flags: VnetFlag.needsCsum,
    gsoType: H.v6 ? VnetGso.tcpv6 : VnetGso.tcpv4,
    hdrLen: headers,
    gsoSize: size,
    csumStart: H.ipLength,
    csumOffset: 16,
  });
  return { ok: true, count, length: VNET_HEADER_LENGTH + total, merged: true };
}

/** A TCP segment with data, no SYN/FIN/RST/URG, no IPv4 options, and a correct checksum. */
function canStartTrain(b: Uint8Array, at: number, L: Layout): boolean {
  if (!L.v6 && L.ipLength !== 20) return false;
  const flags = b[at + L.ipLength + 13]!;
  if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_URG)) !== 0) return false;
  if (L.total - L.ipLength - L.tcpLength < 1) return false;
  return tcpChecksumOk(b, at, L);
}

/** Whether q (laid out as N) continues the train of `first` (laid out as H) right after `prev`. */
function follows(first: PacketRef, prev: PacketRef, q: PacketRef, H: Layout, N: Layout, index: number): boolean {
  if (N.v6 !== H.v6 || N.ipLength !== H.ipLength || N.tcpLength !== H.tcpLength) return false;
  const a = first.buf;
  const fa = first.at;
  const b = q.buf;
  const qa = q.at;
  if (H.v6) {
    // Version, traffic class, flow label (4 octets); next header, hop limit; both addresses.
    if (!same(a, fa, b, qa, 4) || !same(a, fa + 6, b, qa + 6, 34)) return false;
  } else {
    // TOS; DF and no fragment (checked); TTL, protocol; addresses. ID: the first's + index.
    if (a[fa + 1] !== b[qa + 1] || a[fa + 6] !== b[qa + 6] || !same(a, fa + 8, b, qa + 8, 2)) return false;
    if (!same(a, fa + 12, b, qa + 12, 8)) return false;
    const id0 = (a[fa + 4]! << 8) | a[fa + 5]!;
    if ((((b[qa + 4]! << 8) | b[qa + 5]!) & 0xffff) !== ((id0 + index) & 0xffff)) return false;
  }
  const ta = fa + H.ipLength;
  const tb = qa + N.ipLength;
  // Ports; ACK number; data offset; window; urgent pointer; options.
  if (!same(a, ta, b, tb, 4) || !same(a, ta + 8, b, tb + 8, 5) || !same(a, ta + 14, b, tb + 14, 2)) return false;
  if (!same(a, ta + 18, b, tb + 18, H.tcpLength - 18)) return false;
  // Flags: equal but for PSH (which ends the train) and CWR (first only).
  const fq = b[tb + 13]!;
  if ((fq & TCP_CWR) !== 0) return false;
  if ((fq & ~TCP_PSH) !== (a[ta + 13]! & ~(TCP_PSH | TCP_CWR))) return false;
  // Contiguous: q's sequence number is prev's plus prev's payload.
  const pa = prev.at;
  const pb = prev.buf;
  const pIp = H.v6 ? 40 : (pb[pa]! & 0x0f) * 4;
  const pTotal = H.v6 ? 40 + ((pb[pa + 4]! << 8) | pb[pa + 5]!) : (pb[pa + 2]! << 8) | pb[pa + 3]!;
  const pSeq = be32(pb, pa + pIp + 4);
  const pLen = pTotal - pIp - H.tcpLength;
  return be32(b, tb + 4) === (pSeq + pLen) >>> 0;
}

/** RFC 9293 §3.1: the TCP checksum of the laid-out packet b[at, ·) verifies. */
function tcpChecksumOk(b: Uint8Array, at: number, L: Layout): boolean {
  const addressSum = L.v6 ? onesComplementSum(b, at + 8, at + 40) : onesComplementSum(b, at + 12, at + 20);
  const pseudo = addressSum + PROTOCOL_TCP + (L.total - L.ipLength);
  return onesComplementSum(b, at + L.ipLength, at + L.total, pseudo) === 0xffff;
}

function same(a: Uint8Array, ai: number, b: Uint8Array, bi: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}

function be32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function putBe16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function le16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function putLe16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >> 8) & 0xff;
}
