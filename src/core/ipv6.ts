// IPv6 addresses and the little of IPv6 the stack itself speaks: the text form ↔ 16 octets
// (RFC 4291 §2.2 in, RFC 5952 out), the RFC 8200 fixed header (read with every check, written),
// the ICMPv6 checksum over the pseudo-header (RFC 8200 §8.1, RFC 4443 §2.3) and ICMPv6 echo
// (RFC 4443 §4). The IPv6 counterpart of ipv4.ts: pure, bytes in, bytes out, the caller owns
// every buffer. Related: ipv4.ts (onesComplementSum), ../lns/router-advert.ts,
// ../lns/userspace-responder.ts, ../session/ipv6-admission.ts.
import { put16, u16 } from './bytes.js';
import { onesComplementSum } from './ipv4.js';

/** Length of the fixed IPv6 header (RFC 8200 §3). */
export const IPV6_HEADER_LENGTH = 40;

/** Next Header values the stack reads (IANA "Assigned Internet Protocol Numbers"). */
export const Ipv6NextHeader = Object.freeze({ udp: 17, icmpv6: 58 });

/** ICMPv6 types (RFC 4443 §2.1, RFC 4861 §4). */
export const Icmpv6Type = Object.freeze({
  echoRequest: 128,
  echoReply: 129,
  routerSolicitation: 133,
  routerAdvertisement: 134,
  neighborSolicitation: 135,
});

/** Offsets in the fixed header (RFC 8200 §3). */
export const Ipv6Field = Object.freeze({ payloadLength: 4, nextHeader: 6, hopLimit: 7, source: 8, destination: 24 });

/**
 * Text → 16 octets, or undefined: eight groups of 1-4 hex digits, or fewer with one `::` (RFC 4291
 * §2.2 forms 1 and 2). The dotted-quad tail of form 3 is not accepted (no configuration needs it).
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    put16(out, 2 * i, Number.parseInt(g, 16));
  }
  return out;
}

/** 16 octets at b[at…] → RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIpv6(b: Uint8Array, at = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(u16(b, at + 2 * i));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** True when a[ai, ai+n) equals b[bi, bi+n). */
export function sameOctets(a: Uint8Array, ai: number, b: Uint8Array, bi: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}

/** fe80::/10 (RFC 4291 §2.5.6) or multicast ff00::/8 with a scope of link or smaller (RFC 4291 §2.7). */
export function isLinkScope(b: Uint8Array, at: number): boolean {
  const first = b[at]!;
  if (first === 0xfe && (b[at + 1]! & 0xc0) === 0x80) return true;
  return first === 0xff && (b[at + 1]! & 0x0f) <= 2;
}

/** ::, the unspecified address (RFC 4291 §2.5.2). */
export function isUnspecified(b: Uint8Array, at: number): boolean {
  for (let i = 0; i < 16; i++) if (b[at + i] !== 0) return false;
  return true;
}

/** pppd's "xxxx:xxxx:xxxx:xxxx" interface identifier (ppp/ipv6cp.ts formatInterfaceId) as 8 octets; zeros if malformed. */
export function interfaceIdFromText(text: string): Uint8Array {
  const a = text.split(':').length === 4 ? parseIpv6(`${text}::`) : undefined;
  return a === undefined ? new Uint8Array(8) : a.slice(0, 8);
}

/** fe80::<id>, the link-local address of an 8-octet interface identifier (RFC 4291 §2.5.6, RFC 5072 §5). */
export function linkLocalOf(id: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set(id.subarray(0, 8), 8);
  return a;
}

/** The fixed header of an IPv6 packet that the stack reads. */
export interface Ipv6Header {
  readonly nextHeader: number;
  readonly hopLimit: number;
  /** 40 + Payload Length: where the packet ends in the buffer (trailing octets are allowed). */
  readonly end: number;
}

/**
 * The header of the IPv6 packet at the start of `packet`, or undefined unless version 6 and the
 * Payload Length fits the buffer (RFC 8200 §3; jumbograms, RFC 2675, are not carried on PPP).
 */
export function readIpv6Header(packet: Uint8Array): Ipv6Header | undefined {
  if (packet.length < IPV6_HEADER_LENGTH || packet[0]! >> 4 !== 6) return undefined;
  const end = IPV6_HEADER_LENGTH + u16(packet, Ipv6Field.payloadLength);
  if (end > packet.length) return undefined;
  return { nextHeader: packet[Ipv6Field.nextHeader]!, hopLimit: packet[Ipv6Field.hopLimit]!, end };
}

/** Writes the fixed header at b[0, 40): traffic class and flow label zero. */
export function writeIpv6Header(
  b: Uint8Array,
  f: { payloadLength: number; nextHeader: number; hopLimit: number; source: Uint8Array; destination: Uint8Array },
): void {
  b.fill(0, 0, 4);
  b[0] = 0x60;
  put16(b, Ipv6Field.payloadLength, f.payloadLength);
  b[Ipv6Field.nextHeader] = f.nextHeader;
  b[Ipv6Field.hopLimit] = f.hopLimit;
  b.set(f.source.subarray(0, 16), Ipv6Field.source);
  b.set(f.destination.subarray(0, 16), Ipv6Field.destination);
}

/**
 * RFC 8200 §8.1 upper-layer sum of the packet at the start of `packet` whose header says
 * `nextHeader` and whose upper-layer data is packet[40, end): pseudo-header (source, destination,
 * upper-layer length, next header) plus the data. A region with a valid checksum sums to 0xffff.
 */
export function upperLayerSum(packet: Uint8Array, end: number, nextHeader: number): number {
  const length = end - IPV6_HEADER_LENGTH;
  const pseudo = onesComplementSum(
    packet,
    Ipv6Field.source,
    Ipv6Field.source + 32,
    (length >>> 16) + (length & 0xffff) + nextHeader,
  );
  return onesComplementSum(packet, IPV6_HEADER_LENGTH, end, pseudo);
}

/** Sets the ICMPv6 checksum (RFC 4443 §2.3) of the packet packet[0, end) whose ICMPv6 message starts at 40. */
export function setIcmpv6Checksum(packet: Uint8Array, end: number): void {
  put16(packet, IPV6_HEADER_LENGTH + 2, 0);
  put16(packet, IPV6_HEADER_LENGTH + 2, ~upperLayerSum(packet, end, Ipv6NextHeader.icmpv6) & 0xffff);
}

/** An ICMPv6 message read from an IPv6 packet with no extension headers. */
export interface Icmpv6Message {
  readonly ip: Ipv6Header;
  readonly type: number;
  readonly code: number;
}

/**
 * The ICMPv6 message in `packet`, or undefined: a malformed header, a Next Header other than 58
 * (extension headers are not walked), fewer than 4 octets of ICMPv6 or a checksum that does not
 * verify (RFC 4443 §2.3). Never throws.
 */
export function parseIcmpv6(packet: Uint8Array): Icmpv6Message | undefined {
  const ip = readIpv6Header(packet);
  if (ip === undefined || ip.nextHeader !== Ipv6NextHeader.icmpv6 || ip.end - IPV6_HEADER_LENGTH < 4) return undefined;
  if (upperLayerSum(packet, ip.end, Ipv6NextHeader.icmpv6) !== 0xffff) return undefined;
  return { ip, type: packet[IPV6_HEADER_LENGTH]!, code: packet[IPV6_HEADER_LENGTH + 1]! };
}

/** A new IPv6 packet carrying one ICMPv6 message `body` (type, code, zero checksum, rest), its checksum set. */
export function buildIcmpv6(
  source: Uint8Array,
  destination: Uint8Array,
  hopLimit: number,
  body: Uint8Array,
): Uint8Array {
  const b = new Uint8Array(IPV6_HEADER_LENGTH + body.length);
  writeIpv6Header(b, { payloadLength: body.length, nextHeader: Ipv6NextHeader.icmpv6, hopLimit, source, destination });
  b.set(body, IPV6_HEADER_LENGTH);
  setIcmpv6Checksum(b, b.length);
  return b;
}

/** What buildIcmpv6Echo puts into its packet. */
export interface Icmpv6EchoFields {
  readonly type: number;
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly identifier: number;
  readonly sequence: number;
  readonly data: Uint8Array;
  /** Default 64. */
  readonly hopLimit?: number;
}

/** A new IPv6 packet carrying an ICMPv6 echo request or reply (RFC 4443 §4.1-4.2). */
export function buildIcmpv6Echo(f: Icmpv6EchoFields): Uint8Array {
  const body = new Uint8Array(8 + f.data.length);
  body[0] = f.type;
  put16(body, 4, f.identifier);
  put16(body, 6, f.sequence);
  body.set(f.data, 8);
  return buildIcmpv6(f.source, f.destination, f.hopLimit ?? 64, body);
}

/** An ICMPv6 echo request or reply read from a packet (see parseIcmpv6). */
export interface Icmpv6Echo {
  readonly type: number;
  readonly identifier: number;
  readonly sequence: number;
}

/** The ICMPv6 echo request or reply in `packet` (code 0, at least 8 octets), or undefined. */
export function parseIcmpv6Echo(packet: Uint8Array): Icmpv6Echo | undefined {
  const m = parseIcmpv6(packet);
  if (m === undefined || m.code !== 0 || m.ip.end - IPV6_HEADER_LENGTH < 8) return undefined;
  if (m.type !== Icmpv6Type.echoRequest && m.type !== Icmpv6Type.echoReply) return undefined;
  return {
    type: m.type,
    identifier: u16(packet, IPV6_HEADER_LENGTH + 4),
    sequence: u16(packet, IPV6_HEADER_LENGTH + 6),
  };
}

/**
 * The reply to an ICMPv6 echo request in `packet` addressed to a unicast address for which `local`
 * is true (RFC 4443 §4.2: identifier, sequence and data echoed, source and destination swapped),
 * or undefined for anything else. A request to a multicast address or from one is not answered
 * here. Never throws; `packet` is not modified.
 */
export function icmpv6EchoReply(
  packet: Uint8Array,
  local: (b: Uint8Array, at: number) => boolean,
): Uint8Array | undefined {
  const echo = parseIcmpv6Echo(packet);
  if (echo === undefined || echo.type !== Icmpv6Type.echoRequest) return undefined;
  const { source: src, destination: dst } = Ipv6Field;
  if (packet[dst] === 0xff || packet[src] === 0xff || isUnspecified(packet, src) || !local(packet, dst))
    return undefined;
  const end = IPV6_HEADER_LENGTH + u16(packet, Ipv6Field.payloadLength);
  const body = packet.slice(IPV6_HEADER_LENGTH, end);
  body[0] = Icmpv6Type.echoReply;
  return buildIcmpv6(packet.subarray(dst, dst + 16), packet.subarray(src, src + 16), 64, body);
}
