// L2TPv2 control messages as values: the generic decoder/encoder driven by the catalogues, faults as
// plain frozen values, accessors and builders. RFC 2661 §3.2, §4.1 (M bit, reserved bits), §4.3, §6.
// Related: avp.ts (cursor), avp-catalogue.ts + message-catalogue.ts (data), result-codes.ts (FAULT_REPLY).
import { put16, u16, u32 } from '../../core/bytes.js';
import { L2tpUsageError } from '../../core/engine.js';
import type { Random } from '../../core/random.js';
import { AVP_H, AVP_HEADER_LENGTH, AVP_M, AvpCursor } from './avp.js';
import { AVPS, type AvpSpec, AvpType, isValidAvpValueLength, MAX_AVP_VALUE_LENGTH } from './avp-catalogue.js';
import { CONTROL_HEADER_LENGTH, writeControlHeader } from './header.js';
import { hideAvpValue, unhideAvpValue } from './hidden-avp.js';
import { MESSAGES } from './message-catalogue.js';

export { AVP_HEADER_LENGTH, AvpCursor } from './avp.js';

/**
 * One AVP as a value. `value` is the clear value (unhidden when `hidden`); `mandatory`/`hidden` are the
 * M/H bits as received or to send. `padding` (hidden AVPs only) is the §4.3 padding as received, so
 * re-encoding with the same Random Vector reproduces the captured octets. For non-hidden AVPs `value`
 * is a subarray of the decoded input (no copy): do not mutate the input while the message is in use.
 */
export interface RawAvp {
  readonly vendorId: number;
  readonly type: number;
  readonly mandatory: boolean;
  readonly hidden: boolean;
  readonly value: Uint8Array;
  readonly padding?: Uint8Array;
}

/** A control message: its Message Type and its other AVPs in wire order (the Message Type AVP excluded). */
export interface ControlMessage {
  readonly type: number;
  readonly avps: readonly RawAvp[];
  /** The Message Type AVP's M bit (§4.4.1); absent means 1, as RFC 2661 sends every type. */
  readonly messageTypeMandatory?: boolean;
}

/** Why a control message was refused. Stable kebab-case strings: they become counter and log labels. */
export type FaultCode =
  | 'avp-truncated' // fewer than 6 octets left for an AVP header (§4.1)
  | 'avp-bad-length' // AVP Length < 6 or past the end of the message (§4.1)
  | 'missing-message-type' // empty body, or the first AVP is not the Message Type (§4.4.1)
  | 'bad-message-type' // Message Type AVP of the wrong size, hidden or with reserved bits set
  | 'unknown-message-type' // §3.2/§4.4.1: scope 'tunnel' when its M bit is 1, 'drop' when 0
  | 'unknown-mandatory-avp' // §4.1: unrecognized (or reserved bits set) with M=1
  | 'missing-avp' // a §6 required AVP is absent
  | 'avp-bad-value-length' // a recognized M=1 AVP whose value length the catalogue forbids
  | 'hidden-avp-without-secret' // M=1 hidden AVP and no shared secret configured (§4.3)
  | 'hidden-avp-without-random-vector' // M=1 hidden AVP with no Random Vector AVP before it (§4.3)
  | 'hidden-avp-bad-length'; // M=1 hidden AVP whose Length of Original Value does not fit (§4.3)

/**
 * Why a message was refused and what it takes down: `tunnel` (answer StopCCN), `session` (answer CDN)
 * or `drop` (discard silently). A plain frozen value: a flood of bad packets allocates no Error.
 */
export interface Fault {
  readonly code: FaultCode;
  readonly scope: 'tunnel' | 'session' | 'drop';
  readonly avpType?: number;
  readonly message?: string;
}

/** A decode result: the value, or the fault that refused it. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly fault: Fault };

/** Options for decoding. `secret` is the tunnel's shared secret, needed to unhide H=1 AVPs. */
export interface DecodeOptions {
  readonly secret?: Uint8Array;
}

/** Options for encoding: `secret` hides H=1 AVPs; `random` supplies a Random Vector when none precedes them. */
export interface EncodeOptions {
  readonly secret?: Uint8Array;
  readonly random?: Random;
}

const staticFaults = new Map<string, { readonly ok: false; readonly fault: Fault }>();

/** A frozen failure; those without an AVP type are allocated once and reused. */
function failure(
  code: FaultCode,
  scope: Fault['scope'],
  avpType?: number,
): { readonly ok: false; readonly fault: Fault } {
  if (avpType === undefined) {
    const key = `${code}/${scope}`;
    let f = staticFaults.get(key);
    if (f === undefined) {
      f = Object.freeze({ ok: false as const, fault: Object.freeze({ code, scope }) });
      staticFaults.set(key, f);
    }
    return f;
  }
  return Object.freeze({ ok: false as const, fault: Object.freeze({ code, scope, avpType }) });
}

const cursor = new AvpCursor(new Uint8Array(0));

/** AVPS as a dense array (types 0..63): the decoder's per-AVP lookup without hashing. */
const SPEC_BY_TYPE: (AvpSpec | undefined)[] = Array.from({ length: 64 }, (_, t) => AVPS.get(t));

/**
 * Decodes the AVPs of one control message (the header's `body`). Never throws, never reads past
 * `body`. §4.1 rule, applied to every AVP the decoder cannot use (unrecognized, reserved bits set,
 * bad value length, cannot be unhidden): M=1 → a fault in the message's scope; M=0 → skipped.
 */
export function decodeControlMessage(body: Uint8Array, opts?: DecodeOptions): Decoded<ControlMessage> {
  const c = cursor;
  c.reset(body);
  try {
    // §4.4.1: the Message Type AVP MUST be the first AVP.
    if (!c.next()) return failure(c.error ?? 'missing-message-type', 'drop');
    if (c.vendorId !== 0 || c.type !== AvpType.MessageType) return failure('missing-message-type', 'drop');
    if (c.hidden || c.reservedBits !== 0 || c.valueEnd - c.valueAt !== 2) return failure('bad-message-type', 'drop');
    const type = u16(body, c.valueAt);
    const messageTypeMandatory = c.mandatory;
    const spec = MESSAGES.get(type);
    // §4.4.1: an unknown Message Type with M=1 MUST clear the tunnel; with M=0 it MAY be ignored.
    if (spec === undefined) return failure('unknown-message-type', messageTypeMandatory ? 'tunnel' : 'drop');
    const scope = spec.scope;
    const secret = opts?.secret;
    const avps: RawAvp[] = [];
    let randomVector: Uint8Array | undefined;
    let seenLow = 0; // types 0..31 seen, for the required-AVP check
    let seenHigh = 0; // types 32..63
    while (c.next()) {
      const avpType: number = c.type;
      const mandatory = c.mandatory;
      const avpSpec = c.vendorId === 0 && c.reservedBits === 0 && avpType < 64 ? SPEC_BY_TYPE[avpType] : undefined;
      if (avpSpec === undefined) {
        // §4.1: unrecognized with M=1 MUST tear down the tunnel or session; M=0 MUST be ignored.
        if (mandatory) return failure('unknown-mandatory-avp', scope, avpType);
        continue;
      }
      let value: Uint8Array;
      let padding: Uint8Array | undefined;
      const hidden = c.hidden;
      if (hidden) {
        if (secret === undefined) {
          if (mandatory) return failure('hidden-avp-without-secret', scope, avpType);
          continue;
        }
        // §4.3: "the random vector is taken from the last Random Vector AVP encountered … prior to the AVP".
        if (randomVector === undefined) {
          if (mandatory) return failure('hidden-avp-without-random-vector', scope, avpType);
          continue;
        }
        const clear = unhideAvpValue(avpType, c.value, secret, randomVector);
        if (clear === undefined) {
          if (mandatory) return failure('hidden-avp-bad-length', scope, avpType);
          continue;
        }
        value = clear.value;
        padding = clear.padding;
      } else {
        value = c.value;
      }
      if (!isValidAvpValueLength(avpSpec, value.length)) {
        if (mandatory) return failure('avp-bad-value-length', scope, avpType);
        continue;
      }
      if (avpType === AvpType.RandomVector) randomVector = value;
      if (avpType < 32) seenLow |= 1 << avpType;
      else if (avpType < 64) seenHigh |= 1 << (avpType - 32);
      avps.push(
        padding === undefined
          ? { vendorId: 0, type: avpType, mandatory, hidden, value }
          : { vendorId: 0, type: avpType, mandatory, hidden, value, padding },
      );
    }
    if (c.error !== undefined) return failure(c.error, 'drop');
    for (const r of spec.required) {
      const seen = r < 32 ? (seenLow >>> r) & 1 : (seenHigh >>> (r - 32)) & 1;
      if (seen === 0) return failure('missing-avp', scope, r);
    }
    return { ok: true, value: { type, avps, messageTypeMandatory } };
  } finally {
    c.reset(EMPTY); // do not keep the caller's buffer alive
  }
}

const EMPTY = new Uint8Array(0);
const RANDOM_VECTOR_LENGTH = 16;

/** Octets one AVP takes on the wire (hidden: 2-octet original length + value + padding). */
function avpWireLength(a: RawAvp): number {
  return AVP_HEADER_LENGTH + (a.hidden ? 2 + a.value.length + (a.padding?.length ?? 0) : a.value.length);
}

/** Whether encoding must insert a Random Vector before the first hidden AVP (none precedes it). */
function needsRandomVector(msg: ControlMessage): boolean {
  for (const a of msg.avps) {
    if (a.vendorId === 0 && a.type === AvpType.RandomVector && !a.hidden) return false;
    if (a.hidden) return true;
  }
  return false;
}

/** Octets `encodeControlMessage(msg, opts)` will return (the AVP body, Message Type AVP included). */
export function encodedLengthControlMessage(msg: ControlMessage, opts?: EncodeOptions): number {
  let n = AVP_HEADER_LENGTH + 2;
  for (const a of msg.avps) n += avpWireLength(a);
  if (opts?.random !== undefined && needsRandomVector(msg)) n += AVP_HEADER_LENGTH + RANDOM_VECTOR_LENGTH;
  return n;
}

/**
 * Encodes the AVP body of `msg`: the Message Type AVP first, then `avps` in order with their M/H bits.
 * H=1 AVPs are hidden (§4.3) with `opts.secret` and the nearest preceding Random Vector AVP in `avps`;
 * if there is none, one of 16 octets from `opts.random` is inserted before the first hidden AVP.
 * Throws L2tpUsageError on local misuse (AVP too long, hidden without secret or Random Vector).
 */
export function encodeControlMessage(msg: ControlMessage, opts?: EncodeOptions): Uint8Array {
  const out = new Uint8Array(encodedLengthControlMessage(msg, opts));
  const end = writeControlMessage(msg, out, 0, opts);
  if (end !== out.length) throw new L2tpUsageError('ERR_L2TP_ENCODE_LENGTH', `encoded ${end} of ${out.length} octets`);
  return out;
}

/** Header fields of a control message (RFC 2661 §3.1). */
export interface ControlHeaderFields {
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly ns: number;
  readonly nr: number;
}

/** A whole control datagram: the 12-octet header (T=L=S=1, Length filled in) followed by the encoded AVPs. */
export function encodeControlPacket(
  header: ControlHeaderFields,
  msg: ControlMessage,
  opts?: EncodeOptions,
): Uint8Array {
  const length = CONTROL_HEADER_LENGTH + encodedLengthControlMessage(msg, opts);
  if (length > 0xffff) throw new L2tpUsageError('ERR_L2TP_MESSAGE_TOO_LONG', `control message of ${length} octets`);
  const out = new Uint8Array(length);
  writeControlHeader(out, 0, length, header.tunnelId, header.sessionId, header.ns, header.nr);
  writeControlMessage(msg, out, CONTROL_HEADER_LENGTH, opts);
  return out;
}

function writeAvpHeader(
  into: Uint8Array,
  at: number,
  m: boolean,
  h: boolean,
  length: number,
  vendor: number,
  type: number,
) {
  if (length > 1023)
    throw new L2tpUsageError('ERR_L2TP_AVP_TOO_LONG', `AVP ${type} would be ${length} octets (max 1023)`);
  // (x & 0xffff) === x holds only for integers in 0..65535: one check instead of Number.isInteger + range.
  if ((type & 0xffff) !== type || (vendor & 0xffff) !== vendor) {
    throw new L2tpUsageError('ERR_L2TP_AVP_TYPE', `bad AVP vendor/type ${vendor}/${type}`);
  }
  const word = (m ? AVP_M : 0) | (h ? AVP_H : 0) | length;
  into[at] = word >>> 8;
  into[at + 1] = word & 0xff;
  into[at + 2] = vendor >>> 8;
  into[at + 3] = vendor & 0xff;
  into[at + 4] = type >>> 8;
  into[at + 5] = type & 0xff;
}

/** Copies `v` to `into` at `at`: a plain loop for the short values AVPs carry (TypedArray.set costs ~50 ns). */
function copyInto(into: Uint8Array, at: number, v: Uint8Array): void {
  const n = v.length;
  if (n > 32) into.set(v, at);
  else for (let i = 0; i < n; i++) into[at + i] = v[i]!;
}

/** Writes the AVP body into `into` at `at` (room for encodedLengthControlMessage octets); returns the end. */
function writeControlMessage(msg: ControlMessage, into: Uint8Array, at: number, opts?: EncodeOptions): number {
  if ((msg.type & 0xffff) !== msg.type) {
    throw new L2tpUsageError('ERR_L2TP_MESSAGE_TYPE', `bad message type ${msg.type}`);
  }
  writeAvpHeader(into, at, msg.messageTypeMandatory ?? true, false, AVP_HEADER_LENGTH + 2, 0, AvpType.MessageType);
  put16(into, at + AVP_HEADER_LENGTH, msg.type);
  at += AVP_HEADER_LENGTH + 2;
  let randomVector: Uint8Array | undefined;
  for (const a of msg.avps) {
    if (a.hidden) {
      const secret = opts?.secret;
      if (secret === undefined) {
        throw new L2tpUsageError('ERR_L2TP_HIDDEN_WITHOUT_SECRET', `AVP ${a.type} is hidden but no secret was given`);
      }
      if (randomVector === undefined) {
        // §4.3: "This Random Vector AVP must be placed in the message by the sender before any hidden AVPs."
        if (opts?.random === undefined) {
          throw new L2tpUsageError(
            'ERR_L2TP_HIDDEN_WITHOUT_RANDOM_VECTOR',
            `AVP ${a.type} is hidden without a Random Vector`,
          );
        }
        randomVector = opts.random.fill(new Uint8Array(RANDOM_VECTOR_LENGTH));
        writeAvpHeader(into, at, true, false, AVP_HEADER_LENGTH + RANDOM_VECTOR_LENGTH, 0, AvpType.RandomVector);
        into.set(randomVector, at + AVP_HEADER_LENGTH);
        at += AVP_HEADER_LENGTH + RANDOM_VECTOR_LENGTH;
      }
      const hiddenValue = hideAvpValue(a.type, a.value, secret, randomVector, a.padding);
      writeAvpHeader(into, at, a.mandatory, true, AVP_HEADER_LENGTH + hiddenValue.length, a.vendorId, a.type);
      into.set(hiddenValue, at + AVP_HEADER_LENGTH);
      at += AVP_HEADER_LENGTH + hiddenValue.length;
    } else {
      writeAvpHeader(into, at, a.mandatory, false, AVP_HEADER_LENGTH + a.value.length, a.vendorId, a.type);
      copyInto(into, at + AVP_HEADER_LENGTH, a.value);
      at += AVP_HEADER_LENGTH + a.value.length;
      if (a.vendorId === 0 && a.type === AvpType.RandomVector) randomVector = a.value;
    }
  }
  return at;
}

// ---- accessors: undefined when absent or of the wrong size -------------------------------------------

/** The first Vendor ID 0 AVP of `type`, or undefined. */
export function findAvp(msg: ControlMessage, type: number): RawAvp | undefined {
  for (const a of msg.avps) if (a.type === type && a.vendorId === 0) return a;
  return undefined;
}

/** True when `msg` carries a Vendor ID 0 AVP of `type`. */
export function hasAvp(msg: ControlMessage, type: number): boolean {
  return findAvp(msg, type) !== undefined;
}

/** The 16-bit value of AVP `type`, or undefined when absent or not 2 octets. */
export function avpU16(msg: ControlMessage, type: number): number | undefined {
  const a = findAvp(msg, type);
  return a !== undefined && a.value.length === 2 ? u16(a.value, 0) : undefined;
}

/** The 32-bit value of AVP `type`, or undefined when absent or not 4 octets. */
export function avpU32(msg: ControlMessage, type: number): number | undefined {
  const a = findAvp(msg, type);
  return a !== undefined && a.value.length === 4 ? u32(a.value, 0) : undefined;
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** The value of AVP `type` as UTF-8 text (invalid octets become U+FFFD), or undefined when absent. */
export function avpString(msg: ControlMessage, type: number): string | undefined {
  const a = findAvp(msg, type);
  return a === undefined ? undefined : utf8.decode(a.value);
}

/** The value octets of AVP `type` (not a copy), or undefined when absent. */
export function avpBytes(msg: ControlMessage, type: number): Uint8Array | undefined {
  return findAvp(msg, type)?.value;
}

/** A Result Code AVP's contents (§4.4.2). */
export interface ResultCodeValue {
  readonly resultCode: number;
  readonly errorCode?: number;
  readonly message?: string;
}

/** Parses a Result Code value: 2, 4 or 4+n octets; undefined otherwise. */
export function decodeResultCode(value: Uint8Array): ResultCodeValue | undefined {
  if (value.length < 2 || value.length === 3) return undefined;
  const resultCode = u16(value, 0);
  if (value.length === 2) return { resultCode };
  const errorCode = u16(value, 2);
  if (value.length === 4) return { resultCode, errorCode };
  return { resultCode, errorCode, message: utf8.decode(value.subarray(4)) };
}

/** The message's Result Code AVP, or undefined when absent or malformed. */
export function resultCodeOf(msg: ControlMessage): ResultCodeValue | undefined {
  const a = findAvp(msg, AvpType.ResultCode);
  return a === undefined ? undefined : decodeResultCode(a.value);
}

// ---- builders: M bit defaults from the catalogue (M=0 for types it does not know) ---------------------

/** M/H bits (and Vendor ID) of a built AVP; omitted bits default to the catalogue's M and H=0. */
export interface AvpOptions {
  readonly mandatory?: boolean;
  readonly hidden?: boolean;
  readonly vendorId?: number;
}

function build(type: number, value: Uint8Array, opts?: AvpOptions): RawAvp {
  if (value.length > MAX_AVP_VALUE_LENGTH) {
    throw new L2tpUsageError(
      'ERR_L2TP_AVP_TOO_LONG',
      `AVP ${type} value of ${value.length} octets (max ${MAX_AVP_VALUE_LENGTH})`,
    );
  }
  const vendorId = opts?.vendorId ?? 0;
  const mandatory = opts?.mandatory ?? (vendorId === 0 ? (AVPS.get(type)?.mandatory ?? false) : false);
  return { vendorId, type, mandatory, hidden: opts?.hidden ?? false, value };
}

function checkRange(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new L2tpUsageError('ERR_L2TP_AVP_VALUE', `${what} out of range: ${v}`);
}

/** An AVP carrying a 16-bit value. */
export function makeU16Avp(type: number, value: number, opts?: AvpOptions): RawAvp {
  checkRange(value, 0xffff, `AVP ${type} value`);
  const b = new Uint8Array(2);
  put16(b, 0, value);
  return build(type, b, opts);
}

/** An AVP carrying a 32-bit value. */
export function makeU32Avp(type: number, value: number, opts?: AvpOptions): RawAvp {
  checkRange(value, 0xffffffff, `AVP ${type} value`);
  const b = new Uint8Array(4);
  b[0] = value >>> 24;
  b[1] = (value >>> 16) & 0xff;
  b[2] = (value >>> 8) & 0xff;
  b[3] = value & 0xff;
  return build(type, b, opts);
}

/** An AVP carrying `text` as UTF-8. */
export function makeStringAvp(type: number, text: string, opts?: AvpOptions): RawAvp {
  return build(type, utf8Encoder.encode(text), opts);
}

/** An AVP carrying `bytes` as given (not copied). */
export function makeBytesAvp(type: number, bytes: Uint8Array, opts?: AvpOptions): RawAvp {
  return build(type, bytes, opts);
}

/** An AVP with no value (Sequencing Required, §4.4.5). */
export function makeEmptyAvp(type: number, opts?: AvpOptions): RawAvp {
  return build(type, new Uint8Array(0), opts);
}

/** A Result Code AVP (§4.4.2): Result Code, optional Error Code, optional UTF-8 Error Message (needs an Error Code; 0 is used). */
export function makeResultCodeAvp(type: number, resultCode: number, errorCode?: number, message?: string): RawAvp {
  checkRange(resultCode, 0xffff, 'result code');
  if (errorCode !== undefined) checkRange(errorCode, 0xffff, 'error code');
  const text = message === undefined ? undefined : utf8Encoder.encode(message);
  const hasError = errorCode !== undefined || text !== undefined;
  const b = new Uint8Array(2 + (hasError ? 2 : 0) + (text?.length ?? 0));
  put16(b, 0, resultCode);
  if (hasError) put16(b, 2, errorCode ?? 0);
  if (text !== undefined) b.set(text, 4);
  return build(type, b);
}
