// Test helpers for src/chap engines: drive an authenticator and a peer against each other in
// memory, with an optional hook that drops or rewrites packets in flight.

import type { AuthEngine } from '../../src/chap/types.js';
import type { Random } from '../../src/core/random.js';

/** One packet seen in flight. */
export interface Flight {
  readonly from: 'server' | 'client';
  readonly packet: Uint8Array;
}

/**
 * Delivers packets both ways until neither side has anything to send. `tamper` may return a
 * replacement packet or undefined to drop it. Returns everything that was sent (before tampering).
 */
export function exchange(
  server: AuthEngine,
  client: AuthEngine,
  now: number,
  tamper?: (f: Flight) => Uint8Array | undefined,
): Flight[] {
  const log: Flight[] = [];
  for (let rounds = 0; rounds < 100; rounds++) {
    let moved = false;
    for (let p = server.pollPacket(); p !== undefined; p = server.pollPacket()) {
      moved = true;
      const f: Flight = { from: 'server', packet: p };
      log.push(f);
      const d = tamper ? tamper(f) : p;
      if (d !== undefined) client.handlePacket(d, now);
    }
    for (let p = client.pollPacket(); p !== undefined; p = client.pollPacket()) {
      moved = true;
      const f: Flight = { from: 'client', packet: p };
      log.push(f);
      const d = tamper ? tamper(f) : p;
      if (d !== undefined) server.handlePacket(d, now);
    }
    if (!moved) return log;
  }
  throw new Error('exchange did not settle');
}

/** Drains an engine's output. */
export function drain(e: AuthEngine): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = e.pollPacket(); p !== undefined; p = e.pollPacket()) out.push(p);
  return out;
}

/** A Random that hands out fixed octets (cycled) and a fixed integer: for RFC vectors end to end. */
export function fixedRandom(octets: Uint8Array, int: number): Random {
  return {
    fill(into: Uint8Array): Uint8Array {
      for (let i = 0; i < into.length; i++) into[i] = octets[i % octets.length]!;
      return into;
    },
    int: () => int,
  };
}

/** Latin-1 text of a CHAP Success/Failure message (octets 4..Length). */
export function statusText(packet: Uint8Array): string {
  const length = (packet[2]! << 8) | packet[3]!;
  return String.fromCharCode(...packet.subarray(4, length));
}
