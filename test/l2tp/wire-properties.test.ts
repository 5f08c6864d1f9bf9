// Properties of the control message codec (fast-check, fixed seeds): round trips over messages generated
// from the catalogues (hidden AVPs included), and "never throws, never reads past the input" on random
// bytes, on mangled AVP lists, on every prefix and every single-bit flip of every captured vector.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { AvpCursor } from '../../src/l2tp/wire/avp.js';
import { AVPS, type AvpSpec, AvpType } from '../../src/l2tp/wire/avp-catalogue.js';
import { formatControlMessage } from '../../src/l2tp/wire/format.js';
import { CONTROL_HEADER_LENGTH, L2tpHeaderView } from '../../src/l2tp/wire/header.js';
import {
  type ControlMessage,
  type Decoded,
  decodeControlMessage,
  encodeControlMessage,
  encodeControlPacket,
  encodedLengthControlMessage,
  type RawAvp,
} from '../../src/l2tp/wire/message.js';
import { MESSAGES } from '../../src/l2tp/wire/message-catalogue.js';
import { udpRecords } from '../support/pcap.js';
import { seededRandom } from '../support/seeded-random.js';
import { bitFlips, truncations } from '../support/truncations.js';

const SECRET = new TextEncoder().encode('pksecret');

/**
 * A view of `b` that throws on any index read outside it: "never reads past the input" becomes
 * "never throws". Methods run on the real array (subarray() clamps, so it cannot escape either).
 */
function strict(b: Uint8Array): Uint8Array {
  return new Proxy(b, {
    get(target, key) {
      if (typeof key === 'string' && key.length > 0 && key.charCodeAt(0) >= 0x30 && key.charCodeAt(0) <= 0x39) {
        const i = Number(key);
        if (Number.isInteger(i) && i >= target.length) throw new RangeError(`read at ${i} of ${target.length}`);
      }
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function assert(cond: boolean, what: string): void {
  if (!cond) throw new Error(what); // not expect(): this runs ~10^6 times per file
}

/** Decode, and when it succeeds, check what every successful decode must satisfy. */
function decodeChecked(body: Uint8Array, secret?: Uint8Array): Decoded<ControlMessage> {
  const d = decodeControlMessage(strict(body), secret === undefined ? undefined : { secret });
  if (d.ok) {
    const spec = MESSAGES.get(d.value.type);
    assert(spec !== undefined, `decoded an unknown message type ${d.value.type}`);
    for (const a of d.value.avps) {
      const s = AVPS.get(a.type);
      assert(a.vendorId === 0 && s !== undefined, `kept an unrecognized AVP ${a.vendorId}:${a.type}`);
      assert(
        a.value.length >= s!.minLength && a.value.length <= s!.maxLength,
        `AVP ${a.type} of ${a.value.length} octets`,
      );
    }
    for (const r of spec?.required ?? [])
      assert(
        d.value.avps.some((a) => a.type === r),
        `required AVP ${r} missing`,
      );
    assert(typeof formatControlMessage(d.value) === 'string', 'format');
  } else {
    assert(Object.isFrozen(d.fault), 'fault not frozen');
  }
  return d;
}

// ---- generators from the catalogues ---------------------------------------------------------------

function valueFor(s: AvpSpec): fc.Arbitrary<Uint8Array> {
  const max = Math.min(s.maxLength, 40);
  const arb = fc.uint8Array({ minLength: s.minLength, maxLength: Math.max(s.minLength, max) });
  // §4.4.2: a Result Code value of 3 octets is malformed.
  return s.kind === 'result-code' ? arb.filter((v) => v.length !== 3) : arb;
}

function avpFor(type: number, withHidden: boolean): fc.Arbitrary<RawAvp> {
  const s = AVPS.get(type) as AvpSpec;
  const hidden = withHidden && s.mayHide ? fc.boolean() : fc.constant(false);
  return fc
    .record({ mandatory: fc.boolean(), hidden, value: valueFor(s), padding: fc.uint8Array({ maxLength: 20 }) })
    .map(({ mandatory, hidden, value, padding }) =>
      hidden
        ? { vendorId: 0, type, mandatory, hidden, value, padding }
        : { vendorId: 0, type, mandatory, hidden, value },
    );
}

/** A message the catalogue allows: required AVPs, some optional ones, in a random order; a Random Vector first when hiding. */
function messageArb(withHidden: boolean): fc.Arbitrary<ControlMessage> {
  const specs = [...MESSAGES.values()];
  return fc
    .constantFrom(...specs)
    .chain((spec) =>
      fc.record({
        type: fc.constant(spec.type),
        messageTypeMandatory: fc.boolean(),
        required: fc.tuple(...spec.required.map((t) => avpFor(t, withHidden))),
        optional: fc
          .subarray(spec.optional.filter((t) => t !== AvpType.RandomVector))
          .chain((ts) => fc.tuple(...ts.map((t) => avpFor(t, withHidden)))),
        rv: fc.uint8Array({ minLength: 1, maxLength: 32 }),
        order: fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
      }),
    )
    .map(({ type, messageTypeMandatory, required, optional, rv, order }) => {
      const avps: RawAvp[] = [...required, ...optional];
      const keys = avps.map(() => order.next().value as number);
      const shuffled = avps
        .map((a, i) => ({ a, k: keys[i]! }))
        .sort((x, y) => x.k - y.k)
        .map((x) => x.a);
      if (shuffled.some((a) => a.hidden)) {
        shuffled.unshift({ vendorId: 0, type: AvpType.RandomVector, mandatory: true, hidden: false, value: rv });
      }
      return { type, messageTypeMandatory, avps: shuffled };
    });
}

describe('round trips over catalogue-generated messages', () => {
  it('RFC2661-4.1: decode(encode(m)) = m and encode(decode(b)) = b, without hidden AVPs', () => {
    fc.assert(
      fc.property(messageArb(false), (msg) => {
        const bytes = encodeControlMessage(msg);
        const d = decodeChecked(bytes);
        expect(d.ok && d.value).toEqual(msg);
        expect(d.ok && toHex(encodeControlMessage(d.value))).toBe(toHex(bytes));
      }),
      { seed: 0x2661, numRuns: 600 },
    );
  });

  it('RFC2661-4.3: the same with hidden AVPs (padding kept, same Random Vector → same octets)', () => {
    fc.assert(
      fc.property(messageArb(true), (msg) => {
        const bytes = encodeControlMessage(msg, { secret: SECRET });
        const d = decodeChecked(bytes, SECRET);
        expect(d.ok && d.value).toEqual(msg);
        expect(d.ok && toHex(encodeControlMessage(d.value, { secret: SECRET }))).toBe(toHex(bytes));
      }),
      { seed: 0x43, numRuns: 600 },
    );
  });

  it('encodedLength equals the octets written; encodeControlPacket adds exactly the 12-octet header', () => {
    fc.assert(
      fc.property(messageArb(true), fc.boolean(), fc.integer({ min: 1, max: 1 << 30 }), (msg, dropRv, seed) => {
        // Without its Random Vector the encoder inserts one: the length must still be announced exactly.
        const m = dropRv ? { ...msg, avps: msg.avps.filter((a) => a.type !== AvpType.RandomVector) } : msg;
        const opts = { secret: SECRET, random: seededRandom(seed) };
        const n = encodedLengthControlMessage(m, opts);
        expect(encodeControlMessage(m, { secret: SECRET, random: seededRandom(seed) }).length).toBe(n);
        const packet = encodeControlPacket({ tunnelId: 1, sessionId: 2, ns: 3, nr: 4 }, m, {
          secret: SECRET,
          random: seededRandom(seed),
        });
        expect(packet.length).toBe(CONTROL_HEADER_LENGTH + n);
        expect((packet[2]! << 8) | packet[3]!).toBe(packet.length);
      }),
      { seed: 0x1023, numRuns: 400 },
    );
  });

  it('RFC2661-4.1: unrecognized M=0 AVPs anywhere in a message do not change what decodes', () => {
    const unknown = fc.record({
      vendorId: fc.constantFrom(0, 9, 311),
      type: fc.constantFrom(20, 40, 61, 99, 0x7fff),
      mandatory: fc.constant(false),
      hidden: fc.boolean(),
      value: fc.uint8Array({ maxLength: 20 }),
    });
    fc.assert(
      fc.property(messageArb(false), fc.array(fc.tuple(fc.nat(), unknown), { maxLength: 4 }), (msg, extra) => {
        const avps: RawAvp[] = [...msg.avps];
        for (const [at, a] of extra) avps.splice(at % (avps.length + 1), 0, { ...a, hidden: false });
        const d = decodeChecked(encodeControlMessage({ ...msg, avps }));
        expect(d.ok && d.value).toEqual(msg);
      }),
      { seed: 0x99, numRuns: 400 },
    );
  });
});

// ---- garbage ------------------------------------------------------------------------------------------

/** A junk AVP: random flags, vendor, type, and a Length that may lie. */
const junkAvp = fc
  .record({
    flags: fc.oneof(fc.constantFrom(0x8000, 0x0000, 0xc000, 0x4000), fc.integer({ min: 0, max: 0xfc00 })),
    lengthDelta: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) },
    ),
    vendorId: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
    ),
    type: fc.oneof(fc.integer({ min: 0, max: 47 }), fc.integer({ min: 0, max: 0xffff })),
    value: fc.uint8Array({ maxLength: 40 }),
  })
  .map((a) => {
    const len = Math.max(0, Math.min(0x3ff, 6 + a.value.length + a.lengthDelta));
    const word = (a.flags & 0xfc00) | len;
    return [word >> 8, word & 0xff, a.vendorId >> 8, a.vendorId & 0xff, a.type >> 8, a.type & 0xff, ...a.value];
  });

/** A well-formed AVP the catalogue knows, hidden or not, encoded on its own (hidden ones use the Random Vector 00…). */
const goodAvp = fc
  .constantFrom(...AVPS.keys())
  .filter((t) => t !== AvpType.MessageType)
  .chain((t) => avpFor(t, true))
  .map((a) => [
    ...encodeControlMessage(
      { type: 6, avps: [a] },
      { secret: SECRET, random: { fill: (b) => b, int: () => 0 } },
    ).subarray(8),
  ]);

/** AVP lists with plausible framing: a Message Type first (mostly HELLO/SCCCN, which require nothing), then good and junk AVPs. */
const mangled = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(3, 6) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 31 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
    ),
    fc.array(fc.oneof({ weight: 3, arbitrary: goodAvp }, { weight: 1, arbitrary: junkAvp }), { maxLength: 10 }),
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(new Uint8Array(0)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 5 }) },
    ),
  )
  .map(
    ([m, type, avps, tail]) =>
      new Uint8Array([m ? 0x80 : 0, 8, 0, 0, 0, 0, type >> 8, type & 0xff, ...avps.flat(), ...tail]),
  );

describe('decoding garbage never throws and never reads past the input', () => {
  it('RFC2661-4.1: random octets, with and without a secret', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withSecret) => {
        decodeChecked(bytes, withSecret ? SECRET : undefined);
      }),
      { seed: 0x12c4, numRuns: 20_000 },
    );
  });

  it('RFC2661-4.1: random octets after a valid HELLO Message Type AVP', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, withSecret) => {
        decodeChecked(new Uint8Array([0x80, 8, 0, 0, 0, 0, 0, 6, ...tail]), withSecret ? SECRET : undefined);
      }),
      { seed: 0x6, numRuns: 10_000 },
    );
  });

  it('RFC2661-4.1: the AvpCursor stays inside the body and steps by each declared Length', () => {
    fc.assert(
      fc.property(fc.oneof(mangled, fc.uint8Array({ maxLength: 100 })), (bytes) => {
        const c = new AvpCursor(strict(bytes));
        let covered = 0;
        while (c.next()) {
          assert(
            c.offset === covered && c.valueAt === c.offset + 6 && c.valueEnd <= bytes.length,
            'cursor out of step',
          );
          covered = c.valueEnd;
        }
        assert(c.error !== undefined || covered === bytes.length, 'cursor stopped early without an error');
        assert(c.error === undefined || covered < bytes.length, 'error at the end');
      }),
      { seed: 0xa7, numRuns: 3_000 },
    );
  });

  it('RFC2661-4.1: mangled AVP lists; whatever decodes re-encodes and decodes to the same message', () => {
    let decoded = 0;
    fc.assert(
      fc.property(mangled, fc.boolean(), (bytes, withSecret) => {
        const secret = withSecret ? SECRET : undefined;
        const d = decodeChecked(bytes, secret);
        if (!d.ok) return;
        decoded++;
        const again = decodeChecked(encodeControlMessage(d.value, { secret: SECRET }), SECRET);
        expect(again.ok && again.value).toEqual(d.value);
      }),
      { seed: 0x5eed, numRuns: 3_000 },
    );
    expect(decoded).toBeGreaterThan(300); // the generator does reach the success path
  });
});

describe('every prefix and every single-bit flip of every captured control message', () => {
  const view = new L2tpHeaderView();
  const vectors: Uint8Array[] = [];
  const shapes = new Set<string>();
  for (const name of [
    'xl2tpd-lns.pcap',
    'l2tpns-lns.pcap',
    'xl2tpd-lac-l2tpns.pcap',
    'xl2tpd-lac-xl2tpd.pcap',
    'uml-xl2tpd-pppd-mschapv2.pcap',
    'uml-l2tpns-reference-chap.pcap',
    'oracle-bad-examples.pcap',
  ]) {
    for (const r of udpRecords(readFileSync(new URL(`../vectors/${name}`, import.meta.url)), 1701)) {
      if (view.wrap(r.payload) !== undefined || !view.isControl || view.body.length === 0) continue;
      // One vector per AVP layout (flags, Length, type of every AVP): repeats differ only in IDs and random octets.
      const c = new AvpCursor(view.body);
      let shape = '';
      while (c.next()) shape += `${c.mandatory ? 'M' : ''}${c.hidden ? 'H' : ''}${c.type}/${c.valueEnd - c.offset},`;
      if (!shapes.has(shape)) {
        shapes.add(shape);
        vectors.push(r.payload);
      }
    }
  }

  /** Header then body (both through `strict`); true when the header parsed but the body was refused. */
  const check = (datagram: Uint8Array, cutBody: boolean): boolean => {
    let refused = false;
    if (view.wrap(strict(datagram)) === undefined && view.isControl) refused = !decodeChecked(view.body, SECRET).ok;
    if (cutBody) decodeChecked(datagram.subarray(CONTROL_HEADER_LENGTH), SECRET); // without trusting Length
    return refused;
  };

  it('RFC2661-3.1/4.1: every prefix', () => {
    expect(vectors.length).toBe(40); // distinct AVP layouts among the 160 captured control messages
    for (const v of vectors) for (const p of truncations(v)) check(p, true);
  });

  it('RFC2661-3.1/4.1: every single-bit flip', () => {
    let faults = 0;
    for (const v of vectors) for (const f of bitFlips(v)) if (check(f, false)) faults++;
    expect(faults).toBeGreaterThan(1000);
  });
});
