// CHAP-MD5 computation (src/chap/chap-md5.ts), RFC 1994 §4.1.
import { describe, expect, it } from 'vitest';
import { chapMd5Response } from '../../src/chap/chap-md5.js';
import { hex } from '../support/hex.js';
import { CHAP_MD5_KIT, CHAP_MD5_REF } from '../vectors/chap-vectors.js';

describe('chap-md5', () => {
  it('RFC1994-4.1: Response = MD5(Identifier ‖ secret ‖ Challenge) (REFERENCES §3.6 worked example)', () => {
    const r = chapMd5Response(CHAP_MD5_REF.identifier, CHAP_MD5_REF.secret, hex`${CHAP_MD5_REF.challenge}`);
    expect(r).toEqual(hex`${CHAP_MD5_REF.response}`);
  });

  it('RFC1994-4.1: matches the peers kit computation', () => {
    const r = chapMd5Response(CHAP_MD5_KIT.identifier, CHAP_MD5_KIT.secret, hex`${CHAP_MD5_KIT.challenge}`);
    expect(r).toEqual(hex`${CHAP_MD5_KIT.response}`);
  });

  it('RFC1994-4.1: the Identifier is part of the hash', () => {
    const c = hex`${CHAP_MD5_REF.challenge}`;
    expect(chapMd5Response(2, 'secret', c)).not.toEqual(chapMd5Response(1, 'secret', c));
  });
});
