// Everything a shared secret signs or hides: Request/Response Authenticators (RFC 2865 §3, RFC 2866 §3,
// RFC 5176 §2.3), Message-Authenticator (RFC 3579 §3.2, HMAC-MD5), User-Password (RFC 2865 §5.2),
// CHAP-Password (§5.3). Related: packet.ts (framing), dictionary.ts (CODES: which authenticator a code uses).
//
// Order of signing (RFC 3579 §3.2 with RFC 2865 §3): the Message-Authenticator is computed first,
// over the packet with its own value zeroed and the Authenticator field set to the Request
// Authenticator (Access-Request; and in a reply, the request's) or to zeros (Accounting-Request,
// Disconnect-/CoA-Request); the MD5 Authenticator of the other codes is computed last, over the packet
// that already carries the Message-Authenticator.
import { createHash, createHmac } from 'node:crypto';
import { equalConstantTime } from '../../core/bytes.js';
import { L2tpUsageError } from '../../core/engine.js';
import { Attr, CODES } from './dictionary.js';
import {
  AUTHENTICATOR_LENGTH,
  type DecodedPacket,
  type FaultCode,
  HEADER_LENGTH,
  type RadiusAttribute,
  type RadiusPacket,
  writePacket,
} from './packet.js';

const ZERO16 = new Uint8Array(AUTHENTICATOR_LENGTH);
const utf8 = new TextEncoder();

/** A shared secret as octets; a string is taken as UTF-8 (radcli and FreeRADIUS read it as bytes). */
export type Secret = Uint8Array | string;
const secretBytes = (s: Secret): Uint8Array => (typeof s === 'string' ? utf8.encode(s) : s);

/** MD5(header ‖ `vector` in place of the Authenticator ‖ attributes ‖ secret) over `bytes[0, length)`. */
function md5Authenticator(bytes: Uint8Array, length: number, vector: Uint8Array, secret: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('md5')
      .update(bytes.subarray(0, 4))
      .update(vector)
      .update(bytes.subarray(HEADER_LENGTH, length))
      .update(secret)
      .digest(),
  );
}

/** RFC 3579 §3.2: HMAC-MD5 keyed by the secret over the packet, Authenticator = `vector`, value at `at` zeroed. */
function hmacMessageAuthenticator(
  bytes: Uint8Array,
  length: number,
  at: number,
  vector: Uint8Array,
  secret: Uint8Array,
): Uint8Array {
  return new Uint8Array(
    createHmac('md5', secret)
      .update(bytes.subarray(0, 4))
      .update(vector)
      .update(bytes.subarray(HEADER_LENGTH, at))
      .update(ZERO16)
      .update(bytes.subarray(at + AUTHENTICATOR_LENGTH, length))
      .digest(),
  );
}

/**
 * The vector a Message-Authenticator is computed with. Requests: their own Request Authenticator when
 * it is random (Access-Request, Status-Server), zeros otherwise (RFC 3579 §3.2, RFC 5176 §3.4).
 * Replies: the request's Authenticator (RFC 3579 §3.2 for Access-*, RFC 5176 §3.4 for DAE replies).
 * FreeRADIUS signs an Accounting-Response with zeros instead (rad_sign); see verifyReply.
 */
function requestVector(code: number, authenticator: Uint8Array): Uint8Array {
  return CODES.get(code)?.authenticator === 'random' ? authenticator : ZERO16;
}

/** Options for encodeRequest. */
export interface EncodeRequestOptions {
  /** Add a Message-Authenticator (first attribute). Default true: every request is signed. */
  readonly messageAuthenticator?: boolean;
}

/**
 * Encodes and signs a request. Access-Request / Status-Server: `p.authenticator` is the caller's random
 * Request Authenticator (RFC 2865 §3: "unpredictable and unique"), used as is. Accounting-, Disconnect-
 * and CoA-Request: the Authenticator is computed (RFC 2866 §3, RFC 5176 §2.3); `p.authenticator` is ignored.
 */
export function encodeRequest(p: RadiusPacket, secret: Secret, opts?: EncodeRequestOptions): Uint8Array {
  const spec = CODES.get(p.code);
  if (spec === undefined || spec.authenticator === 'response-md5') {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_CODE', `code ${p.code} is not a request`);
  }
  const key = secretBytes(secret);
  const random = spec.authenticator === 'random';
  const { bytes, messageAuthenticatorAt } = writePacket(
    p,
    random ? p.authenticator : ZERO16,
    opts?.messageAuthenticator ?? true,
  );
  if (messageAuthenticatorAt !== undefined) {
    const vector = random ? p.authenticator : ZERO16;
    bytes.set(
      hmacMessageAuthenticator(bytes, bytes.length, messageAuthenticatorAt, vector, key),
      messageAuthenticatorAt,
    );
  }
  if (!random) bytes.set(md5Authenticator(bytes, bytes.length, ZERO16, key), 4);
  return bytes;
}

/** Options for encodeResponse (the server side: DAE replies, and test servers). */
export interface EncodeResponseOptions {
  /** Add a Message-Authenticator (first attribute). Default true. */
  readonly messageAuthenticator?: boolean;
  /** Vector of the Message-Authenticator; default the request's Authenticator. Tests use it to mimic servers. */
  readonly messageAuthenticatorVector?: Uint8Array;
}

/** Encodes and signs a reply to the request whose Authenticator was `requestAuthenticator` (RFC 2865 §3). */
export function encodeResponse(
  p: Omit<RadiusPacket, 'authenticator'>,
  requestAuthenticator: Uint8Array,
  secret: Secret,
  opts?: EncodeResponseOptions,
): Uint8Array {
  if (CODES.get(p.code)?.authenticator !== 'response-md5') {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_CODE', `code ${p.code} is not a reply`);
  }
  const key = secretBytes(secret);
  const { bytes, messageAuthenticatorAt } = writePacket(
    { ...p, authenticator: requestAuthenticator },
    requestAuthenticator,
    opts?.messageAuthenticator ?? true,
  );
  if (messageAuthenticatorAt !== undefined) {
    const vector = opts?.messageAuthenticatorVector ?? requestAuthenticator;
    bytes.set(
      hmacMessageAuthenticator(bytes, bytes.length, messageAuthenticatorAt, vector, key),
      messageAuthenticatorAt,
    );
  }
  bytes.set(md5Authenticator(bytes, bytes.length, requestAuthenticator, key), 4);
  return bytes;
}

/** Options for verifyReply. */
export interface VerifyReplyOptions {
  /**
   * Accept a reply without a Message-Authenticator (CVE-2024-3596 / BlastRADIUS). Default false:
   * only for old servers that cannot sign (FreeRADIUS < 3.2.5 without the `update reply` workaround).
   */
  readonly acceptUnsigned?: boolean;
}

/**
 * Checks a decoded reply against the request it answers: the Response Authenticator (RFC 2865 §3), then
 * the Message-Authenticator (RFC 3579 §3.2), which is required unless `acceptUnsigned`. Access-* and
 * DAE replies are signed with the request's Authenticator; an Accounting-Response is accepted signed
 * either way (FreeRADIUS 3.2 uses zeros there, RFC 3579 does not say), both being keyed by the secret.
 * Returns the fault, or undefined when the reply is authentic. `bytes` are the datagram `p` came from.
 */
export function verifyReply(
  bytes: Uint8Array,
  p: DecodedPacket,
  requestAuthenticator: Uint8Array,
  secret: Secret,
  opts?: VerifyReplyOptions,
): FaultCode | undefined {
  const key = secretBytes(secret);
  if (!equalConstantTime(md5Authenticator(bytes, p.length, requestAuthenticator, key), p.authenticator)) {
    return 'bad-response-authenticator';
  }
  const at = p.messageAuthenticatorAt;
  if (at === undefined) return opts?.acceptUnsigned === true ? undefined : 'missing-message-authenticator';
  const got = bytes.subarray(at, at + AUTHENTICATOR_LENGTH);
  if (equalConstantTime(hmacMessageAuthenticator(bytes, p.length, at, requestAuthenticator, key), got))
    return undefined;
  if (p.code === 5 && equalConstantTime(hmacMessageAuthenticator(bytes, p.length, at, ZERO16, key), got)) {
    return undefined;
  }
  return 'bad-message-authenticator';
}

/** Options for verifyRequest. */
export interface VerifyRequestOptions {
  /** Refuse a request without a Message-Authenticator (RFC 5176 §3.4 DAE, BlastRADIUS). Default true. */
  readonly requireMessageAuthenticator?: boolean;
}

/**
 * Checks a decoded request (the server side: DAE on the LNS, test servers): the computed Request
 * Authenticator of Accounting/Disconnect/CoA (RFC 2866 §3, RFC 5176 §2.3) and the Message-Authenticator.
 */
export function verifyRequest(
  bytes: Uint8Array,
  p: DecodedPacket,
  secret: Secret,
  opts?: VerifyRequestOptions,
): FaultCode | undefined {
  const spec = CODES.get(p.code);
  if (spec === undefined || spec.authenticator === 'response-md5') return 'unknown-code';
  const key = secretBytes(secret);
  if (
    spec.authenticator === 'request-md5' &&
    !equalConstantTime(md5Authenticator(bytes, p.length, ZERO16, key), p.authenticator)
  ) {
    return 'bad-request-authenticator';
  }
  const at = p.messageAuthenticatorAt;
  if (at === undefined)
    return (opts?.requireMessageAuthenticator ?? true) ? 'missing-message-authenticator' : undefined;
  const expected = hmacMessageAuthenticator(bytes, p.length, at, requestVector(p.code, p.authenticator), key);
  return equalConstantTime(expected, bytes.subarray(at, at + AUTHENTICATOR_LENGTH))
    ? undefined
    : 'bad-message-authenticator';
}

/** RFC 2865 §5.2: a password is padded with NULs to a multiple of 16 octets, at most 128. */
export const MAX_PASSWORD_LENGTH = 128;

/**
 * RFC 2865 §5.2 User-Password hiding: p padded to 16·n; c(1) = p1 XOR MD5(S ‖ RA),
 * c(i) = p(i) XOR MD5(S ‖ c(i-1)). Throws L2tpUsageError for a password over 128 octets.
 */
export function hideUserPassword(
  password: Uint8Array | string,
  secret: Secret,
  requestAuthenticator: Uint8Array,
): Uint8Array {
  const p = typeof password === 'string' ? utf8.encode(password) : password;
  if (p.length > MAX_PASSWORD_LENGTH) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_PASSWORD', `password of ${p.length} octets (max 128)`);
  }
  const key = secretBytes(secret);
  const out = new Uint8Array(Math.max(16, Math.ceil(p.length / 16) * 16));
  out.set(p);
  let previous = requestAuthenticator;
  for (let i = 0; i < out.length; i += 16) {
    const b = createHash('md5').update(key).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = out[i + j]! ^ b[j]!;
    previous = out.subarray(i, i + 16);
  }
  return out;
}

/** The reverse of hideUserPassword, trailing NULs removed; undefined unless 16..128 octets in steps of 16. */
export function unhideUserPassword(
  hidden: Uint8Array,
  secret: Secret,
  requestAuthenticator: Uint8Array,
): Uint8Array | undefined {
  if (hidden.length < 16 || hidden.length > MAX_PASSWORD_LENGTH || hidden.length % 16 !== 0) return undefined;
  const key = secretBytes(secret);
  const out = new Uint8Array(hidden.length);
  let previous = requestAuthenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    const b = createHash('md5').update(key).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = hidden[i + j]! ^ b[j]!;
    previous = hidden.subarray(i, i + 16);
  }
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return out.subarray(0, end);
}

/** RFC 2865 §5.3 CHAP-Password: the CHAP Identifier followed by the 16-octet Response. */
export function chapPasswordAttribute(chapIdentifier: number, response: Uint8Array): RadiusAttribute {
  if ((chapIdentifier & 0xff) !== chapIdentifier || response.length !== 16) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_CHAP', 'CHAP-Password needs an identifier 0..255 and 16 octets');
  }
  const value = new Uint8Array(17);
  value[0] = chapIdentifier;
  value.set(response, 1);
  return { vendorId: 0, type: Attr.ChapPassword, value };
}
