// The configuration of one PPP link (PppLink), with pppd's defaults. docs/PPP.md describes each
// option and the pppd option it comes from. Related: link.ts.
import type { AuthOffer } from '../core/auth-engine.js';
import type { Random } from '../core/random.js';

/**
 * Configuration of one link (defaults follow pppd; docs/PPP.md describes the options). A link
 * keeps a reference to it and never changes it: an owner of many links shares one.
 */
export interface PppLinkOptions {
  readonly role: 'lns' | 'lac';
  readonly random: Random;
  /** Our MRU (default 1500). */
  readonly mru?: number;
  /** Methods we authenticate the peer with, in preference order; empty: noauth. */
  readonly authServers?: readonly AuthOffer[];
  /** Methods we can authenticate ourselves with, in preference order. */
  readonly authClients?: readonly AuthOffer[];
  /**
   * LNS: called once on entering the Network phase; undefined → link down, RFC 3145 cause 20.
   * `dns`/`nbns`, when given, replace the link's for this session (RADIUS MS-*-DNS/NBNS-Server).
   * `tag` is the link's (PppLink constructor), so one function serves every link.
   */
  readonly assignAddress?: (
    user: string | undefined,
    tag: number,
  ) => { local: string; peer: string; dns?: readonly string[]; nbns?: readonly string[] } | undefined;
  /** LNS: ms-dns / ms-wins handed out (RFC 1877). */
  readonly dns?: readonly string[];
  readonly nbns?: readonly string[];
  /** LAC: the address requested (default 0.0.0.0). */
  readonly localAddress?: string;
  /** Run IPv6CP too (RFC 5072). */
  readonly ipv6?: boolean;
  /** RFC 1661 §4.6 timer and counters (3000 ms, 10, 2, 5). */
  readonly restartMs?: number;
  readonly maxConfigure?: number;
  readonly maxTerminate?: number;
  readonly maxFailure?: number;
  /** LCP echo keepalive (pppd lcp-echo-interval/-failure); 0 or absent: off. */
  readonly echoIntervalMs?: number;
  readonly echoFailure?: number;
  /** Limit on the Authenticate phase (default 30000 ms): RFC 3145 cause 13 when exceeded. */
  readonly authTimeoutMs?: number;
  /** Protocols answered with Protocol-Reject even if known (e.g. CCP 0x80fd for nomppe/noccp). */
  readonly rejectProtocols?: readonly number[];
  /** Emit pppd-style 'log' events for every control packet sent and received. */
  readonly debug?: boolean;
  /** Configure-Requests carrying our own magic before declaring a loop (pppd lcp-loopbackfail, 10). */
  readonly loopbackFail?: number;
}
