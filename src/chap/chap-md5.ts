// CHAP with MD5, RFC 1994 §2–§4 (algorithm 5): Response Value = MD5(Identifier ‖ secret ‖ Challenge).
// Related: chap-packet.ts (framing), authenticator.ts / peer.ts (automata).
import { createHash } from 'node:crypto';
import { L2tpUsageError } from '../core/engine.js';
import { utf8 } from './chap-packet.js';

/** RFC 1994 §4.1: an MD5 Response value is 16 octets. */
export const CHAP_MD5_RESPONSE_SIZE = 16;

/**
 * RFC 1994 §4.1: the 16-octet Response value, MD5 over the Identifier octet, the secret (a string
 * is taken as UTF-8) and the Challenge value.
 */
export function chapMd5Response(identifier: number, secret: Uint8Array | string, challenge: Uint8Array): Uint8Array {
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw new L2tpUsageError('ERR_L2TP_CHAP_IDENTIFIER', `identifier out of range: ${identifier}`);
  }
  const md5 = createHash('md5');
  md5.update(Uint8Array.of(identifier));
  md5.update(typeof secret === 'string' ? utf8(secret) : secret);
  md5.update(challenge);
  return new Uint8Array(md5.digest());
}
