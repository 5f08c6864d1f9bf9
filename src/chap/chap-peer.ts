// The CHAP peer (RFC 1994 §2–§4; MS-CHAPv2 RFC 2759 §4–§6): answers each Challenge with a Response
// and judges the Success/Failure. MS-CHAPv2 is mutual: a Success whose S= does not prove the
// authenticator knows the password (RFC 2759 §5) fails the link.
// Related: chap-authenticator.ts (the other side), chap-packet.ts, mschapv2.ts, chap-md5.ts.
//
// Rules: a Challenge repeated with the same Identifier and value gets the same Response bytes, even
// after the Success (a retransmission reordered behind it): the authenticator's reply to any copy
// then verifies. A new Challenge (also a rechallenge after success, RFC 1994 §2.3) gets a fresh
// Response. Success/Failure count once, and only with the Identifier of our last Response
// (RFC 1994 §4.2). After a failure everything is ignored. The peer has no timer: the
// authenticator retransmits (RFC 1994 §4.1).
import { equalConstantTime } from '../core/bytes.js';
import { Fifo } from '../core/fifo.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { chapMd5Response } from './chap-md5.js';
import { ChapCode, decodeChapPacket, encodeChapChallengeOrResponse, latin1Text, utf8 } from './chap-packet.js';
import { authenticatorResponseDigest, generateNtResponseFromHash, ntPasswordHash } from './mschapv2.js';
import {
  encodeMsChapV2Response,
  MSCHAPV2_CHALLENGE_SIZE,
  parseMsChapV2Failure,
  parseMsChapV2Success,
} from './mschapv2-wire.js';
import { type AuthEngine, type AuthOutcome, AuthProtocol, ChapAlgorithm } from './types.js';

/** Options of a CHAP peer. */
export interface ChapClientOptions {
  /** Sent as the Name of each Response (and, without any DOMAIN\ prefix, hashed by MS-CHAPv2). */
  readonly user: string;
  readonly password: string;
}

/** Options of an MS-CHAPv2 peer: the Peer-Challenge comes from `random`. */
export interface MsChapV2ClientOptions extends ChapClientOptions {
  readonly random: Random;
}

interface Answer {
  /** Response packet. */
  readonly packet: Uint8Array;
  /** MS-CHAPv2: the 20 octets the Success message's S= must carry. */
  readonly expected?: Uint8Array;
}

interface ChapPeerMethod {
  readonly label: string;
  readonly algorithm: number;
  /** Undefined when the Challenge value is unacceptable (ignored as malformed). */
  answer(identifier: number, challenge: Uint8Array): Answer | undefined;
  /** Outcome for a Success message (MS-CHAPv2 verifies S=). */
  judgeSuccess(message: string, answer: Answer): { readonly ok: boolean; readonly reason: string };
  describeFailure(message: string): string;
}

/** waiting: no Challenge yet; responded: awaiting Success/Failure; answered: Success verified. */
type State =
  | { readonly kind: 'waiting' }
  | {
      readonly kind: 'responded' | 'answered';
      readonly identifier: number;
      readonly challenge: Uint8Array;
      readonly answer: Answer;
    }
  | { readonly kind: 'failed' };

class ChapPeer implements AuthEngine {
  readonly protocol = AuthProtocol.Chap;
  readonly lcpData: Uint8Array;
  private state: State = { kind: 'waiting' };
  private result: AuthOutcome;
  private readonly out = new Fifo<Uint8Array>();

  constructor(
    private readonly method: ChapPeerMethod,
    private readonly user: string,
  ) {
    this.lcpData = Uint8Array.of(0xc2, 0x23, method.algorithm);
  }

  get outcome(): AuthOutcome {
    return this.result;
  }

  start(_now: Instant): void {
    // RFC 1994 §2.2: the peer waits for the authenticator's Challenge.
  }

  handlePacket(packet: Uint8Array, _now: Instant): void {
    const s = this.state;
    if (s.kind === 'failed') return;
    const p = decodeChapPacket(packet);
    if (p === undefined) return;
    switch (p.code) {
      case ChapCode.Challenge: {
        if (s.kind !== 'waiting' && s.identifier === p.identifier && equalBytes(s.challenge, p.value)) {
          this.out.push(s.answer.packet.slice());
          return;
        }
        const answer = this.method.answer(p.identifier, p.value);
        if (answer === undefined) return;
        this.state = { kind: 'responded', identifier: p.identifier, challenge: p.value.slice(), answer };
        this.out.push(answer.packet.slice());
        return;
      }
      case ChapCode.Success: {
        if (s.kind !== 'responded' || s.identifier !== p.identifier) return;
        const verdict = this.method.judgeSuccess(latin1Text(p.message), s.answer);
        if (verdict.ok) {
          this.state = { ...s, kind: 'answered' };
          this.result = { ok: true, user: this.user };
        } else {
          this.fail(verdict.reason);
        }
        return;
      }
      case ChapCode.Failure:
        if (s.kind !== 'responded' || s.identifier !== p.identifier) return;
        this.fail(this.method.describeFailure(latin1Text(p.message)));
        return;
      case ChapCode.Response:
        return; // we are not the authenticator
    }
  }

  handleTimeout(_now: Instant): void {}

  pollPacket(): Uint8Array | undefined {
    return this.out.shift();
  }

  pollTimeout(): Instant | undefined {
    return undefined;
  }

  private fail(reason: string): void {
    this.state = { kind: 'failed' };
    this.result = { ok: false, user: this.user, reason };
  }
}

/** Remote text made safe for one log line: printable ASCII only, bounded. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 120 ? `${clean.slice(0, 120)}…` : clean;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** RFC 2759 §4–§6 peer side. */
function msChapV2PeerMethod(opts: MsChapV2ClientOptions): ChapPeerMethod {
  const passwordHash = ntPasswordHash(opts.password);
  const userOctets = utf8(opts.user);
  return {
    label: 'MS-CHAPv2',
    algorithm: ChapAlgorithm.MsChapV2,
    answer(identifier, challenge) {
      if (challenge.length !== MSCHAPV2_CHALLENGE_SIZE) return undefined; // RFC 2759 §3: Value-Size 16
      const peerChallenge = opts.random.fill(new Uint8Array(16));
      const ntResponse = generateNtResponseFromHash(challenge, peerChallenge, userOctets, passwordHash);
      const expected = authenticatorResponseDigest(passwordHash, ntResponse, peerChallenge, challenge, userOctets);
      return { packet: encodeMsChapV2Response(identifier, { peerChallenge, ntResponse }, userOctets), expected };
    },
    judgeSuccess(message, answer) {
      // RFC 2759 §5: the peer MUST verify the Authenticator Response; if it is wrong the peer
      // "MUST end the session" even though the authenticator said Success.
      const success = parseMsChapV2Success(message);
      const ok =
        success !== undefined &&
        answer.expected !== undefined &&
        equalConstantTime(success.authenticatorResponse, answer.expected);
      return { ok, reason: 'MS-CHAPv2: server did not authenticate (missing or wrong S= in Success)' };
    },
    describeFailure(message) {
      const f = parseMsChapV2Failure(message);
      if (f === undefined) return `MS-CHAPv2: Failure "${printable(message)}"`;
      const text = f.message === undefined ? '' : `: ${printable(f.message)}`;
      return `MS-CHAPv2: Failure E=${f.error}${ERROR_NAMES[f.error] ? ` (${ERROR_NAMES[f.error]})` : ''}${text}`;
    },
  };
}

// RFC 2759 §6 error codes.
const ERROR_NAMES: Readonly<Record<number, string>> = {
  646: 'restricted logon hours',
  647: 'account disabled',
  648: 'password expired',
  649: 'no dial-in permission',
  691: 'authentication failure',
  709: 'error changing password',
};

/** RFC 1994 §4.1 peer side with MD5. */
function md5PeerMethod(opts: ChapClientOptions): ChapPeerMethod {
  const secret = utf8(opts.password);
  const name = utf8(opts.user);
  return {
    label: 'CHAP-MD5',
    algorithm: ChapAlgorithm.Md5,
    answer(identifier, challenge) {
      const value = chapMd5Response(identifier, secret, challenge);
      return { packet: encodeChapChallengeOrResponse(ChapCode.Response, identifier, value, name) };
    },
    judgeSuccess() {
      return { ok: true, reason: '' };
    },
    describeFailure(message) {
      return `CHAP-MD5: Failure "${printable(message)}"`;
    },
  };
}

/** An MS-CHAPv2 peer (RFC 2759) that also verifies the authenticator (mutual authentication). */
export function createMsChapV2Client(opts: MsChapV2ClientOptions): AuthEngine {
  return new ChapPeer(msChapV2PeerMethod(opts), opts.user);
}

/** A CHAP-MD5 peer (RFC 1994). */
export function createChapMd5Client(opts: ChapClientOptions): AuthEngine {
  return new ChapPeer(md5PeerMethod(opts), opts.user);
}
