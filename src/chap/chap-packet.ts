// CHAP packet codec, RFC 1994 §4: Challenge/Response (Value-Size, Value, Name) and Success/Failure
// (Message). Shared by CHAP-MD5 and MS-CHAPv2 (RFC 2759 §3–§6 use the same layout).
// Related: mschapv2-wire.ts, chap-md5.ts, authenticator.ts.
import { put16, u8, u16 } from '../core/bytes.js';
import { L2tpUsageError } from '../core/engine.js';
import { utf8Octets, utf8Text } from '../core/text.js';

/** RFC 1994 §4 CHAP codes. */
export const ChapCode = { Challenge: 1, Response: 2, Success: 3, Failure: 4 } as const;

/** A decoded Challenge or Response; `value` and `name` are views into the packet. */
export interface ChapChallengeOrResponse {
  readonly code: typeof ChapCode.Challenge | typeof ChapCode.Response;
  readonly identifier: number;
  readonly value: Uint8Array;
  readonly name: Uint8Array;
}

/** A decoded Success or Failure; `message` is a view into the packet. */
export interface ChapStatus {
  readonly code: typeof ChapCode.Success | typeof ChapCode.Failure;
  readonly identifier: number;
  readonly message: Uint8Array;
}

/** Any CHAP packet this module understands. */
export type ChapPacket = ChapChallengeOrResponse | ChapStatus;

const HEADER = 4; // Code, Identifier, Length (RFC 1994 §4)

/**
 * Decodes a CHAP packet (the PPP information field). Returns undefined for anything malformed
 * (short, Length < 4 or past the end, Value-Size 0 or past Length) or with an unknown code;
 * octets past Length are padding (RFC 1661 §5) and are ignored. Never throws.
 */
export function decodeChapPacket(packet: Uint8Array): ChapPacket | undefined {
  if (packet.length < HEADER) return undefined;
  const code = u8(packet, 0);
  const identifier = u8(packet, 1);
  const length = u16(packet, 2);
  if (length < HEADER || length > packet.length) return undefined;
  switch (code) {
    case ChapCode.Challenge:
    case ChapCode.Response: {
      if (length < HEADER + 1) return undefined;
      const valueSize = u8(packet, HEADER);
      // RFC 1994 §4.1: "The Value field is one or more octets".
      if (valueSize === 0 || HEADER + 1 + valueSize > length) return undefined;
      const valueEnd = HEADER + 1 + valueSize;
      return {
        code,
        identifier,
        value: packet.subarray(HEADER + 1, valueEnd),
        name: packet.subarray(valueEnd, length),
      };
    }
    case ChapCode.Success:
    case ChapCode.Failure:
      return { code, identifier, message: packet.subarray(HEADER, length) };
    default:
      return undefined;
  }
}

/** Encodes a Challenge or Response (RFC 1994 §4.1). Throws L2tpUsageError when it cannot fit. */
export function encodeChapChallengeOrResponse(
  code: typeof ChapCode.Challenge | typeof ChapCode.Response,
  identifier: number,
  value: Uint8Array,
  name: Uint8Array | string,
): Uint8Array {
  const nameOctets = typeof name === 'string' ? utf8(name) : name;
  if (value.length < 1 || value.length > 255) {
    throw new L2tpUsageError('ERR_L2TP_CHAP_VALUE', `CHAP value must be 1..255 octets, got ${value.length}`);
  }
  const length = HEADER + 1 + value.length + nameOctets.length;
  checkHeader(identifier, length);
  const out = new Uint8Array(length);
  out[0] = code;
  out[1] = identifier;
  put16(out, 2, length);
  out[4] = value.length;
  out.set(value, 5);
  out.set(nameOctets, 5 + value.length);
  return out;
}

/** Encodes a Success or Failure with its Message (RFC 1994 §4.2). The message string is sent as Latin-1/ASCII. */
export function encodeChapStatus(
  code: typeof ChapCode.Success | typeof ChapCode.Failure,
  identifier: number,
  message: string,
): Uint8Array {
  const text = latin1Octets(message);
  const length = HEADER + text.length;
  checkHeader(identifier, length);
  const out = new Uint8Array(length);
  out[0] = code;
  out[1] = identifier;
  put16(out, 2, length);
  out.set(text, HEADER);
  return out;
}

/** Octets as a Latin-1 string (one char per octet): lossless for the ASCII messages of RFC 2759. */
export function latin1Text(octets: Uint8Array): string {
  let s = '';
  for (let i = 0; i < octets.length; i++) s += String.fromCharCode(octets[i]!);
  return s;
}

/** A CHAP/PAP name as a string (UTF-8, invalid sequences replaced); the octets stay authoritative. */
export function nameText(octets: Uint8Array): string {
  return utf8Text(octets);
}

/** UTF-8 octets of `s`. */
export function utf8(s: string): Uint8Array {
  return utf8Octets(s);
}

function latin1Octets(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c <= 0xff ? c : 0x3f; // '?' for what Latin-1 cannot carry
  }
  return out;
}

function checkHeader(identifier: number, length: number): void {
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw new L2tpUsageError('ERR_L2TP_CHAP_IDENTIFIER', `identifier out of range: ${identifier}`);
  }
  if (length > 0xffff) throw new L2tpUsageError('ERR_L2TP_CHAP_LENGTH', `packet too long: ${length}`);
}
