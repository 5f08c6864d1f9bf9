// LnsEngine and LacEngine under churn on the seeded SimNetwork: several tunnels and sessions per
// seed, loss, duplication and reordering, the LNS shutting down mid-negotiation, LACs hanging up
// at random moments. Invariants: no address is held twice, the pool matches the live sessions,
// and nothing is left after everyone has gone. Related: lns-lac.test.ts.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { LacEngine, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine, type LnsEvent } from '../../src/lns/lns.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

const LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };
const of = <T extends { type: string }, K extends T['type']>(es: readonly T[], type: K): Extract<T, { type: K }>[] =>
  es.filter((e): e is Extract<T, { type: K }> => e.type === type);

function setup(seed: number, loss: number) {
  const net = new SimNetwork(seed, { loss, duplicate: 0.03, reorder: 0.1, minDelayMs: 2, maxDelayMs: 40 });
  const pool = new AddressPool(['10.1.0.1-10.1.0.254'], { exclude: ['10.1.20.30'] });
  const lns = new LnsEngine({
    random: seededRandom(seed),
    hostName: 'lns',
    auth: (['mschapv2', 'chap', 'pap'] as const).slice(seed % 3),
    users: (u) => (u === 'alice' ? { secret: 's3cret' } : undefined),
    pool,
    localAddress: '10.1.20.30',
    dns: ['10.1.20.1'],
    userspace: true,
    echoIntervalMs: 2000,
    echoFailure: 3,
  });
  const lnsEvents: LnsEvent[] = net.attach(LNS, lns);
  const lacs: { lac: LacEngine; events: LacEvent[] }[] = [];
  for (let i = 0; i < 3; i++) {
    const lac = new LacEngine({
      random: seededRandom(seed * 31 + i),
      server: LNS,
      user: 'alice',
      password: 's3cret',
      tunnels: 1 + (i % 2),
      sessionsPerTunnel: 3,
    });
    lacs.push({ lac, events: net.attach({ address: `198.51.100.${i + 1}`, port: 1701 }, lac) });
    lac.start(0);
  }
  return { net, pool, lns, lnsEvents, lacs };
}

/** Addresses of live LNS sessions are distinct and the pool holds at least those. */
function checkInvariants(w: ReturnType<typeof setup>, label: string): void {
  const held = w.lns.sessions(w.net.now).flatMap((s) => (s.address === undefined ? [] : [s.address]));
  expect(new Set(held).size, label).toBe(held.length);
  expect(w.pool.inUse, label).toBeGreaterThanOrEqual(held.length);
  expect(w.pool.inUse, label).toBeLessThanOrEqual(w.lns.sessions(w.net.now).length);
}

describe('LNS + LAC churn', () => {
  it('RFC2661-5.7: 15 seeds, LACs hang up at random moments under loss: addresses stay unique and all return', () => {
    let everUp = 0;
    for (let seed = 1; seed <= 15; seed++) {
      const w = setup(seed, (seed % 4) * 0.05);
      const rnd = seededRandom(seed + 500);
      const stopAt = w.lacs.map(() => rnd.int(50, 20_000));
      const stopped = w.lacs.map(() => false);
      for (let t = 0; t < 40_000 && w.net.step(40_000); ) {
        t = w.net.now;
        w.lacs.forEach((l, i) => {
          if (!stopped[i] && t >= stopAt[i]!) {
            stopped[i] = true;
            l.lac.stop(t);
          }
        });
        checkInvariants(w, `seed ${seed} at ${t}`);
      }
      w.net.runIdle(w.net.now + 300_000);
      everUp += of(w.lnsEvents, 'session-up').length;
      expect(w.pool.inUse, `seed ${seed}`).toBe(0);
      expect(w.lns.sessions(w.net.now), `seed ${seed}`).toEqual([]);
      expect(w.lns.status().tunnels, `seed ${seed}`).toBe(0);
      for (const l of w.lacs) expect(l.lac.sessions.size, `seed ${seed}`).toBe(0);
    }
    // Hang-ups land both before and after sessions come up: many came up on the way.
    expect(everUp).toBeGreaterThan(100);
  });

  it('RFC2661-5.7: the LNS shutting down mid-negotiation clears every tunnel at the LACs and frees every address', () => {
    let shutWithSessionsUp = 0;
    let shutWithSessionsNegotiating = 0;
    for (let seed = 1; seed <= 15; seed++) {
      const w = setup(seed, (seed % 3) * 0.05);
      const shutdownAt = seededRandom(seed + 900).int(5, 3000);
      w.net.runIdle(shutdownAt);
      const states = w.lns.sessions(w.net.now).map((s) => s.state);
      if (states.includes('up')) shutWithSessionsUp++;
      if (states.includes('negotiating')) shutWithSessionsNegotiating++;
      w.lns.closeAll(w.net.now);
      w.net.runIdle(w.net.now + 300_000);
      expect(w.pool.inUse, `seed ${seed}`).toBe(0);
      expect(w.lns.sessions(w.net.now), `seed ${seed}`).toEqual([]);
      for (const l of w.lacs) {
        expect(l.lac.sessions.size, `seed ${seed}`).toBe(0);
        expect(
          [...l.lac.endpoint.tunnels()].filter((t) => t.state === 'established'),
          `seed ${seed}`,
        ).toEqual([]);
      }
      // Every session the LNS announced up was announced down.
      expect(of(w.lnsEvents, 'session-down').length, `seed ${seed}`).toBe(of(w.lnsEvents, 'session-started').length);
    }
    expect(shutWithSessionsUp).toBeGreaterThan(0);
    expect(shutWithSessionsNegotiating).toBeGreaterThan(0);
  });
});
