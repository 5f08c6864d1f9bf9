// The IPv6 helpers (issue 12 item 5): text ↔ octets (RFC 4291 §2.2, RFC 5952), the RFC 8200 §8.1
// pseudo-header checksum of ICMPv6, echo reply. Related: src/core/ipv6.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import {
  buildIcmpv6Echo,
  formatIpv6,
  Icmpv6Type,
  icmpv6EchoReply,
  isLinkScope,
  parseIcmpv6,
  parseIcmpv6Echo,
  parseIpv6,
  upperLayerSum,
} from '../../src/core/ipv6.js';

describe('IPv6 text form', () => {
  it.each([
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['2001:DB8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
  ])('parses %s', (text, hex) => {
    expect(toHex(parseIpv6(text)!)).toBe(hex);
  });

  it.each(['', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '::1.2.3.4'])('refuses %j', (t) => {
    expect(parseIpv6(t)).toBeUndefined();
  });

  it('formats per RFC 5952: the longest zero run compressed, a single zero group not', () => {
    expect(formatIpv6(parseIpv6('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(parseIpv6('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6(parseIpv6('::')!)).toBe('::');
  });

  it('format then parse is the identity (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) => {
        expect(parseIpv6(formatIpv6(a))).toEqual(a);
      }),
    );
  });

  it('link scope: fe80::/10 and ff0X with scope ≤ 2; not global or site multicast', () => {
    const at = (t: string) => isLinkScope(parseIpv6(t)!, 0);
    expect([at('fe80::1'), at('febf::1'), at('ff02::2'), at('ff01::1')]).toEqual([true, true, true, true]);
    expect([at('fec0::1'), at('ff05::2'), at('2001:db8::1')]).toEqual([false, false, false]);
  });
});

describe('ICMPv6', () => {
  const src = parseIpv6('2001:db8:100:1::2')!;
  const dst = parseIpv6('2001:db8:100::1')!;
  const request = buildIcmpv6Echo({
    type: Icmpv6Type.echoRequest,
    source: src,
    destination: dst,
    identifier: 0x1234,
    sequence: 1,
    data: Uint8Array.of(0xaa, 0xbb, 0xcc),
  });

  it('a built echo carries a checksum that verifies (RFC 4443 §2.3) and a one-bit change breaks it', () => {
    expect(upperLayerSum(request, request.length, 58)).toBe(0xffff);
    expect(parseIcmpv6Echo(request)).toEqual({ type: Icmpv6Type.echoRequest, identifier: 0x1234, sequence: 1 });
    const bad = request.slice();
    bad[request.length - 1]! ^= 1;
    expect(parseIcmpv6(bad)).toBeUndefined();
  });

  it('the checksum is the pseudo-header sum (RFC 8200 §8.1): changing the source address breaks it', () => {
    const moved = request.slice();
    moved[23]! ^= 1;
    expect(parseIcmpv6(moved)).toBeUndefined();
  });

  it('an echo reply swaps the addresses and echoes identifier, sequence and data', () => {
    const reply = icmpv6EchoReply(request, () => true)!;
    expect(parseIcmpv6Echo(reply)).toEqual({ type: Icmpv6Type.echoReply, identifier: 0x1234, sequence: 1 });
    expect(toHex(reply.subarray(8, 24))).toBe(toHex(dst));
    expect(toHex(reply.subarray(24, 40))).toBe(toHex(src));
    expect(toHex(reply.subarray(48))).toBe('aabbcc');
    expect(icmpv6EchoReply(request, () => false)).toBeUndefined();
    expect(icmpv6EchoReply(reply, () => true)).toBeUndefined();
  });

  it('never throws on garbage (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        if (b.length > 0) b[0] = 0x60 | (b[0]! & 0x0f);
        parseIcmpv6(b);
        icmpv6EchoReply(b, () => true);
      }),
    );
  });
});
