// Peer address text: one spelling per address (what engines compare), IPv4-mapped as IPv4, brackets
// for display. Related: src/core/peer-address.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv6 } from '../../src/core/ipv6.js';
import { canonicalAddress, formatHostPort, isIpv6Address, unmappedIpv4 } from '../../src/core/peer-address.js';

describe('canonicalAddress', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['010.0.2.001', '10.0.2.1'],
    ['::', '::'],
    ['[::1]', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:c000:0207', '192.0.2.7'],
    ['::ffff:0:1', '0.0.0.1'],
    ['::fffe:0:1', '::fffe:0:1'],
  ])('%s → %s', (text, want) => {
    expect(canonicalAddress(text)).toBe(want);
  });

  it.each(['', 'vpn.example.com', '1.2.3', '1.2.3.256', '::ffff:1.2.3.999', '1:2:3:4:5:6:7:8:9', ':::', '[::1'])(
    'rejects %j',
    (text) => {
      expect(canonicalAddress(text)).toBeUndefined();
    },
  );

  it('is idempotent and agrees with the RFC 5952 formatter for any 16 octets that are not IPv4-mapped', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const text = formatIpv6(b);
        const c = canonicalAddress(text)!;
        expect(canonicalAddress(c)).toBe(c);
        expect(canonicalAddress(text.toUpperCase())).toBe(c);
        if (unmappedIpv4(b) === undefined) expect(c).toBe(text);
        else expect(c).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      }),
    );
  });
});

describe('formatHostPort', () => {
  it('brackets IPv6, not IPv4', () => {
    expect(formatHostPort('2001:db8::1', 1701)).toBe('[2001:db8::1]:1701');
    expect(formatHostPort('192.0.2.1', 1701)).toBe('192.0.2.1:1701');
    expect(isIpv6Address('::')).toBe(true);
    expect(isIpv6Address('0.0.0.0')).toBe(false);
  });
});
