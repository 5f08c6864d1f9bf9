import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from '../../src/core/deadline-heap.js';

describe('DeadlineHeap', () => {
  it('agrees with a plain map model under random set/clear/popDue', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 20 }),
        at: fc.integer({ min: 0, max: 1000 }),
      }),
      fc.record({ kind: fc.constant('clear' as const), key: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('pop' as const), now: fc.integer({ min: 0, max: 1000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const heap = new DeadlineHeap<number>();
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            heap.set(o.key, o.at);
            model.set(o.key, o.at);
          } else if (o.kind === 'clear') {
            heap.set(o.key, undefined);
            model.delete(o.key);
          } else {
            const due = heap.popDue(o.now).sort((a, b) => a - b);
            const expected = [...model]
              .filter(([, at]) => at <= o.now)
              .map(([k]) => k)
              .sort((a, b) => a - b);
            expect(due).toEqual(expected);
            for (const k of expected) model.delete(k);
          }
          const min = model.size === 0 ? undefined : Math.min(...model.values());
          expect(heap.peek()).toBe(min);
          expect(heap.size).toBe(model.size);
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
