// TCP MSS clamping (l2tpns `tcp_mss_adjust`, iptables TCPMSS --clamp-mss-to-pmtu): the MSS option
// of an IPv4 or IPv6 TCP SYN is lowered in place to what fits the session, so that TCP through a
// tunnel with an MTU below 1500 never needs fragments or Path MTU Discovery (which ICMP filters
// break). Pure: bytes in, bytes changed, no allocation. Related: ../lns/lns.ts (where it is applied).
//
// Only a packet that is IPv4 and not a fragment, or IPv6 whose TCP header follows the fixed header
// or hop-by-hop / routing / destination-options headers (at most 8, no Fragment header), TCP with
// SYN set and a well-formed option list with an MSS option larger than the limit is changed;
// anything else is left exactly as it is (a malformed option list is not "repaired": it is the
// receiver's to judge). The TCP checksum is updated incrementally (RFC 1624 eqn. 3), so a packet
// with a wrong checksum stays wrong. IPv6's header is 20 octets longer than IPv4's: the MSS that
// fits one MTU is 20 less (RFC 8200 §5: MSS = MTU − 60), which the caller passes as `ipv6Less`.

const PROTOCOL_TCP = 6;
const TCP_SYN = 0x02;
const OPTION_END = 0;
const OPTION_NOP = 1;
const OPTION_MSS = 2;

/** The MSS for a link MTU: IPv4 (20) and TCP (20) headers without options off the MTU. */
export function mssForMtu(mtu: number): number {
  return Math.max(0, mtu - 40);
}

/** IPv6 extension headers walked to the TCP header (RFC 8200 §4.1): hop-by-hop, routing, destination options. */
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_DEST_OPTIONS = 60;
/** Bound on the extension headers walked: a chain longer than this is left alone (RFC 8200 allows few). */
const MAX_IPV6_EXTENSIONS = 8;

/**
 * Lowers the MSS option of the TCP SYN at buf[at, at + length) to `mss` (IPv4) or `mss − ipv6Less`
 * (IPv6) when it is larger. Returns true when the packet was changed.
 */
export function clampMss(buf: Uint8Array, at: number, length: number, mss: number, ipv6Less = 0): boolean {
  if (length < 40) return false;
  const version = buf[at]! >> 4;
  if (version === 6) return clampMss6(buf, at, length, Math.max(0, mss - ipv6Less));
  if (version !== 4) return false;
  const ihl = (buf[at]! & 0x0f) * 4;
  if (ihl < 20 || buf[at + 9] !== PROTOCOL_TCP) return false;
  // Fragment offset or More Fragments set: not a whole first segment, leave it.
  if (((buf[at + 6]! & 0x3f) | buf[at + 7]!) !== 0) return false;
  const totalLength = (buf[at + 2]! << 8) | buf[at + 3]!;
  return clampSyn(buf, at + ihl, at + Math.min(length, totalLength), mss);
}

function clampMss6(buf: Uint8Array, at: number, length: number, mss: number): boolean {
  if (length < 60) return false;
  const payloadLength = (buf[at + 4]! << 8) | buf[at + 5]!;
  const end = at + Math.min(length, 40 + payloadLength);
  let next = buf[at + 6]!;
  let p = at + 40;
  for (let n = 0; next !== PROTOCOL_TCP; n++) {
    if (n === MAX_IPV6_EXTENSIONS || p + 8 > end) return false;
    if (next !== IPV6_HOP_BY_HOP && next !== IPV6_ROUTING && next !== IPV6_DEST_OPTIONS) return false;
    next = buf[p]!;
    p += (buf[p + 1]! + 1) * 8;
  }
  return clampSyn(buf, p, end, mss);
}

/** The TCP header at buf[tcp, end): its MSS option lowered to `mss` if this is a SYN carrying a larger one. */
function clampSyn(buf: Uint8Array, tcp: number, end: number, mss: number): boolean {
  if (tcp + 20 > end || (buf[tcp + 13]! & TCP_SYN) === 0) return false;
  const dataOffset = (buf[tcp + 12]! >> 4) * 4;
  if (dataOffset < 20 || tcp + dataOffset > end) return false;
  let p = tcp + 20;
  const optionsEnd = tcp + dataOffset;
  while (p < optionsEnd) {
    const kind = buf[p]!;
    if (kind === OPTION_END) return false;
    if (kind === OPTION_NOP) {
      p++;
      continue;
    }
    if (p + 1 >= optionsEnd) return false;
    const len = buf[p + 1]!;
    if (len < 2 || p + len > optionsEnd) return false;
    if (kind === OPTION_MSS) {
      if (len !== 4) return false;
      const old = (buf[p + 2]! << 8) | buf[p + 3]!;
      if (old <= mss) return false;
      buf[p + 2] = mss >> 8;
      buf[p + 3] = mss & 0xff;
      // An option at an odd offset straddles two 16-bit words of the sum: its octets count
      // swapped there (a one's complement sum does not care which word holds which octet).
      const odd = ((p + 2 - tcp) & 1) === 1;
      updateChecksum(buf, tcp + 16, odd ? swap16(old) : old, odd ? swap16(mss) : mss);
      return true;
    }
    p += len;
  }
  return false;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >> 8);
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word changed from m to m'. */
function updateChecksum(buf: Uint8Array, at: number, from: number, to: number): void {
  const hc = (buf[at]! << 8) | buf[at + 1]!;
  let sum = (~hc & 0xffff) + (~from & 0xffff) + to;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const out = ~sum & 0xffff;
  buf[at] = out >> 8;
  buf[at + 1] = out & 0xff;
}
