// docs/L2TP-AUTOMATA.md is generated from the tables; this fails when it is stale.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderAutomataDoc } from '../../scripts/gen-automata-doc.js';

describe('docs/L2TP-AUTOMATA.md', () => {
  it('matches the tunnel and session tables (regenerate: node --import tsx scripts/gen-automata-doc.ts)', () => {
    const doc = readFileSync(new URL('../../docs/L2TP-AUTOMATA.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderAutomataDoc());
  });
});
