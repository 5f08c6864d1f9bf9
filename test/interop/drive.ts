// Drives one sans-IO engine over a real UDP socket bound inside a lab namespace, collecting its
// events so tests can await them. Related: src/io/udp-driver.ts, test/support/netns.ts.
import { createSocket, type Socket } from 'node:dgram';
import type { Engine, PeerAddress } from '../../src/core/engine.js';
import type { Instant } from '../../src/core/time.js';
import { type NetLab, waitFor } from '../support/netns.js';

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
  /** Closes the socket and the timer (the engine is not told). */
  stop(): Promise<void>;
}

/**
 * Binds udp4 `bind` inside namespace `ns` and drives `engine` over it: receive → handleDatagram →
 * flush (send all, collect events, re-arm one timer), as the io adapter does.
 */
export async function driveInNamespace<E>(
  lab: NetLab,
  ns: string,
  engine: Engine<E>,
  bind: PeerAddress,
  describe: (e: E) => string = (e) => JSON.stringify(e),
): Promise<Driven<E>> {
  const events: E[] = [];
  const t0 = performance.now();
  const now = (): Instant => performance.now() - t0;
  let timer: NodeJS.Timeout | undefined;
  let armedFor: Instant | undefined;
  let closed = false;
  const socket: Socket = await lab.withNetns(ns, async () => {
    const s = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(bind.port, bind.address, () => {
        s.off('error', reject);
        resolve();
      });
    });
    return s;
  });
  const flush = (): void => {
    if (closed) return;
    for (let t = engine.pollTransmit(); t !== undefined; t = engine.pollTransmit()) {
      socket.send(t.bytes, t.to.port, t.to.address);
    }
    for (let e = engine.pollEvent(); e !== undefined; e = engine.pollEvent()) events.push(e);
    const deadline = engine.pollTimeout();
    if (deadline === armedFor) return;
    clearTimeout(timer);
    armedFor = deadline;
    if (deadline !== undefined) timer = setTimeout(onTimer, Math.max(0, deadline - now()));
  };
  const onTimer = (): void => {
    armedFor = undefined;
    engine.handleTimeout(now());
    flush();
  };
  socket.on('message', (msg, rinfo) => {
    engine.handleDatagram(msg, { address: rinfo.address, port: rinfo.port }, now());
    flush();
  });
  return {
    events,
    now,
    act<T>(command: (n: Instant) => T): T {
      const r = command(now());
      flush();
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
    async stop(): Promise<void> {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await new Promise<void>((r) => socket.close(() => r()));
    },
  } as Driven<E>;
}
