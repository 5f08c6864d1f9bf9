// L2TPv2 header, RFC 2661 §3.1: the zero-copy view for the data path and the header writers.
// Related: avp.ts, message.ts (the AVP body of control messages).
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
// |           Tunnel ID           |           Session ID          |
// |             Ns (opt)          |             Nr (opt)          |
// |      Offset Size (opt)        |    Offset pad... (opt)
import { put16, u16 } from '../../core/bytes.js';

export const T = 0x8000;
export const L = 0x4000;
export const S = 0x0800;
export const O = 0x0200;
export const P = 0x0100;
export const VERSION_MASK = 0x000f;
export const L2TP_VERSION = 2;
/** The bits §3.1 reserves (x): MUST be 0 on send, ignored on receipt. */
export const RESERVED_BITS = 0x34f0;
/** A control message header: flags, Length, Tunnel ID, Session ID, Ns, Nr. */
export const CONTROL_HEADER_LENGTH = 12;

/** Why a datagram is not L2TPv2. Stable strings: they become counter labels. */
export type HeaderError = 'truncated' | 'bad-version' | 'bad-length' | 'control-needs-l-and-s' | 'control-has-offset';

/**
 * A reusable, zero-copy view of one L2TPv2 header: one instance per socket, re-pointed at each
 * datagram by `wrap()`. Once `wrap()` returns undefined no getter can read out of bounds.
 */
export class L2tpHeaderView {
  private bytes: Uint8Array = new Uint8Array(0);
  private flags = 0;
  private idsAt = 0;
  private nsAt = -1;
  private bodyAt = 0;
  private end = 0;

  /** Points the view at `b`; returns why it is not L2TPv2, or undefined. */
  wrap(b: Uint8Array): HeaderError | undefined {
    if (b.length < 6) return 'truncated';
    const flags = u16(b, 0);
    if ((flags & VERSION_MASK) !== L2TP_VERSION) return 'bad-version';
    if (flags & T) {
      if ((flags & (L | S)) !== (L | S)) return 'control-needs-l-and-s'; // §3.1: L and S MUST be 1
      if (flags & O) return 'control-has-offset'; // §3.1: O MUST be 0
    }
    let at = 2;
    let end = b.length;
    if (flags & L) {
      if (b.length < 4) return 'truncated';
      end = u16(b, at);
      at += 2;
    }
    const idsAt = at;
    at += 4;
    let nsAt = -1;
    if (flags & S) {
      nsAt = at;
      at += 4;
    }
    if (flags & O) {
      if (at + 2 > b.length) return 'truncated';
      at += 2 + u16(b, at);
    }
    if (at > b.length) return 'truncated';
    // §3.1: Length is the whole message; trailing octets past it are ignored (parse is liberal).
    if (end < at || end > b.length) return 'bad-length';
    this.bytes = b;
    this.flags = flags;
    this.idsAt = idsAt;
    this.nsAt = nsAt;
    this.bodyAt = at;
    this.end = end;
    return undefined;
  }

  get flagsWord(): number {
    return this.flags;
  }
  get isControl(): boolean {
    return (this.flags & T) !== 0;
  }
  get hasLength(): boolean {
    return (this.flags & L) !== 0;
  }
  get hasSequence(): boolean {
    return this.nsAt >= 0;
  }
  get hasOffset(): boolean {
    return (this.flags & O) !== 0;
  }
  get priority(): boolean {
    return (this.flags & P) !== 0;
  }
  get tunnelId(): number {
    return u16(this.bytes, this.idsAt);
  }
  get sessionId(): number {
    return u16(this.bytes, this.idsAt + 2);
  }
  /** Ns, or -1 when the S bit is clear. */
  get ns(): number {
    return this.nsAt < 0 ? -1 : u16(this.bytes, this.nsAt);
  }
  /** Nr, or -1 when the S bit is clear. */
  get nr(): number {
    return this.nsAt < 0 ? -1 : u16(this.bytes, this.nsAt + 2);
  }
  /** Offset of the body (AVPs or the PPP frame) in the wrapped buffer. */
  get bodyOffset(): number {
    return this.bodyAt;
  }
  /** End of the message (the Length field, or the datagram's end). */
  get messageEnd(): number {
    return this.end;
  }
  /** AVPs (control) or the PPP frame (data): a subarray, never a copy. */
  get body(): Uint8Array {
    return this.bytes.subarray(this.bodyAt, this.end);
  }
}

/** Writes a 12-octet control header (T=1 L=1 S=1, Ver 2) at `at`; `length` is the whole message. */
export function writeControlHeader(
  into: Uint8Array,
  at: number,
  length: number,
  tunnelId: number,
  sessionId: number,
  ns: number,
  nr: number,
): void {
  put16(into, at, T | L | S | L2TP_VERSION);
  put16(into, at + 2, length);
  put16(into, at + 4, tunnelId);
  put16(into, at + 6, sessionId);
  put16(into, at + 8, ns);
  put16(into, at + 10, nr);
}

/** Options for a data message header (RFC 2661 §3.1, §5.4). */
export interface DataHeaderOptions {
  /** Set the L bit and the Length field. */
  readonly length?: boolean;
  /** Ns for sequenced data (S bit); Nr is reserved in data messages and sent as 0. */
  readonly ns?: number;
  /** Offset Size (O bit); pad octets are written as zero. */
  readonly offset?: number;
}

/** Octets a data header with these options takes. */
export function dataHeaderLength(opts: DataHeaderOptions = {}): number {
  return (
    6 + (opts.length ? 2 : 0) + (opts.ns !== undefined ? 4 : 0) + (opts.offset !== undefined ? 2 + opts.offset : 0)
  );
}

/**
 * Writes a data message header ending at `end` (the payload starts at `end`), for buffers kept with
 * headroom so the payload is never copied. `totalEnd` is where the payload ends (for the L bit).
 * Returns the header's start offset.
 */
export function writeDataHeader(
  into: Uint8Array,
  end: number,
  totalEnd: number,
  tunnelId: number,
  sessionId: number,
  opts: DataHeaderOptions = {},
): number {
  const start = end - dataHeaderLength(opts);
  let flags = L2TP_VERSION;
  let at = start + 2;
  if (opts.length) {
    flags |= L;
    put16(into, at, totalEnd - start);
    at += 2;
  }
  put16(into, at, tunnelId);
  put16(into, at + 2, sessionId);
  at += 4;
  if (opts.ns !== undefined) {
    flags |= S;
    put16(into, at, opts.ns);
    put16(into, at + 2, 0);
    at += 4;
  }
  if (opts.offset !== undefined) {
    flags |= O;
    put16(into, at, opts.offset);
    into.fill(0, at + 2, at + 2 + opts.offset);
  }
  put16(into, start, flags);
  return start;
}
