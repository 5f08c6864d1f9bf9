// The one seeded Random: same seed, same sequence, so a simulation, a property test and a fuzz run
// (its cases, its IDs, a saved case's replay) repeat exactly. Pure arithmetic, no I/O: it lives in
// core so that src/fuzz and test/support share it. src/io/system-random.ts is the CSPRNG engines
// get in production.
//
// The generator is xoshiro128** (Blackman and Vigna, 2018): four 32-bit lanes of state, a
// xor/shift/rotate step and a multiply-rotate-multiply scrambler on lane 1; period 2^128 - 1. The
// seed fills two lanes (never all zero), and eight outputs are thrown away so that nearby seeds
// diverge. It is not cryptographic and must never reach production code.
import type { Random } from './random.js';

/** A Random that also exposes its raw stream and two conveniences the fuzz generator uses. */
export interface SeededRandom extends Random {
  /** The next 32-bit output, as an unsigned integer. */
  next(): number;
  /** A uniformly chosen element of a non-empty list. */
  pick<T>(xs: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
}

/** Same seed, same sequence (xoshiro128**). */
export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0 || 0x9e3779b9;
  let b = (seed * 0x85ebca6b) >>> 0 || 0x6a09e667;
  let c = 0xc2b2ae35;
  let d = 0x27d4eb2f;
  const next = (): number => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r;
  };
  for (let i = 0; i < 8; i++) next();
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

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
