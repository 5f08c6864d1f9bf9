// Test support: two PppLinks joined by an in-memory frame pipe on virtual time, with seeded loss
// (quinn `Pair`, aioquic loss-by-non-delivery). Related: link.test.ts, ../support/seeded-random.ts.

import type { AuthEngine } from '../../src/core/auth-engine.js';
import type { Instant } from '../../src/core/time.js';
import type { PppEvent, PppLink } from '../../src/ppp/link.js';
import { seededRandom } from '../support/seeded-random.js';

interface InFlight {
  at: Instant;
  to: 0 | 1;
  frame: Uint8Array;
}

/** Two links, a lossy pipe and a virtual clock. */
export class FramePipe {
  now: Instant = 0;
  readonly events: [PppEvent[], PppEvent[]] = [[], []];
  readonly sent: [Uint8Array[], Uint8Array[]] = [[], []];
  private inFlight: InFlight[] = [];
  private readonly rng: ReturnType<typeof seededRandom>;
  /** Set to rewrite or drop (return undefined) frames in flight, per direction (from side). */
  tamper: ((frame: Uint8Array, from: 0 | 1) => Uint8Array | undefined) | undefined;

  constructor(
    readonly links: [PppLink, PppLink],
    readonly opts: { loss?: number; delayMs?: number; seed?: number; loopback?: boolean } = {},
  ) {
    this.rng = seededRandom(opts.seed ?? 1);
  }

  /** Drains outputs of both links into the pipe and their events into `events`. */
  flush(): void {
    for (const side of [0, 1] as const) {
      const link = this.links[side];
      for (let f = link.pollFrame(); f !== undefined; f = link.pollFrame()) {
        this.sent[side].push(f);
        const out = this.tamper ? this.tamper(f, side) : f;
        if (out === undefined) continue;
        if ((this.opts.loss ?? 0) > 0 && this.rng.next() / 0x1_0000_0000 < (this.opts.loss ?? 0)) continue;
        const to = this.opts.loopback ? side : side === 0 ? 1 : 0;
        this.inFlight.push({ at: this.now + (this.opts.delayMs ?? 5), to, frame: out });
      }
      for (let e = link.pollEvent(); e !== undefined; e = link.pollEvent()) this.events[side].push(e);
    }
  }

  /** One step: advance to the earliest delivery or deadline and process it. False when idle. */
  step(): boolean {
    this.flush();
    let next: Instant | undefined;
    for (const f of this.inFlight) if (next === undefined || f.at < next) next = f.at;
    for (const l of this.links) {
      const t = l.pollTimeout();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    if (next === undefined) return false;
    this.now = Math.max(this.now, next);
    const due = this.inFlight.filter((f) => f.at <= this.now);
    this.inFlight = this.inFlight.filter((f) => f.at > this.now);
    for (const f of due) {
      this.links[f.to].handleFrame(f.frame, this.now);
      this.flush();
    }
    for (const l of this.links) {
      const t = l.pollTimeout();
      if (t !== undefined && t <= this.now) l.handleTimeout(this.now);
    }
    this.flush();
    return true;
  }

  /** Steps until `done()` or `untilMs` of virtual time; returns done(). */
  runUntil(done: () => boolean, untilMs = 120_000): boolean {
    let guard = 0;
    while (!done() && this.now <= untilMs && guard++ < 100_000) {
      if (!this.step()) break;
    }
    return done();
  }

  /** Events of type `type` seen on `side`. */
  of<T extends PppEvent['type']>(side: 0 | 1, type: T): Extract<PppEvent, { type: T }>[] {
    return this.events[side].filter((e): e is Extract<PppEvent, { type: T }> => e.type === type);
  }
}

const te = new TextEncoder();
const td = new TextDecoder();

/** A tiny in-test PAP-like authenticator (RFC 1334 §2.2 packet shapes, no real security). */
export function fakePapServer(users: Record<string, string>): AuthEngine {
  const out: Uint8Array[] = [];
  const s = {
    protocol: 0xc023,
    lcpData: new Uint8Array([0xc0, 0x23]),
    outcome: undefined as AuthEngine['outcome'],
    start(): void {},
    handlePacket(p: Uint8Array): void {
      if (p.length < 6 || p[0] !== 1) return;
      const ul = p[4]!;
      const user = td.decode(p.subarray(5, 5 + ul));
      const pl = p[5 + ul] ?? 0;
      const pass = td.decode(p.subarray(6 + ul, 6 + ul + pl));
      const ok = users[user] === pass;
      out.push(new Uint8Array([ok ? 2 : 3, p[1]!, 0, 5, 0]));
      if (s.outcome === undefined) s.outcome = ok ? { ok: true, user } : { ok: false, user, reason: 'bad password' };
    },
    handleTimeout(): void {},
    pollPacket: (): Uint8Array | undefined => out.shift(),
    pollTimeout: (): Instant | undefined => undefined,
  };
  return s;
}

/** The matching PAP-like peer: sends Authenticate-Request at start and every second until answered. */
export function fakePapClient(user: string, password: string): AuthEngine {
  const out: Uint8Array[] = [];
  let id = 0;
  let retryAt: Instant | undefined;
  const request = (now: Instant): void => {
    const u = te.encode(user);
    const pw = te.encode(password);
    const len = 6 + u.length + pw.length;
    const p = new Uint8Array(len);
    p.set([1, ++id & 0xff, len >> 8, len & 0xff, u.length]);
    p.set(u, 5);
    p[5 + u.length] = pw.length;
    p.set(pw, 6 + u.length);
    out.push(p);
    retryAt = now + 1000;
  };
  const c = {
    protocol: 0xc023,
    lcpData: new Uint8Array([0xc0, 0x23]),
    outcome: undefined as AuthEngine['outcome'],
    start: (now: Instant): void => request(now),
    handlePacket(p: Uint8Array): void {
      if (p.length < 4 || c.outcome !== undefined) return;
      if (p[0] === 2) c.outcome = { ok: true, user };
      else if (p[0] === 3) c.outcome = { ok: false, user, reason: 'nak' };
      retryAt = undefined;
    },
    handleTimeout(now: Instant): void {
      if (retryAt !== undefined && retryAt <= now && c.outcome === undefined) request(now);
    },
    pollPacket: (): Uint8Array | undefined => out.shift(),
    pollTimeout: (): Instant | undefined => retryAt,
  };
  return c;
}
