// The conformance fuzzer against our own engines on virtual time (fixed seeds, bounded cases), and
// against deliberately broken targets, which it must find and shrink to a minimal replayable case.
import { describe, expect, it } from 'vitest';
import { checkLiveness } from '../../src/fuzz/conversation.js';
import { parseSavedCase } from '../../src/fuzz/fuzz-case.js';
import { fuzz, replay } from '../../src/fuzz/fuzzer.js';
import { endpointTargetFactory, lnsEngineTargetFactory } from '../../src/fuzz/in-process.js';
import { seededRandom } from '../support/seeded-random.js';
import {
  crashesOnUnknownAvp,
  dropsUnknownOptionalAvp,
  duplicateSccrqOpensTunnel,
  ignoresVersion,
  overAcks,
  wrongErrorCode,
} from './broken-targets.js';

const randoms = () => {
  let k = 0;
  return () => seededRandom(100 + k++);
};

describe('fuzz: our engines', () => {
  it('RFC2661-4.1/5.8: 400 generated cases against LnsEngine find nothing', async () => {
    const r = await fuzz({ factory: lnsEngineTargetFactory({ random: randoms() }), seed: 0x2661, cases: 400 });
    expect(r.findings.map((f) => f.expect)).toEqual([]);
    expect(r.cases).toBe(400);
    // Every family ran (the generator is not stuck on one kind of case).
    expect(Object.keys(r.families).sort()).toEqual(['chaos', 'clean', 'mutate', 'retransmit', 'unknown-avp']);
  });

  it('RFC2661-4.3: 200 cases against a bare Endpoint with a tunnel secret (challenge + hidden AVPs) find nothing', async () => {
    const secret = new TextEncoder().encode('fuzz-secret');
    const factory = endpointTargetFactory({
      random: randoms(),
      secret,
      endpoint: { challengePeer: true, hideAvps: true },
    });
    const t = await factory();
    // The harness answers the Challenge and unhides the replies: a clean setup works.
    expect(await checkLiveness(t, { random: seededRandom(1), secret })).toBeUndefined();
    const r = await fuzz({ factory, seed: 7, cases: 200, secret });
    expect(r.findings.map((f) => f.expect)).toEqual([]);
  });
});

describe('fuzz: broken targets are found and shrunk', () => {
  it('a target that crashes on an unknown M=0 AVP: found, shrunk to one message with one mutation, replayable', async () => {
    const factory = crashesOnUnknownAvp();
    const saved: unknown[] = [];
    const r = await fuzz({ factory, seed: 1, cases: 200, maxFindings: 1, onFinding: (f) => void saved.push(f) });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.expect.kind).toBe('crash');
    expect(f.expect.message).toContain('boom: unknown AVP');
    expect(f.case.steps).toHaveLength(1);
    const step = f.case.steps[0]!;
    expect('mutations' in step ? step.mutations : undefined).toEqual([
      expect.objectContaining({ op: 'unknown-avp', vendorId: 0, mandatory: false }),
    ]);
    expect(f.wire.some((w) => w.dir === 'sent')).toBe(true);
    expect(saved).toHaveLength(1);
    // The JSON file round-trips and replays: the broken target fails again, a sound one does not.
    const back = parseSavedCase(JSON.stringify(f));
    expect((await replay(factory, back)).reproduced).toBe(true);
    expect((await replay(endpointTargetFactory({ random: randoms() }), back)).reproduced).toBe(false);
  });

  it('RFC2661-4.4.2: a StopCCN/CDN with Error Code 6 for an unknown M=1 AVP is found as teardown-result', async () => {
    const r = await fuzz({ factory: wrongErrorCode(), seed: 2, cases: 200, maxFindings: 1, shrinkBudget: 100 });
    expect(r.findings.map((f) => f.expect.kind)).toEqual(['teardown-result']);
    const f = r.findings[0]!;
    // Minimal: at most the clean prefix up to the message carrying the unknown M=1 AVP.
    const last = f.case.steps[f.case.steps.length - 1]!;
    expect('mutations' in last ? last.mutations : []).toEqual([
      expect.objectContaining({ op: 'unknown-avp', mandatory: true }),
    ]);
    expect(f.case.steps.length).toBeLessThanOrEqual(4);
  });

  it('RFC2661-5.8: a target whose Nr acknowledges a message never sent is found as nr-ack, shrunk to no steps', async () => {
    const r = await fuzz({ factory: overAcks(), seed: 3, cases: 20, maxFindings: 1 });
    expect(r.findings.map((f) => f.expect.kind)).toEqual(['nr-ack']);
    // Even the after-case clean setup shows it: the minimal case is empty, the finding is in liveness.
    expect(r.findings[0]!.case.steps).toEqual([]);
    expect(r.findings[0]!.expect.message).toMatch(/^liveness run: SCCRP .* has Nr 2, but we never sent Ns 1/);
  });

  it('RFC2661-3.1: a target that answers a datagram with Ver != 2 is found as garbage-reply', async () => {
    const r = await fuzz({ factory: ignoresVersion(), seed: 4, cases: 300, maxFindings: 1, shrinkBudget: 100 });
    expect(r.findings.map((f) => f.expect.kind)).toEqual(['garbage-reply']);
    expect(r.findings[0]!.case.steps.length).toBeLessThanOrEqual(2);
  });

  it('RFC2661-4.1: a target that drops messages with an unknown M=0 AVP is found as not-ignored', async () => {
    const r = await fuzz({
      factory: dropsUnknownOptionalAvp(),
      seed: 5,
      cases: 300,
      maxFindings: 3,
      shrinkBudget: 100,
    });
    // (A message with an M=1 and an M=0 unknown AVP is dropped too: no teardown, also reported.)
    const f = r.findings.find((x) => x.expect.kind === 'not-ignored');
    expect(f?.expect.message).toMatch(/got no SCCRP|got no ICRP/);
    expect(f?.case.steps.length).toBeLessThanOrEqual(3);
  });

  it('RFC2661-5.8: a target that opens a second tunnel for a retransmitted SCCRQ is found as second-tunnel', async () => {
    const r = await fuzz({ factory: duplicateSccrqOpensTunnel(), seed: 6, cases: 300, maxFindings: 1 });
    expect(r.findings.map((f) => f.expect.kind)).toEqual(['second-tunnel']);
    expect(r.findings[0]!.case.steps).toEqual([{ kind: 'SCCRQ' }, { kind: 'repeat' }]);
  });

  it('a target that never expires a silent tunnel (HELLO disabled) is found as leak', async () => {
    const factory = endpointTargetFactory({ random: randoms(), endpoint: { helloIntervalMs: 0 } });
    const r = await fuzz({ factory, seed: 8, cases: 300, maxFindings: 1, shrinkBudget: 100 });
    expect(r.findings.map((f) => f.expect.kind)).toEqual(['leak']);
    expect(r.findings[0]!.expect.message).toMatch(/tunnel\(s\) still held/);
  });
});
