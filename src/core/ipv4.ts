// IPv4 addresses and the little of IPv4 the stack itself speaks: the dotted quad ↔ number, the
// RFC 1071 Internet checksum, the RFC 791 header (read with every check, written with its
// checksum) and ICMP echo (RFC 792), for the LAC's ping and the LNS's userspace responder.
// One module, so that there is one parser and one checksum (STYLE.md E: "the same helper written
// four times"). Pure: bytes in, bytes out; the caller owns every buffer.
// Related: ../lns/userspace-responder.ts, ../lac/lac.ts, ../lns/config/ipv4.ts (ranges).
import { put16, u16, u32 } from './bytes.js';

/** IPv4 Protocol numbers (RFC 790, IANA "Assigned Internet Protocol Numbers"). */
export const IpProtocol = Object.freeze({ icmp: 1, udp: 17 });

/** ICMP types of the echo exchange (RFC 792 p. 14). */
export const IcmpType = Object.freeze({ echoReply: 0, echoRequest: 8 });

/** Length of an IPv4 header without options (IHL 5). */
export const IPV4_HEADER_LENGTH = 20;

/** Dotted quad → number (0..2^32-1), or undefined unless exactly four decimal octets 0..255. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/**
 * Dotted quad → number, exactly as parseIpv4; throws TypeError for anything else. For addresses a
 * caller was handed as configuration (a socket's bind or send address), where a bad one is misuse.
 */
export function requireIpv4(text: string): number {
  const n = parseIpv4(text);
  if (n === undefined) throw new TypeError(`not an IPv4 address: ${text}`);
  return n;
}

/** Number → dotted quad. */
export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * RFC 1071 one's-complement sum of b[from, to) added to `initial`, folded to 16 bits. An odd
 * trailing octet is padded with zero (RFC 1071 §4.1). A region that includes a valid checksum
 * sums to 0xffff.
 */
export function onesComplementSum(b: Uint8Array, from: number, to: number, initial = 0): number {
  let s = initial;
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < to) s += b[i]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The checksum field value (RFC 1071) for b[from, to) with the field zeroed, plus `initial`. */
export function internetChecksum(b: Uint8Array, from: number, to: number, initial = 0): number {
  return ~onesComplementSum(b, from, to, initial) & 0xffff;
}

/** The fixed fields of an IPv4 header (RFC 791 §3.1) that the stack reads. */
export interface Ipv4Header {
  /** IHL in octets (20..60). */
  readonly headerLength: number;
  /** Total Length: header and data, within the buffer. */
  readonly totalLength: number;
  readonly protocol: number;
  readonly source: number;
  readonly destination: number;
  /** MF set or Fragment Offset non-zero. */
  readonly isFragment: boolean;
}

/**
 * The header of the IPv4 packet at the start of `packet`, or undefined unless it is well formed:
 * version 4, IHL ≥ 5 words, Total Length covering the header and within the buffer (trailing
 * octets are allowed), and a header checksum that verifies. Never throws.
 */
export function readIpv4Header(packet: Uint8Array): Ipv4Header | undefined {
  if (packet.length < IPV4_HEADER_LENGTH) return undefined;
  const vihl = packet[0]!;
  if (vihl >>> 4 !== 4) return undefined;
  const headerLength = (vihl & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH || headerLength > packet.length) return undefined;
  const totalLength = u16(packet, 2);
  if (totalLength < headerLength || totalLength > packet.length) return undefined;
  if (onesComplementSum(packet, 0, headerLength) !== 0xffff) return undefined;
  return {
    headerLength,
    totalLength,
    protocol: packet[9]!,
    source: u32(packet, 12),
    destination: u32(packet, 16),
    isFragment: (u16(packet, 6) & 0x3fff) !== 0,
  };
}

/** What writeIpv4Header puts into a 20-octet header (no options). */
export interface Ipv4HeaderFields {
  readonly totalLength: number;
  readonly protocol: number;
  readonly source: number;
  readonly destination: number;
  /** Type of Service / DSCP+ECN octet (default 0). */
  readonly tos?: number;
  readonly identification?: number;
  /** Flags and Fragment Offset, the 16 bits at offset 6 (default 0). */
  readonly flagsAndOffset?: number;
  /** Default 64. */
  readonly ttl?: number;
}

/** Writes a 20-octet IPv4 header (IHL 5) with its checksum at b[0, 20). */
export function writeIpv4Header(b: Uint8Array, f: Ipv4HeaderFields): void {
  b[0] = 0x45;
  b[1] = f.tos ?? 0;
  put16(b, 2, f.totalLength);
  put16(b, 4, f.identification ?? 0);
  put16(b, 6, f.flagsAndOffset ?? 0);
  b[8] = f.ttl ?? 64;
  b[9] = f.protocol;
  put16(b, 10, 0);
  put16(b, 12, f.source >>> 16);
  put16(b, 14, f.source & 0xffff);
  put16(b, 16, f.destination >>> 16);
  put16(b, 18, f.destination & 0xffff);
  put16(b, 10, internetChecksum(b, 0, IPV4_HEADER_LENGTH));
}

/** An ICMP echo request or reply (RFC 792) read from an IPv4 packet. */
export interface IcmpEcho {
  readonly ip: Ipv4Header;
  readonly type: number;
  readonly identifier: number;
  readonly sequence: number;
}

/**
 * The ICMP echo request or reply in `packet`, or undefined for anything else: a malformed header
 * (readIpv4Header), a fragment, another protocol or type, a non-zero code, fewer than 8 octets
 * of ICMP or an ICMP checksum that does not verify. Never throws. `ip` saves a second read of a
 * header the caller has already checked with readIpv4Header.
 */
export function parseIcmpEcho(packet: Uint8Array, ip = readIpv4Header(packet)): IcmpEcho | undefined {
  if (ip === undefined || ip.isFragment || ip.protocol !== IpProtocol.icmp) return undefined;
  const at = ip.headerLength;
  if (ip.totalLength - at < 8) return undefined;
  const type = packet[at]!;
  if ((type !== IcmpType.echoRequest && type !== IcmpType.echoReply) || packet[at + 1] !== 0) return undefined;
  if (onesComplementSum(packet, at, ip.totalLength) !== 0xffff) return undefined;
  return { ip, type, identifier: u16(packet, at + 4), sequence: u16(packet, at + 6) };
}

/** What buildIcmpEcho puts into its packet. */
export interface IcmpEchoFields {
  readonly type: number;
  readonly source: number;
  readonly destination: number;
  readonly identifier: number;
  readonly sequence: number;
  readonly data: Uint8Array;
  /** The IPv4 header's fields besides length, protocol and addresses. */
  readonly ip?: Omit<Ipv4HeaderFields, 'totalLength' | 'protocol' | 'source' | 'destination'>;
}

/** A new IPv4 packet (20-octet header) carrying an ICMP echo message, both checksums set. */
export function buildIcmpEcho(f: IcmpEchoFields): Uint8Array {
  const total = IPV4_HEADER_LENGTH + 8 + f.data.length;
  const b = new Uint8Array(total);
  writeIpv4Header(b, {
    ...f.ip,
    totalLength: total,
    protocol: IpProtocol.icmp,
    source: f.source,
    destination: f.destination,
  });
  const at = IPV4_HEADER_LENGTH;
  b[at] = f.type;
  put16(b, at + 4, f.identifier);
  put16(b, at + 6, f.sequence);
  b.set(f.data, at + 8);
  put16(b, at + 2, internetChecksum(b, at, total));
  return b;
}
