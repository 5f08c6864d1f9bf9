// Proves the UML harness with a reference LNS that needs none of l2tp-ts: l2tpns + FreeRADIUS
// (CHAP-MD5, RFC 1994) against a real xl2tpd + pppd LAC in a UML guest (RFC 2661, RFC 1332).
// Related: harness.ts, reference-lns.ts, lns.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireUmlLock, type LacResult, recordTiming, UmlLab, umlSkipReason } from './harness.js';
import { L2TPNS_DNS, L2TPNS_TUN_IP, referenceSkipReason, startFreeRadius, startL2tpns } from './reference-lns.js';

const skip = umlSkipReason() ?? referenceSkipReason();

describe.skipIf(skip !== undefined)(`UML LAC vs reference LNS (l2tpns)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let release: (() => void) | undefined;
  let lab: UmlLab | undefined;

  beforeAll(async () => {
    release = await acquireUmlLock(300_000);
  }, 310_000);

  afterAll(async () => {
    await lab?.dispose();
    release?.();
  }, 30_000);

  const dial = async (scenario: string, kernel: boolean): Promise<LacResult> => {
    lab = await UmlLab.create({ scenario });
    try {
      await startFreeRadius(lab, 'alice', 's3cret');
      await startL2tpns(lab);
      const guest = lab.bootLac({ name: 'lac1', auth: 'chap', kernel, pppWaitS: 20 });
      const r = await guest.finish(60_000);
      lab.timeline();
      if (r.dialToUpS !== undefined) recordTiming({ lns: 'l2tpns', scenario, dialToUpS: r.dialToUpS });
      return r;
    } finally {
      await lab.dispose();
      lab = undefined;
    }
  };

  it('RFC1994: CHAP-MD5 client gets an address from the l2tpns pool, DNS, and pings the LNS through ppp0', async () => {
    const r = await dial('reference-chap', false);
    expect(r.rc, 'guest script exit code').toBe('0');
    expect(r.watchdog).toBe(false);
    expect(r.pppUp, r.pppdLines.join('\n')).toBe(true);
    expect(r.localIp).toMatch(/^10\.204\.100\.\d+$/);
    expect(r.remoteIp).toBe(L2TPNS_TUN_IP);
    expect(r.dns).toEqual([...L2TPNS_DNS]);
    expect(r.ping).toBe('ok');
    expect(r.pppdLines.some((l) => l.includes('CHAP authentication succeeded'))).toBe(true);
    expect(r.linkDown).toBe('local');
  }, 80_000);

  it('RFC2661: the same with the guest xl2tpd in kernel mode (l2tp_ppp + pppol2tp plugin)', async () => {
    const r = await dial('reference-chap-kernel', true);
    expect(r.rc, 'guest script exit code').toBe('0');
    expect(r.pppUp, r.pppdLines.join('\n')).toBe(true);
    expect(r.localIp).toMatch(/^10\.204\.100\.\d+$/);
    expect(r.remoteIp).toBe(L2TPNS_TUN_IP);
    expect(r.ping).toBe('ok');
  }, 80_000);
});
