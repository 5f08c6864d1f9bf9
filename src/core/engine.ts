// The shape every sans-IO engine shares (after quinn-proto's Connection).
import type { Instant } from './time.js';

/** A UDP peer. */
export interface PeerAddress {
  readonly address: string;
  readonly port: number;
}

/** A datagram to send; the caller owns `bytes`, the engine never reuses them. */
export interface Transmit {
  readonly to: PeerAddress;
  readonly bytes: Uint8Array;
}

/**
 * handle* feed input, poll* drain output (call order after every input: pollTransmit until
 * undefined, pollEvent until undefined, then pollTimeout). No method reads a clock, touches a
 * socket or arms a timer.
 */
export interface Engine<Event> {
  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void;
  handleTimeout(now: Instant): void;
  /** The caller owns the returned bytes; the engine never reuses them. */
  pollTransmit(): Transmit | undefined;
  /** Earliest deadline at which handleTimeout must be called, if any. */
  pollTimeout(): Instant | undefined;
  pollEvent(): Event | undefined;
}

/** Thrown for local misuse of an engine API (wrong state, bad argument); never for remote input. */
export class L2tpUsageError extends Error {
  constructor(
    readonly code: `ERR_L2TP_${string}`,
    message: string,
  ) {
    super(message);
    this.name = 'L2tpUsageError';
  }
}

/** Key for maps keyed by peer. */
export const peerKey = (p: PeerAddress): string => `${p.address}:${p.port}`;

/** Compile-time exhaustiveness check for `switch (x.kind)`. */
export function assertNever(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
