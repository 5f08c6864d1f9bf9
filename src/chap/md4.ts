// MD4 message digest, RFC 1320 — OpenSSL 3 (Node 20) no longer provides it, MS-CHAPv2 needs it.
// RFC 1320 §3.1–3.5; vectors in test/vectors/chap-vectors.ts (RFC 1320 §A.5).
// Related: mschapv2.ts (NtPasswordHash, HashNtPasswordHash).

const S1 = [3, 7, 11, 19] as const;
const S2 = [3, 5, 9, 13] as const;
const S3 = [3, 9, 11, 15] as const;
// RFC 1320 §3.4 round 3 word order.
const R3 = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15] as const;

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/** MD4 digest (16 octets) of `data`. Pure, allocation-light; never throws. */
export function md4(data: Uint8Array): Uint8Array {
  // §3.1–3.2: append 0x80, pad to 56 mod 64, append the bit length as 64-bit little endian.
  const total = (((data.length + 8) >>> 6) + 1) << 6;
  const m = new Uint8Array(total);
  m.set(data);
  m[data.length] = 0x80;
  const bits = data.length * 8;
  const lo = bits >>> 0;
  const hi = Math.floor(bits / 0x1_0000_0000) >>> 0;
  for (let i = 0; i < 4; i++) {
    m[total - 8 + i] = (lo >>> (8 * i)) & 0xff;
    m[total - 4 + i] = (hi >>> (8 * i)) & 0xff;
  }

  // §3.3
  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Int32Array(16);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) {
      const p = off + i * 4;
      x[i] = m[p]! | (m[p + 1]! << 8) | (m[p + 2]! << 16) | (m[p + 3]! << 24);
    }
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;
    // §3.4 round 1: F(X,Y,Z) = XY v not(X) Z
    for (let i = 0; i < 16; i += 4) {
      a = rotl((a + ((b & c) | (~b & d)) + x[i]!) | 0, S1[0]);
      d = rotl((d + ((a & b) | (~a & c)) + x[i + 1]!) | 0, S1[1]);
      c = rotl((c + ((d & a) | (~d & b)) + x[i + 2]!) | 0, S1[2]);
      b = rotl((b + ((c & d) | (~c & a)) + x[i + 3]!) | 0, S1[3]);
    }
    // round 2: G(X,Y,Z) = XY v XZ v YZ, constant 0x5A827999
    for (let i = 0; i < 4; i++) {
      a = rotl((a + ((b & c) | (b & d) | (c & d)) + x[i]! + 0x5a827999) | 0, S2[0]);
      d = rotl((d + ((a & b) | (a & c) | (b & c)) + x[i + 4]! + 0x5a827999) | 0, S2[1]);
      c = rotl((c + ((d & a) | (d & b) | (a & b)) + x[i + 8]! + 0x5a827999) | 0, S2[2]);
      b = rotl((b + ((c & d) | (c & a) | (d & a)) + x[i + 12]! + 0x5a827999) | 0, S2[3]);
    }
    // round 3: H(X,Y,Z) = X xor Y xor Z, constant 0x6ED9EBA1
    for (let i = 0; i < 16; i += 4) {
      a = rotl((a + (b ^ c ^ d) + x[R3[i]!]! + 0x6ed9eba1) | 0, S3[0]);
      d = rotl((d + (a ^ b ^ c) + x[R3[i + 1]!]! + 0x6ed9eba1) | 0, S3[1]);
      c = rotl((c + (d ^ a ^ b) + x[R3[i + 2]!]! + 0x6ed9eba1) | 0, S3[2]);
      b = rotl((b + (c ^ d ^ a) + x[R3[i + 3]!]! + 0x6ed9eba1) | 0, S3[3]);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }

  // §3.5: output A, B, C, D, low-order octet first.
  const out = new Uint8Array(16);
  const words = [a, b, c, d];
  for (let w = 0; w < 4; w++) {
    for (let i = 0; i < 4; i++) out[w * 4 + i] = (words[w]! >>> (8 * i)) & 0xff;
  }
  return out;
}
