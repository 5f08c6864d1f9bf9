// Authentication throttling (issue 9): after repeated failures for one user name or from one peer
// address, further attempts are refused for a while. Pure and sans-IO: the LNS gives it `now`.
// Related: lns.ts (asks `blocked` in the lookup, reports failures), ../chap/chap-authenticator.ts
// (an unknown user costs the same work as a known one).
//
// Rules:
// - A failure is counted against the user name and against the peer address, each in a fixed
//   window of `windowMs` that starts at its first failure. The `maxFailures`-th failure inside the
//   window blocks that name or address for `blockMs`.
// - Refuse, not delay: while blocked, every attempt is answered exactly as a wrong password is
//   (the same hashes are computed, the same Failure/Nak is sent), even with the right password,
//   so a guesser learns nothing during the block. Delaying would hold sessions (state) open for
//   the attacker; refusing holds nothing.
// - Attempts refused during a block are not failures: they do not extend it, so the account of a
//   user under attack is usable again `blockMs` after the block started if the guessing stops.
// - The start of a block is reported once (a 'blocked' notice per name or address per period),
//   never once per attempt; refused attempts are only counted.
// - Bounded: at most `maxTracked` names and as many addresses (default 4096 each). An entry is
//   about 100 octets, so a flood of distinct names or addresses holds under 1 MiB; the oldest
//   entry (least recently failed) is evicted first. Evicting a blocked entry takes `maxTracked`
//   newer failures, each a full authentication exchange, which the per-address limit slows.

import type { Instant } from '../core/time.js';

/** Throttle settings; every field has a default. */
export interface AuthThrottleOptions {
  /** Failures inside the window that start a block (default 5; 0: throttling off). */
  readonly maxFailures?: number;
  /** The counting window (default 60 s). */
  readonly windowMs?: number;
  /** How long a name or address stays blocked (default 60 s). */
  readonly blockMs?: number;
  /** Names (and, separately, addresses) tracked at most (default 4096). */
  readonly maxTracked?: number;
}

/** A block that started: the LNS logs it once. */
export interface AuthBlockNotice {
  readonly kind: 'user' | 'address';
  readonly value: string;
  readonly failures: number;
  readonly until: Instant;
}

interface Entry {
  windowStart: Instant;
  failures: number;
  blockedUntil: Instant;
}

/** One table of failures (names or addresses), bounded, oldest evicted. */
class FailureTable {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.entries.size;
  }

  isBlocked(key: string, now: Instant): boolean {
    const e = this.entries.get(key);
    return e !== undefined && now < e.blockedUntil;
  }

  /** Counts one failure; returns the entry when this failure started a block. */
  fail(key: string, now: Instant, o: Required<AuthThrottleOptions>): Entry | undefined {
    let e = this.entries.get(key);
    if (e !== undefined) {
      // Re-inserted, so the Map's order is least recently failed first.
      this.entries.delete(key);
      if (now < e.blockedUntil) {
        this.entries.set(key, e);
        return undefined;
      }
      if (now >= e.windowStart + o.windowMs) e = { windowStart: now, failures: 0, blockedUntil: 0 };
    } else {
      e = { windowStart: now, failures: 0, blockedUntil: 0 };
      if (this.entries.size >= this.limit) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
    }
    this.entries.set(key, e);
    e.failures++;
    if (e.failures < o.maxFailures) return undefined;
    e.blockedUntil = now + o.blockMs;
    const started = { ...e };
    e.failures = 0;
    e.windowStart = now;
    return started;
  }
}

/** Failures per user name and per peer address, and the blocks they cause. */
export class AuthThrottle {
  private readonly o: Required<AuthThrottleOptions>;
  private readonly users: FailureTable;
  private readonly addresses: FailureTable;
  /** Attempts refused because their name or address was blocked. */
  refused = 0;

  constructor(opts: AuthThrottleOptions = {}) {
    this.o = {
      maxFailures: opts.maxFailures ?? 5,
      windowMs: opts.windowMs ?? 60_000,
      blockMs: opts.blockMs ?? 60_000,
      maxTracked: Math.max(1, opts.maxTracked ?? 4096),
    };
    this.users = new FailureTable(this.o.maxTracked);
    this.addresses = new FailureTable(this.o.maxTracked);
  }

  /** True when an attempt for `user` from `address` must be refused now (counted in `refused`). */
  blocked(user: string, address: string, now: Instant): boolean {
    if (this.o.maxFailures <= 0) return false;
    const b = this.users.isBlocked(user, now) || this.addresses.isBlocked(address, now);
    if (b) this.refused++;
    return b;
  }

  /** One failed authentication; the blocks it started (at most one per table). */
  noteFailure(user: string | undefined, address: string, now: Instant): AuthBlockNotice[] {
    if (this.o.maxFailures <= 0) return [];
    const notices: AuthBlockNotice[] = [];
    const a = this.addresses.fail(address, now, this.o);
    if (a !== undefined) notices.push({ kind: 'address', value: address, failures: a.failures, until: a.blockedUntil });
    if (user !== undefined) {
      const u = this.users.fail(user, now, this.o);
      if (u !== undefined) notices.push({ kind: 'user', value: user, failures: u.failures, until: u.blockedUntil });
    }
    return notices;
  }

  /** Entries tracked (for `ctl status`). */
  get tracked(): { users: number; addresses: number } {
    return { users: this.users.size, addresses: this.addresses.size };
  }
}
