// The authentication-method catalogue: one row per method (configuration name, PPP protocol,
// CHAP algorithm, event label, authenticator and peer factories). RFC 1994 §3, RFC 2759 §2, RFC 1334.
// Related: types.ts, chap-authenticator.ts, chap-peer.ts, pap-authenticator.ts, pap-peer.ts.
import type { AuthEngine, AuthOffer } from '../core/auth-engine.js';
import type { Random } from '../core/random.js';
import { createChapMd5Server, createMsChapV2Server } from './chap-authenticator.js';
import { createChapMd5Client, createMsChapV2Client } from './chap-peer.js';
import { createPapServer } from './pap-authenticator.js';
import { createPapClient } from './pap-peer.js';
import { AuthProtocol, ChapAlgorithm } from './types.js';

/** A method as configuration and the command line name it (pppd require-mschap-v2 / require-chap / require-pap). */
export type AuthMethodName = 'mschapv2' | 'chap' | 'pap';

/** What an authenticator (LNS) needs to build its engines: one context serves every link. */
export interface AuthServerContext {
  readonly random: Random;
  /** The CHAP Name we send in Challenges (pppd `name`). */
  readonly name: string;
  /** The secret of a user, undefined when unknown; `tag` is the asking link's (AuthOffer.create). */
  lookup(user: string, tag: number): string | undefined;
  /** Defer every verdict to an external checker (RADIUS): engines emit pollVerify, `lookup` is unused. */
  readonly external?: boolean;
  /** pppd chap-restart: Challenge retransmission interval. */
  readonly chapRestartMs?: number;
  /** pppd pap-timeout: 0 or absent: wait for the Authenticate-Request without limit. */
  readonly papTimeoutMs?: number;
}

/** What a peer (LAC) needs to build its engines. */
export interface AuthClientContext {
  readonly user: string;
  readonly password: string;
  readonly random: Random;
}

/** One row of the catalogue. */
export interface AuthMethodEntry {
  readonly name: AuthMethodName;
  /** PPP protocol number (RFC 1994 §2, RFC 1334 §2). */
  readonly protocol: number;
  /** CHAP only: the Algorithm octet of the LCP option. */
  readonly algorithm?: number;
  /** The stable name of the 'auth-succeeded' event. */
  readonly label: string;
  createServer(ctx: AuthServerContext, tag: number): AuthEngine;
  createClient(ctx: AuthClientContext): AuthEngine;
}

/** Every method we implement, keyed by its configuration name; preference order is MS-CHAPv2, CHAP, PAP. */
export const AUTH_METHODS: Readonly<Record<AuthMethodName, AuthMethodEntry>> = {
  mschapv2: {
    name: 'mschapv2',
    protocol: AuthProtocol.Chap,
    algorithm: ChapAlgorithm.MsChapV2,
    label: 'mschapv2',
    createServer: (c, tag) =>
      createMsChapV2Server({
        random: c.random,
        name: c.name,
        lookup: (user) => c.lookup(user, tag),
        timeoutMs: c.chapRestartMs,
        external: c.external,
      }),
    createClient: (c) => createMsChapV2Client({ user: c.user, password: c.password, random: c.random }),
  },
  chap: {
    name: 'chap',
    protocol: AuthProtocol.Chap,
    algorithm: ChapAlgorithm.Md5,
    label: 'chap-md5',
    createServer: (c, tag) =>
      createChapMd5Server({
        random: c.random,
        name: c.name,
        lookup: (user) => c.lookup(user, tag),
        timeoutMs: c.chapRestartMs,
        external: c.external,
      }),
    createClient: (c) => createChapMd5Client({ user: c.user, password: c.password }),
  },
  pap: {
    name: 'pap',
    protocol: AuthProtocol.Pap,
    label: 'pap',
    createServer: (c, tag) =>
      createPapServer({
        lookup: (user) => c.lookup(user, tag),
        external: c.external,
        ...(c.papTimeoutMs ? { timeoutMs: c.papTimeoutMs } : {}),
      }),
    createClient: (c) => createPapClient({ user: c.user, password: c.password }),
  },
};

/** The configuration names, in preference order. */
export const AUTH_METHOD_NAMES: readonly AuthMethodName[] = ['mschapv2', 'chap', 'pap'];

/** True when `v` names a method of the catalogue. */
export function isAuthMethodName(v: unknown): v is AuthMethodName {
  return typeof v === 'string' && Object.hasOwn(AUTH_METHODS, v);
}

/**
 * The offer of `name` as authenticator: the link builds one engine per Authenticate phase. Build
 * it once per owner, not per link: the engine's lookups carry the link's tag.
 */
export function authServerOffer(name: AuthMethodName, ctx: AuthServerContext): AuthOffer {
  const m = AUTH_METHODS[name];
  return { ...identity(m), create: (tag) => m.createServer(ctx, tag) };
}

/** The offer of `name` as peer. */
export function authClientOffer(name: AuthMethodName, ctx: AuthClientContext): AuthOffer {
  const m = AUTH_METHODS[name];
  return { ...identity(m), create: () => m.createClient(ctx) };
}

function identity(m: AuthMethodEntry): Omit<AuthOffer, 'create'> {
  return m.algorithm === undefined
    ? { protocol: m.protocol, label: m.label }
    : { protocol: m.protocol, algorithm: m.algorithm, label: m.label };
}
