// The receive side of data message sequencing, RFC 2661 §5.4: one per session that receives data
// messages with the S bit. Sans-IO and allocation-free for packets that arrive in order.
// Related: ppp-over-l2tp.ts (its owner: both data paths), ../core/serial.ts (§5.8 arithmetic).
//
// Theory of operation. §3.1: Ns begins at zero and increments by one (mod 2^16) per data message
// sent; §5.4: the data channel is not reliable (nothing is retransmitted), sequence numbers "detect
// lost packets and/or restore the original sequence of packets that may have been reordered". So:
// - Ns equal to the one expected is delivered at once (no copy), then any held frame that is now
//   next in order is released;
// - Ns ahead of it (the §5.8 "greater than": within the following 32 767 values) is held: copied
//   into a small reorder buffer, waiting for the gap to fill;
// - Ns behind it is dropped: a `duplicate` when that Ns was delivered among the last 32 (a bitmap,
//   as IPsec's anti-replay window) or is already held, else `stale` (the gap it was in was skipped).
// The gap is given up on (skipped) when the buffer is full (capacity frames or maxHeldOctets), or
// when a held frame has waited reorderTimeoutMs (the owner calls expire() from its timer; Linux
// l2tp's `reorder_timeout`). Skipping moves the expected Ns to the earliest held frame, releasing
// the in-order run from there. A peer whose numbering restarted (against §5.4's "resume where it
// left off") would see every packet judged stale for up to 32 768 packets: after resyncAfter stale
// packets in a row the next is taken as the new start (Linux: nr_oos_count_max).
import { serialDiff } from '../core/serial.js';
import type { Instant } from '../core/time.js';

/**
 * Frames held per session (default 8). Memory per session, worst case: 8 frames (plus one in
 * transit while the buffer is made room for), each at most the datagram's size, and never more
 * than maxHeldOctets in all but that one frame; a reordering path rarely moves a datagram more
 * than a few places.
 */
export const DEFAULT_REORDER_CAPACITY = 8;
/** Octets held per session (default 16 KiB: 8 frames of an MRU of 2 KiB). */
export const DEFAULT_MAX_HELD_OCTETS = 16_384;
/**
 * How long a held frame waits for the gap before it is skipped (default 50 ms). A reordered
 * datagram normally arrives within a few ms of its successor; a lost one costs the ≤ 8 frames
 * behind it at most this much extra latency.
 */
export const DEFAULT_REORDER_TIMEOUT_MS = 50;
/** Stale packets in a row after which the peer's numbering is taken to have restarted (default 16). */
export const DEFAULT_RESYNC_AFTER = 16;

/** Limits of one DataSequencer (all defaulted). */
export interface DataSequencerOptions {
  readonly capacity?: number;
  readonly maxHeldOctets?: number;
  readonly reorderTimeoutMs?: number;
  readonly resyncAfter?: number;
}

/** What receive() decided about one Ns. Stable strings. */
export type SequenceVerdict = 'next' | 'held' | 'duplicate' | 'stale';

/** Ns values a duplicate is recognised among (behind the expected one). */
const RECENT_WINDOW = 32;

/** The receive sequencer of one session. */
export class DataSequencer {
  /** Ns values given up on (gaps skipped) since the session began. */
  skipped = 0;
  /** Times the numbering was taken to have restarted. */
  resyncs = 0;
  private expected = 0;
  /** Bit i set: Ns expected-1-i was delivered. */
  private recent = 0;
  private staleRun = 0;
  private heldCount = 0;
  private heldOctets = 0;
  private readonly slotNs: Int32Array;
  private readonly slotAt: Float64Array;
  private readonly slotFrame: (Uint8Array | undefined)[];
  private readonly capacity: number;
  private readonly maxHeldOctets: number;
  private readonly timeoutMs: number;
  private readonly resyncAfter: number;

  constructor(opts: DataSequencerOptions = {}) {
    this.capacity = Math.max(1, opts.capacity ?? DEFAULT_REORDER_CAPACITY);
    this.maxHeldOctets = Math.max(0, opts.maxHeldOctets ?? DEFAULT_MAX_HELD_OCTETS);
    this.timeoutMs = Math.max(0, opts.reorderTimeoutMs ?? DEFAULT_REORDER_TIMEOUT_MS);
    this.resyncAfter = Math.max(1, opts.resyncAfter ?? DEFAULT_RESYNC_AFTER);
    // One slot more than the capacity: the frame that arrives while the buffer is made room for.
    this.slotNs = new Int32Array(this.capacity + 1).fill(-1);
    this.slotAt = new Float64Array(this.capacity + 1);
    this.slotFrame = new Array<Uint8Array | undefined>(this.capacity + 1).fill(undefined);
  }

  /** The Ns expected next. */
  get expectedNs(): number {
    return this.expected;
  }

  /** Frames held now. */
  get held(): number {
    return this.heldCount;
  }

  /** When the oldest held frame has waited long enough (undefined: nothing held). */
  get deadline(): Instant | undefined {
    if (this.heldCount === 0) return undefined;
    let at = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.slotNs.length; i++) if (this.slotNs[i]! >= 0) at = Math.min(at, this.slotAt[i]!);
    return at + this.timeoutMs;
  }

  /**
   * A data message with `ns` arrived carrying `frame`. 'next': deliver `frame` now (it is not
   * copied), then drain pollReleased(). 'held': a copy was kept; drain pollReleased() (making room
   * may have released earlier frames). 'duplicate' / 'stale': drop it.
   */
  receive(ns: number, frame: Uint8Array, now: Instant): SequenceVerdict {
    const d = serialDiff(ns, this.expected);
    if (d === 0) {
      // Held already (the caller has not drained pollReleased yet): this copy is the duplicate.
      if (this.slotOf(ns) >= 0) return 'duplicate';
      this.accept(ns);
      return 'next';
    }
    if (d < 0) {
      const behind = -d;
      if (behind <= RECENT_WINDOW && ((this.recent >>> (behind - 1)) & 1) === 1) return 'duplicate';
      if (++this.staleRun < this.resyncAfter) return 'stale';
      // The peer's numbering restarted: what is held belongs to the old numbering.
      this.resyncs++;
      this.clearHeld();
      this.expected = ns;
      this.recent = 0;
      this.accept(ns);
      return 'next';
    }
    if (this.slotOf(ns) >= 0) return 'duplicate';
    if (this.heldCount < this.capacity && this.heldOctets + frame.length <= this.maxHeldOctets) {
      this.hold(ns, frame, now);
      return 'held';
    }
    // Full: skip the gap, to this frame or to the earliest held one, whichever comes first.
    const earliest = this.earliestHeld();
    if (earliest < 0 || serialDiff(ns, earliest) < 0) {
      this.skipTo(ns);
      this.accept(ns);
      return 'next';
    }
    this.skipTo(earliest);
    this.hold(ns, frame, now);
    return 'held';
  }

  /** The next held frame that is now in order (the caller owns it), or undefined. */
  pollReleased(): Uint8Array | undefined {
    if (this.heldCount === 0) return undefined;
    const i = this.slotOf(this.expected);
    if (i < 0) return undefined;
    const frame = this.slotFrame[i]!;
    this.free(i);
    this.accept(this.expected);
    return frame;
  }

  /**
   * The reorder timeout: when a held frame has waited reorderTimeoutMs at `now`, skips the gap to
   * the earliest held frame and returns true (drain pollReleased(), then call again).
   */
  expire(now: Instant): boolean {
    const deadline = this.deadline;
    if (deadline === undefined || deadline > now) return false;
    const earliest = this.earliestHeld();
    // Every held Ns is ahead of the expected one; should one not be, free it so that the
    // caller's loop always makes progress.
    if (serialDiff(earliest, this.expected) < 0) this.free(this.slotNs.indexOf(earliest));
    else this.skipTo(earliest);
    return true;
  }

  private accept(ns: number): void {
    this.recent = (this.recent << 1) | 1;
    this.expected = (ns + 1) & 0xffff;
    this.staleRun = 0;
  }

  /** Gives up on every Ns before `ns` (ahead of the expected one). */
  private skipTo(ns: number): void {
    const gap = serialDiff(ns, this.expected);
    if (gap <= 0) return;
    this.skipped += gap;
    this.recent = gap >= RECENT_WINDOW ? 0 : this.recent << gap;
    this.expected = ns;
  }

  private hold(ns: number, frame: Uint8Array, now: Instant): void {
    const i = this.slotNs.indexOf(-1);
    this.slotNs[i] = ns;
    this.slotAt[i] = now;
    this.slotFrame[i] = frame.slice();
    this.heldCount++;
    this.heldOctets += frame.length;
  }

  private free(i: number): void {
    this.heldOctets -= this.slotFrame[i]!.length;
    this.heldCount--;
    this.slotNs[i] = -1;
    this.slotFrame[i] = undefined;
  }

  private clearHeld(): void {
    for (let i = 0; i < this.slotNs.length; i++) if (this.slotNs[i]! >= 0) this.free(i);
  }

  private slotOf(ns: number): number {
    if (this.heldCount === 0) return -1;
    return this.slotNs.indexOf(ns);
  }

  /** The held Ns nearest ahead of the expected one, or -1. */
  private earliestHeld(): number {
    let best = -1;
    let bestDiff = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.slotNs.length; i++) {
      const ns = this.slotNs[i]!;
      if (ns < 0) continue;
      const d = serialDiff(ns, this.expected);
      if (d < bestDiff) {
        bestDiff = d;
        best = ns;
      }
    }
    return best;
  }
}
