// The UDP fuzz target against a real xl2tpd 1.3.18 LNS in a lab namespace (bounded: ~25 s of cases).
// Asserts only that the harness works against a real peer (a clean setup passes the oracles, cases
// run, findings come back shrunk and replayable); xl2tpd's own deviations are printed, not failed.
// Related: src/io/udp-fuzz-target.ts, test/support/peers/xl2tpd.ts (its pppd cannot run: CDN after ICCN).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLiveness } from '../../src/fuzz/conversation.js';
import type { FuzzTargetFactory } from '../../src/fuzz/target.js';
import { labSkipReason, NetLab } from '../support/netns.js';
import { startXl2tpdLns, type Xl2tpd } from '../support/peers/xl2tpd.js';
import { seededRandom } from '../support/seeded-random.js';
import { boundedPeerFuzz, runPeerProbes, targetInNamespace } from './peer-fuzz.js';

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
    factory = targetInNamespace(lab, nsFuzz, LNS, 'xl2tpd');
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('a clean tunnel + call setup passes every oracle (the harness speaks to a real LNS)', async () => {
    const t = await factory();
    const f = await checkLiveness(t, { random: seededRandom(1), livenessThrough: 'icrp' });
    await t.close();
    expect(f, xl2tpd.log()).toBeUndefined();
  });

  it('bounded fuzz run: cases execute, findings are shrunk and replay (xl2tpd deviations are reported, not failed)', async () => {
    await boundedPeerFuzz('xl2tpd', factory, 25_000, { livenessThrough: 'icrp' });
  }, 60_000);

  it('targeted probes: one known-interesting case each; what xl2tpd does is printed', async () => {
    await runPeerProbes('xl2tpd', factory, { livenessThrough: 'icrp' });
  }, 30_000);
});
