// The thin adapter of STYLE.md C.5: the only place a clock, a UDP socket and a timer meet a
// sans-IO Engine (src/core/engine.ts). One OS timer, re-armed to pollTimeout() after every flush.
// Related: udp-open.ts (dgram or batched koffi socket), clock.ts.
import type { Engine, PeerAddress } from '../core/engine.js';
import type { Instant } from '../core/time.js';
import { monotonicNow } from './clock.js';
import { openUdpTransport } from './udp-open.js';
import type { UdpTransport, UdpTransportKind } from './udp-transport.js';

/** An engine with IP packets to drain besides its events (the LNS towards a TUN device). */
export interface IpPacketSource<P> {
  pollIpPacket(): P | undefined;
}

/** Options of driveOverUdp. */
export interface UdpDriverOptions<E, P = never> {
  /** Local address to bind; default '0.0.0.0'. */
  readonly address?: string;
  /** Local port (1701 for L2TP); 0 picks an ephemeral one. */
  readonly port: number;
  /** Every engine event, in order, after each input. */
  readonly onEvent: (event: E) => void;
  /** Every packet of the engine's pollIpPacket(), drained after the events on each flush. */
  readonly onIpPacket?: (packet: P) => void;
  /** The clock; default monotonicNow. */
  readonly now?: () => Instant;
  /**
   * Sees each datagram before the engine; return true when it consumed it (e.g. an L2TP data fast
   * path). `bytes` is only valid during the call. The driver flushes the engine afterwards anyway.
   */
  readonly onDatagram?: (bytes: Uint8Array, from: PeerAddress, now: Instant) => boolean | undefined;
  /** 'auto' (default) = batched recvmmsg/sendmmsg through koffi, node:dgram when that fails to load. */
  readonly transport?: UdpTransportKind | 'auto';
  /**
   * Hand the engine a copy of each datagram (default true). The batched transport reuses its
   * receive slots, so only an engine that never keeps a reference to its input may turn this off.
   */
  readonly copyDatagrams?: boolean;
  /** An engine method threw (a bug): report it here and keep serving; default: rethrow. */
  readonly onError?: (err: unknown) => void;
  /** The socket stopped receiving (see UdpTransportOptions.onFatal); default: onError. */
  readonly onFatal?: (err: Error) => void;
  /** The first tap (see UdpDriver.setTap); default none. */
  readonly tap?: DatagramTap;
}

/**
 * Sees every datagram received ('in', before the engine) and sent ('out'), e.g. a packet
 * capture. `bytes` is only valid during the call.
 */
export type DatagramTap = (bytes: Uint8Array, peer: PeerAddress, direction: 'in' | 'out') => void;

/** A running driver. */
export interface UdpDriver {
  /** The bound local port. */
  readonly port: number;
  /** The transport that was chosen. */
  readonly transport: UdpTransportKind;
  /**
   * Sends a datagram outside the engine (e.g. the data path); see UdpTransport.send. Replaced
   * when the tap changes (without a tap it is the transport's send itself, no check per
   * datagram): read it at each use, do not keep it.
   */
  readonly send: (bytes: Uint8Array, to: PeerAddress) => void;
  /**
   * Sets or clears the tap. Without one, receiving pays one undefined check per datagram and the
   * data path's send nothing at all.
   */
  setTap(tap: DatagramTap | undefined): void;
  /**
   * Drains the engine (transmits, events) and re-arms the timer. Call it after feeding the engine
   * from elsewhere (a TUN packet, a ctl command such as disconnect).
   */
  flush(): void;
  /** Stops the timer and closes the socket; no callback runs afterwards. */
  close(): Promise<void>;
}

/** Timeouts already due that one flush runs itself before it arms a timer (see flush). */
const MAX_DUE_ROUNDS = 4;

/** Setting a Node timer further out than this overflows to 1 ms; longer waits re-arm. */
const MAX_TIMER_MS = 0x7fff_ffff;

/** Binds a UDP socket and drives `engine` with it until close(); resolves once bound. */
export async function driveOverUdp<E, P = never>(
  engine: Engine<E> & Partial<IpPacketSource<P>>,
  opts: UdpDriverOptions<E, P>,
): Promise<UdpDriver> {
  const now = opts.now ?? monotonicNow;
  const copy = opts.copyDatagrams ?? true;
  let timer: NodeJS.Timeout | undefined;
  let armedFor: Instant | undefined;
  let closed = false;
  let transport: UdpTransport | undefined;
  let tap = opts.tap;

  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      if (opts.onError === undefined) throw err;
      opts.onError(err);
    }
  };

  const drain = (t: UdpTransport): void => {
    guard(() => {
      for (let x = engine.pollTransmit(); x !== undefined; x = engine.pollTransmit()) {
        tap?.(x.bytes, x.to, 'out');
        t.send(x.bytes, x.to);
      }
      for (let e = engine.pollEvent(); e !== undefined; e = engine.pollEvent()) opts.onEvent(e);
      const onIp = opts.onIpPacket;
      if (onIp !== undefined && engine.pollIpPacket !== undefined) {
        for (let p = engine.pollIpPacket(); p !== undefined; p = engine.pollIpPacket()) onIp(p);
      }
    });
  };

  const flush = (): void => {
    if (closed || transport === undefined) return;
    const t = transport;
    drain(t);
    // A deadline that is already due (an acknowledgement the peer's full window is waiting for,
    // RFC 2661 §5.8) runs in this turn: a Node timer waits at least 1 ms, which capped one
    // tunnel's control channel at one window per millisecond. Bounded, so an engine that keeps
    // returning a past deadline still yields to I/O and falls through to the timer below.
    for (let round = 0; round < MAX_DUE_ROUNDS && !closed; round++) {
      const due = engine.pollTimeout();
      const at = now();
      if (due === undefined || due > at) break;
      guard(() => engine.handleTimeout(at));
      drain(t);
    }
    t.flush();
    if (closed) return; // onEvent may have closed us
    const deadline = engine.pollTimeout();
    if (deadline === armedFor) return;
    clearTimeout(timer);
    timer = undefined;
    armedFor = deadline;
    if (deadline !== undefined) {
      timer = setTimeout(onTimer, Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(deadline - now()))));
    }
  };

  const onTimer = (): void => {
    timer = undefined;
    armedFor = undefined;
    if (closed) return;
    guard(() => engine.handleTimeout(now()));
    flush();
  };

  transport = await openUdpTransport(opts.transport ?? 'auto', {
    address: opts.address,
    port: opts.port,
    onDatagram: (bytes, from) => {
      if (closed) return;
      tap?.(bytes, from, 'in');
      const at = now();
      guard(() => {
        if (opts.onDatagram?.(bytes, from, at) === true) return;
        // dgram hands out a fresh Buffer per datagram; only the batched transport reuses slots.
        engine.handleDatagram(copy && transport?.kind !== 'dgram' ? new Uint8Array(bytes) : bytes, from, at);
      });
    },
    onBatchEnd: flush,
    onFatal: (err) => (opts.onFatal ?? opts.onError)?.(err),
  });
  // Deadlines set before the first datagram (e.g. a LAC's openTunnel) arm the timer now.
  flush();
  const t = transport;
  const plainSend = (bytes: Uint8Array, to: PeerAddress): void => t.send(bytes, to);
  const sendFor = (x: DatagramTap | undefined): UdpDriver['send'] =>
    x === undefined
      ? plainSend
      : (bytes, to) => {
          x(bytes, to, 'out');
          t.send(bytes, to);
        };
  let send = sendFor(tap);
  return {
    port: t.port,
    transport: t.kind,
    get send() {
      return send;
    },
    setTap(next) {
      tap = next;
      send = sendFor(next);
    },
    flush,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await t.close();
    },
  };
}
