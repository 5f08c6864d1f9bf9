// LnsEngine and LacEngine over the seeded SimNetwork (virtual time): full L2TP + PPP + auth +
// IPCP, address pool bookkeeping, dead-peer detection, fault isolation.
// Related: src/lns/lns.ts, src/lac/lac.ts, test/support/sim-network.ts.
import { describe, expect, it } from 'vitest';
import type { AuthMethodName } from '../../src/chap/methods.js';
import type { Engine, PeerAddress, Transmit } from '../../src/core/engine.js';
import { LacEngine, type LacEngineOptions, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine, type LnsEngineOptions, type LnsEvent } from '../../src/lns/lns.js';
import { seededRandom } from '../support/seeded-random.js';
import { type LinkProfile, SimNetwork } from '../support/sim-network.js';

const LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };
const lacAddress = (i: number): PeerAddress => ({ address: `198.51.100.${i + 1}`, port: 1701 });
const DNS = ['10.1.20.1', '8.8.8.8'];

interface World {
  net: SimNetwork;
  lns: LnsEngine;
  pool: AddressPool;
  lnsEvents: LnsEvent[];
  lacs: { lac: LacEngine; plug: Unplugged; events: LacEvent[]; address: PeerAddress }[];
}

function world(
  seed: number,
  profile: LinkProfile,
  lnsOpts: Partial<LnsEngineOptions> & { auth?: readonly AuthMethodName[]; poolRanges?: readonly string[] } = {},
): World {
  const net = new SimNetwork(seed, profile);
  const pool = new AddressPool(lnsOpts.poolRanges ?? ['10.1.20.31-10.1.20.50'], { exclude: ['10.1.20.30'] });
  const users = new Map<string, { secret: string; staticAddress?: string }>([
    ['alice', { secret: 's3cret' }],
    ['bob', { secret: 'hunter2' }],
    ['carol', { secret: 'static-pw', staticAddress: '10.9.9.9' }],
  ]);
  const lns = new LnsEngine({
    random: seededRandom(seed * 7 + 1),
    hostName: 'lns',
    auth: ['mschapv2'],
    users: (u) => users.get(u),
    pool,
    localAddress: '10.1.20.30',
    dns: DNS,
    userspace: true,
    ...lnsOpts,
  });
  const lnsEvents = net.attach(LNS, lns);
  return { net, lns, pool, lnsEvents, lacs: [] };
}

/** The LAC behind a plug: pulling it (`vanish`) makes it silent and deaf, as a crashed host. */
class Unplugged implements Engine<LacEvent> {
  gone = false;
  constructor(readonly inner: LacEngine) {}
  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: number): void {
    if (!this.gone) this.inner.handleDatagram(bytes, from, now);
  }
  handleTimeout(now: number): void {
    if (!this.gone) this.inner.handleTimeout(now);
  }
  pollTransmit(): Transmit | undefined {
    return this.gone ? undefined : this.inner.pollTransmit();
  }
  pollTimeout(): number | undefined {
    return this.gone ? undefined : this.inner.pollTimeout();
  }
  pollEvent(): LacEvent | undefined {
    return this.gone ? undefined : this.inner.pollEvent();
  }
}

function addLac(w: World, opts: Partial<LacEngineOptions> = {}): World['lacs'][number] {
  const i = w.lacs.length;
  const address = lacAddress(i);
  const lac = new LacEngine({
    random: seededRandom(1000 + i * 13 + w.lacs.length),
    server: LNS,
    user: 'alice',
    password: 's3cret',
    ...opts,
  });
  const plug = new Unplugged(lac);
  const events = w.net.attach(address, plug);
  lac.start(w.net.now);
  const entry = { lac, plug, events, address };
  w.lacs.push(entry);
  return entry;
}

const of = <T extends { type: string }, K extends T['type']>(es: readonly T[], type: K): Extract<T, { type: K }>[] =>
  es.filter((e): e is Extract<T, { type: K }> => e.type === type);

describe('LNS + LAC on a simulated network', () => {
  const methods: { lns: AuthMethodName; lac: string }[] = [
    { lns: 'mschapv2', lac: 'mschapv2' },
    { lns: 'chap', lac: 'chap-md5' },
    { lns: 'pap', lac: 'pap' },
  ];
  for (const m of methods) {
    it(`${m.lns}: session-up with a pool address, the local address and DNS (RFC1332, RFC1877)`, () => {
      const w = world(1, { minDelayMs: 2, maxDelayMs: 10 }, { auth: [m.lns] });
      const { events } = addLac(w);
      expect(
        w.net.runUntil(
          () => of(events, 'session-up').length === 1 && of(w.lnsEvents, 'session-up').length === 1,
          60_000,
        ),
      ).toBe(true);
      const up = of(events, 'session-up')[0]!;
      expect(up.auth).toBe(m.lac);
      expect(up.address).toBe('10.1.20.31');
      expect(up.peerAddress).toBe('10.1.20.30');
      expect(up.dns).toEqual(DNS);
      const lnsUp = of(w.lnsEvents, 'session-up')[0]!;
      expect(lnsUp).toMatchObject({ user: 'alice', address: '10.1.20.31', localAddress: '10.1.20.30' });
      expect(w.pool.inUse).toBe(1);
    });
  }

  it('wrong password: auth-failed on both sides, CDN, and no address consumed (RFC1994-4.1, RFC2661-5.4)', () => {
    for (const method of ['mschapv2', 'chap', 'pap'] as const) {
      const w = world(2, { minDelayMs: 2, maxDelayMs: 10 }, { auth: [method] });
      const { events } = addLac(w, { password: 'wrong' });
      expect(
        w.net.runUntil(() => of(events, 'session-down').length === 1, 60_000),
        method,
      ).toBe(true);
      w.net.runIdle(w.net.now + 5_000);
      expect(of(events, 'session-up'), method).toHaveLength(0);
      expect(of(w.lnsEvents, 'auth-failed'), method).toEqual([expect.objectContaining({ user: 'alice' })]);
      expect(of(w.lnsEvents, 'session-down'), method).toEqual([
        expect.objectContaining({ reason: expect.stringMatching(/auth/i) }),
      ]);
      expect(of(w.lnsEvents, 'session-up'), method).toHaveLength(0);
      expect(w.pool.inUse, method).toBe(0);
      expect(w.lns.sessions(w.net.now), method).toEqual([]);
    }
  });

  it('pool of 2, 3 sessions: two get addresses, the third a pool-exhausted event and a clean CDN', () => {
    const w = world(3, { minDelayMs: 2, maxDelayMs: 10 }, { poolRanges: ['10.1.20.31-10.1.20.32'] });
    const { events } = addLac(w, { sessionsPerTunnel: 3 });
    expect(
      w.net.runUntil(() => of(events, 'session-up').length === 2 && of(events, 'session-down').length === 1, 60_000),
    ).toBe(true);
    expect(
      of(events, 'session-up')
        .map((e) => e.address)
        .sort(),
    ).toEqual(['10.1.20.31', '10.1.20.32']);
    const exhausted = of(w.lnsEvents, 'pool-exhausted');
    expect(exhausted).toHaveLength(1);
    const down = of(w.lnsEvents, 'session-down');
    expect(down).toEqual([expect.objectContaining({ sessionId: exhausted[0]!.sessionId, address: undefined })]);
    expect(w.pool.inUse).toBe(2);
    // The tunnel and the other two sessions are untouched.
    expect(of(events, 'tunnel-down')).toHaveLength(0);
    expect(w.lns.sessions(w.net.now).filter((s) => s.state === 'up')).toHaveLength(2);
  });

  it('a chap-secrets static address is handed to that user, not the lowest pool address', () => {
    const w = world(4, { minDelayMs: 2, maxDelayMs: 10 });
    const { events } = addLac(w, { user: 'carol', password: 'static-pw' });
    expect(w.net.runUntil(() => of(events, 'session-up').length === 1, 60_000)).toBe(true);
    expect(of(events, 'session-up')[0]!.address).toBe('10.9.9.9');
    expect(w.pool.inUse).toBe(1);
  });

  it('singleSession: a second login of the same user gets no address; the first session stays up', () => {
    const w = world(5, { minDelayMs: 2, maxDelayMs: 10 }, { singleSession: true });
    const first = addLac(w);
    expect(w.net.runUntil(() => of(first.events, 'session-up').length === 1, 60_000)).toBe(true);
    const second = addLac(w);
    const bob = addLac(w, { user: 'bob', password: 'hunter2' });
    expect(
      w.net.runUntil(
        () => of(second.events, 'session-down').length === 1 && of(bob.events, 'session-up').length === 1,
        120_000,
      ),
    ).toBe(true);
    expect(of(second.events, 'session-up')).toHaveLength(0);
    expect(of(first.events, 'session-down')).toHaveLength(0);
    expect(w.pool.inUse).toBe(2);
  });

  it('without singleSession the same user may log in twice', () => {
    const w = world(6, { minDelayMs: 2, maxDelayMs: 10 });
    const a = addLac(w);
    const b = addLac(w);
    expect(
      w.net.runUntil(() => of(a.events, 'session-up').length === 1 && of(b.events, 'session-up').length === 1, 60_000),
    ).toBe(true);
    expect(w.pool.inUse).toBe(2);
  });

  it('RFC1661-5.8: a peer that vanishes is detected by LCP echo (interval × failure) and its address returns to the pool', () => {
    const w = world(7, { minDelayMs: 2, maxDelayMs: 10 }, { echoIntervalMs: 1000, echoFailure: 3 });
    const stays = addLac(w, { user: 'bob', password: 'hunter2' });
    const goes = addLac(w);
    expect(
      w.net.runUntil(
        () => of(stays.events, 'session-up').length === 1 && of(goes.events, 'session-up').length === 1,
        60_000,
      ),
    ).toBe(true);
    expect(w.pool.inUse).toBe(2);
    goes.plug.gone = true;
    const vanishedAt = w.net.now;
    expect(w.net.runUntil(() => w.pool.inUse === 1, vanishedAt + 30_000)).toBe(true);
    // Detected after about interval × failure, not sooner (3 s), and well before the 30 s bound.
    expect(w.net.now - vanishedAt).toBeGreaterThanOrEqual(3_000);
    expect(w.net.now - vanishedAt).toBeLessThan(10_000);
    const down = of(w.lnsEvents, 'session-down');
    expect(down).toEqual([expect.objectContaining({ user: 'alice', address: '10.1.20.32' })]);
    // The LNS says why (its log line): the echo failure, not a bare "call cleared".
    expect(down[0]!.reason).toMatch(/echo/i);
    // bob is still served; the freed address goes to the next login.
    expect(of(stays.events, 'session-down')).toHaveLength(0);
    const again = addLac(w);
    expect(w.net.runUntil(() => of(again.events, 'session-up').length === 1, w.net.now + 60_000)).toBe(true);
    expect(of(again.events, 'session-up')[0]!.address).toBe('10.1.20.32');
  });

  it('RFC2661-6.5: a peer that vanishes is detected by HELLO when no LCP echo is configured', () => {
    const w = world(
      8,
      { minDelayMs: 2, maxDelayMs: 10 },
      { endpoint: { helloIntervalMs: 2000, retransmit: { initialMs: 1000, capMs: 2000, maxRetries: 3 } } },
    );
    const goes = addLac(w);
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-up').length === 1, 60_000)).toBe(true);
    goes.plug.gone = true;
    const vanishedAt = w.net.now;
    expect(w.net.runUntil(() => of(w.lnsEvents, 'tunnel-down').length === 1, vanishedAt + 60_000)).toBe(true);
    expect(w.pool.inUse).toBe(0);
    expect(of(w.lnsEvents, 'session-down')).toHaveLength(1);
    expect([...w.lns.endpoint.tunnels()].filter((t) => t.state !== 'closed')).toHaveLength(0);
  });

  it('RFC2661-7.4.1: with many calls queued behind the window, no LCP packet reaches the LNS before its ICCN (no 3 s restart)', () => {
    // The LAC's call is up when it sends ICCN, but the ICCN may wait for window space; PPP opened
    // at once sent a Configure-Request the LNS dropped, costing a 3 s LCP restart (bench finding).
    const w = world(
      12,
      { minDelayMs: 5, maxDelayMs: 5 },
      { poolRanges: ['10.1.0.1-10.1.0.200'], localAddress: '10.1.20.30', singleSession: false },
    );
    const { events } = addLac(w, { sessionsPerTunnel: 20 });
    expect(w.net.runUntil(() => of(events, 'session-up').length === 20, 60_000)).toBe(true);
    const slowest = Math.max(...of(events, 'session-up').map((e) => e.setupMs));
    expect(slowest, 'a session waited out an LCP restart').toBeLessThan(2500);
    expect(w.lns.status().dropped).toMatchObject({ 'unknown-session': 0 });
  });

  it('100 sessions in 10 tunnels get 100 distinct addresses', () => {
    const w = world(
      9,
      { minDelayMs: 1, maxDelayMs: 20, reorder: 0.05 },
      { poolRanges: ['10.1.0.1-10.1.0.200'], localAddress: '10.1.20.30' },
    );
    const { events } = addLac(w, { tunnels: 10, sessionsPerTunnel: 10 });
    expect(w.net.runUntil(() => of(events, 'session-up').length === 100, 120_000)).toBe(true);
    const addresses = new Set(of(events, 'session-up').map((e) => e.address));
    expect(addresses.size).toBe(100);
    expect(new Set(of(events, 'session-up').map((e) => e.tunnelId)).size).toBe(10);
    expect(w.pool.inUse).toBe(100);
    expect(w.lns.status()).toMatchObject({ tunnels: 10, sessions: 100, addressesInUse: 100 });
  });

  it('RFC2661-5.8: 40 seeds, loss up to 20 % with duplication and reordering: sessions come up, addresses are never shared, and all return to the pool after StopCCN', () => {
    let up = 0;
    let total = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const loss = (seed % 5) * 0.05; // 0 … 20 %
      const w = world(seed * 101, { loss, duplicate: 0.05, reorder: 0.1, minDelayMs: 5, maxDelayMs: 60 });
      const { lac, events } = addLac(w, {
        sessionsPerTunnel: 2,
        user: seed % 2 ? 'alice' : 'bob',
        password: seed % 2 ? 's3cret' : 'hunter2',
      });
      total += 2;
      // Until every call is decided at the LAC and the LNS has seen IPCP open for each that came up.
      w.net.runUntil(
        () =>
          of(events, 'session-up').length + of(events, 'session-down').length >= 2 &&
          of(w.lnsEvents, 'session-up').length >= of(events, 'session-up').length,
        300_000,
      );
      const addresses = of(events, 'session-up').map((e) => e.address);
      up += addresses.length;
      expect(new Set(addresses).size, `seed ${seed}`).toBe(addresses.length);
      // One session-up per session, even when a duplicated Configure-Request renegotiates IPCP.
      const lnsUp = of(w.lnsEvents, 'session-up').map((e) => `${e.tunnelId}/${e.sessionId}`);
      expect(new Set(lnsUp).size, `seed ${seed}`).toBe(lnsUp.length);
      // What the LNS holds is exactly what its sessions hold.
      const held = w.lns.sessions(w.net.now).flatMap((s) => (s.address === undefined ? [] : [s.address]));
      expect(w.pool.inUse, `seed ${seed}`).toBe(held.length);
      lac.stop(w.net.now);
      w.net.runIdle(w.net.now + 600_000);
      expect(w.pool.inUse, `seed ${seed} after stop`).toBe(0);
      expect(w.lns.sessions(w.net.now), `seed ${seed}`).toEqual([]);
    }
    // Loss up to 20 % is within what PPP's and L2TP's retransmissions absorb.
    expect(up).toBe(total);
  });

  it('an LNS fed garbage datagrams keeps serving other tunnels', () => {
    const w = world(10, { minDelayMs: 2, maxDelayMs: 10 });
    const rnd = seededRandom(99);
    const attacker: PeerAddress = { address: '203.0.113.66', port: 1701 };
    const good = addLac(w);
    for (let i = 0; i < 400; i++) {
      const len = rnd.int(0, 120);
      const bytes = rnd.fill(new Uint8Array(len));
      // Half of them look like L2TP: version 2, control or data, random ids.
      if (i % 2 === 0 && len >= 12) {
        bytes[0] = i % 4 === 0 ? 0xc8 : 0x40;
        bytes[1] = 0x02;
      }
      w.net.inject(attacker, LNS, bytes, rnd.int(0, 3000));
    }
    expect(w.net.runUntil(() => of(good.events, 'session-up').length === 1, 60_000)).toBe(true);
    // Garbage aimed at the live tunnel's ids from a foreign address does not disturb it either.
    const t = [...w.lns.endpoint.tunnels()][0]!;
    for (let i = 0; i < 50; i++) {
      const bytes = rnd.fill(new Uint8Array(40));
      bytes[0] = 0x40;
      bytes[1] = 0x02;
      bytes[2] = t.tunnelId >> 8;
      bytes[3] = t.tunnelId & 0xff;
      w.net.inject(attacker, LNS, bytes, rnd.int(0, 500));
    }
    const late = addLac(w, { user: 'bob', password: 'hunter2' });
    expect(w.net.runUntil(() => of(late.events, 'session-up').length === 1, w.net.now + 60_000)).toBe(true);
    expect(of(good.events, 'session-down')).toHaveLength(0);
    expect(w.pool.inUse).toBe(2);
    expect(of(w.lnsEvents, 'tunnel-down')).toHaveLength(0);
  });

  it('RFC2661-4.3/5.1.1: tunnel authentication and hidden AVPs with a shared secret; a LAC with the wrong secret is refused', () => {
    const secret = (text: string) => () => new TextEncoder().encode(text);
    const w = world(
      11,
      { minDelayMs: 2, maxDelayMs: 10 },
      { endpoint: { tunnelSecret: secret('tunnel-secret'), challengePeer: true, hideAvps: true } },
    );
    const good = addLac(w, {
      endpoint: { tunnelSecret: secret('tunnel-secret'), challengePeer: true, hideAvps: true },
    });
    const bad = addLac(w, { user: 'bob', password: 'hunter2', endpoint: { tunnelSecret: secret('guess') } });
    expect(
      w.net.runUntil(
        () => of(good.events, 'session-up').length === 1 && of(bad.events, 'tunnel-down').length === 1,
        120_000,
      ),
    ).toBe(true);
    // (The LAC counts its tunnel up once it has sent SCCCN, §7.2; the LNS refuses the response.)
    expect(of(bad.events, 'session-up')).toHaveLength(0);
    expect(w.pool.inUse).toBe(1);
    expect(of(w.lnsEvents, 'tunnel-up')).toHaveLength(1);
  });

  it('RFC1661-6.2: a LAC that only does PAP against an LNS that requires MS-CHAPv2 is cleared without an address', () => {
    const w = world(12, { minDelayMs: 2, maxDelayMs: 10 }, { auth: ['mschapv2'] });
    const { events } = addLac(w, { auth: ['pap'] });
    expect(w.net.runUntil(() => of(events, 'session-down').length === 1, 120_000)).toBe(true);
    expect(of(events, 'session-up')).toHaveLength(0);
    w.net.runIdle(w.net.now + 10_000);
    expect(of(w.lnsEvents, 'session-down')).toHaveLength(1);
    expect(w.pool.inUse).toBe(0);
    // The tunnel stays for the next call.
    expect(of(events, 'tunnel-down')).toHaveLength(0);
  });
});
