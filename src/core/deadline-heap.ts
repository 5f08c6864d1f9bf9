// An indexed binary min-heap of deadlines keyed by owner, so that pollTimeout() is O(1) and every
// set/clear/pop O(log n) with thousands of tunnels or 100,000 sessions (STYLE.md B.2).
// Each key sits in the heap once (its position is in `index`), so a deadline that moves (an LCP
// echo re-armed every 5 s on every session) moves its entry instead of leaving a stale one behind,
// and no object is made per set: keys and deadlines live in two parallel arrays. The arrays shrink
// when the heap falls to a quarter of its high-water mark, so a burst does not keep its backing
// store for ever (issue 10).
import type { Instant } from './time.js';

/** Below this many entries the arrays are never shrunk (copying would cost more than it frees). */
const MIN_SHRINK = 64;

/** Earliest deadline among many owners; `set` replaces an owner's deadline. */
export class DeadlineHeap<K> {
  /** Position of each key in `keys`/`ats`. */
  private readonly index = new Map<K, number>();
  private keys: K[] = [];
  private ats: Instant[] = [];
  /** The largest size since the arrays were last copied. */
  private high = 0;

  /** Sets (undefined: clears) the deadline of `key`. */
  set(key: K, at: Instant | undefined): void {
    const i = this.index.get(key);
    if (at === undefined) {
      if (i !== undefined) this.removeAt(i);
      return;
    }
    if (i === undefined) {
      const n = this.keys.length;
      this.keys.push(key);
      this.ats.push(at);
      this.index.set(key, n);
      if (n + 1 > this.high) this.high = n + 1;
      this.up(n);
      return;
    }
    const old = this.ats[i]!;
    if (old === at) return;
    this.ats[i] = at;
    if (at < old) this.up(i);
    else this.down(i);
  }

  /** The earliest deadline. */
  peek(): Instant | undefined {
    return this.ats[0];
  }

  /** Removes and returns every key whose deadline is ≤ now, earliest first. */
  popDue(now: Instant): K[] {
    const due: K[] = [];
    while (this.keys.length > 0 && this.ats[0]! <= now) {
      due.push(this.keys[0]!);
      this.removeAt(0);
    }
    return due;
  }

  /** Number of owners with a deadline. */
  get size(): number {
    return this.keys.length;
  }

  private removeAt(i: number): void {
    const keys = this.keys;
    const ats = this.ats;
    this.index.delete(keys[i]!);
    const lastKey = keys.pop()!;
    const lastAt = ats.pop()!;
    if (i < keys.length) {
      keys[i] = lastKey;
      ats[i] = lastAt;
      this.index.set(lastKey, i);
      this.up(i);
      this.down(this.index.get(lastKey)!);
    }
    if (this.high > MIN_SHRINK && keys.length * 4 < this.high) {
      this.keys = keys.slice();
      this.ats = ats.slice();
      this.high = keys.length;
    }
  }

  /** Moves the entry at `i` towards the root while it is earlier than its parent. */
  private up(i: number): void {
    const keys = this.keys;
    const ats = this.ats;
    const key = keys[i]!;
    const at = ats[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (ats[parent]! <= at) break;
      this.place(i, keys[parent]!, ats[parent]!);
      i = parent;
    }
    this.place(i, key, at);
  }

  /** Moves the entry at `i` towards the leaves while a child is earlier. */
  private down(i: number): void {
    const keys = this.keys;
    const ats = this.ats;
    const n = keys.length;
    const key = keys[i]!;
    const at = ats[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && ats[r]! < ats[l]! ? r : l;
      if (ats[c]! >= at) break;
      this.place(i, keys[c]!, ats[c]!);
      i = c;
    }
    this.place(i, key, at);
  }

  private place(i: number, key: K, at: Instant): void {
    this.keys[i] = key;
    this.ats[i] = at;
    this.index.set(key, i);
  }
}
