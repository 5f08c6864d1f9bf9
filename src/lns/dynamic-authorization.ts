// Which sessions a Dynamic Authorization request selects (RFC 5176 §3: "session identification
// attributes"), and what a CoA does to a session's limits. Pure. Related: ../radius/dae-server.ts
// (the checks before this), lns.ts (dynamicAuthorization acts on the result), docs/RADIUS.md.
import type { SessionSelector } from '../radius/dae-server.js';

/** What a session is known by, as RADIUS named it in its Access-Request and accounting. */
export interface SessionFacts {
  readonly userName?: string;
  readonly acctSessionId?: string;
  readonly framedIpAddress?: string;
  readonly callingStationId?: string;
  /** NAS-Port: the local L2TP Session ID. */
  readonly nasPort: number;
}

/**
 * True when the session matches every field of the selector. An empty selector selects nothing
 * (the server refuses one before it gets here; this is the second lock on "disconnect everyone").
 */
export function selects(sel: SessionSelector, f: SessionFacts): boolean {
  let fields = 0;
  for (const k of ['userName', 'acctSessionId', 'framedIpAddress', 'callingStationId', 'nasPort'] as const) {
    const want = sel[k];
    if (want === undefined) continue;
    fields++;
    if (f[k] !== want) return false;
  }
  return fields > 0;
}

/**
 * A CoA's Session-Timeout as the session's maxconnect, s: counted from now (accel-ppp's reading:
 * "this much longer"), i.e. the time the session has been up plus the new value; before IPCP is up,
 * the value itself. 0 removes the session's own limit (the LNS's `maxconnect` applies again).
 */
export function coaSessionTimeoutS(valueS: number, upForS: number | undefined): number {
  if (valueS === 0) return 0;
  return upForS === undefined ? valueS : Math.ceil(upForS) + valueS;
}
