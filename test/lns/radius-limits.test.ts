// What a RADIUS reply limits, against a real FreeRADIUS 3.2 (issues 9 and 11): Session-Timeout and
// Idle-Timeout end the session (as pppd's radius plugin turns them into maxconnect and idle) with
// the matching Acct-Terminate-Cause, and the authentication throttle covers RADIUS logins: once a
// name is blocked, even its right password is refused and FreeRADIUS is not asked.
// Related: test/lns/radius-lns.test.ts (the login itself), src/session/ppp-over-l2tp.ts (limits),
// src/lns/auth-throttle.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLac } from '../../src/io/create-lac.js';
import { createLns, type LnsServer } from '../../src/io/create-lns.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { type Freeradius, freeradiusSkipReason, freeUdpPorts, startFreeradius } from '../support/freeradius.js';

const skip = freeradiusSkipReason();
const SECRET = 'l2t-lns-radius-limits';

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The Acct-Terminate-Cause of the detail file's Stop record for `user`, if one arrived. */
function stopCause(detail: string, user: string): string | undefined {
  for (const record of detail.split(/\n\s*\n/)) {
    if (!record.includes('Acct-Status-Type = Stop') || !record.includes(`User-Name = "${user}"`)) continue;
    return /Acct-Terminate-Cause = ([A-Za-z-]+)/.exec(record)?.[1];
  }
  return undefined;
}

describe.skipIf(skip !== undefined)(`RADIUS limits ${skip === undefined ? '' : `(skipped: ${skip})`}`, () => {
  let radius: Freeradius;
  let lns: LnsServer;

  beforeAll(async () => {
    radius = await startFreeradius({
      secret: SECRET,
      users: [
        { name: 'short', password: 'short-pw', reply: ['Session-Timeout = 2'] },
        { name: 'quiet', password: 'quiet-pw', reply: ['Idle-Timeout = 2'] },
        { name: 'carol', password: 'carol-pw' },
        { name: 'chatty', password: 'chatty-pw', reply: ['Acct-Interim-Interval = 1'] },
        { name: 'goldie', password: 'goldie-pw', reply: ['Framed-Pool = "gold"'] },
        { name: 'lost', password: 'lost-pw', reply: ['Framed-Pool = "nowhere"'] },
      ],
    });
    lns = await createLns({
      port: 0,
      auth: ['pap'],
      // The LNS's own limits are far away: what ends the sessions below is the reply's.
      maxConnectMs: 3_600_000,
      idleTimeoutMs: 3_600_000,
      authThrottle: { maxFailures: 2, windowMs: 60_000, blockMs: 60_000 },
      namedPools: new Map([['gold', new AddressPool(['10.40.0.5-10.40.0.6'])]]),
      radius: {
        authServers: [{ host: '127.0.0.1', port: radius.authPort, secret: SECRET }],
        acctServers: [{ host: '127.0.0.1', port: radius.acctPort, secret: SECRET }],
        timeoutMs: 2000,
        retries: 2,
        // The floor (pppd's 60 s) lowered so an interval of 1 s is taken as it is.
        minInterimSeconds: 1,
      },
    });
  });
  afterAll(async () => {
    await lns?.close();
    await radius?.stop();
  });

  for (const [user, cause, reason] of [
    ['short', 'Session-Timeout', 'session-timeout'],
    ['quiet', 'Idle-Timeout', 'idle-timeout'],
  ] as const) {
    it(`RFC2865-5.${user === 'short' ? 27 : 28}: ${cause} = 2 ends the session after 2 s with Acct-Terminate-Cause ${cause}`, async () => {
      const lac = await createLac({
        server: { address: '127.0.0.1', port: lns.port },
        user,
        password: `${user}-pw`,
        auth: ['pap'],
      });
      try {
        const up = await lns.waitFor('session-up', (e) => e.user === user, 10_000);
        const down = await lns.waitFor('session-down', (e) => e.sessionId === up.sessionId, 10_000);
        expect(down.reason).toContain(reason);
        await until(`Stop for ${user}`, () => stopCause(radius.detail(), user) !== undefined);
        expect(stopCause(radius.detail(), user)).toBe(cause);
      } finally {
        await lac.close();
      }
    }, 20_000);
  }

  it('RFC2869-5.16: Acct-Interim-Interval = 1 → Interim-Updates every second with growing counters, before the Stop', async () => {
    const lac = await createLac({
      server: { address: '127.0.0.1', port: lns.port },
      user: 'chatty',
      password: 'chatty-pw',
      auth: ['pap'],
    });
    const interims = () =>
      radius
        .detail()
        .split(/\n\s*\n/)
        .filter((r) => r.includes('Acct-Status-Type = Interim-Update') && r.includes('User-Name = "chatty"'));
    try {
      await lac.waitFor('session-up', undefined, 10_000);
      const [session] = lac.engine.sessions.values();
      await until('two Interim-Updates', () => interims().length >= 2, 10_000);
      expect(await lac.ping(session!)).toBeGreaterThanOrEqual(0);
      const before = interims().length;
      await until('an Interim-Update after the ping', () => interims().length > before, 10_000);
      const octets = interims().map((r) => Number(/Acct-Input-Octets = (\d+)/.exec(r)?.[1]));
      const times = interims().map((r) => Number(/Acct-Session-Time = (\d+)/.exec(r)?.[1]));
      // Counters never go back, and the ping's octets show up in a later update.
      for (let i = 1; i < octets.length; i++) expect(octets[i]).toBeGreaterThanOrEqual(octets[i - 1]!);
      expect(octets.at(-1)!).toBeGreaterThan(octets[0]!);
      expect(times.at(-1)!).toBeGreaterThanOrEqual(1);
    } finally {
      await lac.close();
    }
    await until('Stop for chatty', () => stopCause(radius.detail(), 'chatty') !== undefined);
  }, 30_000);

  it('RFC2869-5.18: Framed-Pool = "gold" takes the address from that named pool; an unknown pool gives none', async () => {
    const gold = await createLac({
      server: { address: '127.0.0.1', port: lns.port },
      user: 'goldie',
      password: 'goldie-pw',
      auth: ['pap'],
    });
    try {
      const up = await gold.waitFor('session-up', undefined, 10_000);
      expect(up.address).toBe('10.40.0.5');
      expect(lns.command((e) => e.status()).addressesInUse).toBe(1);
    } finally {
      await gold.close();
    }
    const refused = lns.waitFor('pool-exhausted', (e) => e.user === 'lost', 10_000);
    const lost = await createLac({
      server: { address: '127.0.0.1', port: lns.port },
      user: 'lost',
      password: 'lost-pw',
      auth: ['pap'],
    });
    try {
      expect(await refused).toMatchObject({ pool: 'nowhere', unknown: true });
    } finally {
      await lost.close();
    }
    // The gold address went back to its pool.
    await until('gold released', () => lns.command((e) => e.status()).addressesInUse === 0);
  }, 30_000);

  it('the throttle covers RADIUS logins: after 2 rejects the right password is refused without asking the server', async () => {
    const login = async (password: string) => {
      const lac = await createLac({
        server: { address: '127.0.0.1', port: lns.port },
        user: 'carol',
        password,
        auth: ['pap'],
      });
      try {
        return await Promise.race([
          lac.waitFor('auth-failed', undefined, 10_000).then((e) => `failed: ${e.reason}`),
          lac.waitFor('session-up', undefined, 10_000).then(() => 'up'),
        ]);
      } finally {
        await lac.close();
      }
    };
    const asked = () => (radius.log().match(/Login (incorrect|OK).*\[carol/g) ?? []).length;
    expect(await login('wrong-1')).toMatch(/^failed/);
    expect(await login('wrong-2')).toMatch(/^failed/);
    await until('two rejects logged', () => asked() === 2);
    const blocked = lns.waitFor('auth-failed', (e) => e.user === 'carol', 10_000);
    expect(await login('carol-pw')).toMatch(/^failed/);
    expect((await blocked).reason).toContain('too many authentication failures');
    // FreeRADIUS saw the two wrong passwords and nothing since.
    expect(asked()).toBe(2);
  }, 40_000);

  it('both RADIUS servers dead: a clear failure at the LAC and the LNS, and no session left behind', async () => {
    const [a, b] = await freeUdpPorts(2);
    const dead = await createLns({
      port: 0,
      auth: ['pap'],
      radius: {
        authServers: [
          { host: '127.0.0.1', port: a!, secret: SECRET },
          { host: '127.0.0.1', port: b!, secret: SECRET },
        ],
        timeoutMs: 300,
        retries: 1,
      },
    });
    try {
      const served = dead.waitFor('auth-failed', undefined, 10_000);
      const lac = await createLac({
        server: { address: '127.0.0.1', port: dead.port },
        user: 'short',
        password: 'short-pw',
        auth: ['pap'],
      });
      try {
        await lac.waitFor('auth-failed', undefined, 10_000);
        expect((await served).reason).toContain('no RADIUS server answered');
      } finally {
        await lac.close();
      }
      await until('no session', () => dead.command((e) => e.status()).sessions === 0);
    } finally {
      await dead.close();
    }
  }, 30_000);
});
