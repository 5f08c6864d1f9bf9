// The receive sequencer of data messages, RFC 2661 §5.4: in order at once, ahead held (copied),
// duplicates and stale Ns dropped, gaps skipped when the buffer is full or at the reorder deadline
// (virtual time), numbering mod 2^16. Related: src/session/data-sequencer.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataSequencer, type DataSequencerOptions } from '../../src/session/data-sequencer.js';

/** A frame whose first two octets are its Ns (so released frames say which they are). */
const frame = (ns: number, size = 4): Uint8Array => {
  const f = new Uint8Array(size);
  f[0] = ns >> 8;
  f[1] = ns & 0xff;
  return f;
};
const nsOf = (f: Uint8Array): number => (f[0]! << 8) | f[1]!;

/** Feeds Ns values at `now`; returns the Ns delivered, in delivery order, and every verdict. */
function feed(seq: DataSequencer, values: readonly number[], now = 0): { delivered: number[]; verdicts: string[] } {
  const delivered: number[] = [];
  const verdicts: string[] = [];
  for (const ns of values) {
    const f = frame(ns);
    const v = seq.receive(ns, f, now);
    verdicts.push(v);
    if (v === 'next') delivered.push(nsOf(f));
    for (let r = seq.pollReleased(); r !== undefined; r = seq.pollReleased()) delivered.push(nsOf(r));
  }
  return { delivered, verdicts };
}

/** Runs the reorder timeout at `now` and returns what it released. */
function expire(seq: DataSequencer, now: number): number[] {
  const out: number[] = [];
  while (seq.expire(now)) for (let r = seq.pollReleased(); r !== undefined; r = seq.pollReleased()) out.push(nsOf(r));
  return out;
}

describe('DataSequencer (RFC 2661 §5.4)', () => {
  it('RFC2661-3.1: Ns begins at 0; in order each is delivered at once, nothing held', () => {
    const seq = new DataSequencer();
    const r = feed(seq, [0, 1, 2, 3]);
    expect(r.delivered).toEqual([0, 1, 2, 3]);
    expect(r.verdicts).toEqual(['next', 'next', 'next', 'next']);
    expect(seq.held).toBe(0);
    expect(seq.deadline).toBeUndefined();
  });

  it('RFC2661-5.4: reordered data is delivered in order once the gap fills; duplicates are dropped', () => {
    const seq = new DataSequencer();
    const r = feed(seq, [0, 2, 3, 2, 1, 1, 0, 4]);
    expect(r.delivered).toEqual([0, 1, 2, 3, 4]);
    expect(r.verdicts).toEqual(['next', 'held', 'held', 'duplicate', 'next', 'duplicate', 'duplicate', 'next']);
    expect(seq.skipped).toBe(0);
  });

  it('keeps a copy of a held frame: the caller may reuse its buffer (fast path)', () => {
    const seq = new DataSequencer();
    seq.receive(0, frame(0), 0);
    const buf = frame(2, 8).fill(0x77, 2);
    expect(seq.receive(2, buf, 0)).toBe('held');
    buf.fill(0); // the driver reuses the slot
    seq.receive(1, frame(1), 0);
    const released = seq.pollReleased()!;
    expect(nsOf(released)).toBe(2);
    expect([...released.subarray(2)]).toEqual([0x77, 0x77, 0x77, 0x77, 0x77, 0x77]);
  });

  it('skips the gap at the reorder deadline (virtual time), then drops the late Ns as stale', () => {
    const seq = new DataSequencer({ reorderTimeoutMs: 50 });
    feed(seq, [0], 0);
    expect(feed(seq, [2, 3], 10).delivered).toEqual([]);
    expect(seq.deadline).toBe(60);
    expect(expire(seq, 59)).toEqual([]);
    expect(expire(seq, 60)).toEqual([2, 3]);
    expect(seq.skipped).toBe(1);
    expect(seq.deadline).toBeUndefined();
    expect(feed(seq, [1], 70).verdicts).toEqual(['stale']);
    expect(feed(seq, [3], 70).verdicts).toEqual(['duplicate']);
  });

  it('the deadline follows the oldest held frame; an expired one releases the run before it in order', () => {
    const seq = new DataSequencer({ reorderTimeoutMs: 50 });
    feed(seq, [0], 0);
    feed(seq, [5], 0); // waits from 0
    feed(seq, [3], 30); // waits from 30
    expect(seq.deadline).toBe(50);
    // At 50 the frame of Ns 5 has waited its 50 ms: Ns 3 (before it) goes first, then 5.
    expect(expire(seq, 50)).toEqual([3, 5]);
    expect(seq.skipped).toBe(3); // 1, 2 and 4
  });

  it('skips the gap when the buffer is full (capacity frames), releasing in order', () => {
    const seq = new DataSequencer({ capacity: 8 });
    feed(seq, [0]);
    const ahead = feed(seq, [2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ahead.delivered).toEqual([]);
    expect(seq.held).toBe(8);
    // The 9th frame ahead finds no room: Ns 1 is given up on.
    expect(feed(seq, [10]).delivered).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seq.skipped).toBe(1);
    expect(seq.held).toBe(0);
    expect(feed(seq, [1]).verdicts).toEqual(['stale']);
  });

  it('when full and the new frame comes before every held one, skips only up to it', () => {
    const seq = new DataSequencer({ capacity: 4 });
    feed(seq, [0]);
    feed(seq, [5, 6, 7, 8]);
    const r = feed(seq, [3]);
    expect(r.verdicts).toEqual(['next']);
    expect(r.delivered).toEqual([3]);
    expect(seq.skipped).toBe(2); // 1 and 2
    expect(seq.held).toBe(4);
    expect(feed(seq, [4]).delivered).toEqual([4, 5, 6, 7, 8]);
  });

  it('bounds the octets held (maxHeldOctets) as well as the frames', () => {
    const seq = new DataSequencer({ capacity: 8, maxHeldOctets: 3000 });
    seq.receive(0, frame(0), 0);
    for (const ns of [2, 3, 4]) seq.receive(ns, frame(ns, 1000), 0);
    expect(seq.held).toBe(3);
    // A 4th frame of 1000 octets would hold 4000 > 3000: the gap (Ns 1) is skipped.
    expect(seq.receive(5, frame(5, 1000), 0)).toBe('held');
    const out: number[] = [];
    for (let r = seq.pollReleased(); r !== undefined; r = seq.pollReleased()) out.push(nsOf(r));
    expect(out).toEqual([2, 3, 4, 5]);
    expect(seq.held).toBe(0);
  });

  it('RFC2661-5.8 arithmetic: numbering wraps from 65535 to 0, in order and reordered', () => {
    const seq = new DataSequencer();
    for (let ns = 0; ns <= 65533; ns++) seq.receive(ns, frame(ns), 0);
    const r = feed(seq, [65535, 65534, 1, 0, 65535, 2]);
    expect(r.delivered).toEqual([65534, 65535, 0, 1, 2]);
    expect(r.verdicts).toEqual(['held', 'next', 'held', 'next', 'duplicate', 'next']);
  });

  it('takes a restarted numbering after resyncAfter stale packets in a row (a peer that did not resume)', () => {
    const seq = new DataSequencer({ resyncAfter: 4 });
    feed(
      seq,
      Array.from({ length: 100 }, (_, i) => i),
    );
    const r = feed(seq, [40, 41, 42, 43, 44, 45]);
    // 40 was delivered long ago and is outside the 32-wide duplicate window: stale.
    expect(r.verdicts).toEqual(['stale', 'stale', 'stale', 'next', 'next', 'next']);
    expect(r.delivered).toEqual([43, 44, 45]);
    expect(seq.resyncs).toBe(1);
  });

  it('property: any arrival order with duplicates delivers each Ns at most once, strictly increasing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 10 }),
        (values, gaps, capacity) => {
          const seq = new DataSequencer({ capacity, reorderTimeoutMs: 20, resyncAfter: 1_000_000 });
          const delivered: number[] = [];
          let now = 0;
          values.forEach((ns, i) => {
            now += gaps[i % gaps.length]!;
            delivered.push(...expire(seq, now));
            delivered.push(...feed(seq, [ns], now).delivered);
          });
          delivered.push(...expire(seq, now + 1000));
          for (let i = 1; i < delivered.length; i++) if (delivered[i]! <= delivered[i - 1]!) return false;
          return seq.held === 0;
        },
      ),
      { seed: 54, numRuns: 300 },
    );
  });

  it('property: displaced by less than the capacity, with duplicates, every Ns is delivered exactly once, in order', () => {
    const arrival = fc
      .record({
        n: fc.integer({ min: 1, max: 300 }),
        capacity: fc.integer({ min: 1, max: 10 }),
        seed: fc.integer(),
        dupRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
      })
      .map(({ n, capacity, seed, dupRate }) => {
        // Ns i arrives at i + d with 0 <= d < capacity: no more than capacity - 1 frames are ever ahead.
        let x = seed >>> 0 || 1;
        const rnd = (): number => {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          return (x >>> 0) / 2 ** 32;
        };
        const keyed = Array.from({ length: n }, (_, i) => ({ ns: i, at: i + rnd() * capacity }));
        for (let i = 0; i < n; i++) if (rnd() < dupRate) keyed.push({ ns: i, at: i + capacity + rnd() * 40 });
        keyed.sort((a, b) => a.at - b.at);
        return { n, capacity, order: keyed.map((k) => k.ns) };
      });
    fc.assert(
      fc.property(arrival, ({ n, capacity, order }) => {
        const opts: DataSequencerOptions = { capacity };
        const { delivered } = feed(new DataSequencer(opts), order);
        return delivered.length === n && delivered.every((ns, i) => ns === i);
      }),
      { seed: 55, numRuns: 300 },
    );
  });
});
