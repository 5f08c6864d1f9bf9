// Remote garbage never throws (STYLE B.5): every authenticator and peer, in every state it can
// reach, takes random packets and mutations of real ones, and afterwards still behaves.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createChapMd5Server, createMsChapV2Server } from '../../src/chap/chap-authenticator.js';
import { createChapMd5Client, createMsChapV2Client } from '../../src/chap/chap-peer.js';
import { createPapServer } from '../../src/chap/pap-authenticator.js';
import { createPapClient } from '../../src/chap/pap-peer.js';
import type { AuthEngine } from '../../src/chap/types.js';
import { seededRandom } from '../support/seeded-random.js';
import { drain, exchange } from './pair.js';

const lookup = (user: string): string | undefined => ({ alice: 'alicePass' })[user];

interface Kind {
  readonly name: string;
  server(seed: number): AuthEngine;
  client(seed: number, password: string): AuthEngine;
}

const KINDS: readonly Kind[] = [
  {
    name: 'MS-CHAPv2',
    server: (seed) => createMsChapV2Server({ random: seededRandom(seed), name: 'lns', lookup }),
    client: (seed, password) => createMsChapV2Client({ user: 'alice', password, random: seededRandom(seed + 1) }),
  },
  {
    name: 'CHAP-MD5',
    server: (seed) => createChapMd5Server({ random: seededRandom(seed), name: 'lns', lookup }),
    client: (_seed, password) => createChapMd5Client({ user: 'alice', password }),
  },
  {
    name: 'PAP',
    server: () => createPapServer({ lookup, timeoutMs: 10_000 }),
    client: (seed, password) => createPapClient({ user: 'alice', password, random: seededRandom(seed) }),
  },
];

/** Read through a call: TypeScript would keep `outcome` narrowed across the handle* calls. */
const outcomeOf = (e: AuthEngine): AuthEngine['outcome'] => e.outcome;

type Stage = 'fresh' | 'started' | 'mid' | 'succeeded' | 'failed';
const STAGES: readonly Stage[] = ['fresh', 'started', 'mid', 'succeeded', 'failed'];

/** A server and client pair brought to `stage`, plus every packet that crossed. */
function pairAt(kind: Kind, stage: Stage, seed: number): { s: AuthEngine; c: AuthEngine; seen: Uint8Array[] } {
  const s = kind.server(seed);
  const c = kind.client(seed, stage === 'failed' ? 'wrong' : 'alicePass');
  const seen: Uint8Array[] = [];
  if (stage === 'fresh') return { s, c, seen };
  s.start(0);
  c.start(0);
  if (stage === 'started') return { s, c, seen };
  if (stage === 'mid') {
    // Deliver one packet each way at most: the peer has answered, nobody has decided yet.
    for (const p of drain(s)) {
      seen.push(p);
      c.handlePacket(p, 0);
    }
    for (const p of drain(c)) seen.push(p);
    return { s, c, seen };
  }
  for (const f of exchange(s, c, 0)) seen.push(f.packet);
  return { s, c, seen };
}

/** Random packets, and real ones truncated, bit-flipped, or with a lying Length. */
function garbage(seen: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength: 80 });
  const plausible = fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.nat(255), fc.nat(100), fc.uint8Array({ maxLength: 70 }))
    .map(([code, id, length, rest]) => Uint8Array.of(code, id, length >> 8, length & 0xff, ...rest));
  if (seen.length === 0) return fc.oneof(random, plausible);
  const mutated = fc.tuple(fc.constantFrom(...seen), fc.nat(), fc.nat(), fc.nat(255)).map(([p, cut, at, value]) => {
    const m = p.slice(0, Math.max(0, p.length - (cut % (p.length + 1))));
    if (m.length > 0) m[at % m.length] = value;
    return m;
  });
  return fc.oneof(random, plausible, mutated);
}

describe('auth engines on garbage', () => {
  for (const kind of KINDS) {
    for (const stage of STAGES) {
      it(`${kind.name} server and client in state "${stage}" never throw on garbage and keep their decision`, () => {
        fc.assert(
          fc.property(
            fc.nat(1000),
            fc.array(garbage(pairAt(kind, stage, 1).seen), { maxLength: 12 }),
            (seed, packets) => {
              const { s, c } = pairAt(kind, stage, seed);
              const before = [s.outcome, c.outcome];
              let now = 1;
              for (const p of packets) {
                s.handlePacket(p, now);
                c.handlePacket(p, now);
                s.handleTimeout(now);
                c.handleTimeout(now);
                drain(s);
                drain(c);
                now += 7;
              }
              // A decision never changes because of garbage. (A peer that succeeded may be rechallenged,
              // RFC 1994 §2.3, and garbage can pose as one, so only its failure is final.)
              if (before[0] !== undefined) expect(s.outcome).toEqual(before[0]);
              if (before[1]?.ok === false) expect(c.outcome).toEqual(before[1]);
            },
          ),
          { seed: 0x5eed + stage.length, numRuns: 150 },
        );
      });
    }

    it(`${kind.name}: after garbage, a started pair still authenticates`, () => {
      fc.assert(
        fc.property(fc.array(garbage([]), { maxLength: 20 }), (packets) => {
          const s = kind.server(3);
          const c = kind.client(3, 'alicePass');
          s.start(0);
          c.start(0);
          const pendingS = drain(s);
          const pendingC = drain(c);
          for (const p of packets) {
            // Garbage that parses as a decisive packet can legitimately decide; skip those runs.
            s.handlePacket(p, 0);
            c.handlePacket(p, 0);
            drain(s);
            drain(c);
          }
          if (s.outcome !== undefined || c.outcome !== undefined) return;
          for (const p of pendingS) c.handlePacket(p, 0);
          for (const p of pendingC) s.handlePacket(p, 0);
          exchange(s, c, 0);
          expect(outcomeOf(s)?.ok).toBe(true);
          expect(outcomeOf(c)?.ok).toBe(true);
        }),
        { seed: 0xc4a9, numRuns: 200 },
      );
    });
  }
});

describe('secrets never leak into outcomes', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: no outcome reason or user contains the password, right or wrong`, () => {
      fc.assert(
        // '#' appears in no reason text, so a match can only be the password itself.
        fc.property(
          fc.string({ minLength: 3, maxLength: 24 }).map((p) => `#${p}`),
          fc.boolean(),
          (password, right) => {
            const s = createFor(kind, password, seedOf(password));
            const c = kind.client(seedOf(password), right ? password : `${password}x`);
            s.start(0);
            c.start(0);
            exchange(s, c, 0);
            for (const o of [s.outcome, c.outcome]) {
              expect(o).toBeDefined();
              expect(JSON.stringify(o)).not.toContain(JSON.stringify(password).slice(1, -1));
            }
            expect(s.outcome?.ok).toBe(right);
          },
        ),
        { seed: 0x1eaf, numRuns: 60 },
      );
    });
  }
});

const seedOf = (s: string): number => s.length * 31 + (s.charCodeAt(0) || 0);

/** A server of `kind` whose only user, "alice", has `password`. */
function createFor(kind: Kind, password: string, seed: number): AuthEngine {
  const only = (user: string): string | undefined => (user === 'alice' ? password : undefined);
  switch (kind.name) {
    case 'MS-CHAPv2':
      return createMsChapV2Server({ random: seededRandom(seed), name: 'lns', lookup: only });
    case 'CHAP-MD5':
      return createChapMd5Server({ random: seededRandom(seed), name: 'lns', lookup: only });
    default:
      return createPapServer({ lookup: only });
  }
}
