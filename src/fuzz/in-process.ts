// The in-process fuzz target: one of our sans-IO engines (Endpoint or LnsEngine, LNS role) on
// virtual time. Each connection is a fresh peer address; receive() advances virtual time only as
// far as needed, so a million cases cost no wall-clock waiting. Related: target.ts, conversation.ts.
import { type Engine, type PeerAddress, peerKey } from '../core/engine.js';
import { Fifo } from '../core/fifo.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { Endpoint, type EndpointOptions } from '../l2tp/endpoint.js';
import { AddressPool } from '../lns/address-pool.js';
import { LnsEngine } from '../lns/lns.js';
import type { FuzzConnection, FuzzTarget, FuzzTargetFactory } from './target.js';

/** The engine under test plus what its health check may look at. */
export interface InProcessSubject {
  readonly engine: Engine<unknown>;
  readonly endpoint: Endpoint;
  /** Extra state that must be empty after teardown (e.g. LNS sessions, pool addresses in use). */
  readonly leftovers?: () => string | undefined;
}

/** The address the target listens at (what connections send to). */
export const IN_PROCESS_ADDRESS: PeerAddress = { address: '192.0.2.1', port: 1701 };

/** Virtual time the leak check lets pass: every retransmission cycle and HELLO interval ends in it. */
const SETTLE_MS = 10 * 60_000;

/** A FuzzTarget over `subject` on virtual time. */
export class InProcessTarget implements FuzzTarget {
  readonly quietMs = 300;
  now: Instant = 0;
  private nextPort = 10_000;
  private readonly queues = new Map<string, Fifo<Uint8Array>>();
  private crash: string | undefined;
  private readonly description_: string;

  constructor(
    readonly subject: InProcessSubject,
    description: string,
  ) {
    this.description_ = description;
  }

  get description(): string {
    return this.description_;
  }

  /** A fresh peer address (198.51.100.x, a new port each time). */
  async connect(): Promise<FuzzConnection> {
    const port = this.nextPort++;
    const me: PeerAddress = { address: `198.51.100.${1 + ((port >> 16) & 0xff)}`, port: port & 0xffff };
    const key = peerKey(me);
    this.queues.set(key, new Fifo());
    return {
      send: async (bytes) => {
        this.guard(() => this.subject.engine.handleDatagram(bytes.slice(), me, this.now));
        this.drain();
      },
      receive: async (timeoutMs) => this.receive(key, timeoutMs),
      close: async () => {
        this.queues.delete(key);
      },
    };
  }

  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.crash ??= `threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
  }

  private drain(): void {
    const e = this.subject.engine;
    for (let t = e.pollTransmit(); t !== undefined; t = e.pollTransmit()) this.queues.get(peerKey(t.to))?.push(t.bytes);
    for (let ev = e.pollEvent(); ev !== undefined; ev = e.pollEvent()) {}
  }

  private receive(key: string, timeoutMs: number): Uint8Array | undefined {
    const deadline = this.now + timeoutMs;
    for (;;) {
      this.drain();
      const q = this.queues.get(key);
      if (q !== undefined && q.length > 0) return q.shift();
      const next = this.subject.engine.pollTimeout();
      if (next === undefined || next > deadline) {
        this.now = deadline;
        return undefined;
      }
      this.now = Math.max(this.now, next);
      this.guard(() => this.subject.engine.handleTimeout(this.now));
    }
  }

  /** A throw, a tripped internal-error guard, or (after teardown) tunnels/sessions left behind. */
  async health(afterTeardown: boolean): Promise<string | undefined> {
    if (this.crash !== undefined) return this.crash;
    const errors = this.subject.endpoint.counters.internalErrors;
    if (errors > 0) return `internal-error guard tripped ${errors} time(s) (a bug caught by Endpoint.guard)`;
    if (!afterTeardown) return undefined;
    const until = this.now + SETTLE_MS;
    for (;;) {
      this.drain();
      const next = this.subject.engine.pollTimeout();
      if (next === undefined || next > until) break;
      this.now = Math.max(this.now, next);
      this.guard(() => this.subject.engine.handleTimeout(this.now));
    }
    this.now = until;
    this.drain();
    if (this.crash !== undefined) return this.crash;
    const alive = [...this.subject.endpoint.tunnels()].filter((t) => t.state !== 'closed');
    if (alive.length > 0) {
      const t = alive[0]!;
      return `leak: ${alive.length} tunnel(s) still held ${SETTLE_MS / 60_000} min after teardown (e.g. tunnel ${t.tunnelId} in '${t.state}' with ${t.sessions} session(s))`;
    }
    const rest = this.subject.leftovers?.();
    return rest === undefined ? undefined : `leak: ${rest}`;
  }

  async close(): Promise<void> {}
}

/** Options shared by the in-process factories. */
export interface InProcessOptions {
  readonly random: () => Random;
  readonly secret?: Uint8Array;
  readonly endpoint?: Partial<Omit<EndpointOptions, 'role' | 'hostName' | 'random'>>;
}

/** A factory of bare Endpoint (LNS role) targets. */
export function endpointTargetFactory(o: InProcessOptions): FuzzTargetFactory {
  return async () => {
    const endpoint = new Endpoint({
      role: 'lns',
      hostName: 'fuzz-lns',
      random: o.random(),
      ...(o.secret !== undefined ? { tunnelSecret: () => o.secret } : {}),
      ...o.endpoint,
    });
    return new InProcessTarget({ engine: endpoint, endpoint }, 'in-process Endpoint (LNS role)');
  };
}

/** A factory of full LnsEngine targets (PPP over the sessions, no authentication, a small pool). */
export function lnsEngineTargetFactory(o: InProcessOptions): FuzzTargetFactory {
  return async () => {
    const pool = new AddressPool(['10.77.0.10-10.77.0.250'], { exclude: ['10.77.0.1'] });
    const lns = new LnsEngine({
      random: o.random(),
      hostName: 'fuzz-lns',
      auth: [],
      users: () => undefined,
      pool,
      localAddress: '10.77.0.1',
      userspace: true,
      ...(o.secret !== undefined || o.endpoint !== undefined
        ? { endpoint: { ...(o.secret !== undefined ? { tunnelSecret: () => o.secret } : {}), ...o.endpoint } }
        : {}),
    });
    return new InProcessTarget(
      {
        engine: lns,
        endpoint: lns.endpoint,
        leftovers: () => {
          const s = lns.status();
          if (s.sessions > 0) return `${s.sessions} LNS session(s) still held`;
          if (s.addressesInUse > 0) return `${s.addressesInUse} pool address(es) still in use`;
          return undefined;
        },
      },
      'in-process LnsEngine',
    );
  };
}
