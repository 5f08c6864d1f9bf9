// A lazy min-heap of deadlines keyed by owner, so that pollTimeout() stays O(1) amortized with
// thousands of tunnels or sessions (STYLE.md B.2). Stale entries are dropped when they surface.
import type { Instant } from './time.js';

/** Earliest deadline among many owners; `set` replaces an owner's deadline. */
export class DeadlineHeap<K> {
  private readonly current = new Map<K, Instant>();
  private heap: { at: Instant; key: K }[] = [];

  /** Sets (undefined: clears) the deadline of `key`. */
  set(key: K, at: Instant | undefined): void {
    if (at === undefined) {
      this.current.delete(key);
      return;
    }
    if (this.current.get(key) === at) return;
    this.current.set(key, at);
    this.push({ at, key });
    // Stale entries accumulate when deadlines move often; rebuild when they dominate.
    if (this.heap.length > 64 && this.heap.length > 4 * this.current.size) this.rebuild();
  }

  /** The earliest live deadline. */
  peek(): Instant | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns every key whose deadline is ≤ now. */
  popDue(now: Instant): K[] {
    const due: K[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (top === undefined || top.at > now) return due;
      this.pop();
      this.current.delete(top.key);
      due.push(top.key);
    }
  }

  /** Number of owners with a deadline. */
  get size(): number {
    return this.current.size;
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || this.current.get(top.key) === top.at) return;
      this.pop();
    }
  }

  private rebuild(): void {
    this.heap = [];
    for (const [key, at] of this.current) this.push({ at, key });
  }

  private push(e: { at: Instant; key: K }): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= e.at) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
