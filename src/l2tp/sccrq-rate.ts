// The per-source SCCRQ rate limit: a count-min sketch of fixed size over one-second windows, so a
// new source costs O(1) and no memory, and no number of sources can fill it (issue 9 Deliver 3).
// Related: endpoint.ts (asks it before holding state for an SCCRQ).
//
// Theory of operation. ROWS rows of WIDTH counters; each row hashes the source address with its own
// key (drawn from the endpoint's Random, so a remote sender cannot aim its sources at one counter).
// A source's estimate is the smallest of its ROWS counters; it is refused when that reaches the
// limit. Counters carry the window (second) they count for and restart lazily, so there is no
// sweep. A count-min estimate is never below the true count: a source over the limit is always
// refused. A legitimate source is refused only if every one of its counters was pushed to the
// limit by others: with N other sources each sending once in a second, a counter expects N/WIDTH
// hits, so 10,000 spoofed sources give ~2.4 per counter against a limit of 50 per second.
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';

/** Counters per row: 4,096 × 2 rows × 8 octets = 64 KiB, whatever the number of sources. */
const WIDTH = 4096;
const ROWS = 2;
const WINDOW_MS = 1000;

/** Fixed-size, O(1)-per-datagram "at most `limit` SCCRQs per second from one address". */
export class SccrqRateLimit {
  private readonly counts = new Uint32Array(WIDTH * ROWS);
  /** The window each counter counts for (window number + 1; 0 = never used). */
  private readonly windows = new Float64Array(WIDTH * ROWS);
  private readonly keys: Uint32Array;

  constructor(
    private readonly limit: number,
    random: Random,
  ) {
    this.keys = Uint32Array.from({ length: ROWS }, () => random.int(1, 0xffff) * 0x10000 + random.int(0, 0xffff));
  }

  /** Counts one SCCRQ from `address` at `now`; false when that address is over its limit this second. */
  allow(address: string, now: Instant): boolean {
    const window = Math.floor(now / WINDOW_MS) + 1;
    let least = Number.POSITIVE_INFINITY;
    for (let r = 0; r < ROWS; r++) {
      const i = r * WIDTH + (hash(address, this.keys[r]!) % WIDTH);
      if (this.windows[i] !== window) {
        this.windows[i] = window;
        this.counts[i] = 0;
      }
      least = Math.min(least, this.counts[i]!);
    }
    if (least >= this.limit) return false;
    // Conservative update: raise only the counters at the minimum (tighter estimates for others).
    for (let r = 0; r < ROWS; r++) {
      const i = r * WIDTH + (hash(address, this.keys[r]!) % WIDTH);
      if (this.counts[i] === least) this.counts[i] = least + 1;
    }
    return true;
  }
}

/** FNV-1a over the address text, seeded with `key` (an address is at most 45 characters). */
function hash(text: string, key: number): number {
  let h = (0x811c9dc5 ^ key) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32) so the low bits used for the index depend on every character.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
