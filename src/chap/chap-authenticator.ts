// The CHAP authenticator (RFC 1994 §2–§4; MS-CHAPv2 RFC 2759 §3–§6): Challenge, retransmitted until
// a Response or the retry limit; the Response is judged once and the reply kept for duplicates.
// Related: chap-peer.ts (the other side), chap-packet.ts, mschapv2.ts, chap-md5.ts.
//
// States: initial → challenge-sent → done. Rules:
// - A retransmitted Challenge is the same packet (same Identifier, same value), as pppd does:
//   RFC 1994 §4.1's "Identifier MUST be changed each time a Challenge is sent" is read as each new
//   challenge, so a Response to an earlier transmission stays valid.
// - Only a Response whose Identifier matches the outstanding Challenge is judged (RFC 1994 §4.1).
// - RFC 1994 §4.2: after the outcome, a repeated Response with that Identifier gets the same reply
//   (the Success or Failure may have been lost). Anything else, and every malformed packet, is ignored.
// - `external`: the Response is not judged here but handed out (pollVerify) to a checker such as
//   RADIUS (pppd's chap_verify_hook); Challenges stop, repeated Responses are ignored while the
//   verdict is awaited (completeVerify), and the reply is then built from the verdict's message.

import type { AuthVerdict, AuthVerifyRequest } from '../core/auth-engine.js';
import { equalConstantTime, toHex } from '../core/bytes.js';
import { Fifo } from '../core/fifo.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { TimerTable } from '../core/timer-table.js';
import { AuthReplay } from './auth-replay.js';
import { CHAP_MD5_RESPONSE_SIZE, chapMd5Response } from './chap-md5.js';
import {
  ChapCode,
  decodeChapPacket,
  encodeChapChallengeOrResponse,
  encodeChapStatus,
  nameText,
} from './chap-packet.js';
import { authenticatorResponseDigest, generateNtResponseFromHash, ntPasswordHash } from './mschapv2.js';
import {
  decodeMsChapV2ResponseValue,
  formatMsChapV2Failure,
  formatMsChapV2Success,
  MSCHAPV2_CHALLENGE_SIZE,
  MSCHAPV2_RESPONSE_SIZE,
} from './mschapv2-wire.js';
import { type AuthEngine, type AuthOutcome, AuthProtocol, ChapAlgorithm } from './types.js';

/** Options of a CHAP authenticator (MS-CHAPv2 or CHAP-MD5). */
export interface ChapServerOptions {
  /** Source of challenges and the initial Identifier. */
  readonly random: Random;
  /** Our name, sent in the Challenge's Name field. */
  readonly name: string;
  /** The secret for a user name (as the peer sent it), undefined when unknown. */
  lookup(user: string): string | undefined;
  /** Challenges sent without a Response before giving up (pppd chap-max-challenge, default 10). */
  readonly maxChallenges?: number;
  /** Retransmission interval (pppd chap-restart, default 3000 ms). */
  readonly timeoutMs?: number;
  /** Defer the verdict to an external checker (pollVerify / completeVerify); `lookup` is not used. */
  readonly external?: boolean;
}

/** What distinguishes MS-CHAPv2 from CHAP-MD5 on the authenticator side. */
interface ChapMethod {
  readonly label: string;
  readonly algorithm: number;
  /** Required Response Value-Size; other sizes are malformed and ignored. */
  readonly responseSize: number;
  /**
   * Reply message for a Response, given the secret. `known` is false for an unknown user, whose
   * Response is judged against UNKNOWN_USER_SECRET all the same and never succeeds.
   */
  judge(
    identifier: number,
    challenge: Uint8Array,
    response: Uint8Array,
    name: Uint8Array,
    secret: string,
    known: boolean,
  ): { readonly ok: boolean; readonly message: string };
  /** The material an external checker needs (the Response Value is already size-checked). */
  verifyRequest(identifier: number, challenge: Uint8Array, response: Uint8Array, user: string): AuthVerifyRequest;
  /** The reply text when the verdict brings none. */
  defaultMessage(ok: boolean): string;
}

type State =
  | { readonly kind: 'initial' }
  | {
      readonly kind: 'challenge-sent';
      readonly identifier: number;
      readonly challenge: Uint8Array;
      readonly packet: Uint8Array;
      transmissions: number;
    }
  | { readonly kind: 'verifying'; readonly identifier: number; readonly user: string }
  | { readonly kind: 'done'; readonly identifier: number | undefined; readonly reply: Reply | undefined };

/** The Success or Failure given, kept as text and encoded again for each repeat (no buffer kept). */
interface Reply {
  readonly ok: boolean;
  readonly message: string;
}

/** The Success or Failure packet of `reply` for `identifier`. */
function encodeReply(reply: Reply, identifier: number): Uint8Array {
  return encodeChapStatus(reply.ok ? ChapCode.Success : ChapCode.Failure, identifier, reply.message);
}

const CHALLENGE_SIZE = 16;

/**
 * The secret an unknown user's Response is checked against: the same hashes, the same comparison
 * and the same Failure as a wrong password, so neither timing nor the reply tells a user name that
 * exists from one that does not. `known` is false for it, so it never authenticates anyone.
 */
export const UNKNOWN_USER_SECRET = 'unknown-user-dummy-secret';

class ChapAuthenticator implements AuthEngine {
  readonly protocol = AuthProtocol.Chap;
  readonly lcpData: Uint8Array;
  private state: State = { kind: 'initial' };
  private result: AuthOutcome;
  private readonly out = new Fifo<Uint8Array>();
  private readonly timers = new TimerTable<'challenge'>();
  private verify: AuthVerifyRequest | undefined;
  private readonly maxChallenges: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly method: ChapMethod,
    private readonly opts: ChapServerOptions,
  ) {
    this.lcpData = Uint8Array.of(0xc2, 0x23, method.algorithm);
    this.maxChallenges = Math.max(1, opts.maxChallenges ?? 10);
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  get outcome(): AuthOutcome {
    return this.result;
  }

  start(now: Instant): void {
    if (this.state.kind !== 'initial') return;
    const identifier = this.opts.random.int(0, 255);
    const challenge = this.opts.random.fill(new Uint8Array(CHALLENGE_SIZE));
    const packet = encodeChapChallengeOrResponse(ChapCode.Challenge, identifier, challenge, this.opts.name);
    this.state = { kind: 'challenge-sent', identifier, challenge, packet, transmissions: 1 };
    this.out.push(packet.slice());
    this.timers.set('challenge', now + this.timeoutMs);
  }

  handlePacket(packet: Uint8Array, _now: Instant): void {
    const p = decodeChapPacket(packet);
    if (p === undefined || p.code !== ChapCode.Response) return;
    const s = this.state;
    if (s.kind === 'done') {
      if (p.identifier === s.identifier && s.reply !== undefined) this.out.push(encodeReply(s.reply, s.identifier));
      return;
    }
    if (s.kind !== 'challenge-sent' || p.identifier !== s.identifier) return;
    if (p.value.length !== this.method.responseSize) return;
    const user = nameText(p.name);
    if (this.opts.external === true) {
      this.verify = this.method.verifyRequest(s.identifier, s.challenge, p.value.slice(), user);
      this.state = { kind: 'verifying', identifier: s.identifier, user };
      this.timers.stop('challenge');
      return;
    }
    const secret = this.opts.lookup(user);
    const known = secret !== undefined;
    const verdict = this.method.judge(s.identifier, s.challenge, p.value, p.name, secret ?? UNKNOWN_USER_SECRET, known);
    const reply: Reply = { ok: verdict.ok, message: verdict.message };
    this.state = { kind: 'done', identifier: s.identifier, reply };
    this.timers.stop('challenge');
    this.out.push(encodeReply(reply, s.identifier));
    if (verdict.ok) {
      this.result = { ok: true, user };
    } else {
      // Local log only: the peer sees the same Failure either way.
      const why = secret === undefined ? 'no secret for this user' : 'wrong response (bad secret)';
      this.result = { ok: false, user, reason: `${this.method.label}: ${why}` };
    }
  }

  pollVerify(): AuthVerifyRequest | undefined {
    const v = this.verify;
    this.verify = undefined;
    return v;
  }

  completeVerify(verdict: AuthVerdict, _now: Instant): void {
    const s = this.state;
    if (s.kind !== 'verifying') return;
    this.verify = undefined;
    // RFC 2759 §5: an MS-CHAPv2 Success must carry the authenticator response the peer checks.
    const noProof = verdict.ok && verdict.message === undefined && this.method.algorithm === ChapAlgorithm.MsChapV2;
    const ok = verdict.ok && !noProof;
    const message = (noProof ? undefined : verdict.message) ?? this.method.defaultMessage(ok);
    const reply: Reply = { ok, message };
    this.state = { kind: 'done', identifier: s.identifier, reply };
    this.out.push(encodeReply(reply, s.identifier));
    const why = noProof ? 'accepted without an authenticator response' : (verdict.reason ?? 'rejected');
    this.result = ok ? { ok: true, user: s.user } : { ok: false, user: s.user, reason: `${this.method.label}: ${why}` };
  }

  handleTimeout(now: Instant): void {
    const s = this.state;
    if (!this.timers.fire('challenge', now) || s.kind !== 'challenge-sent') return;
    // RFC 1994 §2.3/§4.1: Challenges are resent until a valid Response or the retry counter expires.
    if (s.transmissions >= this.maxChallenges) {
      this.state = { kind: 'done', identifier: undefined, reply: undefined };
      this.result = {
        ok: false,
        reason: `${this.method.label}: peer did not respond to ${s.transmissions} challenges`,
      };
      return;
    }
    s.transmissions++;
    this.out.push(s.packet.slice());
    this.timers.set('challenge', now + this.timeoutMs);
  }

  pollPacket(): Uint8Array | undefined {
    return this.out.shift();
  }

  pollTimeout(): Instant | undefined {
    return this.timers.next();
  }

  /**
   * Once done: what the link keeps instead of this engine (its options, lookup, method and
   * timers go): the outcome and the reply, which still answers a repeated Response (§4.2).
   */
  retire(): AuthEngine {
    const s = this.state;
    if (s.kind !== 'done' || this.out.length > 0) return this;
    return new ChapReplay(this.method.algorithm, this.result, s.identifier, s.reply?.ok ?? false, s.reply?.message);
  }
}

/** LCP option data of each CHAP algorithm, shared by the replays (RFC 1994 §3). */
const LCP_DATA: Readonly<Record<number, Uint8Array>> = {
  [ChapAlgorithm.MsChapV2]: Uint8Array.of(0xc2, 0x23, ChapAlgorithm.MsChapV2),
  [ChapAlgorithm.Md5]: Uint8Array.of(0xc2, 0x23, ChapAlgorithm.Md5),
};

/**
 * A finished authenticator as the link keeps it for the rest of the session (issue 10: the
 * authenticator is dropped once authentication is over): RFC 1994 §4.2, a repeated Response with
 * the Identifier answered gets the same reply again; everything else is ignored.
 */
class ChapReplay extends AuthReplay {
  readonly protocol = AuthProtocol.Chap;

  constructor(
    private readonly algorithm: number,
    outcome: AuthOutcome,
    private readonly identifier: number | undefined,
    private readonly ok: boolean,
    /** The reply's message; undefined when none was given (the challenges ran out). */
    private readonly message: string | undefined,
  ) {
    super(outcome);
  }

  get lcpData(): Uint8Array {
    return LCP_DATA[this.algorithm] ?? Uint8Array.of(0xc2, 0x23, this.algorithm);
  }

  handlePacket(packet: Uint8Array, _now: Instant): void {
    const p = decodeChapPacket(packet);
    if (p === undefined || p.code !== ChapCode.Response || this.message === undefined) return;
    if (p.identifier !== this.identifier) return;
    this.answer(encodeReply({ ok: this.ok, message: this.message }, this.identifier));
  }
}

/** MS-CHAPv2 verification, RFC 2759 §5–§6 (pppd chapms2_verify_response). */
function msChapV2Method(random: Random): ChapMethod {
  return {
    label: 'MS-CHAPv2',
    algorithm: ChapAlgorithm.MsChapV2,
    responseSize: MSCHAPV2_RESPONSE_SIZE,
    judge(_identifier, challenge, response, name, secret, known) {
      const value = decodeMsChapV2ResponseValue(response);
      if (value !== undefined) {
        const passwordHash = ntPasswordHash(secret);
        const expected = generateNtResponseFromHash(challenge, value.peerChallenge, name, passwordHash);
        if (equalConstantTime(expected, value.ntResponse) && known) {
          const digest = authenticatorResponseDigest(
            passwordHash,
            value.ntResponse,
            value.peerChallenge,
            challenge,
            name,
          );
          // RFC 2759 §5: "S=<auth_string> M=<message>".
          return { ok: true, message: formatMsChapV2Success(`S=${toHex(digest).toUpperCase()}`, 'Access granted') };
        }
      }
      return { ok: false, message: this.defaultMessage(false) };
    },
    verifyRequest(identifier, challenge, response, user) {
      const v = decodeMsChapV2ResponseValue(response)!;
      return {
        method: 'mschapv2',
        user,
        identifier,
        authenticatorChallenge: challenge,
        peerChallenge: v.peerChallenge,
        ntResponse: v.ntResponse,
        flags: v.flags,
      };
    },
    defaultMessage(ok) {
      if (ok) return 'Access granted'; // never sent: completeVerify refuses a Success without S=
      // RFC 2759 §6: E=691 authentication failure; R=0 no retry; C= a fresh challenge; V=3.
      return formatMsChapV2Failure({
        error: 691,
        retry: false,
        challenge: random.fill(new Uint8Array(MSCHAPV2_CHALLENGE_SIZE)),
        version: 3,
        message: 'Authentication failed',
      });
    },
  };
}

/** CHAP-MD5 verification, RFC 1994 §4.1. */
const MD5_METHOD: ChapMethod = {
  label: 'CHAP-MD5',
  algorithm: ChapAlgorithm.Md5,
  responseSize: CHAP_MD5_RESPONSE_SIZE,
  judge(identifier, challenge, response, _name, secret, known) {
    const ok = equalConstantTime(chapMd5Response(identifier, secret, challenge), response) && known;
    return { ok, message: this.defaultMessage(ok) };
  },
  verifyRequest: (identifier, challenge, response, user) => ({
    method: 'chap-md5',
    user,
    identifier,
    challenge,
    response,
  }),
  defaultMessage: (ok) => (ok ? 'Access granted' : 'Access denied'),
};

/** An MS-CHAPv2 authenticator (RFC 2759); LCP option data c2 23 81. */
export function createMsChapV2Server(opts: ChapServerOptions): AuthEngine {
  return new ChapAuthenticator(msChapV2Method(opts.random), opts);
}

/** A CHAP-MD5 authenticator (RFC 1994); LCP option data c2 23 05. */
export function createChapMd5Server(opts: ChapServerOptions): AuthEngine {
  return new ChapAuthenticator(MD5_METHOD, opts);
}
