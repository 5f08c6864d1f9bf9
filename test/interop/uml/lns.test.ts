// `l2tp-ts lns` against real xl2tpd + pppd LACs in UML guests (RFC 2661 tunnels and sessions,
// RFC 1661 LCP, RFC 1994 CHAP-MD5, RFC 2759 MS-CHAPv2, RFC 1334 PAP, RFC 1332 IPCP).
// Related: harness.ts, lns-under-test.ts, reference.test.ts. All scenarios in one file: serial.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireUmlLock, type LacResult, recordTiming, UmlLab, umlSkipReason } from './harness.js';
import {
  LNS_LOCAL_IP,
  LNS_RANGE_FIRST,
  type LnsUnderTest,
  type LnsVariant,
  lnsSkipReason,
  startLns,
  USERS,
} from './lns-under-test.js';

const skip = umlSkipReason() ?? lnsSkipReason();
const IN_RANGE = /^10\.204\.20\.(3[1-9]|4\d|50)$/;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function expectUp(r: LacResult): void {
  const why = `rc=${r.rc} pppd: ${r.pppdLines.join(' | ')}`;
  expect(r.watchdog, why).toBe(false);
  expect(r.pppUp, why).toBe(true);
  expect(r.localIp, why).toMatch(IN_RANGE);
  expect(r.remoteIp, why).toBe(LNS_LOCAL_IP);
  expect(r.ping, why).toBe('ok');
}

describe.skipIf(skip !== undefined)(`UML LACs vs l2tp-ts lns${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let release: (() => void) | undefined;
  let lab: UmlLab | undefined;

  beforeAll(async () => {
    release = await acquireUmlLock(300_000);
  }, 310_000);
  afterEach(async () => {
    if (lab !== undefined) {
      await lab.stopCapture();
      lab.timeline();
      await lab.dispose();
    }
    lab = undefined;
  }, 30_000);
  afterAll(() => release?.());

  const open = async (scenario: string, v: LnsVariant = {}): Promise<{ lab: UmlLab; lns: LnsUnderTest }> => {
    lab = await UmlLab.create({ scenario });
    const lns = await startLns(lab, v);
    return { lab, lns };
  };
  const timing = (scenario: string, r: LacResult): void => {
    if (r.dialToUpS !== undefined) recordTiming({ lns: 'l2tp-ts', scenario, dialToUpS: r.dialToUpS });
  };

  it('RFC2759: MS-CHAPv2 with the seed config (userspace LAC): client verifies our authenticator response, gets address + DNS, MTU 1400 passes a 1372-byte DF ping', async () => {
    const { lab, lns } = await open('lns-mschapv2');
    const g = lab.bootLac({ name: 'lac1', auth: 'mschapv2', pingSize: 1372, holdS: 5 });
    expect(await g.waitFile('up-done', 45_000), 'ping finished').toBe(true);
    const listed = lns.listSessions();
    g.release();
    const r = await g.finish(30_000);
    timing('mschapv2-userspace', r);
    expectUp(r);
    // pppd prints success only after checking the S= authenticator response (RFC 2759 §5)
    expect(r.pppdLines).toContain('CHAP authentication succeeded');
    expect(r.dns).toEqual(lns.dns);
    expect(r.ifMtu).toBe(1400);
    expect(r.pingDf).toBe('ok');
    expect(r.pingDfOver).toBe('fail');
    if (listed !== undefined) {
      expect(listed).toContain('alice');
      expect(listed).toContain(r.localIp);
    }
  }, 90_000);

  it('RFC2661: MS-CHAPv2 with the guest xl2tpd in kernel mode (l2tp_ppp + pppol2tp)', async () => {
    const { lab } = await open('lns-mschapv2-kernel');
    const r = await lab.bootLac({ name: 'lac1', auth: 'mschapv2', kernel: true }).finish(60_000);
    timing('mschapv2-kernel', r);
    expectUp(r);
    expect(r.pppdLines).toContain('CHAP authentication succeeded');
  }, 90_000);

  it('RFC1994: CHAP-MD5 when the options say require-chap', async () => {
    const { lab } = await open('lns-chap', { auth: 'chap' });
    const r = await lab.bootLac({ name: 'lac1', auth: 'chap' }).finish(60_000);
    timing('chap-md5', r);
    expectUp(r);
    expect(r.pppdLines).toContain('CHAP authentication succeeded');
  }, 90_000);

  it('RFC1334: PAP is accepted when refuse pap = no', async () => {
    const { lab } = await open('lns-pap', { auth: 'pap' });
    const r = await lab.bootLac({ name: 'lac1', auth: 'pap' }).finish(60_000);
    timing('pap', r);
    expectUp(r);
    expect(r.pppdLines.some((l) => l.startsWith('PAP authentication succeeded'))).toBe(true);
  }, 90_000);

  it('RFC1661-5: a PAP-only client gets no link when refuse pap = yes (seed), and no address', async () => {
    const { lab } = await open('lns-pap-refused');
    const r = await lab.bootLac({ name: 'lac1', auth: 'pap', pppWaitS: 15 }).finish(60_000);
    expect(r.watchdog).toBe(false);
    expect(r.pppUp).toBe(false);
    expect(r.localIp).toBeUndefined();
  }, 90_000);

  it('RFC2759: a wrong password gets failure 691, and the one pool address stays free for the next client', async () => {
    const { lab } = await open('lns-wrong-password', { range: `${LNS_RANGE_FIRST}-${LNS_RANGE_FIRST}` });
    const bad = await lab.bootLac({ name: 'lac1', auth: 'mschapv2', password: 'wrong', pppWaitS: 15 }).finish(60_000);
    expect(bad.pppUp).toBe(false);
    expect(bad.pppdLines.join('\n')).toMatch(/E=691/);
    // pppd exit 19: EXIT_AUTH_TOPEER_FAILED (we failed to authenticate ourselves to the peer)
    expect(bad.pppdExit).toContain(19);
    const good = await lab.bootLac({ name: 'lac2', auth: 'mschapv2' }).finish(60_000);
    expectUp(good);
    expect(good.localIp).toBe(LNS_RANGE_FIRST);
  }, 150_000);

  it('RFC2661: three LACs dial at once and get three distinct addresses from a three-address range', async () => {
    const { lab, lns } = await open('lns-three', { range: '10.204.20.31-10.204.20.33' });
    const names = Object.keys(USERS) as (keyof typeof USERS)[];
    const guests = names.map((user, i) =>
      lab.bootLac({
        name: `lac${i + 1}`,
        auth: 'mschapv2',
        user,
        password: USERS[user],
        mem: '64M',
        holdS: 10,
        pppWaitS: 30,
      }),
    );
    const ready = await Promise.all(guests.map((g) => g.waitFile('up-done', 60_000)));
    const listed = lns.listSessions();
    for (const g of guests) g.release();
    const rs = await Promise.all(guests.map((g) => g.finish(40_000)));
    for (const [i, r] of rs.entries()) timing(`three-at-once-${i + 1}`, r);
    expect(ready).toEqual([true, true, true]);
    for (const r of rs) expectUp(r);
    expect(new Set(rs.map((r) => r.localIp)).size).toBe(3);
    if (listed !== undefined) for (const u of names) expect(listed).toContain(u);
  }, 120_000);

  it('RFC1661-5.8: a LAC that vanishes is detected by LCP echo and its only pool address is reused', async () => {
    const { lab } = await open('lns-guest-killed', { range: `${LNS_RANGE_FIRST}-${LNS_RANGE_FIRST}`, lcpEcho: [1, 3] });
    const g1 = lab.bootLac({ name: 'lac1', auth: 'mschapv2', holdS: 60 });
    expect(await g1.waitFile('up-done', 45_000)).toBe(true);
    const first = g1.result();
    expectUp(first);
    await g1.killAbruptly();
    // 3 unanswered echoes at 1 s: the LNS must drop the session within a few seconds
    await sleep(6000);
    const r2 = await lab.bootLac({ name: 'lac2', auth: 'mschapv2' }).finish(60_000);
    expectUp(r2);
    expect(r2.localIp).toBe(LNS_RANGE_FIRST);
  }, 150_000);

  it('RFC2661-5.7: SIGTERM on the LNS terminates every session, and each guest pppd sees it', async () => {
    const { lab, lns } = await open('lns-sigterm');
    const guests = [
      lab.bootLac({ name: 'lac1', auth: 'mschapv2', holdS: 40, mem: '64M' }),
      lab.bootLac({ name: 'lac2', auth: 'mschapv2', user: 'bob', password: USERS.bob, holdS: 40, mem: '64M' }),
    ];
    expect(await Promise.all(guests.map((g) => g.waitFile('up-done', 60_000)))).toEqual([true, true]);
    const code = await lab.stopHost(lns.proc, 'SIGTERM', 10_000);
    const rs = await Promise.all(guests.map((g) => g.finish(40_000)));
    expect(code).toBe(0);
    for (const r of rs) {
      expectUp(r);
      expect(r.linkDown, r.pppdLines.join(' | ')).toBe('peer');
      expect(r.pppdLines.some((l) => /terminated by peer|Modem hangup/.test(l))).toBe(true);
    }
  }, 150_000);
});
