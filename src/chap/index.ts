// Public API of src/chap: CHAP-MD5 (RFC 1994), MS-CHAPv2 (RFC 2759) and PAP (RFC 1334)
// authenticators and peers, their packet codecs, and the MD4/DES primitives OpenSSL 3 lacks.
// Related: methods.ts (the catalogue), ../core/auth-engine.ts (the engine interface src/ppp drives).
export { type ChapServerOptions, createChapMd5Server, createMsChapV2Server } from './chap-authenticator.js';
export { CHAP_MD5_RESPONSE_SIZE, chapMd5Response } from './chap-md5.js';
export {
  type ChapChallengeOrResponse,
  ChapCode,
  type ChapPacket,
  type ChapStatus,
  decodeChapPacket,
  encodeChapChallengeOrResponse,
  encodeChapStatus,
} from './chap-packet.js';
export {
  type ChapClientOptions,
  createChapMd5Client,
  createMsChapV2Client,
  type MsChapV2ClientOptions,
} from './chap-peer.js';
export { desEncryptBlock, expandDesKey } from './des.js';
export { md4 } from './md4.js';
export {
  AUTH_METHOD_NAMES,
  AUTH_METHODS,
  type AuthClientContext,
  type AuthMethodEntry,
  type AuthMethodName,
  type AuthServerContext,
  authClientOffer,
  authServerOffer,
  isAuthMethodName,
} from './methods.js';
export {
  authenticatorResponseDigest,
  challengeHash,
  challengeResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  generateNtResponseFromHash,
  hashNtPasswordHash,
  ntPasswordHash,
  strippedUserName,
  type UserName,
} from './mschapv2.js';
export {
  decodeMsChapV2ResponseValue,
  encodeMsChapV2Challenge,
  encodeMsChapV2Response,
  formatMsChapV2Failure,
  formatMsChapV2Success,
  MSCHAPV2_CHALLENGE_SIZE,
  MSCHAPV2_RESPONSE_SIZE,
  type MsChapV2Failure,
  type MsChapV2ResponseValue,
  type MsChapV2Success,
  parseMsChapV2Failure,
  parseMsChapV2Success,
} from './mschapv2-wire.js';
export {
  decodePapPacket,
  encodePapReply,
  encodePapRequest,
  PapCode,
  type PapPacket,
  type PapReply,
  type PapRequest,
} from './pap.js';
export { createPapServer, type PapServerOptions } from './pap-authenticator.js';
export { createPapClient, type PapClientOptions } from './pap-peer.js';
export { type AuthEngine, type AuthOffer, type AuthOutcome, AuthProtocol, ChapAlgorithm } from './types.js';
