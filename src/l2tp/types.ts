// The public value types of the L2TP engines: events, disconnect reasons, session handles.
// RFC 2661 §4.4.2 (Result/Error Codes), RFC 3145 (PPP Disconnect Cause). Related: endpoint.ts.
import type { PeerAddress } from '../core/engine.js';
import type { Instant } from '../core/time.js';
import type { TransitionRecord } from '../core/transition-table.js';
import type { CallErrors, DisconnectCauseAvp } from './wire/session-avps.js';

export type { TransitionRecord } from '../core/transition-table.js';
export type { CallErrors, DisconnectCauseAvp } from './wire/session-avps.js';

/** Why we tear a session (CDN) or a tunnel (StopCCN) down: §4.4.2 Result Code AVP (+ RFC 3145 cause in a CDN). */
export interface DisconnectReason {
  readonly resultCode: number;
  readonly errorCode?: number;
  readonly message?: string;
  readonly cause?: DisconnectCauseAvp;
}

/** The data-path view of one established session (O(1) from Endpoint.session()). */
export interface SessionHandle {
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly peerTunnelId: number;
  readonly peerSessionId: number;
  /** Where data messages go (follows the tunnel's peer if it moves port). */
  readonly peer: PeerAddress;
  /** §5.4: Sequencing Required was sent or received: data messages MUST always carry Ns, both ways. */
  readonly sequencingRequired: boolean;
  /** Data messages we send carry Ns now (the bridge sets it by the §5.4 rules). */
  sequencing: boolean;
  /** The Ns for the next sequenced data message (0, 1, … mod 2^16). */
  nextDataNs(): number;
  /** A data message arrived for this session: the tunnel is not idle (§6.5 HELLO). */
  noteReceived(now: Instant): void;
}

/** RFC 2661 §4.4.5 proxy LCP and authentication AVPs of an ICCN, raw. */
export interface IccnInfo {
  readonly txConnectSpeed?: number;
  readonly rxConnectSpeed?: number;
  readonly framingType?: number;
  readonly initialReceivedLcpConfReq?: Uint8Array;
  readonly lastSentLcpConfReq?: Uint8Array;
  readonly lastReceivedLcpConfReq?: Uint8Array;
  readonly proxyAuthenType?: number;
  readonly proxyAuthenName?: string;
  readonly proxyAuthenChallenge?: Uint8Array;
  readonly proxyAuthenId?: number;
  readonly proxyAuthenResponse?: Uint8Array;
  readonly privateGroupId?: Uint8Array;
}

/** What the endpoint reports; drained with Endpoint.pollEvent(). */
export type L2tpEvent =
  | {
      readonly type: 'tunnel-up';
      readonly tunnelId: number;
      readonly peerTunnelId: number;
      readonly peer: PeerAddress;
      readonly peerHostName: string;
    }
  | {
      readonly type: 'tunnel-down';
      readonly tunnelId: number;
      readonly peer: PeerAddress;
      readonly resultCode: number;
      readonly errorCode?: number;
      readonly message?: string;
      readonly initiator: 'local' | 'peer';
      /** kebab-case: 'stopccn-received', 'stopccn-sent', 'retransmission-timeout', 'internal-error', … */
      readonly reason: string;
      /**
       * Sessions dropped without a session-down event (only after an internal error): every other
       * session of the tunnel was reported by its own session-down before this event, so a consumer
       * cleans up these and need not scan its sessions (issue 9 item 5: teardown is O(N)).
       */
      readonly forgottenSessionIds?: readonly number[];
    }
  | {
      readonly type: 'session-up';
      readonly tunnelId: number;
      readonly sessionId: number;
      readonly peerSessionId: number;
      readonly callSerialNumber: number;
      /** §4.4.5 Calling / Called Number of the ICRQ, when the LAC sent them. */
      readonly callingNumber?: string;
      readonly calledNumber?: string;
      /** Sequencing Required was sent or received (§4.4.5). */
      readonly sequencing: boolean;
      readonly iccn?: IccnInfo;
    }
  | {
      readonly type: 'session-down';
      readonly tunnelId: number;
      readonly sessionId: number;
      readonly resultCode: number;
      readonly errorCode?: number;
      readonly message?: string;
      readonly initiator: 'local' | 'peer';
      readonly cause?: DisconnectCauseAvp;
    }
  | {
      readonly type: 'wan-error';
      readonly tunnelId: number;
      readonly sessionId: number;
      readonly callErrors: CallErrors;
    }
  | {
      readonly type: 'set-link-info';
      readonly tunnelId: number;
      readonly sessionId: number;
      readonly sendAccm: number;
      readonly receiveAccm: number;
    }
  | { readonly type: 'datagram-dropped'; readonly reason: string; readonly peer: PeerAddress };

/**
 * Told about every step of a tunnel or session automaton (taken or ignored), after its actions
 * ran: for `debug state` / `debug tunnel` logs. `sessionId` is 0 for the tunnel's own machine.
 */
export type TransitionObserver = (
  machine: 'tunnel' | 'session',
  tunnelId: number,
  sessionId: number,
  record: TransitionRecord,
) => void;

/** A snapshot of one tunnel, for `ctl` and tests. */
export interface TunnelInfo {
  readonly tunnelId: number;
  readonly peerTunnelId: number;
  readonly peer: PeerAddress;
  readonly peerHostName: string | undefined;
  readonly state: string;
  readonly sessions: number;
}
