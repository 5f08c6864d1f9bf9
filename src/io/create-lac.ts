// createLac(): the LAC engine on a real UDP socket. Used by `l2tp-ts lac`, benchmarks and tests.
// Related: ../lac/lac.ts, udp-driver.ts.
import type { PeerAddress } from '../core/engine.js';
import { canonicalPeer, wildcardFor } from '../core/peer-address.js';
import type { Random } from '../core/random.js';
import { LacEngine, type LacEngineOptions, type LacEvent } from '../lac/lac.js';
import type { PppSession } from '../session/ppp-over-l2tp.js';
import { monotonicNow } from './clock.js';
import { EventHub } from './event-hub.js';
import { LacTun, type LacTunOptions } from './lac-tun.js';
import { systemRandom } from './system-random.js';
import { driveOverUdp } from './udp-driver.js';

/** Options of createLac. */
export interface CreateLacOptions extends Omit<LacEngineOptions, 'random' | 'server'> {
  /** The LNS: address and port (default port 1701). */
  readonly server: string | PeerAddress;
  /** Local address and port to bind (default 0.0.0.0, or :: when an LNS named is IPv6; ephemeral). */
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly random?: Random;
  readonly transport?: 'auto' | 'mmsg' | 'dgram';
  /** `lac --tun` (needs CAP_NET_ADMIN): sessions' addresses and routes on a TUN device; IP packets flow through it. */
  readonly tun?: LacTunOptions;
}

/** A running LAC. */
export interface LacClient {
  readonly port: number;
  readonly engine: LacEngine;
  /** The TUN device with `tun`. */
  readonly tun?: LacTun;
  on<T extends LacEvent['type']>(type: T | '*', listener: (e: Extract<LacEvent, { type: T }>) => void): this;
  /** Resolves with the first matching event; rejects after `timeoutMs`. */
  waitFor<T extends LacEvent['type']>(
    type: T,
    predicate?: (e: Extract<LacEvent, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<LacEvent, { type: T }>>;
  /** Pings the IPCP peer of `session`; resolves with the round-trip time in ms. */
  ping(session: PppSession, timeoutMs?: number, size?: number): Promise<number>;
  /** IPv6 (issue 12 item 5): pings `destination` over IPv6 from the session's SLAAC address; resolves with the RTT in ms. */
  ping6(session: PppSession, destination: string, timeoutMs?: number): Promise<number>;
  /** Sends an IPv4 packet through `session`. */
  sendIp(session: PppSession, packet: Uint8Array): boolean;
  /** StopCCN to the LNS, waits up to `graceMs` for the acknowledgement, closes the socket. */
  close(graceMs?: number): Promise<void>;
}

/** Starts a LAC: binds, opens the tunnels; sessions follow as tunnels come up. */
export async function createLac(opts: CreateLacOptions): Promise<LacClient> {
  // Canonical addresses: the engine matches replies to its LNS by the address text transports report.
  const server = canonicalPeer(typeof opts.server === 'string' ? { address: opts.server, port: 1701 } : opts.server);
  const fallbackServers = opts.fallbackServers?.map(canonicalPeer);
  const bindAddress =
    opts.localAddress ?? wildcardFor([server.address, ...(fallbackServers ?? []).map((s) => s.address)]);
  const tun = opts.tun === undefined ? undefined : LacTun.open(opts.tun);
  const engine = new LacEngine({
    ...opts,
    random: opts.random ?? systemRandom(),
    server,
    ...(fallbackServers !== undefined && { fallbackServers }),
    onIpPacket:
      tun === undefined
        ? opts.onIpPacket
        : (packet, session) => {
            tun.write(packet);
            opts.onIpPacket?.(packet, session);
          },
  });
  const hub = new EventHub<LacEvent>();
  const onTunEvent = (e: LacEvent): void => {
    if (tun === undefined) return;
    if (e.type === 'session-up') {
      const session = [...engine.sessions.values()].find(
        (s) => s.handle.tunnelId === e.tunnelId && s.handle.sessionId === e.sessionId,
      );
      if (session === undefined) return;
      try {
        tun.sessionUp(`${e.tunnelId}/${e.sessionId}`, session, e.address, e.peerAddress);
      } catch (err) {
        hub.emit({ type: 'log', tunnelId: e.tunnelId, sessionId: e.sessionId, text: `tun: ${String(err)}` });
      }
    } else if (e.type === 'session-down') {
      tun.sessionDown(`${e.tunnelId}/${e.sessionId}`);
    }
  };
  let driver: Awaited<ReturnType<typeof driveOverUdp>>;
  try {
    driver = await driveOverUdp(engine, {
      address: bindAddress,
      port: opts.localPort ?? 0,
      transport: opts.transport,
      onEvent: (e) => {
        onTunEvent(e);
        hub.emit(e);
      },
    });
  } catch (err) {
    tun?.close();
    throw err;
  }
  engine.start(monotonicNow());
  driver.flush();
  tun?.start(
    (packet, session) => engine.sendIp(session, packet),
    () => driver.flush(),
  );

  const waitFor: LacClient['waitFor'] = (type, predicate, timeoutMs) => hub.waitFor(type, predicate, timeoutMs);

  const client: LacClient = {
    port: driver.port,
    engine,
    tun,
    on(type, listener) {
      hub.on(type, listener);
      return client;
    },
    waitFor,
    async ping(session, timeoutMs = 3000, size = 56) {
      const reply = waitFor(
        'ping-reply',
        (e) => e.tunnelId === session.handle.tunnelId && e.sessionId === session.handle.sessionId,
        timeoutMs,
      );
      if (!engine.ping(session, monotonicNow(), size)) {
        reply.catch(() => undefined);
        throw new Error('session has no IP link');
      }
      driver.flush();
      return (await reply).rttMs;
    },
    async ping6(session, destination, timeoutMs = 3000) {
      const reply = waitFor(
        'ping-reply',
        (e) => e.tunnelId === session.handle.tunnelId && e.sessionId === session.handle.sessionId,
        timeoutMs,
      );
      if (!engine.ping6(session, destination, monotonicNow())) {
        reply.catch(() => undefined);
        throw new Error('session has no IPv6 link');
      }
      driver.flush();
      return (await reply).rttMs;
    },
    sendIp(session, packet) {
      const ok = engine.sendIp(session, packet);
      driver.flush();
      return ok;
    },
    async close(graceMs = 2000) {
      engine.stop(monotonicNow());
      driver.flush();
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && engine.endpoint.awaitingStopAck()) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await driver.close();
      tun?.close();
      hub.clear();
    },
  };
  return client;
}
