// The in-process fuzzer's finding `fuzz --in-process --seed 11 --duration 60` (case 65826, shrunk to
// two steps), kept as a regression case. The mutations 'version 3' then 'flip bit 399' cancel out
// (bit 399 of a 48-octet ICRQ is bit 7 of octet 1, the Ver field's low bit), so the ICRQ went out
// with Ver 2, byte for byte a valid ICRQ. The LNS, still waiting for SCCCN, answered it with
// StopCCN 7 "FSM error" as §7.2 says; the oracle took the mutation list, not the octets sent, for
// "RFC 2661 §3.1 says discard". Fixed in src/fuzz/conversation.ts (mustDrop judges the octets).
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/seeded-random.js';
import type { SavedCase } from '../../src/fuzz/fuzz-case.js';
import { replay } from '../../src/fuzz/fuzzer.js';
import { lnsEngineTargetFactory } from '../../src/fuzz/in-process.js';

const CASE: SavedCase = {
  format: 'l2tp-ts-fuzz-case/1',
  target: 'in-process LnsEngine',
  seed: 11,
  caseIndex: 65826,
  expect: {
    kind: 'garbage-reply',
    step: 1,
    message:
      'answered a datagram RFC 2661 §3.1 says to discard with StopCCN tid=5914 sid=0 ns=1 nr=2 <AssignedTunnelId 20500> <ResultCode 7/0 "FSM error">',
  },
  case: {
    family: 'mutate',
    steps: [
      { kind: 'SCCRQ' },
      {
        kind: 'ICRQ',
        mutations: [
          { op: 'version', value: 3 },
          { op: 'flip', bit: 399 },
        ],
      },
    ],
  },
  wire: [],
} as unknown as SavedCase;

describe('fuzz regression: seed 11 case 65826 (garbage-reply)', () => {
  it('a datagram whose mutations cancel out is judged by its octets: the StopCCN 7 answering it is no garbage reply', async () => {
    let k = 0;
    const r = await replay(lnsEngineTargetFactory({ random: () => seededRandom(0x2661 + k++) }), CASE);
    expect(r.finding).toBeUndefined();
    // The LNS did answer the (valid, Ver 2) ICRQ with StopCCN 7 "FSM error", as §7.2 wants in wait-ctl-conn.
    const sent = r.wire.find((w) => w.dir === 'sent' && w.step === 1);
    expect(sent?.hex.slice(0, 4)).toBe('c802');
    expect(r.wire.some((w) => w.dir === 'received' && w.step === 1 && w.summary.includes('ResultCode 7/0'))).toBe(true);
  });
});
