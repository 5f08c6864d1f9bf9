// Router Advertisement encoding (RFC 4861 §4.2, §4.6.2, §4.6.4) against a golden vector computed
// independently (Python struct + RFC 1071 sum), and the Router Solicitation validity checks of
// §6.1.1. Related: src/lns/router-advert.ts, src/lac/slaac.ts.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { parseIpv6 } from '../../src/core/ipv6.js';
import { buildRouterSolicitation, slaacAddress } from '../../src/lac/slaac.js';
import { buildRouterAdvert, isRouterSolicitation } from '../../src/lns/router-advert.js';

const GOLDEN =
  '6000000000383afffe800000000000000000000000000001ff020000000000000000000000000001' +
  '86002e4640000708000000000000000005010000000005780304' +
  '40c000015180000038400000000020010db8010000010000000000000000';

describe('Router Advertisement', () => {
  it('encodes the golden vector: hop limit 255, router lifetime 1800, MTU 1400, PIO /64 with L and A', () => {
    const ra = buildRouterAdvert({
      source: parseIpv6('fe80::1')!,
      prefix: parseIpv6('2001:db8:100:1::')!.subarray(0, 8),
      mtu: 1400,
    });
    expect(toHex(ra)).toBe(GOLDEN);
  });

  it('without a prefix: no Prefix Information option (link-local only)', () => {
    const ra = buildRouterAdvert({ source: parseIpv6('fe80::1')! });
    expect(ra.length).toBe(40 + 16);
    expect(slaacAddress(ra, new Uint8Array(8).fill(1))).toBeUndefined();
  });

  it('SLAAC forms prefix + interface identifier from it (RFC 4862 §5.5.3)', () => {
    const ra = buildRouterAdvert({ source: parseIpv6('fe80::1')!, prefix: parseIpv6('2001:db8:100:7::')! });
    const id = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expect(toHex(slaacAddress(ra, id)!)).toBe('20010db8010000070102030405060708');
    const lowHop = ra.slice();
    lowHop[7] = 254; // §6.1.2: an RA not from the link is ignored
    expect(slaacAddress(lowHop, id)).toBeUndefined();
  });
});

describe('Router Solicitation validity (RFC 4861 §6.1.1)', () => {
  const rs = buildRouterSolicitation(parseIpv6('fe80::2')!);
  it('accepts a solicitation from a link-local or the unspecified address', () => {
    expect(isRouterSolicitation(rs)).toBe(true);
    expect(isRouterSolicitation(buildRouterSolicitation(new Uint8Array(16)))).toBe(true);
  });
  it('refuses hop limit below 255, a bad checksum, a truncated message', () => {
    const hop = rs.slice();
    hop[7] = 64;
    expect(isRouterSolicitation(hop)).toBe(false);
    const sum = rs.slice();
    sum[43]! ^= 1;
    expect(isRouterSolicitation(sum)).toBe(false);
    expect(isRouterSolicitation(rs.subarray(0, 44))).toBe(false);
  });
});
