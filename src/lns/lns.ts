// The LNS, sans-IO: an L2TP Endpoint in the LNS role, a PppLink per session (authenticator side),
// CHAP/PAP authentication against the users table, IPCP addresses from the pool, and the IP
// packets that come out of it. src/io drives it over UDP and a TUN device (or the userspace
// responder). Related: ppp-over-l2tp.ts, address-pool.ts, config/settings.ts.
import { type AuthMethodName, authServerOffer } from '../chap/methods.js';
import type { AuthOffer } from '../core/auth-engine.js';
import { u32 } from '../core/bytes.js';
import type { Engine, PeerAddress, Transmit } from '../core/engine.js';
import { Fifo } from '../core/fifo.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { Endpoint, type EndpointOptions, type L2tpEvent } from '../l2tp/endpoint.js';
import { PppLink } from '../ppp/link.js';
import type { AddressPool } from './address-pool.js';
import { PppOverL2tp, type PppSession, type SessionCounters, sessionKey } from './ppp-over-l2tp.js';
import { respond } from './userspace-responder.js';

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
  /** pppd `debug`/`dump` or xl2tpd `ppp debug`: pppd-style packet lines as 'log' events. */
  readonly pppDebug?: boolean;
  /** One session per user name (the reading of xl2tpd `exclusive`). */
  readonly exclusive?: boolean;
  /** Reject CCP (pppd `nomppe`/`noccp`): MPPE is not offered. */
  readonly rejectCcp?: boolean;
  /** xl2tpd `length bit`: set L in data messages. */
  readonly dataLengthBit?: boolean;
  /** No TUN: answer ICMP/UDP echo to our addresses in-process, drop the rest. */
  readonly userspace?: boolean;
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
    }
  | {
      type: 'session-down';
      tunnelId: number;
      sessionId: number;
      user?: string;
      address?: string;
      reason: string;
      resultCode?: number;
    }
  | { type: 'auth-failed'; tunnelId: number; sessionId: number; user?: string; reason: string }
  | { type: 'pool-exhausted'; tunnelId: number; sessionId: number; user?: string }
  | { type: 'log'; tunnelId: number; sessionId: number; text: string }
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
}

/** The LNS engine: Engine<LnsEvent> plus the IP side (TUN or userspace responder). */
export class LnsEngine implements Engine<LnsEvent> {
  private readonly bridge: PppOverL2tp;
  private readonly events = new Fifo<LnsEvent>();
  /** Peer IPv4 address (as a number) → session, for packets from the TUN device. */
  private readonly byAddress = new Map<number, PppSession>();
  private readonly localAddressNumber: number;
  private readonly toTun = new Fifo<{ packet: Uint8Array; tunnelId: number; sessionId: number }>();
  /** Why PPP finished, per session key, for the session-down event (else 'call cleared'). */
  private readonly downReasons = new Map<number, string>();

  /** The method descriptors are the same for every link: built once, not per session. */
  private readonly authServers: readonly AuthOffer[];

  constructor(private readonly opts: LnsEngineOptions) {
    const o = opts;
    const lookup = (user: string): string | undefined => o.users(user)?.secret;
    const ctx = {
      random: o.random,
      name: o.chapName ?? o.hostName,
      lookup,
      chapRestartMs: o.chapRestartMs,
      papTimeoutMs: o.papTimeoutMs,
    };
    this.authServers = opts.auth.map((m) => authServerOffer(m, ctx));
    const endpoint = new Endpoint({
      ...opts.endpoint,
      role: 'lns',
      hostName: opts.hostName,
      random: opts.random,
    });
    this.localAddressNumber = ipv4ToNumber(opts.localAddress);
    this.bridge = new PppOverL2tp(endpoint, {
      dataLengthBit: opts.dataLengthBit,
      createLink: (handle) => this.createLink(sessionKey(handle.tunnelId, handle.sessionId)),
      onPppEvent: (session, e) => this.onPppEvent(session, e),
      onL2tpEvent: (e) => this.onL2tpEvent(e),
      onSessionClosed: (session) => this.onSessionClosed(session),
    });
  }

  /** The L2TP endpoint (for tests and `ctl`). */
  get endpoint(): Endpoint {
    return this.bridge.endpoint;
  }

  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void {
    this.bridge.handleDatagram(bytes, from, now);
    this.routeIp();
  }

  handleTimeout(now: Instant): void {
    this.bridge.handleTimeout(now);
    this.routeIp();
  }

  pollTransmit(): Transmit | undefined {
    return this.bridge.pollTransmit();
  }

  pollTimeout(): Instant | undefined {
    return this.bridge.pollTimeout();
  }

  pollEvent(): LnsEvent | undefined {
    return this.events.shift();
  }

  /**
   * Data path, peer → TUN: an IPv4 packet of an open session goes straight to `sink` (a subarray of
   * `bytes`, valid during the call). False for anything else (control messages, PPP control
   * frames, userspace mode): then call handleDatagram with a copy.
   */
  tryDeliverIp(
    bytes: Uint8Array,
    now: Instant,
    sink: (packet: Uint8Array, tunnelId: number, sessionId: number) => void,
  ): boolean {
    if (this.opts.userspace) return false;
    this.ipSink = sink;
    return this.bridge.tryDeliverIp(bytes, now, this.deliverToSink);
  }

  private ipSink: ((packet: Uint8Array, tunnelId: number, sessionId: number) => void) | undefined;
  /** Bound once, so the data path allocates no closure per packet. */
  private readonly deliverToSink = (session: PppSession, packet: Uint8Array): void => {
    this.ipSink?.(packet, session.handle.tunnelId, session.handle.sessionId);
  };

  /**
   * Data path, TUN → peer: the IPv4 packet at buf[at, at + length) is encapsulated in place (the
   * headers go into the headroom before `at`) and handed to `send` with its peer. False when no
   * session holds the destination address or the headroom is too small.
   */
  forwardIp(
    buf: Uint8Array,
    at: number,
    length: number,
    send: (datagram: Uint8Array, to: PeerAddress) => void,
  ): boolean {
    if (length < 20 || buf[at]! >> 4 !== 4) return false;
    const session = this.byAddress.get(u32(buf, at + 16));
    if (session === undefined) return false;
    const datagram = this.bridge.encapsulateIp(session, buf, at, length);
    if (datagram === undefined) return false;
    send(datagram, session.handle.peer);
    return true;
  }

  /** An IPv4 packet from the TUN device: to the session that holds its destination address. */
  handleIp(packet: Uint8Array): boolean {
    if (packet.length < 20 || packet[0]! >> 4 !== 4) return false;
    const session = this.byAddress.get(u32(packet, 16));
    if (session === undefined) return false;
    return this.bridge.sendIp(session, packet);
  }

  /** The next IPv4 packet for the TUN device, with its session (not used in userspace mode). */
  pollIp(): { packet: Uint8Array; tunnelId: number; sessionId: number } | undefined {
    return this.toTun.shift();
  }

  /** Sends StopCCN to every peer (shutdown). */
  closeAll(now: Instant, message = 'LNS shutting down'): void {
    this.bridge.withEndpoint(now, (e) => e.closeAll({ resultCode: 6, message }, now));
  }

  /** Disconnects one session (CDN, result 3 administrative). */
  disconnectSession(tunnelId: number, sessionId: number, now: Instant): boolean {
    const session = this.bridge.sessions.get(sessionKey(tunnelId, sessionId));
    if (session === undefined) return false;
    session.link.close('Administrative disconnect', now);
    this.bridge.disconnect(
      session,
      { resultCode: 3, message: 'Administrative disconnect', cause: { code: 1, protocol: 0, direction: 2 } },
      now,
    );
    return true;
  }

  /** Tears down one tunnel (StopCCN, result 1). */
  disconnectTunnel(tunnelId: number, now: Instant): boolean {
    const known = [...this.bridge.endpoint.tunnels()].some((t) => t.tunnelId === tunnelId);
    if (!known) return false;
    this.bridge.withEndpoint(now, (e) => e.close(tunnelId, { resultCode: 1, message: 'Administrative' }, now));
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
    }));
  }

  /** Counts for `ctl status`. */
  status(): { tunnels: number; sessions: number; addressesInUse: number; poolSize: number; dropped: object } {
    return {
      // Tunnels lingering after StopCCN (RFC 2661 §5.7, state 'closing') are gone for the operator.
      tunnels: [...this.bridge.endpoint.tunnels()].filter((t) => t.state !== 'closing' && t.state !== 'closed').length,
      sessions: this.bridge.sessions.size,
      addressesInUse: this.opts.pool.inUse,
      poolSize: this.opts.pool.size,
      dropped: { ...this.bridge.dropped },
    };
  }

  private createLink(key: number): PppLink {
    const o = this.opts;
    return new PppLink({
      role: 'lns',
      random: o.random,
      mru: o.mru,
      authServers: this.authServers,
      assignAddress: (user) => this.assignAddress(key, user),
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
    });
  }

  private assignAddress(key: number, user: string | undefined): { local: string; peer: string } | undefined {
    const session = this.bridge.sessions.get(key);
    const o = this.opts;
    // exclusive: one session per user (a second login is refused an address, so IPCP fails).
    if (o.exclusive && user !== undefined && o.pool.userInUse(user) && o.pool.addressOf(String(key)) === undefined) {
      return undefined;
    }
    const staticAddress = user === undefined ? undefined : o.users(user)?.staticAddress;
    const peer = o.pool.allocate(String(key), { user, staticAddress });
    if (peer === undefined) {
      if (session !== undefined) {
        this.push({
          type: 'pool-exhausted',
          tunnelId: session.handle.tunnelId,
          sessionId: session.handle.sessionId,
          user,
        });
      }
      return undefined;
    }
    if (session !== undefined) this.byAddress.set(ipv4ToNumber(peer), session);
    return { local: o.localAddress, peer };
  }

  private onPppEvent(session: PppSession, e: import('../ppp/link.js').PppEvent): void {
    const { tunnelId, sessionId } = session.handle;
    switch (e.type) {
      case 'link-up':
        this.push({
          type: 'session-up',
          tunnelId,
          sessionId,
          peer: session.handle.peer,
          user: session.user,
          address: e.peerAddress,
          localAddress: e.localAddress,
          dns: e.dns,
        });
        break;
      case 'auth-failed':
        this.push({ type: 'auth-failed', tunnelId, sessionId, user: e.user, reason: e.reason });
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

  private onL2tpEvent(e: L2tpEvent): void {
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
    const address = this.opts.pool.release(String(session.key));
    if (address !== undefined) {
      const n = ipv4ToNumber(address);
      if (this.byAddress.get(n) === session) this.byAddress.delete(n);
    }
    this.push({
      type: 'session-down',
      tunnelId: session.handle.tunnelId,
      sessionId: session.handle.sessionId,
      user: session.user,
      address: session.peerAddress,
      reason: this.downReasons.get(session.key) ?? 'call cleared',
    });
    this.downReasons.delete(session.key);
  }

  /** IP packets that came out of sessions: to the TUN queue, or answered in userspace mode. */
  private routeIp(): void {
    for (let p = this.bridge.pollIp(); p !== undefined; p = this.bridge.pollIp()) {
      if (!this.opts.userspace) {
        const { tunnelId, sessionId } = p.session.handle;
        this.toTun.push({ packet: p.packet.slice(), tunnelId, sessionId });
        continue;
      }
      const reply = respond(p.packet, (addr) => addr === this.localAddressNumber);
      if (reply !== undefined) this.bridge.sendIp(p.session, reply);
    }
  }

  private push(e: LnsEvent): void {
    this.events.push(e);
  }
}

/** Dotted quad → 32-bit number (0 for anything else). */
export function ipv4ToNumber(address: string): number {
  const parts = address.split('.');
  if (parts.length !== 4) return 0;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!Number.isInteger(v) || v < 0 || v > 255) return 0;
    n = n * 256 + v;
  }
  return n >>> 0;
}
