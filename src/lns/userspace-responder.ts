// The built-in IP responder of `l2tp-ts lns --userspace` (no TUN, no root): answers IPv4 ICMP
// echo requests (RFC 792) and UDP echo on port 7 (RFC 862) addressed to a local address.
// Pure: bytes in, bytes out. Related: src/lns/lns.ts (routeIp), RFC 791 §3.1, RFC 768, RFC 1071.
import { put16, u16, u32 } from '../core/bytes.js';

const PROTO_ICMP = 1;
const PROTO_UDP = 17;
const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;
const UDP_ECHO_PORT = 7;
const REPLY_TTL = 64;

/** RFC 1071 one's-complement sum of b[from, to), folded to 16 bits, added to `initial`. */
function sum16(b: Uint8Array, from: number, to: number, initial = 0): number {
  let s = initial;
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < to) s += b[i]! << 8; // RFC 1071: an odd trailing octet is padded with zero
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The checksum field value for bytes whose sum (with the field zeroed) is `s`. */
const checksumOf = (s: number): number => ~s & 0xffff;

/** Addresses we never answer: 0/8, 127/8 as a source, multicast, limited broadcast. */
function isUnicastSource(a: number): boolean {
  const first = a >>> 24;
  return first !== 0 && first !== 127 && first < 224;
}

/**
 * The reply to `packet` (an IPv4 packet as carried in PPP protocol 0x0021) when it is an ICMP echo
 * request or a UDP port-7 datagram addressed to an address for which `localAddresses` is true;
 * undefined for anything else (including malformed, fragmented or badly checksummed packets).
 * Never throws; the reply is a new array and `packet` is not modified.
 */
export function respond(packet: Uint8Array, localAddresses: (addr: number) => boolean): Uint8Array | undefined {
  // RFC 791 §3.1: version 4, IHL >= 5 words, Total Length covers the header and fits the buffer.
  if (packet.length < 20) return undefined;
  const vihl = packet[0]!;
  if (vihl >>> 4 !== 4) return undefined;
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < 20 || ihl > packet.length) return undefined;
  const total = u16(packet, 2);
  if (total < ihl || total > packet.length) return undefined;
  if (sum16(packet, 0, ihl) !== 0xffff) return undefined; // header checksum (RFC 791, RFC 1071)
  // A fragment (MF set or offset != 0) is not reassembled here: ignore it.
  if ((u16(packet, 6) & 0x3fff) !== 0) return undefined;
  const src = u32(packet, 12);
  const dst = u32(packet, 16);
  if (!localAddresses(dst) || !isUnicastSource(src)) return undefined;
  const proto = packet[9]!;
  const payloadLength = total - ihl;

  if (proto === PROTO_ICMP) {
    if (payloadLength < 8) return undefined;
    if (packet[ihl] !== ICMP_ECHO_REQUEST || packet[ihl + 1] !== 0) return undefined;
    if (sum16(packet, ihl, total) !== 0xffff) return undefined; // RFC 792: checksum over the ICMP message
    const reply = replyHeader(packet, ihl, total, src, dst);
    // RFC 792: "the source and destination addresses are simply reversed, the type code changed
    // to 0, and the checksum recomputed"; identifier, sequence number and data are echoed.
    reply[20] = ICMP_ECHO_REPLY;
    put16(reply, 22, 0);
    put16(reply, 22, checksumOf(sum16(reply, 20, reply.length)));
    return reply;
  }

  if (proto === PROTO_UDP) {
    if (payloadLength < 8) return undefined;
    const udpLength = u16(packet, ihl + 4);
    if (udpLength < 8 || udpLength > payloadLength) return undefined;
    if (u16(packet, ihl + 2) !== UDP_ECHO_PORT) return undefined;
    const sourcePort = u16(packet, ihl);
    if (sourcePort === 0) return undefined; // RFC 768: port 0 means "no reply expected"
    const checksum = u16(packet, ihl + 6);
    if (checksum !== 0 && udpChecksumSum(packet, ihl, ihl + udpLength, src, dst) !== 0xffff) return undefined;
    const reply = replyHeader(packet, ihl, ihl + udpLength, src, dst);
    put16(reply, 20, UDP_ECHO_PORT);
    put16(reply, 22, sourcePort);
    put16(reply, 26, 0);
    // RFC 768: a computed checksum of zero is sent as all ones (zero means "none").
    put16(reply, 26, checksumOf(udpChecksumSum(reply, 20, reply.length, dst, src)) || 0xffff);
    return reply;
  }
  return undefined;
}

/** RFC 768 sum over the pseudo header (src, dst, zero, protocol, UDP length) and the datagram. */
function udpChecksumSum(b: Uint8Array, from: number, to: number, src: number, dst: number): number {
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + PROTO_UDP + (to - from);
  return sum16(b, from, to, pseudo);
}

/**
 * A new packet: a 20-byte IPv4 header (options dropped) from `to` back to `from`, followed by
 * packet[ihl, end). Identification and the DF flag are kept; TTL is reset.
 */
function replyHeader(packet: Uint8Array, ihl: number, end: number, from: number, to: number): Uint8Array {
  const reply = new Uint8Array(20 + end - ihl);
  reply.set(packet.subarray(ihl, end), 20);
  reply[0] = 0x45;
  reply[1] = packet[1]!; // DSCP/ECN echoed
  put16(reply, 2, reply.length);
  put16(reply, 4, u16(packet, 4));
  put16(reply, 6, u16(packet, 6) & 0x4000);
  reply[8] = REPLY_TTL;
  reply[9] = packet[9]!;
  put16(reply, 12, to >>> 16);
  put16(reply, 14, to & 0xffff);
  put16(reply, 16, from >>> 16);
  put16(reply, 18, from & 0xffff);
  put16(reply, 10, checksumOf(sum16(reply, 0, 20)));
  return reply;
}
