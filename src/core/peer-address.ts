// The outer (UDP) address of an L2TP peer as text: an IPv4 dotted quad, or an IPv6 address in its
// RFC 5952 form. Engines compare peers by these strings (a tunnel's datagrams must come from the
// address it was opened with, per-peer limits are keyed by address), so every address has one
// spelling: transports format what the kernel hands them, and configuration is canonicalized once
// on the way in. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket reports for
// an IPv4 peer) is the IPv4 address, so IPv4 rules (xl2tpd's `lac =` ranges, RADIUS) apply to it.
// Related: ipv4.ts, ipv6.ts, ../io/udp-batch.ts, ../io/udp-dgram.ts.
import type { PeerAddress } from './engine.js';
import { formatIpv4, parseIpv4 } from './ipv4.js';
import { formatIpv6, parseIpv6 } from './ipv6.js';

/** The IPv4 address (as a number) that the IPv4-mapped IPv6 address at b[at, at+16) stands for, else undefined. */
export function unmappedIpv4(b: Uint8Array, at = 0): number | undefined {
  for (let i = 0; i < 10; i++) if (b[at + i] !== 0) return undefined;
  if (b[at + 10] !== 0xff || b[at + 11] !== 0xff) return undefined;
  return ((b[at + 12]! << 24) | (b[at + 13]! << 16) | (b[at + 14]! << 8) | b[at + 15]!) >>> 0;
}

/** 16 octets → the peer's text: IPv4-mapped as a dotted quad, anything else RFC 5952. */
export function formatPeerIpv6(b: Uint8Array, at = 0): string {
  const v4 = unmappedIpv4(b, at);
  return v4 === undefined ? formatIpv6(b, at) : formatIpv4(v4);
}

/**
 * The one spelling of an address: a dotted quad as it is (leading zeros dropped), IPv6 (with or
 * without brackets, any case, an IPv4-mapped dotted tail allowed) in RFC 5952 form or as the IPv4
 * address it maps; undefined for anything else (host names included).
 */
export function canonicalAddress(text: string): string | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return formatIpv4(v4);
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped !== null) {
    const m = parseIpv4(mapped[1]!);
    return m === undefined ? undefined : formatIpv4(m);
  }
  const v6 = parseIpv6(bare);
  return v6 === undefined ? undefined : formatPeerIpv6(v6);
}

/** True for an IPv6 address text (the outer family a socket needs for it). */
export function isIpv6Address(text: string): boolean {
  return text.includes(':');
}

/** `address:port`, with the IPv6 address in brackets (RFC 3986 §3.2.2), for logs and `ctl`. */
export function formatHostPort(address: string, port: number): string {
  return isIpv6Address(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `p` with its address in its one spelling (a host name, which no transport takes, stays as given). */
export function canonicalPeer(p: PeerAddress): PeerAddress {
  const address = canonicalAddress(p.address);
  return address === undefined || address === p.address ? p : { address, port: p.port };
}

/** The wildcard a dialling socket binds to reach every one of `addresses`: `::` (dual-stack) when any is IPv6. */
export function wildcardFor(addresses: readonly string[]): '0.0.0.0' | '::' {
  return addresses.some(isIpv6Address) ? '::' : '0.0.0.0';
}
