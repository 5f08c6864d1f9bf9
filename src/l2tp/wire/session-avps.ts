// Codecs of the structured session-scope AVP values: PPP Disconnect Cause Code (RFC 3145 §3, AVP
// 46), Call Errors (RFC 2661 §4.4.6, AVP 34, in a WEN) and ACCM (§4.4.6, AVP 35, in an SLI).
// Related: session.ts (sends and reports them), format.ts (prints them).
import { u8, u16, u32 } from '../../core/bytes.js';
import { utf8Octets, utf8Text } from '../../core/text.js';

/** The value of the RFC 3145 PPP Disconnect Cause Code AVP (46); the PPP side's codes are ../../ppp/link-events.ts LinkDownCause. */
export interface DisconnectCauseAvp {
  readonly code: number;
  readonly protocol: number;
  /** CauseDirection: 0 global, 1 at the peer, 2 at the local side (RFC 3145 §3). */
  readonly direction: number;
  readonly message?: string;
}

/** RFC 3145 §3 Direction values. */
export const CauseDirection = { Global: 0, Peer: 1, Local: 2 } as const;

/** RFC 3145 §3.1 global Disconnect Cause Codes (Protocol Number 0). */
export const GlobalCause = {
  NoInformation: 0,
  AdministrativeDisconnect: 1,
  LcpRenegotiationDisabled: 2,
  NormalDisconnect: 3,
} as const;

/** RFC 2661 §6.14 Call Errors AVP counters (WEN). */
export interface CallErrors {
  readonly crcErrors: number;
  readonly framingErrors: number;
  readonly hardwareOverruns: number;
  readonly bufferOverruns: number;
  readonly timeoutErrors: number;
  readonly alignmentErrors: number;
}

/** §6.15 ACCM AVP: the PPP Async-Control-Character-Maps the LNS asks the LAC to use. */
export interface Accm {
  readonly sendAccm: number;
  readonly receiveAccm: number;
}

/** RFC 3145 §3: Code(2) Protocol(2) Direction(1) [Message]. */
export function encodeDisconnectCause(c: DisconnectCauseAvp): Uint8Array {
  const text = c.message === undefined ? new Uint8Array(0) : utf8Octets(c.message);
  const b = new Uint8Array(5 + text.length);
  b[0] = (c.code >>> 8) & 0xff;
  b[1] = c.code & 0xff;
  b[2] = (c.protocol >>> 8) & 0xff;
  b[3] = c.protocol & 0xff;
  b[4] = c.direction & 0xff;
  b.set(text, 5);
  return b;
}

/** RFC 3145 §3 value; undefined when shorter than the 5 fixed octets. */
export function decodeDisconnectCause(v: Uint8Array): DisconnectCauseAvp | undefined {
  if (v.length < 5) return undefined;
  const message = v.length > 5 ? utf8Text(v.subarray(5)) : undefined;
  return {
    code: u16(v, 0),
    protocol: u16(v, 2),
    direction: u8(v, 4),
    ...(message !== undefined ? { message } : {}),
  };
}

/** §4.4.6 Call Errors: Reserved(2), then six 32-bit counters; undefined when shorter than 26 octets. */
export function decodeCallErrors(v: Uint8Array): CallErrors | undefined {
  if (v.length < 26) return undefined;
  return {
    crcErrors: u32(v, 2),
    framingErrors: u32(v, 6),
    hardwareOverruns: u32(v, 10),
    bufferOverruns: u32(v, 14),
    timeoutErrors: u32(v, 18),
    alignmentErrors: u32(v, 22),
  };
}

/** §4.4.6 ACCM: Reserved(2), Send ACCM(4), Receive ACCM(4); undefined when shorter than 10 octets. */
export function decodeAccm(v: Uint8Array): Accm | undefined {
  if (v.length < 10) return undefined;
  return { sendAccm: u32(v, 2), receiveAccm: u32(v, 6) };
}
