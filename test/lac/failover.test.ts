// LAC failover on "try another" (RFC 2661 §4.4.2 General Error 7), sans-IO on virtual time: three
// LNS engines, the first two at capacity, and a LAC given all three in order. A refused tunnel is
// opened again to the next LNS ('tunnel-redirected'), past the last one it is down; other refusals
// are not redirected. Related: src/lac/lac.ts (failover), src/l2tp/endpoint.ts (the refusals),
// test/e2e/cli-failover.test.ts (the same through `l2tp-ts lac --server A --server B`).
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { LacEngine, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine, type LnsEngineOptions } from '../../src/lns/lns.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

const LAC: PeerAddress = { address: '198.51.100.1', port: 1701 };
const NODES: PeerAddress[] = [1, 2, 3].map((n) => ({ address: `192.0.2.${n}`, port: 1701 }));

function lns(seed: number, extra: Partial<LnsEngineOptions> = {}): LnsEngine {
  return new LnsEngine({
    random: seededRandom(seed),
    hostName: `lns${seed}`,
    auth: ['pap'],
    users: (u) => (u === 'alice' ? { secret: 'pw' } : undefined),
    pool: new AddressPool([`10.${seed}.0.2-10.${seed}.0.9`]),
    localAddress: `10.${seed}.0.1`,
    userspace: false,
    ...extra,
  });
}

function lab(limits: readonly (NonNullable<LnsEngineOptions['endpoint']>['limits'] | undefined)[]) {
  const net = new SimNetwork(5, { minDelayMs: 1, maxDelayMs: 3 });
  const nodes = NODES.map((at, i) => {
    const l = lns(i + 1, limits[i] === undefined ? {} : { endpoint: { limits: limits[i] } });
    net.attach(at, l);
    return l;
  });
  const lac = new LacEngine({
    random: seededRandom(9),
    server: NODES[0]!,
    fallbackServers: NODES.slice(1),
    user: 'alice',
    password: 'pw',
    auth: ['pap'],
  });
  const events: LacEvent[] = net.attach(LAC, lac);
  return { net, nodes, lac, events };
}

describe('LAC failover on StopCCN 2/7', () => {
  it('RFC2661-4.4.2: a tunnel refused with "try another" by two full nodes comes up on the third', () => {
    // Nodes 1 and 2 may hold one tunnel each, and another LAC takes it first.
    const { net, nodes, lac, events } = lab([{ maxTunnels: 1 }, { maxTunnels: 1 }, undefined]);
    // Fill nodes 1 and 2 with one tunnel each from another LAC.
    for (const [i, at] of NODES.slice(0, 2).entries()) {
      const other = new LacEngine({ random: seededRandom(20 + i), server: at, user: 'alice', password: 'pw' });
      const seen: LacEvent[] = net.attach({ address: `198.51.100.${10 + i}`, port: 1701 }, other);
      other.start(net.now);
      expect(net.runUntil(() => seen.some((e) => e.type === 'session-up'), 30_000)).toBe(true);
    }
    lac.start(net.now);
    expect(net.runUntil(() => events.some((e) => e.type === 'session-up' || e.type === 'tunnel-down'), 30_000)).toBe(
      true,
    );
    const redirects = events.filter((e) => e.type === 'tunnel-redirected');
    expect(redirects).toMatchObject([
      { from: NODES[0], to: NODES[1] },
      { from: NODES[1], to: NODES[2] },
    ]);
    expect(events.filter((e) => e.type === 'tunnel-down')).toEqual([]);
    expect(events.find((e) => e.type === 'tunnel-up')).toMatchObject({ peer: NODES[2] });
    expect(events.find((e) => e.type === 'session-up')).toMatchObject({ address: '10.3.0.2' });
    expect(nodes.map((n) => n.endpoint.counters.refusedSccrq)).toEqual([1, 1, 0]);
  });

  it('RFC2661-4.4.2: every node full → one attempt per node, then tunnel-down 2/7', () => {
    const { net, events, lac } = lab([{ maxSessions: 1 }, { maxSessions: 1 }, { maxSessions: 1 }]);
    for (const [i, at] of NODES.entries()) {
      const other = new LacEngine({ random: seededRandom(30 + i), server: at, user: 'alice', password: 'pw' });
      const seen: LacEvent[] = net.attach({ address: `198.51.100.${20 + i}`, port: 1701 }, other);
      other.start(net.now);
      expect(net.runUntil(() => seen.some((e) => e.type === 'session-up'), 30_000)).toBe(true);
    }
    lac.start(net.now);
    expect(net.runUntil(() => events.some((e) => e.type === 'tunnel-down'), 30_000)).toBe(true);
    expect(events.filter((e) => e.type === 'tunnel-redirected')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'tunnel-down')).toMatchObject([
      { resultCode: 2, errorCode: 7, message: 'At capacity (session limit): try another LNS' },
    ]);
  });

  it('a refusal other than 2/7 (here 2/4, too many tunnels from this address) is not redirected', () => {
    const { net, events, lac } = lab([{ maxTunnelsPerPeer: 0 }, undefined, undefined]);
    lac.start(net.now);
    expect(net.runUntil(() => events.some((e) => e.type === 'tunnel-down'), 30_000)).toBe(true);
    expect(events.filter((e) => e.type === 'tunnel-redirected')).toEqual([]);
    expect(events.find((e) => e.type === 'tunnel-down')).toMatchObject({ resultCode: 2, errorCode: 4 });
  });
});
