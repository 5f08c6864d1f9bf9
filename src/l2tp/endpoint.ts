// The L2TP endpoint: demultiplexes control messages by Tunnel ID (0 → SCCRQ → new tunnel), judges
// new SCCRQs statelessly (limits, rate, version, tie breaker), aggregates the tunnels' polls.
// RFC 2661 §3.1, §4.4.3 (Tie Breaker), §7.2. Related: tunnel.ts, session.ts, types.ts.
//
// Rules: garbage never throws out of handleDatagram and never leaves state behind; an SCCRQ the
// endpoint refuses gets a one-shot StopCCN (no state) or is dropped. Pending tunnels are keyed by
// (peer address, peer port, peer's Assigned Tunnel ID), so a retransmitted SCCRQ reaches the same
// tunnel (whose channel re-acks it) instead of creating a second one. An SCCRQ is decoded once,
// here, and the decoded message is handed to its tunnel. Each tunnel's handling runs inside one
// try/catch: a bug tears down that tunnel only (its 'internal-error' table row; counted in
// `internalErrors`). The endpoint never writes a tunnel's state: a lost tie break is a table row
// too. Deadlines of all tunnels sit in one DeadlineHeap.
//
// Bounds (issue 9 Deliver 3; every default is a named constant below with its reason, and
// docs/CONFORMANCE.md "Bounds" adds them up per peer): tunnels per peer address, half-open tunnels
// overall (full: the oldest gives way, like a SYN cache, so a flood cannot lock a new LAC out),
// calls in setup per tunnel and per peer address, the setup timers, the control queue per tunnel,
// and a fixed-size SCCRQ rate sketch (sccrq-rate.ts). A StopCCN whose header names no tunnel of
// its sender (Windows sends 0 or its own ID) is matched by its Assigned Tunnel ID AVP and the
// sender's address and port, as xl2tpd does, and handled (so acknowledged) by that tunnel.
import { DeadlineHeap } from '../core/deadline-heap.js';
import { type Engine, L2tpUsageError, type PeerAddress, peerKey, type Transmit } from '../core/engine.js';
import { Fifo } from '../core/fifo.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { scanString, scanU16 } from './avp-scan.js';
import { type ControlStats, DEFAULT_MAX_PENDING, DEFAULT_RECEIVE_WINDOW } from './control-channel.js';
import { isVersion10, judgeFieldValues } from './handshake.js';
import { StopReason } from './reasons.js';
import { SccrqRateLimit } from './sccrq-rate.js';
import { Tunnel, type TunnelHost } from './tunnel.js';
import { stopCcnMessage } from './tunnel-messages.js';
import type { TunnelConfig } from './tunnel-table.js';
import type { DisconnectReason, L2tpEvent, SessionHandle, TransitionObserver, TunnelInfo } from './types.js';
import { AvpType } from './wire/avp-catalogue.js';
import { CONTROL_HEADER_LENGTH, L2tpHeaderView, writeControlHeader } from './wire/header.js';
import {
  avpBytes,
  avpString,
  avpU16,
  type ControlMessage,
  type Decoded,
  decodeControlMessage,
  encodeControlMessage,
} from './wire/message.js';
import { MessageType } from './wire/message-catalogue.js';
import { faultReason } from './wire/result-codes.js';

export type {
  CallErrors,
  DisconnectCauseAvp,
  DisconnectReason,
  IccnInfo,
  L2tpEvent,
  SessionHandle,
  TransitionObserver,
  TunnelInfo,
} from './types.js';

/** Options of an Endpoint; everything but role, hostName and random has an RFC default. */
export interface EndpointOptions {
  readonly role: 'lac' | 'lns';
  readonly hostName: string;
  readonly random: Random;
  /** The shared secret for tunnel authentication and hidden AVPs (§4.3, §5.1.1), per peer. */
  readonly tunnelSecret?: (peer: PeerAddress, peerHostName: string | undefined) => Uint8Array | undefined;
  /** Send a Challenge and require a valid Challenge Response (needs a secret). */
  readonly challengePeer?: boolean;
  /** Hide every AVP §4.4 allows (needs a secret). */
  readonly hideAvps?: boolean;
  /** LAC: send Sequencing Required in ICCN/OCCN, so data is sequenced both ways (§5.4). */
  readonly requireSequencing?: boolean;
  /** Our Receive Window Size (§4.4.3), default DEFAULT_RECEIVE_WINDOW (16). */
  readonly receiveWindow?: number;
  /** HELLO after this long with nothing received (§6.5), default 60 000; 0 disables. */
  readonly helloIntervalMs?: number;
  /** A call not connected this long after its ICRQ/OCRQ is cleared with CDN 2/0; default 60 000. */
  readonly callSetupTimeoutMs?: number;
  /** A tunnel not established this long after its SCCRQ is cleared with StopCCN 2/0; default 60 000. */
  readonly tunnelSetupTimeoutMs?: number;
  /** §5.8 retransmission: initial 1000 ms, cap 8000 ms, 5 retries. */
  readonly retransmit?: { readonly initialMs?: number; readonly capMs?: number; readonly maxRetries?: number };
  readonly limits?: {
    /** The node's tunnel capacity; a new SCCRQ beyond it gets StopCCN 2/7 "try another". Default 65 535. */
    readonly maxTunnels?: number;
    /** Sessions in one tunnel; an ICRQ beyond it gets CDN 4/4. Default 65 535. */
    readonly maxSessionsPerTunnel?: number;
    /**
     * The node's session capacity: an ICRQ beyond it gets CDN 2/7 and, once it is reached, a new
     * SCCRQ gets StopCCN 2/7 (§4.4.2 "try another": a LAC moves to another LNS). Default 1 000 000.
     */
    readonly maxSessions?: number;
    readonly newTunnelsPerSecondPerPeer?: number;
    /** Tunnels one peer address may hold (lingering ones included); StopCCN 2/4 beyond. Default 256. */
    readonly maxTunnelsPerPeer?: number;
    /** SCCRQ answered, no SCCCN yet, over all peers; when full the oldest gives way (StopCCN 2/4). Default 1024. */
    readonly maxHalfOpenTunnels?: number;
    /** Calls a peer asked for still in setup on one tunnel; CDN 2/4 beyond. Default 1024. */
    readonly maxCallsInSetupPerTunnel?: number;
    /** The same over every tunnel of one peer address. Default 4096. */
    readonly maxCallsInSetupPerPeer?: number;
    /** Replies the peer caused waiting for window space per tunnel; one more: StopCCN 2/4. Default 128. */
    readonly maxQueuedMessages?: number;
  };
  readonly vendorName?: string;
  readonly firmwareRevision?: number;
  /** LNS: accept an SCCRQ from this peer? (default: yes). */
  readonly acceptTunnel?: (peer: PeerAddress, peerHostName: string) => boolean;
  /** Test instrumentation (additive): called for every control message handed to a tunnel automaton. */
  readonly trace?: (tunnelId: number, ns: number, messageType: number) => void;
  /** Every step of every tunnel and session automaton (xl2tpd `debug state` / `debug tunnel`). */
  readonly onTransition?: TransitionObserver;
}

/** Counters of what the endpoint refused or survived. */
export interface EndpointCounters {
  dropped: number;
  dataMessages: number;
  refusedSccrq: number;
  internalErrors: number;
}

/**
 * A call that has not reached ICCN (or OCCN) after a minute is not coming: a LAC needs one round trip
 * plus its own bearer setup, seconds at most; xl2tpd and accel-ppp use 60 s for their setup timers.
 */
export const DEFAULT_CALL_SETUP_TIMEOUT_MS = 60_000;
/** The same for a tunnel's handshake (SCCRQ answered, SCCCN never came): 60 s, twice a full §5.7 cycle. */
export const DEFAULT_TUNNEL_SETUP_TIMEOUT_MS = 60_000;
/**
 * Tunnels per peer address. Several LACs behind one NAT each hold a tunnel (issue 9 item 7:
 * `exclusive` restricts nothing), and a tunnel lingers 31 s after closing; 256 leaves room for a
 * large NAT pool while bounding what one address holds.
 */
export const DEFAULT_MAX_TUNNELS_PER_PEER = 256;
/**
 * Half-open tunnels overall. A real LAC completes its handshake within one round trip, so 1,024
 * slots admit over 10,000 new tunnels per second at 100 ms RTT, while a flood of spoofed SCCRQs
 * (which never answer) holds at most 1,024 tunnels: when full, the oldest half-open one goes.
 */
export const DEFAULT_MAX_HALF_OPEN_TUNNELS = 1024;
/**
 * Calls in setup per tunnel. A LAC's control stream is ordered, so a LAC that queues N calls at once
 * (our bench does, by hundreds) delivers all N ICRQs before its first ICCN: the cap must exceed
 * the largest such burst. 1,024 does (at ~0.6 KiB per call in setup, 0.6 MiB per tunnel), while a
 * peer that sends ICRQs and never ICCN holds at most 1,024 calls per tunnel, each for 60 s.
 */
export const DEFAULT_MAX_CALLS_IN_SETUP_PER_TUNNEL = 1024;
/** Calls in setup per peer address, over all its tunnels: four tunnels' full bursts (≈ 2.4 MiB). */
export const DEFAULT_MAX_CALLS_IN_SETUP_PER_PEER = 4096;
/** New tunnels per second per address before StopCCN 2/4 (the sketch in sccrq-rate.ts counts them). */
export const DEFAULT_NEW_TUNNELS_PER_SECOND_PER_PEER = 50;

/** What one peer address holds, for the per-address caps (forgotten with its last tunnel). */
interface PeerUsage {
  tunnels: number;
  callsInSetup: number;
}

/** The L2TP endpoint (either role), sans-IO. */
export class Endpoint implements Engine<L2tpEvent> {
  /** Drop and error counters. */
  readonly counters: EndpointCounters = { dropped: 0, dataMessages: 0, refusedSccrq: 0, internalErrors: 0 };
  private readonly cfg: TunnelConfig;
  /** Counters of every tunnel's control channel, ended tunnels included (metrics read them in O(1)). */
  readonly controlStats: ControlStats = { retransmissions: 0 };
  private readonly maxTunnels: number;
  private readonly maxSessions: number;
  private readonly ratePerPeer: number;
  private readonly byId = new Map<number, Tunnel>();
  /** (peer address, port, peer's Assigned Tunnel ID) → our tunnel, for its whole life: a late duplicate SCCRQ is re-acked, never a new tunnel. */
  private readonly byPeerRequest = new Map<string, Tunnel>();
  private readonly requestKeyOf = new Map<Tunnel, string>();
  private readonly heap = new DeadlineHeap<number>();
  private readonly transmits = new Fifo<Transmit>();
  private readonly events = new Fifo<L2tpEvent>();
  /** Tunnels we opened that still wait for an SCCRP: the only ones a Tie Breaker can concern. */
  private readonly outgoing = new Set<Tunnel>();
  private readonly rate: SccrqRateLimit;
  private readonly perPeer = new Map<string, PeerUsage>();
  /** SCCRQ answered, no SCCCN yet: insertion order is age order (the oldest gives way when full). */
  private readonly halfOpen = new Set<Tunnel>();
  private readonly maxTunnelsPerPeer: number;
  private readonly maxHalfOpen: number;
  private readonly maxCallsInSetupPerPeer: number;
  private readonly view = new L2tpHeaderView();
  private sessionCount = 0;
  private readonly host: TunnelHost;

  constructor(private readonly opts: EndpointOptions) {
    const r = opts.retransmit ?? {};
    this.cfg = {
      role: opts.role,
      hostName: opts.hostName,
      random: opts.random,
      challengePeer: opts.challengePeer ?? false,
      hideAvps: opts.hideAvps ?? false,
      requireSequencing: opts.requireSequencing ?? false,
      receiveWindow: opts.receiveWindow ?? DEFAULT_RECEIVE_WINDOW,
      channel: {
        stats: this.controlStats,
        maxPending: opts.limits?.maxQueuedMessages ?? DEFAULT_MAX_PENDING,
        ...(r.initialMs !== undefined ? { initialMs: r.initialMs } : {}),
        ...(r.capMs !== undefined ? { capMs: r.capMs } : {}),
        ...(r.maxRetries !== undefined ? { maxRetries: r.maxRetries } : {}),
        ...(opts.helloIntervalMs !== undefined ? { helloIntervalMs: opts.helloIntervalMs } : {}),
      },
      ...(opts.vendorName !== undefined ? { vendorName: opts.vendorName } : {}),
      ...(opts.firmwareRevision !== undefined ? { firmwareRevision: opts.firmwareRevision } : {}),
      maxSessionsPerTunnel: opts.limits?.maxSessionsPerTunnel ?? 65_535,
      // The NAT rebinding rule waits out one HELLO interval (60 s when HELLO is off: §6.5's default).
      rebindSilenceMs: opts.helloIntervalMs || 60_000,
      tunnelSetupTimeoutMs: opts.tunnelSetupTimeoutMs ?? DEFAULT_TUNNEL_SETUP_TIMEOUT_MS,
      callSetupTimeoutMs: opts.callSetupTimeoutMs ?? DEFAULT_CALL_SETUP_TIMEOUT_MS,
      maxCallsInSetupPerTunnel: opts.limits?.maxCallsInSetupPerTunnel ?? DEFAULT_MAX_CALLS_IN_SETUP_PER_TUNNEL,
      ...(opts.onTransition !== undefined ? { onTransition: opts.onTransition } : {}),
    };
    this.maxTunnels = opts.limits?.maxTunnels ?? 65_535;
    this.maxSessions = opts.limits?.maxSessions ?? 1_000_000;
    this.ratePerPeer = opts.limits?.newTunnelsPerSecondPerPeer ?? DEFAULT_NEW_TUNNELS_PER_SECOND_PER_PEER;
    this.rate = new SccrqRateLimit(this.ratePerPeer, opts.random);
    this.maxTunnelsPerPeer = opts.limits?.maxTunnelsPerPeer ?? DEFAULT_MAX_TUNNELS_PER_PEER;
    this.maxHalfOpen = Math.max(1, opts.limits?.maxHalfOpenTunnels ?? DEFAULT_MAX_HALF_OPEN_TUNNELS);
    this.maxCallsInSetupPerPeer = opts.limits?.maxCallsInSetupPerPeer ?? DEFAULT_MAX_CALLS_IN_SETUP_PER_PEER;
    this.host = {
      emit: (e) => this.events.push(e),
      allocateSessionId: (t) => this.allocateSessionId(t),
      sessionClosed: () => {
        this.sessionCount--;
      },
      admitCallSetup: (t) => {
        const u = this.perPeer.get(t.peerAddressKey);
        if (u === undefined || u.callsInSetup >= this.maxCallsInSetupPerPeer) return false;
        u.callsInSetup++;
        return true;
      },
      callSetupEnded: (t) => {
        const u = this.perPeer.get(t.peerAddressKey);
        if (u !== undefined && u.callsInSetup > 0) u.callsInSetup--;
      },
      ...(opts.trace !== undefined ? { trace: opts.trace } : {}),
    };
  }

  // ---- Engine -----------------------------------------------------------------------------------

  /** One UDP datagram. Control messages are handled; data messages are counted and dropped. Never throws. */
  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void {
    const v = this.view;
    const err = v.wrap(bytes);
    if (err !== undefined) {
      this.drop(err, from);
      return;
    }
    if (!v.isControl) {
      this.counters.dataMessages++;
      this.drop('data-message', from);
      return;
    }
    const { tunnelId: tid, ns, nr, sessionId, body } = v;
    let t = tid === 0 ? undefined : this.byId.get(tid);
    if (t === undefined || t.state === 'closed' || t.peer.address !== from.address) {
      // Windows' StopCCN names no tunnel of its sender in the header: match it by its AVP.
      const w = this.misaddressedStopCcnTunnel(body, from);
      if (w !== undefined) t = w;
      else if (tid === 0) {
        this.handleSccrq(ns, nr, sessionId, body, from, now);
        return;
      }
    }
    if (t === undefined || t.state === 'closed') {
      this.drop('unknown-tunnel', from);
      return;
    }
    const target = t;
    this.guard(target, now, () => target.handleControl(ns, nr, sessionId, body, from, now));
  }

  /** Runs every tunnel whose deadline has come. */
  handleTimeout(now: Instant): void {
    for (const tid of this.heap.popDue(now)) {
      const t = this.byId.get(tid);
      if (t !== undefined) this.guard(t, now, () => t.handleTimeout(now));
    }
  }

  /** Next datagram to send; the caller owns the bytes. */
  pollTransmit(): Transmit | undefined {
    return this.transmits.shift();
  }

  /** Earliest deadline over all tunnels (heap: O(1) amortized). */
  pollTimeout(): Instant | undefined {
    return this.heap.peek();
  }

  /** Next event. */
  pollEvent(): L2tpEvent | undefined {
    return this.events.shift();
  }

  // ---- commands ---------------------------------------------------------------------------------

  /** LAC role (either role may): opens a tunnel to `peer` with an SCCRQ; returns our Tunnel ID. */
  openTunnel(peer: PeerAddress, now: Instant): number {
    if (this.byId.size >= this.maxTunnels) throw new L2tpUsageError('ERR_L2TP_LIMIT', 'tunnel limit reached');
    const tid = this.allocateTunnelId();
    const t = new Tunnel(this.cfg, this.host, tid, peer, this.opts.tunnelSecret?.(peer, undefined), now);
    this.byId.set(tid, t);
    this.usage(peer.address).tunnels++;
    this.outgoing.add(t);
    this.guard(t, now, () => t.open(now));
    return tid;
  }

  /** Starts a call on an established tunnel (LAC: ICRQ, LNS: OCRQ); returns our Session ID. */
  startSession(tunnelId: number, now: Instant): number {
    const t = this.byId.get(tunnelId);
    if (t === undefined || t.state !== 'established') {
      throw new L2tpUsageError('ERR_L2TP_TUNNEL_STATE', `tunnel ${tunnelId} is not established`);
    }
    const sid = t.sessions.size < this.cfg.maxSessionsPerTunnel ? this.allocateSessionId(t) : undefined;
    if (sid === undefined) throw new L2tpUsageError('ERR_L2TP_LIMIT', 'session limit reached');
    this.guard(t, now, () => t.startSession(sid, now));
    return sid;
  }

  /** Sends a CDN for one session (no-op when unknown). */
  disconnect(tunnelId: number, sessionId: number, reason: DisconnectReason, now: Instant): void {
    const t = this.byId.get(tunnelId);
    if (t !== undefined) this.guard(t, now, () => t.disconnect(sessionId, reason, now));
  }

  /** Sends a StopCCN for one tunnel (no-op when unknown). */
  close(tunnelId: number, reason: DisconnectReason, now: Instant): void {
    const t = this.byId.get(tunnelId);
    if (t !== undefined) this.guard(t, now, () => t.close(reason, now));
  }

  /**
   * StopCCN on every tunnel, and no new tunnel from now on: during the shutdown grace an SCCRQ
   * is dropped ('shutting-down'), so a LAC retries elsewhere instead of getting a tunnel that is
   * about to be torn down.
   */
  closeAll(reason: DisconnectReason, now: Instant): void {
    this.closeSome(reason, now, Number.POSITIVE_INFINITY);
  }

  /**
   * closeAll in slices, so that a driver can let its event loop run between them (issue 9 item 5:
   * tearing down 40,000 sessions at once held the loop for most of a second). Closes tunnels in
   * the order they were found at the first call, each costing its sessions plus one, until the
   * next would take this call past `maxSessions` (at least one tunnel per call: a slice costs at
   * most max(maxSessions, one tunnel's sessions + 1)); `beforeClose` sees each tunnel just before
   * its StopCCN. True once every tunnel has been closed; the next call then starts over.
   */
  closeSome(
    reason: DisconnectReason,
    now: Instant,
    maxSessions: number,
    beforeClose?: (tunnelId: number, sessionIds: Iterable<number>) => void,
  ): boolean {
    this.draining = true;
    const queue = (this.closing ??= [...this.byId.keys()]);
    let closed = 0;
    while (this.closingAt < queue.length) {
      const t = this.byId.get(queue[this.closingAt]!);
      if (t !== undefined) {
        const cost = t.sessions.size + 1;
        if (closed > 0 && closed + cost > maxSessions) return false;
        closed += cost;
        beforeClose?.(t.tunnelId, t.sessions.keys());
        this.guard(t, now, () => t.close(reason, now));
      }
      this.closingAt++;
    }
    this.closing = undefined;
    this.closingAt = 0;
    return true;
  }

  /**
   * The pinned peer (address and port) of a tunnel, O(1): the data path accepts a data message
   * for `tunnelId` only from exactly this peer (issue 9 Deliver 1, 2). Undefined when unknown.
   */
  peerOf(tunnelId: number): PeerAddress | undefined {
    const t = this.byId.get(tunnelId);
    return t === undefined || t.state === 'closed' ? undefined : t.peer;
  }

  /** The session for a data message, O(1); undefined unless it exists. */
  session(tunnelId: number, sessionId: number): SessionHandle | undefined {
    return this.byId.get(tunnelId)?.sessions.get(sessionId);
  }

  /** Snapshot of every tunnel still holding state (lingering ones included). */
  *tunnels(): Iterable<TunnelInfo> {
    for (const t of this.byId.values()) {
      yield {
        tunnelId: t.tunnelId,
        peerTunnelId: t.peerTunnelId,
        peer: t.peer,
        peerHostName: t.peerHostName,
        state: t.state,
        sessions: t.sessions.size,
      };
    }
  }

  /**
   * True while some tunnel still has to reach its peer: not closing yet, or its StopCCN unacked. A
   * tunnel lingering after the ack (§5.7, a full retransmission cycle) needs nothing more, so a
   * driver's close() need not wait for it to reach 'closed'.
   */
  awaitingStopAck(): boolean {
    for (const t of this.byId.values()) if (t.awaitingStopAck()) return true;
    return false;
  }

  /** Tunnels whose SCCRQ we answered and whose SCCCN has not come yet (≤ limits.maxHalfOpenTunnels). */
  get halfOpenTunnels(): number {
    return this.halfOpen.size;
  }

  /** Sessions held across all tunnels. */
  get sessionTotal(): number {
    return this.sessionCount;
  }

  /** The tunnel object (tests and diagnostics: transition log, channel counters). */
  tunnel(tunnelId: number): Tunnel | undefined {
    return this.byId.get(tunnelId);
  }

  // ---- internals --------------------------------------------------------------------------------

  /** Set by closeAll: new tunnels are refused. */
  private draining = false;
  /** The tunnels a sliced closeAll (closeSome) is going through, and how far it got. */
  private closing: number[] | undefined;
  private closingAt = 0;

  private drop(reason: string, peer: PeerAddress): void {
    this.counters.dropped++;
    this.events.push({ type: 'datagram-dropped', reason, peer });
  }

  /** Runs `f` on `t`; a throw is a bug: that tunnel alone is torn down. Then flushes and reschedules. */
  private guard(t: Tunnel, now: Instant, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.counters.internalErrors++;
      try {
        t.fail(e instanceof Error ? e.message : String(e), now);
      } catch {
        // The runner sets 'closed' before the row's actions run: flush forgets the tunnel anyway.
      }
    }
    this.flush(t, now);
  }

  private flush(t: Tunnel, _now: Instant): void {
    for (let d = t.pollDatagram(); d !== undefined; d = t.pollDatagram()) this.transmits.push({ to: t.peer, bytes: d });
    if (t.state !== 'wait-ctl-reply' && t.state !== 'idle') this.outgoing.delete(t);
    if (t.state !== 'wait-ctl-conn' && t.state !== 'idle') this.halfOpen.delete(t);
    if (t.state === 'closed') {
      if (this.byId.get(t.tunnelId) === t) {
        this.byId.delete(t.tunnelId);
        const u = this.perPeer.get(t.peerAddressKey);
        if (u !== undefined && --u.tunnels <= 0) this.perPeer.delete(t.peerAddressKey);
      }
      this.heap.set(t.tunnelId, undefined);
      this.forgetRequest(t);
      return;
    }
    this.heap.set(t.tunnelId, t.pollTimeout());
  }

  private forgetRequest(t: Tunnel): void {
    const key = this.requestKeyOf.get(t);
    if (key === undefined) return;
    this.requestKeyOf.delete(t);
    if (this.byPeerRequest.get(key) === t) this.byPeerRequest.delete(key);
  }

  private handleSccrq(
    ns: number,
    nr: number,
    sessionId: number,
    body: Uint8Array,
    from: PeerAddress,
    now: Instant,
  ): void {
    if (this.draining) {
      this.drop('shutting-down', from);
      return;
    }
    // Pick the secret by Host Name before decoding: Host Name is never hidden (§4.4.3), other AVPs may be.
    const hostName = scanString(body, AvpType.HostName);
    const secret = this.opts.tunnelSecret?.(from, hostName);
    let decoded: Decoded<ControlMessage> | undefined;
    let peerTid = scanU16(body, AvpType.AssignedTunnelId);
    if (peerTid === undefined && ns === 0) {
      // §4.4.3: Assigned Tunnel ID may be hidden; the scan skips hidden AVPs, so decode to read it.
      decoded = decodeControlMessage(body, secret === undefined ? undefined : { secret });
      if (decoded.ok && secret !== undefined) peerTid = avpU16(decoded.value, AvpType.AssignedTunnelId);
    }
    if (peerTid === undefined || ns !== 0) {
      this.drop('bad-sccrq', from);
      return;
    }
    if (peerTid === 0) {
      // §4.4.3: Assigned Tunnel ID 0 is reserved. A real SCCRQ gets StopCCN 2/3 (addressed to
      // Tunnel ID 0, the only one it gave); anything else on Tunnel ID 0 is dropped.
      decoded ??= decodeControlMessage(body, secret === undefined ? undefined : { secret });
      if (decoded.ok && decoded.value.type === MessageType.SCCRQ) this.refuse(from, 0, StopReason.ZeroTunnelId);
      else this.drop('bad-sccrq', from);
      return;
    }
    const key = `${peerKey(from)}/${peerTid}`;
    const existing = this.byPeerRequest.get(key);
    if (existing !== undefined) {
      // A retransmitted SCCRQ: its channel sees a duplicate and re-acks it (§5.8).
      this.guard(existing, now, () => existing.handleControl(ns, nr, sessionId, body, from, now, decoded));
      return;
    }
    decoded ??= decodeControlMessage(body, secret === undefined ? undefined : { secret });
    if (!decoded.ok) {
      if (decoded.fault.scope === 'drop') {
        this.drop(`sccrq-${decoded.fault.code}`, from);
        return;
      }
      this.refuse(from, peerTid, faultReason(decoded.fault));
      return;
    }
    const msg = decoded.value;
    if (msg.type !== MessageType.SCCRQ) {
      this.drop('tunnel-id-0-not-sccrq', from);
      return;
    }
    const refusal = this.judgeSccrq(msg, from, secret, now);
    if (refusal !== undefined) {
      this.refuse(from, peerTid, refusal);
      return;
    }
    if (this.loseTieBreak(from, msg, now)) return;
    if (this.halfOpen.size >= this.maxHalfOpen) this.evictOldestHalfOpen(now);
    const tid = this.allocateTunnelId();
    const t = new Tunnel(this.cfg, this.host, tid, from, secret, now);
    this.byId.set(tid, t);
    this.usage(from.address).tunnels++;
    this.halfOpen.add(t);
    this.byPeerRequest.set(key, t);
    this.requestKeyOf.set(t, key);
    this.guard(t, now, () => t.handleControl(ns, nr, sessionId, body, from, now, decoded));
  }

  /** The half-open table is full: its oldest tunnel goes with a one-shot StopCCN 2/4 (it keeps no linger state). */
  private evictOldestHalfOpen(now: Instant): void {
    for (const old of this.halfOpen) {
      this.halfOpen.delete(old);
      const ch = old.channel;
      this.sendOneShotStop(
        old.peer,
        old.peerTunnelId,
        old.tunnelId,
        ch.sendNs,
        ch.receiveNr,
        StopReason.HalfOpenEvicted,
      );
      this.guard(old, now, () => old.evict(now));
      return;
    }
  }

  /**
   * The tunnel a StopCCN is for when its header names none of its sender's tunnels (Windows puts 0
   * or its own ID there): its Assigned Tunnel ID AVP (the sender's ID) and the sender's address
   * and port, through the same index a retransmitted SCCRQ uses. O(1); undefined for anything else.
   */
  private misaddressedStopCcnTunnel(body: Uint8Array, from: PeerAddress): Tunnel | undefined {
    if (scanU16(body, AvpType.MessageType) !== MessageType.StopCCN) return undefined;
    const peerTid = scanU16(body, AvpType.AssignedTunnelId);
    if (peerTid === undefined || peerTid === 0) return undefined;
    const t = this.byPeerRequest.get(`${peerKey(from)}/${peerTid}`);
    return t !== undefined && t.state !== 'closed' && t.peerTunnelId === peerTid ? t : undefined;
  }

  private usage(address: string): PeerUsage {
    let u = this.perPeer.get(address);
    if (u === undefined) {
      u = { tunnels: 0, callsInSetup: 0 };
      this.perPeer.set(address, u);
    }
    return u;
  }

  /** Whether to hold state for this SCCRQ: limits, rate, version, acceptTunnel, §5.1.1. Undefined = yes. */
  private judgeSccrq(
    msg: ControlMessage,
    from: PeerAddress,
    secret: Uint8Array | undefined,
    now: Instant,
  ): DisconnectReason | undefined {
    if (!this.rate.allow(from.address, now)) return StopReason.TooManyNewTunnels;
    if (this.byId.size >= this.maxTunnels) return StopReason.TunnelLimit;
    // A tunnel that can carry no call is no use to the LAC: send it to another node now.
    if (this.sessionCount >= this.maxSessions) return StopReason.SessionCapacity;
    if ((this.perPeer.get(from.address)?.tunnels ?? 0) >= this.maxTunnelsPerPeer) return StopReason.TunnelsPerPeerLimit;
    if (!isVersion10(msg)) return StopReason.SccrqNotVersion10;
    const bad = judgeFieldValues(msg);
    if (bad !== undefined) return bad;
    const name = avpString(msg, AvpType.HostName) ?? '';
    if (this.opts.acceptTunnel !== undefined && !this.opts.acceptTunnel(from, name)) return StopReason.NotAuthorized;
    if (avpBytes(msg, AvpType.Challenge) !== undefined && secret === undefined) return StopReason.NoSecretForChallenge;
    if (this.opts.challengePeer && secret === undefined) return StopReason.NoSecretForPeer;
    return undefined;
  }

  /**
   * §4.4.3 Tie Breaker: an SCCRQ crossing our own SCCRQ to the same peer. "The lower value wins";
   * the loser drops its own request. Equal values: both drop theirs. Returns true when the incoming
   * SCCRQ must be discarded.
   */
  private loseTieBreak(from: PeerAddress, msg: ControlMessage, now: Instant): boolean {
    const theirs = avpBytes(msg, AvpType.TieBreaker);
    if (theirs === undefined) return false;
    for (const t of [...this.outgoing]) {
      if (t.state !== 'wait-ctl-reply' || t.peer.address !== from.address || t.tieBreaker === undefined) continue;
      const c = compareBytes(t.tieBreaker, theirs);
      if (c < 0) {
        this.drop('tie-breaker-won', from);
        return true;
      }
      // Ours loses (or ties): abandon our pending tunnel quietly.
      this.guard(t, now, () => t.loseTieBreak(now));
      if (c === 0) {
        this.drop('tie-breaker-equal', from);
        return true;
      }
    }
    return false;
  }

  /** A one-shot StopCCN for an SCCRQ we will not hold state for (Ns 0, Nr 1: it acks their SCCRQ). */
  private refuse(to: PeerAddress, peerTid: number, reason: DisconnectReason): void {
    this.counters.refusedSccrq++;
    this.sendOneShotStop(to, peerTid, 0, 0, 1, reason);
    this.events.push({ type: 'datagram-dropped', reason: `sccrq-refused-${reason.resultCode}`, peer: to });
  }

  /** A StopCCN sent outside any channel (no state kept, never retransmitted). */
  private sendOneShotStop(
    to: PeerAddress,
    peerTid: number,
    ourTid: number,
    ns: number,
    nr: number,
    reason: DisconnectReason,
  ): void {
    const body = encodeControlMessage(stopCcnMessage(ourTid, reason));
    const bytes = new Uint8Array(CONTROL_HEADER_LENGTH + body.length);
    writeControlHeader(bytes, 0, bytes.length, peerTid, 0, ns, nr);
    bytes.set(body, CONTROL_HEADER_LENGTH);
    this.transmits.push({ to, bytes });
  }

  private allocateTunnelId(): number {
    for (;;) {
      const id = this.opts.random.int(1, 0xffff);
      if (!this.byId.has(id)) return id;
    }
  }

  private allocateSessionId(t: Tunnel): number | undefined {
    if (this.sessionCount >= this.maxSessions || t.sessions.size >= 0xfffe) return undefined;
    for (;;) {
      const id = this.opts.random.int(1, 0xffff);
      if (!t.sessions.has(id)) {
        this.sessionCount++;
        return id;
      }
    }
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
