// The prefixes routed to sessions beside their own addresses (RADIUS Framed-Route, RFC 2865
// §5.22): the LNS's TUN → session lookup when a destination is not a session's own address.
// Longest prefix wins; among equal prefixes the session that came up first keeps it (a second
// session granted the same prefix gets none of its traffic until the first goes).
// O(prefixes) per lookup, and only for destinations that miss the /32 table; Framed-Route grants a
// handful per session at most, and the kernel routes only granted prefixes into the TUN device.
// Related: lns.ts (route), ../session/ppp-over-l2tp.ts (the same prefixes as allowed sources).
import type { Ipv4Prefix } from '../session/ppp-over-l2tp.js';

interface Entry<S> {
  readonly network: number;
  readonly mask: number;
  readonly length: number;
  readonly session: S;
}

function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** Prefix → session, longest match first. */
export class RoutedPrefixes<S> {
  /** Longest prefix first; stable for equal lengths (the earlier grant first). */
  private entries: Entry<S>[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** Routes `prefixes` to `session`. */
  add(session: S, prefixes: readonly Ipv4Prefix[]): void {
    if (prefixes.length === 0) return;
    for (const p of prefixes) {
      const mask = maskOf(p.length);
      this.entries.push({ network: (p.address & mask) >>> 0, mask, length: p.length, session });
    }
    this.entries.sort((a, b) => b.length - a.length);
  }

  /** Forgets every prefix of `session`. */
  remove(session: S): void {
    if (this.entries.length === 0) return;
    this.entries = this.entries.filter((e) => e.session !== session);
  }

  /** The session whose prefix holds `address` (a number), longest prefix first. */
  lookup(address: number): S | undefined {
    for (const e of this.entries) if ((address & e.mask) >>> 0 === e.network) return e.session;
    return undefined;
  }
}
