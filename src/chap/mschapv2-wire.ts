// MS-CHAPv2 packet contents, RFC 2759 §3–§6: Challenge (Value-Size 16), Response (Value-Size 49),
// Success message "S=<40 hex> M=<text>" and Failure message "E= R= C= V= M=".
// Related: chap-packet.ts (the CHAP framing), mschapv2.ts (the computations).
import { fromHex, toHex } from '../core/bytes.js';
import { L2tpUsageError } from '../core/engine.js';
import { ChapCode, encodeChapChallengeOrResponse } from './chap-packet.js';

/** RFC 2759 §3: the authenticator's Challenge value is 16 octets. */
export const MSCHAPV2_CHALLENGE_SIZE = 16;
/** RFC 2759 §4: Response value = Peer-Challenge 16 ‖ Reserved 8 ‖ NT-Response 24 ‖ Flags 1. */
export const MSCHAPV2_RESPONSE_SIZE = 49;

// RFC 2759 §4 field offsets inside the 49-octet Response value.
const PEER_CHALLENGE = 0;
const RESERVED = 16;
const NT_RESPONSE = 24;
const FLAGS = 48;

/** The fields of an MS-CHAPv2 Response value. */
export interface MsChapV2ResponseValue {
  readonly peerChallenge: Uint8Array;
  readonly ntResponse: Uint8Array;
  /** RFC 2759 §4: "reserved for future use and MUST be zero". */
  readonly flags: number;
}

/** The parts of a Success message (RFC 2759 §5). */
export interface MsChapV2Success {
  /** The 20 octets behind the 40 hex digits of "S=". */
  readonly authenticatorResponse: Uint8Array;
  readonly message: string | undefined;
}

/** The parts of a Failure message (RFC 2759 §6). */
export interface MsChapV2Failure {
  /** E=: 691 authentication failure, 646 restricted hours, 647 disabled, 648 expired, 649 no dial-in, 709 change password. */
  readonly error: number;
  /** R=1: the peer may retry. */
  readonly retry: boolean;
  /** C=: the 16-octet challenge for a retry, when present. */
  readonly challenge: Uint8Array | undefined;
  /** V=: password-change protocol version, when present. */
  readonly version: number | undefined;
  readonly message: string | undefined;
}

/** Encodes an MS-CHAPv2 Challenge packet (RFC 2759 §3) with our `name`. */
export function encodeMsChapV2Challenge(
  identifier: number,
  challenge: Uint8Array,
  name: Uint8Array | string,
): Uint8Array {
  if (challenge.length !== MSCHAPV2_CHALLENGE_SIZE) {
    throw new L2tpUsageError('ERR_L2TP_MSCHAP_ARGUMENT', `challenge must be 16 octets, got ${challenge.length}`);
  }
  return encodeChapChallengeOrResponse(ChapCode.Challenge, identifier, challenge, name);
}

/** Encodes an MS-CHAPv2 Response packet (RFC 2759 §4): reserved octets zero, `flags` default 0. */
export function encodeMsChapV2Response(
  identifier: number,
  value: { readonly peerChallenge: Uint8Array; readonly ntResponse: Uint8Array; readonly flags?: number },
  name: Uint8Array | string,
): Uint8Array {
  if (value.peerChallenge.length !== 16 || value.ntResponse.length !== 24) {
    throw new L2tpUsageError('ERR_L2TP_MSCHAP_ARGUMENT', 'peer challenge must be 16 octets, NT-Response 24');
  }
  const v = new Uint8Array(MSCHAPV2_RESPONSE_SIZE);
  v.set(value.peerChallenge, PEER_CHALLENGE);
  v.set(value.ntResponse, NT_RESPONSE);
  v[FLAGS] = (value.flags ?? 0) & 0xff;
  return encodeChapChallengeOrResponse(ChapCode.Response, identifier, v, name);
}

/**
 * Splits a Response value into its fields (views); undefined unless it is exactly 49 octets.
 * Reserved octets are not checked: RFC 2759 §4 only says they MUST be sent as zero.
 */
export function decodeMsChapV2ResponseValue(value: Uint8Array): MsChapV2ResponseValue | undefined {
  if (value.length !== MSCHAPV2_RESPONSE_SIZE) return undefined;
  return {
    peerChallenge: value.subarray(PEER_CHALLENGE, RESERVED),
    ntResponse: value.subarray(NT_RESPONSE, FLAGS),
    flags: value[FLAGS]!,
  };
}

/** The Success message text: `authenticatorResponse` ("S=" + 40 hex) then " M=<message>" (RFC 2759 §5). */
export function formatMsChapV2Success(authenticatorResponse: string, message?: string): string {
  return message === undefined ? authenticatorResponse : `${authenticatorResponse} M=${message}`;
}

const SUCCESS = /^S=([0-9A-Fa-f]{40})(?: M=([\s\S]*))?$/;

/**
 * Parses a Success message: "S=" + 40 hex digits, then the end or " M=<text>" (RFC 2759 §5).
 * Undefined for anything else: a peer then cannot verify the authenticator and MUST not accept it.
 */
export function parseMsChapV2Success(text: string): MsChapV2Success | undefined {
  const m = SUCCESS.exec(text);
  if (m === null) return undefined;
  return { authenticatorResponse: fromHex(m[1]!), message: m[2] };
}

/** The Failure message text "E=<error> R=<0|1> C=<32 hex> V=<version> M=<text>" (RFC 2759 §6). */
export function formatMsChapV2Failure(f: {
  readonly error: number;
  readonly retry: boolean;
  readonly challenge?: Uint8Array;
  readonly version?: number;
  readonly message?: string;
}): string {
  let s = `E=${f.error} R=${f.retry ? 1 : 0}`;
  if (f.challenge !== undefined) {
    if (f.challenge.length !== MSCHAPV2_CHALLENGE_SIZE) {
      throw new L2tpUsageError('ERR_L2TP_MSCHAP_ARGUMENT', 'failure challenge must be 16 octets');
    }
    s += ` C=${toHex(f.challenge).toUpperCase()}`;
  }
  if (f.version !== undefined) s += ` V=${f.version}`;
  if (f.message !== undefined) s += ` M=${f.message}`;
  return s;
}

/**
 * Parses a Failure message (RFC 2759 §6). Fields before M= are space-separated key=value pairs;
 * M= runs to the end. Undefined when E= is missing or any field is malformed. Never throws.
 */
export function parseMsChapV2Failure(text: string): MsChapV2Failure | undefined {
  let head = text;
  let message: string | undefined;
  const mAt = text.startsWith('M=') ? 0 : text.indexOf(' M=');
  if (mAt >= 0) {
    head = text.slice(0, mAt);
    message = text.slice(mAt === 0 ? 2 : mAt + 3);
  }
  let error: number | undefined;
  let retry = false;
  let challenge: Uint8Array | undefined;
  let version: number | undefined;
  for (const field of head.split(' ')) {
    if (field === '') continue;
    const key = field.slice(0, 2);
    const value = field.slice(2);
    if (key === 'E=' && /^\d{1,10}$/.test(value)) error = Number(value);
    else if (key === 'R=' && /^[01]$/.test(value)) retry = value === '1';
    else if (key === 'C=' && /^[0-9A-Fa-f]{32}$/.test(value)) challenge = fromHex(value);
    else if (key === 'V=' && /^\d{1,10}$/.test(value)) version = Number(value);
    else return undefined;
  }
  if (error === undefined) return undefined;
  return { error, retry, challenge, version, message };
}
