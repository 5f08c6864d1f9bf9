// The sans-IO RADIUS client: Access-Requests and Accounting-Requests to a list of servers, with
// retransmission, failover and bounded state. RFC 2865 §2.5 (retransmission), RFC 5080 §2.2.1
// (identifier reuse), RFC 2866 §2/§5.2 (accounting, Acct-Delay-Time), RFC 3579 §3.2.
// Related: wire/ (codec), auth-attributes.ts (PAP/CHAP/MS-CHAPv2 attributes), src/io/radius-transport.ts.
//
// Theory of operation. `authenticate()` / `account()` queue a request and return its RequestId; out
// come datagrams (`pollTransmit`), exactly one result event per request (`pollEvent`) and one deadline
// (`pollTimeout`). The engine never reads a clock or draws randomness of its own.
//  - Servers are tried in the configured order (radcli's failover). A request is sent to one server at a
//    time; after `retries` retransmissions without an authentic reply it moves to the next server.
//    An authentication request that has gone through every server ends with `timeout`; an accounting
//    request starts over from the first server and is retransmitted until acknowledged (RFC 2866 §2:
//    "the client SHOULD continue retransmitting") or until it is cancelled.
//  - A server that let a request time out is "down" for `deadTimeMs`: new requests start at the first
//    server that is up, so a dead primary costs one request's timeout, not every request's. Any
//    authentic reply from it marks it up again. If every server is down, the order is tried anyway.
//  - Identifiers are per server (address:port): the Identifier is 8 bits and a server tells requests
//    apart by (source address, source port, Identifier) (RFC 2865 §3; its duplicate cache keys on it),
//    so with one source socket at most 256 requests can be outstanding per server. That is the bound
//    (`maxOutstandingPerServer`, default and maximum 256); a request that finds no free identifier
//    waits in a FIFO bounded by `maxQueued`; beyond that it is refused at once (event `refused`),
//    never held without limit. Identifiers rotate, so a freed one is not reused at once.
//  - A retransmission to the same server is the same datagram: same Identifier, same Authenticator
//    (RFC 5080 §2.2.1). Moving to another server re-encodes: a new Identifier of that server, a new
//    Request Authenticator, the password hidden with that server's secret, and Acct-Delay-Time
//    updated (RFC 2866 §5.2: a changed packet needs a new Identifier).
//  - A reply is accepted only from the server the request is outstanding on, with a matching
//    Identifier and a code that answers it, a valid Response Authenticator and (unless
//    `acceptUnsignedReplies`) a valid Message-Authenticator (CVE-2024-3596). Anything else is
//    dropped with a `reply-dropped` event and the request keeps waiting: a forged or stale reply
//    never ends a request.

import { DeadlineHeap } from '../core/deadline-heap.js';
import type { Engine, PeerAddress, Transmit } from '../core/engine.js';
import { L2tpUsageError } from '../core/engine.js';
import { Fifo } from '../core/fifo.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { encodeRequest, hideUserPassword, type Secret, verifyReply } from './wire/authenticators.js';
import { Attr, CODES, Code } from './wire/dictionary.js';
import { decodePacket, type FaultCode, type RadiusAttribute } from './wire/packet.js';
import { findAttribute, makeAttribute, replyMessage } from './wire/values.js';

/** One RADIUS server: where to send and the secret shared with it. */
export interface RadiusServer {
  readonly address: string;
  readonly port: number;
  readonly secret: Secret;
}

/** Tunables; defaults in brackets. */
export interface RadiusClientOptions {
  /** Authentication servers in failover order (port usually 1812). At least one. */
  readonly authServers: readonly RadiusServer[];
  /** Accounting servers in failover order (port usually 1813); none: `account()` throws. */
  readonly acctServers?: readonly RadiusServer[];
  /** Request Authenticators (RFC 2865 §3: "unpredictable and unique"): a CSPRNG in production. */
  readonly random: Random;
  /** Wait for a reply before retransmitting (radcli `radius_timeout`) [3000 ms]. */
  readonly timeoutMs?: number;
  /** Retransmissions per server before failing over (radcli `radius_retries`) [3]. */
  readonly retries?: number;
  /** How long a server that let a request time out is skipped by new requests [30000 ms]. */
  readonly deadTimeMs?: number;
  /** Requests outstanding per server, at most 256 (the 8-bit Identifier space) [256]. */
  readonly maxOutstandingPerServer?: number;
  /** Requests waiting for a free Identifier, both kinds together [1024]. */
  readonly maxQueued?: number;
  /** Accounting requests not yet acknowledged (outstanding + waiting) [4096]. */
  readonly maxAccounting?: number;
  /**
   * Accept replies without a Message-Authenticator (FreeRADIUS < 3.2.5 that has not been told to sign).
   * Default false (CVE-2024-3596 / BlastRADIUS); a reply WITH a wrong one is always dropped.
   */
  readonly acceptUnsignedReplies?: boolean;
}

/** The number `authenticate()` / `account()` return; every result event carries it. */
export type RequestId = number;

/** An Access-Request to send: its attributes and, for PAP, the clear password (hidden per server). */
export interface AccessRequest {
  readonly attributes: readonly RadiusAttribute[];
  /** RFC 2865 §5.2: sent as User-Password, hidden with each server's secret. */
  readonly password?: Uint8Array | string;
}

/** Why a reply was not accepted. */
export type ReplyDropReason = FaultCode | 'unknown-server' | 'unknown-identifier' | 'unexpected-code';

/** What the client reports. Exactly one of the first six ends each request. */
export type RadiusClientEvent =
  | {
      readonly type: 'access-accept';
      readonly requestId: RequestId;
      readonly server: PeerAddress;
      /** From the request's submission to this reply, retransmissions and failover included. */
      readonly elapsedMs: number;
      readonly attributes: readonly RadiusAttribute[];
    }
  | {
      readonly type: 'access-reject';
      readonly requestId: RequestId;
      readonly server: PeerAddress;
      readonly elapsedMs: number;
      readonly attributes: readonly RadiusAttribute[];
      /** RFC 2865 §5.18 Reply-Message(s), joined by newlines. */
      readonly replyMessage?: string;
    }
  | {
      /** RFC 2865 §4.4: PPP has no use for a challenge; the caller treats it as a failure. */
      readonly type: 'access-challenge';
      readonly requestId: RequestId;
      readonly server: PeerAddress;
      readonly elapsedMs: number;
      readonly attributes: readonly RadiusAttribute[];
    }
  | {
      readonly type: 'accounting-response';
      readonly requestId: RequestId;
      readonly server: PeerAddress;
      readonly elapsedMs: number;
    }
  /** No server answered an authentication request (every server, `retries` + 1 sends each). */
  | { readonly type: 'timeout'; readonly requestId: RequestId }
  /** Refused at once: the bounded queues are full. */
  | { readonly type: 'refused'; readonly requestId: RequestId; readonly reason: 'queue-full' }
  | { readonly type: 'reply-dropped'; readonly from: PeerAddress; readonly reason: ReplyDropReason }
  | { readonly type: 'server-down'; readonly server: PeerAddress }
  | { readonly type: 'server-up'; readonly server: PeerAddress };

/** The 8-bit Identifier space (RFC 2865 §3). */
const IDENTIFIERS = 256;

interface ServerState {
  readonly server: RadiusServer;
  readonly to: PeerAddress;
  /** Identifier → the request outstanding with it. */
  readonly byIdentifier: (Request | undefined)[];
  outstanding: number;
  nextIdentifier: number;
  /** Down until this instant (undefined: up). */
  downUntil: Instant | undefined;
}

interface Attempt {
  readonly server: ServerState;
  readonly identifier: number;
  readonly bytes: Uint8Array;
  readonly authenticator: Uint8Array;
  sends: number;
}

interface Request {
  readonly id: RequestId;
  readonly kind: 'auth' | 'acct';
  readonly code: number;
  readonly attributes: readonly RadiusAttribute[];
  readonly password: Uint8Array | string | undefined;
  readonly createdAt: Instant;
  /** Index in its server list of the server to use next. */
  serverIndex: number;
  /** Servers that failed this request in the current round. */
  serversTried: number;
  attempt: Attempt | undefined;
  waiting: boolean;
}

function check(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_OPTION', `${what}: expected an integer ${min}..${max}, got ${v}`);
  }
  return v;
}

const serverKey = (address: string, port: number): string => `${address}:${port}`;

/** The RADIUS client engine (see the theory of operation above). */
export class RadiusClient implements Engine<RadiusClientEvent> {
  private readonly auth: ServerState[];
  private readonly acct: ServerState[];
  private readonly byAddress = new Map<string, ServerState>();
  private readonly random: Random;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly deadTimeMs: number;
  private readonly maxOutstanding: number;
  private readonly maxQueued: number;
  private readonly maxAccounting: number;
  private readonly acceptUnsigned: boolean;
  private readonly requests = new Map<RequestId, Request>();
  private readonly deadlines = new DeadlineHeap<Request>();
  private readonly queue = new Fifo<Request>();
  private queued = 0;
  private accounting = 0;
  private nextRequestId = 1;
  private readonly transmits = new Fifo<Transmit>();
  private readonly events = new Fifo<RadiusClientEvent>();

  constructor(opts: RadiusClientOptions) {
    if (opts.authServers.length === 0) throw new L2tpUsageError('ERR_L2TP_RADIUS_OPTION', 'no authentication server');
    this.random = opts.random;
    this.timeoutMs = check(opts.timeoutMs ?? 3000, 1, 3_600_000, 'timeoutMs');
    this.retries = check(opts.retries ?? 3, 0, 100, 'retries');
    this.deadTimeMs = check(opts.deadTimeMs ?? 30_000, 0, 86_400_000, 'deadTimeMs');
    this.maxOutstanding = check(opts.maxOutstandingPerServer ?? IDENTIFIERS, 1, IDENTIFIERS, 'maxOutstandingPerServer');
    this.maxQueued = check(opts.maxQueued ?? 1024, 0, 1_000_000, 'maxQueued');
    this.maxAccounting = check(opts.maxAccounting ?? 4096, 1, 1_000_000, 'maxAccounting');
    this.acceptUnsigned = opts.acceptUnsignedReplies ?? false;
    this.auth = opts.authServers.map((s) => this.serverState(s));
    this.acct = (opts.acctServers ?? []).map((s) => this.serverState(s));
  }

  private serverState(server: RadiusServer): ServerState {
    const key = serverKey(server.address, server.port);
    const existing = this.byAddress.get(key);
    if (existing !== undefined) return existing; // one Identifier space per address:port
    const s: ServerState = {
      server,
      to: { address: server.address, port: server.port },
      byIdentifier: new Array(IDENTIFIERS).fill(undefined),
      outstanding: 0,
      nextIdentifier: 0,
      downUntil: undefined,
    };
    this.byAddress.set(key, s);
    return s;
  }

  /** Requests not yet ended (outstanding or waiting for an Identifier). */
  get pending(): number {
    return this.requests.size;
  }

  /** Queues an Access-Request; its result comes as an access-accept/-reject/-challenge, timeout or refused event. */
  authenticate(request: AccessRequest, now: Instant): RequestId {
    return this.submit('auth', Code.AccessRequest, request.attributes, request.password, now);
  }

  /**
   * Queues an Accounting-Request (its attributes, Acct-Status-Type included); retransmitted until an
   * accounting-response event, or refused when `maxAccounting` requests are already unacknowledged.
   * Acct-Delay-Time is added unless present (RFC 2866 §5.2).
   */
  account(attributes: readonly RadiusAttribute[], now: Instant): RequestId {
    if (this.acct.length === 0) throw new L2tpUsageError('ERR_L2TP_RADIUS_OPTION', 'no accounting server');
    return this.submit('acct', Code.AccountingRequest, attributes, undefined, now);
  }

  /** Forgets a request (its session went away); a late reply is then dropped. False if it had ended. */
  cancel(requestId: RequestId): boolean {
    const r = this.requests.get(requestId);
    if (r === undefined) return false;
    this.finish(r);
    return true;
  }

  private submit(
    kind: Request['kind'],
    code: number,
    attributes: readonly RadiusAttribute[],
    password: Uint8Array | string | undefined,
    now: Instant,
  ): RequestId {
    const id = this.nextRequestId++;
    if (kind === 'acct' && this.accounting >= this.maxAccounting) {
      this.events.push({ type: 'refused', requestId: id, reason: 'queue-full' });
      return id;
    }
    const servers = kind === 'auth' ? this.auth : this.acct;
    const r: Request = {
      id,
      kind,
      code,
      attributes,
      password,
      createdAt: now,
      serverIndex: this.firstUp(servers, 0, now),
      serversTried: 0,
      attempt: undefined,
      waiting: false,
    };
    if (!this.start(r, now)) {
      if (this.queued >= this.maxQueued) {
        this.events.push({ type: 'refused', requestId: id, reason: 'queue-full' });
        return id;
      }
      r.waiting = true;
      this.queued++;
      this.queue.push(r);
    }
    this.requests.set(id, r);
    if (kind === 'acct') this.accounting++;
    return id;
  }

  /** Index of the first server at or after `from` (wrapping) that is up; `from` itself if none is. */
  private firstUp(servers: readonly ServerState[], from: number, now: Instant): number {
    for (let i = 0; i < servers.length; i++) {
      const j = (from + i) % servers.length;
      const until = servers[j]!.downUntil;
      if (until === undefined || until <= now) return j;
    }
    return from % servers.length;
  }

  /** Sends `r` to its current server; false when that server has no free Identifier. */
  private start(r: Request, now: Instant): boolean {
    const s = (r.kind === 'auth' ? this.auth : this.acct)[r.serverIndex]!;
    if (s.outstanding >= this.maxOutstanding) return false;
    let identifier = s.nextIdentifier;
    while (s.byIdentifier[identifier] !== undefined) identifier = (identifier + 1) % IDENTIFIERS;
    s.nextIdentifier = (identifier + 1) % IDENTIFIERS;
    s.byIdentifier[identifier] = r;
    s.outstanding++;
    const authenticator = this.random.fill(new Uint8Array(16));
    const attributes = [...r.attributes];
    if (r.password !== undefined) {
      attributes.push({
        vendorId: 0,
        type: Attr.UserPassword,
        value: hideUserPassword(r.password, s.server.secret, authenticator),
      });
    }
    if (r.kind === 'acct' && findAttribute(attributes, Attr.AcctDelayTime) === undefined) {
      attributes.push(makeAttribute(Attr.AcctDelayTime, Math.max(0, Math.floor((now - r.createdAt) / 1000))));
    }
    const bytes = encodeRequest({ code: r.code, identifier, authenticator, attributes }, s.server.secret);
    // Accounting: the Authenticator is computed over the packet (RFC 2866 §3); read it back.
    r.attempt = { server: s, identifier, bytes, authenticator: bytes.slice(4, 20), sends: 1 };
    this.transmits.push({ to: s.to, bytes });
    this.deadlines.set(r, now + this.timeoutMs);
    return true;
  }

  /** Frees `r`'s Identifier and deadline and forgets it; lets a waiting request take the Identifier. */
  private finish(r: Request): void {
    this.release(r);
    this.requests.delete(r.id);
    if (r.kind === 'acct') this.accounting--;
    if (r.waiting) {
      r.waiting = false;
      this.queued--;
    }
  }

  private release(r: Request): void {
    const a = r.attempt;
    if (a === undefined) return;
    a.server.byIdentifier[a.identifier] = undefined;
    a.server.outstanding--;
    r.attempt = undefined;
    this.deadlines.set(r, undefined);
  }

  /** Starts waiting requests while Identifiers are free (FIFO; ended ones are skipped). */
  private pump(now: Instant): void {
    const n = this.queue.length;
    for (let i = 0; i < n; i++) {
      const r = this.queue.shift()!;
      if (!r.waiting) continue;
      if (this.start(r, now)) {
        r.waiting = false;
        this.queued--;
      } else {
        this.queue.push(r);
      }
    }
  }

  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void {
    const reason = this.handleReply(bytes, from, now);
    if (reason !== undefined) this.events.push({ type: 'reply-dropped', from, reason });
  }

  /** Accepts an authentic reply (ends its request) or says why it was dropped. */
  private handleReply(bytes: Uint8Array, from: PeerAddress, now: Instant): ReplyDropReason | undefined {
    const s = this.byAddress.get(serverKey(from.address, from.port));
    if (s === undefined) return 'unknown-server';
    const d = decodePacket(bytes);
    if (!d.ok) return d.fault.code;
    const p = d.value;
    const r = s.byIdentifier[p.identifier];
    const a = r?.attempt;
    if (r === undefined || a === undefined) return 'unknown-identifier';
    if (!(CODES.get(r.code)?.replies ?? []).includes(p.code)) return 'unexpected-code';
    // RFC 2865 §3: the Response Authenticator covers the request's; RFC 3579 §3.2 the Message-Authenticator.
    const fault = verifyReply(bytes, p, a.authenticator, s.server.secret, { acceptUnsigned: this.acceptUnsigned });
    if (fault !== undefined) return fault;
    this.finish(r);
    if (s.downUntil !== undefined) {
      s.downUntil = undefined;
      this.events.push({ type: 'server-up', server: s.to });
    }
    // The event keeps the attributes: copy them off the caller's datagram buffer.
    const attributes = p.attributes.map((x) => ({ ...x, value: x.value.slice() }));
    const base = { requestId: r.id, server: s.to, elapsedMs: now - r.createdAt };
    switch (p.code) {
      case Code.AccessAccept:
        this.events.push({ type: 'access-accept', ...base, attributes });
        break;
      case Code.AccessReject: {
        const message = replyMessage(attributes);
        this.events.push({
          type: 'access-reject',
          ...base,
          attributes,
          ...(message === undefined ? {} : { replyMessage: message }),
        });
        break;
      }
      case Code.AccessChallenge:
        this.events.push({ type: 'access-challenge', ...base, attributes });
        break;
      default:
        this.events.push({ type: 'accounting-response', ...base });
    }
    this.pump(now);
    return undefined;
  }

  handleTimeout(now: Instant): void {
    for (const r of this.deadlines.popDue(now)) {
      const a = r.attempt;
      if (a === undefined) continue;
      if (a.sends <= this.retries) {
        a.sends++;
        this.transmits.push({ to: a.server.to, bytes: a.bytes }); // RFC 5080 §2.2.1: the same packet
        this.deadlines.set(r, now + this.timeoutMs);
        continue;
      }
      // This server failed the request: mark it down, move on to the next one (§2.5 failover).
      this.release(r);
      const s = a.server;
      if (s.downUntil === undefined) this.events.push({ type: 'server-down', server: s.to });
      s.downUntil = now + this.deadTimeMs;
      const servers = r.kind === 'auth' ? this.auth : this.acct;
      r.serversTried++;
      if (r.serversTried >= servers.length) {
        if (r.kind === 'auth') {
          this.finish(r);
          this.events.push({ type: 'timeout', requestId: r.id });
          continue;
        }
        r.serversTried = 0; // accounting: another round, until acknowledged
      }
      r.serverIndex = (r.serverIndex + 1) % servers.length;
      if (!this.start(r, now)) {
        r.waiting = true;
        this.queued++;
        this.queue.push(r);
      }
    }
    this.pump(now);
  }

  pollTransmit(): Transmit | undefined {
    return this.transmits.shift();
  }

  pollTimeout(): Instant | undefined {
    return this.deadlines.peek();
  }

  pollEvent(): RadiusClientEvent | undefined {
    return this.events.shift();
  }
}
