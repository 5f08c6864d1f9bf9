// Garbage and mutated real messages: the endpoint never throws, never trips its internal-error
// guard, and afterwards still completes a normal exchange (STYLE.md B.6 engine property).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Transmit } from '../../src/core/engine.js';
import { Endpoint } from '../../src/l2tp/endpoint.js';
import { seededRandom } from '../support/seeded-random.js';
import { LAC, l2tpPair } from './l2tp-pair.js';

/** Every datagram the LAC sends in a full exchange: tunnel, session, CDN, StopCCN, with auth + hiding. */
function lacCorpus(): Uint8Array[] {
  const secret = new TextEncoder().encode('fuzz');
  const opts = { tunnelSecret: () => secret, challengePeer: true, hideAvps: true };
  const p = l2tpPair(opts, opts, 11);
  const out: Uint8Array[] = [];
  const orig = p.lac.pollTransmit.bind(p.lac);
  p.lac.pollTransmit = (): Transmit | undefined => {
    const t = orig();
    if (t !== undefined) out.push(t.bytes.slice());
    return t;
  };
  const [tid] = p.tunnelUp();
  const [sid] = p.sessionUp(tid);
  p.lac.disconnect(tid, sid, { resultCode: 3 }, p.net.now);
  p.settle();
  p.lac.close(tid, { resultCode: 1 }, p.net.now);
  p.settle(40_000);
  return out;
}

describe('Endpoint robustness', () => {
  const corpus = lacCorpus();

  it('RFC2661-4.1: every single-bit flip of every LAC message, replayed in order, never trips the guard', () => {
    expect(corpus.length).toBeGreaterThan(5);
    // The same seed as the pair's LNS: same Tunnel ID and Challenge, so the clean replay is accepted.
    const fresh = (): Endpoint =>
      new Endpoint({
        role: 'lns',
        hostName: 'lns1',
        random: seededRandom(13),
        tunnelSecret: () => new TextEncoder().encode('fuzz'),
        challengePeer: true,
        hideAvps: true,
      });
    const clean = fresh();
    corpus.forEach((d, j) => {
      clean.handleDatagram(d, LAC, j * 10);
    });
    const seen: string[] = [];
    for (let e = clean.pollEvent(); e; e = clean.pollEvent()) seen.push(e.type);
    expect(seen).toEqual(expect.arrayContaining(['tunnel-up', 'session-up', 'session-down', 'tunnel-down']));
    for (let i = 0; i < corpus.length; i++) {
      const msg = corpus[i]!;
      for (let bit = 0; bit < msg.length * 8; bit++) {
        const lns = fresh();
        // Replay the clean prefix so the flip lands in the state it was meant for.
        for (let j = 0; j < i; j++) lns.handleDatagram(corpus[j]!, LAC, j * 10);
        const flipped = msg.slice();
        flipped[bit >> 3]! ^= 0x80 >> (bit & 7);
        lns.handleDatagram(flipped, LAC, i * 10);
        lns.handleTimeout(1_000_000);
        expect(lns.counters.internalErrors, `message ${i} bit ${bit}`).toBe(0);
      }
    }
  });

  it('RFC2661-4.1: random datagrams never throw; the endpoint then still brings a tunnel and a session up', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }),
        (junk, tids) => {
          const p = l2tpPair({}, {}, 21);
          junk.forEach((b, k) => {
            const d = b.slice();
            // Half of them get a plausible control header so they reach deeper code.
            if (k % 2 === 0 && d.length >= 12) {
              d.set([0xc8, 0x02, d.length >> 8, d.length & 0xff]);
              const tid = tids[k] ?? 0;
              d[4] = tid >> 8;
              d[5] = tid & 0xff;
            }
            p.lns.handleDatagram(d, LAC, 0);
          });
          const [tid] = p.tunnelUp();
          p.sessionUp(tid);
          expect(p.has(p.lnsEvents, 'session-up')).toBe(true);
          expect(p.lns.counters.internalErrors).toBe(0);
          expect([...p.lns.tunnels()]).toHaveLength(1);
        },
      ),
      { seed: 0x2661, numRuns: 200 },
    );
  });
});
