// What a finished authenticator leaves behind (issue 10: a session keeps no authenticator once
// authenticated): the outcome, and the one reply a repeated Response/Request is answered with
// (RFC 1994 §4.2, RFC 1334 §2.2.1). No timer, no lookup, no options.
// Related: chap-authenticator.ts and pap-authenticator.ts (their retire()), ../ppp/auth-phase.ts.
import type { Instant } from '../core/time.js';
import type { AuthEngine, AuthOutcome } from './types.js';

/** A retired authenticator: subclasses decode a repeat and call `answer` with the reply. */
export abstract class AuthReplay implements AuthEngine {
  abstract readonly protocol: number;
  abstract readonly lcpData: Uint8Array;
  private pending: Uint8Array | undefined;

  constructor(readonly outcome: AuthOutcome) {}

  abstract handlePacket(packet: Uint8Array, now: Instant): void;

  /** Queues `reply` (one at a time: a burst of repeats gets one answer per poll). */
  protected answer(reply: Uint8Array): void {
    this.pending = reply;
  }

  start(_now: Instant): void {}

  handleTimeout(_now: Instant): void {}

  pollPacket(): Uint8Array | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }

  pollTimeout(): Instant | undefined {
    return undefined;
  }
}
