// The UDP fuzz target against a real l2tpns 2.4.1 LNS (+ FreeRADIUS) in a lab namespace (bounded).
// Asserts only that the harness works against a real peer (a clean setup passes the oracles, cases
// run, findings come back replayable); l2tpns's own deviations are printed, not failed.
// Related: src/io/udp-fuzz-target.ts, test/support/peers/l2tpns.ts, xl2tpd-fuzz.test.ts (same shape).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLiveness } from '../../src/fuzz/conversation.js';
import type { FuzzTargetFactory } from '../../src/fuzz/target.js';
import { labSkipReason, NetLab } from '../support/netns.js';
import { type L2tpns, startL2tpns } from '../support/peers/l2tpns.js';
import { seededRandom } from '../support/seeded-random.js';
import { boundedPeerFuzz, runPeerProbes, targetInNamespace } from './peer-fuzz.js';

const skip = labSkipReason(['l2tpns', 'freeradius', 'ss', 'mount']);
const SECRET = 'fz-nsecret';
const secret = new TextEncoder().encode(SECRET);
const LNS = '10.203.62.1';
const FUZZER = '10.203.62.2';

describe.skipIf(skip !== undefined)(`fuzz vs l2tpns${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let l2tpns: L2tpns;
  let factory: FuzzTargetFactory;

  beforeAll(async () => {
    lab = new NetLab('fn');
    const nsLns = lab.addNamespace();
    const nsFuzz = lab.addNamespace();
    lab.addVeth({ ns: nsLns, address: `${LNS}/24` }, { ns: nsFuzz, address: `${FUZZER}/24` });
    l2tpns = await startL2tpns(lab, {
      ns: nsLns,
      bindAddress: LNS,
      secret: SECRET,
      tunAddress: '10.203.62.129',
      pool: '10.203.63.0/24',
      hostName: 'n-lns',
    });
    // Every connection's socket is created inside the fuzzer's namespace.
    factory = targetInNamespace(lab, nsFuzz, LNS, 'l2tpns');
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('a clean tunnel + call setup passes every oracle (the harness speaks to a real LNS)', async () => {
    const t = await factory();
    const f = await checkLiveness(t, { random: seededRandom(1), livenessThrough: 'iccn', secret });
    await t.close();
    expect(f, l2tpns.logFile).toBeUndefined();
  });

  it('bounded fuzz run: cases execute, findings are shrunk and replay (l2tpns deviations are reported, not failed)', async () => {
    await boundedPeerFuzz('l2tpns', factory, 20_000, { livenessThrough: 'iccn', secret });
  }, 60_000);

  it('targeted probes: one known-interesting case each; what l2tpns does is printed', async () => {
    await runPeerProbes('l2tpns', factory, { livenessThrough: 'iccn', secret });
  }, 30_000);
});
