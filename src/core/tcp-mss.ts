// TCP MSS clamping (l2tpns `tcp_mss_adjust`, iptables TCPMSS --clamp-mss-to-pmtu): the MSS option
// of an IPv4 TCP SYN is lowered in place to what fits the session, so that TCP through a tunnel
// with an MTU below 1500 never needs fragments or Path MTU Discovery (which ICMP filters break).
// Pure: bytes in, bytes changed, no allocation. Related: ../lns/lns.ts (where it is applied).
//
// Only a packet that is IPv4, not a fragment, TCP with SYN set and a well-formed option list with
// an MSS option larger than the limit is changed; anything else is left exactly as it is (a
// malformed option list is not "repaired": it is the receiver's to judge). The TCP checksum is
// updated incrementally (RFC 1624 eqn. 3), so a packet with a wrong checksum stays wrong.

const PROTOCOL_TCP = 6;
const TCP_SYN = 0x02;
const OPTION_END = 0;
const OPTION_NOP = 1;
const OPTION_MSS = 2;

/** The MSS for a link MTU: IPv4 (20) and TCP (20) headers without options off the MTU. */
export function mssForMtu(mtu: number): number {
  return Math.max(0, mtu - 40);
}

/**
 * Lowers the MSS option of the IPv4 TCP SYN at buf[at, at + length) to `mss` when it is larger.
 * Returns true when the packet was changed.
 */
export function clampMss(buf: Uint8Array, at: number, length: number, mss: number): boolean {
  if (length < 40 || buf[at]! >> 4 !== 4) return false;
  const ihl = (buf[at]! & 0x0f) * 4;
  if (ihl < 20 || buf[at + 9] !== PROTOCOL_TCP) return false;
  // Fragment offset or More Fragments set: not a whole first segment, leave it.
  if (((buf[at + 6]! & 0x3f) | buf[at + 7]!) !== 0) return false;
  const totalLength = (buf[at + 2]! << 8) | buf[at + 3]!;
  const end = at + Math.min(length, totalLength);
  const tcp = at + ihl;
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
