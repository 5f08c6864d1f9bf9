// `fuzz --role lns` against a real client: xl2tpd 1.3.18 as LAC in a lab namespace, dialled through
// its control pipe once per case, our mutating LNS in another (issue 14 item 2). Its pppd cannot
// run here (no /dev/ppp), so every call ends in a CDN after ICCN: the campaign reaches SCCRP, ICRP,
// ZLB, HELLO and the teardown, and liveness is "a clean dial gets ICCN again". The campaign's
// outcome is asserted as found (no finding in xl2tpd 1.3.18 at this seed), so a change in xl2tpd
// or in our fuzzer shows up here. Related: src/io/fuzz-lns-role.ts, test/support/peers/xl2tpd.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleReport } from '../../src/fuzz/lns-role-run.js';
import { fuzzClientOverUdp } from '../../src/io/fuzz-lns-role.js';
import { labSkipReason, NetLab } from '../support/netns.js';
import { startXl2tpdLac, type Xl2tpd } from '../support/peers/xl2tpd.js';

const skip = labSkipReason(['xl2tpd']);
const LNS_IP = '10.203.91.1';
const LAC_IP = '10.203.91.2';

describe.skipIf(skip !== undefined)(`fuzz --role lns against xl2tpd as LAC${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let nsLns: string;
  let xl2tpd: Xl2tpd;

  beforeAll(async () => {
    lab = new NetLab('fr');
    nsLns = lab.addNamespace();
    const nsLac = lab.addNamespace();
    lab.addVeth({ ns: nsLns, address: `${LNS_IP}/24` }, { ns: nsLac, address: `${LAC_IP}/24` });
    xl2tpd = await startXl2tpdLac(lab, {
      ns: nsLac,
      secret: 'unused',
      sections: [{ name: 'fuzz', lns: LNS_IP, hostName: 'x-lac' }],
    });
  }, 30_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 30_000);

  it('12 cases: xl2tpd stays alive, sends only well-formed L2TP, and takes a clean call after every case', async () => {
    const report: RoleReport = await lab.withNetns(nsLns, () =>
      fuzzClientOverUdp({
        listen: { address: LNS_IP, port: 1701 },
        seed: 11,
        cases: 12,
        maxFindings: 12,
        user: 'alice',
        password: 's3cret',
        dial: async () => xl2tpd.control('c fuzz'),
        alive: () => xl2tpd.proc.exitCode === undefined,
        caseMs: 4000,
        quietMs: 700,
      }),
    );
    expect(report.cases).toBe(12);
    expect(
      report.findings.map((f) => ({ index: f.index, rules: f.case.rules, finding: f.finding })),
      xl2tpd.log(60),
    ).toEqual([]);
    // The campaign got past tunnel setup into calls, and mutated there.
    expect(report.reached.SCCRP?.sent).toBe(12);
    expect(report.reached.ICRP?.sent).toBeGreaterThanOrEqual(10);
    // Calls established during the cases themselves (10 of 12 at this seed; a case that corrupts
    // the SCCRP or ICRP ends before ICCN), besides the liveness call after each.
    expect(report.events['session-started']).toBeGreaterThanOrEqual(6);
    expect(Object.values(report.reached).reduce((n, r) => n + r.mutated, 0)).toBeGreaterThan(0);
    expect(xl2tpd.proc.exitCode).toBeUndefined();
  }, 180_000);
});
