// The authentication engine shape PPP drives (structurally identical to src/ppp's AuthServer /
// AuthClient; chap/ must not import ppp/), plus the PPP numbers the engines announce.
// Related: chap-authenticator.ts, chap-peer.ts, pap-authenticator.ts, pap-peer.ts.
import type { Instant } from '../core/time.js';

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
}

/** The authenticator side (LNS): structurally src/ppp's AuthServer. */
export type AuthServer = AuthEngine;
/** The peer side (LAC): structurally src/ppp's AuthClient. */
export type AuthClient = AuthEngine;

/** PPP protocol numbers (RFC 1994 §2, RFC 1334 §2). */
export const AuthProtocol = { Chap: 0xc223, Pap: 0xc023 } as const;
/** CHAP Algorithm octets of the LCP option (RFC 1994 §3: 5 = MD5; RFC 2759 §2: 0x81 = MS-CHAPv2). */
export const ChapAlgorithm = { Md5: 0x05, MsChapV2: 0x81 } as const;

/** Stable names of the methods (the ppp 'auth-succeeded' event's `protocol`). */
export type AuthMethodName = 'mschapv2' | 'chap-md5' | 'pap';
