// PAP packet codec, RFC 1334 §2.2: Authenticate-Request (Peer-ID, Password) and
// Authenticate-Ack/Nak (Message). Related: pap-authenticator.ts, pap-peer.ts.
import { put16, u8, u16 } from '../core/bytes.js';
import { L2tpUsageError } from '../core/engine.js';
import { latin1Text, utf8 } from './chap-packet.js';

/** RFC 1334 §2.2 PAP codes. */
export const PapCode = { AuthenticateRequest: 1, AuthenticateAck: 2, AuthenticateNak: 3 } as const;

/** A decoded Authenticate-Request; `peerId` and `password` are views into the packet. */
export interface PapRequest {
  readonly code: typeof PapCode.AuthenticateRequest;
  readonly identifier: number;
  readonly peerId: Uint8Array;
  readonly password: Uint8Array;
}

/** A decoded Authenticate-Ack or -Nak. */
export interface PapReply {
  readonly code: typeof PapCode.AuthenticateAck | typeof PapCode.AuthenticateNak;
  readonly identifier: number;
  readonly message: string;
}

/** Any PAP packet. */
export type PapPacket = PapRequest | PapReply;

const HEADER = 4;

/**
 * Decodes a PAP packet (PPP information field). Undefined for anything malformed (short, Length
 * out of range, a length octet past Length) or an unknown code. Ack/Nak without the Msg-Length
 * octet are accepted with an empty message, as pppd does. Never throws.
 */
export function decodePapPacket(packet: Uint8Array): PapPacket | undefined {
  if (packet.length < HEADER) return undefined;
  const code = u8(packet, 0);
  const identifier = u8(packet, 1);
  const length = u16(packet, 2);
  if (length < HEADER || length > packet.length) return undefined;
  switch (code) {
    case PapCode.AuthenticateRequest: {
      let at = HEADER;
      if (at + 1 > length) return undefined;
      const idLength = u8(packet, at++);
      if (at + idLength + 1 > length) return undefined;
      const peerId = packet.subarray(at, at + idLength);
      at += idLength;
      const pwLength = u8(packet, at++);
      if (at + pwLength > length) return undefined;
      return { code, identifier, peerId, password: packet.subarray(at, at + pwLength) };
    }
    case PapCode.AuthenticateAck:
    case PapCode.AuthenticateNak: {
      if (length === HEADER) return { code, identifier, message: '' };
      const msgLength = u8(packet, HEADER);
      if (HEADER + 1 + msgLength > length) return undefined;
      return { code, identifier, message: latin1Text(packet.subarray(HEADER + 1, HEADER + 1 + msgLength)) };
    }
    default:
      return undefined;
  }
}

/** Encodes an Authenticate-Request (RFC 1334 §2.2.1); strings are sent as UTF-8. Throws if a field exceeds 255 octets. */
export function encodePapRequest(
  identifier: number,
  peerId: Uint8Array | string,
  password: Uint8Array | string,
): Uint8Array {
  const id = typeof peerId === 'string' ? utf8(peerId) : peerId;
  const pw = typeof password === 'string' ? utf8(password) : password;
  // The message names the field, never its content: the password must not reach logs.
  if (id.length > 255) throw new L2tpUsageError('ERR_L2TP_PAP_FIELD', 'PAP Peer-ID longer than 255 octets');
  if (pw.length > 255) throw new L2tpUsageError('ERR_L2TP_PAP_FIELD', 'PAP password longer than 255 octets');
  const length = HEADER + 1 + id.length + 1 + pw.length;
  const out = header(PapCode.AuthenticateRequest, identifier, length);
  out[4] = id.length;
  out.set(id, 5);
  out[5 + id.length] = pw.length;
  out.set(pw, 6 + id.length);
  return out;
}

/** Encodes an Authenticate-Ack or -Nak with its message (RFC 1334 §2.2.2), message as Latin-1, ≤ 255 octets. */
export function encodePapReply(
  code: typeof PapCode.AuthenticateAck | typeof PapCode.AuthenticateNak,
  identifier: number,
  message: string,
): Uint8Array {
  const text = new Uint8Array(Math.min(message.length, 255));
  for (let i = 0; i < text.length; i++) {
    const c = message.charCodeAt(i);
    text[i] = c <= 0xff ? c : 0x3f;
  }
  const out = header(code, identifier, HEADER + 1 + text.length);
  out[4] = text.length;
  out.set(text, 5);
  return out;
}

function header(code: number, identifier: number, length: number): Uint8Array {
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw new L2tpUsageError('ERR_L2TP_PAP_IDENTIFIER', `identifier out of range: ${identifier}`);
  }
  const out = new Uint8Array(length);
  out[0] = code;
  out[1] = identifier;
  put16(out, 2, length);
  return out;
}
