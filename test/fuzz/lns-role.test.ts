// The LNS role of the fuzzer (issue 14 item 2): the mutations of our LNS's own datagrams (golden
// checks per layer), the classification that rules wait on, the client-side oracle, a seeded
// in-process campaign against our LacEngine (deep states reached, nothing found, deterministic),
// and broken clients that each oracle must catch. Related: src/fuzz/lns-role.ts, lns-role-run.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { randomMutation } from '../../src/fuzz/generate.js';
import {
  classify,
  generateLnsRoleCase,
  mutateOutgoing,
  type RoleOp,
  randomPppMutation,
} from '../../src/fuzz/lns-role.js';
import { fuzzOurLac, judgeClientDatagram, runRoleCaseInProcess } from '../../src/fuzz/lns-role-run.js';
import { CONTROL_HEADER_LENGTH } from '../../src/l2tp/wire/header.js';
import {
  decodeControlMessage,
  encodeControlPacket,
  makeStringAvp,
  makeU16Avp,
  makeU32Avp,
} from '../../src/l2tp/wire/message.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';
import { LacEngine } from '../../src/lac/lac.js';

const rnd = () => seededRandom(42);

function sccrp(): Uint8Array {
  return encodeControlPacket(
    { tunnelId: 7, sessionId: 0, ns: 0, nr: 1 },
    {
      type: MessageType.SCCRP,
      avps: [
        makeU16Avp(2, 0x0100, { mandatory: true }),
        makeU32Avp(3, 3, { mandatory: true }),
        makeStringAvp(7, 'lns', { mandatory: true }),
        makeU16Avp(9, 33, { mandatory: true }),
      ],
    },
  );
}

/** A data message (L bit set) carrying PPP `ppp` (FF 03 + protocol + packet). */
function data(ppp: number[]): Uint8Array {
  const b = new Uint8Array(8 + ppp.length);
  b[0] = 0x40;
  b[1] = 0x02;
  b[2] = b.length >> 8;
  b[3] = b.length & 0xff;
  b.set([0, 7, 0, 9], 4);
  b.set(ppp, 8);
  return b;
}

// LCP Configure-Request id 1: MRU 1400, Magic-Number.
const LCP_CR = [0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 14, 1, 4, 0x05, 0x78, 5, 6, 1, 2, 3, 4];
// CHAP Challenge id 1, Value-Size 16, 16 octets, name "lns".
const CHAP_CH = [0xff, 0x03, 0xc2, 0x23, 1, 1, 0, 24, 16, ...Array(16).fill(0xaa), 0x6c, 0x6e, 0x73];

describe('the LNS role: what rules wait on and how datagrams are changed', () => {
  it('classifies our datagrams: control messages by Message Type, ZLBs, PPP by protocol', () => {
    expect(classify(sccrp())).toBe('SCCRP');
    expect(classify(sccrp().subarray(0, CONTROL_HEADER_LENGTH))).toBe('ZLB');
    expect(classify(data(LCP_CR))).toBe('LCP');
    expect(classify(data(CHAP_CH))).toBe('CHAP');
    expect(classify(data([0xff, 0x03, 0x80, 0x21, 1, 1, 0, 4]))).toBe('IPCP');
    expect(classify(data([0xff, 0x03, 0x00, 0x21, 0x45]))).toBeUndefined(); // IP is not fuzzed
  });

  it('L2TP ops: an unknown M=1 AVP is appended, Nr moved, the message still encodes; drop and duplicate', () => {
    const [out] = mutateOutgoing(
      sccrp(),
      [
        { op: 'unknown-avp', vendorId: 0, type: 0x7f01, mandatory: true },
        { op: 'nr', delta: 5 },
      ],
      rnd(),
    );
    // The AVP is last: M bit, Length 10, vendor 0, type 0x7f01, then DE AD BE EF; the header's Length follows.
    expect(out!.length).toBe(sccrp().length + 10);
    expect(toHex(out!.subarray(-10))).toBe('800a00007f01deadbeef');
    expect((out![2]! << 8) | out![3]!).toBe(out!.length);
    // An M=0 one instead: the message still decodes, with the AVP kept as unknown.
    const [quiet] = mutateOutgoing(
      sccrp(),
      [{ op: 'unknown-avp', vendorId: 0, type: 0x7f01, mandatory: false }],
      rnd(),
    );
    const d = decodeControlMessage(quiet!.subarray(CONTROL_HEADER_LENGTH));
    expect(d.ok).toBe(true);
    expect((out![10]! << 8) | out![11]!).toBe(6);
    expect(mutateOutgoing(sccrp(), [{ op: 'drop' }], rnd())).toEqual([]);
    expect(mutateOutgoing(sccrp(), [{ op: 'duplicate' }], rnd())).toHaveLength(2);
  });

  it('PPP ops: an unknown option grows the packet and both Length fields; CHAP Value-Size; option length', () => {
    const [grown] = mutateOutgoing(data(LCP_CR), [{ op: 'unknown-option', type: 0x7f, size: 4 }], rnd());
    expect(grown!.length).toBe(data(LCP_CR).length + 6);
    expect((grown![2]! << 8) | grown![3]!).toBe(grown!.length); // L2TP Length
    expect((grown![14]! << 8) | grown![15]!).toBe(14 + 6); // PPP Length
    expect([...grown!.subarray(-6)]).toEqual([0x7f, 6, 0xa5, 0xa5, 0xa5, 0xa5]);
    const [vs] = mutateOutgoing(data(CHAP_CH), [{ op: 'value-size', value: 255 }], rnd());
    expect(vs![8 + 8]).toBe(255);
    const [ol] = mutateOutgoing(data(LCP_CR), [{ op: 'option-length', index: 1, value: 0 }], rnd());
    expect(ol![8 + 8 + 4 + 1]).toBe(0); // the Magic-Number option's Length
    // Value-Size only touches CHAP; option-length never touches CHAP.
    expect(mutateOutgoing(data(LCP_CR), [{ op: 'value-size', value: 9 }], rnd())[0]).toEqual(data(LCP_CR));
    expect(mutateOutgoing(data(CHAP_CH), [{ op: 'option-length', index: 0, value: 0 }], rnd())[0]).toEqual(
      data(CHAP_CH),
    );
  });

  it('property: any op on any of our datagram shapes never throws and yields 0–2 datagrams', () => {
    const shapes = [
      sccrp(),
      sccrp().subarray(0, CONTROL_HEADER_LENGTH),
      data(LCP_CR),
      data(CHAP_CH),
      new Uint8Array(3),
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.nat(shapes.length - 1), (seed, k) => {
        const r = seededRandom(seed);
        const ops: RoleOp[] = [r.chance(0.5) ? randomPppMutation(r) : randomMutation(r), randomMutation(r)];
        const out = mutateOutgoing(shapes[k]!.slice(), ops, r);
        expect(out.length).toBeLessThanOrEqual(2);
      }),
      { numRuns: 2000 },
    );
  });

  it("judges the client's datagrams: L2TP version, control L/S bits and Length, Message Type first", () => {
    expect(judgeClientDatagram(sccrp())).toBeUndefined();
    expect(judgeClientDatagram(data(LCP_CR))).toBeUndefined();
    const v3 = sccrp();
    v3[1] = 0x03;
    expect(judgeClientDatagram(v3)).toMatch(/version 3/);
    const short = sccrp();
    short[3] = short[3]! - 1;
    expect(judgeClientDatagram(short)).toMatch(/Length/);
    const noType = sccrp();
    noType[CONTROL_HEADER_LENGTH + 5] = 9; // first AVP is no longer Message Type
    expect(judgeClientDatagram(noType)).toMatch(/does not decode/);
    expect(judgeClientDatagram(new Uint8Array(2))).toMatch(/no L2TP header/);
  });
});

describe('the LNS role against our own LAC, in process', () => {
  it('300 seeded cases reach every state of a call and find nothing; the same seed gives the same campaign', () => {
    const a = fuzzOurLac({ seed: 7, cases: 300 });
    expect(a.findings.map((f) => f.finding)).toEqual([]);
    expect(a.cases).toBe(300);
    // Deep states were not only reached but mutated there: authentication and the Network phase.
    for (const k of ['SCCRP', 'ICRP', 'LCP', 'CHAP', 'IPCP', 'IPV6CP', 'StopCCN'])
      expect(a.reached[k]?.mutated, k).toBeGreaterThan(5);
    expect(a.events['session-up']).toBe(300); // every liveness call came up
    const b = fuzzOurLac({ seed: 7, cases: 300 });
    expect(b.reached).toEqual(a.reached);
  }, 60_000);

  it('a client that throws on an unknown LCP option is reported as a crash', () => {
    class Fragile extends LacEngine {
      override handleDatagram(bytes: Uint8Array, from: { address: string; port: number }, now: number): void {
        const lcp = (bytes[0]! & 0x80) === 0 && toHex(bytes).includes('ff03c021');
        if (lcp && toHex(bytes).includes('7f04a5a5')) {
          throw new Error('fragile LCP parser');
        }
        super.handleDatagram(bytes, from, now);
      }
    }
    const r = runRoleCaseInProcess(
      1,
      0,
      { family: 'ppp', rules: [{ target: 'LCP', nth: 0, ops: [{ op: 'unknown-option', type: 0x7f, size: 2 }] }] },
      (o) => new Fragile(o),
    );
    expect(r.finding).toMatchObject({ kind: 'crash' });
    expect(r.finding?.message).toContain('fragile LCP parser');
    expect(r.fired).toEqual([0]);
  });

  it('a client that stops dialling after a corrupted SCCRP fails liveness; one that sends garbage is reported', () => {
    class GivesUp extends LacEngine {
      dead = false;
      override handleDatagram(bytes: Uint8Array, from: { address: string; port: number }, now: number): void {
        if ((bytes[0]! & 0x80) !== 0 && bytes.length > 20 && bytes[19] === 2 && bytes.some((x) => x === 0x7f))
          this.dead = true;
        if (!this.dead) super.handleDatagram(bytes, from, now);
      }
      override pollTransmit() {
        return this.dead ? undefined : super.pollTransmit();
      }
    }
    const rule = {
      target: 'SCCRP' as const,
      nth: 0,
      ops: [{ op: 'unknown-avp' as const, vendorId: 0, type: 0x7f10, mandatory: false }],
    };
    const r = runRoleCaseInProcess(1, 0, { family: 'l2tp', rules: [rule] }, (o) => new GivesUp(o));
    expect(r.finding).toMatchObject({ kind: 'liveness' });
    class Garbage extends LacEngine {
      override pollTransmit() {
        const t = super.pollTransmit();
        if (t !== undefined && (t.bytes[0]! & 0x80) !== 0 && t.bytes.length > 12) t.bytes[1] = 0x03;
        return t;
      }
    }
    const g = runRoleCaseInProcess(1, 0, { family: 'clean', rules: [] }, (o) => new Garbage(o));
    expect(g.finding).toMatchObject({ kind: 'reply-malformed' });
  });

  it('regression (found by this fuzzer, seed 7 case 107): an SCCRP whose Ns is one ahead no longer makes our LAC throw', () => {
    // The tunnel-up event was drained after the same input had closed the tunnel again, and the
    // LAC then called Endpoint.startSession on it: an L2tpUsageError thrown on remote input.
    const r = runRoleCaseInProcess(7, 107, {
      family: 'l2tp',
      rules: [{ target: 'ANY', nth: 0, ops: [{ op: 'ns', delta: 1 }] }],
    });
    expect(r.finding).toBeUndefined();
  });

  it('the generator is deterministic per seed and waits for deep states', () => {
    const cases = Array.from({ length: 500 }, (_, i) => generateLnsRoleCase(seededRandom(i)));
    expect(generateLnsRoleCase(seededRandom(3))).toEqual(cases[3]);
    const targets = new Set(cases.flatMap((c) => c.rules.map((r) => r.target)));
    for (const t of ['SCCRP', 'ICRP', 'LCP', 'CHAP', 'IPCP', 'IPV6CP', 'StopCCN', 'CDN'])
      expect(targets.has(t as never), t).toBe(true);
    expect(cases.some((c) => c.rules.some((r) => r.nth > 0))).toBe(true);
  });
});
