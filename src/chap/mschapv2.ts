// MS-CHAPv2 computations, RFC 2759 §8 (GenerateNTResponse, GenerateAuthenticatorResponse and their
// helpers). Pure functions over octets; packet codecs live in mschapv2-wire.ts.
// Related: md4.ts, des.ts, authenticator.ts / peer.ts (the automata that use these).
import { createHash } from 'node:crypto';
import { toHex } from '../core/bytes.js';
import { L2tpUsageError } from '../core/engine.js';
import { utf8Octets } from '../core/text.js';
import { desEncryptBlock } from './des.js';
import { md4 } from './md4.js';

const BACKSLASH = 0x5c;
// RFC 2759 §8.7: Magic1 (39 octets) and Magic2 (41 octets).
const MAGIC1 = asciiOctets('Magic server to client signing constant');
const MAGIC2 = asciiOctets('Pad to make it do more than one iteration');

/** A user name as the octets sent in the CHAP Name field; a string is taken as UTF-8. */
export type UserName = Uint8Array | string;

/**
 * RFC 2759 §8.2 ChallengeHash: first 8 octets of SHA1(PeerChallenge ‖ AuthenticatorChallenge ‖
 * UserName), where UserName excludes any "DOMAIN\" prefix (everything up to the last backslash).
 */
export function challengeHash(
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: UserName,
): Uint8Array {
  need(peerChallenge, 16, 'peer challenge');
  need(authenticatorChallenge, 16, 'authenticator challenge');
  const sha = createHash('sha1');
  sha.update(peerChallenge);
  sha.update(authenticatorChallenge);
  sha.update(strippedUserName(userName));
  return new Uint8Array(sha.digest().subarray(0, 8));
}

/** The user name octets hashed by ChallengeHash: everything after the last backslash (RFC 2759 §8.2). */
export function strippedUserName(userName: UserName): Uint8Array {
  const octets = typeof userName === 'string' ? utf8Octets(userName) : userName;
  const slash = octets.lastIndexOf(BACKSLASH);
  return slash < 0 ? octets : octets.subarray(slash + 1);
}

/** RFC 2759 §8.3 NtPasswordHash: MD4 of the password in UTF-16LE (no terminator); 16 octets. */
export function ntPasswordHash(password: string): Uint8Array {
  const unicode = new Uint8Array(password.length * 2);
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i);
    unicode[2 * i] = unit & 0xff;
    unicode[2 * i + 1] = unit >>> 8;
  }
  const hash = md4(unicode);
  unicode.fill(0);
  return hash;
}

/** RFC 2759 §8.4 HashNtPasswordHash: MD4 of the 16-octet password hash. */
export function hashNtPasswordHash(passwordHash: Uint8Array): Uint8Array {
  need(passwordHash, 16, 'password hash');
  return md4(passwordHash);
}

/**
 * RFC 2759 §8.5 ChallengeResponse: the password hash, zero-padded to 21 octets, gives three 7-octet
 * DES keys; each encrypts the 8-octet challenge. Returns 24 octets.
 */
export function challengeResponse(challenge: Uint8Array, passwordHash: Uint8Array): Uint8Array {
  need(challenge, 8, 'challenge');
  need(passwordHash, 16, 'password hash');
  const z = new Uint8Array(21);
  z.set(passwordHash);
  const out = new Uint8Array(24);
  for (let i = 0; i < 3; i++) out.set(desEncryptBlock(z.subarray(7 * i, 7 * i + 7), challenge), 8 * i);
  z.fill(0);
  return out;
}

/** RFC 2759 §8.1 GenerateNTResponse from a password hash (lets a server store NT hashes only). */
export function generateNtResponseFromHash(
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: UserName,
  passwordHash: Uint8Array,
): Uint8Array {
  return challengeResponse(challengeHash(peerChallenge, authenticatorChallenge, userName), passwordHash);
}

/** RFC 2759 §8.1 GenerateNTResponse: the 24-octet NT-Response for the two challenges, user and password. */
export function generateNtResponse(
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: UserName,
  password: string,
): Uint8Array {
  return generateNtResponseFromHash(authenticatorChallenge, peerChallenge, userName, ntPasswordHash(password));
}

/**
 * RFC 2759 §8.7 GenerateAuthenticatorResponse as its 20 raw octets:
 * SHA1(SHA1(PasswordHashHash ‖ NT-Response ‖ Magic1) ‖ ChallengeHash ‖ Magic2).
 */
export function authenticatorResponseDigest(
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: UserName,
): Uint8Array {
  need(ntResponse, 24, 'NT-Response');
  const digest = createHash('sha1').update(hashNtPasswordHash(passwordHash)).update(ntResponse).update(MAGIC1).digest();
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName);
  return new Uint8Array(createHash('sha1').update(digest).update(challenge).update(MAGIC2).digest());
}

/**
 * RFC 2759 §8.7 GenerateAuthenticatorResponse: the 42-character string "S=" followed by 40
 * upper-case hex digits, as carried in the Success packet.
 */
export function generateAuthenticatorResponse(
  password: string,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: UserName,
): string {
  const raw = authenticatorResponseDigest(
    ntPasswordHash(password),
    ntResponse,
    peerChallenge,
    authenticatorChallenge,
    userName,
  );
  return `S=${toHex(raw).toUpperCase()}`;
}

function need(b: Uint8Array, length: number, what: string): void {
  if (b.length !== length) {
    throw new L2tpUsageError('ERR_L2TP_MSCHAP_ARGUMENT', `${what} must be ${length} octets, got ${b.length}`);
  }
}

function asciiOctets(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
