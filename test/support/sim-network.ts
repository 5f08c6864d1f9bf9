// A seeded in-memory UDP network on virtual time (STYLE.md C.6, after quinn's Pair and smoltcp's
// netsim): engines attach at addresses; datagrams are lost, duplicated, reordered and delayed by a
// seeded RNG. Same seed, same run. Related: test/sim/*.test.ts.
import type { Engine, PeerAddress } from '../../src/core/engine.js';
import { peerKey } from '../../src/core/engine.js';
import type { Instant } from '../../src/core/time.js';
import { seededRandom } from './seeded-random.js';

/** Link behaviour; probabilities in [0, 1], delays in virtual ms. */
export interface LinkProfile {
  readonly loss?: number;
  readonly duplicate?: number;
  /** Probability that a datagram gets an extra delay (so it overtakes nothing but is overtaken). */
  readonly reorder?: number;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

interface InFlight {
  readonly at: Instant;
  readonly seq: number;
  readonly from: PeerAddress;
  readonly to: PeerAddress;
  readonly bytes: Uint8Array;
}

/** Counters of what the network did. */
export interface SimStats {
  sent: number;
  lost: number;
  duplicated: number;
  delivered: number;
  undeliverable: number;
}

/** A deterministic lossy network between sans-IO engines. */
export class SimNetwork {
  now: Instant = 0;
  readonly stats: SimStats = { sent: 0, lost: 0, duplicated: 0, delivered: 0, undeliverable: 0 };
  private readonly rnd: ReturnType<typeof seededRandom>;
  private readonly nodes = new Map<string, { address: PeerAddress; engine: Engine<unknown>; events: unknown[] }>();
  private inflight: InFlight[] = [];
  /** NAT rebinding: datagrams from key appear to come from the value; datagrams to the value reach key's node. */
  private readonly aliasOut = new Map<string, PeerAddress>();
  private readonly aliasIn = new Map<string, string>();
  private seq = 0;

  constructor(
    seed: number,
    private profile: LinkProfile = {},
  ) {
    this.rnd = seededRandom(seed);
  }

  /** Changes the link behaviour from now on (e.g. heal a partition). */
  setProfile(p: LinkProfile): void {
    this.profile = p;
  }

  /** Attaches `engine` at `address`; returns the live array its events are collected into. */
  attach<E>(address: PeerAddress, engine: Engine<E>): E[] {
    const events: E[] = [];
    this.nodes.set(peerKey(address), { address, engine: engine as Engine<unknown>, events });
    return events;
  }

  /** From now on `node` is seen by others as `as` (a NAT rebinding to a new port). */
  alias(node: PeerAddress, as: PeerAddress): void {
    this.aliasOut.set(peerKey(node), as);
    this.aliasIn.set(peerKey(as), peerKey(node));
  }

  /** Puts a datagram on the wire as if `from` had sent it (garbage injection, spoofing). */
  inject(from: PeerAddress, to: PeerAddress, bytes: Uint8Array, delayMs = 0): void {
    this.inflight.push({ at: this.now + delayMs, seq: this.seq++, from, to, bytes });
  }

  /** Drains every engine's output onto the wire (through the link profile) and collects events. */
  private drain(): void {
    const p = this.profile;
    for (const node of this.nodes.values()) {
      for (let t = node.engine.pollTransmit(); t !== undefined; t = node.engine.pollTransmit()) {
        this.stats.sent++;
        if (this.rnd.next() / 2 ** 32 < (p.loss ?? 0)) {
          this.stats.lost++;
          continue;
        }
        const copies = this.rnd.next() / 2 ** 32 < (p.duplicate ?? 0) ? 2 : 1;
        if (copies === 2) this.stats.duplicated++;
        for (let i = 0; i < copies; i++) {
          let delay = this.rnd.int(p.minDelayMs ?? 1, p.maxDelayMs ?? p.minDelayMs ?? 1);
          if (this.rnd.next() / 2 ** 32 < (p.reorder ?? 0)) delay += this.rnd.int(1, 200);
          const from = this.aliasOut.get(peerKey(node.address)) ?? node.address;
          this.inflight.push({ at: this.now + delay, seq: this.seq++, from, to: t.to, bytes: t.bytes });
        }
      }
      for (let e = node.engine.pollEvent(); e !== undefined; e = node.engine.pollEvent()) node.events.push(e);
    }
  }

  /** One step: drain, advance to the earliest arrival or deadline, deliver / fire. False when idle. */
  step(limit: Instant = Number.POSITIVE_INFINITY): boolean {
    this.drain();
    let next = Number.POSITIVE_INFINITY;
    for (const f of this.inflight) next = Math.min(next, f.at);
    for (const node of this.nodes.values()) next = Math.min(next, node.engine.pollTimeout() ?? next);
    if (!Number.isFinite(next) || next > limit) return false;
    this.now = Math.max(this.now, next);
    const due = this.inflight.filter((f) => f.at <= this.now).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.inflight = this.inflight.filter((f) => f.at > this.now);
    for (const f of due) {
      const key = peerKey(f.to);
      const node = this.nodes.get(this.aliasIn.get(key) ?? key);
      if (node === undefined) {
        this.stats.undeliverable++;
        continue;
      }
      this.stats.delivered++;
      node.engine.handleDatagram(f.bytes, f.from, this.now);
    }
    for (const node of this.nodes.values()) {
      const t = node.engine.pollTimeout();
      if (t !== undefined && t <= this.now) node.engine.handleTimeout(this.now);
    }
    this.drain();
    return true;
  }

  /** Steps until `cond()` holds or virtual time passes `untilMs`; returns whether cond held. */
  runUntil(cond: () => boolean, untilMs: Instant): boolean {
    for (;;) {
      if (cond()) return true;
      if (!this.step(untilMs)) return cond();
    }
  }

  /** Steps until nothing is pending or `untilMs`. */
  runIdle(untilMs: Instant): void {
    while (this.step(untilMs)) {}
  }
}
