// The tunnel (control connection) automaton: RFC 2661 §7.2 (both roles), §5.1.1 (tunnel
// authentication), §4.3 (hidden AVPs), §6.1-§6.5. Owns one ControlChannel and its calls.
// Related: tunnel-table.ts (the table), tunnel-calls.ts, tunnel-messages.ts, handshake.ts, endpoint.ts.
//
// Theory of operation. Every transition lives in TUNNEL_TRANSITIONS, run by the shared TableRunner;
// a missing cell means "cannot happen here": ignored, logged, nothing changes. Each event carries
// its input (decoded message, reason, fault) as an argument. An unexpected control-connection
// message (or a session message before establishment) gets StopCCN 7 "FSM error" (§7.2).
// A body is decoded once, before the reliable channel: garbage is dropped without consuming an Ns,
// and the decoded message travels through the channel to the automaton. The endpoint judges an
// SCCRQ before a Tunnel exists, so a refused SCCRQ leaves no state. After StopCCN sent or received
// the tunnel lingers one full retransmission cycle (§5.7), still acking, then reaches 'closed'.
// Coupling: tunnel down → every session down, no CDNs (§5.7); after an internal error the sessions
// are forgotten without events. Authentication (§5.1.1): with a secret and `challengePeer` our
// SCCRQ/SCCRP carries a Challenge whose Response MUST come back, else StopCCN 4 (xl2tpd answers
// 2/6; §4.4.2 result 4 is the precise one); a peer's Challenge without our secret: StopCCN 4.
import type { PeerAddress } from '../core/engine.js';
import type { Instant } from '../core/time.js';
import { TableRunner, type TransitionRecord } from '../core/transition-table.js';
import { ControlChannel } from './control-channel.js';
import { TunnelChallenges } from './handshake.js';
import { peerReason, StopReason } from './reasons.js';
import type { Session } from './session.js';
import { TunnelCalls } from './tunnel-calls.js';
import {
  encodeHidden,
  refusalCdnMessage,
  scccnMessage,
  sccrpMessage,
  sccrqMessage,
  stopCcnMessage,
} from './tunnel-messages.js';
import { type Inbound, PeerBinding } from './tunnel-peer.js';
import {
  NO_INPUT,
  stopReason,
  TUNNEL_TRANSITIONS,
  type TunnelAction,
  type TunnelConfig,
  type TunnelEvent,
  type TunnelInput,
  type TunnelState,
  type TunnelStep,
  tunnelEventOf,
} from './tunnel-table.js';

import type { DisconnectReason, L2tpEvent } from './types.js';
import { AvpType } from './wire/avp-catalogue.js';
import {
  avpBytes,
  avpString,
  avpU16,
  type ControlMessage,
  type Decoded,
  encodeControlMessage,
  type Fault,
} from './wire/message.js';
import { MessageType } from './wire/message-catalogue.js';

/** What a tunnel needs from its endpoint. */
export interface TunnelHost {
  emit(e: L2tpEvent): void;
  /** A free local Session ID, or undefined when the endpoint-wide limit is reached. */
  allocateSessionId(tunnel: Tunnel): number | undefined;
  sessionClosed(tunnel: Tunnel, sessionId: number): void;
  /** May the peer start one more call in setup (the per-address cap)? Counted when true. */
  admitCallSetup(tunnel: Tunnel): boolean;
  /** A call admitted by admitCallSetup left setup (connected, cleared or forgotten). */
  callSetupEnded(tunnel: Tunnel): void;
  /** Test instrumentation: every control message handed to the automaton. */
  trace?(tunnelId: number, ns: number, messageType: number): void;
}

const LOG_SIZE = 32;

/** One control connection: §7.2 automaton, its channel and its sessions. */
export class Tunnel {
  peerTunnelId = 0;
  peerHostName: string | undefined;
  /** The role of this side (sessions read it). */
  readonly role: 'lac' | 'lns';
  /** Live sessions by our Session ID. */
  readonly sessions: ReadonlyMap<number, Session>;
  readonly channel: ControlChannel<Inbound>;
  /** Our Tie Breaker (§4.4.3), sent in our SCCRQ. */
  tieBreaker: Uint8Array | undefined;
  private readonly machine: TableRunner<TunnelState, TunnelEvent, TunnelAction, TunnelInput>;
  private readonly calls: TunnelCalls;
  /** The Challenges of tunnel authentication (§5.1.1), ours and the peer's. */
  private readonly hs: TunnelChallenges;
  /** The peer's address and port, pinned by the rules of tunnel-peer.ts. */
  private readonly binding: PeerBinding;
  /** Until when the handshake may take (tunnelSetupTimeoutMs); undefined once established. */
  private setupDeadline: Instant | undefined;
  /** Observes its sessions' automaton steps (SessionHost; set when cfg.onTransition is). */
  readonly onSessionStep: ((sessionId: number, r: TransitionRecord) => void) | undefined;
  /** Sessions forgotten without events (internal error), named in the tunnel-down event. */
  private forgotten: readonly number[] = [];

  constructor(
    private readonly cfg: TunnelConfig,
    private readonly host: TunnelHost,
    readonly tunnelId: number,
    peer: PeerAddress,
    private readonly secret: Uint8Array | undefined,
    now: Instant,
  ) {
    this.role = cfg.role;
    this.binding = new PeerBinding(peer, cfg.rebindSilenceMs, now);
    this.hs = new TunnelChallenges(secret, cfg.challengePeer, cfg.random);
    this.setupDeadline = now + cfg.tunnelSetupTimeoutMs;
    this.channel = new ControlChannel<Inbound>({ ...cfg.channel, receiveWindow: cfg.receiveWindow }, now);
    const see = cfg.onTransition;
    this.onSessionStep = see && ((sid, r) => see('session', tunnelId, sid, r));
    const onStep = see && ((r: TransitionRecord) => see('tunnel', tunnelId, 0, r));
    this.machine = new TableRunner({
      table: TUNNEL_TRANSITIONS,
      initial: 'idle',
      logSize: LOG_SIZE,
      onStep,
      perform: (action, step) => this.perform(action, step),
    });
    this.calls = new TunnelCalls(
      this,
      {
        allocateSessionId: () => host.allocateSessionId(this),
        sessionClosed: (sid) => host.sessionClosed(this, sid),
        refuse: (peerSid, r, at) => this.channel.send(peerSid, this.encode(refusalCdnMessage(r)), at),
        admitCallSetup: () => host.admitCallSetup(this),
        callSetupEnded: () => host.callSetupEnded(this),
      },
      {
        maxSessions: cfg.maxSessionsPerTunnel,
        maxInSetup: cfg.maxCallsInSetupPerTunnel,
        setupTimeoutMs: cfg.callSetupTimeoutMs,
      },
    );
    this.sessions = this.calls.sessions;
  }

  /** The §7.2 state. Set only by the table (tests may set it as a fixture). */
  get state(): TunnelState {
    return this.machine.state;
  }
  set state(s: TunnelState) {
    this.machine.state = s;
  }

  /** The peer's address and port (pinned once established; see tunnel-peer.ts). */
  get peer(): PeerAddress {
    return this.binding.peer;
  }

  /** The last transitions, oldest first. */
  get log(): readonly TransitionRecord[] {
    return this.machine.log;
  }

  /** Ignored (state, event) pairs seen (missing cells), for diagnostics. */
  get ignored(): number {
    return this.machine.ignored;
  }

  /** True while this tunnel still needs its peer: not closing yet, or our StopCCN unacked (§5.7 linger: no). */
  awaitingStopAck(): boolean {
    if (this.state === 'closed') return false;
    return this.state !== 'closing' || this.channel.outstanding > 0;
  }

  /** LAC: send SCCRQ. */
  open(now: Instant): void {
    this.fire('local-open', now);
  }

  /** Local StopCCN with `reason`. */
  close(reason: DisconnectReason, now: Instant): void {
    this.fire('local-close', now, { reason });
    this.checkChannel(now);
  }

  /** The half-open table is full and this is its oldest entry: it goes (the endpoint sends the StopCCN). */
  evict(now: Instant): void {
    this.fire('evicted', now, { reason: StopReason.HalfOpenEvicted });
  }

  /** Calls of this tunnel in setup (for diagnostics and the bounds tests). */
  get callsInSetup(): number {
    return this.calls.inSetup;
  }

  /** §4.4.3: the peer's crossing SCCRQ won the tie break; our pending request goes quietly. */
  loseTieBreak(now: Instant): void {
    this.fire('tie-break-lost', now);
  }

  /** A bug while handling this tunnel (the endpoint caught it): the tunnel alone goes. */
  fail(message: string, now: Instant): void {
    this.fire('internal-error', now, { reason: StopReason.internalError(message) });
  }

  /** Starts a call on an established tunnel: LAC → ICRQ, LNS → OCRQ. Returns the local Session ID. */
  startSession(sessionId: number, now: Instant): Session {
    const s = this.calls.start(sessionId, now);
    this.checkChannel(now);
    return s;
  }

  /** Local CDN for one session. */
  disconnect(sessionId: number, reason: DisconnectReason, now: Instant): void {
    this.calls.disconnect(sessionId, reason, now);
    this.checkChannel(now);
  }

  /**
   * One control message for this tunnel (header fields + AVPs); `from` is where it came from.
   * `decoded` is the body already decoded with this tunnel's secret (the endpoint's SCCRQ).
   */
  handleControl(
    ns: number,
    nr: number,
    sessionId: number,
    body: Uint8Array,
    from: PeerAddress,
    now: Instant,
    decoded?: Decoded<ControlMessage>,
  ): void {
    // Address and port by the rules of tunnel-peer.ts; the body decoded once, before sequencing.
    const pinned = this.state !== 'idle' && this.state !== 'wait-ctl-reply';
    const closing = this.state === 'closing';
    const a = this.binding.admit(
      from,
      ns,
      nr,
      body,
      this.secret,
      decoded,
      { pinned, closing, channel: this.channel },
      now,
    );
    if (!a.ok) {
      this.host.emit({ type: 'datagram-dropped', reason: a.reason, peer: from });
      return;
    }
    this.channel.handleMessage(ns, nr, sessionId, a.inbound, now);
    // What we send while handling the peer's messages is a reply it caused: bounded (maxPending).
    this.channel.peerTurn = true;
    try {
      for (let m = this.channel.pollDelivered(); m !== undefined; m = this.channel.pollDelivered()) {
        if (this.state === 'closed') break;
        const d = m.body.decoded;
        if (!d.ok) {
          this.host.trace?.(this.tunnelId, m.ns, -1);
          this.handleFault(d.fault, m.sessionId, m.body.bytes, now);
          continue;
        }
        this.host.trace?.(this.tunnelId, m.ns, d.value.type);
        this.dispatch(d.value, m.sessionId, now);
      }
    } finally {
      this.channel.peerTurn = false;
    }
    this.checkChannel(now);
  }

  /** Runs due timers: the channel's, the handshake's deadline, calls whose setup took too long. */
  handleTimeout(now: Instant): void {
    this.channel.handleTimeout(now);
    if (this.setupDeadline !== undefined && this.setupDeadline <= now) {
      this.setupDeadline = undefined;
      if (this.state === 'wait-ctl-reply' || this.state === 'wait-ctl-conn') {
        this.fire('setup-timeout', now, { reason: StopReason.SetupTimeout });
      }
    }
    if (this.state === 'established') this.calls.expireSetups(now);
    this.checkChannel(now);
  }

  /** Earliest deadline. */
  pollTimeout(): Instant | undefined {
    if (this.state === 'closed') return undefined;
    let t = this.channel.pollTimeout();
    const waiting = this.state === 'wait-ctl-reply' || this.state === 'wait-ctl-conn';
    if (waiting && this.setupDeadline !== undefined && (t === undefined || this.setupDeadline < t)) {
      t = this.setupDeadline;
    }
    const call = this.state === 'established' ? this.calls.nextSetupDeadline() : undefined;
    if (call !== undefined && (t === undefined || call < t)) t = call;
    return t;
  }

  /** The peer's address: the key of the endpoint's per-address caps (it never changes). */
  get peerAddressKey(): string {
    return this.peer.address;
  }

  /** Next datagram for `peer`. */
  pollDatagram(): Uint8Array | undefined {
    return this.channel.pollDatagram();
  }

  /** Runs one table cell with the event's input; a missing cell is recorded as ignored. */
  fire(event: TunnelEvent, now: Instant, input: TunnelInput = NO_INPUT): void {
    this.machine.fire(event, now, input);
  }

  // ---- SessionHost ------------------------------------------------------------------------------

  /** LAC: our calls ask for sequenced data (Sequencing Required). */
  get requireSequencing(): boolean {
    return this.cfg.requireSequencing === true;
  }

  /** Queues a session message with the peer's Session ID in the header. */
  sendSessionMessage(peerSessionId: number, msg: ControlMessage, now: Instant): void {
    this.channel.send(peerSessionId, this.encode(msg), now);
  }

  /** Forwards a session event. */
  emit(e: L2tpEvent): void {
    this.host.emit(e);
  }

  /** Data arrived on a session (from the pinned peer: the data path checks): the peer is alive. */
  noteReceived(now: Instant): void {
    this.binding.noteHeard(now);
    this.channel.noteReceived(now);
  }

  // ---- internals --------------------------------------------------------------------------------

  private checkChannel(now: Instant): void {
    if (this.channel.overflowed && this.state !== 'closing' && this.state !== 'closed') {
      this.fire('queue-overflow', now, { reason: StopReason.QueueOverflow });
    }
    if (this.channel.state === 'failed') this.fire('channel-failed', now);
    else if (this.channel.state === 'done') this.fire('linger-done', now);
  }

  /** Fires the event of a decoded message, with the message (and an SCCRP/SCCCN's judgement) as input. */
  private dispatch(message: ControlMessage, sessionId: number, now: Instant): void {
    const e = tunnelEventOf(message, this.state, this.hs);
    if (e !== undefined) this.fire(e.event, now, { message, sessionId, ...(e.reason && { reason: e.reason }) });
  }

  /** A delivered message that failed to decode: StopCCN for tunnel scope (or before establishment), else CDN. */
  private handleFault(fault: Fault, sessionId: number, body: Uint8Array, now: Instant): void {
    if (fault.scope === 'tunnel' || this.state !== 'established') this.fire('rx-fault', now, { fault });
    else this.calls.fault(fault, sessionId, body, this.secret, now);
  }

  /** SCCRQ/SCCRP fields: the peer's Tunnel ID, Host Name, window (§4.4.3) and Challenge. */
  private adoptPeer(msg: ControlMessage): void {
    this.peerTunnelId = avpU16(msg, AvpType.AssignedTunnelId) ?? this.peerTunnelId;
    this.channel.peerTunnelId = this.peerTunnelId;
    this.peerHostName = avpString(msg, AvpType.HostName) ?? this.peerHostName;
    // §4.4.3: absent → 4; 0 is refused before this (judgeFieldValues) and ignored by setPeerWindow.
    const rws = avpU16(msg, AvpType.ReceiveWindowSize);
    if (rws !== undefined) this.channel.setPeerWindow(rws);
    this.hs.peerChallenge = avpBytes(msg, AvpType.Challenge)?.slice();
  }

  private perform(action: TunnelAction, step: TunnelStep): void {
    const { input, now } = step;
    switch (action) {
      case 'adopt-peer':
        if (input.message !== undefined) this.adoptPeer(input.message);
        return;
      case 'send-sccrq':
        this.tieBreaker = this.cfg.random.fill(new Uint8Array(8));
        // SCCRQ AVPs are never hidden: the peer picks the secret by our Host Name (xl2tpd refuses a hidden SCCRQ).
        this.send(sccrqMessage(this.cfg, this.tunnelId, this.tieBreaker, this.hs.newChallenge()), false, now);
        return;
      case 'send-sccrp': {
        const sccrp = sccrpMessage(
          this.cfg,
          this.tunnelId,
          this.hs.newChallenge(),
          this.hs.responseTo(MessageType.SCCRP),
        );
        // Not hidden either: xl2tpd as LAC cannot unhide an SCCRP ("Decrypted length is too long",
        // interop run 2026-11-27); hiding starts with the messages after the handshake's first pair.
        this.send(sccrp, false, now);
        return;
      }
      case 'send-scccn':
        this.send(scccnMessage(this.hs.responseTo(MessageType.SCCCN)), true, now);
        return;
      case 'send-stopccn':
      case 'send-stopccn-fsm':
      case 'send-stopccn-fault':
        this.send(stopCcnMessage(this.tunnelId, stopReason(step)), true, now);
        return;
      case 'up':
        this.setupDeadline = undefined;
        this.host.emit({
          type: 'tunnel-up',
          tunnelId: this.tunnelId,
          peerTunnelId: this.peerTunnelId,
          peer: this.peer,
          peerHostName: this.peerHostName ?? '',
        });
        return;
      case 'down-local':
        this.down(stopReason(step), 'local', 'stopccn-sent', now);
        return;
      case 'down-peer':
        this.down(peerReason(input.message), 'peer', 'stopccn-received', now);
        return;
      case 'down-timeout':
        this.down(StopReason.PeerUnreachable, 'local', 'retransmission-timeout', now);
        return;
      case 'down-tie-break':
        this.down(StopReason.None, 'local', 'tie-breaker-lost', now);
        return;
      case 'down-internal':
        this.down(input.reason ?? StopReason.GeneralError, 'local', 'internal-error', now);
        return;
      case 'linger':
        this.channel.linger(now);
        return;
      case 'route-session':
        if (input.message !== undefined) this.calls.route(input.message, input.sessionId ?? 0, now);
        return;
      case 'forget-sessions':
        this.forgotten = this.calls.forget();
        return;
      case 'drop-queue':
        this.channel.dropPending();
        return;
      case 'abandon':
        this.channel.abandon();
        this.calls.tunnelDown(StopReason.TunnelGone, 'local', now);
        return;
    }
  }

  private down(r: DisconnectReason, initiator: 'local' | 'peer', reason: string, now: Instant): void {
    this.calls.tunnelDown(r, initiator, now);
    this.host.emit({
      type: 'tunnel-down',
      tunnelId: this.tunnelId,
      peer: this.peer,
      resultCode: r.resultCode,
      ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
      ...(r.message !== undefined ? { message: r.message } : {}),
      initiator,
      reason,
      ...(this.forgotten.length > 0 ? { forgottenSessionIds: this.forgotten } : {}),
    });
  }

  /** Queues a tunnel-scope message (Session ID 0); `hide`: may its AVPs be hidden (§4.3). */
  private send(msg: ControlMessage, hide: boolean, now: Instant): void {
    this.channel.send(0, hide ? this.encode(msg) : encodeControlMessage(msg), now);
  }

  /** Encodes, hiding every AVP §4.4 allows when hideAvps is on and a secret exists (§4.3). */
  private encode(msg: ControlMessage): Uint8Array {
    if (!this.cfg.hideAvps || this.secret === undefined) return encodeControlMessage(msg);
    return encodeHidden(msg, this.secret, this.cfg.random);
  }
}
