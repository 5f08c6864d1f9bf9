// Router Advertisement (RFC 4861 §4.2) as the LNS sends it on a PPP link, and the validity check of
// a Router Solicitation it answers (§6.1.1). One /64 per session in a Prefix Information option
// with the L and A flags (§4.6.2), so that the peer autoconfigures its address from the prefix and
// the interface identifier IPv6CP negotiated (RFC 4862 §5.5.3, RFC 5072 §5); an MTU option
// (§4.6.4) when the link MTU is known. No Source Link-Layer Address option: PPP has no link-layer
// address (RFC 4861 §4.2: "MAY be omitted"). Pure: bytes in, bytes out.
// Related: ../core/ipv6.ts, ipv6-sessions.ts (when to send), ipv6-prefixes.ts.
import { put16, put32 } from '../core/bytes.js';
import { buildIcmpv6, Icmpv6Type, IPV6_HEADER_LENGTH, Ipv6Field, isUnspecified, parseIcmpv6 } from '../core/ipv6.js';

/** ff02::1, all-nodes (RFC 4291 §2.7.1): where RAs go, solicited (§6.2.6 allows it) or not. */
export const ALL_NODES = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/** §6.1.2 and §6.1.1: Neighbor Discovery packets are sent and accepted with hop limit 255 only. */
export const ND_HOP_LIMIT = 255;

/** Prefix Information flags (§4.6.2): on-link (L) and autonomous address-configuration (A). */
const PIO_L = 0x80;
const PIO_A = 0x40;

/** Lifetimes of an RA (seconds); the defaults are radvd's (§6.2.1 AdvDefaultLifetime = 3 × 600 s, AdvValidLifetime, AdvPreferredLifetime). */
export interface RouterAdvertTimes {
  readonly routerLifetimeS: number;
  readonly validLifetimeS: number;
  readonly preferredLifetimeS: number;
}

export const DEFAULT_RA_TIMES: RouterAdvertTimes = Object.freeze({
  routerLifetimeS: 1800,
  validLifetimeS: 86_400,
  preferredLifetimeS: 14_400,
});

/** What one RA says. */
export interface RouterAdvertFields {
  /** Our link-local address, fe80::<our interface identifier> (§4.2: "MUST be the link-local address"). */
  readonly source: Uint8Array;
  /** Default all-nodes. */
  readonly destination?: Uint8Array;
  /** The session's /64: its first 8 octets; absent: no Prefix Information (link-local only). */
  readonly prefix?: Uint8Array;
  /** The link MTU for the MTU option; absent: no option. */
  readonly mtu?: number;
  readonly times?: RouterAdvertTimes;
}

/** A new IPv6 packet carrying a Router Advertisement (hop limit 255, checksum set). */
export function buildRouterAdvert(f: RouterAdvertFields): Uint8Array {
  const times = f.times ?? DEFAULT_RA_TIMES;
  const length = 16 + (f.mtu === undefined ? 0 : 8) + (f.prefix === undefined ? 0 : 32);
  const body = new Uint8Array(length);
  body[0] = Icmpv6Type.routerAdvertisement;
  // Cur Hop Limit 64 (the hosts' default, §6.2.1 AdvCurHopLimit); M and O clear (no DHCPv6).
  body[4] = 64;
  put16(body, 6, times.routerLifetimeS);
  // Reachable Time and Retrans Timer 0: unspecified by this router (§4.2).
  let at = 16;
  if (f.mtu !== undefined) {
    body[at] = 5; // MTU option, length 1 (8 octets)
    body[at + 1] = 1;
    put32(body, at + 4, f.mtu);
    at += 8;
  }
  if (f.prefix !== undefined) {
    body[at] = 3; // Prefix Information, length 4 (32 octets)
    body[at + 1] = 4;
    body[at + 2] = 64;
    body[at + 3] = PIO_L | PIO_A;
    put32(body, at + 4, times.validLifetimeS);
    put32(body, at + 8, times.preferredLifetimeS);
    body.set(f.prefix.subarray(0, 8), at + 16);
  }
  return buildIcmpv6(f.source, f.destination ?? ALL_NODES, ND_HOP_LIMIT, body);
}

/**
 * True when `packet` is a valid Router Solicitation (RFC 4861 §6.1.1): hop limit 255, ICMPv6
 * checksum verifies, code 0, at least 8 octets, every option of non-zero length within the
 * message, and no Source Link-Layer Address option when the source is unspecified.
 */
export function isRouterSolicitation(packet: Uint8Array): boolean {
  const m = parseIcmpv6(packet);
  if (m === undefined || m.type !== Icmpv6Type.routerSolicitation || m.code !== 0) return false;
  if (m.ip.hopLimit !== ND_HOP_LIMIT || m.ip.end - IPV6_HEADER_LENGTH < 8) return false;
  const unspecified = isUnspecified(packet, Ipv6Field.source);
  for (let at = IPV6_HEADER_LENGTH + 8; at < m.ip.end; ) {
    if (at + 2 > m.ip.end) return false;
    const len = packet[at + 1]! * 8;
    if (len === 0 || at + len > m.ip.end) return false;
    if (packet[at] === 1 && unspecified) return false;
    at += len;
  }
  return true;
}
