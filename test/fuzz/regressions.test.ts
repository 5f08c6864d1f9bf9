// Shrunk fuzz failures in our own code, kept as replayable vectors (test/vectors/fuzz-regressions/,
// produced by the in-process fuzzer with a tunnel secret). 'open' vectors must still reproduce (the
// bug is known, reported to the owner); flip a vector to 'fixed' with the fix, then it must pass.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSavedCase } from '../../src/fuzz/fuzz-case.js';
import { replay } from '../../src/fuzz/fuzzer.js';
import { endpointTargetFactory } from '../../src/fuzz/in-process.js';
import { seededRandom } from '../support/seeded-random.js';

const DIR = join(import.meta.dirname, '..', 'vectors', 'fuzz-regressions');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('fuzz regression vectors', () => {
  it('found the vectors', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    const saved = parseSavedCase(readFileSync(join(DIR, file), 'utf8'));
    it(`${file} (${saved.status ?? 'open'}): ${saved.expect.kind}`, async () => {
      expect(saved.target).toBe('in-process Endpoint (LNS role)');
      const secret = saved.secret === undefined ? {} : { secret: new TextEncoder().encode(saved.secret) };
      const r = await replay(endpointTargetFactory({ random: () => seededRandom(1), ...secret }), saved);
      if (saved.status === 'fixed') expect(r.finding).toBeUndefined();
      else expect(r.finding?.kind, saved.bug).toBe(saved.expect.kind);
    });
  }
});
