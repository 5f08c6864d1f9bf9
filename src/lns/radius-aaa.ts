// RADIUS for the LNS, sans-IO: the Access-Request for a deferred PPP authentication (PAP, CHAP-MD5,
// MS-CHAPv2), the verdict and the authorization taken from the reply, and accounting (Start,
// Interim-Update, Stop, Accounting-On/Off). RFC 2865, 2866, 2869, 2548; pppd plugins/radius/radius.c.
// Related: lns.ts (the hooks that call this), src/radius (codec and client), docs/RADIUS.md.
//
// Rules, after pppd's radius plugin:
// - Every session gets an Acct-Session-Id at its start (16 hex digits, random + session key) used in
//   its Access-Request and all its accounting; NAS-Port is the local L2TP Session ID.
// - Calling-Station-Id is the LAC's Calling Number AVP (RFC 2661 §4.4.5), else the LAC's address.
// - An Access-Accept whose Service-Type is not Framed-User or Framed-Protocol not PPP is a failure
//   (radius_setparams). MS-CHAPv2 needs MS-CHAP2-Success: its text ("S=…") goes to the peer,
//   which verifies it (RFC 2759 §5); MS-CHAP-Error ("E=…") goes into the PPP Failure.
// - Framed-IP-Address 255.255.255.254 (and absent): the NAS picks (our pool); 255.255.255.255: the
//   user may pick — our IPCP always assigns, so that is the pool too; anything else: that address.
// - Acct-Interim-Interval below `minInterimSeconds` (60, as pppd) is raised to it; 0 means none.
// - Accounting goes to the client's bounded queue (retransmitted until acknowledged, never on the
//   packet path); Stop is sent only for a session whose Start was sent.

import type { AuthVerdict, AuthVerifyRequest } from '../core/auth-engine.js';
import { toHex } from '../core/bytes.js';
import { DeadlineHeap } from '../core/deadline-heap.js';
import { parseIpv4 } from '../core/ipv4.js';
import type { Random } from '../core/random.js';
import { utf8Text } from '../core/text.js';
import type { Instant } from '../core/time.js';
import {
  type AccessRequest,
  AcctAuthentic,
  AcctStatusType,
  AcctTerminateCause,
  Attr,
  chapMd5Request,
  FramedProtocol,
  findAll,
  getInteger,
  getIpaddr,
  getText,
  MsAttr,
  makeAttribute,
  msChapV2Outcome,
  msChapV2Request,
  type NasIdentity,
  nasAttributes,
  papRequest,
  type RadiusAttribute,
  type RadiusClient,
  type RadiusClientEvent,
  type RequestId,
  ServiceType,
  splitGigawords,
  VENDOR_MICROSOFT,
} from '../radius/index.js';
import type { SessionCounters } from '../session/ppp-over-l2tp.js';

/** Why a session ended, in RFC 2866 §5.10 terms (the key names AcctTerminateCause). */
export type TerminateCause = keyof typeof AcctTerminateCause;

/** What the reply of an Access-Accept grants one session. */
export interface RadiusAuthorization {
  /** 'pool': the LNS picks (absent, 255.255.255.254, 255.255.255.255); else the address. */
  readonly framedIp: 'pool' | string;
  /** MS-Primary/Secondary-DNS-Server, MS-Primary/Secondary-NBNS-Server (RFC 2548 §2.6). */
  readonly dns?: readonly string[];
  readonly nbns?: readonly string[];
  readonly sessionTimeoutS?: number;
  readonly idleTimeoutS?: number;
  /** Acct-Interim-Interval after the lower bound; undefined: no interim updates. */
  readonly interimS?: number;
  /** Class attributes, echoed in accounting (RFC 2865 §5.25). */
  readonly classes: readonly Uint8Array[];
  readonly framedMtu?: number;
  readonly framedPool?: string;
  /** Framed-Route "a.b.c.d/nn …" (RFC 2865 §5.22), as prefixes. */
  readonly routes: readonly { readonly network: number; readonly prefixLength: number }[];
}

/** What the LNS knows of a session when it asks for or accounts it. */
export interface RadiusSessionInfo {
  /** Local L2TP Session ID (NAS-Port). */
  readonly sessionId: number;
  readonly peerAddress: string;
  readonly callingNumber?: string;
  readonly calledNumber?: string;
}

/** The usage of a session at one moment, for Interim-Update and Stop. */
export interface RadiusUsage {
  readonly user?: string;
  readonly framedIp?: string;
  readonly counters: SessionCounters;
  /** When IPCP came up (accounting starts there, as in pppd's ip-up). */
  readonly upAt: Instant;
}

/** Options of RadiusAaa. */
export interface RadiusAaaOptions {
  readonly client: RadiusClient;
  readonly random: Random;
  readonly nasIdentifier?: string;
  readonly nasIpAddress?: string;
  /** Send accounting (acct servers are configured). */
  readonly accounting: boolean;
  /** [60] */
  readonly minInterimSeconds?: number;
}

/** An Access-Request ended: the verdict for the session's authenticator. */
export interface RadiusDecision {
  readonly key: number;
  readonly verdict: AuthVerdict;
  /** Set on success. */
  readonly authorization?: RadiusAuthorization;
}

interface Record {
  readonly acctSessionId: string;
  readonly nas: NasIdentity;
  method?: AuthVerifyRequest['method'];
  authRequest?: RequestId;
  authorization?: RadiusAuthorization;
  started: boolean;
  cause?: TerminateCause;
}

/** RFC 2865 §5.8: the two special values of Framed-IP-Address. */
const NAS_SELECTS = '255.255.255.254';
const USER_SELECTS = '255.255.255.255';

/** The RADIUS side of the LNS (see the rules above). */
export class RadiusAaa {
  private readonly sessions = new Map<number, Record>();
  private readonly byRequest = new Map<RequestId, number>();
  private readonly interim = new DeadlineHeap<number>();
  private readonly minInterim: number;

  constructor(private readonly o: RadiusAaaOptions) {
    this.minInterim = o.minInterimSeconds ?? 60;
  }

  get client(): RadiusClient {
    return this.o.client;
  }

  /** A session began (L2TP call up): its Acct-Session-Id and NAS attributes. */
  sessionStarted(key: number, info: RadiusSessionInfo): void {
    const id = toHex(this.o.random.fill(new Uint8Array(4))).toUpperCase() + (key >>> 0).toString(16).padStart(8, '0');
    this.sessions.set(key, {
      acctSessionId: id.toUpperCase(),
      nas: {
        ...(this.o.nasIdentifier !== undefined && { nasIdentifier: this.o.nasIdentifier }),
        ...(this.o.nasIpAddress !== undefined && { nasIpAddress: this.o.nasIpAddress }),
        nasPort: info.sessionId,
        callingStationId: info.callingNumber ?? info.peerAddress,
        ...(info.calledNumber !== undefined && { calledStationId: info.calledNumber }),
        acctSessionId: id.toUpperCase(),
      },
      started: false,
    });
  }

  /** The Acct-Session-Id of a session. */
  acctSessionId(key: number): string | undefined {
    return this.sessions.get(key)?.acctSessionId;
  }

  /** The Calling-Station-Id sent for a session (the LAC's Calling Number, else its address). */
  callingStationId(key: number): string | undefined {
    return this.sessions.get(key)?.nas.callingStationId;
  }

  /** The reply's grants for a session that authenticated through RADIUS. */
  authorization(key: number): RadiusAuthorization | undefined {
    return this.sessions.get(key)?.authorization;
  }

  /** Sends the Access-Request for a deferred authentication. */
  verify(key: number, request: AuthVerifyRequest, now: Instant): void {
    const r = this.sessions.get(key);
    if (r === undefined) return;
    if (r.authRequest !== undefined) this.o.client.cancel(r.authRequest);
    r.method = request.method;
    const id = this.o.client.authenticate(accessRequest(request, r.nas), now);
    r.authRequest = id;
    this.byRequest.set(id, key);
  }

  /** One event of the client; a decision when it ended a session's Access-Request. */
  handleClientEvent(e: RadiusClientEvent): RadiusDecision | undefined {
    if (!('requestId' in e) || e.type === 'accounting-response') return undefined;
    const key = this.byRequest.get(e.requestId);
    if (key === undefined) return undefined;
    this.byRequest.delete(e.requestId);
    const r = this.sessions.get(key);
    if (r === undefined || r.authRequest !== e.requestId) return undefined;
    r.authRequest = undefined;
    const mschap = r.method === 'mschapv2';
    switch (e.type) {
      case 'access-accept': {
        const failure = checkService(e.attributes);
        if (failure !== undefined) return { key, verdict: { ok: false, reason: failure } };
        const reply = getText(e.attributes, Attr.ReplyMessage);
        let message = reply;
        if (mschap) {
          const success = msChapV2Outcome(e.attributes).success;
          if (success === undefined)
            return { key, verdict: { ok: false, reason: 'Access-Accept without MS-CHAP2-Success' } };
          message = success.includes(' M=') ? success : `${success} M=${reply ?? 'Access granted'}`;
        }
        const authorization = this.authorize(e.attributes);
        r.authorization = authorization;
        return { key, verdict: { ok: true, ...(message !== undefined && { message }) }, authorization };
      }
      case 'access-reject': {
        const reply = e.replyMessage;
        let message = reply;
        if (mschap) {
          const error = msChapV2Outcome(e.attributes).error;
          // RFC 2759 §6: the M= text is what the user sees; the Reply-Message replaces the server's.
          message =
            error === undefined || reply === undefined ? error : `${error.replace(/ M=[\s\S]*$/, '')} M=${reply}`;
        }
        const reason = `Access-Reject${reply === undefined ? '' : `: ${reply}`}`;
        return { key, verdict: { ok: false, reason, ...(message !== undefined && { message }) } };
      }
      case 'access-challenge':
        return { key, verdict: { ok: false, reason: 'Access-Challenge (not supported for PPP)' } };
      case 'timeout':
        return { key, verdict: { ok: false, reason: 'no RADIUS server answered' } };
      case 'refused':
        return { key, verdict: { ok: false, reason: 'RADIUS request queue full' } };
    }
  }

  /** Remembers why a session ends (the first cause noted wins). */
  noteCause(key: number, cause: TerminateCause): void {
    const r = this.sessions.get(key);
    if (r !== undefined) r.cause ??= cause;
  }

  /** IPCP is up: Accounting Start, and the interim timer. */
  sessionUp(key: number, usage: RadiusUsage, now: Instant): void {
    const r = this.sessions.get(key);
    if (r === undefined || r.started || !this.o.accounting) return;
    r.started = true;
    this.account(r, AcctStatusType.Start, usage, now);
    const every = r.authorization?.interimS;
    if (every !== undefined) this.interim.set(key, now + every * 1000);
  }

  /** The session is gone: Accounting Stop (if it started) and nothing left behind. */
  sessionDown(key: number, usage: RadiusUsage | undefined, now: Instant): void {
    const r = this.sessions.get(key);
    if (r === undefined) return;
    this.sessions.delete(key);
    this.interim.set(key, undefined);
    if (r.authRequest !== undefined) {
      this.o.client.cancel(r.authRequest);
      this.byRequest.delete(r.authRequest);
    }
    if (r.started && usage !== undefined) this.account(r, AcctStatusType.Stop, usage, now);
  }

  /** RFC 2866 §5.1 Accounting-On (the LNS starts) / Accounting-Off (it stops). */
  accountingOnOff(on: boolean, now: Instant): void {
    if (!this.o.accounting) return;
    const nas = { nasIdentifier: this.o.nasIdentifier, nasIpAddress: this.o.nasIpAddress };
    const attrs: RadiusAttribute[] = [
      makeAttribute(Attr.AcctStatusType, on ? AcctStatusType.AccountingOn : AcctStatusType.AccountingOff),
      ...identity(nas),
      makeAttribute(Attr.AcctSessionId, '00000000'),
    ];
    if (!on) attrs.push(makeAttribute(Attr.AcctTerminateCause, AcctTerminateCause.NasReboot));
    this.o.client.account(attrs, now);
  }

  /** Interim-Updates that are due; `usage` reads a live session. */
  handleTimeout(now: Instant, usage: (key: number) => RadiusUsage | undefined): void {
    for (const key of this.interim.popDue(now)) {
      const r = this.sessions.get(key);
      const u = usage(key);
      const every = r?.authorization?.interimS;
      if (r === undefined || u === undefined || every === undefined) continue;
      this.account(r, AcctStatusType.InterimUpdate, u, now);
      this.interim.set(key, now + every * 1000);
    }
  }

  pollTimeout(): Instant | undefined {
    return this.interim.peek();
  }

  private account(r: Record, status: number, u: RadiusUsage, now: Instant): void {
    const attrs: RadiusAttribute[] = [
      makeAttribute(Attr.AcctStatusType, status),
      ...(u.user === undefined ? [] : [makeAttribute(Attr.UserName, u.user)]),
      ...nasAttributes(r.nas),
      makeAttribute(Attr.AcctAuthentic, AcctAuthentic.Radius),
      ...(u.framedIp === undefined ? [] : [makeAttribute(Attr.FramedIpAddress, u.framedIp)]),
      ...(r.authorization?.classes ?? []).map((c) => makeAttribute(Attr.Class, c)),
    ];
    if (status !== AcctStatusType.Start) {
      // RFC 2866 §5.3/§5.4/§5.7/§5.8, RFC 2869 §5.1/§5.2: input is from the user, output to the user.
      const c = u.counters;
      const rx = splitGigawords(c.rxBytes);
      const tx = splitGigawords(c.txBytes);
      attrs.push(
        makeAttribute(Attr.AcctSessionTime, Math.max(0, Math.floor((now - u.upAt) / 1000))),
        makeAttribute(Attr.AcctInputOctets, rx.octets),
        makeAttribute(Attr.AcctOutputOctets, tx.octets),
        makeAttribute(Attr.AcctInputGigawords, rx.gigawords),
        makeAttribute(Attr.AcctOutputGigawords, tx.gigawords),
        makeAttribute(Attr.AcctInputPackets, c.rxPackets >>> 0),
        makeAttribute(Attr.AcctOutputPackets, c.txPackets >>> 0),
      );
    }
    if (status === AcctStatusType.Stop) {
      attrs.push(makeAttribute(Attr.AcctTerminateCause, AcctTerminateCause[r.cause ?? 'NasError']));
    }
    this.o.client.account(attrs, now);
  }

  /** The grants of an Access-Accept (rules above). */
  private authorize(a: readonly RadiusAttribute[]): RadiusAuthorization {
    const ip = getIpaddr(a, Attr.FramedIpAddress);
    const ms = (t: number) => getIpaddr(a, t, VENDOR_MICROSOFT);
    const pair = (x: string | undefined, y: string | undefined) => [x, y].filter((v): v is string => v !== undefined);
    const dns = pair(ms(MsAttr.PrimaryDnsServer), ms(MsAttr.SecondaryDnsServer));
    const nbns = pair(ms(MsAttr.PrimaryNbnsServer), ms(MsAttr.SecondaryNbnsServer));
    const interim = getInteger(a, Attr.AcctInterimInterval);
    const opt = <K extends string, V>(k: K, v: V | undefined) =>
      v === undefined ? {} : ({ [k]: v } as { [P in K]: V });
    return {
      framedIp: ip === undefined || ip === NAS_SELECTS || ip === USER_SELECTS ? 'pool' : ip,
      ...(dns.length > 0 && { dns }),
      ...(nbns.length > 0 && { nbns }),
      ...opt('sessionTimeoutS', getInteger(a, Attr.SessionTimeout)),
      ...opt('idleTimeoutS', getInteger(a, Attr.IdleTimeout)),
      ...opt('interimS', interim === undefined || interim === 0 ? undefined : Math.max(this.minInterim, interim)),
      classes: findAll(a, Attr.Class).map((c) => c.value.slice()),
      ...opt('framedMtu', getInteger(a, Attr.FramedMtu)),
      ...opt('framedPool', getText(a, Attr.FramedPool)),
      routes: findAll(a, Attr.FramedRoute).flatMap((r) => {
        const p = parseFramedRoute(utf8Text(r.value));
        return p === undefined ? [] : [p];
      }),
    };
  }
}

/** The Access-Request of a deferred authentication. */
function accessRequest(v: AuthVerifyRequest, nas: NasIdentity): AccessRequest {
  switch (v.method) {
    case 'pap':
      return papRequest(v.user, v.password, nas);
    case 'chap-md5':
      return chapMd5Request(v.user, v.identifier, v.challenge, v.response, nas);
    case 'mschapv2':
      return msChapV2Request(
        v.user,
        v.identifier,
        v.authenticatorChallenge,
        v.peerChallenge,
        v.ntResponse,
        nas,
        v.flags,
      );
  }
}

/** pppd radius_setparams: an Accept for another service is a failure. */
function checkService(a: readonly RadiusAttribute[]): string | undefined {
  const service = getInteger(a, Attr.ServiceType);
  if (service !== undefined && service !== ServiceType.Framed) return `wrong Service-Type ${service}`;
  const protocol = getInteger(a, Attr.FramedProtocol);
  if (protocol !== undefined && protocol !== FramedProtocol.Ppp) return `wrong Framed-Protocol ${protocol}`;
  return undefined;
}

/** NAS-Identifier / NAS-IP-Address for Accounting-On/Off (no session attributes). */
function identity(nas: { nasIdentifier?: string | undefined; nasIpAddress?: string | undefined }): RadiusAttribute[] {
  return [
    ...(nas.nasIdentifier === undefined ? [] : [makeAttribute(Attr.NasIdentifier, nas.nasIdentifier)]),
    ...(nas.nasIpAddress === undefined ? [] : [makeAttribute(Attr.NasIpAddress, nas.nasIpAddress)]),
  ];
}

/**
 * RFC 2865 §5.22 Framed-Route: "<destination>[/<bits>] <gateway> [metrics]" (FreeRADIUS writes
 * "10.9.0.0/24 0.0.0.0 1"); the destination as a prefix, undefined when unreadable.
 */
export function parseFramedRoute(text: string): { network: number; prefixLength: number } | undefined {
  const dest = text.trim().split(/\s+/)[0] ?? '';
  const [addr, bits] = dest.split('/');
  const a = parseIpv4(addr ?? '');
  const n = bits === undefined ? 32 : /^\d{1,2}$/.test(bits) ? Number(bits) : Number.NaN;
  if (a === undefined || !(n >= 0 && n <= 32)) return undefined;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return { network: (a & mask) >>> 0, prefixLength: n };
}
