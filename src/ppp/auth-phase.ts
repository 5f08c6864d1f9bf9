// The Authenticate phase of one link (RFC 1661 §3.5): the authenticator and peer engines LCP
// agreed on, the phase's time limit, the repeated answer of RFC 1994 §4.1, and the one outcome.
// Related: link.ts (the phases), ../core/auth-engine.ts (the engine interface), ../chap/methods.ts.
import type { AuthEngine, AuthOffer, AuthVerdict, AuthVerifyRequest } from '../core/auth-engine.js';
import { Fifo } from '../core/fifo.js';
import type { Instant } from '../core/time.js';
import { PppProtocol } from './wire/protocol-numbers.js';

/** One packet an engine wants sent: the Information field under `protocol`. */
export interface AuthPacket {
  readonly protocol: number;
  readonly info: Uint8Array;
}

/** How the phase ended: both sides done, or the first failure. Reported once. */
export type AuthResult =
  | { readonly ok: true; readonly user: string; readonly label: string }
  | { readonly ok: false; readonly user?: string; readonly reason: string };

interface Running {
  engine: AuthEngine;
  readonly offer: AuthOffer;
}

/**
 * One Authenticate phase, sans-IO: `handlePacket`/`handleTimeout` in, `pollPacket`/`pollTimeout`/
 * `pollResult` out. The engines stay after the result (a peer may repeat its Challenge, or its
 * Response, in the Network phase), each as its `retire()`d self when it has one: a finished
 * authenticator is replaced by the little that answers repeats (issue 10). The link drops the
 * phase when LCP goes down.
 */
export class AuthPhase {
  private readonly server: Running | undefined;
  private readonly client: Running | undefined;
  private limitAt: Instant | undefined;
  private reported = false;
  private lastClientPacket: Uint8Array | undefined;
  private lastRepeatAt: Instant | undefined;
  private readonly packets = new Fifo<AuthPacket>();

  /**
   * Creates and starts the engines of `server` and/or `client` (at least one) for the link tagged
   * `tag`. `limitMs`: limit on the phase (RFC 3145 cause 13 when exceeded); `repeatMs`: at most
   * one repeated answer per this interval (the link's Restart timer).
   */
  constructor(
    server: AuthOffer | undefined,
    client: AuthOffer | undefined,
    limitMs: number,
    private readonly repeatMs: number,
    tag: number,
    now: Instant,
  ) {
    this.limitAt = now + limitMs;
    this.server = server && { engine: server.create(tag), offer: server };
    this.client = client && { engine: client.create(tag), offer: client };
    this.server?.engine.start(now);
    this.client?.engine.start(now);
  }

  /** True when `protocol` is the one an engine of this phase speaks (Protocol-Reject of it is fatal). */
  speaks(protocol: number): boolean {
    return protocol === this.server?.offer.protocol || protocol === this.client?.offer.protocol;
  }

  /** One CHAP or PAP packet; false when no engine of this phase takes it (the link counts a drop). */
  handlePacket(protocol: number, info: Uint8Array, now: Instant): boolean {
    const server = this.server?.offer.protocol === protocol ? this.server : undefined;
    const client = this.client?.offer.protocol === protocol ? this.client : undefined;
    const code = info.length > 0 ? info[0]! : 0;
    // CHAP: Response (2) goes to the authenticator, Challenge/Success/Failure to the peer.
    // PAP: Authenticate-Request (1) goes to the authenticator, Ack/Nak to the peer.
    const toServer = protocol === PppProtocol.Chap ? code === 2 : code === 1;
    const target = server !== undefined && client !== undefined ? (toServer ? server : client) : (server ?? client);
    if (target === undefined) return false;
    target.engine.handlePacket(info, now);
    return true;
  }

  /** Runs the engines' due timers; true when the phase's own limit has expired (the link fails). */
  handleTimeout(now: Instant): boolean {
    for (const r of [this.server, this.client]) {
      const at = r?.engine.pollTimeout();
      if (r !== undefined && at !== undefined && at <= now) r.engine.handleTimeout(now);
    }
    if (this.limitAt === undefined || this.limitAt > now) return false;
    this.limitAt = undefined;
    return true;
  }

  /**
   * The peer already runs an NCP, so it judged our answer and its Success was lost; the CHAP peer
   * has no timer (the authenticator retransmits only Challenges). RFC 1994 §4.1: an authenticator
   * MUST answer a repeated Response with the same Code, so repeat ours, at most once a Restart time.
   */
  repeatAnswer(now: Instant): void {
    const c = this.client;
    if (c === undefined || c.engine.outcome !== undefined || this.lastClientPacket === undefined) return;
    if (this.lastRepeatAt !== undefined && now < this.lastRepeatAt + this.repeatMs) return;
    this.lastRepeatAt = now;
    this.packets.push({ protocol: c.offer.protocol, info: this.lastClientPacket.slice() });
  }

  /** A Response our authenticator defers to an external checker (RADIUS), once each. */
  pollVerify(): AuthVerifyRequest | undefined {
    return this.server?.engine.pollVerify?.();
  }

  /** The external checker's verdict for our authenticator's pending Response. */
  completeVerify(verdict: AuthVerdict, now: Instant): void {
    this.server?.engine.completeVerify?.(verdict, now);
  }

  /** Next packet to send; the caller owns it. */
  pollPacket(): AuthPacket | undefined {
    if (this.packets.length > 0) return this.packets.shift();
    const s = this.server?.engine.pollPacket();
    if (s !== undefined) return { protocol: this.server!.offer.protocol, info: s };
    const c = this.client?.engine.pollPacket();
    if (c === undefined) return undefined;
    this.lastClientPacket = c.slice();
    return { protocol: this.client!.offer.protocol, info: c };
  }

  /** Earliest of the phase limit and the engines' deadlines. */
  pollTimeout(): Instant | undefined {
    let at = this.limitAt;
    for (const r of [this.server, this.client]) {
      const t = r?.engine.pollTimeout();
      if (t !== undefined && (at === undefined || t < at)) at = t;
    }
    return at;
  }

  /** The outcome, once: the first failure, or success when every engine of the phase succeeded. */
  pollResult(): AuthResult | undefined {
    if (this.reported) return undefined;
    const s = this.server?.engine.outcome;
    const c = this.client?.engine.outcome;
    const failed = s?.ok === false ? s : c?.ok === false ? c : undefined;
    if (failed !== undefined) return this.report({ ok: false, user: failed.user, reason: failed.reason });
    if ((this.server !== undefined && s?.ok !== true) || (this.client !== undefined && c?.ok !== true))
      return undefined;
    const label = (this.server ?? this.client)!.offer.label;
    const user = s?.ok === true ? s.user : c?.ok === true ? c.user : '';
    return this.report({ ok: true, user, label });
  }

  private report(r: AuthResult): AuthResult {
    this.reported = true;
    this.limitAt = undefined;
    // Every packet has been polled (the link drains them first): the engines can retire.
    for (const run of [this.server, this.client]) if (run?.engine.retire) run.engine = run.engine.retire();
    return r;
  }
}
