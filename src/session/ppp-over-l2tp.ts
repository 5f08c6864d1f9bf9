// The session layer: PPP sessions carried in L2TP (RFC 2661 §5.4), the bridge both roles share.
// Control messages go to the Endpoint; data messages go by (Tunnel ID, Session ID) to the
// session's PppLink, or straight out as IP when IPCP is open (the data path). lns/ and lac/ are
// the role policies on top (which link to build, what an event means); neither imports the other.
//
// The data path has two pairs of entry points, and only these:
// - fast (in place, no copy, no allocation): deliverInPlace (peer → us: the IPv4 packet is handed
//   to a sink as a subarray of the datagram) and encapsulateInPlace (us → peer: the PPP and L2TP
//   headers are written into the headroom before the packet);
// - slow (fully checked, queued): handleDatagram, whose IP packets are drained with pollIpPacket,
//   and sendIp, which copies the packet into a new datagram.
//
// Admission (issue 9), the same on both paths: a data message is accepted only from its tunnel's
// peer address and port (as control messages are); with `admitSources` (the LNS) the inner IPv4
// source must be the session's address or inside one of its `allowedSources`, and IPv6 is taken
// only from the link-local address made of the interface identifier IPv6CP negotiated (there is
// no other IPv6 data path). Drops are counted per session and in total, with no allocation.
//
// Sequencing (RFC 2661 §5.4): a data message with the S bit goes through the session's
// DataSequencer (data-sequencer.ts), on both paths: in order it is delivered at once (no copy);
// ahead it is held (copied) until the gap fills, the buffer is full or its reorder deadline (one
// of the session's deadlines) passes; duplicates and stale Ns are dropped and counted per session
// ('data-duplicate', 'data-stale'). Held frames released on the fast path go to its sink, so IP
// packets keep their order. What we send carries Ns while `handle.sequencing` is set: always when
// Sequencing Required was exchanged, from the start on an LNS with `sendSequenced` (xl2tpd
// `flow bit`: the LNS controls sequencing), and on a LAC (`followPeerSequencing`) while the LNS's
// data messages carry Ns: it "MUST begin" when one does and "MUST stop" when one does not.
//
// Session limits (timers as data, one deadline per session beside its link's): a session that has
// not reached the Network phase (IPCP Opened) in `networkPhaseTimeoutMs`, one idle (no IP packet
// either way, pppd `idle`) for `idleTimeoutMs`, or one up (pppd `maxconnect`) for `maxConnectMs`
// is cleared with a CDN carrying the RFC 3145 cause.
// Related: session-key.ts, ../lns/lns.ts, ../lac/lac.ts, ../l2tp/endpoint.ts, ../ppp/link.ts.
import { u32 } from '../core/bytes.js';
import { DeadlineHeap } from '../core/deadline-heap.js';
import type { PeerAddress, Transmit } from '../core/engine.js';
import { Fifo } from '../core/fifo.js';
import { parseIpv4 } from '../core/ipv4.js';
import type { Instant } from '../core/time.js';
import type { DisconnectReason, Endpoint, L2tpEvent, SessionHandle } from '../l2tp/endpoint.js';
import { type DataHeaderOptions, dataHeaderLength, L2tpHeaderView, writeDataHeader } from '../l2tp/wire/header.js';
import { CdnResult } from '../l2tp/wire/result-codes.js';
import { CauseDirection, GlobalCause } from '../l2tp/wire/session-avps.js';
import { LinkDownCause, type PppEvent, type PppLink } from '../ppp/link.js';
import { DataSequencer, type DataSequencerOptions } from './data-sequencer.js';
import { admitIpv6, ipv6FastOffset, pppHeaderFor } from './ipv6-admission.js'; // IPv6 (issue 12 item 5)
import { sessionKey } from './session-key.js';

/** Packet and octet counters of one session, as `ctl` shows them. */
export interface SessionCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
}

/** Why a datagram or packet of a known session was refused by admission. Stable strings: counter labels. */
export type SessionDropReason =
  | 'foreign-peer'
  | 'spoofed-source'
  | 'ipv6-unsupported'
  | 'malformed-ip'
  | 'data-duplicate'
  | 'data-stale';

/** A zero count for every SessionDropReason. */
function noSessionDrops(): Record<SessionDropReason, number> {
  return {
    'foreign-peer': 0,
    'spoofed-source': 0,
    'ipv6-unsupported': 0,
    'malformed-ip': 0,
    'data-duplicate': 0,
    'data-stale': 0,
  };
}

/** An IPv4 prefix a session may use as a source beside its own address (e.g. a RADIUS Framed-Route). */
export interface Ipv4Prefix {
  /** The network, as a 32-bit unsigned number. */
  readonly address: number;
  /** 0-32. */
  readonly length: number;
}

/** Limits on a session's life (all off when absent). */
export interface SessionLimits {
  /** From the L2TP session up to IPCP Opened. */
  readonly networkPhaseTimeoutMs?: number;
  /** pppd `idle`: no IP packet in either direction for this long. */
  readonly idleTimeoutMs?: number;
  /** pppd `maxconnect`: this long after IPCP first opened. */
  readonly maxConnectMs?: number;
}

/** One PPP session inside an L2TP tunnel. */
export interface PppSession {
  readonly key: number;
  readonly handle: SessionHandle;
  readonly link: PppLink;
  readonly startedAt: Instant;
  readonly counters: SessionCounters;
  /** Datagrams and packets of this session refused by admission, per reason. */
  readonly dropped: Record<SessionDropReason, number>;
  /** Source prefixes allowed beside the session's own address; empty by default. */
  allowedSources: readonly Ipv4Prefix[];
  /** The session's IPv4 address (IPCP), as a number; undefined before IPCP opens. */
  ipv4Source?: number;
  /** The peer's IPv6 interface identifier (IPv6CP), 8 octets. */
  ipv6PeerId?: Uint8Array;
  /** IPv6 (issue 12 item 5): the session's /64 (first 8 octets), set by the LNS from its IPv6 pool. */
  ipv6Prefix?: Uint8Array;
  /** Session limits: the last IP packet received and the count of IP packets sent at the last idle check. */
  lastIpAt: Instant;
  ipTxPackets: number;
  idleTxMark: number;
  /** The earliest of the session's own deadlines (network phase, idle, maxconnect), if any. */
  deadline?: Instant;
  user?: string;
  localAddress?: string;
  peerAddress?: string;
  dns?: readonly string[];
  upAt?: Instant;
  /**
   * Authorization (RADIUS Session-Timeout / Idle-Timeout, s): this session's maxconnect / idle,
   * over the owner's SessionLimits (as pppd's radius plugin sets maxconnect and idle_time_limit);
   * 0 or absent: the owner's. Set before IPCP opens (Access-Accept), read when it does.
   */
  sessionTimeoutS?: number;
  idleTimeoutS?: number;
  /** The receive sequencer, made when the first data message with Ns arrives (§5.4). */
  sequencer?: DataSequencer;
  /** Set once the session is being torn down; frames are no longer accepted. */
  closing: boolean;
  /** PPP has been opened (see PppOverL2tpHooks.openOnPeerFrameMs). */
  opened: boolean;
}

/** What the owner (LNS or LAC) decides. */
export interface PppOverL2tpHooks {
  /** A new L2TP session is up: build its PPP link (not yet opened). */
  createLink(handle: SessionHandle, event: Extract<L2tpEvent, { type: 'session-up' }>, now: Instant): PppLink;
  /** A PPP event of one session (after the bridge's own bookkeeping). */
  onPppEvent(session: PppSession, event: PppEvent, now: Instant): void;
  /** Every L2TP event (after the bridge's own bookkeeping). */
  onL2tpEvent(event: L2tpEvent, now: Instant): void;
  /** The session is gone (L2TP session-down or tunnel-down): release what it held. */
  onSessionClosed(session: PppSession, now: Instant): void;
  /** Options for data message headers (xl2tpd "length bit"). */
  readonly dataLengthBit?: boolean;
  /** LNS (xl2tpd `flow bit`): our data messages carry Ns from the start (§5.4: the LNS controls it). */
  readonly sendSequenced?: boolean;
  /** LAC: send Ns while the peer's data messages carry them, unless Sequencing Required holds (§5.4). */
  readonly followPeerSequencing?: boolean;
  /** Limits of each session's reorder buffer (data-sequencer.ts defaults). */
  readonly reorder?: DataSequencerOptions;
  /**
   * LAC: open PPP when the peer's first frame arrives, or after this many ms. Our ICCN may still be
   * waiting for window space when the call is up on our side; an LCP Configure-Request sent before
   * it arrives is dropped by the LNS and costs a 3 s restart. Undefined: open at once (LNS).
   */
  readonly openOnPeerFrameMs?: number;
  /** LNS: check the inner source address of every packet from a session (admission). */
  readonly admitSources?: boolean;
  /** Limits on each session's life. */
  readonly limits?: SessionLimits;
}

const WITH_LENGTH = Object.freeze({ length: true });
/** The allowedSources of every session until it is given its own (one shared empty list). */
const NO_PREFIXES: readonly Ipv4Prefix[] = Object.freeze([]);
const NO_OPTIONS = Object.freeze({});

/**
 * Where the IPv4 packet starts in a PPP frame, or -1 when the frame is not IPv4. RFC 1662 §3.2 and
 * RFC 1661 §6.5-6.6: the address/control field may be compressed (ACFC) and the protocol field may
 * be one octet (PFC).
 */
export function ipv4Offset(frame: Uint8Array): number {
  const at = frame[0] === 0xff && frame[1] === 0x03 ? 2 : 0;
  if (frame[at] === 0x21) return at + 1 < frame.length ? at + 1 : -1;
  if (frame[at] === 0x00 && frame[at + 1] === 0x21) return at + 2 < frame.length ? at + 2 : -1;
  return -1;
}

/** IPv6 (issue 12 item 5): the IPv4 offset of ipv4Offset, else where an IPv6 packet for the fast path starts, else -1. */
function ipv4OrIpv6Offset(frame: Uint8Array, session: PppSession): number {
  const at = ipv4Offset(frame);
  return at >= 0 ? at : ipv6FastOffset(frame, session.link);
}

/** An IPv4 packet that came out of a session (peer → us). */
export interface IpPacket {
  readonly session: PppSession;
  readonly packet: Uint8Array;
}

/** Where deliverInPlace hands an IPv4 packet: `packet` is valid during the call only. */
export type IpSink = (packet: Uint8Array, session: PppSession) => void;

/** Why a data message was dropped. Stable strings: counter labels. */
export type DataDropReason = 'not-l2tp' | 'unknown-session' | 'session-closing' | 'empty-frame' | SessionDropReason;

/**
 * The tunnel's peer of a session: data messages are accepted only from it. The one place that says
 * where the peer comes from, so that pinning (issue 9) needs one change here.
 */
function tunnelPeerOf(session: PppSession): PeerAddress {
  return session.handle.peer;
}

/** True when `from` is the session's tunnel peer (address and port). */
function fromTunnelPeer(session: PppSession, from: PeerAddress): boolean {
  const peer = tunnelPeerOf(session);
  return peer.port === from.port && peer.address === from.address;
}

/** The 8 octets of an interface identifier formatted by ipv6cp.ts ("xxxx:xxxx:xxxx:xxxx"). */
function parseInterfaceId(text: string): Uint8Array | undefined {
  const groups = text.split(':');
  if (groups.length !== 4) return undefined;
  const id = new Uint8Array(8);
  for (let i = 0; i < 4; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const v = Number.parseInt(g, 16);
    id[2 * i] = v >> 8;
    id[2 * i + 1] = v & 0xff;
  }
  return id;
}

/**
 * The bridge between one Endpoint and the PppLinks of its sessions. Sans-IO: the owner feeds
 * datagrams, timeouts and IP packets, and drains transmits and IP packets.
 */
export class PppOverL2tp {
  readonly sessions = new Map<number, PppSession>();
  readonly dropped: Record<DataDropReason, number> = {
    'not-l2tp': 0,
    'unknown-session': 0,
    'session-closing': 0,
    'empty-frame': 0,
    ...noSessionDrops(),
  };
  /** Every session's counters added up, ended sessions included (metrics: O(1) per scrape). */
  readonly totals: SessionCounters = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0 };
  /** The header options of sequenced sends, reused (no object per packet). */
  private readonly sequencedOpts = { length: false, ns: 0 };
  private readonly view = new L2tpHeaderView();
  private readonly timers = new DeadlineHeap<number>();
  private readonly transmits = new Fifo<Transmit>();
  private readonly ipOut = new Fifo<IpPacket>();

  /** hooks.followPeerSequencing, read once (the fast path reads it per packet). */
  private readonly followsPeer: boolean;

  constructor(
    readonly endpoint: Endpoint,
    private readonly hooks: PppOverL2tpHooks,
  ) {
    this.followsPeer = hooks.followPeerSequencing === true;
  }

  /** A datagram from the L2TP socket. Never throws on remote input. */
  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void {
    const view = this.view;
    if (view.wrap(bytes) !== undefined) {
      this.dropped['not-l2tp']++;
      // The endpoint counts and reports malformed datagrams itself.
      this.endpoint.handleDatagram(bytes, from, now);
      this.drainEndpoint(now);
      return;
    }
    if (view.isControl) {
      this.endpoint.handleDatagram(bytes, from, now);
      this.drainEndpoint(now);
      return;
    }
    const session = this.sessions.get(sessionKey(view.tunnelId, view.sessionId));
    if (session === undefined) {
      this.dropped['unknown-session']++;
      return;
    }
    if (session.closing) {
      this.dropped['session-closing']++;
      return;
    }
    if (!fromTunnelPeer(session, from)) {
      this.drop(session, 'foreign-peer');
      return;
    }
    session.handle.noteReceived(now);
    if (!session.opened) this.open(session, now);
    if (this.followsPeer) followPeer(session, view.hasSequence);
    if (view.hasSequence) this.sequenced(session, view.ns, view.body, now, undefined);
    else this.deliverFrame(session, view.body, now, undefined);
  }

  /** Deadlines of the endpoint and of every link that are due at `now`. */
  handleTimeout(now: Instant): void {
    this.endpoint.handleTimeout(now);
    this.drainEndpoint(now);
    for (const key of this.timers.popDue(now)) {
      const session = this.sessions.get(key);
      if (session === undefined) continue;
      if (!session.opened) {
        this.open(session, now);
        continue;
      }
      session.link.handleTimeout(now);
      const seq = session.sequencer;
      if (seq !== undefined) while (!session.closing && seq.expire(now)) this.release(session, seq, now, undefined);
      if (session.deadline !== undefined && session.deadline <= now) this.checkLimits(session, now);
      if (!session.closing) this.drainLink(session, now);
    }
  }

  /**
   * Fast path, peer → us: an IPv4 packet in a data message of a session whose IPCP is open goes to
   * `sink` as a subarray of `bytes` (valid during the call), with no copy and no allocation.
   * A datagram from a host other than the tunnel's peer, or a packet that admission refuses, is
   * counted and dropped here (true: consumed). Returns false for anything else; the caller then
   * hands the datagram (a copy of it, if its buffer is reused) to handleDatagram, the fully
   * checked slow path.
   */
  deliverInPlace(bytes: Uint8Array, from: PeerAddress, now: Instant, sink: IpSink): boolean {
    const view = this.view;
    if (view.wrap(bytes) !== undefined || view.isControl) return false;
    const session = this.sessions.get(sessionKey(view.tunnelId, view.sessionId));
    if (session === undefined || session.closing || !session.link.ipUp) return false;
    if (!fromTunnelPeer(session, from)) {
      this.drop(session, 'foreign-peer');
      return true;
    }
    const frame = view.body;
    const ipAt = ipv4OrIpv6Offset(frame, session);
    if (ipAt < 0) return false;
    session.handle.noteReceived(now);
    if (this.followsPeer) followPeer(session, view.hasSequence);
    if (view.hasSequence) {
      this.sequenced(session, view.ns, frame, now, sink);
      return true;
    }
    session.counters.rxPackets++;
    session.counters.rxBytes += frame.length;
    this.totals.rxPackets++;
    this.totals.rxBytes += frame.length;
    const refused = this.admitIp(session, frame, ipAt);
    if (refused !== undefined) {
      this.drop(session, refused);
      return true;
    }
    session.lastIpAt = now;
    sink(frame.subarray(ipAt), session);
    return true;
  }

  /**
   * Fast path, us → peer: encapsulates the IPv4 packet at buf[at, at + length) in place, writing
   * the PPP header and the L2TP data header into the headroom before `at`. Returns the datagram (a
   * subarray of buf) to send to `session.handle.peer`, or undefined when the session carries no IP
   * or the headroom is too small.
   */
  encapsulateInPlace(session: PppSession, buf: Uint8Array, at: number, length: number): Uint8Array | undefined {
    const pppHeader = pppHeaderFor(session.link, buf[at]); // 0x0021 or 0x0057 (IPv6, issue 12 item 5)
    if (pppHeader === undefined || session.closing) return undefined;
    const h = session.handle;
    const opts = h.sequencing
      ? this.nextSequencedOpts(h)
      : this.hooks.dataLengthBit === true
        ? WITH_LENGTH
        : NO_OPTIONS;
    const pppAt = at - pppHeader.length;
    const end = at + length;
    if (pppAt - dataHeaderLength(opts) < 0 || end > buf.length) return undefined;
    buf.set(pppHeader, pppAt);
    const start = writeDataHeader(buf, pppAt, end, h.peerTunnelId, h.peerSessionId, opts);
    session.ipTxPackets++;
    session.counters.txPackets++;
    session.counters.txBytes += end - pppAt;
    this.totals.txPackets++;
    this.totals.txBytes += end - pppAt;
    return buf.subarray(start, end);
  }

  /**
   * Slow path, us → peer: sends an IPv4 packet to the peer of `session` in a new datagram (the
   * packet is copied). Returns false unless IPCP is open.
   */
  sendIp(session: PppSession, packet: Uint8Array): boolean {
    const pppHeader = pppHeaderFor(session.link, packet[0]); // 0x0021 or 0x0057 (IPv6, issue 12 item 5)
    if (pppHeader === undefined || session.closing) return false;
    const frame = new Uint8Array(pppHeader.length + packet.length);
    frame.set(pppHeader);
    frame.set(packet, pppHeader.length);
    session.ipTxPackets++;
    this.sendFrame(session, frame);
    return true;
  }

  /** The next datagram to send; the caller owns its bytes. */
  pollTransmit(): Transmit | undefined {
    const fromEndpoint = this.endpoint.pollTransmit();
    if (fromEndpoint !== undefined) return fromEndpoint;
    return this.transmits.shift();
  }

  /**
   * Slow path, peer → us: the next IPv4 packet that handleDatagram took out of a session (a
   * subarray of the datagram: copy it or use it before that datagram's buffer is reused).
   */
  pollIpPacket(): IpPacket | undefined {
    return this.ipOut.shift();
  }

  /** Earliest deadline of the endpoint and every link. */
  pollTimeout(): Instant | undefined {
    const a = this.endpoint.pollTimeout();
    const b = this.timers.peek();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }

  /** Tears down one session: CDN to the peer, LCP closed. */
  disconnect(session: PppSession, reason: DisconnectReason, now: Instant): void {
    if (session.closing) return;
    session.closing = true;
    this.endpoint.disconnect(session.handle.tunnelId, session.handle.sessionId, reason, now);
    this.drainEndpoint(now);
  }

  /** Runs a command on one session's link (e.g. an external auth verdict) and sends what it produced. */
  withLink<T>(session: PppSession, now: Instant, command: (link: PppLink) => T): T {
    const result = command(session.link);
    if (this.sessions.get(session.key) === session) this.drainLink(session, now);
    return result;
  }

  /** Runs a command on the endpoint and processes what it produced. */
  withEndpoint<T>(now: Instant, command: (endpoint: Endpoint) => T): T {
    const result = command(this.endpoint);
    this.drainEndpoint(now);
    return result;
  }

  /**
   * Admission of the IPv4 packet at frame[at…]: undefined when it may pass, else why not. With
   * `admitSources` off (the LAC) every packet passes. O(allowedSources), no allocation.
   */
  private admitIpv4(session: PppSession, frame: Uint8Array, at: number): SessionDropReason | undefined {
    if (this.hooks.admitSources !== true) return undefined;
    // RFC 791 §3.1: version 4, and a header long enough to hold the source address.
    if (frame.length - at < 20 || frame[at]! >> 4 !== 4) return 'malformed-ip';
    const source = u32(frame, at + 12);
    if (source === session.ipv4Source) return undefined;
    const allowed = session.allowedSources;
    for (let i = 0; i < allowed.length; i++) {
      const p = allowed[i]!;
      const mask = p.length <= 0 ? 0 : (0xffffffff << (32 - Math.min(p.length, 32))) >>> 0;
      if (((source ^ p.address) & mask) === 0) return undefined;
    }
    return 'spoofed-source';
  }

  /**
   * Admission of a packet the link took out (IPv4 in odd framing, or IPv6 while IPv6CP is open).
   * IPv6 (RFC 8200 §3: the source at octet 8) passes only from fe80::<negotiated identifier>.
   */
  private admitFromLink(session: PppSession, packet: Uint8Array): SessionDropReason | undefined {
    if (this.hooks.admitSources !== true) return undefined;
    const version = packet.length > 0 ? packet[0]! >> 4 : 0;
    if (version === 4) return this.admitIpv4(session, packet, 0);
    if (version !== 6) return 'malformed-ip';
    return admitIpv6(session, packet, 0);
  }

  /** IPv6 (issue 12 item 5): admission of the IPv4 or IPv6 packet at frame[at…] (see admitIpv4, admitIpv6). */
  private admitIp(session: PppSession, frame: Uint8Array, at: number): SessionDropReason | undefined {
    if (frame[at]! >> 4 !== 6) return this.admitIpv4(session, frame, at);
    return this.hooks.admitSources === true ? admitIpv6(session, frame, at) : undefined;
  }

  /** A data message with Ns `ns` of `session`, on either path (`sink`: the fast path's). */
  private sequenced(session: PppSession, ns: number, frame: Uint8Array, now: Instant, sink: IpSink | undefined): void {
    let seq = session.sequencer;
    if (seq === undefined) {
      seq = new DataSequencer(this.hooks.reorder);
      session.sequencer = seq;
    }
    const before = seq.held;
    const verdict = seq.receive(ns, frame, now);
    if (verdict === 'duplicate' || verdict === 'stale') {
      this.drop(session, verdict === 'duplicate' ? 'data-duplicate' : 'data-stale');
      return;
    }
    if (verdict === 'next') this.deliverFrame(session, frame, now, sink);
    if (before === 0 && seq.held === 0) return; // in order, nothing held: the common case
    this.release(session, seq, now, sink);
  }

  /** Delivers the held frames that are in order now, then re-arms the session (its reorder deadline). */
  private release(session: PppSession, seq: DataSequencer, now: Instant, sink: IpSink | undefined): void {
    for (let f = seq.pollReleased(); f !== undefined; f = seq.pollReleased()) {
      if (session.closing) return;
      this.deliverFrame(session, f, now, sink);
    }
    if (this.sessions.get(session.key) === session) this.arm(session);
  }

  /**
   * One PPP frame of a session, in order: an IPv4 packet while IPCP is open goes to `sink` (fast
   * path, valid during the call) or to pollIpPacket (slow path) once admitted; anything else to the link.
   */
  private deliverFrame(session: PppSession, frame: Uint8Array, now: Instant, sink: IpSink | undefined): void {
    if (frame.length === 0) {
      this.dropped['empty-frame']++;
      return;
    }
    const counters = session.counters;
    counters.rxPackets++;
    counters.rxBytes += frame.length;
    this.totals.rxPackets++;
    this.totals.rxBytes += frame.length;
    const ipAt = ipv4OrIpv6Offset(frame, session);
    if (ipAt >= 0 && session.link.ipUp) {
      const refused = this.admitIp(session, frame, ipAt);
      if (refused !== undefined) {
        this.drop(session, refused);
        return;
      }
      session.lastIpAt = now;
      if (sink !== undefined) sink(frame.subarray(ipAt), session);
      else this.ipOut.push({ session, packet: frame.subarray(ipAt) });
      return;
    }
    session.link.handleFrame(frame, now);
    this.drainLink(session, now);
  }

  /** Header options for the next sequenced data message of `h` (one reused object). */
  private nextSequencedOpts(h: SessionHandle): DataHeaderOptions {
    const o = this.sequencedOpts;
    o.length = this.hooks.dataLengthBit === true;
    o.ns = h.nextDataNs();
    return o;
  }

  private drop(session: PppSession, reason: SessionDropReason): void {
    session.dropped[reason]++;
    this.dropped[reason]++;
  }

  /** The session's own deadlines are due: clear it when a limit is reached, else re-arm. */
  private checkLimits(session: PppSession, now: Instant): void {
    const limits = this.hooks.limits;
    if (limits === undefined) return;
    if (session.upAt === undefined) {
      if (limits.networkPhaseTimeoutMs !== undefined && now >= session.startedAt + limits.networkPhaseTimeoutMs) {
        this.expire(session, 'network-phase-timeout', causeForPhase(session.link.phase), now);
        return;
      }
    } else {
      const maxConnectMs = maxConnectOf(session, limits);
      if (maxConnectMs !== undefined && now >= session.upAt + maxConnectMs) {
        this.expire(session, 'session-timeout', GlobalCause.NormalDisconnect, now);
        return;
      }
      const idleMs = idleTimeoutOf(session, limits);
      if (idleMs !== undefined) {
        // Packets we send carry no time (the fast path has no `now`): any sent since the last
        // check count as activity now, so a session is never cut early, at worst one period late.
        if (session.ipTxPackets !== session.idleTxMark) {
          session.idleTxMark = session.ipTxPackets;
          session.lastIpAt = now;
        }
        if (now >= session.lastIpAt + idleMs) {
          this.expire(session, 'idle-timeout', GlobalCause.NormalDisconnect, now);
          return;
        }
      }
    }
    session.deadline = this.nextLimit(session);
  }

  /** The earliest of the session's own deadlines in its current phase. */
  private nextLimit(session: PppSession): Instant | undefined {
    const limits = this.hooks.limits;
    if (limits === undefined) return undefined;
    if (session.upAt === undefined) {
      return limits.networkPhaseTimeoutMs === undefined ? undefined : session.startedAt + limits.networkPhaseTimeoutMs;
    }
    const maxConnectMs = maxConnectOf(session, limits);
    const idleMs = idleTimeoutOf(session, limits);
    const a = maxConnectMs === undefined ? undefined : session.upAt + maxConnectMs;
    const b = idleMs === undefined ? undefined : session.lastIpAt + idleMs;
    return a === undefined ? b : b === undefined || a <= b ? a : b;
  }

  /**
   * A limit is reached: the link is closed with `reason` (the session-down reason) and the call
   * cleared with a CDN, Result Code 3 (administrative) and the RFC 3145 cause, local direction.
   */
  private expire(session: PppSession, reason: string, cause: number, now: Instant): void {
    session.link.close(reason, now);
    this.disconnect(
      session,
      {
        resultCode: CdnResult.Administrative,
        message: reason,
        // RFC 3145 §3.1: no code names an idle or session timeout; "Normal Disconnection, LCP
        // Terminate-Request sent" (3) with the local direction is what it is (as Juniper's LNS sends).
        cause: {
          code: cause,
          protocol: cause <= GlobalCause.NormalDisconnect ? 0 : 0xc021,
          direction: CauseDirection.Local,
          message: reason,
        },
      },
      now,
    );
  }

  /** The session's own limits changed (sessionTimeoutS / idleTimeoutS, e.g. a RADIUS CoA): re-armed. */
  limitsChanged(session: PppSession): void {
    session.deadline = this.nextLimit(session);
    this.arm(session);
  }

  private arm(session: PppSession): void {
    const a = session.link.pollTimeout();
    const b = session.deadline;
    const c = session.sequencer?.deadline;
    this.timers.set(session.key, earliest(earliest(a, b), c));
  }

  private sendFrame(session: PppSession, frame: Uint8Array): void {
    const h = session.handle;
    const opts = h.sequencing
      ? this.nextSequencedOpts(h)
      : this.hooks.dataLengthBit === true
        ? WITH_LENGTH
        : NO_OPTIONS;
    const headerLength = dataHeaderLength(opts);
    const bytes = new Uint8Array(headerLength + frame.length);
    bytes.set(frame, headerLength);
    writeDataHeader(bytes, headerLength, bytes.length, h.peerTunnelId, h.peerSessionId, opts);
    session.counters.txPackets++;
    session.counters.txBytes += frame.length;
    this.totals.txPackets++;
    this.totals.txBytes += frame.length;
    this.transmits.push({ to: h.peer, bytes });
  }

  private drainEndpoint(now: Instant): void {
    for (let e = this.endpoint.pollEvent(); e !== undefined; e = this.endpoint.pollEvent()) {
      switch (e.type) {
        case 'session-up': {
          const handle = this.endpoint.session(e.tunnelId, e.sessionId);
          if (handle === undefined) break;
          const key = sessionKey(e.tunnelId, e.sessionId);
          const link = this.hooks.createLink(handle, e, now);
          const session: PppSession = {
            key,
            handle,
            link,
            startedAt: now,
            counters: { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0 },
            dropped: noSessionDrops(),
            allowedSources: NO_PREFIXES,
            lastIpAt: now,
            ipTxPackets: 0,
            idleTxMark: 0,
            closing: false,
            opened: false,
          };
          session.deadline = this.nextLimit(session);
          // §5.4: the LNS controls sequencing; with `flow bit` it sends Ns from the start.
          if (this.hooks.sendSequenced === true) handle.sequencing = true;
          this.sessions.set(key, session);
          this.hooks.onL2tpEvent(e, now);
          const wait = this.hooks.openOnPeerFrameMs;
          if (wait === undefined) this.open(session, now);
          else this.timers.set(key, now + wait);
          continue;
        }
        case 'session-down':
          this.closeSession(sessionKey(e.tunnelId, e.sessionId), now);
          break;
        case 'tunnel-down':
          // Every other session of the tunnel went with its own session-down: O(these), no scan.
          for (const sid of e.forgottenSessionIds ?? []) this.closeSession(sessionKey(e.tunnelId, sid), now);
          break;
        default:
          break;
      }
      this.hooks.onL2tpEvent(e, now);
    }
  }

  private open(session: PppSession, now: Instant): void {
    session.opened = true;
    session.link.open(now);
    this.drainLink(session, now);
  }

  private closeSession(key: number, now: Instant): void {
    const session = this.sessions.get(key);
    if (session === undefined) return;
    this.sessions.delete(key);
    this.timers.set(key, undefined);
    session.closing = true;
    session.link.lowerDown(now);
    // Frames the link queued on the way down have no session to go to any more.
    while (session.link.pollFrame() !== undefined);
    for (let e = session.link.pollEvent(); e !== undefined; e = session.link.pollEvent()) {
      this.hooks.onPppEvent(session, e, now);
    }
    this.hooks.onSessionClosed(session, now);
  }

  private drainLink(session: PppSession, now: Instant): void {
    const link = session.link;
    let down: Extract<PppEvent, { type: 'link-down' }> | undefined;
    for (let f = link.pollFrame(); f !== undefined; f = link.pollFrame()) this.sendFrame(session, f);
    for (let e = link.pollEvent(); e !== undefined; e = link.pollEvent()) {
      if (e.type === 'link-up') {
        // IPCP renegotiated (RFC 1661 §4.3: a Configure-Request in Opened, e.g. a duplicated
        // datagram) and came back with the same addresses: the session did not change, so it is
        // not announced twice (a second session-up would take a second TUN lease).
        if (
          session.upAt !== undefined &&
          session.localAddress === e.localAddress &&
          session.peerAddress === e.peerAddress
        ) {
          continue;
        }
        session.localAddress = e.localAddress;
        session.peerAddress = e.peerAddress;
        session.ipv4Source = parseIpv4(e.peerAddress);
        session.ipv6PeerId = e.ipv6 === undefined ? undefined : parseInterfaceId(e.ipv6.peerId);
        session.dns = e.dns;
        if (session.upAt === undefined) {
          session.upAt = now;
          session.lastIpAt = now;
          session.deadline = this.nextLimit(session);
        }
        if (e.user !== undefined) session.user = e.user;
      } else if (e.type === 'ipv6-up') {
        session.ipv6PeerId = parseInterfaceId(e.peerId); // IPv6CP opened after IPCP (issue 12 item 5)
      } else if (e.type === 'ipv6-down') {
        session.ipv6PeerId = undefined;
      } else if (e.type === 'auth-succeeded') {
        session.user = e.user;
      } else if (e.type === 'ip') {
        const refused = this.admitFromLink(session, e.packet);
        if (refused !== undefined) this.drop(session, refused);
        else {
          session.lastIpAt = now;
          this.ipOut.push({ session, packet: e.packet });
        }
        continue;
      } else if (e.type === 'link-down') {
        down = e;
      }
      this.hooks.onPppEvent(session, e, now);
    }
    // Frames queued by the hooks (e.g. a terminate) go out in the same flush.
    for (let f = link.pollFrame(); f !== undefined; f = link.pollFrame()) this.sendFrame(session, f);
    if (this.sessions.has(session.key)) this.arm(session);
    // PPP is finished: the call goes too (CDN), carrying the RFC 3145 cause. Done after the loop,
    // so that the session-down this causes never re-enters the link's event loop.
    if (down !== undefined && !session.closing) {
      this.disconnect(session, cdnReasonFor(down), now);
    }
  }
}

/** The earlier of two optional instants. */
function earliest(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  return a === undefined ? b : b === undefined || a <= b ? a : b;
}

/**
 * RFC 2661 §5.4, LAC: a data message from the LNS with sequence numbers → we "MUST begin" sending
 * them; without → we "MUST stop", unless Sequencing Required was exchanged (then always).
 */
function followPeer(session: PppSession, peerSequenced: boolean): void {
  const h = session.handle;
  if (!h.sequencingRequired) h.sequencing = peerSequenced;
}

/** RFC 3145 cause for a session that never reached the Network phase, by the phase it was stuck in. */
function causeForPhase(phase: string): number {
  if (phase === 'authenticate') return LinkDownCause.AuthTimeout;
  if (phase === 'network') return LinkDownCause.NcpTimeout;
  return LinkDownCause.LcpTimeout;
}

/**
 * The CDN for a PPP link that went down: Result Code 3 (administrative, as l2tpns sends) with the
 * RFC 3145 PPP Disconnect Cause saying why, which LAC and LNS logs can show.
 */
export function cdnReasonFor(down: Extract<PppEvent, { type: 'link-down' }>): DisconnectReason {
  return {
    resultCode: 3,
    message: down.reason,
    cause: { code: down.cause, protocol: 0xc021, direction: down.direction, message: down.reason },
  };
}

/** The session's maxconnect: its own (RADIUS Session-Timeout, RFC 2865 §5.27) over the owner's. */
function maxConnectOf(session: PppSession, limits: SessionLimits): number | undefined {
  const s = session.sessionTimeoutS;
  return s !== undefined && s > 0 ? s * 1000 : limits.maxConnectMs;
}

/** The session's idle limit: its own (RADIUS Idle-Timeout, RFC 2865 §5.28) over the owner's. */
function idleTimeoutOf(session: PppSession, limits: SessionLimits): number | undefined {
  const s = session.idleTimeoutS;
  return s !== undefined && s > 0 ? s * 1000 : limits.idleTimeoutMs;
}
