// The PPP numbers the authentication engines announce. The engine interface itself is
// core/auth-engine.ts (shared with src/ppp, which chap/ must not import).
// Related: methods.ts (the catalogue), chap-authenticator.ts, chap-peer.ts, pap-*.ts.
export type { AuthEngine, AuthOffer, AuthOutcome } from '../core/auth-engine.js';

/** PPP protocol numbers (RFC 1994 §2, RFC 1334 §2). */
export const AuthProtocol = { Chap: 0xc223, Pap: 0xc023 } as const;
/** CHAP Algorithm octets of the LCP option (RFC 1994 §3: 5 = MD5; RFC 2759 §2: 0x81 = MS-CHAPv2). */
export const ChapAlgorithm = { Md5: 0x05, MsChapV2: 0x81 } as const;
