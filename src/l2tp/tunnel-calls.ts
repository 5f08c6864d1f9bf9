// The calls of one tunnel: admission of a peer's call request (§7.4/§7.5 direction, limits),
// routing session messages by Session ID, CDNs for faulty requests (§4.1), and the coupling
// "tunnel down → every session down, no CDN" (§5.7). Related: tunnel.ts (owns one), session.ts.
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
}

/** The sessions of one tunnel, keyed by our Session ID. */
export class TunnelCalls {
  /** Live sessions (a closed session is forgotten at once and reported to the host). */
  readonly sessions = new Map<number, Session>();
  private callSerial = 0;

  constructor(
    private readonly tunnel: SessionHost,
    private readonly host: CallsHost,
    private readonly maxSessions: number,
  ) {}

  /** Starts a local call with `sessionId` (LAC → ICRQ, LNS → OCRQ). */
  start(sessionId: number, now: Instant): Session {
    const s = new Session(this.tunnel, sessionId);
    this.sessions.set(sessionId, s);
    this.callSerial = (this.callSerial + 1) >>> 0;
    s.open(this.callSerial, now);
    this.reap(s);
    return s;
  }

  /** Local CDN for one session (no-op when unknown). */
  disconnect(sessionId: number, reason: DisconnectReason, now: Instant): void {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return;
    s.close(reason, now);
    this.reap(s);
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
      const sid = this.sessions.size < this.maxSessions ? this.host.allocateSessionId() : undefined;
      if (sid === undefined) {
        this.host.refuse(peerSid, CdnReason.SessionLimit, now);
        return;
      }
      const s = new Session(this.tunnel, sid);
      this.sessions.set(sid, s);
      s.handleMessage(msg, now);
      this.reap(s);
      return;
    }
    const s = this.sessions.get(sessionId);
    if (s === undefined) return; // unknown or already closed session: the ZLB ack is enough
    s.handleMessage(msg, now);
    this.reap(s);
  }

  /** A session-scope decode fault on an established tunnel: that session's CDN, or a refusal CDN (§4.1). */
  fault(fault: Fault, sessionId: number, body: Uint8Array, secret: Uint8Array | undefined, now: Instant): void {
    const s = this.sessions.get(sessionId);
    if (s !== undefined) {
      s.handleFault(fault, now);
      this.reap(s);
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
      this.reap(s);
    }
  }

  /** After an internal error: every session is dropped without an event (the host is told). */
  forget(): void {
    for (const sid of [...this.sessions.keys()]) {
      this.sessions.delete(sid);
      this.host.sessionClosed(sid);
    }
  }

  private reap(s: Session): void {
    if (!s.isClosed) return;
    this.sessions.delete(s.sessionId);
    this.host.sessionClosed(s.sessionId);
  }
}
