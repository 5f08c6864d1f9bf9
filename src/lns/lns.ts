// The LNS, sans-IO: an L2TP Endpoint in the LNS role, a PppLink per session (authenticator side),
// CHAP/PAP authentication against the users table, IPCP addresses from the pool, and the IP
// packets that come out of it. src/io drives it over UDP and a TUN device (or the userspace
// responder). The role policy only: the bridge to PPP is ../session/ppp-over-l2tp.ts; the LNS
// adds routing by destination address to its data path, admission of inner source addresses,
// the session limits (Network phase, pppd idle/maxconnect) and authentication throttling.
// Related: address-pool.ts, auth-throttle.ts, config/settings.ts, userspace-responder.ts.
import { type AuthMethodName, authServerOffer } from '../chap/methods.js';
import { u32 } from '../core/bytes.js';
import type { Engine, PeerAddress, Transmit } from '../core/engine.js';
import { Fifo } from '../core/fifo.js';
import { formatIpv4, parseIpv4 } from '../core/ipv4.js';
import { formatIpv6, Ipv6Field, icmpv6EchoReply, interfaceIdFromText, isLinkScope, linkLocalOf } from '../core/ipv6.js';
import type { Random } from '../core/random.js';
import { clampMss, mssForMtu } from '../core/tcp-mss.js';
import type { Instant } from '../core/time.js';
import { Endpoint, type EndpointOptions, type L2tpEvent } from '../l2tp/endpoint.js';
import { CdnResult, ErrorCode, StopCcnResult } from '../l2tp/wire/result-codes.js';
import { CauseDirection, GlobalCause } from '../l2tp/wire/session-avps.js';
import { LinkDownCause, type PppEvent, PppLink, type PppLinkOptions } from '../ppp/link.js';
import {
  type DaeOutcome,
  type DaeRequest,
  ErrorCause,
  type RadiusClient,
  type RadiusClientEvent,
} from '../radius/index.js';
import {
  type IpPacket,
  type IpSink,
  PppOverL2tp,
  type PppSession,
  type SessionCounters,
  type SessionDropReason,
} from '../session/ppp-over-l2tp.js';
import { sessionKey } from '../session/session-key.js';
import type { AddressPool } from './address-pool.js';
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';
import { coaSessionTimeoutS, selects } from './dynamic-authorization.js';
import { Ipv6Prefixes } from './ipv6-prefixes.js';
import { Ipv6Sessions } from './ipv6-sessions.js';
import { anyL2tpDebug, L2tpDebug, type L2tpDebugEvent, type L2tpDebugFlags } from './l2tp-debug.js';
import { RadiusAaa, type RadiusUsage, type TerminateCause } from './radius-aaa.js';
import { RoutedPrefixes } from './routed-prefixes.js';
import { respondWithin } from './userspace-responder.js';

/** A user from chap-secrets: the secret and, optionally, the static address column. */
export interface LnsUser {
  readonly secret: string;
  readonly staticAddress?: string;
}

/** Everything the LNS engine needs; src/cli builds it from LnsSettings. */
export interface LnsEngineOptions {
  readonly random: Random;
  /** Host Name AVP and the CHAP name (xl2tpd `hostname`, pppd `name`). */
  readonly hostName: string;
  readonly chapName?: string;
  readonly endpoint?: Partial<Omit<EndpointOptions, 'role' | 'hostName' | 'random'>>;
  /** Accepted methods in preference order; empty: no authentication (pppd `noauth`). */
  readonly auth: readonly AuthMethodName[];
  /** chap-secrets lookup by user name (the server column already matched). */
  readonly users: (user: string) => LnsUser | undefined;
  readonly pool: AddressPool;
  /** Our IPCP address (xl2tpd `local ip`). */
  readonly localAddress: string;
  /**
   * xl2tpd `local ip range`: each session's own local IPCP address, taken when its call connects
   * (ICCN, as xl2tpd does) and returned at teardown. None left: the call is cleared at once with
   * CDN 2/4 "No available local IP addresses" (xl2tpd control.c get_local_addr). Absent: every
   * session uses localAddress.
   */
  readonly localPool?: AddressPool;
  /**
   * TCP MSS clamping in both directions (l2tpns `tcp_mss_adjust`): 'auto' fits the session's MTU
   * (see mssFor), a number is the MSS itself; absent: packets pass unchanged.
   */
  readonly mssClamp?: 'auto' | number;
  /** Pools RADIUS Framed-Pool can name (RFC 2869 §5.18); an unknown name gets no address. */
  readonly namedPools?: ReadonlyMap<string, AddressPool>;
  readonly dns?: readonly string[];
  readonly nbns?: readonly string[];
  readonly mtu?: number;
  readonly mru?: number;
  readonly echoIntervalMs?: number;
  readonly echoFailure?: number;
  /** pppd lcp-restart / lcp-max-configure / lcp-max-terminate / lcp-max-failure (RFC 1661 §4.6). */
  readonly restartMs?: number;
  readonly maxConfigure?: number;
  readonly maxTerminate?: number;
  readonly maxFailure?: number;
  /** pppd chap-restart: CHAP Challenge retransmission interval. */
  readonly chapRestartMs?: number;
  /** pppd pap-timeout: how long to wait for an Authenticate-Request; 0 or absent: no limit. */
  readonly papTimeoutMs?: number;
  readonly ipv6?: boolean;
  /**
   * IPv6 (issue 12 item 5): the pool each session's /64 comes from (JSON `ipv6Pool`, a /32 to a
   * /63; its first /64 is the LNS's, address <pool>::1), announced by Router Advertisement when
   * IPv6CP opens. Absent: link-local only.
   */
  readonly ipv6Pool?: string;
  /** pppd `debug` or xl2tpd `ppp debug`: pppd-style packet lines as 'log' events. */
  readonly pppDebug?: boolean;
  /** xl2tpd `debug avp/network/packet/tunnel/state`: L2TP lines as 'l2tp-debug' events (l2tp-debug.ts). */
  readonly l2tpDebug?: L2tpDebugFlags;
  /**
   * One session per user name (accel-ppp's `single-session`): a second login of a user who holds
   * an address gets none, so its IPCP fails. Off by default; xl2tpd's `exclusive` is not this.
   */
  readonly singleSession?: boolean;
  /**
   * A session that has not reached the PPP Network phase (IPCP Opened) this long after its call
   * came up is cleared with a CDN (default 60 000 ms; 0: no limit). Without it a peer can hold a
   * call, its PPP state and its timers for ever by never finishing LCP, authentication or IPCP.
   */
  readonly networkPhaseTimeoutMs?: number;
  /** pppd `idle`: clear a session with no IP packet either way for this long (0 or absent: off). */
  readonly idleTimeoutMs?: number;
  /** pppd `maxconnect`: clear a session this long after IPCP opened (0 or absent: off). */
  readonly maxConnectMs?: number;
  /** Refuse authentication after repeated failures per user name and per peer address. */
  readonly authThrottle?: AuthThrottleOptions;
  /** Reject CCP (pppd `nomppe`/`noccp`): MPPE is not offered. */
  readonly rejectCcp?: boolean;
  /** xl2tpd `length bit`: set L in data messages. */
  readonly dataLengthBit?: boolean;
  /** xl2tpd `flow bit`: our data messages carry Ns from the start (RFC 2661 §5.4, the LNS controls it). */
  readonly sequencing?: boolean;
  /** No TUN: answer ICMP/UDP echo to our addresses in-process, drop the rest. */
  readonly userspace?: boolean;
  /**
   * RADIUS decides authentication (`users` is not consulted) and gets accounting: the client is
   * driven by src/io on its own socket, which feeds its events to handleRadiusEvent.
   */
  readonly radius?: {
    readonly client: RadiusClient;
    /** NAS-Identifier; with neither it nor nasIpAddress, the host name. */
    readonly nasIdentifier?: string;
    readonly nasIpAddress?: string;
    /** Accounting servers are configured. */
    readonly accounting: boolean;
    readonly minInterimSeconds?: number;
  };
}

/** What happened, for logs, `ctl` and library users. */
export type LnsEvent =
  | { type: 'tunnel-up'; tunnelId: number; peer: PeerAddress; peerHostName: string }
  | {
      type: 'tunnel-down';
      tunnelId: number;
      peer: PeerAddress;
      resultCode: number;
      errorCode?: number;
      message?: string;
      initiator: 'local' | 'peer';
    }
  | { type: 'session-started'; tunnelId: number; sessionId: number; peer: PeerAddress }
  | {
      type: 'session-up';
      tunnelId: number;
      sessionId: number;
      peer: PeerAddress;
      user?: string;
      address: string;
      localAddress: string;
      dns: readonly string[];
      /** Prefixes routed to the session beside its address (RADIUS Framed-Route), as CIDR. */
      routes?: readonly string[];
    }
  | {
      type: 'session-down';
      tunnelId: number;
      sessionId: number;
      user?: string;
      address?: string;
      reason: string;
      resultCode?: number;
      /** The session's final counters (as `ctl sessions` showed them). */
      counters?: SessionCounters;
    }
  | { type: 'auth-failed'; tunnelId: number; sessionId: number; user?: string; reason: string }
  /** A user name or peer address is refused for a while after repeated failures (once per block). */
  | { type: 'auth-blocked'; kind: 'user' | 'address'; value: string; failures: number; forMs: number }
  /** No address for a session: its peer address (`ip range`), or with `pool: 'local'` its local one (`local ip range`). */
  | {
      type: 'pool-exhausted';
      tunnelId: number;
      sessionId: number;
      user?: string;
      /** 'local': the `local ip range`; otherwise the Framed-Pool name, absent for `ip range`. */
      pool?: string;
      /** The Framed-Pool names no configured pool. */
      unknown?: boolean;
    }
  /** IPv6CP opened (issue 12 item 5): the session's /64 (CIDR, when the pool gave one) and link-local addresses. */
  | {
      type: 'session-ipv6-up';
      tunnelId: number;
      sessionId: number;
      prefix?: string;
      localLinkLocal: string;
      peerLinkLocal: string;
    }
  | { type: 'session-ipv6-down'; tunnelId: number; sessionId: number; prefix?: string }
  | { type: 'log'; tunnelId: number; sessionId: number; text: string }
  | L2tpDebugEvent
  | { type: 'datagram-dropped'; reason: string; peer: PeerAddress };

/** One row of `ctl sessions`. */
export interface SessionInfo {
  tunnelId: number;
  sessionId: number;
  peer: PeerAddress;
  user?: string;
  address?: string;
  state: 'negotiating' | 'up' | 'closing';
  uptimeMs: number;
  counters: SessionCounters;
  /** Datagrams and packets refused by admission, per reason. */
  dropped: Record<SessionDropReason, number>;
}

/** The LNS engine: Engine<LnsEvent> plus the IP side (TUN or userspace responder). */
export class LnsEngine implements Engine<LnsEvent> {
  private readonly bridge: PppOverL2tp;
  private readonly events = new Fifo<LnsEvent>();
  /** Peer IPv4 address (as a number) → session, for packets from the TUN device. */
  private readonly byAddress = new Map<number, PppSession>();
  private readonly localAddressNumber: number;
  /** Why PPP finished, per session key, for the session-down event (else 'call cleared'). */
  private readonly downReasons = new Map<number, string>();

  /** Failures per user name and peer address (authentication hardening). */
  private readonly throttle: AuthThrottle;
  /** Sessions whose authentication attempt was refused by the throttle (for the auth-failed reason). */
  private readonly throttled = new Set<number>();
  /** `mssClamp` on the fast path peer → TUN: the caller's sink, behind one clamping sink made once. */
  private clampTo: IpSink | undefined;
  private readonly clampingSink: IpSink = (packet, session) => {
    clampMss(packet, 0, packet.length, this.mssFor(session), this.mssIpv6Less);
    this.clampTo?.(packet, session);
  };
  /** RADIUS Framed-Route prefixes of the sessions that are up. */
  private readonly routed = new RoutedPrefixes<PppSession>();
  /** Sessions whose address came from a named pool (Framed-Pool), to release it there. */
  private readonly namedPoolOf = new Map<number, AddressPool>();
  /** RADIUS logins refused by the throttle, waiting for their verdict (completeRefusals). */
  private readonly refusals = new Fifo<number>();
  /** The `now` of the input being handled: the users lookup has no clock of its own. */
  private now: Instant = 0;
  /** RADIUS authentication and accounting (see radius-aaa.ts), when configured. */
  private readonly aaa: RadiusAaa | undefined;
  /** xl2tpd's debug keys; undefined when all are off (then nothing is formatted). */
  private readonly dbg: L2tpDebug | undefined;
  /** IPv6 (issue 12 item 5): /64s, Router Advertisements, our link-local addresses. */
  private readonly ipv6: Ipv6Sessions;
  /** What every PppLink of this engine is built with (see buildLinkOptions). */
  private readonly linkOptions: PppLinkOptions;

  constructor(private readonly opts: LnsEngineOptions) {
    this.throttle = new AuthThrottle(opts.authThrottle);
    this.ipv6 = new Ipv6Sessions({ pool: opts.ipv6Pool, mtu: opts.mtu });
    const o = opts;
    const r = o.radius;
    this.aaa =
      r &&
      new RadiusAaa({
        client: r.client,
        random: o.random,
        accounting: r.accounting,
        minInterimSeconds: r.minInterimSeconds,
        ...(r.nasIpAddress !== undefined && { nasIpAddress: r.nasIpAddress }),
        ...((r.nasIdentifier !== undefined || r.nasIpAddress === undefined) && {
          nasIdentifier: r.nasIdentifier ?? o.hostName,
        }),
      });
    const dbg = anyL2tpDebug(opts.l2tpDebug)
      ? new L2tpDebug(
          opts.l2tpDebug ?? {},
          (e) => this.push(e),
          () => this.bridge.endpoint,
        )
      : undefined;
    this.dbg = dbg;
    const endpoint = new Endpoint({
      ...opts.endpoint,
      ...(dbg?.observesSteps === true && { onTransition: dbg.transition.bind(dbg) }),
      role: 'lns',
      hostName: opts.hostName,
      random: opts.random,
    });
    this.localAddressNumber = parseIpv4(opts.localAddress) ?? 0;
    this.linkOptions = this.buildLinkOptions();
    this.bridge = new PppOverL2tp(endpoint, {
      dataLengthBit: opts.dataLengthBit,
      sendSequenced: opts.sequencing === true,
      admitSources: true,
      limits: {
        networkPhaseTimeoutMs: positive(opts.networkPhaseTimeoutMs ?? 60_000),
        idleTimeoutMs: positive(opts.idleTimeoutMs),
        maxConnectMs: positive(opts.maxConnectMs),
      },
      createLink: (handle, e) => {
        const key = sessionKey(handle.tunnelId, handle.sessionId);
        this.aaa?.sessionStarted(key, {
          sessionId: handle.sessionId,
          peerAddress: handle.peer.address,
          ...(e.callingNumber !== undefined && { callingNumber: e.callingNumber }),
          ...(e.calledNumber !== undefined && { calledNumber: e.calledNumber }),
        });
        return new PppLink(this.linkOptions, key);
      },
      onPppEvent: (session, e, now) => {
        this.onRadiusPppEvent(session, e, now);
        this.onPppEvent(session, e);
      },
      onL2tpEvent: (e, now) => this.onL2tpEvent(e, now),
      onSessionClosed: (session, now) => {
        this.aaa?.sessionDown(session.key, usageOf(session), now);
        this.onSessionClosed(session);
      },
    });
  }

  /** The L2TP endpoint (for tests and `ctl`). */
  get endpoint(): Endpoint {
    return this.bridge.endpoint;
  }

  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void {
    this.now = now;
    this.dbg?.received(bytes, from);
    this.bridge.handleDatagram(bytes, from, now);
    this.completeRefusals(now);
    this.answerIp();
  }

  handleTimeout(now: Instant): void {
    this.now = now;
    this.bridge.handleTimeout(now);
    this.ipv6.handleTimeout(now, (session, ra) => this.bridge.sendIp(session, ra)); // periodic RAs (issue 12 item 5)
    this.completeRefusals(now);
    this.aaa?.handleTimeout(now, (key) => {
      const s = this.bridge.sessions.get(key);
      return s === undefined ? undefined : usageOf(s);
    });
    this.answerIp();
  }

  pollTransmit(): Transmit | undefined {
    const t = this.bridge.pollTransmit();
    if (t !== undefined) this.dbg?.sent(t.bytes, t.to);
    return t;
  }

  pollTimeout(): Instant | undefined {
    const a = this.bridge.pollTimeout();
    const b = this.aaa?.pollTimeout();
    const c = this.ipv6.pollTimeout(); // periodic RAs (issue 12 item 5)
    const ab = a === undefined ? b : b === undefined ? a : Math.min(a, b);
    return ab === undefined ? c : c === undefined ? ab : Math.min(ab, c);
  }

  // --- RADIUS hooks (radius-aaa.ts holds the policy; these only connect it to the sessions) ---

  /** The RADIUS client's events (src/io drives the client on its own socket): verdicts reach links. */
  handleRadiusEvent(e: RadiusClientEvent, now: Instant): void {
    const d = this.aaa?.handleClientEvent(e);
    if (d === undefined) return;
    const session = this.bridge.sessions.get(d.key);
    if (session === undefined) return;
    const a = d.authorization;
    if (a !== undefined) {
      if (a.sessionTimeoutS !== undefined) session.sessionTimeoutS = a.sessionTimeoutS;
      if (a.idleTimeoutS !== undefined) session.idleTimeoutS = a.idleTimeoutS;
      // RADIUS Framed-Route: the routed prefixes the session may send from (data-path admission).
      if (a.routes.length > 0) {
        session.allowedSources = a.routes.map((r) => ({ address: r.network, length: r.prefixLength }));
      }
    }
    this.bridge.withLink(session, now, (link) => link.completeAuth(d.verdict, now));
  }

  /** The LNS starts (Accounting-On, RFC 2866 §5.1) or stops (Accounting-Off). */
  announceAccounting(on: boolean, now: Instant): void {
    this.aaa?.accountingOnOff(on, now);
  }

  /** Why a session ends, for its Acct-Terminate-Cause (e.g. 'IdleTimeout' from the idle timer). */
  noteTerminateCause(tunnelId: number, sessionId: number, cause: TerminateCause): void {
    this.aaa?.noteCause(sessionKey(tunnelId, sessionId), cause);
  }

  /** The Acct-Session-Id of a session (RADIUS only). */
  acctSessionId(tunnelId: number, sessionId: number): string | undefined {
    return this.aaa?.acctSessionId(sessionKey(tunnelId, sessionId));
  }

  private onRadiusPppEvent(session: PppSession, e: PppEvent, now: Instant): void {
    const aaa = this.aaa;
    if (aaa === undefined) return;
    if (e.type === 'auth-verify') {
      // The throttle covers RADIUS logins too: a blocked name or address is refused here, as a
      // wrong password is, and the server is not asked (a guesser cannot load it either).
      if (this.throttle.blocked(e.request.user, session.handle.peer.address, now)) {
        this.throttled.add(session.key);
        this.refusals.push(session.key);
      } else {
        aaa.verify(session.key, e.request, now);
      }
    } else if (e.type === 'link-up') aaa.sessionUp(session.key, usageOf(session), now);
    else if (e.type === 'link-down') aaa.noteCause(session.key, terminateCauseOf(e));
  }

  /**
   * Verdicts for the RADIUS logins the throttle refused while their link was reporting events
   * (the link is not re-entered from its own event): each is judged as an Access-Reject is.
   */
  private completeRefusals(now: Instant): void {
    for (let key = this.refusals.shift(); key !== undefined; key = this.refusals.shift()) {
      const session = this.bridge.sessions.get(key);
      if (session === undefined) continue;
      this.bridge.withLink(session, now, (link) => link.completeAuth({ ok: false, reason: 'refused' }, now));
    }
  }

  pollEvent(): LnsEvent | undefined {
    return this.events.shift();
  }

  // The data path: one fast pair (in place) and one slow pair, as in ../session/ppp-over-l2tp.ts,
  // with the LNS's routing (TUN → the session holding the destination address) on the way out.

  /**
   * Fast path, peer → TUN: an IPv4 packet of an open session goes straight to `sink` (a subarray
   * of `bytes`, valid during the call); one from a host other than the tunnel's peer, or with a
   * source address the session may not use, is counted and dropped (also true). False for anything
   * else (control messages, PPP control frames, userspace mode): then call handleDatagram with a copy.
   */
  deliverInPlace(bytes: Uint8Array, from: PeerAddress, now: Instant, sink: IpSink): boolean {
    if (this.opts.userspace) return false;
    let to = sink;
    if (this.opts.mssClamp !== undefined) {
      this.clampTo = sink;
      to = this.clampingSink;
    }
    const done = this.bridge.deliverInPlace(bytes, from, now, to);
    if (done && this.dbg !== undefined) this.dbg.received(bytes, from);
    return done;
  }

  /**
   * Fast path, TUN → peer: the IPv4 packet at buf[at, at + length) is encapsulated in place (the
   * headers go into the headroom before `at`) and handed to `send` with its peer. False when no
   * session holds the destination address or the headroom is too small.
   */
  encapsulateInPlace(
    buf: Uint8Array,
    at: number,
    length: number,
    send: (datagram: Uint8Array, to: PeerAddress) => void,
  ): boolean {
    const session = this.route(buf, at, length);
    if (session === undefined) return false;
    if (this.opts.mssClamp !== undefined) clampMss(buf, at, length, this.mssFor(session), this.mssIpv6Less);
    const datagram = this.bridge.encapsulateInPlace(session, buf, at, length);
    if (datagram === undefined) return false;
    this.dbg?.sent(datagram, session.handle.peer);
    send(datagram, session.handle.peer);
    return true;
  }

  /**
   * Slow path, peer → TUN: the next IPv4 packet for the TUN device, with its session (a copy the
   * caller owns). Never one in userspace mode, where the responder has answered them.
   */
  pollIpPacket(): IpPacket | undefined {
    let p = this.bridge.pollIpPacket();
    // IPv6 (issue 12 item 5): link-scope destinations are answered here and never reach the TUN device.
    while (p !== undefined && this.answeredLinkScope(p)) p = this.bridge.pollIpPacket();
    if (p === undefined) return undefined;
    const packet = p.packet.slice();
    if (this.opts.mssClamp !== undefined) clampMss(packet, 0, packet.length, this.mssFor(p.session), this.mssIpv6Less);
    return { session: p.session, packet };
  }

  /**
   * Slow path, TUN → peer: an IP packet to the session that holds its destination address
   * (with `mssClamp`, a TCP SYN's MSS is lowered in `packet` itself).
   */
  sendIp(packet: Uint8Array): boolean {
    const session = this.route(packet, 0, packet.length);
    if (session === undefined) return false;
    if (this.opts.mssClamp !== undefined) clampMss(packet, 0, packet.length, this.mssFor(session), this.mssIpv6Less);
    return this.bridge.sendIp(session, packet);
  }

  /**
   * `mssClamp`: the largest MSS a SYN through this session may carry. 'auto': what fits the
   * smallest of the peer's MRU and our MTU and MRU (IPv4 + TCP headers off; an IPv6 SYN gets
   * 20 less, mssIpv6Less). A number N is N for both, as iptables' `--set-mss`.
   */
  private get mssIpv6Less(): number {
    return this.opts.mssClamp === 'auto' ? 20 : 0;
  }

  private mssFor(session: PppSession): number {
    const c = this.opts.mssClamp;
    if (c !== 'auto') return c ?? 65_535;
    return mssForMtu(Math.min(session.link.peerMru, this.opts.mtu ?? 1500, this.opts.mru ?? 1500));
  }

  /** The session whose peer address is the destination of the IPv4 packet at buf[at, at + length). */
  /**
   * TUN offload (issue 13 items 1, 4): the largest IP packet the session routed for
   * buf[at, at + length) may be sent: the smallest of the peer's MRU and our MTU. `fallback` when
   * no session holds the destination (the packet is dropped later anyway).
   */
  mtuFor(buf: Uint8Array, at: number, length: number, fallback: number): number {
    const session = this.route(buf, at, length);
    if (session === undefined) return fallback;
    return Math.min(session.link.peerMru, this.opts.mtu ?? 1500);
  }

  private route(buf: Uint8Array, at: number, length: number): PppSession | undefined {
    if (buf[at]! >> 4 === 6) return length < 40 ? undefined : this.ipv6.route(buf, at); // by /64 (issue 12 item 5)
    if (length < 20 || buf[at]! >> 4 !== 4) return undefined;
    const dst = u32(buf, at + 16);
    return this.byAddress.get(dst) ?? (this.routed.size === 0 ? undefined : this.routed.lookup(dst));
  }

  /** Sends StopCCN to every peer (shutdown) at once. */
  closeAll(now: Instant, message = 'LNS shutting down'): void {
    this.closeSome(now, Number.POSITIVE_INFINITY, message);
  }

  /**
   * closeAll in slices of about `maxSessions` sessions (see Endpoint.closeSome): the driver drains
   * and yields between calls, so that shutting down a large LNS never holds its event loop for
   * long. True once every tunnel has been sent its StopCCN. New tunnels are refused from the first call.
   */
  closeSome(now: Instant, maxSessions: number, message = 'LNS shutting down'): boolean {
    const aaa = this.aaa;
    const noteReboot =
      aaa === undefined
        ? undefined
        : (tunnelId: number, sessionIds: Iterable<number>): void => {
            for (const sid of sessionIds) aaa.noteCause(sessionKey(tunnelId, sid), 'NasReboot');
          };
    const reason = { resultCode: StopCcnResult.ShuttingDown, message };
    return this.bridge.withEndpoint(now, (e) => e.closeSome(reason, now, maxSessions, noteReboot));
  }

  /**
   * RFC 5176: a checked Disconnect-Request or CoA-Request (../radius/dae-server.ts) acts on every
   * session it selects. Disconnect: as `ctl disconnect` (LCP Terminate, CDN, Acct-Terminate-Cause
   * Admin-Reset). CoA: Session-Timeout / Idle-Timeout become the session's (see
   * dynamic-authorization.ts). No session selected: NAK Session-Context-Not-Found.
   */
  dynamicAuthorization(r: DaeRequest, now: Instant): DaeOutcome {
    const hit: PppSession[] = [];
    for (const s of this.bridge.sessions.values()) {
      if (s.closing) continue;
      const facts = {
        nasPort: s.handle.sessionId,
        ...(s.user !== undefined && { userName: s.user }),
        ...(s.peerAddress !== undefined && { framedIpAddress: s.peerAddress }),
        ...(this.aaa !== undefined && {
          acctSessionId: this.aaa.acctSessionId(s.key),
          callingStationId: this.aaa.callingStationId(s.key),
        }),
      };
      if (selects(r.select, facts)) hit.push(s);
    }
    if (hit.length === 0) return { ok: false, errorCause: ErrorCause.SessionContextNotFound };
    for (const s of hit) {
      if (r.kind === 'disconnect') {
        this.disconnectSession(s.handle.tunnelId, s.handle.sessionId, now);
        continue;
      }
      if (r.sessionTimeoutS !== undefined) {
        const upFor = s.upAt === undefined ? undefined : (now - s.upAt) / 1000;
        s.sessionTimeoutS = coaSessionTimeoutS(r.sessionTimeoutS, upFor);
      }
      if (r.idleTimeoutS !== undefined) s.idleTimeoutS = r.idleTimeoutS;
      this.bridge.limitsChanged(s);
    }
    return { ok: true, sessions: hit.length };
  }

  /** Disconnects one session (CDN, result 3 administrative). */
  disconnectSession(tunnelId: number, sessionId: number, now: Instant): boolean {
    const session = this.bridge.sessions.get(sessionKey(tunnelId, sessionId));
    if (session === undefined) return false;
    this.aaa?.noteCause(session.key, 'AdminReset');
    session.link.close('Administrative disconnect', now);
    this.bridge.disconnect(
      session,
      {
        resultCode: CdnResult.Administrative,
        message: 'Administrative disconnect',
        cause: { code: GlobalCause.AdministrativeDisconnect, protocol: 0, direction: CauseDirection.Local },
      },
      now,
    );
    return true;
  }

  /** Tears down one tunnel (StopCCN, result 1). */
  disconnectTunnel(tunnelId: number, now: Instant): boolean {
    const known = [...this.bridge.endpoint.tunnels()].some((t) => t.tunnelId === tunnelId);
    if (!known) return false;
    this.bridge.withEndpoint(now, (e) =>
      e.close(tunnelId, { resultCode: StopCcnResult.GeneralClear, message: 'Administrative' }, now),
    );
    return true;
  }

  /** Every session, for `ctl`. */
  sessions(now: Instant): SessionInfo[] {
    return [...this.bridge.sessions.values()].map((s) => ({
      tunnelId: s.handle.tunnelId,
      sessionId: s.handle.sessionId,
      peer: s.handle.peer,
      user: s.user,
      address: s.peerAddress,
      state: s.closing ? 'closing' : s.upAt !== undefined ? 'up' : 'negotiating',
      uptimeMs: now - s.startedAt,
      counters: { ...s.counters },
      dropped: { ...s.dropped },
    }));
  }

  /**
   * The aggregate counters a metrics scrape reads, each O(1) whatever the number of sessions:
   * sessions held, the pool, drops by reason, PPP frames and octets of every session (ended ones
   * included) and control-channel retransmissions.
   */
  counters(): {
    sessions: number;
    addressesInUse: number;
    poolSize: number;
    halfOpenTunnels: number;
    dropped: Readonly<Record<string, number>>;
    traffic: Readonly<SessionCounters>;
    controlRetransmissions: number;
  } {
    const endpoint = this.bridge.endpoint;
    return {
      sessions: this.bridge.sessions.size,
      addressesInUse: this.opts.pool.inUse,
      poolSize: this.opts.pool.size,
      halfOpenTunnels: endpoint.halfOpenTunnels,
      dropped: this.bridge.dropped,
      traffic: this.bridge.totals,
      controlRetransmissions: endpoint.controlStats.retransmissions,
    };
  }

  /** Counts for `ctl status`. */
  status(): {
    tunnels: number;
    sessions: number;
    addressesInUse: number;
    poolSize: number;
    dropped: object;
    auth: { refused: number; trackedUsers: number; trackedAddresses: number };
  } {
    const tracked = this.throttle.tracked;
    return {
      // Tunnels lingering after StopCCN (RFC 2661 §5.7, state 'closing') are gone for the operator.
      tunnels: [...this.bridge.endpoint.tunnels()].filter((t) => t.state !== 'closing' && t.state !== 'closed').length,
      sessions: this.bridge.sessions.size,
      addressesInUse: this.opts.pool.inUse + sumOf(this.opts.namedPools, (p) => p.inUse),
      poolSize: this.opts.pool.size + sumOf(this.opts.namedPools, (p) => p.size),
      dropped: { ...this.bridge.dropped },
      auth: { refused: this.throttle.refused, trackedUsers: tracked.users, trackedAddresses: tracked.addresses },
    };
  }

  /**
   * The options every link of this engine shares (issue 10: nothing per session but the link
   * itself): the link's tag is its session key, which the lookup and assignAddress receive.
   */
  private buildLinkOptions(): PppLinkOptions {
    const o = this.opts;
    const ctx = {
      random: o.random,
      name: o.chapName ?? o.hostName,
      lookup: (user: string, key: number) => this.lookupSecret(user, key),
      // With RADIUS the server judges (pppd's radius plugin): the engines hand the Response out.
      external: this.aaa !== undefined,
      chapRestartMs: o.chapRestartMs,
      papTimeoutMs: o.papTimeoutMs,
    };
    return {
      role: 'lns',
      random: o.random,
      mru: o.mru,
      authServers: o.auth.map((m) => authServerOffer(m, ctx)),
      assignAddress: (user, key) => this.assignAddress(key, user),
      dns: o.dns,
      nbns: o.nbns,
      ipv6: o.ipv6,
      echoIntervalMs: o.echoIntervalMs,
      echoFailure: o.echoFailure,
      restartMs: o.restartMs,
      maxConfigure: o.maxConfigure,
      maxTerminate: o.maxTerminate,
      maxFailure: o.maxFailure,
      rejectProtocols: o.rejectCcp ? [0x80fd] : [],
      debug: o.pppDebug,
    };
  }

  /**
   * The secret of `user` for the session `key`: the session's peer address lets the throttle
   * refuse it. A refused attempt looks up no secret and so is judged as an unknown user is: the
   * same work and the same Failure as a wrong password (see auth-throttle.ts).
   */
  private lookupSecret(user: string, key: number): string | undefined {
    const peerAddress = this.bridge.sessions.get(key)?.handle.peer.address;
    if (peerAddress === undefined) return undefined;
    if (this.throttle.blocked(user, peerAddress, this.now)) {
      this.throttled.add(key);
      return undefined;
    }
    return this.opts.users(user)?.secret;
  }

  private assignAddress(key: number, user: string | undefined): { local: string; peer: string } | undefined {
    const session = this.bridge.sessions.get(key);
    const o = this.opts;
    // singleSession: one session per user (a second login is refused an address, so IPCP fails).
    if (
      o.singleSession &&
      user !== undefined &&
      o.pool.userInUse(user) &&
      o.pool.addressOf(String(key)) === undefined
    ) {
      return undefined;
    }
    // With RADIUS the reply decides (Framed-IP-Address), never chap-secrets (pppd's radius plugin).
    const granted = this.aaa?.authorization(key);
    const framed = granted?.framedIp;
    const staticAddress =
      this.aaa !== undefined
        ? framed === 'pool'
          ? undefined
          : framed
        : user === undefined
          ? undefined
          : o.users(user)?.staticAddress;
    // RADIUS Framed-Pool picks a named pool, unless the reply named the address itself.
    const poolName = staticAddress === undefined ? granted?.framedPool : undefined;
    const pool = poolName === undefined ? o.pool : o.namedPools?.get(poolName);
    const peer = pool?.allocate(String(key), { user, staticAddress });
    if (peer === undefined) {
      if (session !== undefined) {
        this.push({
          type: 'pool-exhausted',
          tunnelId: session.handle.tunnelId,
          sessionId: session.handle.sessionId,
          user,
          ...(poolName !== undefined && { pool: poolName }),
          ...(pool === undefined && { unknown: true }),
        });
      }
      return undefined;
    }
    if (pool !== o.pool && pool !== undefined) this.namedPoolOf.set(key, pool);
    if (session !== undefined) this.byAddress.set(parseIpv4(peer) ?? 0, session);
    return {
      local: o.localPool?.addressOf(String(key)) ?? o.localAddress,
      peer,
      ...(granted?.dns !== undefined && { dns: granted.dns }),
      ...(granted?.nbns !== undefined && { nbns: granted.nbns }),
    };
  }

  private onPppEvent(session: PppSession, e: PppEvent): void {
    const { tunnelId, sessionId } = session.handle;
    switch (e.type) {
      case 'link-up': {
        // RADIUS Framed-Route: the granted prefixes are routed to this session (TUN → session here,
        // the kernel's routes into the TUN device by src/io from the event's `routes`).
        const routes = session.allowedSources;
        this.routed.remove(session);
        this.routed.add(session, routes);
        this.push({
          type: 'session-up',
          tunnelId,
          sessionId,
          peer: session.handle.peer,
          user: session.user,
          address: e.peerAddress,
          localAddress: e.localAddress,
          dns: e.dns,
          ...(routes.length > 0 && { routes: routes.map((r) => `${formatIpv4(r.address)}/${r.length}`) }),
        });
        break;
      }
      case 'auth-failed': {
        const refused = this.throttled.delete(session.key);
        const reason = refused ? 'refused: too many authentication failures for this user or address' : e.reason;
        this.push({ type: 'auth-failed', tunnelId, sessionId, user: e.user, reason });
        // A refused attempt is not a failure: it does not extend the block.
        if (refused) break;
        for (const n of this.throttle.noteFailure(e.user, session.handle.peer.address, this.now)) {
          this.push({
            type: 'auth-blocked',
            kind: n.kind,
            value: n.value,
            failures: n.failures,
            forMs: n.until - this.now,
          });
        }
        break;
      }
      case 'ipv6-up':
      case 'ipv6-down':
        this.onIpv6Event(session, e);
        break;
      case 'log':
        this.push({ type: 'log', tunnelId, sessionId, text: e.text });
        break;
      case 'link-down':
        if (!this.downReasons.has(session.key)) this.downReasons.set(session.key, e.reason);
        break;
      default:
        break;
    }
  }

  /**
   * `local ip range`: the connected call's own local address. None left: CDN 2/4 before any PPP
   * frame (xl2tpd control.c get_local_addr: set_error(ERROR_NORES) and call_close at ICCN).
   */
  private takeLocalAddress(key: number, now: Instant): void {
    const localPool = this.opts.localPool;
    const session = this.bridge.sessions.get(key);
    if (localPool === undefined || session === undefined) return;
    if (localPool.allocate(String(key)) !== undefined) return;
    const { tunnelId, sessionId } = session.handle;
    this.push({ type: 'pool-exhausted', tunnelId, sessionId, pool: 'local' });
    const message = 'No available local IP addresses';
    this.downReasons.set(key, message);
    this.bridge.disconnect(
      session,
      { resultCode: CdnResult.GeneralError, errorCode: ErrorCode.InsufficientResources, message },
      now,
    );
  }

  private onL2tpEvent(e: L2tpEvent, now: Instant): void {
    this.dbg?.l2tpEvent(e);
    switch (e.type) {
      case 'tunnel-up':
        this.push({ type: 'tunnel-up', tunnelId: e.tunnelId, peer: e.peer, peerHostName: e.peerHostName });
        break;
      case 'tunnel-down':
        this.push({
          type: 'tunnel-down',
          tunnelId: e.tunnelId,
          peer: e.peer,
          resultCode: e.resultCode,
          errorCode: e.errorCode,
          message: e.message,
          initiator: e.initiator,
        });
        break;
      case 'session-up': {
        const handle = this.bridge.endpoint.session(e.tunnelId, e.sessionId);
        if (handle !== undefined) {
          this.push({ type: 'session-started', tunnelId: e.tunnelId, sessionId: e.sessionId, peer: handle.peer });
          this.takeLocalAddress(sessionKey(e.tunnelId, e.sessionId), now);
        }
        break;
      }
      case 'datagram-dropped':
        this.push({ type: 'datagram-dropped', reason: e.reason, peer: e.peer });
        break;
      default:
        break;
    }
  }

  private onSessionClosed(session: PppSession): void {
    this.throttled.delete(session.key);
    this.opts.localPool?.release(String(session.key));
    this.routed.remove(session);
    this.ipv6.down(session); // IPv6 (issue 12 item 5): the /64 back to the pool
    const pool = this.namedPoolOf.get(session.key) ?? this.opts.pool;
    this.namedPoolOf.delete(session.key);
    const address = pool.release(String(session.key));
    if (address !== undefined) {
      const n = parseIpv4(address) ?? 0;
      if (this.byAddress.get(n) === session) this.byAddress.delete(n);
    }
    this.push({
      type: 'session-down',
      tunnelId: session.handle.tunnelId,
      sessionId: session.handle.sessionId,
      user: session.user,
      address: session.peerAddress,
      reason: this.downReasons.get(session.key) ?? 'call cleared',
      counters: { ...session.counters },
    });
    this.downReasons.delete(session.key);
  }

  /** Userspace mode: IP packets that came out of sessions are answered here (else pollIpPacket). */
  private answerIp(): void {
    if (!this.opts.userspace) return;
    for (let p = this.bridge.pollIpPacket(); p !== undefined; p = this.bridge.pollIpPacket()) {
      // The session's own local address (`local ip range`) or the LNS's.
      const own = p.session.localAddress === undefined ? undefined : parseIpv4(p.session.localAddress);
      const local = (addr: number): boolean => addr === this.localAddressNumber || addr === own;
      if (this.answeredLinkScope(p)) continue; // IPv6 (issue 12 item 5)
      if (p.packet[0]! >> 4 === 6) {
        const reply = icmpv6EchoReply(p.packet, (b, at) => this.ipv6.isLocal(p.session, b, at));
        if (reply !== undefined) this.bridge.sendIp(p.session, reply);
        continue;
      }
      for (const reply of respondWithin(p.packet, local, p.session.link.peerMru)) this.bridge.sendIp(p.session, reply);
    }
  }

  // --- IPv6 (issue 12 item 5; ipv6-sessions.ts holds the policy) ---

  /** IPv6CP opened: the /64 and the unsolicited RA; closed: the /64 back. Events for src/io's routes. */
  private onIpv6Event(session: PppSession, e: Extract<PppEvent, { type: 'ipv6-up' | 'ipv6-down' }>): void {
    const { tunnelId, sessionId } = session.handle;
    const had = session.ipv6Prefix;
    if (e.type === 'ipv6-down') {
      this.ipv6.down(session);
      this.push({ type: 'session-ipv6-down', tunnelId, sessionId, ...(had && { prefix: Ipv6Prefixes.format(had) }) });
      return;
    }
    const ra = this.ipv6.up(session, e.localId, this.now);
    const prefix = session.ipv6Prefix;
    this.push({
      type: 'session-ipv6-up',
      tunnelId,
      sessionId,
      ...(prefix && { prefix: Ipv6Prefixes.format(prefix) }),
      localLinkLocal: formatIpv6(linkLocalOf(interfaceIdFromText(e.localId))),
      peerLinkLocal: formatIpv6(linkLocalOf(interfaceIdFromText(e.peerId))),
    });
    this.bridge.sendIp(session, ra);
  }

  /** A packet from a session to a link-scope IPv6 destination: answered (RS, echo) or dropped here; true when it was one. */
  private answeredLinkScope(p: IpPacket): boolean {
    const b = p.packet;
    if (b.length < 40 || b[0]! >> 4 !== 6 || !isLinkScope(b, Ipv6Field.destination)) return false;
    const reply = this.ipv6.answerLinkScope(p.session, b, this.now);
    if (reply !== undefined) this.bridge.sendIp(p.session, reply);
    return true;
  }

  private push(e: LnsEvent): void {
    this.events.push(e);
  }
}

/** A duration option where 0 (or less) means "no limit". */
function positive(ms: number | undefined): number | undefined {
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/** A session's usage for accounting (the counters `ctl sessions` shows). */
function usageOf(s: PppSession): RadiusUsage {
  return {
    ...(s.user !== undefined && { user: s.user }),
    ...(s.peerAddress !== undefined && { framedIp: s.peerAddress }),
    counters: s.counters,
    upAt: s.upAt ?? s.startedAt,
  };
}

/** RFC 2866 §5.10 from why PPP went down (pppd radius_ip_down's mapping of its exit status). */
function terminateCauseOf(e: Extract<PppEvent, { type: 'link-down' }>): TerminateCause {
  // The session limits of ../session/ppp-over-l2tp.ts close the link with these reasons.
  if (e.reason === 'idle-timeout') return 'IdleTimeout';
  if (e.reason === 'session-timeout') return 'SessionTimeout';
  switch (e.cause) {
    case LinkDownCause.Normal:
      return e.direction === 1 ? 'UserRequest' : 'NasRequest';
    case LinkDownCause.None:
      return e.direction === 1 ? 'LostCarrier' : 'NasRequest';
    case LinkDownCause.EchoTimeout:
    case LinkDownCause.LcpTimeout:
      return 'LostCarrier';
    case LinkDownCause.Admin:
      return 'AdminReset';
    case LinkDownCause.Loopback:
      return 'PortError';
    case LinkDownCause.AuthFailed:
    case LinkDownCause.AuthTimeout:
    case LinkDownCause.AuthProtocolUnacceptable:
      return 'UserError';
    default:
      return 'NasError';
  }
}

function sumOf(pools: ReadonlyMap<string, AddressPool> | undefined, f: (p: AddressPool) => number): number {
  let n = 0;
  if (pools !== undefined) for (const p of pools.values()) n += f(p);
  return n;
}
