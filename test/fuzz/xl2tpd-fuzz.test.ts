// The UDP fuzz target against a real xl2tpd 1.3.18 LNS in a lab namespace (bounded: ~25 s of cases).
// Asserts only that the harness works against a real peer (a clean setup passes the oracles, cases
// run, findings come back shrunk and replayable); xl2tpd's own deviations are printed, not failed.
// Related: src/fuzz/udp-target.ts, test/support/peers/xl2tpd.ts (its pppd cannot run: CDN after ICCN).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLiveness, runCase } from '../../src/fuzz/conversation.js';
import type { FuzzStep } from '../../src/fuzz/fuzz-case.js';
import { describeWire, fuzz, replay } from '../../src/fuzz/fuzzer.js';
import { fuzzRandom } from '../../src/fuzz/seeded-random.js';
import type { FuzzTarget, FuzzTargetFactory } from '../../src/fuzz/target.js';
import { UdpTarget } from '../../src/fuzz/udp-target.js';
import { labSkipReason, NetLab } from '../support/netns.js';
import { startXl2tpdLns, type Xl2tpd } from '../support/peers/xl2tpd.js';

const skip = labSkipReason(['xl2tpd', 'ss']);
const LNS = '10.203.61.1';
const FUZZER = '10.203.61.2';

describe.skipIf(skip !== undefined)(`fuzz vs xl2tpd LNS${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let xl2tpd: Xl2tpd;
  let factory: FuzzTargetFactory;

  beforeAll(async () => {
    lab = new NetLab('fz');
    const nsLns = lab.addNamespace();
    const nsFuzz = lab.addNamespace();
    lab.addVeth({ ns: nsLns, address: `${LNS}/24` }, { ns: nsFuzz, address: `${FUZZER}/24` });
    xl2tpd = await startXl2tpdLns(lab, { ns: nsLns, hostName: 'x-lns', secret: 'unused-by-default-section' });
    // Every connection's socket is created inside the fuzzer's namespace.
    factory = async (): Promise<FuzzTarget> => {
      const inner = new UdpTarget({ host: LNS, port: 1701, quietMs: 100 });
      return {
        description: `xl2tpd ${inner.description}`,
        quietMs: inner.quietMs,
        connect: () => lab.withNetns(nsFuzz, () => inner.connect()),
        close: () => inner.close(),
      };
    };
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('a clean tunnel + call setup passes every oracle (the harness speaks to a real LNS)', async () => {
    const t = await factory();
    const f = await checkLiveness(t, { random: fuzzRandom(1), livenessThrough: 'icrp' });
    await t.close();
    expect(f, xl2tpd.log()).toBeUndefined();
  });

  it('bounded fuzz run: cases execute, findings are shrunk and replay (xl2tpd deviations are reported, not failed)', async () => {
    const started = Date.now();
    const r = await fuzz({
      factory,
      seed: 0x1701,
      durationMs: 25_000,
      clock: () => Date.now(),
      livenessThrough: 'icrp',
      maxFindings: 4,
      shrinkBudget: 12,
    });
    const lines = [`xl2tpd: ${r.cases} cases in ${Date.now() - started} ms, ${r.findings.length} finding(s)`];
    for (const f of r.findings) {
      lines.push(`  ${f.expect.kind} (case ${f.caseIndex}, ${f.case.steps.length} steps): ${f.expect.message}`);
      lines.push(`    case: ${JSON.stringify(f.case.steps)}`);
      lines.push(describeWire(f).replace(/^/gm, '    '));
    }
    console.info(lines.join('\n'));
    expect(r.cases).toBeGreaterThan(2);
    // A finding is a value the harness can replay (it may not reproduce: a real peer keeps state).
    for (const f of r.findings.slice(0, 1)) {
      const again = await replay(factory, f, { livenessThrough: 'icrp' });
      expect(again.wire.length).toBeGreaterThan(0);
    }
  }, 60_000);

  it('targeted probes: one known-interesting case each; what xl2tpd does is printed', async () => {
    const probes: Record<string, FuzzStep[]> = {
      'HELLO with Ver 15 in sequence (§3.1 discard)': [
        { kind: 'SCCRQ' },
        { kind: 'SCCCN' },
        { kind: 'HELLO', mutations: [{ op: 'version', value: 15 }] },
      ],
      'SCCCN with an unknown M=1 AVP (§4.1, 2/8)': [
        { kind: 'SCCRQ' },
        { kind: 'SCCCN', mutations: [{ op: 'unknown-avp', vendorId: 0, type: 0x7f11, mandatory: true }] },
      ],
      'ICRQ with an unknown M=0 AVP (§4.1 ignore)': [
        { kind: 'SCCRQ' },
        { kind: 'SCCCN' },
        { kind: 'ICRQ', mutations: [{ op: 'unknown-avp', vendorId: 0, type: 0x7f12, mandatory: false }] },
      ],
      'retransmitted SCCRQ (§5.8)': [{ kind: 'SCCRQ' }, { kind: 'repeat' }, { kind: 'repeat' }],
      'data message for an unknown session': [
        { kind: 'SCCRQ' },
        { kind: 'SCCCN' },
        { kind: 'data', sessionId: 0x4242, payloadHex: 'ff03c021010100040000' },
      ],
      'SCCRQ with Ns 5 (out of order first message)': [{ kind: 'SCCRQ', mutations: [{ op: 'ns', delta: 5 }] }],
    };
    const lines: string[] = ['xl2tpd targeted probes:'];
    let k = 0;
    for (const [name, steps] of Object.entries(probes)) {
      const t = await factory();
      const r = await runCase(
        t,
        { family: 'probe', steps },
        { random: fuzzRandom(0x7000 + k++), livenessThrough: 'icrp' },
      );
      await t.close();
      expect(r.wire.some((w) => w.dir === 'sent')).toBe(true);
      lines.push(`  ${name}: ${r.finding ? `${r.finding.kind}: ${r.finding.message}` : 'conforms'}`);
    }
    console.info(lines.join('\n'));
  }, 30_000);
});
