// The tunnel (control connection) automaton as data: RFC 2661 §7.2, both roles, plus the two local
// events the RFC leaves to the implementation (an internal error, a lost §4.4.3 tie break).
// Related: tunnel.ts (runs it), docs/L2TP-AUTOMATA.md (generated from it).
import type { Cell, TransitionTable } from '../core/transition-table.js';

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
