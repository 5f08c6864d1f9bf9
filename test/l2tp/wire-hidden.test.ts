// Hidden AVPs, RFC 2661 §4.3: the two worked examples of REFERENCES.md §3.8, both directions, alone and
// inside a control message.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { AvpType } from '../../src/l2tp/wire/avp-catalogue.js';
import { hideAvpValue, unhideAvpValue } from '../../src/l2tp/wire/hidden-avp.js';
import {
  decodeControlMessage,
  encodeControlMessage,
  makeBytesAvp,
  makeU16Avp,
  makeU32Avp,
} from '../../src/l2tp/wire/message.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';
import { hex } from '../support/hex.js';
import { seededRandom } from '../support/seeded-random.js';

const S = new TextEncoder().encode('tunnelsecret');
const RV = hex`00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF`;
const RV_AVP = hex`80 16 00 00 00 24 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF`;

// Worked example 2: Proxy Authen Response "correct horse battery staple" + padding DE AD BE EF (3 blocks).
const PHRASE = new TextEncoder().encode('correct horse battery staple');
const PAD = hex`DE AD BE EF`;
const HIDDEN_2 = hex`FE 14 A3 B4 F6 2F 15 15 3A 6C 20 CD 63 9D 10 F6
                     11 A8 9A 33 B7 10 32 46 57 50 5C E2 1B A5 66 09 AF AD`;
const AVP_2 = hex`40 28 00 00 00 21`;

describe('hideAvpValue / unhideAvpValue (REFERENCES.md §3.8)', () => {
  it('RFC2661-4.3: example 1, Assigned Session ID 0x1234 in one short block', () => {
    expect(toHex(hideAvpValue(AvpType.AssignedSessionId, hex`12 34`, S, RV))).toBe('b1594504');
    const clear = unhideAvpValue(AvpType.AssignedSessionId, hex`B1 59 45 04`, S, RV);
    expect(clear && [toHex(clear.value), clear.padding.length]).toEqual(['1234', 0]);
  });

  it('RFC2661-4.3: example 2, a 34-octet subformat chains three MD5 blocks over the ciphertext', () => {
    expect(toHex(hideAvpValue(AvpType.ProxyAuthenResponse, PHRASE, S, RV, PAD))).toBe(toHex(HIDDEN_2));
    const clear = unhideAvpValue(AvpType.ProxyAuthenResponse, HIDDEN_2, S, RV);
    expect(clear && [new TextDecoder().decode(clear.value), toHex(clear.padding)]).toEqual([
      'correct horse battery staple',
      'deadbeef',
    ]);
  });

  it('RFC2661-4.3: the Attribute Type is hashed (the same value hides differently under another type)', () => {
    expect(toHex(hideAvpValue(AvpType.AssignedTunnelId, hex`12 34`, S, RV))).not.toBe('b1594504');
  });

  it('RFC2661-4.3: a Length of Original Value beyond the AVP is refused, as is a value under 2 octets', () => {
    expect(unhideAvpValue(AvpType.AssignedSessionId, hex`B1 59 45`, S, RV)).toBeUndefined(); // says 2, has 1
    expect(unhideAvpValue(AvpType.AssignedSessionId, hex`B1`, S, RV)).toBeUndefined();
    expect(
      unhideAvpValue(AvpType.AssignedSessionId, hex`B1 59 45 04`, new TextEncoder().encode('x'), RV),
    ).toBeUndefined();
  });

  it('does not modify its input', () => {
    const input = HIDDEN_2.slice();
    unhideAvpValue(AvpType.ProxyAuthenResponse, input, S, RV);
    expect(toHex(input)).toBe(toHex(HIDDEN_2));
    const buffer = Buffer.from(HIDDEN_2); // Buffer.slice() is a view: the copy must not use it
    unhideAvpValue(AvpType.ProxyAuthenResponse, buffer, S, RV);
    expect(toHex(buffer)).toBe(toHex(HIDDEN_2));
  });
});

describe('hidden AVPs inside control messages', () => {
  // An ICRQ carrying the Random Vector, then the two worked examples as AVPs.
  const wire = new Uint8Array([
    ...hex`80 08 00 00 00 00 00 0A`,
    ...RV_AVP,
    ...hex`C0 0A 00 00 00 0E B1 59 45 04`,
    ...hex`80 0A 00 00 00 0F 00 00 00 07`,
    ...AVP_2,
    ...HIDDEN_2,
  ]);

  it('RFC2661-4.3: decodes with the preceding Random Vector and re-encodes to the same octets', () => {
    const d = decodeControlMessage(wire, { secret: S });
    if (!d.ok) throw new Error(JSON.stringify(d.fault));
    expect(d.value.avps.map((a) => [a.type, a.mandatory, a.hidden, toHex(a.value)])).toEqual([
      [36, true, false, toHex(RV)],
      [14, true, true, '1234'],
      [15, true, false, '00000007'],
      [33, false, true, toHex(PHRASE)],
    ]);
    expect(toHex(encodeControlMessage(d.value, { secret: S }))).toBe(toHex(wire));
  });

  it('RFC2661-4.3: builders + encode produce example 1 on the wire', () => {
    const msg = {
      type: MessageType.ICRQ,
      avps: [
        makeBytesAvp(AvpType.RandomVector, RV),
        makeU16Avp(AvpType.AssignedSessionId, 0x1234, { hidden: true }),
        makeU32Avp(AvpType.CallSerialNumber, 7),
        { ...makeBytesAvp(AvpType.ProxyAuthenResponse, PHRASE, { hidden: true }), padding: PAD },
      ],
    };
    expect(toHex(encodeControlMessage(msg, { secret: S }))).toBe(toHex(wire));
  });

  it('RFC2661-4.3: with no Random Vector in the message, encode inserts one from `random` before the first hidden AVP', () => {
    const msg = { type: MessageType.ICRP, avps: [makeU16Avp(AvpType.AssignedSessionId, 9, { hidden: true })] };
    const body = encodeControlMessage(msg, { secret: S, random: seededRandom(1) });
    expect(toHex(body.subarray(8, 14))).toBe('801600000024');
    const d = decodeControlMessage(body, { secret: S });
    expect(d.ok && d.value.avps.map((a) => [a.type, a.hidden, toHex(a.value)])).toEqual([
      [36, false, toHex(body.subarray(14, 30))],
      [14, true, '0009'],
    ]);
    expect(() => encodeControlMessage(msg, { secret: S })).toThrow(/Random Vector/);
    expect(() => encodeControlMessage(msg, { random: seededRandom(1) })).toThrow(/secret/);
  });

  it('RFC2661-4.3: the Random Vector in force is the last one before the AVP', () => {
    const second = hex`01 02 03 04`;
    const msg = {
      type: MessageType.ICRP,
      avps: [
        makeBytesAvp(AvpType.RandomVector, RV),
        makeBytesAvp(AvpType.RandomVector, second),
        makeU16Avp(AvpType.AssignedSessionId, 0x1234, { hidden: true }),
      ],
    };
    const body = encodeControlMessage(msg, { secret: S });
    expect(toHex(body.slice(-4))).toBe(toHex(hideAvpValue(14, hex`12 34`, S, second)));
    expect(toHex(body.slice(-4))).not.toBe('b1594504');
    const d = decodeControlMessage(body, { secret: S });
    expect(d.ok && toHex(d.value.avps[2]!.value)).toBe('1234');
  });

  it('RFC2661-4.3: faults for a hidden AVP without secret, without Random Vector, or with a bad decoded length', () => {
    const icrp = (avps: Uint8Array): Uint8Array => new Uint8Array([...hex`80 08 00 00 00 00 00 0B`, ...avps]);
    const noSecret = decodeControlMessage(icrp(new Uint8Array([...RV_AVP, ...hex`C0 0A 00 00 00 0E B1 59 45 04`])));
    expect(noSecret.ok ? undefined : noSecret.fault).toEqual({
      code: 'hidden-avp-without-secret',
      scope: 'session',
      avpType: 14,
    });
    const noRv = decodeControlMessage(icrp(hex`C0 0A 00 00 00 0E B1 59 45 04`), { secret: S });
    expect(noRv.ok ? undefined : noRv.fault).toEqual({
      code: 'hidden-avp-without-random-vector',
      scope: 'session',
      avpType: 14,
    });
    const badLength = decodeControlMessage(icrp(new Uint8Array([...RV_AVP, ...hex`C0 09 00 00 00 0E B1 59 45`])), {
      secret: S,
    });
    expect(badLength.ok ? undefined : badLength.fault).toEqual({
      code: 'hidden-avp-bad-length',
      scope: 'session',
      avpType: 14,
    });
    // A decoded value of a length the catalogue forbids (Assigned Session ID of 3 octets).
    const three = hideAvpValue(14, hex`00 12 34`, S, RV);
    const badValue = decodeControlMessage(
      icrp(new Uint8Array([...RV_AVP, 0xc0, 6 + three.length, 0, 0, 0, 14, ...three])),
      { secret: S },
    );
    expect(badValue.ok ? undefined : badValue.fault).toEqual({
      code: 'avp-bad-value-length',
      scope: 'session',
      avpType: 14,
    });
  });

  it('RFC2661-4.1: an M=0 hidden AVP that cannot be unhidden is skipped, not fatal', () => {
    const msg = new Uint8Array([...hex`80 08 00 00 00 00 00 0B 80 08 00 00 00 0E 00 05`, ...AVP_2, ...HIDDEN_2]);
    const d = decodeControlMessage(msg);
    expect(d.ok && d.value.avps.map((a) => a.type)).toEqual([14]);
  });
});
