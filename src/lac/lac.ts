// The LAC, sans-IO: opens tunnels to an LNS, places incoming calls (ICRQ) in each, and runs the
// peer side of PPP (LCP, CHAP/PAP as the LNS asks, IPCP) until every session has an address.
// Used by `l2tp-ts lac`, the benchmark and tests. The role policy only: the bridge to PPP is
// ../session/ppp-over-l2tp.ts, shared with the LNS (neither role imports the other).
//
// Failover (RFC 2661 §4.4.2 General Error 7, "try another"; docs/SCALE-OUT.md): with
// `fallbackServers`, a tunnel the LNS refuses before it came up with StopCCN 2/7 is opened again
// to the next server of the list [server, ...fallbackServers] ('tunnel-redirected' instead of
// 'tunnel-down'); past the last one, or for any other refusal, it is down as usual. Each attempt
// moves one step along the list, so a LAC makes at most one attempt per server per tunnel.
import { AUTH_METHOD_NAMES, type AuthMethodName, authClientOffer } from '../chap/methods.js';
import type { Engine, PeerAddress, Transmit } from '../core/engine.js';
import { Fifo } from '../core/fifo.js';
import { buildIcmpEcho, IcmpType, parseIcmpEcho, parseIpv4 } from '../core/ipv4.js';
import {
  buildIcmpv6Echo,
  formatIpv6,
  Icmpv6Type,
  interfaceIdFromText,
  linkLocalOf,
  parseIcmpv6Echo,
  parseIpv6,
} from '../core/ipv6.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { Endpoint, type EndpointOptions, type L2tpEvent } from '../l2tp/endpoint.js';
import { ErrorCode, StopCcnResult } from '../l2tp/wire/result-codes.js';
import { type PppEvent, PppLink } from '../ppp/link.js';
import { PppOverL2tp, type PppSession } from '../session/ppp-over-l2tp.js';
import { sessionKey, tunnelIdOfKey } from '../session/session-key.js';
import { buildRouterSolicitation, slaacAddress } from './slaac.js';

/** Options of the LAC engine. */
export interface LacEngineOptions {
  readonly random: Random;
  readonly server: PeerAddress;
  /** LNSes tried in order after `server` when one refuses a tunnel with StopCCN 2/7 (see above). */
  readonly fallbackServers?: readonly PeerAddress[];
  readonly user: string;
  readonly password: string;
  /**
   * The account of the n-th PPP session (n = 1, 2, … in the order their L2TP calls came up), e.g.
   * `bench --user 'u{n}'` or `--users-file`; without it every session uses `user` and `password`.
   */
  readonly account?: (n: number) => LacAccount;
  /** Methods we answer, in preference order (default all three, MS-CHAPv2 first). */
  readonly auth?: readonly AuthMethodName[];
  readonly hostName?: string;
  readonly tunnels?: number;
  readonly sessionsPerTunnel?: number;
  readonly endpoint?: Partial<Omit<EndpointOptions, 'role' | 'hostName' | 'random'>>;
  readonly mru?: number;
  readonly ipv6?: boolean;
  readonly pppDebug?: boolean;
  /** Every IPv4 packet a session received that is not a reply to our ping (valid during the call). */
  readonly onIpPacket?: (packet: Uint8Array, session: PppSession) => void;
  readonly echoIntervalMs?: number;
  readonly echoFailure?: number;
  /**
   * Ask for sequenced data: Sequencing Required in ICCN, so both sides always send Ns (RFC 2661
   * §5.4). Without it we send Ns while the LNS's data messages carry them.
   */
  readonly sequencing?: boolean;
}

/** A PPP user name and its password. */
export interface LacAccount {
  readonly user: string;
  readonly password: string;
}

/** What happened, per session. */
export type LacEvent =
  | { type: 'tunnel-up'; tunnelId: number; peer: PeerAddress }
  | { type: 'tunnel-down'; tunnelId: number; resultCode: number; errorCode?: number; message?: string }
  /** `from` refused tunnel `tunnelId` with StopCCN 2/7: `newTunnelId` is being opened to `to`. */
  | { type: 'tunnel-redirected'; tunnelId: number; newTunnelId: number; from: PeerAddress; to: PeerAddress }
  | {
      type: 'session-up';
      tunnelId: number;
      sessionId: number;
      auth?: string;
      address: string;
      peerAddress: string;
      dns: readonly string[];
      setupMs: number;
    }
  | { type: 'session-down'; tunnelId: number; sessionId: number; reason: string }
  | { type: 'auth-failed'; tunnelId: number; sessionId: number; reason: string }
  | { type: 'ping-reply'; tunnelId: number; sessionId: number; rttMs: number }
  /** IPv6 (issue 12 item 5): SLAAC formed `address` from the LNS's Router Advertisement. */
  | { type: 'ipv6-address'; tunnelId: number; sessionId: number; address: string }
  | { type: 'log'; tunnelId: number; sessionId: number; text: string };

/** The LAC engine. */
export class LacEngine implements Engine<LacEvent> {
  private readonly bridge: PppOverL2tp;
  private readonly events = new Fifo<LacEvent>();
  private readonly authUsed = new Map<number, string>();
  private readonly pings = new Map<number, Instant>();
  private pingSequence = 0;
  /** IPv6 (issue 12 item 5), per session key: our interface identifier and SLAAC address. */
  private readonly v6 = new Map<number, { id: Uint8Array; address?: Uint8Array }>();
  private readonly callStartedAt = new Map<number, Instant>();
  /** [server, ...fallbackServers]. */
  private readonly servers: readonly PeerAddress[];
  /** Tunnels not up yet → the index in `servers` they were opened to. */
  private readonly attempts = new Map<number, number>();
  /** PPP links made so far (the `n` of `account`). */
  private links = 0;

  constructor(private readonly opts: LacEngineOptions) {
    this.servers = [opts.server, ...(opts.fallbackServers ?? [])];
    const endpoint = new Endpoint({
      ...opts.endpoint,
      role: 'lac',
      hostName: opts.hostName ?? 'l2tp-ts-lac',
      random: opts.random,
      requireSequencing: opts.sequencing === true,
    });
    this.bridge = new PppOverL2tp(endpoint, {
      openOnPeerFrameMs: 1000,
      followPeerSequencing: true,
      createLink: () => this.createLink(),
      onPppEvent: (s, e, now) => this.onPppEvent(s, e, now),
      onL2tpEvent: (e, now) => this.onL2tpEvent(e, now),
      onSessionClosed: (s) => {
        this.authUsed.delete(s.key);
        this.v6.delete(s.key);
        this.events.push({
          type: 'session-down',
          tunnelId: s.handle.tunnelId,
          sessionId: s.handle.sessionId,
          reason: 'call cleared',
        });
      },
    });
  }

  /** The L2TP endpoint (tests). */
  get endpoint(): Endpoint {
    return this.bridge.endpoint;
  }

  /** Every PPP session (established or not). */
  get sessions(): ReadonlyMap<number, PppSession> {
    return this.bridge.sessions;
  }

  /** Opens the configured number of tunnels; sessions follow as each tunnel comes up. */
  start(now: Instant): void {
    const tunnels = this.opts.tunnels ?? 1;
    for (let i = 0; i < tunnels; i++) this.bridge.withEndpoint(now, () => this.openTunnel(now));
  }

  /** Opens one tunnel to the first server (failover as above); returns its Tunnel ID. */
  openTunnel(now: Instant): number {
    return this.openTo(0, now);
  }

  /** Clears every tunnel (StopCCN, result 1). */
  stop(now: Instant): void {
    this.bridge.withEndpoint(now, (e) => e.closeAll({ resultCode: 1, message: 'LAC done' }, now));
  }

  /** Sends an ICMP echo request to the IPCP peer address of `session`. */
  ping(session: PppSession, now: Instant, size = 56): boolean {
    if (session.localAddress === undefined || session.peerAddress === undefined) return false;
    const id = ++this.pingSequence & 0xffff;
    this.pings.set(id, now);
    return this.bridge.sendIp(session, icmpEcho(session.localAddress, session.peerAddress, id, size));
  }

  /**
   * IPv6 (issue 12 item 5): an ICMPv6 echo request to `destination` from our SLAAC address (or our
   * link-local one, for a link-local destination or before an RA came); false without IPv6CP.
   */
  ping6(session: PppSession, destination: string, now: Instant, size = 56): boolean {
    const v6 = this.v6.get(session.key);
    const dst = parseIpv6(destination);
    if (v6 === undefined || dst === undefined) return false;
    const source = dst[0] === 0xfe || v6.address === undefined ? linkLocalOf(v6.id) : v6.address;
    const id = ++this.pingSequence & 0xffff;
    this.pings.set(id, now);
    const data = new Uint8Array(size).map((_, i) => i & 0xff);
    const packet = buildIcmpv6Echo({
      type: Icmpv6Type.echoRequest,
      source,
      destination: dst,
      identifier: id,
      sequence: id,
      data,
    });
    return this.bridge.sendIp(session, packet);
  }

  /** IPv6 (issue 12 item 5): our SLAAC address on `session`, once an RA gave it. */
  ipv6Address(session: PppSession): string | undefined {
    const a = this.v6.get(session.key)?.address;
    return a === undefined ? undefined : formatIpv6(a);
  }

  /** Slow path, us → peer: sends an arbitrary IPv4 packet through `session` (copied). */
  sendIp(session: PppSession, packet: Uint8Array): boolean {
    return this.bridge.sendIp(session, packet);
  }

  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void {
    this.bridge.handleDatagram(bytes, from, now);
    this.readIp(now);
  }

  handleTimeout(now: Instant): void {
    this.bridge.handleTimeout(now);
    this.readIp(now);
  }

  pollTransmit(): Transmit | undefined {
    return this.bridge.pollTransmit();
  }

  pollTimeout(): Instant | undefined {
    return this.bridge.pollTimeout();
  }

  pollEvent(): LacEvent | undefined {
    return this.events.shift();
  }

  private openTo(index: number, now: Instant): number {
    const tunnelId = this.bridge.endpoint.openTunnel(this.servers[index]!, now);
    this.attempts.set(tunnelId, index);
    return tunnelId;
  }

  /** A tunnel refused before it came up with StopCCN 2/7: its next server's Tunnel ID, if there is one. */
  private tryAnother(e: Extract<L2tpEvent, { type: 'tunnel-down' }>, now: Instant): number | undefined {
    const index = this.attempts.get(e.tunnelId);
    this.attempts.delete(e.tunnelId);
    const refused =
      e.initiator === 'peer' && e.resultCode === StopCcnResult.GeneralError && e.errorCode === ErrorCode.TryAnother;
    if (index === undefined || !refused || index + 1 >= this.servers.length) return undefined;
    return this.openTo(index + 1, now);
  }

  private createLink(): PppLink {
    const o = this.opts;
    const methods = o.auth ?? AUTH_METHOD_NAMES;
    const account = o.account?.(++this.links) ?? o;
    const ctx = { user: account.user, password: account.password, random: o.random };
    return new PppLink({
      role: 'lac',
      random: o.random,
      mru: o.mru,
      authClients: methods.map((m) => authClientOffer(m, ctx)),
      ipv6: o.ipv6,
      debug: o.pppDebug,
      echoIntervalMs: o.echoIntervalMs,
      echoFailure: o.echoFailure,
    });
  }

  private onL2tpEvent(e: L2tpEvent, now: Instant): void {
    switch (e.type) {
      case 'tunnel-up': {
        this.attempts.delete(e.tunnelId);
        this.events.push({ type: 'tunnel-up', tunnelId: e.tunnelId, peer: e.peer });
        const n = this.opts.sessionsPerTunnel ?? 1;
        // The event is drained after the datagram that raised it: by then the same input may have
        // closed the tunnel again (a peer's StopCCN or a protocol error right behind its SCCRP,
        // found by `fuzz --role lns`). Then there is nothing to start; it is no local misuse.
        for (let i = 0; i < n && this.bridge.endpoint.tunnel(e.tunnelId)?.state === 'established'; i++) {
          const sessionId = this.bridge.endpoint.startSession(e.tunnelId, now);
          this.callStartedAt.set(sessionKey(e.tunnelId, sessionId), now);
        }
        break;
      }
      case 'session-down':
        this.callStartedAt.delete(sessionKey(e.tunnelId, e.sessionId));
        break;
      case 'tunnel-down': {
        for (const key of this.callStartedAt.keys())
          if (tunnelIdOfKey(key) === e.tunnelId) this.callStartedAt.delete(key);
        const newTunnelId = this.tryAnother(e, now);
        if (newTunnelId !== undefined) {
          const to = this.servers[this.attempts.get(newTunnelId)!]!;
          this.events.push({ type: 'tunnel-redirected', tunnelId: e.tunnelId, newTunnelId, from: e.peer, to });
          break;
        }
        this.events.push({
          type: 'tunnel-down',
          tunnelId: e.tunnelId,
          resultCode: e.resultCode,
          errorCode: e.errorCode,
          message: e.message,
        });
        break;
      }
      default:
        break;
    }
  }

  private onPppEvent(s: PppSession, e: PppEvent, now: Instant): void {
    const { tunnelId, sessionId } = s.handle;
    switch (e.type) {
      case 'auth-succeeded':
        this.authUsed.set(s.key, e.protocol);
        break;
      case 'auth-failed':
        this.events.push({ type: 'auth-failed', tunnelId, sessionId, reason: e.reason });
        break;
      case 'link-up': {
        const started = this.callStartedAt.get(s.key) ?? s.startedAt;
        this.events.push({
          type: 'session-up',
          tunnelId,
          sessionId,
          auth: this.authUsed.get(s.key),
          address: e.localAddress,
          peerAddress: e.peerAddress,
          dns: e.dns,
          setupMs: now - started,
        });
        break;
      }
      case 'ipv6-up': {
        // RFC 4861 §6.3.7: solicit an RA at once rather than wait for the periodic one.
        const id = interfaceIdFromText(e.localId);
        this.v6.set(s.key, { id });
        this.bridge.sendIp(s, buildRouterSolicitation(linkLocalOf(id)));
        break;
      }
      case 'ipv6-down':
        this.v6.delete(s.key);
        break;
      case 'log':
        this.events.push({ type: 'log', tunnelId, sessionId, text: e.text });
        break;
      default:
        break;
    }
  }

  /** IPv6 (issue 12 item 5): an RA gives our address; an echo reply to our ping6 an event; true when consumed. */
  private readIpv6(s: PppSession, packet: Uint8Array, now: Instant): boolean {
    const v6 = this.v6.get(s.key);
    if (v6 === undefined) return false;
    const { tunnelId, sessionId } = s.handle;
    const echo = parseIcmpv6Echo(packet);
    const sentAt = echo?.type === Icmpv6Type.echoReply ? this.pings.get(echo.sequence) : undefined;
    if (echo !== undefined && sentAt !== undefined) {
      this.pings.delete(echo.sequence);
      this.events.push({ type: 'ping-reply', tunnelId, sessionId, rttMs: now - sentAt });
      return true;
    }
    const address = slaacAddress(packet, v6.id);
    if (address === undefined) return false;
    const changed = v6.address === undefined || formatIpv6(v6.address) !== formatIpv6(address);
    v6.address = address;
    if (changed) this.events.push({ type: 'ipv6-address', tunnelId, sessionId, address: formatIpv6(address) });
    return true;
  }

  /** Echo replies to our pings become events; other packets go to `onIpPacket`, if any. */
  private readIp(now: Instant): void {
    for (let p = this.bridge.pollIpPacket(); p !== undefined; p = this.bridge.pollIpPacket()) {
      if (p.packet[0]! >> 4 === 6 && this.readIpv6(p.session, p.packet, now)) continue;
      const echo = parseIcmpEcho(p.packet);
      const sentAt = echo?.type === IcmpType.echoReply ? this.pings.get(echo.sequence) : undefined;
      if (echo === undefined || sentAt === undefined) {
        this.opts.onIpPacket?.(p.packet, p.session);
        continue;
      }
      this.pings.delete(echo.sequence);
      const { tunnelId, sessionId } = p.session.handle;
      this.events.push({ type: 'ping-reply', tunnelId, sessionId, rttMs: now - sentAt });
    }
  }
}

/**
 * An IPv4 ICMP echo request from `src` to `dst` with `size` octets of data (0, 1, 2, …); the
 * sequence number is also the identifier and the IP Identification.
 */
export function icmpEcho(src: string, dst: string, sequence: number, size = 56): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = i & 0xff;
  return buildIcmpEcho({
    type: IcmpType.echoRequest,
    source: parseIpv4(src) ?? 0,
    destination: parseIpv4(dst) ?? 0,
    identifier: sequence,
    sequence,
    data,
    ip: { identification: sequence },
  });
}
