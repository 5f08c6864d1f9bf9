// The calls of one tunnel: admission of a peer's call request (§7.4/§7.5 direction, limits),
// routing session messages by Session ID, CDNs for faulty requests (§4.1), and the coupling
// "tunnel down → every session down, no CDN" (§5.7). Related: tunnel.ts (owns one), session.ts.
//
// Bounded setup (issue 9 Deliver 3). Every call not yet connected sits in `setup`, in the order it
// began; the setup timeout is one constant, so that order is deadline order and the earliest
// deadline is the first entry (O(1) per call, no scan). A call still in setup at its deadline is
// cleared with CDN 2/0 (the 'setup-timeout' row). Calls the peer asked for count against a cap
// per tunnel and (through the host) per peer address; beyond either: CDN 2/4, no state kept. The
// endpoint-wide session limit (the node's capacity) answers CDN 2/7 "try another".
import type { Instant } from '../core/time.js';
import { scanU16 } from './avp-scan.js';
import { CdnReason } from './reasons.js';
import { Session, type SessionHost } from './session.js';
import type { DisconnectReason } from './types.js';
import { AvpType } from './wire/avp-catalogue.js';
import { avpU16, type ControlMessage, type Fault } from './wire/message.js';
import { MessageType } from './wire/message-catalogue.js';
import { CdnResult, faultReason } from './wire/result-codes.js';

/** What the calls need from their tunnel besides being the sessions' host. */
export interface CallsHost {
  /** A free local Session ID, or undefined when the endpoint-wide limit is reached. */
  allocateSessionId(): number | undefined;
  /** A session was forgotten. */
  sessionClosed(sessionId: number): void;
  /** Sends a CDN for a call we hold no session for (its header carries the peer's Session ID). */
  refuse(peerSessionId: number, reason: DisconnectReason, now: Instant): void;
  /** May the peer's address start one more call in setup? Counted when true. */
  admitCallSetup(): boolean;
  /** A call admitted by admitCallSetup left setup. */
  callSetupEnded(): void;
}

/** The bounds of one tunnel's calls. */
export interface CallLimits {
  /** Sessions held at once (§4.4.2 CDN 4/4 beyond). */
  readonly maxSessions: number;
  /** Calls the peer asked for still in setup (CDN 2/4 beyond). */
  readonly maxInSetup: number;
  /** A call still in setup this long after it began is cleared. */
  readonly setupTimeoutMs: number;
}

/** One call in setup: when it must be connected, and whether the peer asked for it (it counts against the caps). */
interface SetupEntry {
  readonly deadline: Instant;
  readonly byPeer: boolean;
}

/** The sessions of one tunnel, keyed by our Session ID. */
export class TunnelCalls {
  /** Live sessions (a closed session is forgotten at once and reported to the host). */
  readonly sessions = new Map<number, Session>();
  /** Calls not connected yet, oldest first (= earliest deadline first). */
  private readonly setup = new Map<Session, SetupEntry>();
  /** Entries of `setup` with byPeer set. */
  private peerSetups = 0;
  private callSerial = 0;

  constructor(
    private readonly tunnel: SessionHost,
    private readonly host: CallsHost,
    private readonly limits: CallLimits,
  ) {}

  /** Calls in setup (either side's). */
  get inSetup(): number {
    return this.setup.size;
  }

  /** The deadline of the oldest call in setup. */
  nextSetupDeadline(): Instant | undefined {
    for (const e of this.setup.values()) return e.deadline;
    return undefined;
  }

  /** Clears every call whose setup deadline has come (CDN 2/0, the 'setup-timeout' row). */
  expireSetups(now: Instant): void {
    for (const [s, e] of this.setup) {
      if (e.deadline > now) return;
      s.fire('setup-timeout', now, { reason: CdnReason.SetupTimeout });
      this.settle(s);
      // A call the table did not clear (it cannot: every setup state has the row) must not loop.
      if (this.setup.get(s) === e) this.leaveSetup(s, e);
    }
  }

  /** Starts a local call with `sessionId` (LAC → ICRQ, LNS → OCRQ). */
  start(sessionId: number, now: Instant): Session {
    const s = new Session(this.tunnel, sessionId);
    this.sessions.set(sessionId, s);
    this.callSerial = (this.callSerial + 1) >>> 0;
    this.setup.set(s, { deadline: now + this.limits.setupTimeoutMs, byPeer: false });
    s.open(this.callSerial, now);
    this.settle(s);
    return s;
  }

  /** Local CDN for one session (no-op when unknown). */
  disconnect(sessionId: number, reason: DisconnectReason, now: Instant): void {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return;
    s.close(reason, now);
    this.settle(s);
  }

  /** A decoded session-scope message: a call request makes a Session (if acceptable), the rest go to theirs. */
  route(msg: ControlMessage, sessionId: number, now: Instant): void {
    if (msg.type === MessageType.ICRQ || msg.type === MessageType.OCRQ) {
      const peerSid = avpU16(msg, AvpType.AssignedSessionId) ?? 0;
      // §7.4/§7.5: ICRQ goes LAC→LNS, OCRQ LNS→LAC; the other direction is not acceptable.
      const wanted = msg.type === MessageType.ICRQ ? 'lns' : 'lac';
      if (this.tunnel.role !== wanted) {
        this.host.refuse(peerSid, CdnReason.WrongDirection, now);
        return;
      }
      // §4.4.3: Session ID 0 is reserved (it means "no session" in a header): refuse, keep nothing.
      if (peerSid === 0) {
        this.host.refuse(peerSid, CdnReason.ZeroSessionId, now);
        return;
      }
      const refusal = this.judgeCapacity();
      if (refusal !== undefined) {
        this.host.refuse(peerSid, refusal, now);
        return;
      }
      const sid = this.host.allocateSessionId();
      if (sid === undefined) {
        this.host.callSetupEnded();
        this.host.refuse(peerSid, CdnReason.AtCapacity, now);
        return;
      }
      const s = new Session(this.tunnel, sid);
      this.sessions.set(sid, s);
      this.setup.set(s, { deadline: now + this.limits.setupTimeoutMs, byPeer: true });
      this.peerSetups++;
      s.handleMessage(msg, now);
      this.settle(s);
      return;
    }
    const s = this.sessions.get(sessionId);
    if (s === undefined) return; // unknown or already closed session: the ZLB ack is enough
    s.handleMessage(msg, now);
    this.settle(s);
  }

  /** Room for one more peer call: sessions, calls in setup here, then (counted if admitted) at the peer's address. */
  private judgeCapacity(): DisconnectReason | undefined {
    if (this.sessions.size >= this.limits.maxSessions) return CdnReason.SessionLimit;
    if (this.peerSetups >= this.limits.maxInSetup) return CdnReason.CallsInSetupPerTunnel;
    if (!this.host.admitCallSetup()) return CdnReason.CallsInSetupPerPeer;
    return undefined;
  }

  /** A session-scope decode fault on an established tunnel: that session's CDN, or a refusal CDN (§4.1). */
  fault(fault: Fault, sessionId: number, body: Uint8Array, secret: Uint8Array | undefined, now: Instant): void {
    const s = this.sessions.get(sessionId);
    if (s !== undefined) {
      s.handleFault(fault, now);
      this.settle(s);
      return;
    }
    // A faulty call request (no session yet): answer with a CDN naming the peer's Session ID.
    const peerSid = scanU16(body, AvpType.AssignedSessionId, secret);
    if (peerSid !== undefined) this.host.refuse(peerSid, faultReason(fault), now);
  }

  /** §5.7: the tunnel went down; every session goes without a CDN (Result 1, the tunnel's message). */
  tunnelDown(r: DisconnectReason, initiator: 'local' | 'peer', now: Instant): void {
    for (const s of [...this.sessions.values()]) {
      s.tunnelDown(
        { resultCode: CdnResult.LostCarrier, ...(r.message !== undefined ? { message: r.message } : {}) },
        initiator,
        now,
      );
      this.settle(s);
    }
  }

  /** After an internal error: every session is dropped without an event (the host is told); returns their IDs. */
  forget(): number[] {
    for (const [s, e] of [...this.setup]) this.leaveSetup(s, e);
    const ids = [...this.sessions.keys()];
    for (const sid of ids) {
      this.sessions.delete(sid);
      this.host.sessionClosed(sid);
    }
    return ids;
  }

  /** After a step of `s`: out of setup once connected or closed; forgotten once closed. */
  private settle(s: Session): void {
    if (!s.inSetup) {
      const e = this.setup.get(s);
      if (e !== undefined) this.leaveSetup(s, e);
    }
    if (!s.isClosed) return;
    this.sessions.delete(s.sessionId);
    this.host.sessionClosed(s.sessionId);
  }

  private leaveSetup(s: Session, e: SetupEntry): void {
    this.setup.delete(s);
    if (!e.byPeer) return;
    this.peerSetups--;
    this.host.callSetupEnded();
  }
}
