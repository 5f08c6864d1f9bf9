// Session limits on virtual time (issue 9): a session that never reaches the PPP Network phase is
// cleared after networkPhaseTimeoutMs (default 60 s); pppd `idle` and `maxconnect` clear a session
// with the matching reason and a CDN carrying the RFC 3145 cause.
// Related: src/session/ppp-over-l2tp.ts (checkLimits), src/lns/lns.ts, test/support/sim-network.ts.
import { describe, expect, it } from 'vitest';
import { u16 } from '../../src/core/bytes.js';
import type { Engine, PeerAddress, Transmit } from '../../src/core/engine.js';
import { L2tpHeaderView } from '../../src/l2tp/wire/header.js';
import { decodeControlMessage, findAvp } from '../../src/l2tp/wire/message.js';
import { LacEngine, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine, type LnsEngineOptions, type LnsEvent } from '../../src/lns/lns.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

const LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };
const LAC: PeerAddress = { address: '198.51.100.1', port: 1701 };
const CDN = 14;
const PPP_DISCONNECT_CAUSE = 46;

/** The PPP protocol of a data message, or undefined for control messages. */
function pppProtocol(bytes: Uint8Array): number | undefined {
  const v = new L2tpHeaderView();
  if (v.wrap(bytes) !== undefined || v.isControl) return undefined;
  const f = v.body;
  const at = f[0] === 0xff && f[1] === 0x03 ? 2 : 0;
  return f.length >= at + 2 ? u16(f, at) : undefined;
}

/** An engine wrapper: records what it sends; `gone` makes it deaf and silent (a stalled peer). */
class Tap<E> implements Engine<E> {
  readonly sent: Transmit[] = [];
  gone = false;
  constructor(
    readonly inner: Engine<E>,
    private readonly drop: (t: Transmit) => boolean = () => false,
  ) {}
  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: number): void {
    if (!this.gone) this.inner.handleDatagram(bytes, from, now);
  }
  handleTimeout(now: number): void {
    if (!this.gone) this.inner.handleTimeout(now);
  }
  pollTransmit(): Transmit | undefined {
    for (let t = this.inner.pollTransmit(); t !== undefined; t = this.inner.pollTransmit()) {
      if (this.gone || this.drop(t)) continue;
      this.sent.push(t);
      return t;
    }
    return undefined;
  }
  pollTimeout(): number | undefined {
    return this.gone ? undefined : this.inner.pollTimeout();
  }
  pollEvent(): E | undefined {
    return this.inner.pollEvent();
  }
}

/** RFC 3145 cause codes in the CDNs a node sent. */
function cdnCauses(sent: readonly Transmit[]): number[] {
  const v = new L2tpHeaderView();
  const causes: number[] = [];
  for (const t of sent) {
    if (v.wrap(t.bytes) !== undefined || !v.isControl) continue;
    const m = decodeControlMessage(v.body);
    if (!m.ok || m.value.type !== CDN) continue;
    const cause = findAvp(m.value, PPP_DISCONNECT_CAUSE);
    if (cause !== undefined) causes.push(u16(cause.value, 0));
  }
  return causes;
}

function world(lnsOpts: Partial<LnsEngineOptions>, dropFromLac?: (t: Transmit) => boolean) {
  const net = new SimNetwork(9, { minDelayMs: 2, maxDelayMs: 5 });
  const lns = new LnsEngine({
    random: seededRandom(21),
    hostName: 'lns',
    auth: ['mschapv2'],
    users: (u) => (u === 'alice' ? { secret: 's3cret' } : undefined),
    pool: new AddressPool(['10.1.20.31-10.1.20.50'], { exclude: ['10.1.20.30'] }),
    localAddress: '10.1.20.30',
    userspace: true,
    ...lnsOpts,
  });
  const lnsTap = new Tap(lns);
  const lnsEvents: LnsEvent[] = net.attach(LNS, lnsTap);
  const lac = new LacEngine({ random: seededRandom(22), server: LNS, user: 'alice', password: 's3cret' });
  const lacTap = new Tap(lac, dropFromLac);
  const lacEvents: LacEvent[] = net.attach(LAC, lacTap);
  lac.start(net.now);
  return { net, lns, lnsTap, lnsEvents, lac, lacTap, lacEvents };
}

const of = <T extends { type: string }, K extends T['type']>(es: readonly T[], type: K): Extract<T, { type: K }>[] =>
  es.filter((e): e is Extract<T, { type: K }> => e.type === type);

/**
 * The call comes up (ICCN), then the peer stalls: it never answers PPP. With a restart timer of
 * 30 s × 10 Configure-Requests (RFC 1661 §4.6) LCP alone would hold the session for 300 s.
 */
function stalledCall(lnsOpts: Partial<LnsEngineOptions>) {
  const w = world({ restartMs: 30_000, ...lnsOpts });
  expect(w.net.runUntil(() => of(w.lnsEvents, 'session-started').length === 1, 10_000)).toBe(true);
  w.lacTap.gone = true;
  return w;
}

/** The LAC's IPCP frames never reach the LNS. */
const dropIpcp = (t: Transmit): boolean => pppProtocol(t.bytes) === 0x8021;

describe('session limits on virtual time', () => {
  it('a session that never reaches the Network phase is cleared with a CDN 60 s after its call came up (default)', () => {
    const w = stalledCall({});
    const startedAt = w.net.now;
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-down').length === 1, 120_000)).toBe(true);
    const elapsed = w.net.now - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(60_000);
    expect(elapsed).toBeLessThan(61_000);
    expect(of(w.lnsEvents, 'session-down')[0]!.reason).toBe('network-phase-timeout');
    expect(of(w.lnsEvents, 'session-up')).toHaveLength(0);
    // RFC 3145: stuck in LCP negotiation, the cause is 5 (LCP FSM timeout).
    expect(cdnCauses(w.lnsTap.sent)).toEqual([5]);
    expect(w.lns.sessions(w.net.now)).toEqual([]);
    expect(w.lns.status().addressesInUse).toBe(0);
  });

  it('a peer that answers LCP and authentication but never IPCP is cleared too (RFC 3145 cause 17, NCP timeout)', () => {
    const w = world({ restartMs: 20_000, networkPhaseTimeoutMs: 15_000 }, dropIpcp);
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-started').length === 1, 10_000)).toBe(true);
    const startedAt = w.net.now;
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-down').length === 1, 60_000)).toBe(true);
    expect(w.net.now - startedAt).toBeLessThan(16_000);
    expect(of(w.lnsEvents, 'session-down')[0]!.reason).toBe('network-phase-timeout');
    expect(cdnCauses(w.lnsTap.sent)).toEqual([17]);
    w.net.runIdle(w.net.now + 1_000);
    expect(of(w.lacEvents, 'session-down')).toHaveLength(1);
  });

  it('networkPhaseTimeoutMs is configurable, and a session that reaches the Network phase in time is not cleared', () => {
    const w = stalledCall({ networkPhaseTimeoutMs: 5_000 });
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-down').length === 1, 20_000)).toBe(true);
    expect(w.net.now).toBeLessThan(8_000);
    const ok = world({ networkPhaseTimeoutMs: 5_000 });
    expect(ok.net.runUntil(() => of(ok.lnsEvents, 'session-up').length === 1, 5_000)).toBe(true);
    ok.net.runIdle(ok.net.now + 120_000);
    expect(of(ok.lnsEvents, 'session-down')).toHaveLength(0);
  });

  it('pppd idle: no IP packet either way for N s clears the session (idle-timeout, RFC 3145 cause 3); LCP echoes do not count', () => {
    const w = world({ idleTimeoutMs: 30_000, echoIntervalMs: 5_000, echoFailure: 4 });
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-up').length === 1, 10_000)).toBe(true);
    const session = [...w.lac.sessions.values()][0]!;
    // Traffic from the LAC every 10 s for 60 s keeps it up…
    for (let i = 0; i < 6; i++) {
      w.net.runIdle(w.net.now + 10_000);
      expect(w.lac.ping(session, w.net.now, 32)).toBe(true);
    }
    // …and so does traffic we send only (a one-way stream towards the peer).
    for (let i = 0; i < 6; i++) {
      w.net.runIdle(w.net.now + 10_000);
      expect(w.lns.sendIp(echoTo(session.localAddress!, i))).toBe(true);
    }
    expect(of(w.lnsEvents, 'session-down')).toHaveLength(0);
    const lastPacketAt = w.net.now;
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-down').length === 1, lastPacketAt + 120_000)).toBe(true);
    // Sent packets are noticed at the next check: cut at most one period late, never early.
    expect(w.net.now - lastPacketAt).toBeGreaterThanOrEqual(30_000);
    expect(w.net.now - lastPacketAt).toBeLessThanOrEqual(61_000);
    expect(of(w.lnsEvents, 'session-down')[0]!.reason).toBe('idle-timeout');
    expect(cdnCauses(w.lnsTap.sent)).toEqual([3]);
  });

  it('pppd idle with no traffic at all: cleared N s after the Network phase', () => {
    const w = world({ idleTimeoutMs: 20_000 });
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-up').length === 1, 10_000)).toBe(true);
    const upAt = w.net.now;
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-down').length === 1, upAt + 60_000)).toBe(true);
    expect(w.net.now - upAt).toBeGreaterThanOrEqual(19_990);
    expect(w.net.now - upAt).toBeLessThan(21_000);
    expect(of(w.lnsEvents, 'session-down')[0]!.reason).toBe('idle-timeout');
  });

  it('pppd maxconnect: N s after the Network phase the session is cleared (session-timeout), traffic or not', () => {
    const w = world({ maxConnectMs: 45_000 });
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-up').length === 1, 10_000)).toBe(true);
    const upAt = w.net.now;
    const session = [...w.lac.sessions.values()][0]!;
    for (let i = 0; i < 4; i++) {
      w.net.runIdle(w.net.now + 10_000);
      w.lac.ping(session, w.net.now, 32);
    }
    expect(w.net.runUntil(() => of(w.lnsEvents, 'session-down').length === 1, upAt + 120_000)).toBe(true);
    expect(w.net.now - upAt).toBeGreaterThanOrEqual(44_990);
    expect(w.net.now - upAt).toBeLessThan(46_000);
    expect(of(w.lnsEvents, 'session-down')[0]!.reason).toBe('session-timeout');
    expect(cdnCauses(w.lnsTap.sent)).toEqual([3]);
    w.net.runIdle(w.net.now + 1_000);
    expect(of(w.lacEvents, 'session-down')).toHaveLength(1);
  });
});

/** A UDP datagram from the LNS's address to `dst` (any IPv4 packet would do). */
function echoTo(dst: string, seq: number): Uint8Array {
  const p = new Uint8Array(28);
  p[0] = 0x45;
  p[3] = 28;
  p[8] = 64;
  p[9] = 17;
  p.set([10, 1, 20, 30], 12);
  p.set(dst.split('.').map(Number), 16);
  p[21] = seq;
  p[23] = 9;
  p[25] = 8;
  return p;
}
