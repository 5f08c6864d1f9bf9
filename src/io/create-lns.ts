// createLns(): the LNS engine on a real UDP socket, with the userspace responder or a TUN device.
// What a test or `l2tp-ts lns` starts. Related: ../lns/lns.ts, udp-driver.ts, tun-device.ts.
import { lookup } from 'node:dns/promises';
import type { PeerAddress } from '../core/engine.js';
import { parseIpv4 } from '../core/ipv4.js';
import { formatIpv6 } from '../core/ipv6.js';
import type { Random } from '../core/random.js';
import { AddressPool } from '../lns/address-pool.js';
import { Ipv6Prefixes } from '../lns/ipv6-prefixes.js';
import { LnsEngine, type LnsEngineOptions, type LnsEvent } from '../lns/lns.js';
import { type DaeResult, DaeServer, RadiusClient, type RadiusClientEvent, type RadiusServer } from '../radius/index.js';
import type { IpPacket, PppSession } from '../session/ppp-over-l2tp.js';
import { sessionIdOfKey, sessionKey, tunnelIdOfKey } from '../session/session-key.js';
import { monotonicNow } from './clock.js';
import { type DaeListener, openDaeListener } from './dae-listener.js';
import { EventHub } from './event-hub.js';
import { Ipv6Routes } from './ipv6-routes.js';
import { PcapWriter } from './pcap-writer.js';
import { openRadiusTransport, type RadiusTransport } from './radius-transport.js';
import { type CaptureEnd, type CaptureInfo, SessionCaptures } from './session-captures.js';
import { systemRandom } from './system-random.js';
import {
  createTunProvider,
  type TunLease,
  type TunProvider,
  type TunProviderOptions,
  type TunStats,
} from './tun-device.js';
import { type DatagramTap, driveOverUdp, type UdpDriver } from './udp-driver.js';

/** Options of createLns: the engine's, with defaults for everything a test does not care about. */
/** RADIUS for createLns: servers (host names are resolved once at start) and the radcli tunables. */
export interface CreateLnsRadiusOptions {
  readonly authServers: readonly { readonly host: string; readonly port: number; readonly secret: string }[];
  readonly acctServers?: readonly { readonly host: string; readonly port: number; readonly secret: string }[];
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly deadTimeMs?: number;
  readonly nasIdentifier?: string;
  /** NAS-IP-Address (default: bindAddress, as radcli). */
  readonly nasIpAddress?: string;
  /** Source address of requests (radcli `bindaddr`). */
  readonly bindAddress?: string;
  readonly acceptUnsignedReplies?: boolean;
  readonly minInterimSeconds?: number;
  /** Every client event (drops, server up/down), for logs. */
  readonly onEvent?: (e: RadiusClientEvent) => void;
  /** Listen for Disconnect-/CoA-Requests (RFC 5176) from these clients (host names resolved once). */
  readonly dae?: {
    readonly address: string;
    readonly port: number;
    readonly clients: readonly { readonly host: string; readonly secret: string }[];
    /** NAK a request without Event-Timestamp (default true). */
    readonly requireEventTimestamp?: boolean;
    readonly onResult?: (result: DaeResult, from: PeerAddress) => void;
  };
}

export interface CreateLnsOptions extends Partial<Omit<LnsEngineOptions, 'random' | 'users' | 'pool' | 'radius'>> {
  /** RADIUS decides authentication and gets accounting (pppd's radius plugin). */
  readonly radius?: CreateLnsRadiusOptions;
  /** Address to bind (default 127.0.0.1). */
  readonly address?: string;
  /** UDP port (default 1701; 0 = ephemeral). */
  readonly port?: number;
  /** Users: a map of name → password (or { secret, staticAddress }), or a lookup function. */
  readonly users?:
    | Readonly<Record<string, string | { secret: string; staticAddress?: string }>>
    | LnsEngineOptions['users'];
  /** Pool ranges like '10.1.20.31-10.1.20.50' (default the seed's). */
  readonly pool?: readonly string[] | AddressPool;
  readonly random?: Random;
  /** An IP packet left a session: the caller writes it somewhere (instead of the userspace responder). */
  readonly onIp?: (packet: Uint8Array) => void;
  /** Carry IP through TUN devices (needs root): one shared device (default) or one per session. */
  readonly tun?: TunProviderOptions;
  readonly transport?: 'auto' | 'mmsg' | 'dgram';
  /** Write every L2TP datagram sent and received to this pcap file (bounded; see PcapWriter). */
  readonly pcap?: { readonly path: string; readonly maxBytes?: number; readonly onFull?: () => void };
  /** `ctl capture` of one session or user (LnsServer.captures): its size bound and notices. */
  readonly capture?: {
    /** Each capture's bound, and the most a request may ask (default 100 MiB). */
    readonly maxBytes?: number;
    readonly onStart?: (info: CaptureInfo) => void;
    readonly onEnd?: (info: CaptureInfo, reason: CaptureEnd) => void;
  };
}

/** Typed events of a running LNS. */
export interface LnsServer {
  readonly address: string;
  readonly port: number;
  readonly engine: LnsEngine;
  /** Captures of one session or one user's sessions into pcap files (`ctl capture`). */
  readonly captures: SessionCaptures;
  /** Every LnsEvent, by its `type`, and '*' for all. */
  on<T extends LnsEvent['type']>(type: T | '*', listener: (e: Extract<LnsEvent, { type: T }>) => void): this;
  off(type: string, listener: (...args: never[]) => void): this;
  /** An engine method threw (a bug): its tunnel was torn down and the LNS serves on. */
  onInternalError(listener: (err: unknown) => void): this;
  /** Every RADIUS client event (replies with their latency, timeouts, servers down/up); none without RADIUS. */
  onRadiusEvent(listener: (e: RadiusClientEvent) => void): this;
  /**
   * The UDP socket or the shared TUN device stopped working (the device was deleted, an I/O
   * error): the LNS cannot serve any more. The owner should close() and exit non-zero so that a
   * supervisor restarts it. (A per-session device that fails ends only its session.)
   */
  onFatal(listener: (err: Error) => void): this;
  /** Resolves with the first event of `type` that matches, rejects after `timeoutMs`. */
  waitFor<T extends LnsEvent['type']>(
    type: T,
    predicate?: (e: Extract<LnsEvent, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<LnsEvent, { type: T }>>;
  /** Feeds an IPv4 packet towards the session that holds its destination (TUN → peer). */
  sendIp(packet: Uint8Array): boolean;
  /** Runs `fn` on the engine with the current time, then flushes what it produced. */
  command<T>(fn: (engine: LnsEngine, now: number) => T): T;
  /** TUN mode: the devices' counters summed (reads, writes, offload cuts); undefined without TUN. */
  tunStats(): (TunStats & { offload: boolean }) | undefined;
  /** TUN mode: the interface a session's packets use (the shared device, or its own ppp%d). */
  interfaceOf(tunnelId: number, sessionId: number): string | undefined;
  /** StopCCN to every peer, waits up to `graceMs` for acknowledgements, closes the socket. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Sessions torn down per turn of the event loop when the LNS closes (issue 9 item 5). One session
 * costs 10-20 µs of engine work plus its events (log line, route removal queued), so a slice of
 * 1,000 holds the loop for about 10-30 ms; 40,000 sessions take 40 turns instead of one block of
 * most of a second. A single tunnel with more sessions is still one slice.
 */
export const TEARDOWN_SLICE_SESSIONS = 1000;

/** The seed's pool (xl2tpd.conf `ip range`) and `local ip`. */
export const SEED_POOL = ['10.1.20.31-10.1.20.50'];
export const SEED_LOCAL_IP = '10.1.20.30';

/** Starts an LNS on a UDP socket. Resolves once the socket is bound. */
export async function createLns(opts: CreateLnsOptions = {}): Promise<LnsServer> {
  const random = opts.random ?? systemRandom();
  const users = normalizeUsers(opts.users ?? {});
  const pool =
    opts.pool instanceof AddressPool
      ? opts.pool
      : new AddressPool(opts.pool ?? SEED_POOL, { exclude: [opts.localAddress ?? SEED_LOCAL_IP] });
  const { radius: radiusOpts, ...engineOpts } = opts;
  const radiusClient = radiusOpts === undefined ? undefined : await radiusClientFor(radiusOpts, random);
  // radcli sends its source address as NAS-IP-Address: `bindaddr` is it unless one is given, so
  // each node of a shared pool is told apart (sqlippool keys leases on it; docs/SCALE-OUT.md).
  const nasIpAddress = radiusOpts?.nasIpAddress ?? radiusOpts?.bindAddress;
  const engine = new LnsEngine({
    hostName: 'l2tp-ts',
    auth: ['mschapv2', 'chap'],
    localAddress: SEED_LOCAL_IP,
    userspace: opts.onIp === undefined && opts.tun === undefined,
    ...engineOpts,
    random,
    users,
    pool,
    ...(radiusClient !== undefined &&
      radiusOpts !== undefined && {
        radius: {
          client: radiusClient,
          accounting: (radiusOpts.acctServers ?? []).length > 0,
          ...(radiusOpts.nasIdentifier !== undefined && { nasIdentifier: radiusOpts.nasIdentifier }),
          ...(nasIpAddress !== undefined && { nasIpAddress }),
          ...(radiusOpts.minInterimSeconds !== undefined && { minInterimSeconds: radiusOpts.minInterimSeconds }),
        },
      }),
  });
  // RADIUS: the client runs on its own socket. Its results reach the engine (then the L2TP side
  // flushes); requests the engine submitted go out after every L2TP flush (a microtask later, so
  // one driver never re-enters the other).
  let radius: RadiusTransport | undefined;
  let dae: DaeListener | undefined;
  let radiusFlushQueued = false;
  const flushRadiusSoon = (): void => {
    if (radius === undefined || radiusFlushQueued) return;
    radiusFlushQueued = true;
    queueMicrotask(() => {
      radiusFlushQueued = false;
      radius?.flush();
    });
  };
  const driven = {
    handleDatagram: (b: Uint8Array, from: PeerAddress, now: number) => engine.handleDatagram(b, from, now),
    handleTimeout: (now: number) => engine.handleTimeout(now),
    pollTransmit: () => engine.pollTransmit(),
    pollEvent: () => engine.pollEvent(),
    pollIpPacket: () => engine.pollIpPacket(),
    pollTimeout: () => {
      flushRadiusSoon();
      return engine.pollTimeout();
    },
  };
  const hub = new EventHub<LnsEvent>();
  const radiusListeners: ((e: RadiusClientEvent) => void)[] = [];
  const fatalListeners: ((err: Error) => void)[] = [];
  let fatal: Error | undefined;
  const onFatal = (err: Error): void => {
    if (fatal !== undefined) return;
    fatal = err;
    for (const l of fatalListeners) l(err);
  };
  let driver: UdpDriver | undefined;
  let tun: TunProvider | undefined;
  const leases = new Map<number, TunLease>();
  const ipv6Routes = new Ipv6Routes((key) => tun?.shared ?? leases.get(key)?.device);
  const writeToTun = (packet: Uint8Array, session: PppSession): void => {
    const device = tun?.shared ?? leases.get(session.key)?.device;
    device?.write(packet);
  };
  const onIpPacket = (p: IpPacket): void => {
    if (opts.onIp) opts.onIp(p.packet);
    else writeToTun(p.packet, p.session);
  };
  const onEvent = (e: LnsEvent): void => {
    if (tun) {
      try {
        ipv6Routes.onEvent(e); // IPv6 (issue 12 item 5): the session's /64 into the TUN device
      } catch (err) {
        hub.emitInternalError(err);
      }
    }
    if (tun && e.type === 'session-up') {
      try {
        leases.set(sessionKey(e.tunnelId, e.sessionId), tun.acquire(e.localAddress, e.address, e.routes));
      } catch (err) {
        hub.emitInternalError(err);
      }
    } else if (tun && e.type === 'session-down') {
      const key = sessionKey(e.tunnelId, e.sessionId);
      const lease = leases.get(key);
      leases.delete(key);
      try {
        lease?.release();
      } catch (err) {
        hub.emitInternalError(err);
      }
    }
    captures.observe(e);
    hub.emit(e);
  };
  if (opts.tun) {
    const localAddress = opts.localAddress ?? SEED_LOCAL_IP;
    tun = createTunProvider(
      {
        sharedAddress: `${localAddress}/32`,
        linkMtu: opts.mtu ?? 1400,
        ...opts.tun,
        // Offload: a super-segment is cut to its session's MRU, not only to the link MTU.
        ...(opts.tun.offload && {
          mtuFor: (buf: Uint8Array, at: number, length: number, fallback: number) =>
            engine.mtuFor(buf, at, length, fallback),
        }),
      },
      (slot, at, length) => {
        // TUN → peer: headers written into the slot's headroom, handed to the socket, no copy here.
        if (driver !== undefined) engine.encapsulateInPlace(slot, at, length, driver.send);
      },
      () => driver?.flush(),
      (err, device) => {
        if (device === tun?.shared) {
          onFatal(err);
          return;
        }
        // A per-session device (ppp%d) failed: end that session only, as pppd would.
        for (const [key, lease] of leases) {
          if (lease.device !== device) continue;
          engine.disconnectSession(tunnelIdOfKey(key), sessionIdOfKey(key), monotonicNow());
          hub.emitInternalError(err);
        }
        driver?.flush();
      },
    );
  }
  // IPv6 (issue 12 item 5): the LNS's own address <pool>::1 on the shared device.
  const v6Local = opts.ipv6Pool === undefined ? undefined : new Ipv6Prefixes<never>(opts.ipv6Pool).localAddress;
  if (tun?.shared !== undefined && v6Local !== undefined) tun.shared.setAddress(`${formatIpv6(v6Local)}/128`);
  const capture = opts.pcap === undefined ? undefined : new PcapWriter(opts.pcap.path, opts.pcap);
  // The capture file is flushed once a second, so a reader (tshark -r, tail) sees it grow.
  const captureTimer = capture === undefined ? undefined : setInterval(() => capture.flush(), 1000);
  captureTimer?.unref();
  const local = { address: opts.address ?? '127.0.0.1', port: opts.port ?? 1701 };
  // The driver's tap: --pcap's writer and the `ctl capture` selector, each only while it runs;
  // none at all (undefined) when neither does, so the data path pays nothing for them.
  const pcapTap: DatagramTap | undefined =
    capture === undefined
      ? undefined
      : (bytes, peer, direction) =>
          direction === 'in' ? capture.write(peer, local, bytes) : capture.write(local, peer, bytes);
  const captures = new SessionCaptures({
    local,
    lookup: (tunnelId, sessionId) => engine.endpoint.session(tunnelId, sessionId),
    sessions: () => engine.sessions(monotonicNow()),
    ...(opts.capture?.maxBytes !== undefined && { maxBytes: opts.capture.maxBytes }),
    onTap: (sessionTap) =>
      driver?.setTap(
        sessionTap === undefined || pcapTap === undefined
          ? (sessionTap ?? pcapTap)
          : (bytes, peer, direction) => {
              pcapTap(bytes, peer, direction);
              sessionTap(bytes, peer, direction);
            },
      ),
    ...(opts.capture?.onStart !== undefined && { onStart: opts.capture.onStart }),
    ...(opts.capture?.onEnd !== undefined && { onEnd: opts.capture.onEnd }),
  });
  try {
    driver = await driveOverUdp(radiusClient === undefined ? engine : driven, {
      address: opts.address ?? '127.0.0.1',
      port: opts.port ?? 1701,
      onEvent,
      // IP packets for the TUN side (or onIp) come out with any input, not only with events.
      onIpPacket,
      // Peer → TUN: IP in an open session skips the engine's queues (and the copy of the datagram).
      ...(tun !== undefined && {
        onDatagram: (bytes: Uint8Array, from: PeerAddress, now: number) =>
          engine.deliverInPlace(bytes, from, now, writeToTun),
      }),
      transport: opts.transport,
      onError: (err) => hub.emitInternalError(err),
      onFatal,
      ...(pcapTap !== undefined && { tap: pcapTap }),
    });
    if (radiusClient !== undefined) {
      radius = await openRadiusTransport(radiusClient, {
        ...(radiusOpts?.bindAddress !== undefined && { bindAddress: radiusOpts.bindAddress }),
        onEvent: (e) => {
          engine.handleRadiusEvent(e, monotonicNow());
          driver?.flush();
          radiusOpts?.onEvent?.(e);
          for (const l of radiusListeners) l(e);
        },
      });
      engine.announceAccounting(true, monotonicNow());
      radius.flush();
    }
    const daeOpts = radiusOpts?.dae;
    if (daeOpts !== undefined) {
      const clients = await Promise.all(
        daeOpts.clients.map(async (c) => ({ address: await resolveIpv4(c.host), secret: c.secret })),
      );
      const server = new DaeServer({
        clients,
        ...(daeOpts.requireEventTimestamp !== undefined && { requireEventTimestamp: daeOpts.requireEventTimestamp }),
        ...(radiusOpts?.nasIdentifier !== undefined && { nasIdentifier: radiusOpts.nasIdentifier }),
        ...(nasIpAddress !== undefined && { nasIpAddress }),
      });
      dae = await openDaeListener({
        address: daeOpts.address,
        port: daeOpts.port,
        server,
        act: (request) => {
          const outcome = engine.dynamicAuthorization(request, monotonicNow());
          driver?.flush();
          radius?.flush();
          return outcome;
        },
        ...(daeOpts.onResult !== undefined && { onResult: daeOpts.onResult }),
        onFatal,
      });
    }
  } catch (err) {
    await dae?.close();
    await radius?.close();
    await driver?.close();
    clearInterval(captureTimer);
    capture?.close();
    tun?.close();
    throw err;
  }
  const d = driver;
  local.port = d.port;

  const server: LnsServer = {
    address: opts.address ?? '127.0.0.1',
    port: d.port,
    engine,
    captures,
    on(type, listener) {
      hub.on(type, listener);
      return server;
    },
    off(type, listener) {
      hub.off(type, listener);
      return server;
    },
    onInternalError(listener) {
      hub.onInternalError(listener);
      return server;
    },
    onRadiusEvent(listener) {
      radiusListeners.push(listener);
      return server;
    },
    onFatal(listener) {
      fatalListeners.push(listener);
      if (fatal !== undefined) listener(fatal);
      return server;
    },
    waitFor: (type, predicate, timeoutMs) => hub.waitFor(type, predicate, timeoutMs),
    sendIp(packet) {
      const ok = engine.sendIp(packet);
      d.flush();
      return ok;
    },
    command(fn) {
      const result = fn(engine, monotonicNow());
      d.flush();
      return result;
    },
    tunStats() {
      if (tun === undefined) return undefined;
      const sum: TunStats = {
        read: 0,
        written: 0,
        writeDropped: 0,
        oversized: 0,
        superSegments: 0,
        segments: 0,
        offloadFaults: 0,
        coalescedWrites: 0,
        coalescedPackets: 0,
      };
      let offload = false;
      for (const d of tun.devices()) {
        offload ||= d.offload;
        for (const k of Object.keys(sum) as (keyof TunStats)[]) sum[k] += d.stats[k];
      }
      return { ...sum, offload };
    },
    interfaceOf: (tunnelId, sessionId) => leases.get(sessionKey(tunnelId, sessionId))?.device.name,
    async close(graceMs = 2000) {
      // StopCCN to every peer in slices, the event loop running between them (timers, the
      // control socket, the UDP socket's reads), each slice's StopCCNs and events flushed at once.
      while (!engine.closeSome(monotonicNow(), TEARDOWN_SLICE_SESSIONS)) {
        d.flush();
        await new Promise((r) => setImmediate(r));
      }
      engine.announceAccounting(false, monotonicNow());
      d.flush();
      radius?.flush();
      const deadline = Date.now() + graceMs;
      // Accounting Stops and Accounting-Off are waited for as the StopCCN acknowledgements are.
      while (
        Date.now() < deadline &&
        (engine.endpoint.awaitingStopAck() || (radiusClient !== undefined && radiusClient.pending > 0))
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await d.close();
      await dae?.close();
      await radius?.close();
      for (const lease of leases.values()) lease.release();
      leases.clear();
      tun?.close();
      clearInterval(captureTimer);
      capture?.close();
      captures.close();
      hub.clear();
    },
  };
  return server;
}

function normalizeUsers(users: NonNullable<CreateLnsOptions['users']>): LnsEngineOptions['users'] {
  if (typeof users === 'function') return users;
  const table = new Map<string, { secret: string; staticAddress?: string }>();
  for (const [name, v] of Object.entries(users)) table.set(name, typeof v === 'string' ? { secret: v } : v);
  return (user) => table.get(user);
}

/** The RADIUS client of createLns; host names are resolved here, once (the engine takes addresses). */
async function radiusClientFor(o: CreateLnsRadiusOptions, random: Random): Promise<RadiusClient> {
  const resolve = async (list: CreateLnsRadiusOptions['authServers']): Promise<RadiusServer[]> =>
    Promise.all(
      list.map(async (s) => ({
        address: await resolveIpv4(s.host),
        port: s.port,
        secret: s.secret,
      })),
    );
  return new RadiusClient({
    authServers: await resolve(o.authServers),
    acctServers: await resolve(o.acctServers ?? []),
    random,
    ...(o.timeoutMs !== undefined && { timeoutMs: o.timeoutMs }),
    ...(o.retries !== undefined && { retries: o.retries }),
    ...(o.deadTimeMs !== undefined && { deadTimeMs: o.deadTimeMs }),
    ...(o.acceptUnsignedReplies !== undefined && { acceptUnsignedReplies: o.acceptUnsignedReplies }),
  });
}

/** A dotted quad as it is; a host name resolved (once, at start) to its first IPv4 address. */
async function resolveIpv4(host: string): Promise<string> {
  return parseIpv4(host) !== undefined ? host : (await lookup(host, { family: 4 })).address;
}
