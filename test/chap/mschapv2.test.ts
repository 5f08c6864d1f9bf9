// MS-CHAPv2 computations (src/chap/mschapv2.ts) against RFC 2759 §9.2, RFC 2433 B.2, the derived
// wrong-password vector and an independent implementation (peers kit).
import { describe, expect, it } from 'vitest';
import {
  authenticatorResponseDigest,
  challengeHash,
  challengeResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  hashNtPasswordHash,
  ntPasswordHash,
  strippedUserName,
} from '../../src/chap/mschapv2.js';
import { toHex } from '../../src/core/bytes.js';
import { L2tpUsageError } from '../../src/core/engine.js';
import { hex } from '../support/hex.js';
import { MSCHAPV2_KIT, RFC2433_B_2, RFC2759_9_2, RFC2759_WRONG_PASSWORD } from '../vectors/chap-vectors.js';

const V = RFC2759_9_2;
const authChallenge = hex`${V.authenticatorChallenge}`;
const peerChallenge = hex`${V.peerChallenge}`;

describe('mschapv2 RFC 2759 §9.2', () => {
  it('RFC2759-8.3: NtPasswordHash("clientPass")', () => {
    expect(ntPasswordHash(V.password)).toEqual(hex`${V.passwordHash}`);
  });

  it('RFC2759-8.2: ChallengeHash', () => {
    expect(challengeHash(peerChallenge, authChallenge, V.user)).toEqual(hex`${V.challenge}`);
    expect(challengeHash(peerChallenge, authChallenge, hex`${V.userOctets}`)).toEqual(hex`${V.challenge}`);
  });

  it('RFC2759-8.4: HashNtPasswordHash', () => {
    expect(hashNtPasswordHash(hex`${V.passwordHash}`)).toEqual(hex`${V.passwordHashHash}`);
  });

  it('RFC2759-8.1: GenerateNTResponse', () => {
    expect(generateNtResponse(authChallenge, peerChallenge, V.user, V.password)).toEqual(hex`${V.ntResponse}`);
  });

  it('RFC2759-8.7: GenerateAuthenticatorResponse', () => {
    const s = generateAuthenticatorResponse(V.password, hex`${V.ntResponse}`, peerChallenge, authChallenge, V.user);
    expect(s).toBe(V.authenticatorResponse);
    const raw = authenticatorResponseDigest(
      hex`${V.passwordHash}`,
      hex`${V.ntResponse}`,
      peerChallenge,
      authChallenge,
      V.user,
    );
    expect(`S=${toHex(raw).toUpperCase()}`).toBe(V.authenticatorResponse);
  });

  it('REFERENCES-3.5: the wrong password "wrongPass" gives the derived NT-Response, not the right one', () => {
    const nt = generateNtResponse(authChallenge, peerChallenge, V.user, RFC2759_WRONG_PASSWORD.password);
    expect(nt).toEqual(hex`${RFC2759_WRONG_PASSWORD.ntResponse}`);
    expect(nt).not.toEqual(hex`${V.ntResponse}`);
  });

  it('RFC2759-8.2: ChallengeHash uses the user name after the last backslash', () => {
    const plain = challengeHash(peerChallenge, authChallenge, 'User');
    expect(challengeHash(peerChallenge, authChallenge, 'CORP\\User')).toEqual(plain);
    expect(challengeHash(peerChallenge, authChallenge, 'a\\b\\User')).toEqual(plain);
    expect(challengeHash(peerChallenge, authChallenge, 'UserX')).not.toEqual(plain);
    expect(strippedUserName('CORP\\')).toEqual(new Uint8Array(0));
    expect(generateNtResponse(authChallenge, peerChallenge, 'DOMAIN\\User', V.password)).toEqual(hex`${V.ntResponse}`);
  });
});

describe('mschapv2 RFC 2433 §B.2 (MS-CHAPv1 NT response = RFC 2759 §8.5 ChallengeResponse)', () => {
  it('RFC2433-B.2: NtPasswordHash("MyPw") and the 24-octet NtChallengeResponse', () => {
    const hash = ntPasswordHash(RFC2433_B_2.password);
    expect(hash).toEqual(hex`${RFC2433_B_2.passwordHash}`);
    expect(challengeResponse(hex`${RFC2433_B_2.challenge}`, hash)).toEqual(hex`${RFC2433_B_2.ntChallengeResponse}`);
  });
});

describe('mschapv2 against the peers kit (independent Python implementation)', () => {
  for (const v of MSCHAPV2_KIT) {
    it(`user "${v.user}", ${v.password.length}-char password`, () => {
      const ac = hex`${v.authenticatorChallenge}`;
      const pc = hex`${v.peerChallenge}`;
      expect(toHex(ntPasswordHash(v.password))).toBe(v.passwordHash);
      const nt = generateNtResponse(ac, pc, v.user, v.password);
      expect(toHex(nt)).toBe(v.ntResponse);
      expect(generateAuthenticatorResponse(v.password, nt, pc, ac, v.user)).toBe(v.authenticatorResponse);
    });
  }
});

describe('mschapv2 argument checks', () => {
  it('throws a usage error for wrong-size inputs (local misuse, never remote input)', () => {
    expect(() => challengeHash(new Uint8Array(15), authChallenge, 'u')).toThrow(L2tpUsageError);
    expect(() => challengeResponse(new Uint8Array(8), new Uint8Array(15))).toThrow(L2tpUsageError);
    expect(() =>
      authenticatorResponseDigest(new Uint8Array(16), new Uint8Array(23), peerChallenge, authChallenge, 'u'),
    ).toThrow(L2tpUsageError);
  });
});
