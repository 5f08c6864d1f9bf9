// 16-bit sequence-number arithmetic for L2TP Ns/Nr (RFC 2661 §5.8).

/**
 * RFC 2661 §5.8: a received Ns is "less than or equal to" the last received one if it lies within
 * it and the preceding 32 767 values. Returns a - b in the signed 16-bit sense: negative when a
 * precedes b, 0 when equal, positive when a follows b.
 */
export function serialDiff(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}

/** a + 1 modulo 2^16. */
export const serialNext = (a: number): number => (a + 1) & 0xffff;
