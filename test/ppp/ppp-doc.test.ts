// docs/PPP.md carries the automaton table generated from the code; this keeps the two in step.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { automatonTableMarkdown, BEGIN, DOC_PATH, END } from './ppp-doc.js';

describe('docs/PPP.md', () => {
  it('holds the automaton table generated from src/ppp/automaton.ts (run test/ppp/ppp-doc.ts to refresh)', () => {
    const doc = readFileSync(DOC_PATH, 'utf8');
    const block = doc.slice(doc.indexOf(BEGIN) + BEGIN.length, doc.indexOf(END)).trim();
    expect(block).toBe(automatonTableMarkdown());
  });
});
