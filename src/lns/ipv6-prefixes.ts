// The IPv6 pool of the LNS (JSON `ipv6Pool`, e.g. "2001:db8:100::/48"): one /64 per session, and
// the TUN → session lookup by a destination's /64. The first /64 of the pool is the LNS's own: its
// address is <pool>::1 (the shared TUN device carries it; the sessions reach the LNS there), so
// sessions get the /64s numbered 1, 2, … inside the pool, the lowest free one first.
// Bounds: the pool is a /32 to a /63 (the /64 number then fits 32 bits: a Map key, no allocation
// per lookup); the /64s handed out are bounded by the pool, and each is held by a live session.
// Related: lns.ts (route), ipv6-sessions.ts, ../core/ipv6.ts.
import { formatIpv6, parseIpv6, sameOctets } from '../core/ipv6.js';

/** Shortest pool prefix: a /32 holds 2^32 /64s, the most a 32-bit index can name. */
export const IPV6_POOL_MIN_LENGTH = 32;

/** A "2001:db8:100::/48" pool, checked: the network (host bits cleared) and length, or why not. */
export function parseIpv6Pool(text: string): { network: Uint8Array; length: number } | { error: string } {
  const [a, l] = text.split('/');
  const network = parseIpv6(a ?? '');
  const length = Number(l);
  if (network === undefined || l === undefined || !/^\d+$/.test(l)) return { error: `not an IPv6 prefix: ${text}` };
  if (length < IPV6_POOL_MIN_LENGTH || length > 63) {
    return {
      error: `IPv6 pool must be a /${IPV6_POOL_MIN_LENGTH} to a /63 (one /64 per session, the first the LNS's): ${text}`,
    };
  }
  return { network: maskTo(network, length), length };
}

function maskTo(a: Uint8Array, length: number): Uint8Array {
  const out = a.slice();
  for (let bit = length; bit < 128; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

/** One /64 per session out of a pool; `S` is the session (the LNS's PppSession). */
export class Ipv6Prefixes<S> {
  readonly network: Uint8Array;
  readonly length: number;
  /** /64s in the pool, the LNS's own included. */
  readonly size: number;
  /** The LNS's own address, <pool>::1. */
  readonly localAddress: Uint8Array;
  private readonly byIndex = new Map<number, S>();
  private readonly indexOf = new Map<S, number>();
  /** Released indexes below `next`, reused lowest first (kept sorted descending: pop() is the lowest). */
  private free: number[] = [];
  private next = 1;

  constructor(pool: string) {
    const p = parseIpv6Pool(pool);
    if ('error' in p) throw new RangeError(p.error);
    this.network = p.network;
    this.length = p.length;
    this.size = 2 ** (64 - p.length);
    this.localAddress = p.network.slice();
    this.localAddress[15] = 1;
  }

  /** /64s held by sessions. */
  get inUse(): number {
    return this.indexOf.size;
  }

  /** A /64 for `session` (its first 8 octets), the one it holds if any; undefined when none is left. */
  allocate(session: S): Uint8Array | undefined {
    let index = this.indexOf.get(session);
    if (index === undefined) {
      index = this.free.pop() ?? (this.next < this.size ? this.next++ : undefined);
      if (index === undefined) return undefined;
      this.byIndex.set(index, session);
      this.indexOf.set(session, index);
    }
    return this.prefixOf(index);
  }

  /** The /64 of `session` goes back to the pool. */
  release(session: S): void {
    const index = this.indexOf.get(session);
    if (index === undefined) return;
    this.indexOf.delete(session);
    this.byIndex.delete(index);
    this.free.push(index);
    this.free.sort((a, b) => b - a);
  }

  /** The session whose /64 holds the IPv6 address at b[at, at + 16). No allocation. */
  lookup(b: Uint8Array, at: number): S | undefined {
    if (this.byIndex.size === 0 || !this.inPool(b, at)) return undefined;
    return this.byIndex.get(this.indexAt(b, at));
  }

  /** "2001:db8:100:1::/64" for a prefix `allocate` returned. */
  static format(prefix: Uint8Array): string {
    const a = new Uint8Array(16);
    a.set(prefix.subarray(0, 8));
    return `${formatIpv6(a)}/64`;
  }

  private inPool(b: Uint8Array, at: number): boolean {
    const whole = this.length >> 3;
    if (!sameOctets(b, at, this.network, 0, whole)) return false;
    const bits = this.length & 7;
    if (bits === 0) return true;
    const mask = (0xff << (8 - bits)) & 0xff;
    return (b[at + whole]! & mask) === this.network[whole];
  }

  /** The /64's number inside the pool: bits length..63 of the address. */
  private indexAt(b: Uint8Array, at: number): number {
    let index = 0;
    for (let bit = this.length; bit < 64; bit++) {
      index = index * 2 + ((b[at + (bit >> 3)]! >> (7 - (bit & 7))) & 1);
    }
    return index;
  }

  private prefixOf(index: number): Uint8Array {
    const p = this.network.slice(0, 8);
    let x = index;
    for (let bit = 63; bit >= this.length; bit--) {
      if (x % 2 === 1) p[bit >> 3]! |= 0x80 >> (bit & 7);
      x = Math.floor(x / 2);
    }
    return p;
  }
}
