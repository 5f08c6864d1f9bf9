// The setup-load scheduler of `l2tp-ts bench`: which tunnel to open and which call to place next
// when T tunnels × N sessions are to come up against an LNS, and what the run measured. Sans-IO:
// it is handed `now` and the LacEngine's events and calls back into the engine through `LoadPort`;
// src/io/setup-load.ts is its driver (socket, deadline timer, CPU clock, ping).
//
// Rules:
// 1. At most `tunnelsAtOnce` tunnels are opening at once (default 1: l2tpns 2.4.1 matches an SCCRQ
//    to a tunnel still opening by the peer's address and port and drops it as a duplicate).
// 2. Calls go round-robin over the tunnels that are up, at most `concurrency` in setup over all
//    tunnels and at most `perTunnel` in one tunnel (default: no per-tunnel bound. A call's PPP
//    starts only once its ICCN is on the wire (l2tp/tunnel.ts), so ICCNs waiting for window space
//    no longer make an LNS drop LCP; `--per-tunnel 2` was the workaround before, issue 10 item 1).
// 3. A call is in setup from its ICRQ to session-up (latency sample), auth-failed, session-down or
//    its tunnel going down (failures, counted by reason). A tunnel refused or lost before its calls
//    were placed fails them all. A tunnel redirected to the next LNS (StopCCN 2/7, LacEngine
//    failover) is still the same tunnel opening under its new ID.
// 4. The run is finished when every call is up or failed, when every tunnel has come up or gone
//    down with nothing left to place or in setup, or at `startedAt + durationMs` (the rest pending).
import type { Instant } from '../core/time.js';
import type { LacEvent } from './lac.js';
import { type CpsSummary, type SetupSample, setupSamples } from './setup-samples.js';

/** Percentiles of a sample, in ms. */
export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Percentiles of `values` (ms), nearest-rank. */
export function percentiles(values: readonly number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const at = (q: number): number => (n === 0 ? 0 : s[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
  const sum = s.reduce((a, b) => a + b, 0);
  return { n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: n === 0 ? 0 : s[n - 1]!, mean: n === 0 ? 0 : sum / n };
}

/** How much load, and how fast (rules 1 and 2). */
export interface LoadPlan {
  readonly tunnels: number;
  readonly sessionsPerTunnel: number;
  /** Calls in setup at once over all tunnels. */
  readonly concurrency: number;
  /** Calls in setup at once per tunnel (default unbounded: only `concurrency`, rule 2). */
  readonly perTunnel?: number;
  /** Tunnels being opened at once (default 1, rule 1). */
  readonly tunnelsAtOnce?: number;
  /** Setup phase bound: calls not up by then count as pending (rule 4). */
  readonly durationMs: number;
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
  /** Per second since the start (./setup-samples.ts): sessions up / pending / failed, and up in that second. */
  readonly samples: readonly SetupSample[];
  /** Sessions up per second over the full seconds of `samples` (./setup-samples.ts rule 3). */
  readonly cps: CpsSummary;
  /** Control messages the LAC retransmitted (every tunnel, during the setup phase; the driver counts them). */
  readonly controlRetransmissions: number;
}

/** What the scheduler asks of the LAC: open a tunnel, place a call (both return the new local ID). */
export interface LoadPort {
  openTunnel(now: Instant): number;
  startSession(tunnelId: number, now: Instant): number;
}

interface TunnelSlot {
  readonly tunnelId: number;
  /** Calls still to place. */
  remaining: number;
  /** Calls placed and not yet up or failed: session ID → ICRQ time. */
  readonly pending: Map<number, Instant>;
}

/** Places the calls of one load run (see the rules above) and keeps its counters. */
export class SetupLoadScheduler {
  /** Set once the run is over (rule 4, or `finish()`); nothing more is placed. */
  finished = false;
  private readonly requested: number;
  private readonly latencies: number[] = [];
  /** When each call came up or failed (the per-second samples). */
  private readonly upAt: Instant[] = [];
  private readonly failedAt: Instant[] = [];
  private readonly failedCount: number[] = [];
  private readonly failures: Record<string, number> = {};
  private readonly authCount: Record<string, number> = {};
  /** Tunnels up with calls still to place, in round-robin order. */
  private readonly ready: TunnelSlot[] = [];
  private readonly slots = new Map<number, TunnelSlot>();
  private readonly opening = new Set<number>();
  private rr = 0;
  private inFlight = 0;
  private up = 0;
  private failed = 0;
  private tunnelsUp = 0;
  private tunnelsDown = 0;
  private tunnelsOpened = 0;
  private firstCallAt: Instant | undefined;
  private lastUpAt: Instant | undefined;

  constructor(
    private readonly port: LoadPort,
    private readonly plan: LoadPlan,
    private readonly startedAt: Instant,
  ) {
    this.requested = plan.tunnels * plan.sessionsPerTunnel;
  }

  /** When the setup phase ends at the latest (rule 4). */
  get deadline(): Instant {
    return this.startedAt + this.plan.durationMs;
  }

  /**
   * Opens tunnels and places calls as far as rules 1 and 2 allow, then checks rule 4. Call it at
   * the start and soon after every event for which `handleEvent` returned true, outside the
   * engine's event delivery (it calls back into the engine).
   */
  pump(now: Instant): void {
    if (this.finished) return;
    const p = this.plan;
    while (this.tunnelsOpened < p.tunnels && this.opening.size < (p.tunnelsAtOnce ?? 1)) {
      this.opening.add(this.port.openTunnel(now));
      this.tunnelsOpened++;
    }
    const perTunnel = p.perTunnel ?? Number.POSITIVE_INFINITY;
    const ready = this.ready;
    let idle = 0; // tunnels looked at in a row without placing a call
    while (this.inFlight < p.concurrency && ready.length > 0 && idle < ready.length) {
      this.rr %= ready.length;
      const slot = ready[this.rr]!;
      if (slot.pending.size >= perTunnel) {
        this.rr++;
        idle++;
        continue;
      }
      idle = 0;
      // The endpoint sends the ICRQ; session-up of L2TP then creates the PPP link in LacEngine.
      slot.pending.set(this.port.startSession(slot.tunnelId, now), now);
      this.firstCallAt ??= now;
      this.inFlight++;
      if (--slot.remaining === 0) ready.splice(this.rr, 1);
      else this.rr++;
    }
    const allPlaced = this.tunnelsUp + this.tunnelsDown >= p.tunnels && ready.length === 0;
    if (this.up + this.failed >= this.requested || (allPlaced && this.inFlight === 0)) this.finished = true;
  }

  /** Ends the setup phase at the deadline (rule 4); true if this call ended it. */
  handleTimeout(now: Instant): boolean {
    if (this.finished || now < this.deadline) return false;
    this.finished = true;
    return true;
  }

  /** Ends the run early (the caller is closing); nothing more is placed. */
  finish(): void {
    this.finished = true;
  }

  /** Counts one LacEvent; true when it may let `pump` place more (call it soon). */
  handleEvent(e: LacEvent, now: Instant): boolean {
    switch (e.type) {
      case 'tunnel-up': {
        this.tunnelsUp++;
        this.opening.delete(e.tunnelId);
        const slot: TunnelSlot = { tunnelId: e.tunnelId, remaining: this.plan.sessionsPerTunnel, pending: new Map() };
        this.slots.set(e.tunnelId, slot);
        this.ready.push(slot);
        return true;
      }
      case 'tunnel-redirected':
        if (this.opening.delete(e.tunnelId)) this.opening.add(e.newTunnelId);
        return false;
      case 'tunnel-down': {
        this.tunnelsDown++;
        this.opening.delete(e.tunnelId);
        const slot = this.slots.get(e.tunnelId);
        if (slot !== undefined) {
          for (const sessionId of [...slot.pending.keys()]) {
            this.fail(`tunnel down (result ${e.resultCode})`, e.tunnelId, sessionId, now);
          }
          const i = this.ready.indexOf(slot);
          if (i >= 0) this.ready.splice(i, 1);
          if (!this.finished) this.failMany(slot.remaining, now);
          if (slot.remaining > 0) this.count('tunnel down before call', slot.remaining);
          slot.remaining = 0;
        } else if (!this.finished) {
          this.failMany(this.plan.sessionsPerTunnel, now);
          this.count(`tunnel refused (result ${e.resultCode})`, this.plan.sessionsPerTunnel);
        }
        return true;
      }
      case 'session-up': {
        const slot = this.slots.get(e.tunnelId);
        const at = slot?.pending.get(e.sessionId);
        if (slot === undefined || at === undefined) return false;
        slot.pending.delete(e.sessionId);
        this.latencies.push(now - at);
        this.upAt.push(now);
        this.lastUpAt = now;
        this.up++;
        this.inFlight--;
        if (e.auth !== undefined) this.authCount[e.auth] = (this.authCount[e.auth] ?? 0) + 1;
        return true;
      }
      case 'auth-failed':
        this.fail(`auth failed: ${e.reason}`, e.tunnelId, e.sessionId, now);
        return true;
      case 'session-down':
        this.fail(`session down: ${e.reason}`, e.tunnelId, e.sessionId, now);
        return true;
      default:
        return false;
    }
  }

  /**
   * The counters so far, the setup phase taken to end at `now`; `lacCpuMs` and
   * `controlRetransmissions` are the driver's measurements of this process and its LacEngine.
   */
  report(now: Instant, lacCpuMs: number, controlRetransmissions = 0): SetupLoadResult {
    const end = this.lastUpAt ?? now;
    const window = this.firstCallAt === undefined ? 0 : end - this.firstCallAt;
    const timeline = setupSamples({
      requested: this.requested,
      startedAt: this.startedAt,
      endedAt: now,
      upAt: this.upAt,
      failedAt: this.failedAt,
      failedCount: this.failedCount,
    });
    return {
      requested: this.requested,
      up: this.up,
      failed: this.failed,
      pending: this.requested - this.up - this.failed,
      tunnelsUp: this.tunnelsUp,
      tunnelsDown: this.tunnelsDown,
      failures: this.failures,
      elapsedMs: end - this.startedAt,
      setupWindowMs: window,
      sessionsPerSecond: window > 0 ? (this.up * 1000) / window : 0,
      latencyMs: percentiles(this.latencies),
      lacCpuMs,
      auth: this.authCount,
      samples: timeline.samples,
      cps: timeline.cps,
      controlRetransmissions,
    };
  }

  private fail(reason: string, tunnelId: number, sessionId: number, now: Instant): void {
    if (this.slots.get(tunnelId)?.pending.delete(sessionId) !== true) return;
    this.failMany(1, now);
    this.inFlight--;
    this.count(reason, 1);
  }

  private failMany(n: number, now: Instant): void {
    if (n === 0) return;
    this.failed += n;
    this.failedAt.push(now);
    this.failedCount.push(n);
  }

  private count(reason: string, n: number): void {
    this.failures[reason] = (this.failures[reason] ?? 0) + n;
  }
}
