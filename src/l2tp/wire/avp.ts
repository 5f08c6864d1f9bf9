// AVP framing, RFC 2661 §4.1: a zero-copy cursor that always steps by the declared length.
// |M|H| rsvd  |      Length       |           Vendor ID           |  Attribute Type  | Value…
// Related: message.ts (decoder built on it), avp-catalogue.ts.
import { u16 } from '../../core/bytes.js';

/** Octets before an AVP's value: flags+Length, Vendor ID, Attribute Type. */
export const AVP_HEADER_LENGTH = 6;
/** §4.1 Mandatory bit. */
export const AVP_M = 0x8000;
/** §4.1 Hidden bit. */
export const AVP_H = 0x4000;
/** §4.1: "MUST be set to 0"; a set bit means the AVP is treated as unrecognized. */
export const AVP_RESERVED = 0x3c00;
/** §4.1: the 10-bit Length field (whole AVP, header included). */
export const AVP_LENGTH = 0x03ff;

/** Why the cursor stopped early: fewer than 6 octets left, or a Length < 6 or past the end. */
export type AvpFramingError = 'avp-truncated' | 'avp-bad-length';

/**
 * Walks one message's AVPs without copying. `next()` is false at the end or at the first malformed
 * AVP (then `error` says which); it never reads outside `body`. Reusable via `reset()`.
 */
export class AvpCursor {
  vendorId = 0;
  type = 0;
  mandatory = false;
  hidden = false;
  /** The raw reserved bits (0x3c00 mask) of the current AVP; §4.1 says non-zero → unrecognized. */
  reservedBits = 0;
  /** Start of the current AVP's value in `body`. */
  valueAt = 0;
  /** End (exclusive) of the current AVP's value in `body`. */
  valueEnd = 0;
  /** Offset of the current AVP in `body`. */
  offset = 0;
  error: AvpFramingError | undefined;
  private at = 0;
  private body: Uint8Array;

  constructor(body: Uint8Array) {
    this.body = body;
  }

  /** Re-points the cursor at a new body. */
  reset(body: Uint8Array): void {
    this.body = body;
    this.at = 0;
    this.error = undefined;
  }

  /** The current AVP's value: a subarray of the body (no copy). */
  get value(): Uint8Array {
    return this.body.subarray(this.valueAt, this.valueEnd);
  }

  /** Octets after the current AVP. */
  get remaining(): number {
    return this.body.length - this.at;
  }

  /** Advances to the next AVP; false at the end or on a framing error. */
  next(): boolean {
    const b = this.body;
    const at = this.at;
    if (this.error !== undefined || at >= b.length) return false;
    if (at + AVP_HEADER_LENGTH > b.length) return this.fail('avp-truncated');
    const word = u16(b, at);
    const length = word & AVP_LENGTH;
    if (length < AVP_HEADER_LENGTH || at + length > b.length) return this.fail('avp-bad-length');
    this.mandatory = (word & AVP_M) !== 0;
    this.hidden = (word & AVP_H) !== 0;
    this.reservedBits = word & AVP_RESERVED;
    this.vendorId = u16(b, at + 2);
    this.type = u16(b, at + 4);
    this.valueAt = at + AVP_HEADER_LENGTH;
    this.valueEnd = at + length;
    this.offset = at;
    this.at = at + length; // step by the declared length, understood or not
    return true;
  }

  private fail(code: AvpFramingError): false {
    this.error = code;
    this.offset = this.at;
    return false;
  }
}
