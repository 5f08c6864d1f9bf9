// A seeded Random for the fuzzer (same seed, same cases, same IDs). src/ cannot import
// test/support/seeded-random.ts, so this is the fuzzer's own copy of that small generator (mulberry32).

import type { Random } from '../core/random.js';

/** Same seed, same sequence: a fuzz run and every case in it replay exactly. */
export function fuzzRandom(
  seed: number,
): Random & { next(): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (min: number, max: number): number => min + Math.floor((next() / 0x1_0000_0000) * (max - min + 1));
  return {
    next,
    int,
    fill(into: Uint8Array): Uint8Array {
      for (let i = 0; i < into.length; i++) into[i] = next() & 0xff;
      return into;
    },
    pick<T>(xs: readonly T[]): T {
      return xs[int(0, xs.length - 1)]!;
    },
    chance(p: number): boolean {
      return next() / 0x1_0000_0000 < p;
    },
  };
}

/** A case's own seed, derived from the run seed and the case index (so case N replays alone). */
export function caseSeed(runSeed: number, index: number): number {
  return (Math.imul(runSeed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}
