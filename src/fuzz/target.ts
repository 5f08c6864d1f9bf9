// What the fuzzer drives: any L2TP endpoint reachable by datagrams. Each case gets a fresh
// connection (a fresh source address), so a case's tunnels never collide with an earlier case's.
// Implementations: in-process.ts (our engines on virtual time), ../io/udp-fuzz-target.ts (a real peer).

/** One source address talking to the target. */
export interface FuzzConnection {
  /** Sends one datagram to the target. */
  send(bytes: Uint8Array): Promise<void>;
  /** The next datagram from the target, or undefined after `timeoutMs` (virtual or real) of silence. */
  receive(timeoutMs: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

/** The endpoint under test. */
export interface FuzzTarget {
  /** For reports: "in-process LnsEngine", "udp 10.0.0.1:1701". */
  readonly description: string;
  /** Quiet time (ms) after which the driver stops waiting for more replies to one step. */
  readonly quietMs: number;
  connect(): Promise<FuzzConnection>;
  /**
   * In-process targets only: a failure the wire cannot show (a throw, a tripped internal-error guard,
   * state left behind). `afterTeardown` asks for the leak check too (after a long quiet time).
   */
  health?(afterTeardown: boolean): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Makes a fresh target (shrinking and replay run each attempt on a fresh in-process engine). */
export type FuzzTargetFactory = () => Promise<FuzzTarget>;
