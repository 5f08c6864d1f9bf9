// Tunnel authentication, RFC 2661 §4.4.3 / §5.1.1: the worked examples of REFERENCES.md §3.7.
// (Captured responses from xl2tpd are checked in wire-golden.test.ts.)
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';
import { challengeResponse, verifyChallengeResponse } from '../../src/l2tp/wire/tunnel-auth.js';
import { hex } from '../support/hex.js';

const SECRET = new TextEncoder().encode('tunnelsecret');
const CHALLENGE = hex`01 23 45 67 89 AB CD EF 01 23 45 67 89 AB CD EF`;

describe('challengeResponse (REFERENCES.md §3.7)', () => {
  it('RFC2661-4.4.3: in an SCCRP the CHAP ID is 2', () => {
    expect(toHex(challengeResponse(MessageType.SCCRP, SECRET, CHALLENGE))).toBe('fc5e39e64d7bb3545bed274dd45d9fd8');
  });

  it('RFC2661-4.4.3: in an SCCCN the CHAP ID is 3', () => {
    expect(toHex(challengeResponse(MessageType.SCCCN, SECRET, CHALLENGE))).toBe('b53ed94d76421307cf0c7542969c4922');
  });

  it('RFC2661-5.1.1: verification accepts the right response only', () => {
    const good = hex`B5 3E D9 4D 76 42 13 07 CF 0C 75 42 96 9C 49 22`;
    expect(verifyChallengeResponse(MessageType.SCCCN, SECRET, CHALLENGE, good)).toBe(true);
    const bad = good.slice();
    bad[15]! ^= 1;
    expect(verifyChallengeResponse(MessageType.SCCCN, SECRET, CHALLENGE, bad)).toBe(false);
    expect(verifyChallengeResponse(MessageType.SCCCN, SECRET, CHALLENGE, good.subarray(0, 15))).toBe(false);
  });
});
