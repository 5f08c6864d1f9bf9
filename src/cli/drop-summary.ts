// Dropped datagrams as one summary line per period instead of one line each: a peer that sprays
// garbage at udp/1701 must not be able to turn each datagram into a log write (disk, journald,
// CPU). Counting is O(1) per drop; the table holds one entry per reason (a short, fixed set of
// engine strings), never per source. Related: lns.ts (the LNS command), src/l2tp/endpoint.ts.

/** Counts drops by reason and how many distinct sources (up to a bound) sent them. */
export class DropSummary {
  private byReason = new Map<string, number>();
  private sources = new Set<string>();
  private total = 0;

  /** At most this many distinct sources are remembered per period (the count stops there). */
  static readonly MAX_SOURCES = 1024;

  add(reason: string, source: string): void {
    this.total++;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    if (this.sources.size < DropSummary.MAX_SOURCES) this.sources.add(source);
  }

  /** The period's counts, and a fresh period; undefined when nothing was dropped. */
  take(): { total: number; byReason: Record<string, number>; sources: number; sourcesCapped: boolean } | undefined {
    if (this.total === 0) return undefined;
    const out = {
      total: this.total,
      byReason: Object.fromEntries([...this.byReason].sort((a, b) => b[1] - a[1])),
      sources: this.sources.size,
      sourcesCapped: this.sources.size >= DropSummary.MAX_SOURCES,
    };
    this.byReason = new Map();
    this.sources = new Set();
    this.total = 0;
    return out;
  }
}
