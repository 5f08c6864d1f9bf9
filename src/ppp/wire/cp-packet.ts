// Control-protocol packets (LCP, IPCP, IPv6CP): Code, Identifier, Length, Data (RFC 1661 §5) and the
// Configuration Option list of Configure-* packets (RFC 1661 §6). Faults are values, never throws.
// Related: frame.ts, format.ts, ../control-protocol.ts.
import { u8, u16 } from '../../core/bytes.js';

/** RFC 1661 §5: Code(1) Identifier(1) Length(2). */
export const CP_HEADER_LENGTH = 4;
/** RFC 1661 §6: Type(1) Length(2). */
export const OPTION_HEADER_LENGTH = 2;

/** One control packet as a value; `data` is a subarray of the input (zero-copy). */
export interface CpPacket {
  readonly code: number;
  readonly id: number;
  readonly data: Uint8Array;
}

/** One Configuration Option; `value` excludes Type and Length. */
export interface Option {
  readonly type: number;
  readonly value: Uint8Array;
}

/** Why bytes were refused. Stable kebab-case codes; `offset` is where the fault starts. */
export interface CpFault {
  readonly code: 'cp-truncated' | 'cp-bad-length' | 'option-truncated' | 'option-bad-length';
  readonly offset: number;
}

/** Result of a decode: a value or a fault. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly fault: CpFault };

/**
 * Decodes a control packet from a PPP Information field. RFC 1661 §5: octets past Length are
 * padding and ignored; Length below 4 or beyond the field means the packet is discarded.
 */
export function decodeCpPacket(info: Uint8Array): Decoded<CpPacket> {
  if (info.length < CP_HEADER_LENGTH) return { ok: false, fault: { code: 'cp-truncated', offset: 0 } };
  const length = u16(info, 2);
  if (length < CP_HEADER_LENGTH || length > info.length) {
    return { ok: false, fault: { code: 'cp-bad-length', offset: 2 } };
  }
  return { ok: true, value: { code: u8(info, 0), id: u8(info, 1), data: info.subarray(CP_HEADER_LENGTH, length) } };
}

/** Encodes a control packet (the PPP Information field); the caller owns the result. */
export function encodeCpPacket(packet: CpPacket): Uint8Array {
  const length = CP_HEADER_LENGTH + packet.data.length;
  if (length > 0xffff || !Number.isInteger(packet.code) || packet.code < 0 || packet.code > 0xff) {
    throw new RangeError(`control packet out of range (code ${packet.code}, length ${length})`);
  }
  const out = new Uint8Array(length);
  out[0] = packet.code;
  out[1] = packet.id & 0xff;
  out[2] = length >>> 8;
  out[3] = length & 0xff;
  out.set(packet.data, CP_HEADER_LENGTH);
  return out;
}

/** Length in octets that `encodeCpPacket(packet)` writes. */
export function encodedLengthCpPacket(packet: CpPacket): number {
  return CP_HEADER_LENGTH + packet.data.length;
}

/**
 * Walks a Configure-* option list without copying. It steps by each option's declared Length and
 * stops at the first option whose Length is < 2 or runs past the data; `error` then says where.
 */
export class OptionCursor {
  type = 0;
  value: Uint8Array = new Uint8Array(0);
  /** The whole option (Type, Length, value): what Configure-Ack/Reject echo back. */
  raw: Uint8Array = new Uint8Array(0);
  offset = 0;
  error: CpFault | undefined;
  private at = 0;

  constructor(private readonly data: Uint8Array) {}

  /** Advances to the next option; false at the end or at a malformed option. */
  next(): boolean {
    const b = this.data;
    const at = this.at;
    if (this.error !== undefined || at >= b.length) return false;
    if (at + OPTION_HEADER_LENGTH > b.length) return this.fail('option-truncated');
    const length = u8(b, at + 1);
    if (length < OPTION_HEADER_LENGTH || at + length > b.length) return this.fail('option-bad-length');
    this.type = u8(b, at);
    this.value = b.subarray(at + OPTION_HEADER_LENGTH, at + length);
    this.raw = b.subarray(at, at + length);
    this.offset = at;
    this.at = at + length;
    return true;
  }

  private fail(code: CpFault['code']): false {
    this.error = { code, offset: this.at };
    return false;
  }
}

/** Decodes a whole option list (values are subarrays of `data`). */
export function decodeOptions(data: Uint8Array): Decoded<Option[]> {
  const cursor = new OptionCursor(data);
  const options: Option[] = [];
  while (cursor.next()) options.push({ type: cursor.type, value: cursor.value });
  if (cursor.error !== undefined) return { ok: false, fault: cursor.error };
  return { ok: true, value: options };
}

/** Encodes an option list; throws RangeError (local misuse) when an option exceeds 253 octets. */
export function encodeOptions(options: readonly Option[]): Uint8Array {
  const out = new Uint8Array(encodedLengthOptions(options));
  let at = 0;
  for (const o of options) {
    const length = OPTION_HEADER_LENGTH + o.value.length;
    if (length > 0xff || o.type < 0 || o.type > 0xff) throw new RangeError(`option ${o.type} too long (${length})`);
    out[at] = o.type;
    out[at + 1] = length;
    out.set(o.value, at + OPTION_HEADER_LENGTH);
    at += length;
  }
  return out;
}

/** Length in octets that `encodeOptions(options)` writes. */
export function encodedLengthOptions(options: readonly Option[]): number {
  let n = 0;
  for (const o of options) n += OPTION_HEADER_LENGTH + o.value.length;
  return n;
}

/** A 16-bit option value (MRU, protocol numbers). */
export function u16Value(v: number): Uint8Array {
  return new Uint8Array([(v >>> 8) & 0xff, v & 0xff]);
}

/** A 32-bit option value (Magic-Number, ACCM, IPv4 addresses). */
export function u32Value(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}
