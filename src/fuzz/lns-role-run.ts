// Runs LNS-role fuzz cases (lns-role.ts) against an L2TP client and judges it: what the client
// sends must still be L2TP (RFC 2661 §3.1 header, §4.1 Message Type first) — a client answering
// corruption with garbage, or with a message addressed to a tunnel nobody assigned, is reported —
// and after every case a fresh, uncorrupted call from the same client must come up (liveness).
// In process, our own LacEngine is the client on virtual time, so a campaign costs no waiting and
// also checks for throws, tripped internal-error guards and state left behind after teardown.
// Related: lns-role.ts, ../io/fuzz-lns-role.ts (real clients over UDP), ../cli/fuzz.ts (--role lns).

import { toHex } from '../core/bytes.js';
import type { Engine, PeerAddress } from '../core/engine.js';
import { seededRandom } from '../core/seeded-random.js';
import type { Instant } from '../core/time.js';
import { CONTROL_HEADER_LENGTH } from '../l2tp/wire/header.js';
import { decodeControlMessage } from '../l2tp/wire/message.js';
import { LacEngine, type LacEngineOptions } from '../lac/lac.js';
import { AddressPool } from '../lns/address-pool.js';
import { LnsEngine } from '../lns/lns.js';
import { caseSeed } from './fuzzer.js';
import { generateLnsRoleCase, type LnsRoleCase, MutatingLns, type RoleTarget } from './lns-role.js';

/** What is wrong with a client, found by one case. */
export interface RoleFinding {
  readonly kind: 'crash' | 'liveness' | 'leak' | 'reply-malformed';
  readonly message: string;
}

/** One case's outcome. */
export interface RoleCaseResult {
  readonly index: number;
  readonly case: LnsRoleCase;
  readonly finding?: RoleFinding;
  /** Kinds of datagram our LNS sent, and LNS events reached: how deep the case got. */
  readonly sent: readonly RoleTarget[];
  readonly events: readonly string[];
  /** The case's rules that fired, by index (a rule waiting for a state never reached does not). */
  readonly fired: readonly number[];
}

/** A campaign's report: per-state coverage and the findings. */
export interface RoleReport {
  readonly target: string;
  readonly seed: number;
  readonly cases: number;
  readonly families: Readonly<Record<string, number>>;
  /** Per LNS datagram kind: in how many cases it was sent, and in how many a rule on it fired. */
  readonly reached: Readonly<Record<string, { sent: number; mutated: number }>>;
  /** Per LNS event type (tunnel-up, session-up, …): in how many cases it happened. */
  readonly events: Readonly<Record<string, number>>;
  readonly findings: readonly RoleCaseResult[];
}

/** The checks on one datagram from the client: undefined when it is a well-formed L2TP message. */
export function judgeClientDatagram(b: Uint8Array): string | undefined {
  if (b.length < 6) return `a ${b.length}-octet datagram is no L2TP header (§3.1)`;
  const flags = (b[0]! << 8) | b[1]!;
  if ((flags & 0x000f) !== 2) return `version ${flags & 0xf}, not 2 (§3.1): ${toHex(b.subarray(0, 16))}`;
  if ((flags & 0x8000) === 0) return undefined; // data: its PPP is the client's business
  if ((flags & 0x4800) !== 0x4800) return 'a control message without L and S set (§3.1)';
  const length = (b[2]! << 8) | b[3]!;
  if (length !== b.length) return `Length ${length} on a ${b.length}-octet control message (§3.1)`;
  if (b.length === CONTROL_HEADER_LENGTH) return undefined; // ZLB
  const d = decodeControlMessage(b.subarray(CONTROL_HEADER_LENGTH));
  if (!d.ok) return `control message does not decode: ${d.fault.code}${d.fault.message ? ` (${d.fault.message})` : ''}`;
  return undefined;
}

/** Options of an in-process campaign. */
export interface InProcessRoleOptions {
  readonly seed: number;
  readonly cases: number;
  /** Stop after this many findings (default 5). */
  readonly maxFindings?: number;
  readonly onCase?: (r: RoleCaseResult) => void;
  /** The client under test (default our LacEngine); tests pass a broken one to see the oracles fire. */
  readonly makeLac?: (o: LacEngineOptions) => LacEngine;
}

const LNS_AT: PeerAddress = { address: '192.0.2.1', port: 1701 };
const USER = 'fuzz';
const PASSWORD = 'fuzz-secret';
/** Virtual time one case may run: every retransmission cycle (≈ 31 s) and PPP timer ends in it. */
const CASE_MS = 60_000;
/** Virtual time after stop() before the leak check: the StopCCN's retransmissions and linger. */
const SETTLE_MS = 5 * 60_000;

/** Our LNS, mutating; MS-CHAPv2 and CHAP-MD5 for the one fuzz user, IPv6CP on. */
function mutatingLns(seed: number, c: LnsRoleCase): MutatingLns {
  const lns = new LnsEngine({
    random: seededRandom(seed ^ 0x1f2e3d4c),
    hostName: 'fuzz-lns',
    auth: ['mschapv2', 'chap'],
    users: (u) => (u === USER ? { secret: PASSWORD } : undefined),
    pool: new AddressPool(['10.78.0.10-10.78.0.250'], { exclude: ['10.78.0.1'] }),
    localAddress: '10.78.0.1',
    userspace: true,
    ipv6: true,
  });
  return new MutatingLns(lns, c.rules, seededRandom(seed ^ 0x5a5a5a5a));
}

/** Both engines on virtual time, datagrams handed across; `guard` catches the client's throws. */
class Pair {
  now: Instant = 0;
  crash: string | undefined;
  malformed: string | undefined;
  constructor(
    readonly lac: LacEngine,
    readonly lns: MutatingLns,
    private readonly lacAt: PeerAddress,
  ) {}

  guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.crash ??= `threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
  }

  /** Runs until `until` or until `done()`; returns whether done() became true. */
  run(until: Instant, done: () => boolean = () => false): boolean {
    for (let rounds = 0; rounds < 1_000_000; rounds++) {
      let moved = false;
      for (let t = this.pollLac(); t !== undefined; t = this.pollLac()) {
        moved = true;
        const why = judgeClientDatagram(t);
        if (why !== undefined) this.malformed ??= why;
        this.lns.handleDatagram(t, this.lacAt, this.now);
      }
      for (let t = this.lns.pollTransmit(); t !== undefined; t = this.lns.pollTransmit()) {
        moved = true;
        const bytes = t.bytes;
        this.guard(() => this.lac.handleDatagram(bytes, LNS_AT, this.now));
      }
      while (this.lns.pollEvent() !== undefined) {}
      if (done()) return true;
      if (moved) continue;
      const next = earliest(this.lac, this.lns);
      if (next === undefined || next > until) {
        this.now = Math.max(this.now, until);
        return done();
      }
      this.now = Math.max(this.now, next);
      this.guard(() => this.lac.handleTimeout(this.now));
      this.lns.handleTimeout(this.now);
    }
    return done();
  }

  private pollLac(): Uint8Array | undefined {
    let t: Uint8Array | undefined;
    this.guard(() => {
      t = this.lac.pollTransmit()?.bytes;
    });
    return t;
  }
}

function earliest(...engines: Engine<unknown>[]): Instant | undefined {
  let best: Instant | undefined;
  for (const e of engines) {
    const t = e.pollTimeout();
    if (t !== undefined && (best === undefined || t < best)) best = t;
  }
  return best;
}

/**
 * One case against a fresh LacEngine of ours: the mutated call, then (mutation off) a second tunnel
 * from the same client that must reach session-up, then stop() and the leak check.
 */
export function runRoleCaseInProcess(
  seed: number,
  index: number,
  c: LnsRoleCase,
  makeLac: (o: LacEngineOptions) => LacEngine = (o) => new LacEngine(o),
): RoleCaseResult {
  const s = caseSeed(seed, index);
  const lns = mutatingLns(s, c);
  const lacAt: PeerAddress = { address: '198.51.100.7', port: 40_000 + (index % 20_000) };
  const lac = makeLac({
    random: seededRandom(s ^ 0x0badf00d),
    server: LNS_AT,
    user: USER,
    password: PASSWORD,
    ipv6: true,
    tunnels: 1,
    sessionsPerTunnel: 1,
  });
  const pair = new Pair(lac, lns, lacAt);
  const lacUps = { n: 0 };
  const drainLac = (): void => {
    pair.guard(() => {
      for (let e = lac.pollEvent(); e !== undefined; e = lac.pollEvent()) if (e.type === 'session-up') lacUps.n++;
    });
  };
  const result = (finding?: RoleFinding): RoleCaseResult => ({
    index,
    case: c,
    ...(finding !== undefined && { finding }),
    sent: [...lns.progress.sent],
    events: [...lns.progress.events],
    fired: [...lns.progress.fired],
  });
  pair.guard(() => lac.start(pair.now));
  pair.run(pair.now + CASE_MS, () => {
    drainLac();
    return false;
  });
  // The LNS ends the call (odd cases: CDN, then StopCCN) or the tunnel (even: StopCCN) with the
  // rules still armed, so rules waiting for the teardown fire too.
  const inner = lns.inner;
  if (index % 2 === 1) {
    for (const s of inner.sessions(pair.now)) inner.disconnectSession(s.tunnelId, s.sessionId, pair.now);
    pair.run(pair.now + 5_000, () => {
      drainLac();
      return false;
    });
  }
  for (const t of [...inner.endpoint.tunnels()]) if (t.state !== 'closed') inner.disconnectTunnel(t.tunnelId, pair.now);
  pair.run(pair.now + CASE_MS, () => {
    drainLac();
    return false;
  });
  const sent = [...lns.progress.sent];
  const events = [...lns.progress.events];
  const fired = [...lns.progress.fired];
  const partial = (finding: RoleFinding): RoleCaseResult => ({ index, case: c, finding, sent, events, fired });
  if (pair.crash !== undefined) return partial({ kind: 'crash', message: pair.crash });
  const errors = lac.endpoint.counters.internalErrors;
  if (errors > 0) return partial({ kind: 'crash', message: `internal-error guard tripped ${errors} time(s)` });
  if (pair.malformed !== undefined) return partial({ kind: 'reply-malformed', message: pair.malformed });
  // Liveness: a second, clean tunnel from the same client (the first may be up, or gone).
  lns.enabled = false;
  const before = lacUps.n;
  pair.guard(() => lac.openTunnel(pair.now));
  const live = pair.run(pair.now + CASE_MS, () => {
    drainLac();
    return lacUps.n > before;
  });
  if (pair.crash !== undefined) return partial({ kind: 'crash', message: pair.crash });
  if (!live) {
    return partial({
      kind: 'liveness',
      message: 'after the case, a clean new tunnel from the same client did not come up',
    });
  }
  // Teardown and quiet: nothing may stay behind in the client.
  pair.guard(() => lac.stop(pair.now));
  pair.run(pair.now + SETTLE_MS, () => {
    drainLac();
    return false;
  });
  if (pair.crash !== undefined) return partial({ kind: 'crash', message: pair.crash });
  const held = [...lac.endpoint.tunnels()].filter((t) => t.state !== 'closed');
  if (held.length > 0) {
    return partial({
      kind: 'leak',
      message: `${held.length} tunnel(s) still held ${SETTLE_MS / 60_000} min after stop() (e.g. in '${held[0]!.state}')`,
    });
  }
  if (lac.sessions.size > 0)
    return partial({ kind: 'leak', message: `${lac.sessions.size} session(s) still held after stop()` });
  return result();
}

/** Adds one case to a campaign's tallies. */
export function tally(
  r: RoleCaseResult,
  acc: {
    families: Record<string, number>;
    reached: Record<string, { sent: number; mutated: number }>;
    events: Record<string, number>;
  },
): void {
  acc.families[r.case.family] = (acc.families[r.case.family] ?? 0) + 1;
  for (const k of r.sent) {
    const e = (acc.reached[k] ??= { sent: 0, mutated: 0 });
    e.sent++;
  }
  const firedTargets = new Set(r.fired.map((i) => r.case.rules[i]!.target));
  for (const k of firedTargets) {
    const e = (acc.reached[k] ??= { sent: 0, mutated: 0 });
    e.mutated++;
  }
  for (const ev of r.events) acc.events[ev] = (acc.events[ev] ?? 0) + 1;
}

/** An in-process campaign against our own LacEngine. */
export function fuzzOurLac(o: InProcessRoleOptions): RoleReport {
  const acc = { families: {}, reached: {}, events: {} } as Parameters<typeof tally>[1];
  const findings: RoleCaseResult[] = [];
  let cases = 0;
  for (let index = 0; index < o.cases && findings.length < (o.maxFindings ?? 5); index++) {
    const c = generateLnsRoleCase(seededRandom(caseSeed(o.seed, index) ^ 0x77777777));
    const r = runRoleCaseInProcess(o.seed, index, c, o.makeLac);
    cases++;
    tally(r, acc);
    if (r.finding !== undefined) findings.push(r);
    o.onCase?.(r);
  }
  return { target: 'in-process LacEngine', seed: o.seed, cases, ...acc, findings };
}
