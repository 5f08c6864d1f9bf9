// Deadlines as data (after quinn-proto connection/timer.rs): engines set and stop them,
// the driver arms one OS timer for `next()`.
import type { Instant } from './time.js';

/** Named deadlines of one engine. */
export class TimerTable<Kind extends string> {
  private readonly deadlines = new Map<Kind, Instant>();

  /** Sets (or moves) the deadline of `kind`; undefined stops it (so a part's own poll can be copied in). */
  set(kind: Kind, at: Instant | undefined): void {
    if (at === undefined) this.deadlines.delete(kind);
    else this.deadlines.set(kind, at);
  }

  /** Cancels `kind`. */
  stop(kind: Kind): void {
    this.deadlines.delete(kind);
  }

  /** The deadline of `kind`, if armed. */
  get(kind: Kind): Instant | undefined {
    return this.deadlines.get(kind);
  }

  /** True once when `kind` is due at `now`; the deadline is then cleared. */
  fire(kind: Kind, now: Instant): boolean {
    const at = this.deadlines.get(kind);
    if (at === undefined || at > now) return false;
    this.deadlines.delete(kind);
    return true;
  }

  /** The earliest armed deadline. */
  next(): Instant | undefined {
    let min: Instant | undefined;
    for (const at of this.deadlines.values()) if (min === undefined || at < min) min = at;
    return min;
  }

  /** Cancels everything. */
  clear(): void {
    this.deadlines.clear();
  }
}
