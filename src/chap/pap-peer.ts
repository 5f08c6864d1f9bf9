// The PAP peer, RFC 1334 §2: sends Authenticate-Request at start and repeats it every restartMs
// (a new Identifier each time, §2.2.1) until an Ack/Nak or maxRequests.
// Related: pap-authenticator.ts (the other side), pap.ts (codec).

import { Fifo } from '../core/fifo.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { TimerTable } from '../core/timer-table.js';
import { decodePapPacket, encodePapRequest, PapCode } from './pap.js';
import { type AuthEngine, type AuthOutcome, AuthProtocol } from './types.js';

/** Options of a PAP peer. */
export interface PapClientOptions {
  readonly user: string;
  readonly password: string;
  /** Retransmission interval (pppd pap-restart, default 3000 ms). */
  readonly restartMs?: number;
  /** Requests sent without a reply before giving up (pppd pap-max-authreq, default 10). */
  readonly maxRequests?: number;
  /** Source of the first Identifier; without it the first is 1. */
  readonly random?: Random;
}

class PapPeer implements AuthEngine {
  readonly protocol = AuthProtocol.Pap;
  readonly lcpData = Uint8Array.of(0xc0, 0x23);
  private result: AuthOutcome;
  private identifier = 0;
  private sent = 0;
  /** Identifiers of every Request sent: a late Ack to an earlier copy still counts. */
  private readonly sentIdentifiers = new Set<number>();
  private readonly out = new Fifo<Uint8Array>();
  private readonly timers = new TimerTable<'restart'>();
  private readonly restartMs: number;
  private readonly maxRequests: number;

  constructor(private readonly opts: PapClientOptions) {
    this.restartMs = opts.restartMs ?? 3000;
    this.maxRequests = Math.max(1, opts.maxRequests ?? 10);
  }

  get outcome(): AuthOutcome {
    return this.result;
  }

  start(now: Instant): void {
    if (this.sent > 0 || this.result !== undefined) return;
    this.identifier = this.opts.random?.int(0, 255) ?? 1;
    this.send(now);
  }

  handlePacket(packet: Uint8Array, _now: Instant): void {
    if (this.result !== undefined) return;
    const p = decodePapPacket(packet);
    if (p === undefined || p.code === PapCode.AuthenticateRequest || !this.sentIdentifiers.has(p.identifier)) return;
    this.timers.stop('restart');
    if (p.code === PapCode.AuthenticateAck) {
      this.result = { ok: true, user: this.opts.user };
    } else {
      const text = p.message.replace(/[^\x20-\x7e]/g, '?');
      this.result = { ok: false, user: this.opts.user, reason: `PAP: Authenticate-Nak "${text.slice(0, 120)}"` };
    }
  }

  handleTimeout(now: Instant): void {
    if (!this.timers.fire('restart', now) || this.result !== undefined) return;
    if (this.sent >= this.maxRequests) {
      this.result = { ok: false, user: this.opts.user, reason: `PAP: no reply to ${this.sent} Authenticate-Requests` };
      return;
    }
    this.identifier = (this.identifier + 1) & 0xff;
    this.send(now);
  }

  pollPacket(): Uint8Array | undefined {
    return this.out.shift();
  }

  pollTimeout(): Instant | undefined {
    return this.timers.next();
  }

  private send(now: Instant): void {
    this.out.push(encodePapRequest(this.identifier, this.opts.user, this.opts.password));
    this.sentIdentifiers.add(this.identifier);
    this.sent++;
    this.timers.set('restart', now + this.restartMs);
  }
}

/** A PAP peer (RFC 1334) that sends its Authenticate-Request on start(). */
export function createPapClient(opts: PapClientOptions): AuthEngine {
  return new PapPeer(opts);
}
