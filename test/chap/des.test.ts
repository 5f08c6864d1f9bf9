// Single DES and the RFC 2759 §8.6 key expansion (src/chap/des.ts).
import { describe, expect, it } from 'vitest';
import { desEncryptBlock, expandDesKey } from '../../src/chap/des.js';
import { toHex } from '../../src/core/bytes.js';
import { L2tpUsageError } from '../../src/core/engine.js';
import { hex } from '../support/hex.js';
import { DES_FIPS, RFC2759_9_3 } from '../vectors/chap-vectors.js';

describe('des', () => {
  it('FIPS vector: 133457799BBCDFF1 / 0123456789ABCDEF → 85E813540F0AB405', () => {
    const out = desEncryptBlock(hex`${DES_FIPS.key}`, hex`${DES_FIPS.plaintext}`);
    expect(toHex(out).toUpperCase()).toBe(DES_FIPS.ciphertext);
  });

  it('RFC2759-9.3: 7-octet keys expand to the parity-corrected DES keys', () => {
    expect(expandDesKey(hex`${RFC2759_9_3.rawKey1}`)).toEqual(hex`${RFC2759_9_3.key1}`);
    expect(expandDesKey(hex`${RFC2759_9_3.rawKey2}`)).toEqual(hex`${RFC2759_9_3.key2}`);
  });

  it('RFC2759-8.6: every expanded octet has odd parity', () => {
    for (let seed = 0; seed < 64; seed++) {
      const key7 = Uint8Array.from({ length: 7 }, (_, i) => (seed * 37 + i * 101) & 0xff);
      for (const octet of expandDesKey(key7)) {
        let ones = 0;
        for (let v = octet; v; v >>= 1) ones += v & 1;
        expect(ones % 2).toBe(1);
      }
    }
  });

  it('a 7-octet key encrypts as its expansion; parity bits do not matter', () => {
    const key7 = hex`${RFC2759_9_3.rawKey1}`;
    const block = hex`${DES_FIPS.plaintext}`;
    const viaExpansion = desEncryptBlock(expandDesKey(key7), block);
    expect(desEncryptBlock(key7, block)).toEqual(viaExpansion);
    const flipped = expandDesKey(key7).map((o) => o ^ 1);
    expect(desEncryptBlock(flipped, block)).toEqual(viaExpansion);
  });

  it('rejects wrong key and block sizes with a usage error', () => {
    expect(() => desEncryptBlock(new Uint8Array(6), new Uint8Array(8))).toThrow(L2tpUsageError);
    expect(() => desEncryptBlock(new Uint8Array(8), new Uint8Array(7))).toThrow(L2tpUsageError);
    expect(() => expandDesKey(new Uint8Array(8))).toThrow(L2tpUsageError);
  });
});
