// The one IPv4 module: dotted quads, the RFC 1071 checksum, the RFC 791 header check and ICMP
// echo build/parse, against hand-computed vectors. Related: src/core/ipv4.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildIcmpEcho,
  formatIpv4,
  IcmpType,
  internetChecksum,
  onesComplementSum,
  parseIcmpEcho,
  parseIpv4,
  readIpv4Header,
  requireIpv4,
} from '../../src/core/ipv4.js';
import { hex } from '../support/hex.js';
import { bitFlips, truncations } from '../support/truncations.js';

// The LAC's ping: 10.1.20.32 → 10.1.20.30, sequence 0xfffe (also identifier and IP ID), 3 octets
// of data 00 01 02; checksums computed by hand (RFC 1071 end-around carry).
const ECHO_REQUEST = hex`4500001f fffe 0000 4001 3ea0 0a011420 0a01141e  0800 f600 fffe fffe 000102`;

describe('core/ipv4', () => {
  it('parses exactly four decimal octets 0..255 and formats them back', () => {
    expect(parseIpv4('10.1.20.30')).toBe(0x0a01141e);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('0.0.0.0')).toBe(0);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.256',
      '1..2.3',
      ' 1.2.3.4',
      '0x1.2.3.4',
      '1e2.1.1.1',
      '1.2.3.-4',
    ]) {
      expect(parseIpv4(bad), bad).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => parseIpv4(formatIpv4(n)) === n),
      { seed: 8, numRuns: 500 },
    );
  });

  it('requireIpv4 accepts what parseIpv4 accepts and throws TypeError where it returns undefined', () => {
    expect(requireIpv4('10.1.20.30')).toBe(0x0a01141e);
    expect(requireIpv4('0.0.0.0')).toBe(0);
    for (const bad of ['', '1.2.3', '1.2.3.256', '01.2.3.x', '::1', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4\n']) {
      expect(parseIpv4(bad), bad).toBeUndefined();
      expect(() => requireIpv4(bad), bad).toThrow(new TypeError(`not an IPv4 address: ${bad}`));
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => requireIpv4(formatIpv4(n)) === n),
      { seed: 9, numRuns: 200 },
    );
  });

  it('RFC1071: the checksum of the example in §3 and a region with its checksum summing to ones', () => {
    // RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
    const b = hex`0001 f203 f4f5 f6f7`;
    expect(onesComplementSum(b, 0, b.length)).toBe(0xddf2);
    expect(internetChecksum(b, 0, b.length)).toBe(0x220d);
    // An odd length is padded with a zero octet.
    expect(onesComplementSum(hex`01`, 0, 1)).toBe(0x0100);
    expect(onesComplementSum(ECHO_REQUEST, 0, 20)).toBe(0xffff);
    expect(onesComplementSum(ECHO_REQUEST, 20, ECHO_REQUEST.length)).toBe(0xffff);
  });

  it('RFC792: builds the golden echo request and parses it back', () => {
    const built = buildIcmpEcho({
      type: IcmpType.echoRequest,
      source: 0x0a011420,
      destination: 0x0a01141e,
      identifier: 0xfffe,
      sequence: 0xfffe,
      data: Uint8Array.of(0, 1, 2),
      ip: { identification: 0xfffe },
    });
    expect(built).toEqual(ECHO_REQUEST);
    const echo = parseIcmpEcho(built);
    expect(echo).toMatchObject({ type: IcmpType.echoRequest, identifier: 0xfffe, sequence: 0xfffe });
    expect(echo?.ip).toMatchObject({ headerLength: 20, totalLength: 31, protocol: 1, isFragment: false });
    expect(echo?.ip.source).toBe(0x0a011420);
    expect(echo?.ip.destination).toBe(0x0a01141e);
  });

  it('RFC791: trailing octets past Total Length are allowed; a shorter buffer is not', () => {
    const padded = new Uint8Array(ECHO_REQUEST.length + 4);
    padded.set(ECHO_REQUEST);
    expect(parseIcmpEcho(padded)?.sequence).toBe(0xfffe);
    expect(readIpv4Header(ECHO_REQUEST.subarray(0, 30))).toBeUndefined();
  });

  it('never throws, and rejects every truncation and every single-bit flip of the echo', () => {
    for (const t of truncations(ECHO_REQUEST)) expect(parseIcmpEcho(t)).toBeUndefined();
    for (const f of bitFlips(ECHO_REQUEST)) {
      // A flip either breaks a check or keeps a valid echo (no flip keeps both checksums valid).
      expect(parseIcmpEcho(f)).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        readIpv4Header(b);
        parseIcmpEcho(b);
      }),
      { seed: 8, numRuns: 500 },
    );
  });
});
