// Issue 10 item 1 on virtual time: one tunnel carries thousands of calls. The LAC places 5,000
// calls in one tunnel at once over a lossless link with a 5 ms one-way delay; every call must reach
// the Network phase (IPCP up at the LAC) within a bounded virtual time, and no control message may
// be retransmitted: a window that fills is acknowledged at once (control-channel.ts), and the LAC
// starts PPP only once its ICCN is on the wire (tunnel.ts), so nothing waits for a timer.
// Related: test/l2tp/control-channel.test.ts (the ack rule alone), lns-lac.test.ts.
import { describe, expect, it } from 'vitest';
import type { Engine, PeerAddress, Transmit } from '../../src/core/engine.js';
import { L2tpHeaderView } from '../../src/l2tp/wire/header.js';
import { LacEngine, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine } from '../../src/lns/lns.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

const LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };
const LAC: PeerAddress = { address: '198.51.100.7', port: 1701 };
const CALLS = 5000;
/** Virtual seconds allowed: 5,000 calls × ~6 control messages in windows of 16 at a 10 ms RTT need ≈ 20 s. */
const BOUND_MS = 60_000;

/** Records (sender, Ns) of every non-ZLB control message an engine puts on the wire. */
function watchControl<E>(name: string, engine: Engine<E>, seen: Map<string, number>): void {
  const view = new L2tpHeaderView();
  const poll = engine.pollTransmit.bind(engine);
  engine.pollTransmit = (): Transmit | undefined => {
    const t = poll();
    if (t !== undefined && view.wrap(t.bytes) === undefined && view.isControl && view.body.length > 0) {
      const key = `${name} ${view.tunnelId} ${view.ns}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    return t;
  };
}

describe('one tunnel, 5,000 calls (issue 10 item 1)', () => {
  it('every call reaches the Network phase in bounded virtual time with no retransmission on a lossless link', () => {
    const net = new SimNetwork(10, { loss: 0, duplicate: 0, reorder: 0, minDelayMs: 5, maxDelayMs: 5 });
    const lns = new LnsEngine({
      random: seededRandom(1),
      hostName: 'lns',
      auth: [],
      users: () => undefined,
      pool: new AddressPool(['10.8.0.1-10.8.255.254']),
      localAddress: '10.9.0.1',
      userspace: true,
      echoIntervalMs: 0,
      // An operator who lets one LAC carry this many calls in setup raises the per-peer caps; the
      // windows, ack delay and retransmission timers keep their defaults.
      endpoint: { limits: { maxCallsInSetupPerPeer: CALLS, maxCallsInSetupPerTunnel: CALLS } },
    });
    const lac = new LacEngine({
      random: seededRandom(2),
      server: LNS,
      user: 'u',
      password: 'p',
      tunnels: 1,
      sessionsPerTunnel: CALLS,
      echoIntervalMs: 0,
      // This LAC queues all 5,000 ICRQs at tunnel-up (no pacing, unlike `bench`), so its ICCNs wait
      // behind them: its own queue bound must hold them (the LNS's stays at its default).
      endpoint: { limits: { maxQueuedMessages: 2 * CALLS } },
    });
    const sent = new Map<string, number>();
    watchControl('lns', lns, sent);
    watchControl('lac', lac, sent);
    net.attach(LNS, lns);
    const lacEvents: LacEvent[] = net.attach(LAC, lac);
    lac.start(net.now);
    let up = 0;
    let seenEvents = 0;
    const allUp = (): boolean => {
      for (; seenEvents < lacEvents.length; seenEvents++) if (lacEvents[seenEvents]!.type === 'session-up') up++;
      return up === CALLS;
    };
    expect(net.runUntil(allUp, BOUND_MS)).toBe(true);
    expect(up).toBe(CALLS);
    expect(net.now).toBeLessThan(BOUND_MS);
    const repeated = [...sent].filter(([, n]) => n > 1);
    expect(repeated).toEqual([]);
    // 2 tunnel messages + 2 call messages per call from the LAC (SCCRQ, SCCCN; ICRQ, ICCN).
    expect([...sent.keys()].filter((k) => k.startsWith('lac ')).length).toBe(2 + 2 * CALLS);
    expect(net.stats.lost).toBe(0);
    // Nor was PPP repeated: no LCP frame reached the LNS before the ICCN of its call (it would be
    // dropped as unknown-session and the LAC's LCP would wait for its Restart timer).
    expect(Object.values(lns.status().dropped).every((n) => n === 0)).toBe(true);
  });
});
