// The tunnel (control connection) automaton as data: RFC 2661 §7.2, both roles, plus the two local
// events the RFC leaves to the implementation (an internal error, a lost §4.4.3 tie break).
// Related: tunnel.ts (runs it), docs/L2TP-AUTOMATA.md (generated from it).
import type { Random } from '../core/random.js';
import type { Cell, Step, TransitionTable } from '../core/transition-table.js';
import type { ControlChannelOptions } from './control-channel.js';
import { type HandshakeSecrets, judgeAuthentication, judgeSccrp } from './handshake.js';
import { StopReason } from './reasons.js';
import type { DisconnectReason, TransitionObserver } from './types.js';
import type { ControlMessage, Fault } from './wire/message.js';
import { MESSAGES, MessageType } from './wire/message-catalogue.js';
import { faultReason } from './wire/result-codes.js';

/** §7.2 tunnel states (plus 'closing' = lingering after StopCCN, and the terminal 'closed'). */
export const TUNNEL_STATES = ['idle', 'wait-ctl-reply', 'wait-ctl-conn', 'established', 'closing', 'closed'] as const;
/** A tunnel state. */
export type TunnelState = (typeof TUNNEL_STATES)[number];

/** Inputs to the tunnel automaton ('-ok'/'-bad': the message was acceptable or not). */
export const TUNNEL_EVENTS = [
  'local-open',
  'rx-sccrq',
  'rx-sccrp-ok',
  'rx-sccrp-bad',
  'rx-scccn-ok',
  'rx-scccn-bad',
  'rx-stopccn',
  'rx-hello',
  'rx-session',
  'rx-fault',
  'local-close',
  'channel-failed',
  'linger-done',
  'tie-break-lost',
  'internal-error',
  'setup-timeout',
  'queue-overflow',
  'evicted',
] as const;
/** A tunnel event. */
export type TunnelEvent = (typeof TUNNEL_EVENTS)[number];

/** What a cell does. */
export type TunnelAction =
  | 'adopt-peer'
  | 'send-sccrq'
  | 'send-sccrp'
  | 'send-scccn'
  | 'send-stopccn'
  | 'send-stopccn-fsm'
  | 'send-stopccn-fault'
  | 'up'
  | 'down-local'
  | 'down-peer'
  | 'down-timeout'
  | 'down-tie-break'
  | 'down-internal'
  | 'linger'
  | 'route-session'
  | 'forget-sessions'
  | 'drop-queue'
  | 'abandon';

/** One table cell: next state, then actions in order. */
export type TunnelCell = Cell<TunnelState, TunnelAction>;

const FSM: TunnelCell = ['closing', 'send-stopccn-fsm', 'down-local', 'linger'];
const REFUSE: TunnelCell = ['closing', 'send-stopccn', 'down-local', 'linger'];
const PEER_STOP: TunnelCell = ['closing', 'down-peer', 'linger'];
const FAULT: TunnelCell = ['closing', 'send-stopccn-fault', 'down-local', 'linger'];
const TIMEOUT: TunnelCell = ['closed', 'down-timeout', 'abandon'];
/** A bug inside the tunnel: its sessions are forgotten without events, then one tunnel-down. */
const INTERNAL: TunnelCell = ['closed', 'forget-sessions', 'abandon', 'down-internal'];
const OPEN = ['wait-ctl-reply', 'wait-ctl-conn', 'established'] as const;
const open = (cell: TunnelCell): Partial<Record<TunnelState, TunnelCell>> =>
  Object.fromEntries(OPEN.map((s) => [s, cell]));

/** §7.2, both roles: rows = events, columns = states. */
export const TUNNEL_TRANSITIONS: TransitionTable<TunnelState, TunnelEvent, TunnelAction> = {
  // LAC: open request → send SCCRQ, wait-ctl-reply.
  'local-open': { idle: ['wait-ctl-reply', 'send-sccrq'] },
  // LNS: SCCRQ acceptable (the endpoint judged it) → send SCCRP, wait-ctl-conn. Elsewhere: StopCCN, clean up.
  'rx-sccrq': { idle: ['wait-ctl-conn', 'adopt-peer', 'send-sccrp'], ...open(FSM) },
  'rx-sccrp-ok': {
    ...open(FSM),
    idle: ['closed', 'abandon'],
    'wait-ctl-reply': ['established', 'adopt-peer', 'send-scccn', 'up'],
  },
  'rx-sccrp-bad': {
    ...open(FSM),
    idle: ['closed', 'abandon'],
    'wait-ctl-reply': ['closing', 'adopt-peer', 'send-stopccn', 'down-local', 'linger'],
  },
  'rx-scccn-ok': { ...open(FSM), idle: ['closed', 'abandon'], 'wait-ctl-conn': ['established', 'up'] },
  'rx-scccn-bad': { ...open(FSM), idle: ['closed', 'abandon'], 'wait-ctl-conn': REFUSE },
  // StopCCN: clean up, ack it (the channel does), keep state for a full cycle (§5.7).
  'rx-stopccn': { ...open(PEER_STOP), idle: ['closed', 'abandon'] },
  // HELLO: the ack is the answer (§6.5); nothing else changes.
  'rx-hello': {
    'wait-ctl-reply': ['wait-ctl-reply'],
    'wait-ctl-conn': ['wait-ctl-conn'],
    established: ['established'],
  },
  // Call management only on an established tunnel.
  'rx-session': { ...open(FSM), established: ['established', 'route-session'] },
  // A tunnel-scoped decode fault: StopCCN with FAULT_REPLY (§4.1: unknown M=1 AVP → 2/8).
  'rx-fault': { ...open(FAULT), idle: ['closed', 'abandon'] },
  'local-close': { ...open(REFUSE), idle: ['closed', 'abandon'] },
  // Retries exhausted (§5.8): "the tunnel and all sessions within MUST be cleared".
  'channel-failed': { ...open(TIMEOUT), idle: ['closed', 'abandon'], closing: ['closed', 'abandon'] },
  'linger-done': { closing: ['closed', 'abandon'] },
  // §4.4.3: the peer's SCCRQ crossed ours and won: our request is dropped quietly (no StopCCN).
  'tie-break-lost': { 'wait-ctl-reply': ['closed', 'abandon', 'down-tie-break'] },
  // Not established within tunnelSetupTimeoutMs (a peer that acks our SCCRQ/SCCRP and never
  // finishes the handshake would hold state forever): StopCCN with the input's reason.
  'setup-timeout': { 'wait-ctl-reply': REFUSE, 'wait-ctl-conn': REFUSE },
  // The control channel's pending queue is full (a peer that never acks): StopCCN 2/4. The queued
  // messages are dropped first so the StopCCN is the next message the peer sees.
  'queue-overflow': { ...open(['closing', 'drop-queue', 'send-stopccn', 'down-local', 'linger']) },
  // Half-open table full: the oldest half-open tunnel gives way to a new SCCRQ (a SYN cache's
  // policy). The endpoint sends its StopCCN 2/4 as a one-shot; the tunnel keeps no linger state.
  evicted: { 'wait-ctl-conn': ['closed', 'down-local', 'abandon'] },
  // An engine bug while handling this tunnel: it alone goes, in whatever state it was.
  'internal-error': Object.fromEntries(TUNNEL_STATES.map((s) => [s, INTERNAL])),
};

/** Resolved options a tunnel reads (the endpoint fills the defaults). */
export interface TunnelConfig {
  readonly role: 'lac' | 'lns';
  readonly hostName: string;
  readonly random: Random;
  readonly challengePeer: boolean;
  readonly hideAvps: boolean;
  /** LAC: Sequencing Required in every ICCN/OCCN (§4.4.5, §5.4). */
  readonly requireSequencing?: boolean;
  readonly receiveWindow: number;
  readonly channel: ControlChannelOptions;
  readonly vendorName?: string;
  readonly firmwareRevision?: number;
  readonly maxSessionsPerTunnel: number;
  /** Pinned port silent this long → a valid in-sequence message from a new port may move it. */
  readonly rebindSilenceMs: number;
  /** A tunnel not established this long after it was opened or its SCCRQ arrived is cleared. */
  readonly tunnelSetupTimeoutMs: number;
  /** A call not connected this long after its request is cleared with CDN. */
  readonly callSetupTimeoutMs: number;
  /** Calls of a peer in setup at once on this tunnel (CDN 2/4 beyond). */
  readonly maxCallsInSetupPerTunnel: number;
  /** Every step of the tunnel and session automata (debug logs); absent: not observed. */
  readonly onTransition?: TransitionObserver;
}

/** What a tunnel event carries into its cell's actions. */
export interface TunnelInput {
  /** The decoded message that caused the event. */
  readonly message?: ControlMessage;
  /** The header's Session ID of a session-scope message. */
  readonly sessionId?: number;
  /** Why we refuse or close (local-close, -bad judgements, internal-error). */
  readonly reason?: DisconnectReason;
  /** The decode fault of rx-fault. */
  readonly fault?: Fault;
}

/** The input of an event that carries nothing. */
export const NO_INPUT: TunnelInput = {};

/** One step of the tunnel table with its input. */
export type TunnelStep = Step<TunnelState, TunnelEvent, TunnelAction, TunnelInput>;

/** The reason our StopCCN in this step carries (and its tunnel-down reports): the cell says which. */
export function stopReason(step: TunnelStep): DisconnectReason {
  if (step.cell.includes('send-stopccn-fsm')) return StopReason.FsmError;
  if (step.cell.includes('send-stopccn-fault')) {
    return step.input.fault === undefined ? StopReason.GeneralError : faultReason(step.input.fault);
  }
  return step.input.reason ?? StopReason.Clear;
}

/**
 * The event a delivered, decoded control message is to the table. An SCCRP is judged only in
 * wait-ctl-reply and an SCCCN only in wait-ctl-conn (elsewhere the table answers FSM error);
 * undefined for tunnel-scope types we do not implement (none in RFC 2661): ignored.
 */
export function tunnelEventOf(
  message: ControlMessage,
  state: TunnelState,
  secrets: HandshakeSecrets,
): { readonly event: TunnelEvent; readonly reason?: DisconnectReason } | undefined {
  switch (message.type) {
    case MessageType.SCCRQ:
      return { event: 'rx-sccrq' };
    case MessageType.SCCRP: {
      const reason = state === 'wait-ctl-reply' ? judgeSccrp(message, secrets.secret, secrets.ourChallenge) : undefined;
      return reason === undefined ? { event: 'rx-sccrp-ok' } : { event: 'rx-sccrp-bad', reason };
    }
    case MessageType.SCCCN: {
      const reason = state === 'wait-ctl-conn' ? judgeAuthentication(message, secrets) : undefined;
      return reason === undefined ? { event: 'rx-scccn-ok' } : { event: 'rx-scccn-bad', reason };
    }
    case MessageType.StopCCN:
      return { event: 'rx-stopccn' };
    case MessageType.HELLO:
      return { event: 'rx-hello' };
    default:
      return MESSAGES.get(message.type)?.scope === 'session' ? { event: 'rx-session' } : undefined;
  }
}
