// The seam between the PPP link (src/ppp drives it) and the authentication engines (src/chap
// implements them): ppp/ and chap/ may not import each other, so the one interface lives here.
// Related: ../ppp/auth-phase.ts, ../chap/methods.ts.
import type { Instant } from './time.js';

/** Result of an authentication: undefined while it runs. Reasons never contain a password. */
export type AuthOutcome =
  | undefined
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly user?: string; readonly reason: string };

/**
 * A sans-IO authentication engine for one PPP link, authenticator or peer side: handle* feed the
 * PPP information field of each CHAP/PAP packet and timeouts, poll* drain packets to send under
 * `protocol` and the next deadline. Remote input never throws.
 */
export interface AuthEngine {
  /** PPP protocol number: 0xc223 CHAP, 0xc023 PAP. */
  readonly protocol: number;
  /** LCP Authentication-Protocol option data after type/length: c2 23 81 | c2 23 05 | c0 23. */
  readonly lcpData: Uint8Array;
  /** Called when the link enters the Authenticate phase. */
  start(now: Instant): void;
  /** One received packet (code, identifier, length, data); malformed packets are ignored. */
  handlePacket(packet: Uint8Array, now: Instant): void;
  /** Call when `pollTimeout()` is due. */
  handleTimeout(now: Instant): void;
  /** Next packet (information field) to send; the caller owns it. */
  pollPacket(): Uint8Array | undefined;
  /** Earliest deadline at which handleTimeout must be called, if any. */
  pollTimeout(): Instant | undefined;
  /** Set once authentication has succeeded or failed. */
  readonly outcome: AuthOutcome;
  /**
   * Authenticators built to defer (e.g. to RADIUS): the material of a Response to be judged
   * elsewhere, once per Response judged. Engines that judge for themselves lack it.
   */
  pollVerify?(): AuthVerifyRequest | undefined;
  /** The external verdict on the last AuthVerifyRequest; ignored when none is pending. */
  completeVerify?(verdict: AuthVerdict, now: Instant): void;
  /**
   * Once the outcome is known and every packet polled: the engine to keep in this one's place for
   * the rest of the link, which only answers repeats (RFC 1994 §4.2, RFC 1334 §2.2.1) and so holds
   * no lookup, challenge, options or timers (issue 10: a session keeps no authenticator once
   * authenticated). Returns itself while not done. Absent: the link keeps this engine.
   */
  retire?(): AuthEngine;
}

/**
 * What a deferring authenticator hands to an external checker: the user name as the peer sent it
 * and the response material the checker needs (RFC 2865 §5.2/§5.3, RFC 2548 §2.3.2).
 */
export type AuthVerifyRequest =
  | { readonly method: 'pap'; readonly user: string; readonly password: Uint8Array }
  | {
      readonly method: 'chap-md5';
      readonly user: string;
      readonly identifier: number;
      readonly challenge: Uint8Array;
      readonly response: Uint8Array;
    }
  | {
      readonly method: 'mschapv2';
      readonly user: string;
      readonly identifier: number;
      readonly authenticatorChallenge: Uint8Array;
      readonly peerChallenge: Uint8Array;
      readonly ntResponse: Uint8Array;
      readonly flags: number;
    };

/**
 * The external checker's answer. `message` is the text of the PPP Success/Failure (PAP Ack/Nak)
 * message: for MS-CHAPv2 the whole "S=… M=…" or "E=… R=… C=… V=…" (RFC 2759 §5/§6); absent,
 * the engine's own default text (an MS-CHAPv2 success without one fails: the peer could not verify).
 * `reason` is for the local log only.
 */
export interface AuthVerdict {
  readonly ok: boolean;
  readonly message?: string;
  readonly reason?: string;
}

/**
 * One method a link may negotiate, bound to that link's credentials: what LCP offers or accepts
 * (RFC 1661 §6.2, RFC 1994 §3) and a factory for the engine of one Authenticate phase.
 */
export interface AuthOffer {
  /** PPP protocol number: 0xc223 CHAP, 0xc023 PAP. */
  readonly protocol: number;
  /** CHAP only: the Algorithm octet (5 MD5, 0x81 MS-CHAPv2). */
  readonly algorithm?: number;
  /** The stable name the link reports in 'auth-succeeded' ('mschapv2', 'chap-md5', 'pap'). */
  readonly label: string;
  /**
   * A fresh engine for one Authenticate phase of the link whose tag (PppLink) is `tag`, so that
   * one offer serves every link of its owner (the owner's lookup can tell them apart).
   */
  create(tag: number): AuthEngine;
}
