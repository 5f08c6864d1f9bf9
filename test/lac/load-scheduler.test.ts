// The setup-load scheduler on its own: a fake LAC port records what it is asked to open and place,
// and events are fed by hand. Related: src/lac/load-scheduler.ts, src/io/setup-load.ts (its driver).
import { describe, expect, it } from 'vitest';
import { type LoadPlan, percentiles, SetupLoadScheduler } from '../../src/lac/load-scheduler.js';

function harness(plan: Partial<LoadPlan> = {}) {
  const opened: number[] = [];
  const placed: [tunnelId: number, sessionId: number][] = [];
  let nextSession = 100;
  const s = new SetupLoadScheduler(
    {
      openTunnel: () => {
        opened.push(opened.length + 1);
        return opened.length;
      },
      startSession: (tunnelId) => {
        placed.push([tunnelId, ++nextSession]);
        return nextSession;
      },
    },
    { tunnels: 2, sessionsPerTunnel: 3, concurrency: 10, durationMs: 1000, perTunnel: 2, ...plan },
    0,
  );
  return { s, opened, placed };
}

describe('SetupLoadScheduler', () => {
  it('opens one tunnel at a time and at most perTunnel calls in one tunnel', () => {
    const { s, opened, placed } = harness();
    s.pump(0);
    expect(opened).toEqual([1]);
    expect(s.handleEvent({ type: 'tunnel-up', tunnelId: 1, peer: { address: '192.0.2.1', port: 1701 } }, 5)).toBe(true);
    s.pump(5);
    expect(opened).toEqual([1, 2]);
    expect(placed).toEqual([
      [1, 101],
      [1, 102],
    ]);
    s.handleEvent(
      { type: 'session-up', tunnelId: 1, sessionId: 101, address: '', peerAddress: '', dns: [], setupMs: 0 },
      25,
    );
    s.pump(25);
    expect(placed.at(-1)).toEqual([1, 103]);
    expect(s.report(25, 0)).toMatchObject({ requested: 6, up: 1, failed: 0, pending: 5, tunnelsUp: 1 });
    expect(s.report(25, 0).latencyMs.p50).toBe(20);
  });

  it('without perTunnel only the concurrency bounds the calls of one tunnel (issue 10 item 1)', () => {
    const { s, placed } = harness({ perTunnel: undefined, sessionsPerTunnel: 5, concurrency: 4 });
    s.pump(0);
    s.handleEvent({ type: 'tunnel-up', tunnelId: 1, peer: { address: '192.0.2.1', port: 1701 } }, 1);
    s.pump(1);
    expect(placed.map(([t]) => t)).toEqual([1, 1, 1, 1]);
  });

  it('a tunnel redirected to another LNS (StopCCN 2/7) is still the one opening: nothing extra is opened', () => {
    const { s, opened, placed } = harness({ tunnels: 1 });
    s.pump(0);
    const peer = { address: '192.0.2.1', port: 1701 };
    const to = { address: '192.0.2.2', port: 1701 };
    expect(s.handleEvent({ type: 'tunnel-redirected', tunnelId: 1, newTunnelId: 7, from: peer, to }, 1)).toBe(false);
    s.pump(1);
    expect(opened).toEqual([1]);
    s.handleEvent({ type: 'tunnel-up', tunnelId: 7, peer: to }, 2);
    s.pump(2);
    expect(placed.map(([t]) => t)).toEqual([7, 7]);
    expect(s.report(2, 0)).toMatchObject({ tunnelsUp: 1, tunnelsDown: 0, failed: 0 });
  });

  it('keeps concurrency over all tunnels, round-robin', () => {
    const { s, placed } = harness({ tunnelsAtOnce: 2, concurrency: 3 });
    s.pump(0);
    for (const tunnelId of [1, 2]) s.handleEvent({ type: 'tunnel-up', tunnelId, peer: { address: '', port: 0 } }, 1);
    s.pump(1);
    expect(placed.map(([t]) => t)).toEqual([1, 2, 1]);
  });

  it('a tunnel going down fails its calls in setup and those not placed; then the run is finished', () => {
    const { s } = harness({ tunnels: 1 });
    s.pump(0);
    s.handleEvent({ type: 'tunnel-up', tunnelId: 1, peer: { address: '', port: 0 } }, 1);
    s.pump(1);
    s.handleEvent({ type: 'tunnel-down', tunnelId: 1, resultCode: 2 }, 2);
    s.pump(2);
    expect(s.finished).toBe(true);
    expect(s.report(2, 0)).toMatchObject({
      up: 0,
      failed: 3,
      pending: 0,
      failures: { 'tunnel down (result 2)': 2, 'tunnel down before call': 1 },
    });
  });

  it('a refused tunnel fails all its calls; the deadline ends the rest as pending', () => {
    const { s } = harness();
    s.pump(0);
    s.handleEvent({ type: 'tunnel-down', tunnelId: 1, resultCode: 4 }, 3);
    s.pump(3);
    expect(s.finished).toBe(false);
    expect(s.handleTimeout(999)).toBe(false);
    expect(s.handleTimeout(1000)).toBe(true);
    expect(s.finished).toBe(true);
    expect(s.report(1000, 7)).toMatchObject({ failed: 3, pending: 3, lacCpuMs: 7, elapsedMs: 1000 });
  });

  it('records when calls came up or failed: per-second samples, cps and the driver-counted retransmissions', () => {
    const { s } = harness({ tunnels: 1, sessionsPerTunnel: 4, perTunnel: undefined });
    s.pump(0);
    s.handleEvent({ type: 'tunnel-up', tunnelId: 1, peer: { address: '', port: 0 } }, 10);
    s.pump(10);
    const up = (sessionId: number, now: number) =>
      s.handleEvent(
        { type: 'session-up', tunnelId: 1, sessionId, address: '', peerAddress: '', dns: [], setupMs: 0 },
        now,
      );
    up(101, 400);
    up(102, 900);
    s.handleEvent({ type: 'auth-failed', tunnelId: 1, sessionId: 103, reason: 'bad secret' }, 1200);
    up(104, 2300);
    const r = s.report(2500, 0, 5);
    expect(r.samples).toEqual([
      { t: 1, up: 2, pending: 2, failed: 0, cps: 2 },
      { t: 2, up: 2, pending: 1, failed: 1, cps: 0 },
      { t: 2.5, up: 3, pending: 0, failed: 1, cps: 1 },
    ]);
    expect(r.cps).toEqual({ min: 0, avg: 1, max: 2 });
    expect(r.controlRetransmissions).toBe(5);
    expect(r.failures).toEqual({ 'auth failed: bad secret': 1 });
  });

  it('percentiles are nearest-rank', () => {
    expect(percentiles([5, 1, 4, 2, 3])).toEqual({ n: 5, p50: 3, p90: 5, p99: 5, max: 5, mean: 3 });
    expect(percentiles([])).toEqual({ n: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
});
