// MD4 (src/chap/md4.ts) against RFC 1320 A.5 and an independent implementation's outputs.
import { describe, expect, it } from 'vitest';
import { md4 } from '../../src/chap/md4.js';
import { toHex } from '../../src/core/bytes.js';
import { MD4_KIT_200, MD4_KIT_PADDING, MD4_RFC1320 } from '../vectors/chap-vectors.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('md4', () => {
  for (const v of MD4_RFC1320) {
    it(`RFC1320-A.5: MD4("${v.input.slice(0, 20)}${v.input.length > 20 ? '…' : ''}")`, () => {
      expect(toHex(md4(ascii(v.input)))).toBe(v.digest);
    });
  }

  it('matches the peers kit MD4 at every padding boundary (55/56/57, 63/64/65, 119/120, 1000)', () => {
    for (const v of MD4_KIT_PADDING) expect(toHex(md4(new Uint8Array(v.n).fill(0x61))), `n=${v.n}`).toBe(v.digest);
  });

  it('matches the peers kit MD4 on 200 octets 00..C7', () => {
    expect(toHex(md4(Uint8Array.from({ length: 200 }, (_, i) => i)))).toBe(MD4_KIT_200.digest);
  });

  it('does not modify its input and reads a subarray correctly', () => {
    const backing = ascii('xxabcxx');
    const before = backing.slice();
    expect(toHex(md4(backing.subarray(2, 5)))).toBe('a448017aaf21d8525fc10ae87aa6729d');
    expect(backing).toEqual(before);
  });
});
