// An LNS engine and a LAC engine wired back to back on virtual time (no loss, no delay: datagrams
// are handed over directly), with many sessions up at once: the fixture of the teardown test and
// of bench/teardown.ts. Deterministic (fixed seeds). Related: sim-session.ts (one session, over SimNetwork).
import type { Engine, PeerAddress } from '../../src/core/engine.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { LacEngine } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine, type LnsEngineOptions, type LnsEvent } from '../../src/lns/lns.js';

export const PAIR_LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };
export const PAIR_LAC: PeerAddress = { address: '198.51.100.1', port: 1701 };

/** Drains an engine's events; returns them when `into` is given (else only counts). */
export function drainEvents<E>(e: Engine<E>, into?: E[]): number {
  let n = 0;
  for (let ev = e.pollEvent(); ev !== undefined; ev = e.pollEvent()) {
    n++;
    into?.push(ev);
  }
  return n;
}

/** Two engines back to back; `lnsEvents` collects every LNS event `run` drained. */
export class EnginePair {
  now = 0;
  readonly lnsEvents: LnsEvent[] = [];
  constructor(
    readonly lns: LnsEngine,
    readonly lac: LacEngine,
    private readonly keepEvents: boolean,
  ) {}

  /** Moves datagrams until both are quiet, then advances time to the next deadline, until `until` or `maxMs`. */
  run(until: () => boolean, maxMs: number): boolean {
    const end = this.now + maxMs;
    while (this.now <= end) {
      for (let moved = true; moved; ) {
        moved = this.move(this.lac, PAIR_LAC, this.lns) + this.move(this.lns, PAIR_LNS, this.lac) > 0;
        drainEvents(this.lns, this.keepEvents ? this.lnsEvents : undefined);
        drainEvents(this.lac);
        if (until()) return true;
      }
      const next = Math.min(this.lns.pollTimeout() ?? Infinity, this.lac.pollTimeout() ?? Infinity);
      if (next === Infinity) return until();
      this.now = Math.max(this.now, next);
      this.lns.handleTimeout(this.now);
      this.lac.handleTimeout(this.now);
    }
    return until();
  }

  /** Delivers every queued datagram of `from` to `to`; returns how many. */
  move(from: Engine<unknown>, fromAddress: PeerAddress, to: Engine<unknown>): number {
    let n = 0;
    for (let t = from.pollTransmit(); t !== undefined; t = from.pollTransmit()) {
      to.handleDatagram(t.bytes, fromAddress, this.now);
      n++;
    }
    return n;
  }
}

/**
 * `sessions` sessions in `tunnels` tunnels (sessions a multiple of tunnels), all with an address,
 * no authentication, no keepalives; the per-peer caps are lifted (one LAC address asks for every
 * call at once). Throws when they do not all come up.
 */
export function manySessionsUp(
  sessions: number,
  tunnels: number,
  o: { lns?: Partial<LnsEngineOptions>; keepEvents?: boolean } = {},
): EnginePair {
  const lns = new LnsEngine({
    random: seededRandom(7),
    hostName: 'lns',
    auth: [],
    users: () => undefined,
    pool: new AddressPool(['10.0.0.1-10.3.255.254']),
    localAddress: '10.255.255.254',
    userspace: false,
    echoIntervalMs: 0,
    endpoint: {
      helloIntervalMs: 0,
      receiveWindow: 64,
      limits: {
        maxCallsInSetupPerPeer: 1_000_000,
        maxCallsInSetupPerTunnel: 65_535,
        maxTunnelsPerPeer: 65_535,
        maxQueuedMessages: 65_535,
        newTunnelsPerSecondPerPeer: 1_000_000,
      },
    },
    ...o.lns,
  });
  const lac = new LacEngine({
    random: seededRandom(11),
    server: PAIR_LNS,
    user: 'u',
    password: 'p',
    tunnels,
    sessionsPerTunnel: sessions / tunnels,
    echoIntervalMs: 0,
    endpoint: { helloIntervalMs: 0, receiveWindow: 64, limits: { maxQueuedMessages: 65_535 } },
  });
  const pair = new EnginePair(lns, lac, o.keepEvents === true);
  lac.start(pair.now);
  const up = (): boolean => lns.status().addressesInUse === sessions;
  if (!pair.run(up, 600_000)) throw new Error(`only ${lns.status().addressesInUse} of ${sessions} sessions came up`);
  return pair;
}
