// monotonicNow and systemRandom: the contracts engines rely on.
// Related: src/io/clock.ts, src/io/system-random.ts, src/core/random.ts.
import { describe, expect, it } from 'vitest';
import { monotonicNow } from '../../src/io/clock.js';
import { systemRandom } from '../../src/io/system-random.js';

describe('monotonicNow', () => {
  it('never goes backwards', () => {
    let last = monotonicNow();
    for (let i = 0; i < 10_000; i++) {
      const t = monotonicNow();
      expect(t >= last).toBe(true);
      last = t;
    }
  });
});

describe('systemRandom', () => {
  it('int(min, max) stays inside the inclusive range, including 32-bit and >32-bit ranges', () => {
    const r = systemRandom(64);
    for (const [min, max] of [
      [0, 0],
      [1, 65535],
      [0, 0xffffffff],
      [-5, 5],
      [0, 2 ** 40],
    ] as const) {
      for (let i = 0; i < 2000; i++) {
        const v = r.int(min, max);
        expect(Number.isInteger(v) && v >= min && v <= max, `${v} in [${min}, ${max}]`).toBe(true);
      }
    }
  });

  it('int covers both ends of a small range and is roughly uniform', () => {
    const r = systemRandom();
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[r.int(0, 3)]!++;
    // Each bucket expects 10 000; 9 000 is > 20 standard deviations away.
    for (const c of counts) expect(c).toBeGreaterThan(9000);
  });

  it('fill returns its argument, filled; successive fills differ (pool bytes are not reused)', () => {
    const r = systemRandom(64);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const b = new Uint8Array(16);
      expect(r.fill(b)).toBe(b);
      seen.add(Buffer.from(b).toString('hex'));
    }
    expect(seen.size).toBe(200);
    const big = r.fill(new Uint8Array(1000));
    expect(big.some((x) => x !== 0)).toBe(true);
  });

  it('rejects bad ranges with RangeError', () => {
    const r = systemRandom();
    expect(() => r.int(5, 4)).toThrow(RangeError);
    expect(() => r.int(0.5, 4)).toThrow(RangeError);
    expect(() => systemRandom(2)).toThrow(RangeError);
  });
});
