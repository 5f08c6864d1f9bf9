// The seeded Random of simulations and property tests: the one in src/core (xoshiro128**), shared
// with the fuzzer so that both replay the same way. Kept here so tests import it from their support.
export { type SeededRandom, seededRandom } from '../../src/core/seeded-random.js';
