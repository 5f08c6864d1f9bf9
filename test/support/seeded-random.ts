// A seeded, reproducible Random for simulations and property tests (xorshift128+ style, 32-bit).
import type { Random } from '../../src/core/random.js';

/** Same seed, same sequence: simulations and fuzz failures replay exactly. */
export function seededRandom(seed: number): Random & { next(): number } {
  let a = seed >>> 0 || 0x9e3779b9;
  let b = (seed * 0x85ebca6b) >>> 0 || 0x6a09e667;
  let c = 0xc2b2ae35;
  let d = 0x27d4eb2f;
  const next = (): number => {
    // xoshiro128** on 32-bit lanes.
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
  return {
    next,
    fill(into: Uint8Array): Uint8Array {
      for (let i = 0; i < into.length; i++) into[i] = next() & 0xff;
      return into;
    },
    int(min: number, max: number): number {
      return min + Math.floor((next() / 0x1_0000_0000) * (max - min + 1));
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
