// The per-second view of a setup-load run (`l2tp-ts bench`, issue 14 item 1, issue 10 item 5):
// from the times calls came up or failed, one sample per second of sessions up / pending / failed
// and the sessions that came up in that second (CPS), and CPS min/avg/max the way BNG Blaster
// reports it. Pure: the times are the driver's clock readings (src/io/setup-load.ts hands `now`
// to the scheduler, which records them); nothing here reads a clock.
//
// Rules:
// 1. Second t (t = 1, 2, …) covers the interval (startedAt + (t−1) s, startedAt + t s]; an event at
//    startedAt itself counts in second 1. A sample holds the counters at the end of its second.
// 2. The run ends at `endedAt` (or at the last event, if that is later). When the run is not a
//    whole number of seconds, the last sample covers the partial second: its `t` is the elapsed
//    time in seconds (not an integer) and its `cps` the sessions that came up in that fraction,
//    not scaled to a second. A run of no time at all has one sample, t = 0.
// 3. `cps` min/avg/max are over the full seconds only: a partial last second would read as a dip.
//    A run shorter than one second has no full second; then min = avg = max = up ÷ elapsed seconds
//    (the rate of that one partial second), or 0 when nothing came up.
// 4. pending = requested − up − failed (neither up nor failed yet), as in SetupLoadResult.
import type { Instant } from '../core/time.js';

/** The counters at the end of one second of the run (rule 1). */
export interface SetupSample {
  /** Seconds since the run started; not an integer only for a partial last second (rule 2). */
  readonly t: number;
  readonly up: number;
  readonly pending: number;
  readonly failed: number;
  /** Sessions that came up in this second. */
  readonly cps: number;
}

/** Sessions up per second over the full seconds of the run (rule 3). */
export interface CpsSummary {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

/** What happened when, as recorded by the scheduler. */
export interface SetupEvents {
  readonly requested: number;
  readonly startedAt: Instant;
  readonly endedAt: Instant;
  /** When each session came up (any order). */
  readonly upAt: readonly Instant[];
  /** When sessions failed: each entry one session, or `failedCount[i]` of them. */
  readonly failedAt: readonly Instant[];
  /**
   * How many failed at `failedAt[i]` (default 1 each): a refused tunnel fails all its calls at one
   * time, up to 65,535 of them, which a list of one time per session would hold for nothing.
   */
  readonly failedCount?: readonly number[];
}

/** The samples and the CPS summary of one run (rules 1–4). */
export function setupSamples(e: SetupEvents): { samples: SetupSample[]; cps: CpsSummary } {
  let end = e.endedAt;
  for (const at of e.upAt) if (at > end) end = at;
  for (const at of e.failedAt) if (at > end) end = at;
  const elapsedMs = Math.max(0, end - e.startedAt);
  const full = Math.floor(elapsedMs / 1000);
  // At least one sample, so that the last one always holds the final counters.
  const seconds = elapsedMs > full * 1000 || full === 0 ? full + 1 : full;
  const ups = new Array<number>(seconds).fill(0);
  const fails = new Array<number>(seconds).fill(0);
  const second = (at: Instant): number => Math.min(seconds - 1, Math.max(0, Math.ceil((at - e.startedAt) / 1000) - 1));
  for (const at of e.upAt) ups[second(at)]!++;
  e.failedAt.forEach((at, i) => {
    fails[second(at)]! += e.failedCount?.[i] ?? 1;
  });

  const samples: SetupSample[] = [];
  let up = 0;
  let failed = 0;
  for (let i = 0; i < seconds; i++) {
    up += ups[i]!;
    failed += fails[i]!;
    // A partial last second: its t is the elapsed time, to the ms (rule 2).
    const t = i < full ? i + 1 : Math.round(elapsedMs) / 1000;
    samples.push({ t, up, pending: Math.max(0, e.requested - up - failed), failed, cps: ups[i]! });
  }

  if (full === 0) {
    const rate = e.upAt.length === 0 || elapsedMs === 0 ? 0 : (e.upAt.length * 1000) / elapsedMs;
    return { samples, cps: { min: rate, avg: rate, max: rate } };
  }
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < full; i++) {
    const c = ups[i]!;
    if (c < min) min = c;
    if (c > max) max = c;
    sum += c;
  }
  return { samples, cps: { min, avg: sum / full, max } };
}
