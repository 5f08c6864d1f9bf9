// The reliable control channel of one tunnel: RFC 2661 §5.8 (Ns/Nr, window, retransmission,
// ZLB), §5.5/§6.5 (HELLO keepalive), §5.7 (post-close linger), Appendix A (slow start).
// Related: tunnel.ts (owns one), wire/header.ts (the 12-octet header it writes).
//
// Theory of operation. Sans-IO: `send()` queues a message body (the AVPs), `handleMessage()` takes
// the Ns/Nr/Session ID of a received control message and what to deliver for it (the tunnel hands
// in the message it already decoded; undefined = ZLB), `handleTimeout()` runs the timers.
// Out come datagrams (`pollDatagram`) and messages to deliver in order, at most once
// (`pollDelivered`). The channel never decodes AVPs except the one HELLO body it writes itself.
//  - Ns of our next new message starts at 0 and grows by one per non-ZLB message (§5.8).
//  - Nr is the next Ns we expect; every transmission (first or retransmitted) carries the
//    current Nr ("the Nr value MUST be updated", §5.8).
//  - A message ahead of Nr but inside our advertised window waits in a reorder buffer; one
//    behind Nr is a duplicate: never delivered again, answered with exactly one ZLB (§5.8, B.2).
//  - An owed ack waits `ackDelayMs` for a message to piggyback on, then goes as a ZLB. A ZLB
//    consumes no Ns and is never acknowledged. When the peer has as many unacknowledged messages
//    with us as our window allows, it is blocked: the ack is due at once (the deadline is `now`, so
//    a reply queued in the same turn still carries it), never after the delay (issue 10 item 1).
//  - Bounded memory: replies the peer caused (sent while `peerTurn` is set: the tunnel sets it while
//    it handles a received message) may wait for window space up to `maxPending`; one more sets
//    `overflowed` and is dropped (the tunnel answers StopCCN 2/4 and goes down). Messages we
//    originate (a CDN per expired call, HELLO) are bounded by our own state and never overflow, so
//    a burst of our own never kills a tunnel. The peer's advertised window is honoured up to
//    MAX_PEER_WINDOW, so unacked messages are bounded too.
//  - One retransmission timer times the oldest unacknowledged message: 1 s doubling to an 8 s
//    cap; after `maxRetries` retransmissions without progress the channel fails (§5.8: "the
//    tunnel and all sessions within MUST be cleared").
//  - Appendix A: CWND starts at 1, SSTHRESH at the peer's window; +1 per ack below SSTHRESH,
//    +1/CWND above; a retransmission halves SSTHRESH and drops CWND to 1.
//  - HELLO is queued after `helloIntervalMs` with nothing received (control or data: the tunnel
//    forwards data arrivals with `noteReceived`).
//  - `linger()` (StopCCN sent or received, §5.7): state is kept, duplicates are re-acked and our
//    own StopCCN retransmitted for one full retransmission cycle, then the state is 'done'.

import { Fifo } from '../core/fifo.js';
import { serialDiff, serialNext } from '../core/serial.js';
import type { Instant } from '../core/time.js';
import { TimerTable } from '../core/timer-table.js';
import { CONTROL_HEADER_LENGTH, writeControlHeader } from './wire/header.js';

/** Tunables of one control channel; defaults are the RFC's recommendations. */
export interface ControlChannelOptions {
  /** Our Receive Window Size (what we advertise): bounds the reorder buffer. Default 16 (DEFAULT_RECEIVE_WINDOW). */
  readonly receiveWindow?: number;
  /** Messages allowed to wait for window space (beyond them: `overflowed`). Default 128 (DEFAULT_MAX_PENDING). */
  readonly maxPending?: number;
  /** First retransmission timeout (§5.8: "a recommended default is 1 second"). */
  readonly initialMs?: number;
  /** Cap on the doubled timeout (§5.8: if present, "no less than 8 seconds"). */
  readonly capMs?: number;
  /** Retransmissions before giving up (§5.8: "a recommended default is 5"). */
  readonly maxRetries?: number;
  /** Idle time before a HELLO (§6.5: "a recommended default is 60 seconds"); 0 disables. */
  readonly helloIntervalMs?: number;
  /** How long an owed ack waits for a message to piggyback on before a ZLB goes out. */
  readonly ackDelayMs?: number;
  /** Counters shared by every channel of an Endpoint (one object, so reading them is O(1)). */
  readonly stats?: ControlStats;
}

/** Aggregate counters of many channels. */
export interface ControlStats {
  /** Messages sent again after a retransmission timeout (§5.8). */
  retransmissions: number;
}

/** Lifecycle of a channel: open, lingering after StopCCN, failed (retries exhausted), done. */
export type ChannelState = 'open' | 'lingering' | 'failed' | 'done';

/** A message delivered in order, exactly once. */
export interface DeliveredMessage<Body> {
  readonly ns: number;
  readonly sessionId: number;
  /** What handleMessage was given for it (ZLBs are not delivered). */
  readonly body: Body;
}

interface Outgoing {
  readonly ns: number;
  readonly sessionId: number;
  readonly body: Uint8Array;
  /** Queued during a peer turn: counted in `repliesPending`. */
  readonly reply: boolean;
}

type Timer = 'retransmit' | 'ack' | 'hello' | 'linger';

/** HELLO (§6.5): only the Message Type AVP, M=1, Length 8, type 0, value 6. */
const HELLO_BODY = new Uint8Array([0x80, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06]);

/**
 * The Receive Window Size we advertise unless configured (xl2tpd.conf `tunnel rws`). RFC 2661 §5.8
 * lets any size be offered; 16 is accel-ppp's default and lets a peer keep 16 call setups in flight
 * without waiting for our ack (issue 10 item 1: with 4 one tunnel acknowledged ~40 messages/s).
 */
export const DEFAULT_RECEIVE_WINDOW = 16;

/** §4.4.3: a peer that sends no Receive Window Size AVP has a window of 4. */
export const RFC_DEFAULT_PEER_WINDOW = 4;

/**
 * Replies the peer caused that may wait for window space before the tunnel is torn down. A peer
 * that never acks while asking for more (ICRQ after ICRQ) would otherwise make the queue grow
 * without bound (issue 9 Deliver 3). 128 is eight full default windows, far beyond what a live peer
 * needs, and keeps one address's worst case near 34 MiB (docs/CONFORMANCE.md "Bounds").
 */
export const DEFAULT_MAX_PENDING = 128;

/**
 * The largest peer window we honour (RWS is 16 bits). Each unacked message is kept for
 * retransmission, so a peer advertising 65 535 and then never acking could make us hold that many;
 * 64 in flight per round trip is four times the default window and bounds the worst case per
 * tunnel at 64 unacked + DEFAULT_MAX_PENDING queued replies (docs/CONFORMANCE.md "Bounds").
 */
export const MAX_PEER_WINDOW = 64;

/** Sum of the retransmission intervals before giving up: 31 s with the defaults (§5.7). */
export function fullRetransmissionCycleMs(initialMs = 1000, capMs = 8000, maxRetries = 5): number {
  let total = 0;
  for (let i = 0; i <= maxRetries; i++) total += Math.min(initialMs * 2 ** i, capMs);
  return total;
}

/** §5.8 reliable delivery for one tunnel, sans-IO; `Body` is what a received message is delivered as. */
export class ControlChannel<Body = Uint8Array> {
  /** The peer's Tunnel ID, written into every header (0 until the peer assigns one). */
  peerTunnelId = 0;
  /** Messages that were out of window, badly acked or otherwise discarded (diagnostics). */
  discarded = 0;
  /** Duplicates received (each answered by one ZLB). */
  duplicates = 0;
  /** True once a reply was refused because `maxPending` replies already waited (the tunnel must go). */
  overflowed = false;
  /** Set by the owner while it handles a received message: what it sends then counts against maxPending. */
  peerTurn = false;

  private readonly receiveWindow: number;
  private readonly initialMs: number;
  private readonly capMs: number;
  private readonly maxRetries: number;
  private readonly helloIntervalMs: number;
  private readonly ackDelayMs: number;
  private readonly maxPending: number;
  private readonly stats: ControlStats | undefined;
  private peerWindow = RFC_DEFAULT_PEER_WINDOW;
  private cwnd = 1;
  private ssthresh = RFC_DEFAULT_PEER_WINDOW;

  private nextNs = 0;
  private nextNr = 0;
  /** The Nr our last transmission carried: an ack is owed while it differs from nextNr. */
  private lastSentNr = 0;
  private readonly unacked = new Fifo<Outgoing>();
  private readonly pending = new Fifo<Outgoing>();
  private readonly reorder = new Map<number, DeliveredMessage<Body>>();
  private readonly delivered = new Fifo<DeliveredMessage<Body>>();
  private readonly datagrams = new Fifo<Uint8Array>();
  private readonly timers = new TimerTable<Timer>();
  private retries = 0;
  private status: ChannelState = 'open';
  /** Entries of `pending` queued during a peer turn. */
  private repliesPending = 0;

  constructor(opts: ControlChannelOptions = {}, now: Instant = 0) {
    this.receiveWindow = Math.max(1, opts.receiveWindow ?? DEFAULT_RECEIVE_WINDOW);
    this.maxPending = Math.max(1, opts.maxPending ?? DEFAULT_MAX_PENDING);
    this.initialMs = opts.initialMs ?? 1000;
    this.capMs = Math.max(this.initialMs, opts.capMs ?? 8000);
    this.maxRetries = opts.maxRetries ?? 5;
    this.helloIntervalMs = opts.helloIntervalMs ?? 60_000;
    this.ackDelayMs = opts.ackDelayMs ?? 100;
    this.stats = opts.stats;
    this.armHello(now);
  }

  /** Where the channel is in its life; 'failed' and 'done' are final. */
  get state(): ChannelState {
    return this.status;
  }

  /** Ns of the next new message we send. */
  get sendNs(): number {
    return this.nextNs;
  }

  /** Nr: the next Ns we expect from the peer. */
  get receiveNr(): number {
    return this.nextNr;
  }

  /** Congestion window (Appendix A), for tests and diagnostics. */
  get congestionWindow(): number {
    return this.cwnd;
  }

  /** Messages sent and not yet acknowledged. */
  get outstanding(): number {
    return this.unacked.length;
  }

  /** Messages waiting for window space. */
  get queued(): number {
    return this.pending.length;
  }

  /** Of those, replies the peer caused (bounded by maxPending). */
  get repliesQueued(): number {
    return this.repliesPending;
  }

  /** True when nothing is outstanding, queued or owed. */
  get isIdle(): boolean {
    return this.unacked.length === 0 && this.pending.length === 0 && this.lastSentNr === this.nextNr;
  }

  /**
   * §4.4.3/§5.8: the peer's Receive Window Size (default 4; 0 is invalid: the tunnel refuses it
   * before this is called, and it is ignored here). Honoured up to MAX_PEER_WINDOW.
   */
  setPeerWindow(size: number): void {
    if (!Number.isInteger(size) || size < 1) return;
    const w = Math.min(size, MAX_PEER_WINDOW);
    this.peerWindow = w;
    this.ssthresh = w;
    this.cwnd = Math.min(this.cwnd, w);
  }

  /**
   * Queues a non-ZLB message (its AVPs); it takes the next Ns and is delivered reliably. Returns
   * its Ns, or -1 when `maxPending` messages already wait (then `overflowed` is set, nothing queued).
   */
  send(sessionId: number, body: Uint8Array, now: Instant): number {
    const reply = this.peerTurn;
    if (reply && this.repliesPending >= this.maxPending) {
      this.overflowed = true;
      return -1;
    }
    const ns = this.nextNs;
    this.nextNs = serialNext(ns);
    this.pending.push({ ns, sessionId, body, reply });
    if (reply) this.repliesPending++;
    this.fillWindow(now);
    return ns;
  }

  /**
   * §5.8: a ZLB carries the Ns of the next message the peer will see. Messages waiting for window
   * space already hold their Ns, so that is the first of them, not nextNs (l2tpns drops a ZLB whose
   * Ns runs ahead: "Out of sequence").
   */
  private zlbNs(): number {
    return this.pending.peek()?.ns ?? this.nextNs;
  }

  /** Feeds one received control message: its header fields and what to deliver (undefined = ZLB). */
  handleMessage(ns: number, nr: number, sessionId: number, body: Body | undefined, now: Instant): void {
    if (this.status === 'failed' || this.status === 'done') return;
    // RFC 3931 §4.2: an Nr beyond what we have sent makes the message invalid.
    if (serialDiff(nr, this.nextNs) > 0) {
      this.discarded++;
      return;
    }
    this.armHello(now);
    this.acknowledge(nr, now);
    if (body === undefined) return; // §5.8: a ZLB is only an ack; it is never delivered or acked.
    const d = serialDiff(ns, this.nextNr);
    if (d < 0) {
      // §5.8: "the duplicate ... MUST be acknowledged" (B.2: discard and send a ZLB).
      this.duplicates++;
      this.datagrams.push(this.header(this.zlbNs(), 0, new Uint8Array(0)));
      this.lastSentNr = this.nextNr;
      return;
    }
    if (d >= this.receiveWindow) {
      this.discarded++; // beyond our window: the peer broke it; it will retransmit.
      return;
    }
    if (d > 0) {
      if (!this.reorder.has(ns)) this.reorder.set(ns, { ns, sessionId, body });
      return;
    }
    this.delivered.push({ ns, sessionId, body });
    this.nextNr = serialNext(this.nextNr);
    for (let next = this.reorder.get(this.nextNr); next !== undefined; next = this.reorder.get(this.nextNr)) {
      this.reorder.delete(this.nextNr);
      this.delivered.push(next);
      this.nextNr = serialNext(this.nextNr);
    }
    // The peer may have at most our window outstanding: once it has, it is blocked until we ack,
    // so the ack is due now (a reply queued in this same turn still piggybacks it).
    if (serialDiff(this.nextNr, this.lastSentNr) >= this.receiveWindow) this.timers.set('ack', now);
    else if (this.timers.get('ack') === undefined) this.timers.set('ack', now + this.ackDelayMs);
  }

  /** §5.5: a data message arrived; the channel is not idle. */
  noteReceived(now: Instant): void {
    if (this.status === 'open') this.armHello(now);
  }

  /** §5.7: StopCCN sent or received: keep acking and retransmitting for one full cycle, then 'done'. */
  linger(now: Instant): void {
    if (this.status !== 'open') return;
    this.status = 'lingering';
    this.timers.stop('hello');
    this.timers.set('linger', now + fullRetransmissionCycleMs(this.initialMs, this.capMs, this.maxRetries));
  }

  /**
   * Forgets every message still waiting for window space (the tunnel is going down and its StopCCN
   * must not queue behind them). Their Ns are given back, so the next message takes the first of
   * them and the peer sees no gap (§5.8: Ns grows by one per message actually sent).
   */
  dropPending(): void {
    const first = this.pending.peek();
    if (first === undefined) return;
    this.nextNs = first.ns;
    this.pending.clear();
    this.repliesPending = 0;
  }

  /** Drops all state at once (local teardown without a linger, e.g. the tunnel never got a peer). */
  abandon(): void {
    this.status = 'done';
    this.timers.clear();
    this.unacked.clear();
    this.pending.clear();
    this.repliesPending = 0;
    this.reorder.clear();
  }

  /** Runs every timer due at `now`. */
  handleTimeout(now: Instant): void {
    if (this.timers.fire('linger', now)) {
      this.abandon();
      return;
    }
    if (this.timers.fire('retransmit', now)) this.retransmit(now);
    if (this.timers.fire('ack', now) && this.lastSentNr !== this.nextNr && this.status !== 'failed') {
      this.datagrams.push(this.header(this.zlbNs(), 0, new Uint8Array(0)));
      this.lastSentNr = this.nextNr;
    }
    if (this.timers.fire('hello', now) && this.status === 'open') {
      this.send(0, HELLO_BODY, now);
      this.armHello(now);
    }
  }

  /** Next datagram to send (header + body); the caller owns it. */
  pollDatagram(): Uint8Array | undefined {
    return this.datagrams.shift();
  }

  /** Next message delivered in order; each Ns is delivered at most once. */
  pollDelivered(): DeliveredMessage<Body> | undefined {
    return this.delivered.shift();
  }

  /** Earliest deadline of this channel. */
  pollTimeout(): Instant | undefined {
    return this.timers.next();
  }

  private armHello(now: Instant): void {
    if (this.helloIntervalMs > 0 && this.status === 'open') this.timers.set('hello', now + this.helloIntervalMs);
  }

  private acknowledge(nr: number, now: Instant): void {
    let progressed = false;
    while (this.unacked.length > 0 && serialDiff(this.unacked.peek()!.ns, nr) < 0) {
      this.unacked.shift();
      progressed = true;
      // Appendix A: slow start below SSTHRESH, congestion avoidance above; never past the window.
      this.cwnd = Math.min(this.peerWindow, this.cwnd < this.ssthresh ? this.cwnd + 1 : this.cwnd + 1 / this.cwnd);
    }
    if (!progressed) return;
    this.retries = 0;
    this.timers.stop('retransmit');
    this.fillWindow(now);
    if (this.unacked.length > 0 && this.timers.get('retransmit') === undefined) {
      this.timers.set('retransmit', now + this.initialMs);
    }
  }

  private fillWindow(now: Instant): void {
    if (this.status === 'failed' || this.status === 'done') return;
    const limit = Math.max(1, Math.min(this.peerWindow, Math.floor(this.cwnd)));
    while (this.pending.length > 0 && this.unacked.length < limit) {
      const m = this.pending.shift()!;
      if (m.reply) this.repliesPending--;
      this.unacked.push(m);
      this.transmit(m);
      if (this.timers.get('retransmit') === undefined) this.timers.set('retransmit', now + this.initialMs);
    }
  }

  private retransmit(now: Instant): void {
    const oldest = this.unacked.peek();
    if (oldest === undefined) return;
    if (this.retries >= this.maxRetries) {
      // §5.8: retries exhausted. While lingering the StopCCN just stops being repeated.
      if (this.status === 'open') this.status = 'failed';
      this.unacked.clear();
      this.pending.clear();
      this.repliesPending = 0;
      this.timers.stop('hello');
      this.timers.stop('ack');
      return;
    }
    this.retries++;
    if (this.stats !== undefined) this.stats.retransmissions++;
    // Appendix A: a retransmission is a congestion signal.
    this.ssthresh = Math.max(1, this.cwnd / 2);
    this.cwnd = 1;
    this.transmit(oldest);
    this.timers.set('retransmit', now + Math.min(this.initialMs * 2 ** this.retries, this.capMs));
  }

  private transmit(m: Outgoing): void {
    this.datagrams.push(this.header(m.ns, m.sessionId, m.body));
    this.lastSentNr = this.nextNr;
    this.timers.stop('ack');
  }

  private header(ns: number, sessionId: number, body: Uint8Array): Uint8Array {
    const out = new Uint8Array(CONTROL_HEADER_LENGTH + body.length);
    writeControlHeader(out, 0, out.length, this.peerTunnelId, sessionId, ns, this.nextNr);
    out.set(body, CONTROL_HEADER_LENGTH);
    return out;
  }
}
