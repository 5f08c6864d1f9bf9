// L2TP tunnel authentication, RFC 2661 §4.4.3 (Challenge / Challenge Response) and §5.1.1: a CHAP-style
// MD5 response whose "ID" is the Message Type of the message carrying it. Vectors: REFERENCES.md §3.7.
// Related: hidden-avp.ts (same shared secret), message-catalogue.ts.
import { createHash } from 'node:crypto';
import { equalConstantTime } from '../../core/bytes.js';

/** The 16-octet Challenge Response: MD5(messageType ‖ secret ‖ challenge) (2 in an SCCRP, 3 in an SCCCN). */
export function challengeResponse(messageType: number, secret: Uint8Array, challenge: Uint8Array): Uint8Array {
  const digest = createHash('md5')
    .update(new Uint8Array([messageType & 0xff]))
    .update(secret)
    .update(challenge)
    .digest();
  return new Uint8Array(digest); // a copy: never a view into Node's Buffer pool
}

/** True when `response` is the right Challenge Response for `challenge` (constant-time compare). */
export function verifyChallengeResponse(
  messageType: number,
  secret: Uint8Array,
  challenge: Uint8Array,
  response: Uint8Array,
): boolean {
  return equalConstantTime(challengeResponse(messageType, secret, challenge), response);
}
