// The authentication engines the link drives in the Authenticate phase (RFC 1661 §3.5). src/chap
// implements them structurally (it may not import ppp/); lns/lac inject them. Related: link.ts, ../chap/types.ts.
import type { Instant } from '../core/time.js';

/** Authenticator side (LNS): CHAP/MS-CHAPv2/PAP server for one link. Remote input never throws. */
export interface AuthServer {
  /** PPP protocol number: 0xc223 CHAP, 0xc023 PAP. */
  readonly protocol: number;
  /** Authentication-Protocol option data after type/length: c2 23 81 | c2 23 05 | c0 23. */
  readonly lcpData: Uint8Array;
  /** Called when the link enters the Authenticate phase. */
  start(now: Instant): void;
  /** One received packet: the PPP information field (code, id, length, …). */
  handlePacket(packet: Uint8Array, now: Instant): void;
  /** Call when `pollTimeout()` is due. */
  handleTimeout(now: Instant): void;
  /** Next information field to send under `protocol`; the caller owns it. */
  pollPacket(): Uint8Array | undefined;
  /** Earliest deadline at which handleTimeout must be called, if any. */
  pollTimeout(): Instant | undefined;
  /** Set once authentication has succeeded or failed. */
  readonly outcome: undefined | { ok: true; user: string } | { ok: false; user?: string; reason: string };
}

/** Peer side (LAC): the PAP client sends at start(); the CHAP client answers challenges. */
export interface AuthClient {
  /** PPP protocol number: 0xc223 CHAP, 0xc023 PAP. */
  readonly protocol: number;
  /** Authentication-Protocol option data after type/length: c2 23 81 | c2 23 05 | c0 23. */
  readonly lcpData: Uint8Array;
  /** Called when the link enters the Authenticate phase. */
  start(now: Instant): void;
  /** One received packet: the PPP information field (code, id, length, …). */
  handlePacket(packet: Uint8Array, now: Instant): void;
  /** Call when `pollTimeout()` is due. */
  handleTimeout(now: Instant): void;
  /** Next information field to send under `protocol`; the caller owns it. */
  pollPacket(): Uint8Array | undefined;
  /** Earliest deadline at which handleTimeout must be called, if any. */
  pollTimeout(): Instant | undefined;
  /** Set once authentication has succeeded or failed. */
  readonly outcome: undefined | { ok: true; user: string } | { ok: false; user?: string; reason: string };
}

/** One method the link may negotiate: protocol, CHAP algorithm, and a factory for one link's engine. */
export interface AuthMethod<T> {
  readonly protocol: number;
  readonly algorithm?: number;
  create(): T;
}

/** The Authentication-Protocol option data for a method (RFC 1661 §6.2, RFC 1994 §3). */
export function authOptionData(m: { protocol: number; algorithm?: number }): Uint8Array {
  const p = [(m.protocol >>> 8) & 0xff, m.protocol & 0xff];
  return new Uint8Array(m.algorithm === undefined ? p : [...p, m.algorithm & 0xff]);
}

/** The stable method name of the 'auth-succeeded' event. */
export function authMethodName(m: { protocol: number; algorithm?: number }): string {
  if (m.protocol === 0xc023) return 'pap';
  if (m.protocol === 0xc223) return m.algorithm === 0x81 ? 'mschapv2' : m.algorithm === 0x80 ? 'mschap' : 'chap-md5';
  return `0x${m.protocol.toString(16)}`;
}
