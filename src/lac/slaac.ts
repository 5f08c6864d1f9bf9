// The host side of IPv6 on a LAC session (issue 12 item 5): a Router Solicitation when IPv6CP
// opens (RFC 4861 §6.3.7), and stateless address autoconfiguration from a Router Advertisement's
// Prefix Information option (RFC 4862 §5.5.3): a /64 with the A flag plus the interface
// identifier IPv6CP negotiated (RFC 5072 §5) is our global address. What a pppd + Linux client
// does, enough for the project's LAC to test an LNS. Pure.
// Related: lac.ts, ../core/ipv6.ts, ../lns/router-advert.ts (the router side).
import { u32 } from '../core/bytes.js';
import { buildIcmpv6, Icmpv6Type, IPV6_HEADER_LENGTH, parseIcmpv6 } from '../core/ipv6.js';

/** ff02::2, all-routers (RFC 4291 §2.7.1): where solicitations go. */
const ALL_ROUTERS = Uint8Array.of(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

/** A Router Solicitation from `source` (hop limit 255, no options: PPP has no link-layer address). */
export function buildRouterSolicitation(source: Uint8Array): Uint8Array {
  const body = new Uint8Array(8);
  body[0] = Icmpv6Type.routerSolicitation;
  return buildIcmpv6(source, ALL_ROUTERS, 255, body);
}

/**
 * The address SLAAC forms from the Router Advertisement `packet` and our 8-octet interface
 * identifier: the first Prefix Information option with prefix length 64, the A flag and a
 * non-zero valid lifetime not above the preferred one's rule (RFC 4862 §5.5.3 a-c). Undefined
 * when `packet` is not a valid RA (hop limit 255, checksum, RFC 4861 §6.1.2) or has no such prefix.
 */
export function slaacAddress(packet: Uint8Array, interfaceId: Uint8Array): Uint8Array | undefined {
  const m = parseIcmpv6(packet);
  if (m === undefined || m.type !== Icmpv6Type.routerAdvertisement || m.code !== 0 || m.ip.hopLimit !== 255) {
    return undefined;
  }
  for (let at = IPV6_HEADER_LENGTH + 16; at + 2 <= m.ip.end; ) {
    const len = packet[at + 1]! * 8;
    if (len === 0 || at + len > m.ip.end) return undefined;
    if (packet[at] === 3 && len === 32) {
      const valid = u32(packet, at + 4);
      const preferred = u32(packet, at + 8);
      const prefix = packet.subarray(at + 16, at + 24);
      const linkLocal = prefix[0] === 0xfe && (prefix[1]! & 0xc0) === 0x80;
      if (packet[at + 2] === 64 && (packet[at + 3]! & 0x40) !== 0 && !linkLocal && valid > 0 && preferred <= valid) {
        const a = new Uint8Array(16);
        a.set(prefix);
        a.set(interfaceId.subarray(0, 8), 8);
        return a;
      }
    }
    at += len;
  }
  return undefined;
}
