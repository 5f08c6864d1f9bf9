// Drives one sans-IO engine over a real UDP socket bound inside a lab namespace, collecting its
// events so tests can await them. Related: src/io/udp-driver.ts, test/support/netns.ts.
import type { Engine, PeerAddress } from '../../src/core/engine.js';
import type { Instant } from '../../src/core/time.js';
import { monotonicNow } from '../../src/io/clock.js';
import { driveOverUdp, type UdpDriver } from '../../src/io/udp-driver.js';
import type { UdpTransportKind } from '../../src/io/udp-transport.js';
import { type NetLab, waitFor } from '../support/netns.js';

/** The `type` tags of an event union. */
export type EventType<E> = E extends { type: infer T extends string } ? T : never;

/** An engine running over UDP: every event is kept in `events` (in order). */
export interface Driven<E> {
  readonly events: E[];
  /** Monotonic ms, the clock handed to the engine. */
  now(): Instant;
  /** Runs `command` against the engine with `now`, then sends what it queued and re-arms the timer. */
  act<T>(command: (now: Instant) => T): T;
  /** Resolves with the first event (seen so far or later) that matches; throws after `timeoutMs`. */
  waitEvent<X extends E>(what: string, match: (e: E) => e is X, timeoutMs?: number): Promise<X>;
  waitEvent(what: string, match: (e: E) => boolean, timeoutMs?: number): Promise<E>;
  /** The first event of `type` (seen so far or later) for which `match` holds. */
  waitType<K extends EventType<E>>(
    type: K,
    match?: (e: Extract<E, { type: K }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<E, { type: K }>>;
  /** Closes the socket and the timer (the engine is not told). */
  stop(): Promise<void>;
}

/**
 * Binds udp4 `bind` inside namespace `ns` and drives `engine` with src/io/udp-driver.ts (the
 * production adapter, batched transport by default) over it; every event lands in `events`.
 */
export async function driveInNamespace<E>(
  lab: NetLab,
  ns: string,
  engine: Engine<E>,
  bind: PeerAddress,
  describe: (e: E) => string = (e) => JSON.stringify(e),
  transport: UdpTransportKind | 'auto' = (process.env['L2TP_INTEROP_TRANSPORT'] as UdpTransportKind | undefined) ??
    'auto',
): Promise<Driven<E>> {
  const events: E[] = [];
  const driver: UdpDriver = await lab.withNetns(ns, () =>
    driveOverUdp(engine, {
      address: bind.address,
      port: bind.port,
      transport,
      onEvent: (e) => events.push(e),
      now: monotonicNow,
    }),
  );
  return {
    events,
    now: monotonicNow,
    act<T>(command: (n: Instant) => T): T {
      const r = command(monotonicNow());
      driver.flush();
      return r;
    },
    async waitEvent(what: string, match: (e: E) => boolean, timeoutMs = 10_000): Promise<E> {
      let found: E | undefined;
      await waitFor(
        what,
        () => {
          found = events.find(match);
          return found !== undefined;
        },
        timeoutMs,
        () => `events so far:\n${events.map(describe).join('\n')}`,
      );
      return found!;
    },
    waitType(type: string, match: (e: never) => boolean = () => true, timeoutMs = 10_000) {
      return this.waitEvent(type, (e: E) => (e as { type?: unknown }).type === type && match(e as never), timeoutMs);
    },
    stop: () => driver.close(),
  } as Driven<E>;
}
