// Authentication hardening (issue 9): an unknown user costs the same work and gets the same reply
// as a wrong password (no user enumeration by timing or by reply), and repeated failures per user
// name or peer address are refused for a while, reported once per block, in bounded tables.
// Related: src/chap/chap-authenticator.ts, src/chap/pap-authenticator.ts, src/lns/auth-throttle.ts,
// src/lns/lns.ts.
import { describe, expect, it, vi } from 'vitest';
import { createChapMd5Server, createMsChapV2Server } from '../../src/chap/chap-authenticator.js';
import { createChapMd5Client, createMsChapV2Client } from '../../src/chap/chap-peer.js';
import { createPapServer } from '../../src/chap/pap-authenticator.js';
import { createPapClient } from '../../src/chap/pap-peer.js';
import type { AuthEngine } from '../../src/core/auth-engine.js';
import type { PeerAddress } from '../../src/core/engine.js';
import { LacEngine, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { AuthThrottle } from '../../src/lns/auth-throttle.js';
import { LnsEngine, type LnsEvent } from '../../src/lns/lns.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

// Count the expensive steps of each verification: the MS-CHAPv2 hashes, the CHAP-MD5 digest and
// the constant-time comparison every method ends with.
const calls = vi.hoisted(() => ({ ntPasswordHash: 0, ntResponse: 0, md5: 0, compare: 0 }));
vi.mock('../../src/chap/mschapv2.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/chap/mschapv2.js')>();
  return {
    ...m,
    ntPasswordHash: (p: string) => {
      calls.ntPasswordHash++;
      return m.ntPasswordHash(p);
    },
    generateNtResponseFromHash: (...a: Parameters<typeof m.generateNtResponseFromHash>) => {
      calls.ntResponse++;
      return m.generateNtResponseFromHash(...a);
    },
  };
});
vi.mock('../../src/chap/chap-md5.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/chap/chap-md5.js')>();
  return {
    ...m,
    chapMd5Response: (...a: Parameters<typeof m.chapMd5Response>) => {
      calls.md5++;
      return m.chapMd5Response(...a);
    },
  };
});
vi.mock('../../src/core/bytes.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/core/bytes.js')>();
  return {
    ...m,
    equalConstantTime: (a: Uint8Array, b: Uint8Array) => {
      calls.compare++;
      return m.equalConstantTime(a, b);
    },
  };
});

/** Runs one exchange: returns the authenticator's replies and the counted work. */
function exchange(server: AuthEngine, client: AuthEngine) {
  for (const k of Object.keys(calls) as (keyof typeof calls)[]) calls[k] = 0;
  server.start(0);
  client.start(0);
  const replies: Uint8Array[] = [];
  for (let round = 0; round < 4; round++) {
    for (let p = server.pollPacket(); p !== undefined; p = server.pollPacket()) {
      if (round > 0) replies.push(p);
      client.handlePacket(p, 0);
    }
    for (let p = client.pollPacket(); p !== undefined; p = client.pollPacket()) server.handlePacket(p, 0);
  }
  return { replies, work: { ...calls }, outcome: server.outcome };
}

const lookup = (u: string) => (u === 'alice' ? 's3cret' : undefined);

describe('an unknown user costs the same as a wrong password', () => {
  it('MS-CHAPv2 (RFC 2759): the same hashes are computed and the Failure is the same bytes', () => {
    const run = (user: string) =>
      exchange(
        createMsChapV2Server({ random: seededRandom(5), name: 'lns', lookup }),
        createMsChapV2Client({ user, password: 'wrong', random: seededRandom(6) }),
      );
    const known = run('alice');
    const unknown = run('mallory');
    expect(known.outcome?.ok).toBe(false);
    expect(unknown.outcome?.ok).toBe(false);
    expect(known.work.ntPasswordHash).toBe(1);
    expect(unknown.work).toEqual(known.work);
    expect(unknown.replies).toEqual(known.replies);
    expect(known.replies[0]![0]).toBe(4); // Failure
  });

  it('CHAP-MD5 (RFC 1994): the same digest and comparison, the same Failure', () => {
    const run = (user: string) =>
      exchange(
        createChapMd5Server({ random: seededRandom(5), name: 'lns', lookup }),
        createChapMd5Client({ user, password: 'wrong' }),
      );
    const known = run('alice');
    const unknown = run('mallory');
    expect(known.work.md5).toBeGreaterThanOrEqual(1);
    expect(unknown.work).toEqual(known.work);
    expect(unknown.replies).toEqual(known.replies);
  });

  it('PAP (RFC 1334): the same comparison, the same Nak', () => {
    const run = (user: string) => exchange(createPapServer({ lookup }), createPapClient({ user, password: 'wrong' }));
    const known = run('alice');
    const unknown = run('mallory');
    expect(known.work.compare).toBe(1);
    expect(unknown.work).toEqual(known.work);
    expect(unknown.replies).toEqual(known.replies);
  });

  it('the secret an unknown user is checked against authenticates no one', () => {
    for (const [server, client] of [
      [
        createMsChapV2Server({ random: seededRandom(5), name: 'lns', lookup }),
        createMsChapV2Client({ user: 'mallory', password: 'unknown-user-dummy-secret', random: seededRandom(6) }),
      ],
      [
        createChapMd5Server({ random: seededRandom(5), name: 'lns', lookup }),
        createChapMd5Client({ user: 'mallory', password: 'unknown-user-dummy-secret' }),
      ],
      [createPapServer({ lookup }), createPapClient({ user: 'mallory', password: 'unknown-user-dummy-secret' })],
    ] as const) {
      expect(exchange(server, client).outcome?.ok).toBe(false);
    }
  });
});

describe('AuthThrottle', () => {
  it('blocks a name or address after 5 failures in 60 s, for 60 s, and reports each block once', () => {
    const t = new AuthThrottle();
    const notices = [];
    for (let i = 0; i < 4; i++) notices.push(...t.noteFailure('alice', '198.51.100.1', i * 1000));
    expect(notices).toEqual([]);
    expect(t.blocked('alice', '198.51.100.9', 5000)).toBe(false);
    notices.push(...t.noteFailure('alice', '198.51.100.2', 5000));
    expect(notices).toEqual([{ kind: 'user', value: 'alice', failures: 5, until: 65_000 }]);
    expect(t.blocked('alice', '203.0.113.1', 6000)).toBe(true);
    expect(t.blocked('bob', '198.51.100.1', 6000)).toBe(false); // the address had 4
    // Failures during the block neither extend it nor report it again.
    expect(t.noteFailure('alice', '203.0.113.1', 7000).filter((n) => n.kind === 'user')).toEqual([]);
    expect(t.blocked('alice', '203.0.113.1', 64_999)).toBe(true);
    expect(t.blocked('alice', '203.0.113.1', 65_000)).toBe(false);
    expect(t.refused).toBe(2);
  });

  it('failures spread wider than the window never block', () => {
    const t = new AuthThrottle({ maxFailures: 3, windowMs: 10_000 });
    for (let i = 0; i < 20; i++) expect(t.noteFailure('alice', '198.51.100.1', i * 6000)).toEqual([]);
  });

  it('is bounded: at most maxTracked names and addresses, the oldest evicted', () => {
    const t = new AuthThrottle({ maxTracked: 4096 });
    for (let i = 0; i < 20_000; i++) t.noteFailure(`user${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, i);
    expect(t.tracked).toEqual({ users: 4096, addresses: 4096 });
  });
});

describe('the LNS refuses logins after repeated failures', () => {
  const LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };

  function world() {
    const net = new SimNetwork(4, { minDelayMs: 2, maxDelayMs: 5 });
    const lns = new LnsEngine({
      random: seededRandom(31),
      hostName: 'lns',
      auth: ['mschapv2'],
      users: (u) => (u === 'alice' ? { secret: 's3cret' } : undefined),
      pool: new AddressPool(['10.1.20.31-10.1.20.50'], { exclude: ['10.1.20.30'] }),
      localAddress: '10.1.20.30',
      userspace: true,
    });
    const lnsEvents: LnsEvent[] = net.attach(LNS, lns);
    let n = 0;
    /** One login from a fresh LAC at `address`; resolves to whether its session came up. */
    const login = (address: string, password: string, user = 'alice'): boolean => {
      const lac = new LacEngine({ random: seededRandom(100 + n), server: LNS, user, password });
      const events: LacEvent[] = net.attach({ address, port: 1701 + n++ }, lac);
      lac.start(net.now);
      net.runUntil(() => events.some((e) => e.type === 'session-up' || e.type === 'session-down'), net.now + 60_000);
      const up = events.some((e) => e.type === 'session-up');
      if (up) lac.stop(net.now);
      net.runIdle(net.now + 2_000);
      return up;
    };
    return { net, lns, lnsEvents, login };
  }

  it('5 wrong passwords for one user (from 5 addresses): the right one is refused for 60 s, then works; one event per block', () => {
    const w = world();
    for (let i = 0; i < 5; i++) expect(w.login(`198.51.100.${i + 1}`, 'wrong')).toBe(false);
    const blocks = w.lnsEvents.filter((e) => e.type === 'auth-blocked');
    expect(blocks).toEqual([expect.objectContaining({ kind: 'user', value: 'alice', failures: 5, forMs: 60_000 })]);
    const blockedAt = w.net.now;
    expect(w.login('198.51.100.77', 's3cret')).toBe(false);
    expect(w.login('198.51.100.78', 's3cret')).toBe(false);
    const refused = w.lnsEvents.filter((e) => e.type === 'auth-failed').slice(-2);
    expect(refused.map((e) => (e as { reason: string }).reason)).toEqual([
      expect.stringMatching(/refused: too many/),
      expect.stringMatching(/refused: too many/),
    ]);
    expect(w.lnsEvents.filter((e) => e.type === 'auth-blocked')).toHaveLength(1);
    expect(w.lns.status().auth.refused).toBe(2);
    w.net.runIdle(blockedAt + 61_000);
    expect(w.login('198.51.100.79', 's3cret')).toBe(true);
  });

  it('5 failures from one address (any user names) block that address only', () => {
    const w = world();
    for (let i = 0; i < 5; i++) expect(w.login('198.51.100.9', 'x', `guess${i}`)).toBe(false);
    expect(w.lnsEvents.filter((e) => e.type === 'auth-blocked')).toEqual([
      expect.objectContaining({ kind: 'address', value: '198.51.100.9' }),
    ]);
    expect(w.login('198.51.100.9', 's3cret')).toBe(false);
    expect(w.login('198.51.100.10', 's3cret')).toBe(true);
  });
});
