// The driver of a setup-load run (`l2tp-ts bench`, bench/setup-rate.ts, bench/memory.ts): a
// LacEngine on a UDP socket, the sans-IO SetupLoadScheduler (src/lac/load-scheduler.ts) placing
// its calls, one deadline timer, this process's CPU time, and pings through the sessions after
// setup. Related: udp-driver.ts, src/cli/bench.ts (the command and its output).

import type { AuthMethodName } from '../chap/methods.js';
import type { PeerAddress } from '../core/engine.js';
import { canonicalPeer, wildcardFor } from '../core/peer-address.js';
import { LacEngine, type LacEngineOptions, type LacEvent } from '../lac/lac.js';
import {
  type LoadPlan,
  type Percentiles,
  percentiles,
  type SetupLoadResult,
  SetupLoadScheduler,
} from '../lac/load-scheduler.js';
import type { PppSession } from '../session/ppp-over-l2tp.js';
import { sessionKey } from '../session/session-key.js';
import { monotonicNow } from './clock.js';
import { systemRandom } from './system-random.js';
import { driveOverUdp, type UdpDriver } from './udp-driver.js';

/** What one load run asks for: the load (LoadPlan, src/lac/load-scheduler.ts) and where to send it. */
export interface SetupLoadOptions extends LoadPlan {
  readonly server: PeerAddress;
  /** LNSes tried in order after `server` when one refuses a tunnel with StopCCN 2/7 (LacEngine). */
  readonly fallbackServers?: readonly PeerAddress[];
  readonly user: string;
  readonly password: string;
  /** Per-session accounts (LacEngineOptions.account); without it every session uses `user`/`password`. */
  readonly account?: LacEngineOptions['account'];
  readonly auth?: AuthMethodName;
  readonly secret?: string;
  /** Sequencing Required in every ICCN (RFC 2661 §5.4). */
  readonly sequencing?: boolean;
  readonly localAddress?: string;
  /** Runs `bind` (the socket creation), e.g. inside a network namespace. */
  readonly bindWith?: <T>(bind: () => Promise<T>) => Promise<T>;
  readonly transport?: 'auto' | 'mmsg' | 'dgram';
}

/** A running load: sessions stay up until close(). */
export interface SetupLoad {
  readonly engine: LacEngine;
  /** Settles when every session is up or failed, or at the deadline. */
  readonly result: Promise<SetupLoadResult>;
  /** Pings every established session (at most `concurrency` at once); RTT percentiles in ms. */
  ping(timeoutMs?: number): Promise<{ ok: number; failed: number; rttMs: Percentiles }>;
  /** StopCCN to every tunnel, waits up to `graceMs` for their acknowledgements, closes the socket. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the load: binds, then lets the scheduler open every tunnel and place calls round-robin
 * over the tunnels that are up, keeping at most `concurrency` in setup. Resolves once the socket
 * is bound.
 */
export async function startSetupLoad(o: SetupLoadOptions): Promise<SetupLoad> {
  const secret = o.secret === undefined ? undefined : new TextEncoder().encode(o.secret);
  const server = canonicalPeer(o.server);
  const fallbackServers = o.fallbackServers?.map(canonicalPeer);
  const engine = new LacEngine({
    random: systemRandom(),
    server,
    ...(fallbackServers !== undefined && { fallbackServers }),
    user: o.user,
    password: o.password,
    ...(o.account !== undefined && { account: o.account }),
    auth: o.auth === undefined ? undefined : [o.auth],
    hostName: 'l2tp-ts-bench',
    sequencing: o.sequencing === true,
    // Tunnels are opened and calls placed by the scheduler (under its bounds), not all at once by
    // LacEngine.start or on tunnel-up.
    tunnels: 0,
    sessionsPerTunnel: 0,
    endpoint: {
      tunnelSecret: secret === undefined ? undefined : () => secret,
      challengePeer: secret !== undefined,
      // Let the LNS keep many ICRPs in flight towards us.
      receiveWindow: 64,
      // Every call in setup has at most an ICRQ and an ICCN waiting for window space, and the ICCN
      // (a reply) waits behind the ICRQs of one tunnel: with the whole concurrency in one tunnel
      // the default 128 would end the tunnel with StopCCN 2/4 (issue 10: 1 tunnel × 1,000 calls).
      limits: { maxQueuedMessages: Math.max(128, 2 * o.concurrency) },
    },
  });
  const cpu0 = process.cpuUsage();
  const scheduler = new SetupLoadScheduler(
    {
      openTunnel: (now) => engine.openTunnel(now),
      startSession: (tunnelId, now) => engine.endpoint.startSession(tunnelId, now),
    },
    o,
    monotonicNow(),
  );
  let deadline: NodeJS.Timeout | undefined;
  let settled = false;
  let settle: (r: SetupLoadResult) => void = () => {};
  const result = new Promise<SetupLoadResult>((r) => {
    settle = r;
  });
  const settleIfFinished = (): void => {
    if (settled || !scheduler.finished) return;
    settled = true;
    clearTimeout(deadline);
    const cpu = process.cpuUsage(cpu0);
    settle(
      scheduler.report(monotonicNow(), (cpu.user + cpu.system) / 1000, engine.endpoint.controlStats.retransmissions),
    );
  };

  let driver: UdpDriver | undefined;
  let pumpQueued = false;
  // Calls are placed in a microtask, never inside the engine's event delivery.
  const pump = (): void => {
    pumpQueued = false;
    if (scheduler.finished) return;
    scheduler.pump(monotonicNow());
    driver?.flush();
    settleIfFinished();
  };
  const pingWaiters = new Map<number, (rtt: number | undefined) => void>();
  const onEvent = (e: LacEvent): void => {
    if (e.type === 'ping-reply') pingWaiters.get(sessionKey(e.tunnelId, e.sessionId))?.(e.rttMs);
    else if (scheduler.handleEvent(e, monotonicNow()) && !pumpQueued) {
      pumpQueued = true;
      queueMicrotask(pump);
    }
  };

  const bind = (): Promise<UdpDriver> =>
    driveOverUdp(engine, {
      address: o.localAddress ?? wildcardFor([server.address, ...(fallbackServers ?? []).map((s) => s.address)]),
      port: 0,
      transport: o.transport,
      onEvent,
    });
  driver = await (o.bindWith ? o.bindWith(bind) : bind());
  const d = driver;
  const onDeadline = (): void => {
    const now = monotonicNow();
    if (scheduler.handleTimeout(now)) settleIfFinished();
    // A timer may fire a little before the clock reaches the deadline: wait for the rest.
    else if (!scheduler.finished) deadline = setTimeout(onDeadline, Math.max(1, scheduler.deadline - now));
  };
  deadline = setTimeout(onDeadline, Math.max(0, scheduler.deadline - monotonicNow()));
  pump();

  return {
    engine,
    result,
    async ping(timeoutMs = 3000) {
      const sessions = [...engine.sessions.values()].filter((s) => s.peerAddress !== undefined && !s.closing);
      const rtts: number[] = [];
      let failedPings = 0;
      let next = 0;
      const one = async (s: PppSession): Promise<void> => {
        const k = sessionKey(s.handle.tunnelId, s.handle.sessionId);
        const rtt = await new Promise<number | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), timeoutMs);
          pingWaiters.set(k, (r) => {
            clearTimeout(timer);
            resolve(r);
          });
          if (!engine.ping(s, monotonicNow())) {
            clearTimeout(timer);
            resolve(undefined);
          }
          d.flush();
        });
        pingWaiters.delete(k);
        if (rtt === undefined) failedPings++;
        else rtts.push(rtt);
      };
      const worker = async (): Promise<void> => {
        while (next < sessions.length) await one(sessions[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(o.concurrency, sessions.length) }, worker));
      return { ok: rtts.length, failed: failedPings, rttMs: percentiles(rtts) };
    },
    async close(graceMs = 3000) {
      clearTimeout(deadline);
      scheduler.finish();
      engine.stop(monotonicNow());
      d.flush();
      const end = Date.now() + graceMs;
      // Until every StopCCN is acknowledged (as createLac), not through the §5.7 linger: a bench
      // run would otherwise always end `graceMs` late.
      while (Date.now() < end && engine.endpoint.awaitingStopAck()) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await d.close();
    },
  };
}
