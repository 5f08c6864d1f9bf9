// Single DES (FIPS 46-3) for MS-CHAP, encryption of one block only, plus the RFC 2759 §8.6 key
// expansion. OpenSSL 3 dropped `des-ecb`; `des-ede3-ecb` under K‖K‖K gives the same block but a
// cipher object per block cost ≈ 5 µs (three per MS-CHAPv2 authentication on each side), so the
// cipher is computed here from the FIPS 46-3 tables: ≈ 1 µs per block (docs/BENCHMARKS.md).
// Related: mschapv2.ts (ChallengeResponse, RFC 2759 §8.5), test/chap/des.test.ts (FIPS vectors).
import { L2tpUsageError } from '../core/engine.js';

/**
 * RFC 2759 §8.6 (RFC 2433 A.7): spreads 56 key bits over eight octets, seven bits each in the
 * high bits, and sets the low bit of every octet for odd parity (RFC 2759 §9.3 prints the keys so).
 */
export function expandDesKey(key7: Uint8Array): Uint8Array {
  if (key7.length !== 7) throw new L2tpUsageError('ERR_L2TP_DES_KEY', `DES key must be 7 octets, got ${key7.length}`);
  const k0 = key7[0]!;
  const k1 = key7[1]!;
  const k2 = key7[2]!;
  const k3 = key7[3]!;
  const k4 = key7[4]!;
  const k5 = key7[5]!;
  const k6 = key7[6]!;
  const raw = [
    k0 >>> 1,
    ((k0 & 0x01) << 6) | (k1 >>> 2),
    ((k1 & 0x03) << 5) | (k2 >>> 3),
    ((k2 & 0x07) << 4) | (k3 >>> 4),
    ((k3 & 0x0f) << 3) | (k4 >>> 5),
    ((k4 & 0x1f) << 2) | (k5 >>> 6),
    ((k5 & 0x3f) << 1) | (k6 >>> 7),
    k6 & 0x7f,
  ];
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = withOddParity(raw[i]! << 1);
  return out;
}

function withOddParity(octet: number): number {
  let ones = 0;
  for (let v = octet >>> 1; v !== 0; v >>>= 1) ones += v & 1;
  return (octet & 0xfe) | (ones % 2 === 0 ? 1 : 0);
}

/**
 * Encrypts one 8-octet block with single DES. `key` is 8 octets (parity ignored, as DES does)
 * or 7 octets (expanded with `expandDesKey`). Throws L2tpUsageError on wrong sizes.
 */
export function desEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const key8 = key.length === 7 ? expandDesKey(key) : key;
  if (key8.length !== 8)
    throw new L2tpUsageError('ERR_L2TP_DES_KEY', `DES key must be 7 or 8 octets, got ${key.length}`);
  if (block.length !== 8)
    throw new L2tpUsageError('ERR_L2TP_DES_BLOCK', `DES block must be 8 octets, got ${block.length}`);
  const out = new Uint8Array(8);
  encryptBlock(subkeys(key8), block, out);
  return out;
}

// FIPS 46-3 tables, bit 1 = the most significant bit, as printed.
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24,
  16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31,
  23, 15, 7,
];
const FP = [
  40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21,
  61, 29, 36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49,
  17, 57, 25,
];
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55,
  47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30,
  40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
];
const S = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1,
    14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14,
    7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6,
    4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6,
    9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1,
    11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14,
    15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4,
    11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11,
    4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
  ],
];

/**
 * SP[i][x]: S-box i applied to the 6-bit group x (row = outer bits, column = inner four), its 4
 * output bits placed at positions 4i+1..4i+4 and then through P: one lookup per group per round.
 */
const SP: Uint32Array[] = S.map((box, i) => {
  const t = new Uint32Array(64);
  for (let x = 0; x < 64; x++) {
    const row = ((x & 0x20) >>> 4) | (x & 1);
    const col = (x >>> 1) & 0x0f;
    const s4 = box[row * 16 + col]!;
    const before = s4 << (28 - 4 * i); // bit 4i+1 is the MSB of s4
    let after = 0;
    for (let b = 0; b < 32; b++) if ((before >>> (32 - P[b]!)) & 1) after |= 1 << (31 - b);
    t[x] = after >>> 0;
  }
  return t;
});

/** Bit `n` (1 = MSB) of the 64-bit value hi:lo. */
function bit64(hi: number, lo: number, n: number): number {
  return n <= 32 ? (hi >>> (32 - n)) & 1 : (lo >>> (64 - n)) & 1;
}

/** The 16 round keys as 8 six-bit groups each (128 numbers), from an 8-octet key (parity ignored). */
function subkeys(key8: Uint8Array): Uint8Array {
  const hi = ((key8[0]! << 24) | (key8[1]! << 16) | (key8[2]! << 8) | key8[3]!) >>> 0;
  const lo = ((key8[4]! << 24) | (key8[5]! << 16) | (key8[6]! << 8) | key8[7]!) >>> 0;
  let c = 0;
  let d = 0;
  for (let i = 0; i < 28; i++) c = (c << 1) | bit64(hi, lo, PC1[i]!);
  for (let i = 28; i < 56; i++) d = (d << 1) | bit64(hi, lo, PC1[i]!);
  const out = new Uint8Array(128);
  for (let round = 0; round < 16; round++) {
    const r = SHIFTS[round]!;
    c = ((c << r) | (c >>> (28 - r))) & 0x0fffffff;
    d = ((d << r) | (d >>> (28 - r))) & 0x0fffffff;
    for (let g = 0; g < 8; g++) {
      let v = 0;
      for (let j = 0; j < 6; j++) {
        const n = PC2[6 * g + j]!; // 1..56 of C‖D
        v = (v << 1) | (n <= 28 ? (c >>> (28 - n)) & 1 : (d >>> (56 - n)) & 1);
      }
      out[8 * round + g] = v;
    }
  }
  return out;
}

/** Encrypts `block` (8 octets) with the round keys `k` into `out`. */
function encryptBlock(k: Uint8Array, block: Uint8Array, out: Uint8Array): void {
  const hi = ((block[0]! << 24) | (block[1]! << 16) | (block[2]! << 8) | block[3]!) >>> 0;
  const lo = ((block[4]! << 24) | (block[5]! << 16) | (block[6]! << 8) | block[7]!) >>> 0;
  let l = 0;
  let r = 0;
  for (let i = 0; i < 32; i++) l = (l << 1) | bit64(hi, lo, IP[i]!);
  for (let i = 32; i < 64; i++) r = (r << 1) | bit64(hi, lo, IP[i]!);
  for (let round = 0; round < 16; round++) {
    // E(R): group g is bits 4g..4g+5 of R (1-based, circular: bit 0 is bit 32).
    const rr = ((r >>> 1) | (r << 31)) >>> 0; // rotated right by 1: bit k of rr is bit k-1 of R
    let f = 0;
    for (let g = 0; g < 7; g++) f |= SP[g]![((rr >>> (26 - 4 * g)) & 0x3f) ^ k[8 * round + g]!]!;
    f |= SP[7]![(((rr << 2) | (rr >>> 30)) & 0x3f) ^ k[8 * round + 7]!]!;
    const next = (l ^ f) >>> 0;
    l = r;
    r = next;
  }
  // Pre-output is R16‖L16.
  let oh = 0;
  let ol = 0;
  for (let i = 0; i < 32; i++) oh = (oh << 1) | bit64(r, l, FP[i]!);
  for (let i = 32; i < 64; i++) ol = (ol << 1) | bit64(r, l, FP[i]!);
  out[0] = oh >>> 24;
  out[1] = oh >>> 16;
  out[2] = oh >>> 8;
  out[3] = oh;
  out[4] = ol >>> 24;
  out[5] = ol >>> 16;
  out[6] = ol >>> 8;
  out[7] = ol;
}
