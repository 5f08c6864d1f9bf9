// The tunnel (control connection) automaton: RFC 2661 §7.2 (both roles), §5.1.1 (tunnel
// authentication), §4.3 (hidden AVPs), §6.1-§6.5. Owns one ControlChannel and its sessions.
// Related: control-channel.ts, session.ts, endpoint.ts.
//
// Theory of operation. Every transition lives in TUNNEL_TRANSITIONS ([next, ...actions] cells);
// a missing cell means "cannot happen here": ignored, recorded in the log, nothing changes. An
// unexpected control-connection message (or a session message before the tunnel is established)
// is answered with StopCCN Result 7 "FSM error" (§7.2: "Send StopCCN, clean up").
// An SCCRQ is judged by the endpoint before a Tunnel exists (limits, version, acceptTunnel), so
// a refused SCCRQ leaves no state. After StopCCN sent or received the tunnel lingers one full
// retransmission cycle (§5.7), still acking, then reaches 'closed' and the endpoint forgets it.
// Coupling: when the tunnel goes down every session gets 'tunnel-down' (no CDNs: §5.7).
// Authentication (§5.1.1): with a secret and `challengePeer`, our SCCRQ/SCCRP carries a Challenge
// and the SCCRP/SCCCN MUST carry the right Challenge Response, else StopCCN Result 4 ("not
// authorized"; xl2tpd answers 2/6 "Invalid challenge authentication"; §4.4.2 result 4 is the
// precise one). A peer's Challenge is answered when we have a secret; without one: StopCCN 4.
import type { PeerAddress } from '../core/engine.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { scanU16 } from './avp-scan.js';
import { ControlChannel, type ControlChannelOptions } from './control-channel.js';
import { Session } from './session.js';
import type { DisconnectReason, L2tpEvent, TransitionRecord } from './types.js';
import { AVPS, AvpType } from './wire/avp-catalogue.js';
import {
  avpBytes,
  avpString,
  avpU16,
  type ControlMessage,
  decodeControlMessage,
  encodeControlMessage,
  type Fault,
  makeBytesAvp,
  makeResultCodeAvp,
  makeStringAvp,
  makeU16Avp,
  makeU32Avp,
  type RawAvp,
  resultCodeOf,
} from './wire/message.js';
import { MESSAGES, MessageType } from './wire/message-catalogue.js';
import { describeFault, FAULT_REPLY } from './wire/result-codes.js';
import { challengeResponse, verifyChallengeResponse } from './wire/tunnel-auth.js';

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
] as const;
/** A tunnel event. */
export type TunnelEvent = (typeof TUNNEL_EVENTS)[number];

/** What a cell does. */
export type TunnelAction =
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
  | 'linger'
  | 'route-session'
  | 'abandon';

/** One table cell: next state, then actions in order. */
export type TunnelCell = readonly [TunnelState, ...TunnelAction[]];

const FSM: TunnelCell = ['closing', 'send-stopccn-fsm', 'down-local', 'linger'];
const REFUSE: TunnelCell = ['closing', 'send-stopccn', 'down-local', 'linger'];
const PEER_STOP: TunnelCell = ['closing', 'down-peer', 'linger'];
const FAULT: TunnelCell = ['closing', 'send-stopccn-fault', 'down-local', 'linger'];
const TIMEOUT: TunnelCell = ['closed', 'down-timeout', 'abandon'];
const OPEN = ['wait-ctl-reply', 'wait-ctl-conn', 'established'] as const;
const open = (cell: TunnelCell): Partial<Record<TunnelState, TunnelCell>> =>
  Object.fromEntries(OPEN.map((s) => [s, cell]));

/** §7.2, both roles: rows = events, columns = states. */
export const TUNNEL_TRANSITIONS: Record<TunnelEvent, Partial<Record<TunnelState, TunnelCell>>> = {
  // LAC: open request → send SCCRQ, wait-ctl-reply.
  'local-open': { idle: ['wait-ctl-reply', 'send-sccrq'] },
  // LNS: SCCRQ acceptable → send SCCRP, wait-ctl-conn. Elsewhere: StopCCN, clean up.
  'rx-sccrq': { idle: ['wait-ctl-conn', 'send-sccrp'], ...open(FSM) },
  'rx-sccrp-ok': { ...open(FSM), idle: ['closed', 'abandon'], 'wait-ctl-reply': ['established', 'send-scccn', 'up'] },
  'rx-sccrp-bad': { ...open(FSM), idle: ['closed', 'abandon'], 'wait-ctl-reply': REFUSE },
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
};

/** Resolved options a tunnel reads (the endpoint fills the defaults). */
export interface TunnelConfig {
  readonly role: 'lac' | 'lns';
  readonly hostName: string;
  readonly random: Random;
  readonly challengePeer: boolean;
  readonly hideAvps: boolean;
  readonly receiveWindow: number;
  readonly channel: ControlChannelOptions;
  readonly vendorName?: string;
  readonly firmwareRevision?: number;
  readonly maxSessionsPerTunnel: number;
}

/** What a tunnel needs from its endpoint. */
export interface TunnelHost {
  emit(e: L2tpEvent): void;
  /** A free local Session ID, or undefined when the endpoint-wide limit is reached. */
  allocateSessionId(tunnel: Tunnel): number | undefined;
  sessionClosed(tunnel: Tunnel, sessionId: number): void;
  /** Test instrumentation: every control message handed to the automaton. */
  trace?(tunnelId: number, ns: number, messageType: number): void;
}

const LOG_SIZE = 32;
/** Smallest hidden subformat (Original Length + value + padding) we send, §4.3. */
const HIDDEN_MIN = 16;

/** One control connection: §7.2 automaton, its channel and its sessions. */
export class Tunnel {
  state: TunnelState = 'idle';
  peerTunnelId = 0;
  peerHostName: string | undefined;
  /** Ignored (state, event) pairs seen (missing cells), for diagnostics. */
  ignored = 0;
  readonly sessions = new Map<number, Session>();
  readonly channel: ControlChannel;
  readonly log: TransitionRecord[] = [];
  /** Our Tie Breaker (§4.4.3), sent in our SCCRQ. */
  tieBreaker: Uint8Array | undefined;
  private ourChallenge: Uint8Array | undefined;
  private peerChallenge: Uint8Array | undefined;
  private message: ControlMessage | undefined;
  private messageSessionId = 0;
  private reason: DisconnectReason | undefined;
  private fault: Fault | undefined;
  private callSerial = 0;

  constructor(
    private readonly cfg: TunnelConfig,
    private readonly host: TunnelHost,
    readonly tunnelId: number,
    public peer: PeerAddress,
    private secret: Uint8Array | undefined,
    now: Instant,
  ) {
    this.channel = new ControlChannel({ ...cfg.channel, receiveWindow: cfg.receiveWindow }, now);
  }

  /** The role of this side (sessions read it). */
  get role(): 'lac' | 'lns' {
    return this.cfg.role;
  }

  /** LAC: send SCCRQ. */
  open(now: Instant): void {
    this.fire('local-open', now);
  }

  /** Local StopCCN with `reason`. */
  close(reason: DisconnectReason, now: Instant): void {
    this.reason = reason;
    this.fire('local-close', now);
  }

  /** Starts a call on an established tunnel: LAC → ICRQ, LNS → OCRQ. Returns the local Session ID. */
  startSession(sessionId: number, now: Instant): Session {
    const s = new Session(this, sessionId);
    this.sessions.set(sessionId, s);
    this.callSerial = (this.callSerial + 1) >>> 0;
    s.open(this.callSerial, now);
    this.reap(s);
    return s;
  }

  /** Local CDN for one session. */
  disconnect(sessionId: number, reason: DisconnectReason, now: Instant): void {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return;
    s.close(reason, now);
    this.reap(s);
  }

  /** One control message for this tunnel (header fields + AVPs); `from` is where it came from. */
  handleControl(ns: number, nr: number, sessionId: number, body: Uint8Array, from: PeerAddress, now: Instant): void {
    // The peer may change port (NAT), not address: anything else is not our peer.
    if (from.address !== this.peer.address) {
      this.host.emit({ type: 'datagram-dropped', reason: 'foreign-address', peer: from });
      return;
    }
    // A body that is not a control message at all must not consume an Ns or move Nr: were it
    // sequenced, the peer's real message with that Ns would later be taken for a duplicate.
    if (body.length > 0) {
      const pre = decodeControlMessage(body, this.secret === undefined ? undefined : { secret: this.secret });
      if (!pre.ok && pre.fault.scope === 'drop') {
        this.host.emit({ type: 'datagram-dropped', reason: `garbage-${pre.fault.code}`, peer: from });
        return;
      }
    }
    this.channel.handleMessage(ns, nr, sessionId, body, now);
    for (let m = this.channel.pollDelivered(); m !== undefined; m = this.channel.pollDelivered()) {
      if (this.state === 'closed') break;
      const decoded = decodeControlMessage(m.body, this.secret === undefined ? undefined : { secret: this.secret });
      if (!decoded.ok) {
        this.host.trace?.(this.tunnelId, m.ns, -1);
        this.handleFault(decoded.fault, m.sessionId, m.body, now);
        continue;
      }
      this.host.trace?.(this.tunnelId, m.ns, decoded.value.type);
      // A valid in-sequence message: the peer may have moved port (NAT rebinding); follow it.
      if (this.state !== 'closing') this.peer = from;
      this.dispatch(decoded.value, m.sessionId, now);
    }
    this.checkChannel(now);
  }

  /** Runs due timers. */
  handleTimeout(now: Instant): void {
    this.channel.handleTimeout(now);
    this.checkChannel(now);
  }

  /** Earliest deadline. */
  pollTimeout(): Instant | undefined {
    return this.state === 'closed' ? undefined : this.channel.pollTimeout();
  }

  /** Next datagram for `peer`. */
  pollDatagram(): Uint8Array | undefined {
    return this.channel.pollDatagram();
  }

  /** Runs one table cell; a missing cell is recorded as ignored. */
  fire(event: TunnelEvent, now: Instant): void {
    const from = this.state;
    const cell = TUNNEL_TRANSITIONS[event][from];
    if (cell === undefined) {
      this.ignored++;
      this.record({ at: now, event, from, to: from, ignored: true });
      return;
    }
    const [next, ...actions] = cell;
    this.state = next;
    this.record({ at: now, event, from, to: next, ignored: false });
    for (const a of actions) this.perform(a, now);
  }

  // ---- SessionHost ------------------------------------------------------------------------------

  /** Queues a session message with the peer's Session ID in the header. */
  sendSessionMessage(peerSessionId: number, msg: ControlMessage, now: Instant): void {
    this.channel.send(peerSessionId, this.encode(msg), now);
  }

  /** Forwards a session event. */
  emit(e: L2tpEvent): void {
    this.host.emit(e);
  }

  /** Data arrived on a session. */
  noteReceived(now: Instant): void {
    this.channel.noteReceived(now);
  }

  // ---- internals --------------------------------------------------------------------------------

  private record(r: TransitionRecord): void {
    if (this.log.length >= LOG_SIZE) this.log.shift();
    this.log.push(r);
  }

  private checkChannel(now: Instant): void {
    if (this.channel.state === 'failed') this.fire('channel-failed', now);
    else if (this.channel.state === 'done') this.fire('linger-done', now);
  }

  private dispatch(msg: ControlMessage, sessionId: number, now: Instant): void {
    this.message = msg;
    this.messageSessionId = sessionId;
    try {
      switch (msg.type) {
        case MessageType.SCCRQ:
          this.fire('rx-sccrq', now);
          return;
        case MessageType.SCCRP:
          this.fire(this.judgeSccrp(msg) ? 'rx-sccrp-ok' : 'rx-sccrp-bad', now);
          return;
        case MessageType.SCCCN:
          this.fire(this.judgeScccn(msg) ? 'rx-scccn-ok' : 'rx-scccn-bad', now);
          return;
        case MessageType.StopCCN:
          this.fire('rx-stopccn', now);
          return;
        case MessageType.HELLO:
          this.fire('rx-hello', now);
          return;
        default:
          if (MESSAGES.get(msg.type)?.scope === 'session') this.fire('rx-session', now);
          // Recognized tunnel-scope types we do not implement (none in RFC 2661) are ignored.
          return;
      }
    } finally {
      this.message = undefined;
    }
  }

  private handleFault(fault: Fault, sessionId: number, body: Uint8Array, now: Instant): void {
    if (fault.scope === 'drop') return;
    if (fault.scope === 'tunnel' || this.state !== 'established') {
      this.fault = fault;
      this.fire('rx-fault', now);
      return;
    }
    const s = this.sessions.get(sessionId);
    if (s !== undefined) {
      s.handleFault(fault, now);
      this.reap(s);
      return;
    }
    // A faulty call request (no session yet): answer with a CDN naming the peer's Session ID (§4.1).
    const peerSid = scanU16(body, AvpType.AssignedSessionId, this.secret);
    if (peerSid !== undefined) this.sendCdn(peerSid, faultReason(fault), now);
  }

  /** SCCRQ fields (the endpoint already judged it acceptable). */
  adoptSccrq(msg: ControlMessage): void {
    this.adoptPeerFields(msg);
    this.peerChallenge = avpBytes(msg, AvpType.Challenge)?.slice();
  }

  private adoptPeerFields(msg: ControlMessage): void {
    this.peerTunnelId = avpU16(msg, AvpType.AssignedTunnelId) ?? this.peerTunnelId;
    this.channel.peerTunnelId = this.peerTunnelId;
    this.peerHostName = avpString(msg, AvpType.HostName) ?? this.peerHostName;
    // §4.4.3: absent → 4; 0 is invalid (setPeerWindow ignores it).
    const rws = avpU16(msg, AvpType.ReceiveWindowSize);
    if (rws !== undefined) this.channel.setPeerWindow(rws);
  }

  private judgeSccrp(msg: ControlMessage): boolean {
    if (this.state !== 'wait-ctl-reply') return true; // the table answers FSM error
    this.adoptPeerFields(msg);
    this.peerChallenge = avpBytes(msg, AvpType.Challenge)?.slice();
    const version = avpBytes(msg, AvpType.ProtocolVersion);
    if (version === undefined || version[0] !== 1 || version[1] !== 0) {
      this.reason = { resultCode: 5, errorCode: 0, message: 'Protocol version 1.0 required' };
      return false;
    }
    return this.judgeAuth(msg, MessageType.SCCRP);
  }

  private judgeScccn(msg: ControlMessage): boolean {
    if (this.state !== 'wait-ctl-conn') return true;
    return this.judgeAuth(msg, MessageType.SCCCN);
  }

  /** §5.1.1: our Challenge needs the right Response; a peer's Challenge needs a secret to answer. */
  private judgeAuth(msg: ControlMessage, type: number): boolean {
    if (this.ourChallenge !== undefined && this.secret !== undefined) {
      const response = avpBytes(msg, AvpType.ChallengeResponse);
      if (response === undefined) {
        this.reason = { resultCode: 4, errorCode: 0, message: 'Challenge Response missing' };
        return false;
      }
      if (!verifyChallengeResponse(type, this.secret, this.ourChallenge, response)) {
        this.reason = { resultCode: 4, errorCode: 0, message: 'Challenge Response mismatch' };
        return false;
      }
    }
    if (this.peerChallenge !== undefined && this.secret === undefined) {
      this.reason = { resultCode: 4, errorCode: 0, message: 'Challenge received but no secret configured' };
      return false;
    }
    return true;
  }

  private perform(action: TunnelAction, now: Instant): void {
    switch (action) {
      case 'send-sccrq': {
        this.tieBreaker = this.cfg.random.fill(new Uint8Array(8));
        const avps = this.capabilityAvps();
        avps.push(makeBytesAvp(AvpType.TieBreaker, this.tieBreaker));
        this.addChallenge(avps);
        // SCCRQ AVPs are never hidden: the peer picks the secret by our Host Name (xl2tpd refuses a hidden SCCRQ).
        this.channel.send(0, encodeControlMessage({ type: MessageType.SCCRQ, avps }), now);
        return;
      }
      case 'send-sccrp': {
        const avps = this.capabilityAvps();
        this.addChallenge(avps);
        this.addResponse(avps, MessageType.SCCRP);
        // Not hidden either: xl2tpd as LAC cannot unhide an SCCRP ("Decrypted length is too long",
        // interop run 2026-11-27); hiding starts with the messages after the handshake's first pair.
        this.channel.send(0, encodeControlMessage({ type: MessageType.SCCRP, avps }), now);
        return;
      }
      case 'send-scccn': {
        const avps: RawAvp[] = [];
        this.addResponse(avps, MessageType.SCCCN);
        this.channel.send(0, this.encode({ type: MessageType.SCCCN, avps }), now);
        return;
      }
      case 'send-stopccn':
        this.sendStopCcn(this.reason ?? { resultCode: 1 }, now);
        return;
      case 'send-stopccn-fsm':
        this.reason = { resultCode: 7, errorCode: 0, message: 'FSM error' };
        this.sendStopCcn(this.reason, now);
        return;
      case 'send-stopccn-fault':
        this.reason = this.fault === undefined ? { resultCode: 2 } : faultReason(this.fault);
        this.sendStopCcn(this.reason, now);
        return;
      case 'up':
        this.host.emit({
          type: 'tunnel-up',
          tunnelId: this.tunnelId,
          peerTunnelId: this.peerTunnelId,
          peer: this.peer,
          peerHostName: this.peerHostName ?? '',
        });
        return;
      case 'down-local':
        this.down(this.reason ?? { resultCode: 1 }, 'local', 'stopccn-sent', now);
        return;
      case 'down-peer': {
        const rc = this.message === undefined ? undefined : resultCodeOf(this.message);
        this.down(
          {
            resultCode: rc?.resultCode ?? 0,
            ...(rc?.errorCode !== undefined ? { errorCode: rc.errorCode } : {}),
            ...(rc?.message !== undefined ? { message: rc.message } : {}),
          },
          'peer',
          'stopccn-received',
          now,
        );
        return;
      }
      case 'down-timeout':
        this.down({ resultCode: 2, errorCode: 0, message: 'Peer unreachable' }, 'local', 'retransmission-timeout', now);
        return;
      case 'linger':
        this.channel.linger(now);
        return;
      case 'route-session':
        this.routeSession(now);
        return;
      case 'abandon':
        this.channel.abandon();
        this.clearSessions({ resultCode: 2, message: 'tunnel gone' }, 'local', now);
        return;
    }
  }

  private down(r: DisconnectReason, initiator: 'local' | 'peer', reason: string, now: Instant): void {
    this.clearSessions(r, initiator, now);
    this.host.emit({
      type: 'tunnel-down',
      tunnelId: this.tunnelId,
      peer: this.peer,
      resultCode: r.resultCode,
      ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
      ...(r.message !== undefined ? { message: r.message } : {}),
      initiator,
      reason,
    });
  }

  private clearSessions(r: DisconnectReason, initiator: 'local' | 'peer', now: Instant): void {
    for (const s of [...this.sessions.values()]) {
      s.tunnelDown({ resultCode: 1, ...(r.message !== undefined ? { message: r.message } : {}) }, initiator, now);
      this.reap(s);
    }
  }

  private reap(s: Session): void {
    if (!s.isClosed) return;
    this.sessions.delete(s.sessionId);
    this.host.sessionClosed(this, s.sessionId);
  }

  private routeSession(now: Instant): void {
    const msg = this.message;
    if (msg === undefined) return;
    const isRequest = msg.type === MessageType.ICRQ || msg.type === MessageType.OCRQ;
    if (isRequest) {
      const peerSid = avpU16(msg, AvpType.AssignedSessionId) ?? 0;
      // §7.4/§7.5: ICRQ goes LAC→LNS, OCRQ LNS→LAC; the other direction is not acceptable.
      const wanted = msg.type === MessageType.ICRQ ? 'lns' : 'lac';
      if (this.cfg.role !== wanted) {
        this.sendCdn(peerSid, { resultCode: 2, errorCode: 0, message: 'Wrong direction for this call type' }, now);
        return;
      }
      const sid = this.sessions.size < this.cfg.maxSessionsPerTunnel ? this.host.allocateSessionId(this) : undefined;
      if (sid === undefined) {
        // §4.4.2 CDN 4: "lack of appropriate facilities (temporary)"; error 4: insufficient resources.
        this.sendCdn(peerSid, { resultCode: 4, errorCode: 4, message: 'Session limit reached' }, now);
        return;
      }
      const s = new Session(this, sid);
      this.sessions.set(sid, s);
      s.handleMessage(msg, now);
      this.reap(s);
      return;
    }
    const s = this.sessions.get(this.messageSessionId);
    if (s === undefined) return; // unknown or already closed session: the ZLB ack is enough
    s.handleMessage(msg, now);
    this.reap(s);
  }

  private sendCdn(peerSessionId: number, r: DisconnectReason, now: Instant): void {
    const avps = [
      makeResultCodeAvp(AvpType.ResultCode, r.resultCode, r.errorCode, r.message),
      makeU16Avp(AvpType.AssignedSessionId, 0),
    ];
    this.channel.send(peerSessionId, this.encode({ type: MessageType.CDN, avps }), now);
  }

  private sendStopCcn(r: DisconnectReason, now: Instant): void {
    // §6.4: Assigned Tunnel ID and Result Code are required.
    const avps = [
      makeU16Avp(AvpType.AssignedTunnelId, this.tunnelId),
      makeResultCodeAvp(AvpType.ResultCode, r.resultCode, r.errorCode, r.message),
    ];
    this.channel.send(0, this.encode({ type: MessageType.StopCCN, avps }), now);
  }

  private capabilityAvps(): RawAvp[] {
    const avps: RawAvp[] = [
      makeBytesAvp(AvpType.ProtocolVersion, new Uint8Array([1, 0])),
      makeStringAvp(AvpType.HostName, this.cfg.hostName),
      makeU32Avp(AvpType.FramingCapabilities, 3),
      makeU32Avp(AvpType.BearerCapabilities, 0),
      makeU16Avp(AvpType.AssignedTunnelId, this.tunnelId),
      makeU16Avp(AvpType.ReceiveWindowSize, this.cfg.receiveWindow),
    ];
    if (this.cfg.firmwareRevision !== undefined) {
      avps.push(makeU16Avp(AvpType.FirmwareRevision, this.cfg.firmwareRevision));
    }
    if (this.cfg.vendorName !== undefined) avps.push(makeStringAvp(AvpType.VendorName, this.cfg.vendorName));
    return avps;
  }

  private addChallenge(avps: RawAvp[]): void {
    if (!this.cfg.challengePeer || this.secret === undefined) return;
    this.ourChallenge = this.cfg.random.fill(new Uint8Array(16));
    avps.push(makeBytesAvp(AvpType.Challenge, this.ourChallenge));
  }

  private addResponse(avps: RawAvp[], type: number): void {
    if (this.peerChallenge === undefined || this.secret === undefined) return;
    avps.push(makeBytesAvp(AvpType.ChallengeResponse, challengeResponse(type, this.secret, this.peerChallenge)));
  }

  /** Encodes, hiding every AVP §4.4 allows when hideAvps is on and a secret exists (§4.3). */
  private encode(msg: ControlMessage): Uint8Array {
    const secret = this.secret;
    if (!this.cfg.hideAvps || secret === undefined) return encodeControlMessage(msg);
    const avps = msg.avps.map((a) => {
      if (a.vendorId !== 0 || !AVPS.get(a.type)?.mayHide) return a;
      // §4.3: padding hides the true length. At least one MD5 block (16 octets) of hidden subformat:
      // l2tpns also refuses shorter hidden AVPs ("Short hidden AVP").
      const pad = Math.max(0, HIDDEN_MIN - 2 - a.value.length);
      return { ...a, hidden: true, padding: this.cfg.random.fill(new Uint8Array(pad)) };
    });
    return encodeControlMessage({ ...msg, avps }, { secret, random: this.cfg.random });
  }
}

/** The StopCCN/CDN reason for a decode fault (FAULT_REPLY, one reviewed table). */
function faultReason(fault: Fault): DisconnectReason {
  const reply = FAULT_REPLY[fault.code];
  return {
    resultCode: reply.resultCode,
    ...(reply.errorCode !== undefined ? { errorCode: reply.errorCode } : {}),
    message: describeFault(fault),
  };
}
