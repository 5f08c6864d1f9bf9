// The RADIUS codec: RFC 2865 §7.1 vectors, signing and hiding, framing faults as values, never a throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import {
  chapPasswordAttribute,
  encodeRequest,
  encodeResponse,
  hideUserPassword,
  unhideUserPassword,
  verifyReply,
  verifyRequest,
} from '../../src/radius/wire/authenticators.js';
import { AcctTerminateCause, Attr, Code, MsAttr, VENDOR_MICROSOFT } from '../../src/radius/wire/dictionary.js';
import { formatPacket } from '../../src/radius/wire/format.js';
import { type DecodedPacket, decodePacket, encodedLengthPacket } from '../../src/radius/wire/packet.js';
import {
  getInteger,
  getIpaddr,
  getOctets,
  getText,
  joinGigawords,
  makeAttribute,
  replyMessage,
  splitGigawords,
} from '../../src/radius/wire/values.js';
import { hex } from '../support/hex.js';
import { bitFlips, truncations } from '../support/truncations.js';

// RFC 2865 §7.1 "User Telnet to Specified Host": NAS 192.168.1.16, secret "xyzzy5461", user "nemo",
// password "arctangent", NAS-Port 3.
const SECRET = 'xyzzy5461';
const RFC2865_REQUEST = hex`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
  98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8
  01 10 05 06 00 00 00 03`;
// Its Access-Accept: Service-Type Login, Login-Service Telnet, Login-IP-Host 192.168.1.3.
const RFC2865_ACCEPT = hex`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf
  9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03`;

const decoded = (b: Uint8Array): DecodedPacket => {
  const r = decodePacket(b);
  if (!r.ok) throw new Error(`decode failed: ${r.fault.code}`);
  return r.value;
};

describe('RFC 2865 §7.1 vectors', () => {
  it('RFC2865-3: decodes the Access-Request header and attributes', () => {
    const p = decoded(RFC2865_REQUEST);
    expect(p.code).toBe(Code.AccessRequest);
    expect(p.identifier).toBe(0);
    expect(getText(p.attributes, Attr.UserName)).toBe('nemo');
    expect(getIpaddr(p.attributes, Attr.NasIpAddress)).toBe('192.168.1.16');
    expect(getInteger(p.attributes, Attr.NasPort)).toBe(3);
    expect(formatPacket(p)).toBe(
      'Access-Request id=0 <User-Name "nemo"> <User-Password …> <NAS-IP-Address 192.168.1.16> <NAS-Port 3>',
    );
  });

  it('RFC2865-5.2: User-Password hides and unhides "arctangent"', () => {
    const p = decoded(RFC2865_REQUEST);
    const hidden = getOctets(p.attributes, Attr.UserPassword)!;
    expect(toHex(hideUserPassword('arctangent', SECRET, p.authenticator))).toBe(toHex(hidden));
    expect(new TextDecoder().decode(unhideUserPassword(hidden, SECRET, p.authenticator))).toBe('arctangent');
    expect(unhideUserPassword(hidden.subarray(0, 15), SECRET, p.authenticator)).toBeUndefined();
  });

  it('RFC2865-3: the Access-Accept Response Authenticator verifies (unsigned: acceptUnsigned)', () => {
    const req = decoded(RFC2865_REQUEST);
    const p = decoded(RFC2865_ACCEPT);
    expect(verifyReply(RFC2865_ACCEPT, p, req.authenticator, SECRET, { acceptUnsigned: true })).toBeUndefined();
    expect(verifyReply(RFC2865_ACCEPT, p, req.authenticator, 'wrong', { acceptUnsigned: true })).toBe(
      'bad-response-authenticator',
    );
  });

  it('CVE-2024-3596: the same unsigned Access-Accept is refused by default', () => {
    const req = decoded(RFC2865_REQUEST);
    expect(verifyReply(RFC2865_ACCEPT, decoded(RFC2865_ACCEPT), req.authenticator, SECRET)).toBe(
      'missing-message-authenticator',
    );
  });

  it('re-encoding the request with its authenticator and no Message-Authenticator gives the vector', () => {
    const p = decoded(RFC2865_REQUEST);
    expect(toHex(encodeRequest(p, SECRET, { messageAuthenticator: false }))).toBe(toHex(RFC2865_REQUEST));
    expect(encodedLengthPacket(p)).toBe(RFC2865_REQUEST.length);
  });
});

const RA = hex`00112233445566778899aabbccddeeff`;
const access = {
  code: Code.AccessRequest,
  identifier: 7,
  authenticator: RA,
  attributes: [makeAttribute(Attr.UserName, 'alice'), makeAttribute(Attr.NasPort, 5)],
};

describe('Message-Authenticator (RFC 3579 §3.2)', () => {
  it('is the first attribute of every request and verifies', () => {
    const bytes = encodeRequest(access, 's3');
    const p = decoded(bytes);
    expect(p.attributes[0]!.type).toBe(Attr.MessageAuthenticator);
    expect(p.messageAuthenticatorAt).toBe(22);
    expect(verifyRequest(bytes, p, 's3')).toBeUndefined();
    expect(verifyRequest(bytes, p, 'other')).toBe('bad-message-authenticator');
  });

  it('RFC2866-3: an Accounting-Request carries the computed Request Authenticator', () => {
    const bytes = encodeRequest(
      { ...access, code: Code.AccountingRequest, attributes: [makeAttribute(Attr.AcctStatusType, 1)] },
      's3',
    );
    const p = decoded(bytes);
    expect(toHex(p.authenticator)).not.toBe(toHex(RA));
    expect(verifyRequest(bytes, p, 's3')).toBeUndefined();
    const tampered = bytes.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(verifyRequest(tampered, decoded(tampered), 's3')).toBe('bad-request-authenticator');
  });

  it('a reply signed with the request authenticator verifies; a wrong one or none is refused', () => {
    const reply = {
      code: Code.AccessAccept,
      identifier: 7,
      attributes: [makeAttribute(Attr.FramedIpAddress, '10.1.2.3')],
    };
    const good = encodeResponse(reply, RA, 's3');
    expect(verifyReply(good, decoded(good), RA, 's3')).toBeUndefined();
    const wrong = encodeResponse(reply, RA, 's3', { messageAuthenticatorVector: new Uint8Array(16) });
    expect(verifyReply(wrong, decoded(wrong), RA, 's3')).toBe('bad-message-authenticator');
    const unsigned = encodeResponse(reply, RA, 's3', { messageAuthenticator: false });
    expect(verifyReply(unsigned, decoded(unsigned), RA, 's3')).toBe('missing-message-authenticator');
    expect(verifyReply(unsigned, decoded(unsigned), RA, 's3', { acceptUnsigned: true })).toBeUndefined();
    expect(verifyReply(good, decoded(good), new Uint8Array(16), 's3')).toBe('bad-response-authenticator');
  });

  it('an Accounting-Response signed with zeros (FreeRADIUS rad_sign) verifies', () => {
    const reply = { code: Code.AccountingResponse, identifier: 7, attributes: [] };
    const b = encodeResponse(reply, RA, 's3', { messageAuthenticatorVector: new Uint8Array(16) });
    expect(verifyReply(b, decoded(b), RA, 's3')).toBeUndefined();
  });
});

describe('vendor attributes (RFC 2865 §5.26, RFC 2548)', () => {
  it('MS-CHAP attributes travel one per Vendor-Specific and decode with vendorId 311', () => {
    const challenge = new Uint8Array(16).fill(0xab);
    const p = {
      ...access,
      attributes: [
        makeAttribute(MsAttr.ChapChallenge, challenge, VENDOR_MICROSOFT),
        makeAttribute(MsAttr.PrimaryDnsServer, '10.0.0.53', VENDOR_MICROSOFT),
      ],
    };
    const bytes = encodeRequest(p, 's3', { messageAuthenticator: false });
    expect(toHex(bytes.subarray(20, 28))).toBe('1a18000001370b12');
    const d = decoded(bytes);
    expect(d.attributes.map((a) => [a.vendorId, a.type])).toEqual([
      [311, 11],
      [311, 28],
    ]);
    expect(getIpaddr(d.attributes, MsAttr.PrimaryDnsServer, VENDOR_MICROSOFT)).toBe('10.0.0.53');
  });

  it('a Vendor-Specific not in the recommended format stays one raw attribute 26', () => {
    const raw = hex`01 01 00 1e ${toHex(RA)} 1a 0a 00 00 01 37 ff ff 00 00`;
    const d = decoded(raw);
    expect(d.attributes).toHaveLength(1);
    expect(d.attributes[0]).toMatchObject({ vendorId: 0, type: 26 });
  });
});

describe('typed values', () => {
  it('builders refuse the wrong kind; accessors refuse the wrong length', () => {
    expect(() => makeAttribute(Attr.FramedIpAddress, 'nope')).toThrow(/dotted quad/);
    expect(() => makeAttribute(Attr.SessionTimeout, 'x')).toThrow(/number/);
    expect(() => makeAttribute(Attr.SessionTimeout, 2 ** 32)).toThrow(/integer/);
    expect(
      getInteger([{ vendorId: 0, type: Attr.SessionTimeout, value: new Uint8Array(3) }], Attr.SessionTimeout),
    ).toBe(undefined);
    expect(getInteger([makeAttribute(Attr.AcctTerminateCause, AcctTerminateCause.NasReboot)], 49)).toBe(11);
  });

  it('RFC2865-5: ipaddr values are exactly four decimal octets 0..255, both ways (core/ipv4)', () => {
    for (const [text, octets] of [
      ['0.0.0.0', '00000000'],
      ['10.1.2.3', '0a010203'],
      ['255.255.255.255', 'ffffffff'],
    ] as const) {
      const a = makeAttribute(Attr.FramedIpAddress, text);
      expect(toHex(a.value), text).toBe(octets);
      expect(getIpaddr([a], Attr.FramedIpAddress)).toBe(text);
    }
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '1.2.3.256', '1..2.3', ' 1.2.3.4', '0x1.2.3.4', '1.2.3.-4']) {
      expect(() => makeAttribute(Attr.FramedIpAddress, bad), bad).toThrow(/dotted quad/);
    }
  });

  it('RFC2869-5.1: Gigawords carry the wraps of a 64-bit counter', () => {
    expect(splitGigawords(5 * 2 ** 32 + 7)).toEqual({ octets: 7, gigawords: 5 });
    expect(joinGigawords(7, 5)).toBe(5 * 2 ** 32 + 7);
  });

  it('RFC2865-5.18: several Reply-Messages are shown in order', () => {
    expect(replyMessage([makeAttribute(Attr.ReplyMessage, 'a'), makeAttribute(Attr.ReplyMessage, 'b')])).toBe('a\nb');
  });

  it('RFC2865-5.3: CHAP-Password is the identifier then the response', () => {
    expect(toHex(chapPasswordAttribute(9, new Uint8Array(16).fill(1)).value)).toBe(`09${'01'.repeat(16)}`);
  });
});

describe('framing faults are values', () => {
  it('RFC2865-3: short, bad Length, truncated, bad attribute length, bad Message-Authenticator', () => {
    const fault = (b: Uint8Array) => {
      const r = decodePacket(b);
      return r.ok ? 'ok' : r.fault.code;
    };
    expect(fault(RFC2865_REQUEST.subarray(0, 19))).toBe('packet-truncated');
    const badLen = RFC2865_REQUEST.slice();
    badLen[3] = 19;
    expect(fault(badLen)).toBe('bad-length');
    expect(fault(RFC2865_REQUEST.subarray(0, 0x37))).toBe('packet-truncated');
    const padded = new Uint8Array(RFC2865_REQUEST.length + 5);
    padded.set(RFC2865_REQUEST);
    expect(fault(padded)).toBe('ok'); // §3: octets past Length are padding
    const zeroAttr = RFC2865_REQUEST.slice();
    zeroAttr[21] = 1;
    expect(fault(zeroAttr)).toBe('attribute-bad-length');
    expect(fault(hex`01 01 00 17 ${toHex(RA)} 50 03 00`)).toBe('bad-message-authenticator-length');
    expect(fault(hex`63 01 00 14 ${toHex(RA)}`)).toBe('unknown-code');
  });

  it('never throws on prefixes, bit flips and random bytes', () => {
    const signed = encodeRequest(access, 's3');
    for (const v of [RFC2865_REQUEST, RFC2865_ACCEPT, signed]) {
      for (const b of [...truncations(v), ...bitFlips(v)]) {
        const r = decodePacket(b);
        if (r.ok) verifyReply(b, r.value, RA, 's3');
        else expect(typeof r.fault.code).toBe('string');
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        if (b.length >= 4) {
          b[2] = 0;
          b[3] = Math.min(b.length, 255);
        }
        const r = decodePacket(b);
        if (r.ok) {
          formatPacket(r.value);
          verifyRequest(b, r.value, 's3');
        }
      }),
      { seed: 0x2865, numRuns: 5000 },
    );
  });

  it('decode(encode(p)) returns the attributes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            vendorId: fc.constantFrom(0, 311, 9),
            type: fc.integer({ min: 1, max: 255 }).filter((t) => t !== 26 && t !== 80),
            value: fc.uint8Array({ minLength: 0, maxLength: 40 }),
          }),
          { maxLength: 20 },
        ),
        (attributes) => {
          const bytes = encodeRequest({ ...access, attributes }, 's3');
          const d = decoded(bytes);
          expect(bytes.length).toBe(encodedLengthPacket({ ...access, attributes }, true));
          expect(d.attributes.slice(1).map((a) => ({ ...a, value: toHex(a.value) }))).toEqual(
            attributes.map((a) => ({ ...a, value: toHex(a.value) })),
          );
        },
      ),
      { seed: 0x3579, numRuns: 500 },
    );
  });
});
