// The O(1) queue the engines drain: the order of Array#push/shift, peek, clear, and compaction
// after long runs. Related: src/core/fifo.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/core/fifo.js';

describe('core/fifo', () => {
  it('shifts in push order, peeks without removing, and is empty after clear', () => {
    const q = new Fifo<number>();
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
    q.push(1);
    q.push(2);
    expect(q.peek()).toBe(1);
    expect(q.length).toBe(2);
    expect(q.shift()).toBe(1);
    expect(q.peek()).toBe(2);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.peek()).toBeUndefined();
    expect(q.shift()).toBeUndefined();
  });

  it('behaves like an array used with push and shift, across compactions', () => {
    const op = fc.oneof(
      fc.integer({ min: 0, max: 3000 }).map((n) => ({ push: n })),
      fc.constant('shift' as const),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 6000 }), (ops) => {
        const q = new Fifo<number>();
        const a: number[] = [];
        for (const o of ops) {
          if (o === 'shift') {
            if (q.peek() !== a[0] || q.shift() !== a.shift()) return false;
          } else {
            q.push(o.push);
            a.push(o.push);
          }
          if (q.length !== a.length) return false;
        }
        return true;
      }),
      { seed: 11, numRuns: 50 },
    );
    // A long run past the 1024-item compaction point keeps the order.
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 4000; i++) expect(q.shift()).toBe(i);
    expect(q.peek()).toBe(4000);
    expect(q.length).toBe(1000);
  });
});
