// 20,000 sessions up and down in one LNS engine, sans-IO on virtual time (issue 10): every call
// reaches the Network phase, every call is cleared, and then the engine holds nothing: no session,
// tunnel, timer, queued message or event, pool lease, route (byAddress) or throttle entry is left
// (retained-state.ts walks the whole engine, so a leak in a map this test does not name is found
// too). No timing or memory assertion: those are bench/memory.ts's job.
// Related: lns-lac-stress.test.ts (churn under loss), ../support/retained-state.ts.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { LacEngine, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine, type LnsEvent } from '../../src/lns/lns.js';
import { retainedState } from '../support/retained-state.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

const LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };
// 10 peers × 20 tunnels × 100 calls: each peer stays under the LNS's per-peer limits (256 tunnels,
// 4,096 calls in setup) and each tunnel's replies fit its control queue while its window is full.
const LACS = 10;
const TUNNELS_PER_LAC = 20;
const SESSIONS_PER_TUNNEL = 100;
const SESSIONS = LACS * TUNNELS_PER_LAC * SESSIONS_PER_TUNNEL;

/** What an LNS engine keeps by design while idle: its configuration (options, pool exclusions). */
const CONFIGURATION = ['opts', 'linkOptions', 'excluded', 'reserved'];

describe('one LNS engine, 20,000 sessions', () => {
  it('brings 20,000 sessions up (CHAP-MD5, IPCP) and down, and then holds no state', () => {
    const net = new SimNetwork(20, { minDelayMs: 1, maxDelayMs: 5 });
    // A /17 from `ip range`: 32,766 addresses, handed out lowest first without a table per address.
    const pool = new AddressPool(['10.64.0.1-10.64.127.254'], { exclude: ['10.1.20.30'] });
    const lns = new LnsEngine({
      random: seededRandom(20),
      hostName: 'lns',
      auth: ['chap'],
      users: (u) => (u === 'alice' ? { secret: 's3cret' } : undefined),
      pool,
      localAddress: '10.1.20.30',
      dns: ['10.1.20.1', '10.1.20.2'],
      userspace: true,
      echoIntervalMs: 5000,
      echoFailure: 12,
    });
    const lnsEvents: LnsEvent[] = net.attach(LNS, lns);
    const lacs: { lac: LacEngine; events: LacEvent[] }[] = [];
    for (let i = 0; i < LACS; i++) {
      const lac = new LacEngine({
        random: seededRandom(100 + i),
        server: LNS,
        user: 'alice',
        password: 's3cret',
        auth: ['chap'],
        tunnels: TUNNELS_PER_LAC,
        sessionsPerTunnel: SESSIONS_PER_TUNNEL,
      });
      lacs.push({ lac, events: net.attach({ address: `198.51.100.${i + 1}`, port: 1701 }, lac) });
      lac.start(0);
    }
    let up = 0;
    let down = 0;
    const seen = new Map<string, number>();
    const count = (): void => {
      for (const e of lnsEvents.splice(0)) {
        const k = e.type === 'session-down' ? `${e.type}:${e.reason}` : e.type;
        seen.set(k, (seen.get(k) ?? 0) + 1);
        if (e.type === 'session-up') up++;
        else if (e.type === 'session-down') down++;
      }
    };
    expect(
      net.runUntil(() => {
        count();
        return up === SESSIONS;
      }, 600_000),
      `up ${up} at ${net.now} ms; LNS events ${JSON.stringify([...seen])}`,
    ).toBe(true);
    expect(lns.status()).toMatchObject({ sessions: SESSIONS, addressesInUse: SESSIONS });
    // Idle a while: LCP echoes run on every session (timers), nothing else changes.
    net.runIdle(net.now + 12_000);
    count();
    expect(down).toBe(0);
    expect(lns.status().sessions).toBe(SESSIONS);

    for (const { lac } of lacs) lac.stop(net.now);
    net.runIdle(net.now + 600_000);
    count();
    expect(down).toBe(SESSIONS);
    for (const { lac } of lacs) expect(lac.sessions.size).toBe(0);
    expect(lns.status()).toMatchObject({ tunnels: 0, sessions: 0, addressesInUse: 0 });
    expect(lns.pollTimeout()).toBeUndefined();
    expect(retainedState(lns, CONFIGURATION)).toEqual([]);
    // The pool hands out the lowest address again: nothing of the 20,000 leases is left.
    expect(pool.allocate('after')).toBe('10.64.0.1');
  });
});
