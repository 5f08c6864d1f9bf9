// The CSPRNG behind the `Random` interface (src/core/random.ts) for production: tunnel/session IDs,
// CHAP challenges, LCP magic numbers, Random Vectors. A small pool refilled by one
// crypto.randomFillSync keeps it at one syscall per ~4 KiB rather than one per call.
import { randomFillSync } from 'node:crypto';
import type { Random } from '../core/random.js';

const TWO_32 = 0x1_0000_0000;

/** A `Random` over the OS CSPRNG; `int` is unbiased (rejection sampling) for ranges up to 2^53. */
export function systemRandom(poolBytes = 4096): Random {
  if (!Number.isInteger(poolBytes) || poolBytes < 8)
    throw new RangeError(`poolBytes must be an integer >= 8: ${poolBytes}`);
  const pool = new Uint8Array(poolBytes);
  let at = poolBytes;

  const u32 = (): number => {
    if (at + 4 > poolBytes) {
      randomFillSync(pool);
      at = 0;
    }
    const v = ((pool[at]! << 24) | (pool[at + 1]! << 16) | (pool[at + 2]! << 8) | pool[at + 3]!) >>> 0;
    // Each pooled byte is handed out once.
    pool.fill(0, at, at + 4);
    at += 4;
    return v;
  };

  return {
    fill(into: Uint8Array): Uint8Array {
      // Large requests go straight to the OS; small ones come from the pool.
      if (into.length > poolBytes >> 2) return randomFillSync(into);
      if (at + into.length > poolBytes) {
        randomFillSync(pool);
        at = 0;
      }
      into.set(pool.subarray(at, at + into.length));
      pool.fill(0, at, at + into.length);
      at += into.length;
      return into;
    },
    int(min: number, max: number): number {
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
        throw new RangeError(`int(min, max) needs safe integers with min <= max: ${min}, ${max}`);
      }
      const range = max - min + 1;
      if (range <= TWO_32) {
        // Rejection sampling: accept only values below the largest multiple of `range`.
        const limit = TWO_32 - (TWO_32 % range);
        for (;;) {
          const v = u32();
          if (v < limit) return min + (v % range);
        }
      }
      if (range > Number.MAX_SAFE_INTEGER) throw new RangeError(`int range too large: ${min}..${max}`);
      // 53 random bits, rejected above the largest multiple of `range`.
      const TWO_53 = 2 ** 53;
      const limit = TWO_53 - (TWO_53 % range);
      for (;;) {
        const v = (u32() & 0x1f_ffff) * TWO_32 + u32();
        if (v < limit) return min + (v % range);
      }
    },
  };
}
