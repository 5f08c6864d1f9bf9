// `l2tp-ts bench`: session setup load against any LNS — T tunnels × N sessions, each with full LCP,
// authentication and IPCP, at most C calls in setup at once; reports sessions/s, setup latency
// percentiles, failures and optional ping RTT. Related: ../lac/lac.ts, bench/setup-rate.ts.

import type { AuthMethodName } from '../chap/methods.js';
import type { PeerAddress } from '../core/engine.js';
import { monotonicNow } from '../io/clock.js';
import { systemRandom } from '../io/system-random.js';
import { driveOverUdp, type UdpDriver } from '../io/udp-driver.js';
import { LacEngine, type LacEvent } from '../lac/lac.js';
import type { PppSession } from '../lns/ppp-over-l2tp.js';
import { DIAL_FLAGS, formatFlags, parseArgs, parseHostPort, UsageError } from './args.js';

const FLAGS = {
  ...DIAL_FLAGS,
  secret: { kind: 'string', help: 'L2TP tunnel secret (tunnel authentication)' },
  tunnels: { kind: 'int', help: 'tunnels to open (default 10)', min: 1, max: 10000 },
  sessions: { kind: 'int', help: 'sessions per tunnel (default 100)', min: 1, max: 65535 },
  concurrency: { kind: 'int', help: 'calls in setup at once, over all tunnels (default 200)', min: 1 },
  'tunnels-at-once': {
    kind: 'int',
    help: 'tunnels being opened at once (default 1: l2tpns takes a second SCCRQ from the same address and port as a duplicate)',
    min: 1,
  },
  'per-tunnel': {
    kind: 'int',
    help: 'calls in setup at once in one tunnel (default 2: ICRQ + ICCN of two calls fit the default window of 4)',
    min: 1,
  },
  duration: {
    kind: 'int',
    help: 'give up on sessions not up after this many seconds (default 60)',
    min: 1,
    valueName: 'SECONDS',
  },
  ping: { kind: 'boolean', help: 'after setup, ping the IPCP peer through every session and report the RTT' },
  bind: { kind: 'string', help: 'local address to bind (default 0.0.0.0)', valueName: 'ADDRESS' },
  json: { kind: 'boolean', help: 'print one JSON object instead of a table' },
} as const;

export const BENCH_HELP = `Usage: l2tp-ts bench --server HOST[:PORT] --user U --password P [options]

Session setup benchmark against any LNS: opens T tunnels and N sessions in each (full LCP,
authentication, IPCP), with at most C calls in setup at once, then reports the setup rate
(sessions/s), setup latency (p50/p99, ICRQ sent → IPCP up), failures and, with --ping, the RTT.
Bounded by --duration. Exit code 0 only when every session came up (and pinged, with --ping).

Options:
${formatFlags(FLAGS)}
`;

/** What one load run asks for. */
export interface SetupLoadOptions {
  readonly server: PeerAddress;
  readonly user: string;
  readonly password: string;
  readonly auth?: AuthMethodName;
  readonly secret?: string;
  readonly tunnels: number;
  readonly sessionsPerTunnel: number;
  /** Calls in setup at once over all tunnels. */
  readonly concurrency: number;
  /**
   * Calls in setup at once per tunnel (default 2). More makes ICCNs queue behind the peer's
   * window while the LAC's PPP already talks, and an LNS drops LCP for a call it has no ICCN for.
   */
  readonly perTunnel?: number;
  /**
   * Tunnels being opened at once (default 1). l2tpns 2.4.1 matches an SCCRQ to a tunnel still
   * opening by the peer's address and port and drops it as a duplicate, so parallel opens from
   * one socket stall on SCCRQ retransmission there.
   */
  readonly tunnelsAtOnce?: number;
  /** Setup phase bound: sessions not up by then count as pending (failed). */
  readonly durationMs: number;
  readonly localAddress?: string;
  /** Runs `bind` (the socket creation), e.g. inside a network namespace. */
  readonly bindWith?: <T>(bind: () => Promise<T>) => Promise<T>;
  readonly transport?: 'auto' | 'mmsg' | 'dgram';
}

/** Percentiles of a sample, in ms. */
export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The outcome of the setup phase. */
export interface SetupLoadResult {
  readonly requested: number;
  readonly up: number;
  readonly failed: number;
  /** Neither up nor failed when the setup phase ended. */
  readonly pending: number;
  readonly tunnelsUp: number;
  readonly tunnelsDown: number;
  /** Failure reasons and their counts. */
  readonly failures: Readonly<Record<string, number>>;
  /** From opening the tunnels to the last session up (or the deadline). */
  readonly elapsedMs: number;
  /** From the first ICRQ to the last session up. */
  readonly setupWindowMs: number;
  /** up ÷ setupWindowMs. */
  readonly sessionsPerSecond: number;
  readonly latencyMs: Percentiles;
  /** CPU of this (load generator) process during the setup phase. */
  readonly lacCpuMs: number;
  readonly auth: Readonly<Record<string, number>>;
}

/** A running load: sessions stay up until close(). */
export interface SetupLoad {
  readonly engine: LacEngine;
  /** Settles when every session is up or failed, or at the deadline. */
  readonly result: Promise<SetupLoadResult>;
  /** Pings every established session (at most `concurrency` at once); RTT percentiles in ms. */
  ping(timeoutMs?: number): Promise<{ ok: number; failed: number; rttMs: Percentiles }>;
  /** StopCCN to every tunnel, waits up to `graceMs`, closes the socket. */
  close(graceMs?: number): Promise<void>;
}

/** Percentiles of `values` (ms), nearest-rank. */
export function percentiles(values: readonly number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const at = (q: number): number => (n === 0 ? 0 : s[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
  const sum = s.reduce((a, b) => a + b, 0);
  return { n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: n === 0 ? 0 : s[n - 1]!, mean: n === 0 ? 0 : sum / n };
}

interface TunnelSlot {
  readonly tunnelId: number;
  /** Calls still to place. */
  remaining: number;
  /** Calls placed and not yet up or failed. */
  readonly pending: Set<number>;
}

/**
 * Starts the load: binds, opens every tunnel, then places calls round-robin over the tunnels that
 * are up, keeping at most `concurrency` in setup. Resolves once the socket is bound.
 */
export async function startSetupLoad(o: SetupLoadOptions): Promise<SetupLoad> {
  const secret = o.secret === undefined ? undefined : new TextEncoder().encode(o.secret);
  const engine = new LacEngine({
    random: systemRandom(),
    server: o.server,
    user: o.user,
    password: o.password,
    auth: o.auth === undefined ? undefined : [o.auth],
    hostName: 'l2tp-ts-bench',
    // Tunnels are opened here (at most tunnelsAtOnce at a time) and calls are placed here too
    // (under the concurrency bounds), not all at once by LacEngine.start.
    tunnels: 0,
    // Calls are placed here, under the concurrency bound, not all at once on tunnel-up.
    sessionsPerTunnel: 0,
    endpoint: {
      tunnelSecret: secret === undefined ? undefined : () => secret,
      challengePeer: secret !== undefined,
      // Let the LNS keep many ICRPs in flight towards us.
      receiveWindow: 64,
    },
  });
  const requested = o.tunnels * o.sessionsPerTunnel;
  const startedAt = new Map<number, number>(); // sessionKey → ICRQ time
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const authCount: Record<string, number> = {};
  const ready: TunnelSlot[] = [];
  const slots = new Map<number, TunnelSlot>();
  let rr = 0;
  let inFlight = 0;
  let up = 0;
  let failed = 0;
  let tunnelsUp = 0;
  let tunnelsDown = 0;
  let firstCallAt: number | undefined;
  let lastUpAt: number | undefined;
  let pumpQueued = false;
  let tunnelsOpened = 0;
  let tunnelsOpening = 0;
  const opening = new Set<number>();
  let finished = false;
  let finish: (r: SetupLoadResult) => void = () => {};
  const result = new Promise<SetupLoadResult>((r) => {
    finish = r;
  });
  const pingWaiters = new Map<number, (rtt: number | undefined) => void>();
  const key = (tunnelId: number, sessionId: number): number => tunnelId * 0x10000 + sessionId;

  const fail = (reason: string, k: number): void => {
    if (!startedAt.delete(k)) return;
    slots.get(Math.floor(k / 0x10000))?.pending.delete(k);
    failed++;
    inFlight--;
    failures[reason] = (failures[reason] ?? 0) + 1;
  };

  let driver: UdpDriver | undefined;
  const pump = (): void => {
    pumpQueued = false;
    if (finished) return;
    const now = monotonicNow();
    while (tunnelsOpened < o.tunnels && tunnelsOpening < (o.tunnelsAtOnce ?? 1)) {
      opening.add(engine.endpoint.openTunnel(o.server, now));
      tunnelsOpened++;
      tunnelsOpening++;
    }
    const perTunnel = o.perTunnel ?? 2;
    let idle = 0; // tunnels looked at in a row without placing a call
    while (inFlight < o.concurrency && ready.length > 0 && idle < ready.length) {
      rr %= ready.length;
      const slot = ready[rr]!;
      if (slot.pending.size >= perTunnel) {
        rr++;
        idle++;
        continue;
      }
      idle = 0;
      // The endpoint sends the ICRQ; session-up of L2TP then creates the PPP link in LacEngine.
      const sessionId = engine.endpoint.startSession(slot.tunnelId, now);
      const k = key(slot.tunnelId, sessionId);
      startedAt.set(k, now);
      slot.pending.add(k);
      firstCallAt ??= now;
      inFlight++;
      if (--slot.remaining === 0) ready.splice(rr, 1);
      else rr++;
    }
    driver?.flush();
    checkDone();
  };
  const schedulePump = (): void => {
    if (pumpQueued) return;
    pumpQueued = true;
    queueMicrotask(pump);
  };

  const cpu0 = process.cpuUsage();
  const t0 = monotonicNow();
  const report = (): SetupLoadResult => {
    const end = lastUpAt ?? monotonicNow();
    const window = firstCallAt === undefined ? 0 : end - firstCallAt;
    const cpu = process.cpuUsage(cpu0);
    return {
      requested,
      up,
      failed,
      pending: requested - up - failed,
      tunnelsUp,
      tunnelsDown,
      failures,
      elapsedMs: end - t0,
      setupWindowMs: window,
      sessionsPerSecond: window > 0 ? (up * 1000) / window : 0,
      latencyMs: percentiles(latencies),
      lacCpuMs: (cpu.user + cpu.system) / 1000,
      auth: authCount,
    };
  };
  const checkDone = (): void => {
    if (finished) return;
    const allPlaced = tunnelsUp + tunnelsDown >= o.tunnels && ready.length === 0;
    if (up + failed >= requested || (allPlaced && inFlight === 0)) {
      finished = true;
      clearTimeout(deadline);
      finish(report());
    }
  };

  const onEvent = (e: LacEvent): void => {
    switch (e.type) {
      case 'tunnel-up': {
        tunnelsUp++;
        if (opening.delete(e.tunnelId)) tunnelsOpening--;
        const slot: TunnelSlot = { tunnelId: e.tunnelId, remaining: o.sessionsPerTunnel, pending: new Set() };
        slots.set(e.tunnelId, slot);
        ready.push(slot);
        schedulePump();
        break;
      }
      case 'tunnel-down': {
        tunnelsDown++;
        if (opening.delete(e.tunnelId)) tunnelsOpening--;
        const slot = slots.get(e.tunnelId);
        if (slot !== undefined) {
          for (const k of [...slot.pending]) fail(`tunnel down (result ${e.resultCode})`, k);
          const i = ready.indexOf(slot);
          if (i >= 0) ready.splice(i, 1);
          if (!finished) failed += slot.remaining;
          if (slot.remaining > 0)
            failures['tunnel down before call'] = (failures['tunnel down before call'] ?? 0) + slot.remaining;
          slot.remaining = 0;
        } else if (!finished) {
          failed += o.sessionsPerTunnel;
          failures[`tunnel refused (result ${e.resultCode})`] =
            (failures[`tunnel refused (result ${e.resultCode})`] ?? 0) + o.sessionsPerTunnel;
        }
        schedulePump();
        break;
      }
      case 'session-up': {
        const k = key(e.tunnelId, e.sessionId);
        const at = startedAt.get(k);
        if (at === undefined) break;
        startedAt.delete(k);
        slots.get(e.tunnelId)?.pending.delete(k);
        const now = monotonicNow();
        latencies.push(now - at);
        lastUpAt = now;
        up++;
        inFlight--;
        if (e.auth !== undefined) authCount[e.auth] = (authCount[e.auth] ?? 0) + 1;
        schedulePump();
        break;
      }
      case 'auth-failed':
        fail(`auth failed: ${e.reason}`, key(e.tunnelId, e.sessionId));
        schedulePump();
        break;
      case 'session-down':
        fail(`session down: ${e.reason}`, key(e.tunnelId, e.sessionId));
        schedulePump();
        break;
      case 'ping-reply':
        pingWaiters.get(key(e.tunnelId, e.sessionId))?.(e.rttMs);
        break;
      default:
        break;
    }
  };

  const bind = (): Promise<UdpDriver> =>
    driveOverUdp(engine, {
      address: o.localAddress ?? '0.0.0.0',
      port: 0,
      transport: o.transport,
      onEvent,
    });
  driver = await (o.bindWith ? o.bindWith(bind) : bind());
  const d = driver;
  const deadline = setTimeout(() => {
    if (finished) return;
    finished = true;
    finish(report());
  }, o.durationMs);
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
        const k = key(s.handle.tunnelId, s.handle.sessionId);
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
      finished = true;
      engine.stop(monotonicNow());
      d.flush();
      const end = Date.now() + graceMs;
      while (Date.now() < end && [...engine.endpoint.tunnels()].some((t) => t.state !== 'closed')) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await d.close();
    },
  };
}

/** Formats a result as the lines `l2tp-ts bench` prints. */
export function formatSetupResult(r: SetupLoadResult, pingResult?: Awaited<ReturnType<SetupLoad['ping']>>): string {
  const f = (x: number): string => x.toFixed(1);
  const lines = [
    `sessions: ${r.up} up, ${r.failed} failed, ${r.pending} pending of ${r.requested} (tunnels ${r.tunnelsUp} up, ${r.tunnelsDown} down)`,
    `setup rate: ${f(r.sessionsPerSecond)} sessions/s (${r.up} in ${f(r.setupWindowMs)} ms; ${f(r.elapsedMs)} ms with tunnel setup)`,
    `setup latency ms: p50 ${f(r.latencyMs.p50)}  p90 ${f(r.latencyMs.p90)}  p99 ${f(r.latencyMs.p99)}  max ${f(r.latencyMs.max)}`,
    `load generator CPU: ${f(r.lacCpuMs)} ms (${r.up > 0 ? f((r.lacCpuMs * 1000) / r.up) : '-'} µs per session)`,
    `auth: ${
      Object.entries(r.auth)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '-'
    }`,
  ];
  for (const [reason, n] of Object.entries(r.failures)) lines.push(`failure: ${n} × ${reason}`);
  if (pingResult) {
    const p = pingResult.rttMs;
    lines.push(
      `ping: ${pingResult.ok} ok, ${pingResult.failed} failed; rtt ms p50 ${f(p.p50)}  p99 ${f(p.p99)}  max ${f(p.max)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Runs `l2tp-ts bench`; returns the exit code (1 when any session failed or was still pending). */
export async function runBench(argv: readonly string[], out = process.stdout): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.help) {
    out.write(BENCH_HELP);
    return 0;
  }
  if (a._.length > 0) throw new UsageError(`unexpected argument '${a._[0]}'`);
  if (a.server === undefined) throw new UsageError('--server is required');
  if (a.user === undefined) throw new UsageError('--user is required');
  const password = a.password ?? process.env.L2TP_TS_PASSWORD;
  if (password === undefined) throw new UsageError('--password (or L2TP_TS_PASSWORD) is required');
  const load = await startSetupLoad({
    server: parseHostPort(a.server, 1701),
    user: a.user,
    password,
    auth: a.auth as AuthMethodName | undefined,
    secret: a.secret,
    tunnels: a.tunnels ?? 10,
    tunnelsAtOnce: a['tunnels-at-once'],
    sessionsPerTunnel: a.sessions ?? 100,
    concurrency: a.concurrency ?? 200,
    perTunnel: a['per-tunnel'],
    durationMs: (a.duration ?? 60) * 1000,
    localAddress: a.bind,
  });
  let r: SetupLoadResult;
  let pinged: Awaited<ReturnType<SetupLoad['ping']>> | undefined;
  try {
    r = await load.result;
    if (a.ping) pinged = await load.ping();
  } finally {
    await load.close();
  }
  if (a.json) out.write(`${JSON.stringify({ ...r, ping: pinged })}\n`);
  else out.write(formatSetupResult(r, pinged));
  const ok = r.up === r.requested && (pinged === undefined || pinged.failed === 0);
  return ok ? 0 : 1;
}
