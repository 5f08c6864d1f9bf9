// IPv6 on the data path of a session (issue 12 item 5): where an IPv6 packet starts in a PPP frame
// (protocol 0x0057, RFC 5072 §2), which PPP header goes before a packet we send, and the admission
// of an IPv6 source (the IPv4 rules' counterpart, issue 9). A session may send from:
// - fe80::<the interface identifier IPv6CP negotiated> (RFC 5072 §5: its link-local address);
// - any address inside the /64 the LNS gave it (`ipv6Prefix`, announced by Router Advertisement:
//   RFC 4862 SLAAC and RFC 4941 temporary addresses both live there);
// - :: towards a link-scope multicast group only (RFC 4862 §5.4.2 DAD, RFC 4861 §6.3.7 Router
//   Solicitation, RFC 3810 §5.2.13 MLD before an address exists): such packets never leave the link.
// Anything else is 'spoofed-source'. Pure functions over caller-owned buffers, no allocation.
// Related: ppp-over-l2tp.ts (its only user), ../core/ipv6.ts, ../lns/ipv6-sessions.ts.
import { Ipv6Field, isLinkScope, isUnspecified, sameOctets } from '../core/ipv6.js';
import type { PppLink } from '../ppp/link.js';

/** PPP headers we send before an IP packet: FF 03 00 21 (IPv4) and FF 03 00 57 (IPv6). */
export const PPP_IPV4_HEADER = Uint8Array.of(0xff, 0x03, 0x00, 0x21);
export const PPP_IPV6_HEADER = Uint8Array.of(0xff, 0x03, 0x00, 0x57);

/** The session fields IPv6 admission reads. */
export interface Ipv6Source {
  /** The peer's interface identifier (IPv6CP), 8 octets. */
  readonly ipv6PeerId?: Uint8Array;
  /** The session's /64 (first 8 octets), when the LNS gave it one. */
  readonly ipv6Prefix?: Uint8Array;
}

/**
 * Where the IPv6 packet starts in a PPP frame when it may take the fast path: IPv6CP open and a
 * destination that is not link-scope (those are the LNS's to answer: Router Solicitations, echo to
 * its link-local address; they take the slow path). -1 otherwise. ACFC and PFC tolerated (RFC 1661 §6.5-6.6).
 */
export function ipv6FastOffset(frame: Uint8Array, link: PppLink): number {
  const a = frame[0] === 0xff && frame[1] === 0x03 ? 2 : 0;
  const at = frame[a] === 0x57 ? a + 1 : frame[a] === 0x00 && frame[a + 1] === 0x57 ? a + 2 : -1;
  if (at < 0 || frame.length - at < 40 || !link.ipv6Up) return -1;
  return isLinkScope(frame, at + Ipv6Field.destination) ? -1 : at;
}

/** The PPP header for a packet whose first octet is `first`, or undefined when its NCP is not open. */
export function pppHeaderFor(link: PppLink, first: number | undefined): Uint8Array | undefined {
  if (first !== undefined && first >> 4 === 6) return link.ipv6Up ? PPP_IPV6_HEADER : undefined;
  return link.ipUp ? PPP_IPV4_HEADER : undefined;
}

/** Admission of the IPv6 packet at b[at…] of a session: undefined when it may pass, else why not. */
export function admitIpv6(
  session: Ipv6Source,
  b: Uint8Array,
  at: number,
): 'malformed-ip' | 'ipv6-unsupported' | 'spoofed-source' | undefined {
  if (b.length - at < 40 || b[at]! >> 4 !== 6) return 'malformed-ip';
  const id = session.ipv6PeerId;
  if (id === undefined) return 'ipv6-unsupported';
  const src = at + Ipv6Field.source;
  if (b[src] === 0xfe && b[src + 1] === 0x80) {
    for (let i = 2; i < 8; i++) if (b[src + i] !== 0) return 'spoofed-source';
    return sameOctets(b, src + 8, id, 0, 8) ? undefined : 'spoofed-source';
  }
  const prefix = session.ipv6Prefix;
  if (prefix !== undefined && sameOctets(b, src, prefix, 0, 8)) return undefined;
  const dst = at + Ipv6Field.destination;
  if (b[dst] === 0xff && isLinkScope(b, dst) && isUnspecified(b, src)) return undefined;
  return 'spoofed-source';
}
