// Which datagrams belong to a `ctl capture` of one session or of one user's sessions: the
// selection logic of session-captures.ts, without files or timers. A received datagram names a
// session by our Tunnel and Session ID, a sent one by the peer's (RFC 2661 §3.1); tunnel-level
// messages (Session ID 0: SCCRQ…StopCCN, HELLO, ZLB acks) belong to no session and are left out.
// Related: session-captures.ts (files, bounds, timers), create-lns.ts (the tap), pcap-writer.ts.
import type { PeerAddress } from '../core/engine.js';
import { scanU16 } from '../l2tp/avp-scan.js';
import type { SessionHandle } from '../l2tp/types.js';
import { AvpType } from '../l2tp/wire/avp-catalogue.js';
import { L2tpHeaderView } from '../l2tp/wire/header.js';
import { MessageType } from '../l2tp/wire/message-catalogue.js';
import type { LnsEvent } from '../lns/lns.js';
import { sessionKey } from '../session/session-key.js';

/** Where a capture's records go (a PcapWriter). */
export interface CaptureSink {
  write(src: PeerAddress, dst: PeerAddress, bytes: Uint8Array, atMs?: number): void;
}

/** A session that exists (for a session capture, or a user's sessions at the start of a user capture). */
export interface CaptureSessionRow {
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly user?: string;
}

/**
 * Sessions held in memory while their user is not known yet (the call is up, authentication is
 * not over) and a user capture runs. Their datagrams are kept until the session-up or
 * auth-failed event names the user: then written to that user's captures, or dropped. 64 calls
 * in setup at once is far more than a capture of one user needs; beyond it the oldest pending
 * session is forgotten (if it is the user's, it is captured from its session-up on).
 */
export const MAX_PENDING_SESSIONS = 64;
/**
 * Octets kept per pending session: LCP, authentication and IPCP are some 20-40 datagrams of
 * under 200 octets. 32 KiB × 64 sessions bounds the whole at 2 MiB; what comes beyond it before
 * the user is known is counted in `pendingOmitted`, not kept.
 */
export const MAX_PENDING_BYTES = 32 * 1024;

interface PendingRecord {
  readonly src: PeerAddress;
  readonly dst: PeerAddress;
  readonly bytes: Uint8Array;
  readonly at: number;
}

interface Tracked {
  readonly key: number;
  readonly peerKey: number;
  readonly handle: SessionHandle;
  readonly sinks: Set<CaptureSink>;
  /** While the user is unknown: the datagrams so far (copies). */
  pending: PendingRecord[] | undefined;
  pendingBytes: number;
}

/** Decides, per datagram, which captures it goes to. O(1) per datagram; nothing runs when no capture is registered. */
export class CaptureSelector {
  /** Datagrams of pending sessions not kept (MAX_PENDING_BYTES reached). */
  pendingOmitted = 0;
  private readonly view = new L2tpHeaderView();
  private readonly byKey = new Map<number, Tracked>();
  /** By the peer's (Tunnel ID, Session ID): what our sent datagrams carry. Several peers may use the same pair. */
  private readonly byPeerKey = new Map<number, Tracked[]>();
  private readonly users = new Map<string, Set<CaptureSink>>();
  /** Pending sessions, oldest first. */
  private readonly pendingOrder = new Set<Tracked>();

  /**
   * @param local our address and port, as written into the records (its port may be set after bind)
   * @param lookup the session of our (Tunnel ID, Session ID), O(1) (Endpoint.session)
   * @param clock wall-clock ms, for the records kept while pending
   */
  constructor(
    private readonly local: PeerAddress,
    private readonly lookup: (tunnelId: number, sessionId: number) => SessionHandle | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Sessions followed (matched or pending); bounded by the captured users' sessions + MAX_PENDING_SESSIONS. */
  get tracked(): number {
    return this.byKey.size;
  }

  /** Sessions whose user is not known yet. */
  get pendingSessions(): number {
    return this.pendingOrder.size;
  }

  /** Captures one session from now on; false when there is no such session. */
  addSession(sink: CaptureSink, tunnelId: number, sessionId: number): boolean {
    const handle = this.lookup(tunnelId, sessionId);
    if (handle === undefined) return false;
    this.track(handle).sinks.add(sink);
    return true;
  }

  /**
   * Captures `user`'s sessions: those of `existing` that are the user's from now on, those whose
   * user is not known yet from now on if they turn out to be the user's, and new calls from their
   * ICCN on (ICRQ and ICRP name no session this side can attribute yet).
   */
  addUser(sink: CaptureSink, user: string, existing: Iterable<CaptureSessionRow>): void {
    let sinks = this.users.get(user);
    if (sinks === undefined) {
      sinks = new Set();
      this.users.set(user, sinks);
    }
    sinks.add(sink);
    for (const row of existing) {
      if (row.user !== undefined && row.user !== user) continue;
      const handle = this.lookup(row.tunnelId, row.sessionId);
      if (handle === undefined) continue;
      if (row.user === user) this.track(handle).sinks.add(sink);
      else if (!this.byKey.has(sessionKey(handle.tunnelId, handle.sessionId))) this.trackPending(handle);
    }
  }

  /** Forgets a capture (ended or stopped); sessions no capture needs any more are forgotten too. */
  remove(sink: CaptureSink): void {
    for (const [user, sinks] of this.users) {
      sinks.delete(sink);
      if (sinks.size === 0) this.users.delete(user);
    }
    const noUsers = this.users.size === 0;
    for (const t of [...this.byKey.values()]) {
      t.sinks.delete(sink);
      if (noUsers && t.pending !== undefined) this.endPending(t);
      if (t.sinks.size === 0 && t.pending === undefined) this.untrack(t);
    }
  }

  /** One datagram ('in': from `peer`; 'out': to `peer`); `bytes` is only read during the call. */
  onDatagram(bytes: Uint8Array, peer: PeerAddress, direction: 'in' | 'out'): void {
    const v = this.view;
    if (v.wrap(bytes) !== undefined) return;
    const sid = v.sessionId;
    if (sid === 0) return;
    if (direction === 'in') {
      let t = this.byKey.get(sessionKey(v.tunnelId, sid));
      if (t === undefined) {
        // A new call of someone: followed from its ICCN while a user capture runs.
        if (this.users.size === 0 || !v.isControl) return;
        if (scanU16(v.body, AvpType.MessageType) !== MessageType.ICCN) return;
        const handle = this.lookup(v.tunnelId, sid);
        if (handle === undefined) return;
        t = this.trackPending(handle);
      }
      this.record(t, peer, this.local, bytes);
      return;
    }
    const list = this.byPeerKey.get(sessionKey(v.tunnelId, sid));
    if (list === undefined) return;
    for (const t of list) {
      const p = t.handle.peer;
      if (p.address === peer.address && p.port === peer.port) this.record(t, this.local, peer, bytes);
    }
  }

  /** The events that name a session's user or end it. */
  onEvent(e: LnsEvent): void {
    switch (e.type) {
      case 'session-up':
      case 'auth-failed':
        this.userKnown(e.tunnelId, e.sessionId, e.user);
        return;
      case 'session-down': {
        const t = this.byKey.get(sessionKey(e.tunnelId, e.sessionId));
        if (t !== undefined) this.untrack(t);
        return;
      }
      default:
        return;
    }
  }

  private userKnown(tunnelId: number, sessionId: number, user: string | undefined): void {
    const sinks = user === undefined ? undefined : this.users.get(user);
    let t = this.byKey.get(sessionKey(tunnelId, sessionId));
    if (t === undefined) {
      if (sinks === undefined) return;
      // Not seen from its ICCN (pending sessions were full): from its session-up on.
      const handle = this.lookup(tunnelId, sessionId);
      if (handle === undefined) return;
      t = this.track(handle);
    }
    const kept = t.pending;
    if (kept !== undefined) this.endPending(t);
    if (sinks !== undefined) {
      for (const sink of sinks) {
        if (t.sinks.has(sink)) continue;
        t.sinks.add(sink);
        for (const r of kept ?? []) sink.write(r.src, r.dst, r.bytes, r.at);
      }
    }
    if (t.sinks.size === 0) this.untrack(t);
  }

  private record(t: Tracked, src: PeerAddress, dst: PeerAddress, bytes: Uint8Array): void {
    for (const sink of t.sinks) sink.write(src, dst, bytes);
    const kept = t.pending;
    if (kept === undefined) return;
    if (t.pendingBytes + bytes.length > MAX_PENDING_BYTES) {
      this.pendingOmitted++;
      return;
    }
    t.pendingBytes += bytes.length;
    // A copy: the batched transport reuses its receive slots.
    kept.push({
      src: { address: src.address, port: src.port },
      dst: { ...dst },
      bytes: bytes.slice(),
      at: this.clock(),
    });
  }

  private track(handle: SessionHandle): Tracked {
    const key = sessionKey(handle.tunnelId, handle.sessionId);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const t: Tracked = {
      key,
      peerKey: sessionKey(handle.peerTunnelId, handle.peerSessionId),
      handle,
      sinks: new Set(),
      pending: undefined,
      pendingBytes: 0,
    };
    this.byKey.set(key, t);
    const list = this.byPeerKey.get(t.peerKey);
    if (list === undefined) this.byPeerKey.set(t.peerKey, [t]);
    else list.push(t);
    return t;
  }

  private trackPending(handle: SessionHandle): Tracked {
    if (this.pendingOrder.size >= MAX_PENDING_SESSIONS) {
      const oldest = this.pendingOrder.values().next().value as Tracked;
      this.endPending(oldest);
      if (oldest.sinks.size === 0) this.untrack(oldest);
    }
    const t = this.track(handle);
    if (t.pending === undefined) {
      t.pending = [];
      this.pendingOrder.add(t);
    }
    return t;
  }

  private endPending(t: Tracked): void {
    t.pending = undefined;
    t.pendingBytes = 0;
    this.pendingOrder.delete(t);
  }

  private untrack(t: Tracked): void {
    this.endPending(t);
    this.byKey.delete(t.key);
    const list = this.byPeerKey.get(t.peerKey);
    if (list === undefined) return;
    const rest = list.filter((x) => x !== t);
    if (rest.length === 0) this.byPeerKey.delete(t.peerKey);
    else this.byPeerKey.set(t.peerKey, rest);
  }
}
