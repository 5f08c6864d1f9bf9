// The PAP authenticator, RFC 1334 §2: waits for Authenticate-Request, answers Ack or Nak.
// Related: pap-peer.ts (the other side), pap.ts (codec).
//
// Rules: the first well-formed Authenticate-Request decides the outcome. RFC 1334 §2.2.1: after
// that, repeated Requests (the Ack/Nak may have been lost) get the same reply code, with the
// Identifier copied from each Request (RFC 1334 §2.2.2). Malformed packets are ignored.
// `external`: the Request is handed out (pollVerify) to a checker such as RADIUS (pppd's
// pap_auth_hook); Requests repeated while the verdict is awaited are ignored.
import type { AuthVerdict, AuthVerifyRequest } from '../core/auth-engine.js';
import { equalConstantTime } from '../core/bytes.js';
import { Fifo } from '../core/fifo.js';
import type { Instant } from '../core/time.js';
import { TimerTable } from '../core/timer-table.js';
import { AuthReplay } from './auth-replay.js';
import { nameText, utf8 } from './chap-packet.js';
import { decodePapPacket, encodePapReply, PapCode } from './pap.js';
import { type AuthEngine, type AuthOutcome, AuthProtocol } from './types.js';

/** Options of a PAP authenticator. */
export interface PapServerOptions {
  /** The password for a Peer-ID, undefined when unknown. */
  lookup(user: string): string | undefined;
  /** Give up when no Authenticate-Request arrives this long after start (pppd pap-timeout); default: wait. */
  readonly timeoutMs?: number;
  /** Defer the verdict to an external checker (pollVerify / completeVerify); `lookup` is not used. */
  readonly external?: boolean;
}

/** Compared against for an unknown user (see chap-authenticator.ts, UNKNOWN_USER_SECRET). */
const UNKNOWN_USER_SECRET = 'unknown-user-dummy-secret';

const ACK_MESSAGE = 'Login ok';
const NAK_MESSAGE = 'Login incorrect';

class PapAuthenticator implements AuthEngine {
  readonly protocol = AuthProtocol.Pap;
  readonly lcpData = Uint8Array.of(0xc0, 0x23);
  private result: AuthOutcome;
  private replyCode: ReplyCode | undefined;
  private readonly out = new Fifo<Uint8Array>();
  private readonly timers = new TimerTable<'request'>();
  private verify: AuthVerifyRequest | undefined;
  /** The Request awaiting an external verdict. */
  private pending: { readonly user: string; readonly identifier: number } | undefined;
  private replyMessage: string | undefined;

  constructor(private readonly opts: PapServerOptions) {}

  get outcome(): AuthOutcome {
    return this.result;
  }

  start(now: Instant): void {
    if (this.opts.timeoutMs !== undefined && this.result === undefined) {
      this.timers.set('request', now + this.opts.timeoutMs);
    }
  }

  handlePacket(packet: Uint8Array, _now: Instant): void {
    const p = decodePapPacket(packet);
    if (p === undefined || p.code !== PapCode.AuthenticateRequest) return;
    if (this.replyCode !== undefined) {
      this.out.push(this.reply(this.replyCode, p.identifier));
      return;
    }
    if (this.result !== undefined || this.pending !== undefined) return; // timed out, or being verified
    const user = nameText(p.peerId);
    if (this.opts.external === true) {
      this.pending = { user, identifier: p.identifier };
      this.verify = { method: 'pap', user, password: p.password.slice() };
      this.timers.stop('request');
      return;
    }
    const secret = this.opts.lookup(user);
    // An unknown user's password is compared all the same (against a secret no one has), so the
    // work and the Nak are those of a wrong password.
    const ok = equalConstantTime(utf8(secret ?? UNKNOWN_USER_SECRET), p.password) && secret !== undefined;
    this.replyCode = ok ? PapCode.AuthenticateAck : PapCode.AuthenticateNak;
    this.timers.stop('request');
    this.out.push(this.reply(this.replyCode, p.identifier));
    // Local log only: the peer sees the same Nak either way.
    const reason = secret === undefined ? 'PAP: no secret for this user' : 'PAP: wrong password';
    this.result = ok ? { ok: true, user } : { ok: false, user, reason };
  }

  pollVerify(): AuthVerifyRequest | undefined {
    const v = this.verify;
    this.verify = undefined;
    return v;
  }

  completeVerify(verdict: AuthVerdict, _now: Instant): void {
    const p = this.pending;
    if (p === undefined || this.result !== undefined) return;
    this.pending = undefined;
    this.verify = undefined;
    this.replyMessage = verdict.message;
    this.replyCode = verdict.ok ? PapCode.AuthenticateAck : PapCode.AuthenticateNak;
    this.out.push(this.reply(this.replyCode, p.identifier));
    this.result = verdict.ok
      ? { ok: true, user: p.user }
      : { ok: false, user: p.user, reason: `PAP: ${verdict.reason ?? 'rejected'}` };
  }

  handleTimeout(now: Instant): void {
    if (!this.timers.fire('request', now) || this.result !== undefined) return;
    this.result = { ok: false, reason: 'PAP: peer sent no Authenticate-Request' };
  }

  pollPacket(): Uint8Array | undefined {
    return this.out.shift();
  }

  pollTimeout(): Instant | undefined {
    return this.timers.next();
  }

  private reply(code: ReplyCode, identifier: number): Uint8Array {
    return encodeReply(code, this.replyMessage, identifier);
  }

  /**
   * Once decided: what the link keeps instead of this engine (options, lookup and timer go): the
   * outcome and the reply, which still answers repeated Requests (RFC 1334 §2.2.1).
   */
  retire(): AuthEngine {
    if (this.result === undefined || this.out.length > 0) return this;
    return new PapReplay(this.result, this.replyCode, this.replyMessage);
  }
}

type ReplyCode = typeof PapCode.AuthenticateAck | typeof PapCode.AuthenticateNak;

function encodeReply(code: ReplyCode, message: string | undefined, identifier: number): Uint8Array {
  return encodePapReply(code, identifier, message ?? (code === PapCode.AuthenticateAck ? ACK_MESSAGE : NAK_MESSAGE));
}

const PAP_LCP_DATA = Uint8Array.of(0xc0, 0x23);

/** A decided PAP authenticator as the link keeps it (issue 10): it only repeats its reply (§2.2.1). */
class PapReplay extends AuthReplay {
  readonly protocol = AuthProtocol.Pap;

  constructor(
    outcome: AuthOutcome,
    private readonly code: ReplyCode | undefined,
    private readonly message: string | undefined,
  ) {
    super(outcome);
  }

  get lcpData(): Uint8Array {
    return PAP_LCP_DATA;
  }

  handlePacket(packet: Uint8Array, _now: Instant): void {
    const p = decodePapPacket(packet);
    if (p === undefined || p.code !== PapCode.AuthenticateRequest || this.code === undefined) return;
    this.answer(encodeReply(this.code, this.message, p.identifier));
  }
}

/** A PAP authenticator (RFC 1334); LCP option data c0 23. */
export function createPapServer(opts: PapServerOptions): AuthEngine {
  return new PapAuthenticator(opts);
}
