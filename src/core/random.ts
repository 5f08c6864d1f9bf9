// Randomness is injected into every engine: IDs, challenges, magic numbers, Random Vectors.
// src/io supplies a CSPRNG; seeded-random.ts a seeded one (tests, the fuzzer), so runs replay exactly.

/** The only source of randomness an engine may use. */
export interface Random {
  /** Fills `into` with random octets and returns it. */
  fill(into: Uint8Array): Uint8Array;
  /** A uniformly random integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
}
