// The sans-IO Dynamic Authorization server of the LNS (RFC 5176): Disconnect-Request and
// CoA-Request from listed clients, answered ACK or NAK with an Error-Cause. Related: wire/ (codec),
// src/lns/lns.ts (dynamicAuthorization: which sessions a request selects and what it does to them),
// src/io/dae-listener.ts (the socket), docs/RADIUS.md.
//
// Rules, in the order a datagram meets them:
//  - From an address that is not a listed client: dropped, no answer (RFC 5176 §2.3: the NAS
//    shares a secret with each Dynamic Authorization Client; a stranger has none to check).
//  - Not a Disconnect-Request or CoA-Request, malformed, a wrong Request Authenticator or a
//    missing or wrong Message-Authenticator: dropped (RFC 5176 §3.4; BlastRADIUS: a request
//    without a Message-Authenticator is never acted on).
//  - A duplicate (same client address and port, Identifier and Authenticator as one answered in
//    the last `duplicateWindowS`) gets the same answer again and is not acted on twice (RFC 5080
//    §2.2.2).
//  - Event-Timestamp (RFC 5176 §3.5) outside ±`replayWindowS` of our clock: dropped. Without one:
//    NAK Missing-Attribute while `requireEventTimestamp` (the default), since without it a
//    recorded request could be replayed once the duplicate cache has forgotten it.
//  - NAS-Identifier / NAS-IP-Address that are not ours: NAK NAS-Identification-Mismatch (§3.5).
//  - Attributes we do not act on: NAK Unsupported-Attribute (§3.5: a NAS "MUST NOT" partly
//    apply a request). Session identification (User-Name, Acct-Session-Id, Framed-IP-Address,
//    Calling-Station-Id, NAS-Port) must be there: else NAK Missing-Attribute. A CoA-Request must
//    also change something we can change (Session-Timeout, Idle-Timeout).
//  - Then the LNS acts: every session matching all identification attributes is affected (we
//    support multiple-session selection); none → NAK Session-Context-Not-Found.
// Answers echo Proxy-State in order (§3.1) and carry a Message-Authenticator.
// Bounded: the duplicate cache holds at most `maxRemembered` answers (default 256, oldest dropped;
// about 200 octets each): a flood of distinct requests from a client costs at most ~50 KiB here.

import type { PeerAddress } from '../core/engine.js';
import { encodeResponse, type Secret, verifyRequest } from './wire/authenticators.js';
import { Attr, Code, ErrorCause } from './wire/dictionary.js';
import { decodePacket, type RadiusAttribute } from './wire/packet.js';
import { getInteger, getIpaddr, getText, makeAttribute } from './wire/values.js';

/** A Dynamic Authorization Client: its source address and the secret shared with it. */
export interface DaeClient {
  readonly address: string;
  readonly secret: Secret;
}

/** Options of DaeServer; every bound has a default. */
export interface DaeServerOptions {
  readonly clients: readonly DaeClient[];
  /** Event-Timestamp may differ from our clock by this much, s (default 300, RFC 5176 §3.5). */
  readonly replayWindowS?: number;
  /** NAK a request without Event-Timestamp (default true). */
  readonly requireEventTimestamp?: boolean;
  /** How long an answer is kept for a retransmitted request, s (default 30). */
  readonly duplicateWindowS?: number;
  /** Answers kept for duplicates at most (default 256). */
  readonly maxRemembered?: number;
  /** Our NAS-Identifier / NAS-IP-Address: a request naming another NAS is refused. */
  readonly nasIdentifier?: string;
  readonly nasIpAddress?: string;
}

/** Which sessions a request selects: all that match every field given. */
export interface SessionSelector {
  readonly userName?: string;
  readonly acctSessionId?: string;
  readonly framedIpAddress?: string;
  readonly callingStationId?: string;
  /** NAS-Port: our L2TP Session ID. */
  readonly nasPort?: number;
}

/** A checked request, for the LNS to act on. */
export type DaeRequest =
  | { readonly kind: 'disconnect'; readonly select: SessionSelector }
  | {
      readonly kind: 'coa';
      readonly select: SessionSelector;
      readonly sessionTimeoutS?: number;
      readonly idleTimeoutS?: number;
    };

/** What the LNS did: how many sessions it affected, or why it could not. */
export type DaeOutcome =
  | { readonly ok: true; readonly sessions: number }
  | { readonly ok: false; readonly errorCause: number };

/** Why a datagram got no answer. Stable strings: counter and log labels. */
export type DaeDropReason = 'unknown-client' | 'not-a-request' | 'malformed' | 'unauthentic' | 'stale-timestamp';

/** What handleDatagram did with one datagram. */
export type DaeResult =
  | {
      readonly type: 'answered';
      readonly bytes: Uint8Array;
      readonly request?: DaeRequest;
      readonly outcome: DaeOutcome;
      readonly duplicate: boolean;
    }
  | { readonly type: 'dropped'; readonly reason: DaeDropReason };

const IDENTIFICATION: ReadonlySet<number> = new Set([
  Attr.UserName,
  Attr.AcctSessionId,
  Attr.FramedIpAddress,
  Attr.CallingStationId,
  Attr.NasPort,
]);
/** Attributes every request may carry beside identification. */
const HANDLED: ReadonlySet<number> = new Set([
  Attr.MessageAuthenticator,
  Attr.EventTimestamp,
  Attr.ProxyState,
  Attr.NasIdentifier,
  Attr.NasIpAddress,
]);
const COA_CHANGES: ReadonlySet<number> = new Set([Attr.SessionTimeout, Attr.IdleTimeout]);

interface Remembered {
  readonly authenticator: Uint8Array;
  readonly bytes: Uint8Array;
  readonly outcome: DaeOutcome;
  readonly at: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The Dynamic Authorization server: datagram in, answer out; the LNS acts through `act`. */
export class DaeServer {
  private readonly clients = new Map<string, Secret>();
  private readonly remembered = new Map<string, Remembered>();
  private readonly o: Required<Omit<DaeServerOptions, 'clients' | 'nasIdentifier' | 'nasIpAddress'>>;
  /** Datagrams dropped, per reason. */
  readonly dropped: Record<DaeDropReason, number> = {
    'unknown-client': 0,
    'not-a-request': 0,
    malformed: 0,
    unauthentic: 0,
    'stale-timestamp': 0,
  };

  constructor(private readonly opts: DaeServerOptions) {
    for (const c of opts.clients) this.clients.set(c.address, c.secret);
    this.o = {
      replayWindowS: opts.replayWindowS ?? 300,
      requireEventTimestamp: opts.requireEventTimestamp ?? true,
      duplicateWindowS: opts.duplicateWindowS ?? 30,
      maxRemembered: Math.max(1, opts.maxRemembered ?? 256),
    };
  }

  /**
   * One datagram from `from`, at `nowS` (seconds since 1970: Event-Timestamp is wall-clock time).
   * `act` is called at most once, for a request that passed every check.
   */
  handleDatagram(bytes: Uint8Array, from: PeerAddress, nowS: number, act: (r: DaeRequest) => DaeOutcome): DaeResult {
    const secret = this.clients.get(from.address);
    if (secret === undefined) return this.drop('unknown-client');
    const d = decodePacket(bytes);
    if (!d.ok) return this.drop('malformed');
    const p = d.value;
    if (p.code !== Code.DisconnectRequest && p.code !== Code.CoaRequest) return this.drop('not-a-request');
    if (verifyRequest(bytes, p, secret) !== undefined) return this.drop('unauthentic');
    const key = `${from.address}:${from.port}:${p.identifier}`;
    const seen = this.remembered.get(key);
    if (
      seen !== undefined &&
      nowS - seen.at <= this.o.duplicateWindowS &&
      sameBytes(seen.authenticator, p.authenticator)
    ) {
      return { type: 'answered', bytes: seen.bytes, outcome: seen.outcome, duplicate: true };
    }
    const timestamp = getInteger(p.attributes, Attr.EventTimestamp);
    if (timestamp !== undefined && Math.abs(nowS - timestamp) > this.o.replayWindowS)
      return this.drop('stale-timestamp');
    const disconnect = p.code === Code.DisconnectRequest;
    let request: DaeRequest | undefined;
    let outcome: DaeOutcome;
    const refusal = this.refusal(p.attributes, disconnect, timestamp !== undefined);
    if (refusal !== undefined) {
      outcome = { ok: false, errorCause: refusal };
    } else {
      request = requestOf(p.attributes, disconnect);
      outcome = act(request);
    }
    const proxyState = p.attributes.filter((a) => a.vendorId === 0 && a.type === Attr.ProxyState);
    const answer = encodeResponse(
      {
        code: outcome.ok
          ? disconnect
            ? Code.DisconnectAck
            : Code.CoaAck
          : disconnect
            ? Code.DisconnectNak
            : Code.CoaNak,
        identifier: p.identifier,
        attributes: outcome.ok ? proxyState : [...proxyState, errorCause(outcome.errorCause)],
      },
      p.authenticator,
      secret,
    );
    this.remember(key, { authenticator: p.authenticator.slice(), bytes: answer, outcome, at: nowS });
    return { type: 'answered', bytes: answer, ...(request !== undefined && { request }), outcome, duplicate: false };
  }

  /** The Error-Cause that refuses a request before anything is done, or undefined. */
  private refusal(attrs: readonly RadiusAttribute[], disconnect: boolean, stamped: boolean): number | undefined {
    const nasId = getText(attrs, Attr.NasIdentifier);
    const nasIp = getIpaddr(attrs, Attr.NasIpAddress);
    if (
      (nasId !== undefined && nasId !== this.opts.nasIdentifier) ||
      (nasIp !== undefined && nasIp !== this.opts.nasIpAddress)
    ) {
      return ErrorCause.NasIdentificationMismatch;
    }
    let identifies = false;
    let changes = false;
    for (const a of attrs) {
      if (a.vendorId === 0 && IDENTIFICATION.has(a.type)) identifies = true;
      else if (a.vendorId === 0 && !disconnect && COA_CHANGES.has(a.type)) changes = true;
      else if (a.vendorId !== 0 || !HANDLED.has(a.type)) return ErrorCause.UnsupportedAttribute;
    }
    if (!identifies || (!disconnect && !changes)) return ErrorCause.MissingAttribute;
    if (!stamped && this.o.requireEventTimestamp) return ErrorCause.MissingAttribute;
    // A value that does not decode must not widen the selection (a Framed-IP-Address of 3 octets
    // would otherwise select by the other attributes alone, or by none).
    const r = requestOf(attrs, disconnect);
    const fields = Object.keys(r.select).length;
    const given = attrs.filter((a) => a.vendorId === 0 && IDENTIFICATION.has(a.type)).length;
    if (fields !== given) return ErrorCause.InvalidAttributeValue;
    if (r.kind === 'coa' && r.sessionTimeoutS === undefined && r.idleTimeoutS === undefined) {
      return ErrorCause.InvalidAttributeValue;
    }
    return undefined;
  }

  private remember(key: string, r: Remembered): void {
    this.remembered.delete(key);
    if (this.remembered.size >= this.o.maxRemembered) {
      const oldest = this.remembered.keys().next();
      if (!oldest.done) this.remembered.delete(oldest.value);
    }
    this.remembered.set(key, r);
  }

  private drop(reason: DaeDropReason): DaeResult {
    this.dropped[reason]++;
    return { type: 'dropped', reason };
  }
}

function requestOf(attrs: readonly RadiusAttribute[], disconnect: boolean): DaeRequest {
  const select: SessionSelector = {
    ...opt('userName', getText(attrs, Attr.UserName)),
    ...opt('acctSessionId', getText(attrs, Attr.AcctSessionId)),
    ...opt('framedIpAddress', getIpaddr(attrs, Attr.FramedIpAddress)),
    ...opt('callingStationId', getText(attrs, Attr.CallingStationId)),
    ...opt('nasPort', getInteger(attrs, Attr.NasPort)),
  };
  if (disconnect) return { kind: 'disconnect', select };
  return {
    kind: 'coa',
    select,
    ...opt('sessionTimeoutS', getInteger(attrs, Attr.SessionTimeout)),
    ...opt('idleTimeoutS', getInteger(attrs, Attr.IdleTimeout)),
  };
}

function opt<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}

function errorCause(cause: number): RadiusAttribute {
  return makeAttribute(Attr.ErrorCause, cause);
}
