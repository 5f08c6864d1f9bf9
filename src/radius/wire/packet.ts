// RADIUS packets as values: the generic decoder and encoder, faults as plain frozen values.
// RFC 2865 §3 (header, Length), §5 (attribute framing), §5.26 (Vendor-Specific), RFC 3579 §3.2.
//  0               1               2               3
// |     Code      |  Identifier   |            Length             |
// |                   Authenticator (16 octets)                   |
// |  Type  | Length |  Value …   (attributes to Length)            |
// Related: dictionary.ts (data), authenticators.ts (signing, hiding), values.ts (typed values).
import { put16, u16, u32 } from '../../core/bytes.js';
import { L2tpUsageError } from '../../core/engine.js';
import { Attr, attributeSpec, CODES, isValidValueLength } from './dictionary.js';

/** RFC 2865 §3: Code, Identifier, Length and the 16-octet Authenticator. */
export const HEADER_LENGTH = 20;
/** RFC 2865 §3: "The minimum length is 20 and maximum length is 4096." */
export const MAX_PACKET_LENGTH = 4096;
/** Octets of the Authenticator field (and of a Message-Authenticator value). */
export const AUTHENTICATOR_LENGTH = 16;
/** RFC 2865 §5: Type and Length octets before a value. */
export const ATTRIBUTE_HEADER_LENGTH = 2;
/** RFC 2865 §5: Length is one octet, so a value is at most 253 octets. */
export const MAX_VALUE_LENGTH = 253;
/** RFC 2865 §5.26: Type, Length, Vendor-Id (4), Vendor type, Vendor length before a vendor value. */
export const VSA_HEADER_LENGTH = 8;
/** A vendor value fits the 253 octets of a Vendor-Specific value less Vendor-Id, type and length. */
export const MAX_VENDOR_VALUE_LENGTH = MAX_VALUE_LENGTH - 6;

/**
 * One attribute as a value. `vendorId` 0 is a standard attribute; otherwise it is one vendor attribute
 * of a Vendor-Specific (26) attribute, `type` being the vendor type. A Vendor-Specific attribute whose
 * contents are not in the RFC 2865 §5.26 recommended format stays `{ vendorId: 0, type: 26 }`.
 * Decoded values are subarrays of the input (no copy).
 */
export interface RadiusAttribute {
  readonly vendorId: number;
  readonly type: number;
  readonly value: Uint8Array;
}

/** A packet: its header fields and attributes in wire order. */
export interface RadiusPacket {
  readonly code: number;
  readonly identifier: number;
  /** The Authenticator field as received (or, to encode an Access-Request, its Request Authenticator). */
  readonly authenticator: Uint8Array;
  readonly attributes: readonly RadiusAttribute[];
}

/** A decoded packet plus where its Message-Authenticator value sits in the input (for verification). */
export interface DecodedPacket extends RadiusPacket {
  /** Offset in the decoded bytes of the Message-Authenticator value; undefined when absent. */
  readonly messageAuthenticatorAt?: number;
  /** The Length field: octets past it are padding and are neither signed nor decoded (§3). */
  readonly length: number;
}

/** Why a datagram was refused. Stable kebab-case strings: they become counter and log labels. */
export type FaultCode =
  | 'packet-truncated' // shorter than the 20-octet header, or than its Length field (§3: silently discard)
  | 'bad-length' // Length field < 20 or > 4096 (§3)
  | 'attribute-bad-length' // attribute Length < 2 or past the packet's Length (§5)
  | 'bad-message-authenticator-length' // Message-Authenticator not 16 octets, or twice (RFC 3579 §3.2)
  | 'unknown-code' // a Code the dictionary does not name
  | 'bad-response-authenticator' // RFC 2865 §3: Response Authenticator does not match
  | 'bad-request-authenticator' // RFC 2866 §3, RFC 5176 §2.3: Request Authenticator does not match
  | 'missing-message-authenticator' // a reply without one (CVE-2024-3596 / BlastRADIUS)
  | 'bad-message-authenticator'; // RFC 3579 §3.2: HMAC-MD5 does not match

/** A refusal: a plain frozen value (a flood of bad datagrams allocates no Error). */
export interface Fault {
  readonly code: FaultCode;
  /** Offset in the datagram where decoding stopped, when it is about framing. */
  readonly offset?: number;
}

/** A decode result: the value, or the fault that refused it. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly fault: Fault };

const frozen = new Map<FaultCode, { readonly ok: false; readonly fault: Fault }>();

/** The shared frozen failure of `code` (no offset). */
export function failure(code: FaultCode): { readonly ok: false; readonly fault: Fault } {
  let f = frozen.get(code);
  if (f === undefined) {
    f = Object.freeze({ ok: false as const, fault: Object.freeze({ code }) });
    frozen.set(code, f);
  }
  return f;
}

function failureAt(code: FaultCode, offset: number): { readonly ok: false; readonly fault: Fault } {
  return Object.freeze({ ok: false as const, fault: Object.freeze({ code, offset }) });
}

/**
 * Decodes one datagram. Never throws and never reads past `bytes`. The cursor steps by each declared
 * attribute Length before judging it; unknown attributes and known ones of a wrong value length are
 * kept as raw values (typed accessors refuse them; RFC 6929 §2.8 "invalid attributes"), but framing
 * errors and a malformed Message-Authenticator refuse the whole packet (§3, RFC 3579 §3.2).
 */
export function decodePacket(bytes: Uint8Array): Decoded<DecodedPacket> {
  if (bytes.length < HEADER_LENGTH) return failure('packet-truncated');
  const length = u16(bytes, 2);
  if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH) return failure('bad-length');
  // §3: "If the packet is shorter than the Length field indicates, it MUST be silently discarded."
  // Octets beyond Length "MUST be treated as padding and ignored".
  if (length > bytes.length) return failure('packet-truncated');
  const code = bytes[0]!;
  if (!CODES.has(code)) return failure('unknown-code');
  const attributes: RadiusAttribute[] = [];
  let messageAuthenticatorAt: number | undefined;
  let at = HEADER_LENGTH;
  while (at < length) {
    if (at + ATTRIBUTE_HEADER_LENGTH > length) return failureAt('attribute-bad-length', at);
    const type = bytes[at]!;
    const attrLength = bytes[at + 1]!;
    if (attrLength < ATTRIBUTE_HEADER_LENGTH || at + attrLength > length) return failureAt('attribute-bad-length', at);
    const valueAt = at + ATTRIBUTE_HEADER_LENGTH;
    const end = at + attrLength;
    at = end; // step by the declared length, understood or not
    if (type === Attr.MessageAuthenticator) {
      if (end - valueAt !== AUTHENTICATOR_LENGTH || messageAuthenticatorAt !== undefined) {
        return failureAt('bad-message-authenticator-length', valueAt - ATTRIBUTE_HEADER_LENGTH);
      }
      messageAuthenticatorAt = valueAt;
    }
    if (type === Attr.VendorSpecific && pushVendorAttributes(bytes, valueAt, end, attributes)) continue;
    attributes.push({ vendorId: 0, type, value: bytes.subarray(valueAt, end) });
  }
  return {
    ok: true,
    value: {
      code,
      identifier: bytes[1]!,
      authenticator: bytes.subarray(4, HEADER_LENGTH),
      attributes,
      length,
      ...(messageAuthenticatorAt === undefined ? {} : { messageAuthenticatorAt }),
    },
  };
}

/**
 * §5.26: Vendor-Id (4 octets, high octet 0) then vendor attributes `type(1) length(1) value`. Pushes
 * them and returns true when the whole value parses that way; otherwise pushes nothing (the caller
 * keeps the raw attribute 26: a vendor format we do not know is not malformed).
 */
function pushVendorAttributes(b: Uint8Array, at: number, end: number, out: RadiusAttribute[]): boolean {
  if (end - at < 4 + ATTRIBUTE_HEADER_LENGTH || b[at] !== 0) return false;
  const vendorId = u32(b, at);
  let p = at + 4;
  while (p < end) {
    if (p + ATTRIBUTE_HEADER_LENGTH > end) return false;
    const l = b[p + 1]!;
    if (l < ATTRIBUTE_HEADER_LENGTH || p + l > end) return false;
    p += l;
  }
  for (p = at + 4; p < end; p += b[p + 1]!) {
    out.push({ vendorId, type: b[p]!, value: b.subarray(p + ATTRIBUTE_HEADER_LENGTH, p + b[p + 1]!) });
  }
  return true;
}

/** Octets one attribute takes on the wire (a vendor attribute travels in its own Vendor-Specific). */
export function encodedLengthAttribute(a: RadiusAttribute): number {
  return (a.vendorId === 0 ? ATTRIBUTE_HEADER_LENGTH : VSA_HEADER_LENGTH) + a.value.length;
}

/** Octets the attributes take, plus 18 for a Message-Authenticator when `addMessageAuthenticator`. */
export function encodedLengthPacket(p: RadiusPacket, addMessageAuthenticator = false): number {
  let n = HEADER_LENGTH;
  for (const a of p.attributes) n += encodedLengthAttribute(a);
  return addMessageAuthenticator ? n + ATTRIBUTE_HEADER_LENGTH + AUTHENTICATOR_LENGTH : n;
}

/**
 * Writes the packet unsigned: header with `authenticator` as given, a zeroed Message-Authenticator
 * first when `addMessageAuthenticator` (the BlastRADIUS mitigation puts it first, so no attacker-chosen
 * octets precede it), then the attributes. Returns the bytes and the offset of the Message-Authenticator
 * value (undefined when there is none). Throws L2tpUsageError on local misuse (sizes, ranges).
 * authenticators.ts signs the result; most callers want its `encodeRequest`/`encodeResponse`.
 */
export function writePacket(
  p: RadiusPacket,
  authenticator: Uint8Array,
  addMessageAuthenticator: boolean,
): { readonly bytes: Uint8Array; readonly messageAuthenticatorAt?: number } {
  if ((p.code & 0xff) !== p.code || (p.identifier & 0xff) !== p.identifier) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_HEADER', `bad code/identifier ${p.code}/${p.identifier}`);
  }
  if (authenticator.length !== AUTHENTICATOR_LENGTH) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_AUTHENTICATOR', `authenticator of ${authenticator.length} octets`);
  }
  const length = encodedLengthPacket(p, addMessageAuthenticator);
  if (length > MAX_PACKET_LENGTH) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_TOO_LONG', `packet of ${length} octets (max ${MAX_PACKET_LENGTH})`);
  }
  const out = new Uint8Array(length);
  out[0] = p.code;
  out[1] = p.identifier;
  put16(out, 2, length);
  out.set(authenticator, 4);
  let at = HEADER_LENGTH;
  let messageAuthenticatorAt: number | undefined;
  if (addMessageAuthenticator) {
    out[at] = Attr.MessageAuthenticator;
    out[at + 1] = ATTRIBUTE_HEADER_LENGTH + AUTHENTICATOR_LENGTH;
    messageAuthenticatorAt = at + ATTRIBUTE_HEADER_LENGTH;
    at += ATTRIBUTE_HEADER_LENGTH + AUTHENTICATOR_LENGTH;
  }
  for (const a of p.attributes) {
    at = writeAttribute(out, at, a);
    if (a.vendorId === 0 && a.type === Attr.MessageAuthenticator) {
      if (messageAuthenticatorAt !== undefined || a.value.length !== AUTHENTICATOR_LENGTH) {
        throw new L2tpUsageError('ERR_L2TP_RADIUS_MESSAGE_AUTHENTICATOR', 'one 16-octet Message-Authenticator at most');
      }
      messageAuthenticatorAt = at - AUTHENTICATOR_LENGTH;
    }
  }
  return messageAuthenticatorAt === undefined ? { bytes: out } : { bytes: out, messageAuthenticatorAt };
}

function writeAttribute(out: Uint8Array, at: number, a: RadiusAttribute): number {
  const v = a.value;
  if ((a.type & 0xff) !== a.type) throw new L2tpUsageError('ERR_L2TP_RADIUS_ATTRIBUTE', `bad type ${a.type}`);
  if (a.vendorId === 0) {
    if (v.length > MAX_VALUE_LENGTH) {
      throw new L2tpUsageError('ERR_L2TP_RADIUS_ATTRIBUTE', `attribute ${a.type}: ${v.length} octets (max 253)`);
    }
    out[at] = a.type;
    out[at + 1] = ATTRIBUTE_HEADER_LENGTH + v.length;
    out.set(v, at + ATTRIBUTE_HEADER_LENGTH);
    return at + ATTRIBUTE_HEADER_LENGTH + v.length;
  }
  if (!Number.isInteger(a.vendorId) || a.vendorId < 0 || a.vendorId > 0xffffff) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_ATTRIBUTE', `bad Vendor-Id ${a.vendorId}`);
  }
  if (v.length > MAX_VENDOR_VALUE_LENGTH) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_ATTRIBUTE', `vendor attribute ${a.type}: ${v.length} octets (max 247)`);
  }
  out[at] = Attr.VendorSpecific;
  out[at + 1] = VSA_HEADER_LENGTH + v.length;
  out[at + 2] = 0; // §5.26: "The high-order octet is 0"
  out[at + 3] = (a.vendorId >>> 16) & 0xff;
  out[at + 4] = (a.vendorId >>> 8) & 0xff;
  out[at + 5] = a.vendorId & 0xff;
  out[at + 6] = a.type;
  out[at + 7] = ATTRIBUTE_HEADER_LENGTH + v.length;
  out.set(v, at + VSA_HEADER_LENGTH);
  return at + VSA_HEADER_LENGTH + v.length;
}

/** True when the dictionary names (vendorId, type) and `value` has a length its kind allows. */
export function isWellFormed(a: RadiusAttribute): boolean {
  const spec = attributeSpec(a.vendorId, a.type);
  return spec !== undefined && isValidValueLength(spec, a.value.length);
}
