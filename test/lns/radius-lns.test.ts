// The LNS with RADIUS against a real FreeRADIUS 3.2 (issue 11): the project's LAC logs in through
// createLns() with PAP, CHAP-MD5 and MS-CHAPv2 decided by FreeRADIUS (the LAC verifies the
// MS-CHAP2-Success FreeRADIUS computed), Framed-IP-Address and DNS from the reply reach the LAC, an
// Access-Reject reaches it as a PPP failure with the Reply-Message, and accounting (Accounting-On,
// Start, Stop with the counters `ctl sessions` shows) arrives in FreeRADIUS's detail file.
// Related: test/support/freeradius.ts, src/lns/radius-aaa.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthMethodName } from '../../src/chap/methods.js';
import { createLac } from '../../src/io/create-lac.js';
import { createLns, type LnsServer } from '../../src/io/create-lns.js';
import { type Freeradius, freeradiusSkipReason, startFreeradius } from '../support/freeradius.js';

const skip = freeradiusSkipReason();
const SECRET = 'l2t-lns-radius';

/** The detail file's records (blank-line separated) with their `Name = value` lines. */
function records(detail: string): Map<string, string>[] {
  return detail
    .split(/\n\s*\n/)
    .filter((r) => r.trim() !== '')
    .map((r) => {
      const m = new Map<string, string>();
      for (const line of r.split('\n')) {
        const x = /^\s+([A-Za-z0-9-]+) = (.*)$/.exec(line);
        if (x) m.set(x[1]!, x[2]!.replace(/^"|"$/g, ''));
      }
      return m;
    });
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip !== undefined)(`LNS with RADIUS ${skip === undefined ? '' : `(skipped: ${skip})`}`, () => {
  let radius: Freeradius;
  let lns: LnsServer;

  beforeAll(async () => {
    radius = await startFreeradius({
      secret: SECRET,
      rejectMessage: 'Denied by RADIUS',
      users: [
        {
          name: 'alice',
          password: 'alice-pw',
          reply: [
            'Framed-IP-Address = 10.77.0.5',
            'MS-Primary-DNS-Server = 10.77.0.53',
            'MS-Secondary-DNS-Server = 10.77.0.54',
            'Session-Timeout = 3600',
            'Idle-Timeout = 600',
            'Class = 0x6c3274702d636c617373',
            'Framed-Route = "10.88.0.0/24 0.0.0.0 1"',
          ],
        },
        { name: 'bob', password: 'bob-pw' },
      ],
    });
    lns = await createLns({
      port: 0,
      auth: ['mschapv2', 'chap', 'pap'],
      users: { alice: 'not-the-radius-password' }, // chap-secrets is not consulted with RADIUS
      radius: {
        authServers: [{ host: '127.0.0.1', port: radius.authPort, secret: SECRET }],
        acctServers: [{ host: '127.0.0.1', port: radius.acctPort, secret: SECRET }],
        timeoutMs: 2000,
        retries: 2,
        nasIdentifier: 'l2tp-ts-radius-test',
      },
    });
  });
  afterAll(async () => {
    await lns?.close();
    await radius?.stop();
  });

  const explain = () => radius.log().slice(-3000);

  it('RFC2866-5.1: Accounting-On arrives when the LNS starts', async () => {
    await until('Accounting-On', () =>
      records(radius.detail()).some((r) => r.get('Acct-Status-Type') === 'Accounting-On'),
    );
    const on = records(radius.detail()).find((r) => r.get('Acct-Status-Type') === 'Accounting-On')!;
    expect(on.get('NAS-Identifier')).toBe('l2tp-ts-radius-test');
  });

  for (const auth of ['mschapv2', 'chap', 'pap'] as const satisfies readonly AuthMethodName[]) {
    it(`${auth}: FreeRADIUS decides; Framed-IP-Address and DNS reach the LAC; Start/Stop match ctl`, async () => {
      const lac = await createLac({
        server: { address: '127.0.0.1', port: lns.port },
        user: 'alice',
        password: 'alice-pw',
        auth: [auth],
      });
      let closed = false;
      try {
        const [served, client] = await Promise.all([
          lns.waitFor('session-up', (e) => e.user === 'alice', 10_000),
          lac.waitFor('session-up', undefined, 10_000),
        ]).catch((e) => {
          throw new Error(`${String(e)}\n${explain()}`);
        });
        expect(client.auth).toBe(auth === 'chap' ? 'chap-md5' : auth);
        expect(client.address).toBe('10.77.0.5');
        expect(client.dns).toEqual(['10.77.0.53', '10.77.0.54']);
        expect(served.address).toBe('10.77.0.5');
        const acctId = lns.engine.acctSessionId(served.tunnelId, served.sessionId)!;
        expect(acctId).toMatch(/^[0-9A-F]{16}$/);
        const [session] = lac.engine.sessions.values();
        expect(await lac.ping(session!)).toBeGreaterThanOrEqual(0);
        const record = [...lns.engine['bridge'].sessions.values()].find(
          (s) => s.handle.sessionId === served.sessionId,
        )!;
        expect(record.sessionTimeoutS).toBe(3600);
        expect(record.idleTimeoutS).toBe(600);
        expect(record.allowedSources).toEqual([{ address: 0x0a580000, length: 24 }]);
        await until('Start', () =>
          records(radius.detail()).some(
            (r) => r.get('Acct-Session-Id') === acctId && r.get('Acct-Status-Type') === 'Start',
          ),
        );
        const start = records(radius.detail()).find(
          (r) => r.get('Acct-Session-Id') === acctId && r.get('Acct-Status-Type') === 'Start',
        )!;
        expect(start.get('User-Name')).toBe('alice');
        expect(start.get('Framed-IP-Address')).toBe('10.77.0.5');
        expect(start.get('NAS-Port')).toBe(String(served.sessionId));
        expect(start.get('NAS-Port-Type')).toBe('Virtual');
        expect(start.get('Calling-Station-Id')).toBe('127.0.0.1');
        expect(start.get('Class')).toBe('0x6c3274702d636c617373');
        // The counters as `ctl sessions` shows them, just before the LAC hangs up.
        const ctl = lns.command((e, now) => e.sessions(now)).find((s) => s.sessionId === served.sessionId)!;
        await lac.close();
        closed = true;
        await until('Stop', () =>
          records(radius.detail()).some(
            (r) => r.get('Acct-Session-Id') === acctId && r.get('Acct-Status-Type') === 'Stop',
          ),
        );
        const stop = records(radius.detail()).find(
          (r) => r.get('Acct-Session-Id') === acctId && r.get('Acct-Status-Type') === 'Stop',
        )!;
        // The LAC's StopCCN may carry a last LCP Terminate exchange: the Stop counts at least ctl's.
        expect(Number(stop.get('Acct-Input-Octets'))).toBeGreaterThanOrEqual(ctl.counters.rxBytes);
        expect(Number(stop.get('Acct-Output-Octets'))).toBeGreaterThanOrEqual(ctl.counters.txBytes);
        expect(Number(stop.get('Acct-Input-Packets'))).toBeGreaterThanOrEqual(ctl.counters.rxPackets);
        expect(Number(stop.get('Acct-Output-Packets'))).toBeGreaterThanOrEqual(ctl.counters.txPackets);
        expect(Number(stop.get('Acct-Input-Packets'))).toBeLessThanOrEqual(ctl.counters.rxPackets + 2);
        expect(Number(stop.get('Acct-Output-Packets'))).toBeLessThanOrEqual(ctl.counters.txPackets + 2);
        expect(stop.get('Acct-Input-Gigawords')).toBe('0');
        expect(stop.get('Acct-Terminate-Cause')).toMatch(/^(User-Request|Lost-Carrier)$/);
        expect(stop.get('Class')).toBe('0x6c3274702d636c617373');
        expect(Number(stop.get('Acct-Session-Time'))).toBeGreaterThanOrEqual(0);
      } finally {
        if (!closed) await lac.close();
      }
    }, 30_000);
  }

  it('a user unknown to chap-secrets but known to RADIUS gets a pool address', async () => {
    const lac = await createLac({ server: { address: '127.0.0.1', port: lns.port }, user: 'bob', password: 'bob-pw' });
    try {
      const client = await lac.waitFor('session-up', undefined, 10_000);
      expect(client.address).toMatch(/^10\.1\.20\.\d+$/);
      expect(client.dns).toEqual([]);
    } finally {
      await lac.close();
    }
  }, 20_000);

  for (const auth of ['mschapv2', 'chap', 'pap'] as const) {
    it(`${auth}: an Access-Reject reaches the LAC as a PPP failure with the Reply-Message`, async () => {
      const lac = await createLac({
        server: { address: '127.0.0.1', port: lns.port },
        user: 'alice',
        password: 'wrong',
        auth: [auth],
      });
      try {
        const [failed, served] = await Promise.all([
          lac.waitFor('auth-failed', undefined, 10_000),
          lns.waitFor('auth-failed', (e) => e.user === 'alice', 10_000),
        ]);
        expect(failed.reason).toContain('Denied by RADIUS');
        if (auth === 'mschapv2') expect(failed.reason).toMatch(/691/);
        expect(served.reason).toContain('Access-Reject: Denied by RADIUS');
      } finally {
        await lac.close();
      }
    }, 20_000);
  }
});
