// The LNS address pool (xl2tpd.conf `ip range`): hands each session a peer address for IPCP
// (RFC 1332 §3.3), lowest free address first, so runs are deterministic. The local ip is never
// handed out; chap-secrets static addresses are kept out of dynamic allocation.
// Related: config/settings.ts (poolRanges, localAddress), lns.ts (allocate on Network phase).
import { DeadlineHeap } from '../core/deadline-heap.js';
import { formatIpv4, parseIpv4 } from '../core/ipv4.js';
import { type Ipv4Range, parseIpv4Range } from './config/ipv4.js';
import type { LnsSettings } from './config/settings.js';

/** Options: addresses never handed out (`exclude`, the local ip) or only as a static address (`reserve`). */
export interface AddressPoolOptions {
  readonly exclude?: readonly string[];
  readonly reserve?: readonly string[];
}

/**
 * Peer addresses for sessions, keyed by session key. Deterministic: `allocate` always returns the
 * lowest free address of the ranges (not round-robin), so a seeded run gets the same addresses.
 */
export class AddressPool {
  private readonly ranges: { start: number; end: number }[];
  private readonly excluded = new Set<number>();
  private readonly reserved = new Set<number>();
  private readonly byKey = new Map<string, { address: number; user: string | undefined }>();
  private readonly byAddress = new Map<number, string>();
  private readonly users = new Map<string, number>();
  /** Released addresses below the cursor, smallest first. */
  private readonly freed = new DeadlineHeap<number>();
  /** Every address before (rangeIndex, next) has been handed out once. */
  private rangeIndex = 0;
  private next: number;
  private dynamicCount = 0;

  /** `ranges`: `a.b.c.d-a.b.c.e`, `a.b.c.d-e`, single addresses or {start,end}. Throws RangeError when malformed. */
  constructor(ranges: readonly (string | Ipv4Range)[], opts: AddressPoolOptions = {}) {
    const parsed = ranges.map((r) => {
      const p = parseIpv4Range(typeof r === 'string' ? r : `${r.start}-${r.end}`);
      if (typeof p === 'string') throw new RangeError(`address pool: ${p}`);
      return p;
    });
    parsed.sort((a, b) => a.start - b.start);
    this.ranges = [];
    for (const r of parsed) {
      const last = this.ranges[this.ranges.length - 1];
      if (last !== undefined && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
      else this.ranges.push({ ...r });
    }
    for (const a of opts.exclude ?? []) this.excluded.add(mustParse(a));
    for (const a of opts.reserve ?? []) this.reserved.add(mustParse(a));
    this.next = this.ranges[0]?.start ?? 0;
    this.count();
  }

  /** Addresses dynamic allocation can hand out. */
  get size(): number {
    return this.dynamicCount;
  }

  /**
   * Replaces the static reservations (chap-secrets reloaded on SIGHUP). An address that is no
   * longer reserved becomes dynamic; a newly reserved one is no longer handed out dynamically.
   * Sessions holding addresses keep them.
   */
  setReserved(addresses: readonly string[]): void {
    const fresh = new Set(addresses.map(mustParse));
    const freedNow = [...this.reserved].filter((a) => !fresh.has(a));
    this.reserved.clear();
    for (const a of fresh) this.reserved.add(a);
    for (const a of freedNow) {
      if (this.isDynamic(a) && this.beforeCursor(a) && !this.byAddress.has(a)) this.freed.set(a, a);
    }
    this.count();
  }

  private count(): void {
    let size = 0;
    for (const r of this.ranges) size += r.end - r.start + 1;
    for (const a of new Set([...this.excluded, ...this.reserved])) if (this.inRanges(a)) size--;
    this.dynamicCount = size;
  }

  /** The pool of `settings`: its ranges (none when `assign ip = no`), the local address excluded, static addresses reserved. */
  static fromSettings(settings: Pick<LnsSettings, 'poolRanges' | 'localAddress' | 'users' | 'assignIp'>): AddressPool {
    const reserve = staticAddresses(settings.users);
    return new AddressPool(settings.assignIp ? settings.poolRanges : [], { exclude: [settings.localAddress], reserve });
  }

  /** Sessions holding an address. */
  get inUse(): number {
    return this.byKey.size;
  }

  /**
   * An address for session `key`: its `staticAddress` when given (chap-secrets address column),
   * which may lie outside the ranges but never on an excluded address and only if free; otherwise
   * the lowest free address. Undefined when that address is taken or the pool is exhausted.
   * A key that already holds an address gets the same one back.
   */
  allocate(
    key: string,
    opts: { user?: string | undefined; staticAddress?: string | undefined } = {},
  ): string | undefined {
    const held = this.byKey.get(key);
    if (held !== undefined) return formatIpv4(held.address);
    let address: number | undefined;
    if (opts.staticAddress !== undefined) {
      const a = parseIpv4(opts.staticAddress);
      if (a === undefined || this.excluded.has(a) || this.byAddress.has(a)) return undefined;
      address = a;
    } else {
      address = this.lowestFree();
      if (address === undefined) return undefined;
    }
    this.byKey.set(key, { address, user: opts.user });
    this.byAddress.set(address, key);
    if (opts.user !== undefined) this.users.set(opts.user, (this.users.get(opts.user) ?? 0) + 1);
    return formatIpv4(address);
  }

  /** Frees the address of session `key`; returns it (undefined when the key held none). */
  release(key: string): string | undefined {
    const held = this.byKey.get(key);
    if (held === undefined) return undefined;
    this.byKey.delete(key);
    this.byAddress.delete(held.address);
    if (held.user !== undefined) {
      const n = (this.users.get(held.user) ?? 1) - 1;
      if (n === 0) this.users.delete(held.user);
      else this.users.set(held.user, n);
    }
    if (this.isDynamic(held.address) && this.beforeCursor(held.address)) this.freed.set(held.address, held.address);
    return formatIpv4(held.address);
  }

  /** The address session `key` holds. */
  addressOf(key: string): string | undefined {
    const held = this.byKey.get(key);
    return held === undefined ? undefined : formatIpv4(held.address);
  }

  /** The session key holding `address`. */
  keyOf(address: string): string | undefined {
    const a = parseIpv4(address);
    return a === undefined ? undefined : this.byAddress.get(a);
  }

  /** True when some session of `user` holds an address (for xl2tpd `exclusive`, enforced by the caller). */
  userInUse(user: string): boolean {
    return this.users.has(user);
  }

  private lowestFree(): number | undefined {
    // Released addresses below the cursor first (smallest first); a static allocation may have taken one since.
    for (let a = this.freed.peek(); a !== undefined; a = this.freed.peek()) {
      this.freed.set(a, undefined);
      if (!this.byAddress.has(a) && this.isDynamic(a)) return a;
    }
    while (this.rangeIndex < this.ranges.length) {
      const r = this.ranges[this.rangeIndex]!;
      if (this.next > r.end) {
        this.rangeIndex++;
        this.next = this.ranges[this.rangeIndex]?.start ?? 0;
        continue;
      }
      const a = this.next++;
      if (this.isDynamic(a) && !this.byAddress.has(a)) return a;
    }
    return undefined;
  }

  private isDynamic(a: number): boolean {
    return this.inRanges(a) && !this.excluded.has(a) && !this.reserved.has(a);
  }

  private beforeCursor(a: number): boolean {
    const r = this.ranges[this.rangeIndex];
    return r === undefined || a < this.next || a < r.start;
  }

  private inRanges(a: number): boolean {
    return this.ranges.some((r) => r.start <= a && a <= r.end);
  }
}

/** The chap-secrets static addresses of `users` (what the pool reserves). */
export function staticAddresses(users: LnsSettings['users']): string[] {
  return [...users.values()].flatMap((u) => (u.staticAddress === undefined ? [] : [u.staticAddress]));
}

function mustParse(address: string): number {
  const a = parseIpv4(address);
  if (a === undefined) throw new RangeError(`address pool: expected an IPv4 address, got "${address}"`);
  return a;
}
