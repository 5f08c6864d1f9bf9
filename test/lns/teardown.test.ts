// Issue 9 item 5: tearing down N sessions is O(N), and the LNS's shutdown runs in bounded slices.
// Complexity without timing: every Map and Set iteration step taken during the teardown is
// counted (the prototypes' iterators are wrapped for the duration), so a scan of every session per
// tunnel shows up as N × T steps where linear teardown takes a few per session.
// Related: src/l2tp/endpoint.ts closeSome, src/lns/lns.ts closeSome, bench/teardown.ts.
import { describe, expect, it } from 'vitest';
import type { LnsEvent } from '../../src/lns/lns.js';
import { drainEvents, manySessionsUp, PAIR_LAC } from '../support/engine-pair.js';

type Iterating = Record<PropertyKey, (...args: unknown[]) => unknown>;

/** Runs `f` with every Map/Set iteration step counted; returns the count. */
function iterationSteps(f: () => void): number {
  let steps = 0;
  const saved: [Iterating, PropertyKey, (...args: unknown[]) => unknown][] = [];
  for (const proto of [Map.prototype, Set.prototype] as unknown as Iterating[]) {
    for (const name of ['values', 'keys', 'entries', Symbol.iterator] as PropertyKey[]) {
      const original = proto[name]!;
      saved.push([proto, name, original]);
      proto[name] = function* (this: unknown) {
        for (const x of original.call(this) as Iterable<unknown>) {
          steps++;
          yield x;
        }
      };
    }
    const forEach = proto['forEach']!;
    saved.push([proto, 'forEach', forEach]);
    proto['forEach'] = function (this: unknown, ...args: unknown[]) {
      const [cb, thisArg] = args as [(...a: unknown[]) => void, unknown];
      forEach.call(this, (...a: unknown[]) => {
        steps++;
        cb.apply(thisArg, a);
      });
    };
  }
  try {
    f();
  } finally {
    for (const [proto, name, original] of saved) proto[name] = original;
  }
  return steps;
}

/** The LNS shuts down (closeAll) with N sessions in T tunnels: iteration steps per session. */
function lnsStopSteps(sessions: number, tunnels: number): number {
  const { lns, now } = manySessionsUp(sessions, tunnels);
  const steps = iterationSteps(() => {
    lns.closeAll(now);
    drainEvents(lns);
  });
  expect(lns.status()).toMatchObject({ sessions: 0, addressesInUse: 0 });
  return steps / sessions;
}

/** The LAC sends StopCCN on every tunnel: iteration steps per session at the LNS. */
function peerStopSteps(sessions: number, tunnels: number): number {
  const pair = manySessionsUp(sessions, tunnels);
  pair.lac.stop(pair.now);
  const stops: Uint8Array[] = [];
  for (let t = pair.lac.pollTransmit(); t !== undefined; t = pair.lac.pollTransmit()) stops.push(t.bytes);
  const steps = iterationSteps(() => {
    for (const bytes of stops) {
      pair.lns.handleDatagram(bytes, PAIR_LAC, pair.now);
      drainEvents(pair.lns);
    }
  });
  expect(pair.lns.status()).toMatchObject({ sessions: 0, addressesInUse: 0 });
  return steps / sessions;
}

describe('teardown of N sessions is O(N)', () => {
  it('LNS shutdown: the work per session does not grow with the number of tunnels or sessions', () => {
    const small = lnsStopSteps(200, 10);
    const large = lnsStopSteps(800, 40);
    // Linear: a constant number of steps per session (a scan of every session per tunnel-down,
    // as before, makes it ≈ T / 2: 5 at 10 tunnels, 20 at 40).
    expect(large).toBeLessThanOrEqual(small * 1.25 + 0.5);
    expect(large).toBeLessThan(4);
  });

  it("a peer's StopCCN on every tunnel: the same", () => {
    const small = peerStopSteps(200, 10);
    const large = peerStopSteps(800, 40);
    expect(large).toBeLessThanOrEqual(small * 1.25 + 0.5);
    expect(large).toBeLessThan(4);
  });
});

describe('a tunnel torn down by an internal error', () => {
  it('its sessions, forgotten by the L2TP layer without events, are still closed and their addresses freed', () => {
    const pair = manySessionsUp(20, 2, { keepEvents: true });
    const { lns } = pair;
    const [broken] = [...lns.endpoint.tunnels()];
    const t = lns.endpoint.tunnel(broken!.tunnelId)!;
    t.handleControl = () => {
      throw new Error('injected bug');
    };
    const events: LnsEvent[] = [];
    pair.lac.stop(pair.now);
    for (let d = pair.lac.pollTransmit(); d !== undefined; d = pair.lac.pollTransmit()) {
      lns.handleDatagram(d.bytes, PAIR_LAC, pair.now);
      drainEvents(lns, events);
    }
    expect(lns.endpoint.counters.internalErrors).toBe(1);
    expect(events.filter((e) => e.type === 'session-down')).toHaveLength(20);
    expect(lns.status()).toMatchObject({ sessions: 0, addressesInUse: 0 });
  });
});

describe('LNS shutdown in slices (closeSome)', () => {
  it('each slice tears down at most max(budget, one tunnel) sessions, every session goes once, new tunnels are refused', () => {
    const pair = manySessionsUp(600, 30, { keepEvents: true }); // 20 sessions per tunnel
    const { lns } = pair;
    const perSlice: number[] = [];
    const downs = new Set<string>();
    for (let done = false; !done; ) {
      done = lns.closeSome(pair.now, 50);
      const events: LnsEvent[] = [];
      drainEvents(lns, events);
      const slice = events.filter((e) => e.type === 'session-down');
      for (const e of slice) downs.add(`${e.tunnelId}/${e.sessionId}`);
      perSlice.push(slice.length);
      expect(perSlice.length).toBeLessThan(100);
    }
    // 20 sessions + 1 per tunnel: two tunnels (42) fit a budget of 50, a third would not.
    expect(perSlice.every((n) => n <= 50)).toBe(true);
    expect(perSlice.length).toBe(15);
    expect(downs.size).toBe(600);
    expect(lns.status()).toMatchObject({ sessions: 0, addressesInUse: 0 });
    // During (and after) the shutdown a new SCCRQ gets no tunnel.
    pair.lac.start(pair.now);
    pair.run(() => false, 5000);
    expect(lns.status().tunnels).toBe(0);
  });

  it('a tunnel with more sessions than the budget still goes in one slice (at least one tunnel per call)', () => {
    const pair = manySessionsUp(120, 2);
    expect(pair.lns.closeSome(pair.now, 10)).toBe(false);
    expect(pair.lns.status().sessions).toBe(60);
    expect(pair.lns.closeSome(pair.now, 10)).toBe(true);
    expect(pair.lns.status().sessions).toBe(0);
  });
});
