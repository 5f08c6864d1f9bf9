// What a PppLink reports: its phases (RFC 1661 §3.2), its events, and the RFC 3145 §3 cause codes
// of 'link-down'. Related: link.ts.
import type { AuthVerifyRequest } from '../core/auth-engine.js';

/** Link phases of RFC 1661 §3.2. */
export type Phase = 'dead' | 'establish' | 'authenticate' | 'network' | 'terminate';

/** What a link reports. */
export type PppEvent =
  | { readonly type: 'phase'; readonly phase: Phase }
  | { readonly type: 'auth-succeeded'; readonly user: string; readonly protocol: string }
  | { readonly type: 'auth-failed'; readonly user?: string; readonly reason: string }
  /** Our authenticator defers its verdict: answer with PppLink.completeAuth (RADIUS). */
  | { readonly type: 'auth-verify'; readonly request: AuthVerifyRequest }
  | {
      readonly type: 'link-up';
      readonly localAddress: string;
      readonly peerAddress: string;
      readonly dns: readonly string[];
      readonly nbns: readonly string[];
      readonly user?: string;
      readonly ipv6?: { localId: string; peerId: string };
    }
  | { readonly type: 'link-down'; readonly reason: string; readonly cause: number; readonly direction: 1 | 2 }
  /** IPv6CP Opened (RFC 5072): IPv6 (protocol 0x0057) flows from now on; identifiers as pppd prints them. */
  | { readonly type: 'ipv6-up'; readonly localId: string; readonly peerId: string }
  | { readonly type: 'ipv6-down' }
  | { readonly type: 'ip'; readonly packet: Uint8Array }
  | { readonly type: 'log'; readonly text: string };

/**
 * RFC 3145 §3 disconnect cause codes a PppLink reports in 'link-down' (`cause`). The L2TP AVP that
 * carries such a code to the peer is ../l2tp/wire/session-avps.ts DisconnectCauseAvp.
 */
export const LinkDownCause = {
  None: 0,
  Admin: 1,
  Normal: 3,
  LcpTimeout: 5,
  Loopback: 7,
  EchoTimeout: 8,
  AuthTimeout: 13,
  AuthProtocolUnacceptable: 15,
  AuthFailed: 16,
  NcpTimeout: 17,
  NoNcp: 18,
  NoAddress: 20,
} as const;
