// The session automaton: RFC 2661 §7.4 (incoming calls, LAC and LNS), §7.5 (outgoing calls), §6.6-§6.14.
// Related: tunnel.ts (owns sessions, routes their messages), types.ts (events), endpoint.ts.
//
// Theory of operation. Every transition lives in SESSION_TRANSITIONS: a cell is
// [next state, ...actions], run by the shared TableRunner. A missing cell is the RFC's "cannot
// happen here": the event is ignored and recorded in the transition log, nothing else changes.
// Each event carries its input (the decoded message, the reason, the fault) as an argument. Where §7.4 says an unexpected message
// clears the call, the cell sends a CDN ("FSM error": Result 2, Error 0, message "FSM error").
// Acceptability of a call request (role, limits) is judged by the tunnel before a Session exists,
// so a refused ICRQ/OCRQ leaves no state behind. Actions only queue messages and events; fire()
// never re-enters. Coupling: the tunnel fires 'tunnel-down' into every session when it goes down
// (no CDN is sent then: StopCCN clears all sessions, §5.7).
import type { PeerAddress } from '../core/engine.js';
import type { Instant } from '../core/time.js';
import {
  type Cell,
  type Step,
  TableRunner,
  type TableRunnerOptions,
  type TransitionRecord,
  type TransitionTable,
} from '../core/transition-table.js';
import { CdnReason, peerReason } from './reasons.js';
import type { DisconnectReason, IccnInfo, L2tpEvent, SessionHandle } from './types.js';
import { AvpType } from './wire/avp-catalogue.js';
import {
  avpBytes,
  avpString,
  avpU16,
  avpU32,
  type ControlMessage,
  type Fault,
  findAvp,
  hasAvp,
  makeBytesAvp,
  makeEmptyAvp,
  makeResultCodeAvp,
  makeU16Avp,
  makeU32Avp,
  type RawAvp,
} from './wire/message.js';
import { MessageType } from './wire/message-catalogue.js';
import { faultReason } from './wire/result-codes.js';
import { decodeAccm, decodeCallErrors, decodeDisconnectCause, encodeDisconnectCause } from './wire/session-avps.js';

/** §7.4/§7.5 session states; ic-* are incoming calls, oc-* outgoing calls. */
export const SESSION_STATES = [
  'idle',
  'ic-wait-reply',
  'ic-wait-connect',
  'oc-wait-reply',
  'oc-wait-connect',
  'established',
  'closed',
] as const;
/** A session state. */
export type SessionState = (typeof SESSION_STATES)[number];

/** Inputs to the session automaton. */
export const SESSION_EVENTS = [
  'open-incoming',
  'open-outgoing',
  'rx-icrq',
  'rx-icrp',
  'rx-iccn',
  'rx-ocrq',
  'rx-ocrp',
  'rx-occn',
  'rx-cdn',
  'rx-wen',
  'rx-sli',
  'rx-fault',
  'local-close',
  'tunnel-down',
  'setup-timeout',
] as const;
/** A session event. */
export type SessionEvent = (typeof SESSION_EVENTS)[number];

/** What a cell does: send a message, report an event. */
export type SessionAction =
  | 'send-icrq'
  | 'send-icrp'
  | 'send-iccn'
  | 'send-ocrq'
  | 'send-ocrp'
  | 'send-occn'
  | 'send-cdn'
  | 'send-cdn-fsm'
  | 'send-cdn-fault'
  | 'up'
  | 'down-local'
  | 'down-peer'
  | 'down-tunnel'
  | 'report-wen'
  | 'report-sli';

/** One table cell: the next state, then the actions in order. */
export type SessionCell = Cell<SessionState, SessionAction>;

const FSM_CDN: SessionCell = ['closed', 'send-cdn-fsm', 'down-local'];
const CLOSE: SessionCell = ['closed', 'send-cdn', 'down-local'];
const PEER_CDN: SessionCell = ['closed', 'down-peer'];
const TUNNEL_DOWN: SessionCell = ['closed', 'down-tunnel'];
const FAULT: SessionCell = ['closed', 'send-cdn-fault', 'down-local'];
/** The states of a call not yet connected: callSetupTimeoutMs applies to them. */
const SETUP = ['ic-wait-reply', 'ic-wait-connect', 'oc-wait-reply', 'oc-wait-connect'] as const;
const LIVE = ['ic-wait-reply', 'ic-wait-connect', 'oc-wait-reply', 'oc-wait-connect', 'established'] as const;
const all = (cell: SessionCell): Partial<Record<SessionState, SessionCell>> =>
  Object.fromEntries(LIVE.map((s) => [s, cell]));

/**
 * §7.4 (incoming) and §7.5 (outgoing), both roles, rows = events, columns = states.
 * 'idle' is where a session is born: a local open or a peer's ICRQ/OCRQ moves it on at once.
 */
export const SESSION_TRANSITIONS: TransitionTable<SessionState, SessionEvent, SessionAction> = {
  // LAC: "Incoming call" → send ICRQ, wait-reply (§7.4.1).
  'open-incoming': { idle: ['ic-wait-reply', 'send-icrq'] },
  // LNS: "Open request" → send OCRQ, wait-reply (§7.5.2).
  'open-outgoing': { idle: ['oc-wait-reply', 'send-ocrq'] },
  // LNS: ICRQ acceptable → send ICRP, wait-connect (§7.4.2). Elsewhere: clean up, send CDN.
  'rx-icrq': { idle: ['ic-wait-connect', 'send-icrp'], ...all(FSM_CDN) },
  // LAC: ICRP acceptable → send ICCN, established (§7.4.1).
  'rx-icrp': { ...all(FSM_CDN), idle: FSM_CDN, 'ic-wait-reply': ['established', 'send-iccn', 'up'] },
  // LNS: ICCN acceptable → established (§7.4.2).
  'rx-iccn': { ...all(FSM_CDN), idle: FSM_CDN, 'ic-wait-connect': ['established', 'up'] },
  // LAC: OCRQ acceptable → send OCRP; with no bearer to dial the call is placed at once → OCCN (§7.5.1).
  'rx-ocrq': { idle: ['established', 'send-ocrp', 'send-occn', 'up'], ...all(FSM_CDN) },
  // LNS: OCRP acceptable → wait-connect (§7.5.2).
  'rx-ocrp': { ...all(FSM_CDN), idle: FSM_CDN, 'oc-wait-reply': ['oc-wait-connect'] },
  // LNS: OCCN acceptable → established (§7.5.2).
  'rx-occn': { ...all(FSM_CDN), idle: FSM_CDN, 'oc-wait-connect': ['established', 'up'] },
  // CDN in any state: clean up, no reply beyond the ZLB ack (§7.4).
  'rx-cdn': { ...all(PEER_CDN), idle: PEER_CDN },
  // WEN (LAC→LNS) and SLI (LNS→LAC) only mean something on an established call (§6.14, §6.15).
  'rx-wen': { established: ['established', 'report-wen'] },
  'rx-sli': { established: ['established', 'report-sli'] },
  // A session-scoped decode fault (unknown M=1 AVP, missing AVP, …): CDN with FAULT_REPLY (§4.1).
  'rx-fault': { ...all(FAULT), idle: FAULT },
  'local-close': { ...all(CLOSE), idle: ['closed', 'down-local'] },
  'tunnel-down': { ...all(TUNNEL_DOWN), idle: ['closed'] },
  // Not connected within callSetupTimeoutMs (a peer that sends ICRQ and never ICCN): CDN, cleared.
  'setup-timeout': Object.fromEntries(SETUP.map((s) => [s, CLOSE])),
};

/** What a session needs from its tunnel. */
export interface SessionHost {
  readonly tunnelId: number;
  readonly peerTunnelId: number;
  readonly peer: PeerAddress;
  readonly role: 'lac' | 'lns';
  /** LAC: send Sequencing Required in ICCN (§4.4.5), so both sides always sequence data (§5.4). */
  readonly requireSequencing?: boolean;
  /** Queues a session-scoped message; `peerSessionId` goes in the header (§3.1). */
  sendSessionMessage(peerSessionId: number, msg: ControlMessage, now: Instant): void;
  emit(e: L2tpEvent): void;
  noteReceived(now: Instant): void;
  /** Observes every step of this session's automaton (debug logs), when set. */
  readonly onSessionStep?: ((sessionId: number, r: TransitionRecord) => void) | undefined;
}

/** What a session event carries into its cell's actions. */
export interface SessionInput {
  /** The decoded message that caused the event. */
  readonly message?: ControlMessage;
  /** Why we close (local-close) or why the tunnel went (tunnel-down). */
  readonly reason?: DisconnectReason;
  /** Who sent the StopCCN that took the tunnel down (tunnel-down). */
  readonly initiator?: 'local' | 'peer';
  /** The decode fault of rx-fault. */
  readonly fault?: Fault;
}

type SessionStep = Step<SessionState, SessionEvent, SessionAction, SessionInput>;

const NO_INPUT: SessionInput = {};
const LOG_SIZE = 16;

/** One call: the §7.4/§7.5 automaton plus the data-path handle. */
export class Session implements SessionHandle {
  peerSessionId = 0;
  callSerialNumber = 0;
  /** §4.4.5, from the ICRQ (RADIUS Calling-/Called-Station-Id). */
  callingNumber: string | undefined;
  calledNumber: string | undefined;
  /**
   * §5.4: Sequencing Required was sent or received in ICCN/OCCN, so data messages MUST carry
   * sequence numbers at all times, both ways.
   */
  sequencingRequired = false;
  /**
   * Data messages we send carry Ns now. Set by the bridge: always when sequencingRequired, from the
   * start on an LNS with `flow bit`, and on a LAC as the LNS's data messages say (§5.4).
   */
  sequencing = false;
  private dataNs = 0;
  private readonly machine: TableRunner<SessionState, SessionEvent, SessionAction, SessionInput, Session>;

  /**
   * How every session's automaton runs: one object for all (the session is the runner's owner),
   * so a session holds no closures; once established, its log keeps only the step that got there.
   */
  private static readonly runner: TableRunnerOptions<SessionState, SessionEvent, SessionAction, SessionInput, Session> =
    {
      table: SESSION_TRANSITIONS,
      initial: 'idle',
      perform: (action, step, session) => session.perform(action, step),
      logSize: LOG_SIZE,
      settled: new Set<SessionState>(['established']),
      onStep: (r, session) => session.host.onSessionStep?.(session.sessionId, r),
    };

  constructor(
    private readonly host: SessionHost,
    readonly sessionId: number,
  ) {
    this.machine = new TableRunner(Session.runner, this as Session);
  }

  /** The §7.4/§7.5 state. Set only by the table (tests may set it as a fixture). */
  get state(): SessionState {
    return this.machine.state;
  }
  set state(s: SessionState) {
    this.machine.state = s;
  }

  /** The last transitions, oldest first. */
  get log(): readonly TransitionRecord[] {
    return this.machine.log;
  }

  /** Ignored (state, event) pairs seen, for diagnostics. */
  get ignored(): number {
    return this.machine.ignored;
  }

  /** Our Tunnel ID. */
  get tunnelId(): number {
    return this.host.tunnelId;
  }
  /** The peer's Tunnel ID (goes in data message headers). */
  get peerTunnelId(): number {
    return this.host.peerTunnelId;
  }
  /** Where data messages go: the tunnel's current peer. */
  get peer(): PeerAddress {
    return this.host.peer;
  }

  /** Ns for the next sequenced data message (§5.4: numbering resumes where it left off). */
  nextDataNs(): number {
    const ns = this.dataNs;
    this.dataNs = (ns + 1) & 0xffff;
    return ns;
  }

  /** A data message arrived: resets the tunnel's HELLO timer. */
  noteReceived(now: Instant): void {
    this.host.noteReceived(now);
  }

  /** True while the call is not connected yet (nor closed): its setup deadline applies. */
  get inSetup(): boolean {
    return (SETUP as readonly SessionState[]).includes(this.state) || this.state === 'idle';
  }

  /** True once closed: the tunnel forgets it. */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Starts a call: LAC → incoming call (ICRQ), LNS → outgoing call (OCRQ). */
  open(callSerialNumber: number, now: Instant): void {
    this.callSerialNumber = callSerialNumber;
    this.fire(this.host.role === 'lac' ? 'open-incoming' : 'open-outgoing', now);
  }

  /** Local disconnect: CDN with `reason` (where the state has a peer to tell). */
  close(reason: DisconnectReason, now: Instant): void {
    this.fire('local-close', now, { reason });
  }

  /** The tunnel went down: the session is gone without a CDN. */
  tunnelDown(reason: DisconnectReason, initiator: 'local' | 'peer', now: Instant): void {
    this.fire('tunnel-down', now, { reason, initiator });
  }

  /** A session-scoped decode fault for this session. */
  handleFault(fault: Fault, now: Instant): void {
    this.fire('rx-fault', now, { fault });
  }

  /** A decoded session-scoped message for this session. */
  handleMessage(msg: ControlMessage, now: Instant): void {
    const event = EVENT_OF_TYPE.get(msg.type);
    if (event === undefined) return;
    this.fire(event, now, { message: msg });
  }

  /** Runs one table cell with the event's input; a missing cell is recorded as ignored. */
  fire(event: SessionEvent, now: Instant, input: SessionInput = NO_INPUT): void {
    this.machine.fire(event, now, input);
  }

  private perform(action: SessionAction, step: SessionStep): void {
    const { now, input } = step;
    const m = input.message;
    switch (action) {
      case 'send-icrq':
        // §6.6: Assigned Session ID and Call Serial Number are required; Bearer Type optional.
        this.send(
          MessageType.ICRQ,
          [this.assigned(), makeU32Avp(AvpType.CallSerialNumber, this.callSerialNumber)],
          now,
        );
        return;
      case 'send-icrp':
        this.adoptPeer(m);
        this.send(MessageType.ICRP, [this.assigned()], now);
        return;
      case 'send-iccn':
        this.adoptPeer(m);
        // §6.8: (Tx) Connect Speed and Framing Type are required; we frame synchronously (S bit).
        // §4.4.5: Sequencing Required (no value) when the LAC asks for sequenced data (§5.4).
        this.send(
          MessageType.ICCN,
          [
            makeU32Avp(AvpType.TxConnectSpeed, 100_000_000),
            makeU32Avp(AvpType.FramingType, 1),
            ...this.sequencingAvps(),
          ],
          now,
        );
        return;
      case 'send-ocrq':
        // §6.9: Assigned Session ID, Call Serial Number, Minimum/Maximum BPS, Bearer/Framing Type, Called Number.
        this.send(
          MessageType.OCRQ,
          [
            this.assigned(),
            makeU32Avp(AvpType.CallSerialNumber, this.callSerialNumber),
            makeU32Avp(AvpType.MinimumBps, 0),
            makeU32Avp(AvpType.MaximumBps, 100_000_000),
            makeU32Avp(AvpType.BearerType, 0),
            makeU32Avp(AvpType.FramingType, 1),
            makeBytesAvp(AvpType.CalledNumber, new Uint8Array(0)),
          ],
          now,
        );
        return;
      case 'send-ocrp':
        this.adoptPeer(m);
        this.send(MessageType.OCRP, [this.assigned()], now);
        return;
      case 'send-occn':
        this.send(
          MessageType.OCCN,
          [
            makeU32Avp(AvpType.TxConnectSpeed, 100_000_000),
            makeU32Avp(AvpType.FramingType, 1),
            ...this.sequencingAvps(),
          ],
          now,
        );
        return;
      case 'send-cdn':
      case 'send-cdn-fsm':
      case 'send-cdn-fault':
        this.sendCdn(localReason(step), now);
        return;
      case 'up': {
        if (m !== undefined) this.adoptPeer(m);
        if (m?.type === MessageType.ICCN || m?.type === MessageType.OCCN) {
          // §4.4.5: Sequencing Required → data messages MUST carry sequence numbers (§5.4).
          if (hasAvp(m, AvpType.SequencingRequired)) this.sequencingRequired = true;
        }
        if (this.sequencingRequired) this.sequencing = true;
        const iccn = m?.type === MessageType.ICCN ? iccnInfo(m) : undefined;
        this.host.emit({
          type: 'session-up',
          tunnelId: this.tunnelId,
          sessionId: this.sessionId,
          peerSessionId: this.peerSessionId,
          callSerialNumber: this.callSerialNumber,
          ...(this.callingNumber !== undefined && { callingNumber: this.callingNumber }),
          ...(this.calledNumber !== undefined && { calledNumber: this.calledNumber }),
          sequencing: this.sequencingRequired,
          ...(iccn !== undefined ? { iccn } : {}),
        });
        return;
      }
      case 'down-local':
        this.down(localReason(step), 'local');
        return;
      case 'down-tunnel':
        // The tunnel's StopCCN took the call with it: whoever sent the StopCCN initiated.
        this.down(input.reason ?? CdnReason.Administrative, input.initiator ?? 'local');
        return;
      case 'down-peer': {
        const value = m === undefined ? undefined : avpBytes(m, AvpType.PppDisconnectCauseCode);
        const cause = value === undefined ? undefined : decodeDisconnectCause(value);
        const r = peerReason(m);
        this.down(cause === undefined ? r : { ...r, cause }, 'peer');
        return;
      }
      case 'report-wen': {
        const v = m === undefined ? undefined : avpBytes(m, AvpType.CallErrors);
        const callErrors = v === undefined ? undefined : decodeCallErrors(v);
        if (callErrors === undefined) return;
        this.host.emit({ type: 'wan-error', tunnelId: this.tunnelId, sessionId: this.sessionId, callErrors });
        return;
      }
      case 'report-sli': {
        const v = m === undefined ? undefined : avpBytes(m, AvpType.Accm);
        const accm = v === undefined ? undefined : decodeAccm(v);
        if (accm === undefined) return;
        this.host.emit({ type: 'set-link-info', tunnelId: this.tunnelId, sessionId: this.sessionId, ...accm });
        return;
      }
    }
  }

  private down(r: DisconnectReason, initiator: 'local' | 'peer'): void {
    this.host.emit({
      type: 'session-down',
      tunnelId: this.tunnelId,
      sessionId: this.sessionId,
      resultCode: r.resultCode,
      ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
      ...(r.message !== undefined ? { message: r.message } : {}),
      initiator,
      ...(r.cause !== undefined ? { cause: r.cause } : {}),
    });
  }

  /** §4.4.5 Sequencing Required in our ICCN/OCCN when the LAC asks for it; from then on it holds. */
  private sequencingAvps(): RawAvp[] {
    if (this.host.requireSequencing !== true) return [];
    this.sequencingRequired = true;
    return [makeEmptyAvp(AvpType.SequencingRequired)];
  }

  private assigned(): RawAvp {
    return makeU16Avp(AvpType.AssignedSessionId, this.sessionId);
  }

  private adoptPeer(m: ControlMessage | undefined): void {
    if (m === undefined) return;
    const sid = avpU16(m, AvpType.AssignedSessionId);
    if (sid !== undefined && this.peerSessionId === 0) this.peerSessionId = sid;
    const serial = avpU32(m, AvpType.CallSerialNumber);
    if (serial !== undefined && (m.type === MessageType.ICRQ || m.type === MessageType.OCRQ)) {
      this.callSerialNumber = serial;
    }
    if (m.type === MessageType.ICRQ) {
      this.callingNumber ??= avpString(m, AvpType.CallingNumber);
      this.calledNumber ??= avpString(m, AvpType.CalledNumber);
    }
  }

  private send(type: number, avps: RawAvp[], now: Instant): void {
    this.host.sendSessionMessage(this.peerSessionId, { type, avps }, now);
  }

  private sendCdn(r: DisconnectReason, now: Instant): void {
    // §6.13: Result Code and Assigned Session ID (ours) are required; RFC 3145 cause is optional.
    const avps: RawAvp[] = [
      makeResultCodeAvp(AvpType.ResultCode, r.resultCode, r.errorCode, r.message),
      this.assigned(),
    ];
    if (r.cause !== undefined) avps.push(makeBytesAvp(AvpType.PppDisconnectCauseCode, encodeDisconnectCause(r.cause)));
    this.send(MessageType.CDN, avps, now);
  }
}

const EVENT_OF_TYPE: ReadonlyMap<number, SessionEvent> = new Map([
  [MessageType.ICRQ, 'rx-icrq'],
  [MessageType.ICRP, 'rx-icrp'],
  [MessageType.ICCN, 'rx-iccn'],
  [MessageType.OCRQ, 'rx-ocrq'],
  [MessageType.OCRP, 'rx-ocrp'],
  [MessageType.OCCN, 'rx-occn'],
  [MessageType.CDN, 'rx-cdn'],
  [MessageType.WEN, 'rx-wen'],
  [MessageType.SLI, 'rx-sli'],
]);

/** The reason our CDN in this step carries (and its session-down reports): the cell says which. */
function localReason(step: SessionStep): DisconnectReason {
  if (step.cell.includes('send-cdn-fsm')) return CdnReason.FsmError;
  if (step.cell.includes('send-cdn-fault')) {
    return step.input.fault === undefined ? CdnReason.GeneralError : faultReason(step.input.fault);
  }
  return step.input.reason ?? CdnReason.Administrative;
}

function iccnInfo(m: ControlMessage): IccnInfo {
  const out: Record<string, unknown> = {};
  const set = (k: keyof IccnInfo, v: unknown): void => {
    if (v !== undefined) out[k] = v;
  };
  set('txConnectSpeed', avpU32(m, AvpType.TxConnectSpeed));
  set('rxConnectSpeed', avpU32(m, AvpType.RxConnectSpeed));
  set('framingType', avpU32(m, AvpType.FramingType));
  set('initialReceivedLcpConfReq', avpBytes(m, AvpType.InitialReceivedLcpConfReq)?.slice());
  set('lastSentLcpConfReq', avpBytes(m, AvpType.LastSentLcpConfReq)?.slice());
  set('lastReceivedLcpConfReq', avpBytes(m, AvpType.LastReceivedLcpConfReq)?.slice());
  set('proxyAuthenType', avpU16(m, AvpType.ProxyAuthenType));
  set('proxyAuthenName', avpString(m, AvpType.ProxyAuthenName));
  set('proxyAuthenChallenge', avpBytes(m, AvpType.ProxyAuthenChallenge)?.slice());
  const id = findAvp(m, AvpType.ProxyAuthenId)?.value;
  if (id !== undefined && id.length === 2) out.proxyAuthenId = id[1];
  set('proxyAuthenResponse', avpBytes(m, AvpType.ProxyAuthenResponse)?.slice());
  set('privateGroupId', avpBytes(m, AvpType.PrivateGroupId)?.slice());
  return out as IccnInfo;
}
