// Bounds-checked big-endian reads and a writer with length back-patching (protobuf-es fork/join).
// Every read in the codecs goes through these helpers, so `noUncheckedIndexedAccess` noise and
// the "out of range reads as 0" trap of Uint8Array live in one place. Callers check bounds first.

/** Octet at `at`; the caller has checked `at < b.length`. */
export const u8 = (b: Uint8Array, at: number): number => b[at]!;
/** Big-endian 16-bit value at `at`; the caller has checked `at + 2 <= b.length`. */
export const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
/** Big-endian 32-bit unsigned value at `at`; the caller has checked `at + 4 <= b.length`. */
export const u32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** Writes a big-endian 16-bit value. */
export function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

/** Writes a big-endian 32-bit value. */
export function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Thrown by ByteWriter on local misuse (value out of range); never by remote input. */
export class BytesUsageError extends RangeError {
  readonly code = 'ERR_L2TP_BYTES';
}

/**
 * A growable big-endian writer. `reserve16()` leaves room for a length that `patch16()` fills
 * once the enclosed bytes are written (the L2TP Length field, AVP lengths, CP packet lengths).
 */
export class ByteWriter {
  private buf: Uint8Array;
  private at = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.at;
  }

  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new BytesUsageError(`u8 out of range: ${v}`);
    this.ensure(1);
    this.buf[this.at++] = v;
    return this;
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new BytesUsageError(`u16 out of range: ${v}`);
    this.ensure(2);
    put16(this.buf, this.at, v);
    this.at += 2;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new BytesUsageError(`u32 out of range: ${v}`);
    this.ensure(4);
    put32(this.buf, this.at, v);
    this.at += 4;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.ensure(v.length);
    this.buf.set(v, this.at);
    this.at += v.length;
    return this;
  }

  /** Reserves two octets for a length; returns their offset for `patch16`. */
  reserve16(): number {
    const at = this.at;
    this.u16(0);
    return at;
  }

  /** Fills a reserved 16-bit field. */
  patch16(at: number, v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new BytesUsageError(`u16 out of range: ${v}`);
    put16(this.buf, at, v);
  }

  /** A fresh copy of the bytes written: the caller owns it. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

/** Lower-case hex of `b`, for logs and test messages. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/** Parses hex, ignoring whitespace and `|` separators (test vectors are written that way). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s|:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new BytesUsageError(`not hex: ${hex.slice(0, 40)}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Constant-time equality for secrets and authenticator responses. */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
