// The built-in IP responder of `l2tp-ts lns --userspace` (no TUN, no root): answers IPv4 ICMP
// echo requests (RFC 792) and UDP echo on port 7 (RFC 862) addressed to a local address.
// Pure: bytes in, bytes out. Related: src/lns/lns.ts (answerIp), ../core/ipv4.ts, RFC 791 §3.1, RFC 768, RFC 1071.
import { put16, u16, u32 } from '../core/bytes.js';
import {
  IcmpType,
  IpProtocol,
  internetChecksum,
  onesComplementSum,
  parseIcmpEcho,
  readIpv4Header,
  writeIpv4Header,
} from '../core/ipv4.js';

const UDP_ECHO_PORT = 7;
const REPLY_TTL = 64;

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
  // RFC 791 §3.1: version 4, IHL >= 5 words, Total Length covers the header and fits the buffer,
  // header checksum (RFC 1071). A fragment (MF set or offset != 0) is not reassembled here.
  const ip = readIpv4Header(packet);
  if (ip === undefined || ip.isFragment) return undefined;
  const { headerLength: ihl, totalLength: total, source: src, destination: dst } = ip;
  if (!localAddresses(dst) || !isUnicastSource(src)) return undefined;
  const payloadLength = total - ihl;

  if (ip.protocol === IpProtocol.icmp) {
    // RFC 792: the checksum over the ICMP message must verify.
    const echo = parseIcmpEcho(packet, ip);
    if (echo === undefined || echo.type !== IcmpType.echoRequest) return undefined;
    const reply = replyHeader(packet, ihl, total, src, dst);
    // RFC 792: "the source and destination addresses are simply reversed, the type code changed
    // to 0, and the checksum recomputed"; identifier, sequence number and data are echoed.
    reply[20] = IcmpType.echoReply;
    put16(reply, 22, 0);
    put16(reply, 22, internetChecksum(reply, 20, reply.length));
    return reply;
  }

  if (ip.protocol === IpProtocol.udp) {
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
    put16(reply, 26, ~udpChecksumSum(reply, 20, reply.length, dst, src) & 0xffff || 0xffff);
    return reply;
  }
  return undefined;
}

/**
 * The reply to `packet` (see respond) as IPv4 datagrams of at most `mtu` octets each: the peer's
 * acked MRU (RFC 1661 §6.1) bounds what we may send. A reply that does not fit is fragmented as
 * the originating host (RFC 791 §3.2, RFC 1122 §3.3.3), as Linux does for its ICMP echo replies
 * (their socket sends with IP_PMTUDISC_DONT): the DF bit copied from the request is cleared and
 * every fragment but the last carries a multiple of 8 octets of data. Empty when there is no reply
 * or `mtu` cannot hold a header and 8 octets.
 */
export function respondWithin(
  packet: Uint8Array,
  localAddresses: (addr: number) => boolean,
  mtu: number,
): Uint8Array[] {
  const reply = respond(packet, localAddresses);
  if (reply === undefined) return [];
  if (reply.length <= mtu) return [reply];
  return fragment(reply, mtu);
}

/** RFC 791 §3.2 fragmentation of a whole datagram with a 20-octet header (as replyHeader builds). */
function fragment(datagram: Uint8Array, mtu: number): Uint8Array[] {
  const step = Math.floor((mtu - 20) / 8) * 8;
  if (step <= 0) return [];
  const out: Uint8Array[] = [];
  const data = datagram.subarray(20);
  for (let at = 0; at < data.length; at += step) {
    const chunk = data.subarray(at, Math.min(at + step, data.length));
    const more = at + step < data.length;
    const f = new Uint8Array(20 + chunk.length);
    f.set(chunk, 20);
    writeIpv4Header(f, {
      totalLength: f.length,
      protocol: datagram[9]!,
      source: u32(datagram, 12),
      destination: u32(datagram, 16),
      tos: datagram[1]!,
      identification: u16(datagram, 4),
      flagsAndOffset: (more ? 0x2000 : 0) | (at / 8),
      ttl: datagram[8]!,
    });
    out.push(f);
  }
  return out;
}

/** RFC 768 sum over the pseudo header (src, dst, zero, protocol, UDP length) and the datagram. */
function udpChecksumSum(b: Uint8Array, from: number, to: number, src: number, dst: number): number {
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IpProtocol.udp + (to - from);
  return onesComplementSum(b, from, to, pseudo);
}

/**
 * A new packet: a 20-byte IPv4 header (options dropped) from `to` back to `from`, followed by
 * packet[ihl, end). Identification and the DF flag are kept; TTL is reset.
 */
function replyHeader(packet: Uint8Array, ihl: number, end: number, from: number, to: number): Uint8Array {
  const reply = new Uint8Array(20 + end - ihl);
  reply.set(packet.subarray(ihl, end), 20);
  writeIpv4Header(reply, {
    totalLength: reply.length,
    protocol: packet[9]!,
    source: to,
    destination: from,
    tos: packet[1]!, // DSCP/ECN echoed
    identification: u16(packet, 4),
    flagsAndOffset: u16(packet, 6) & 0x4000,
    ttl: REPLY_TTL,
  });
  return reply;
}
