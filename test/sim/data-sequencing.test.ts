// Data message sequencing end to end in simulation, RFC 2661 §5.4: an LNS with `flow bit` sends
// Ns from the start, a LAC begins and stops as the LNS's data says (numbering resumes), a LAC that
// asks (Sequencing Required) makes both sides always send Ns; received sequenced data is delivered
// once and in order on the fast and the slow path, duplicates and stale Ns are dropped and counted,
// gaps are skipped when the reorder buffer is full or at its deadline (virtual time).
// Related: src/session/ppp-over-l2tp.ts, src/session/data-sequencer.ts, src/l2tp/session.ts.
import { describe, expect, it } from 'vitest';
import { buildIcmpEcho, IcmpType, parseIpv4 } from '../../src/core/ipv4.js';
import { L2tpHeaderView } from '../../src/l2tp/wire/header.js';
import type { LacEngine } from '../../src/lac/lac.js';
import type { LnsEngine } from '../../src/lns/lns.js';
import type { PppSession } from '../../src/session/ppp-over-l2tp.js';
import { SIM_LAC as LAC, SIM_LOCAL_IP as LOCAL_IP, simSessionUp } from '../support/sim-session.js';

const view = new L2tpHeaderView();

/** An ICMP echo whose sequence number identifies it. */
const echo = (src: string, dst: string, seq: number): Uint8Array =>
  buildIcmpEcho({
    type: IcmpType.echoRequest,
    source: parseIpv4(src)!,
    destination: parseIpv4(dst)!,
    identifier: 9,
    sequence: seq,
    data: Uint8Array.of(1, 2, 3, 4),
  });
/** The ICMP sequence number of an IPv4 echo (20-octet header). */
const icmpSeq = (ip: Uint8Array): number => (ip[26]! << 8) | ip[27]!;

/** The next data message an engine sends (control messages and ZLBs are skipped). */
function nextData(engine: LacEngine | LnsEngine): Uint8Array {
  for (let t = engine.pollTransmit(); t !== undefined; t = engine.pollTransmit()) {
    if (view.wrap(t.bytes) === undefined && !view.isControl) return t.bytes;
  }
  throw new Error('no data message queued');
}
/** Ns of a data message, or -1 without the S bit. */
const nsOf = (datagram: Uint8Array): number => (view.wrap(datagram) === undefined ? view.ns : -2);

/** `count` IP packets from the LAC's session, as the datagrams it sends (in Ns order). */
function lacDatagrams(lac: LacEngine, session: PppSession, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    expect(lac.sendIp(session, echo(session.localAddress!, '10.200.0.1', i))).toBe(true);
    return nextData(lac);
  });
}

/** Feeds datagrams to the LNS's fast path through one reused buffer (as the batched driver does). */
function fastPath(lns: LnsEngine, datagrams: readonly Uint8Array[], order: readonly number[], now: number): number[] {
  const slot = new Uint8Array(2048);
  const out: number[] = [];
  for (const i of order) {
    const d = datagrams[i]!;
    slot.set(d);
    expect(lns.deliverInPlace(slot.subarray(0, d.length), LAC, now, (p) => out.push(icmpSeq(p)))).toBe(true);
    slot.fill(0xee); // the slot is reused: a held packet must have been copied
  }
  return out;
}

/** The same through the slow path: handleDatagram, then pollIpPacket. */
function slowPath(lns: LnsEngine, datagrams: readonly Uint8Array[], order: readonly number[], now: number): number[] {
  const out: number[] = [];
  for (const i of order) {
    lns.handleDatagram(datagrams[i]!.slice(), LAC, now);
    for (let p = lns.pollIpPacket(); p !== undefined; p = lns.pollIpPacket()) out.push(icmpSeq(p.packet));
  }
  return out;
}

const dropped = (lns: LnsEngine, now: number) => lns.sessions(now)[0]!.dropped as Record<string, number>;

describe('RFC 2661 §5.4 sequencing: who sends Ns', () => {
  it('without flow bit and without Sequencing Required neither side sends Ns', () => {
    const { lns, lac, lacSession } = simSessionUp();
    expect(lns.sendIp(echo(LOCAL_IP, lacSession.localAddress!, 1))).toBe(true);
    expect(nsOf(nextData(lns))).toBe(-1);
    lac.sendIp(lacSession, echo(lacSession.localAddress!, LOCAL_IP, 1));
    expect(nsOf(nextData(lac))).toBe(-1);
  });

  it('RFC2661-5.4: an LNS with flow bit sends Ns from the start; the LAC MUST begin sending them', () => {
    const { net, lns, lac, lacSession } = simSessionUp({ lns: { sequencing: true } });
    // The LNS's first data message (its LCP Configure-Request) carried Ns 0: the LAC saw no gap.
    expect(lacSession.sequencer?.skipped).toBe(0);
    expect(lacSession.sequencer!.expectedNs).toBeGreaterThan(0);
    expect(lacSession.handle.sequencing).toBe(true);
    expect(lacSession.handle.sequencingRequired).toBe(false);
    lac.sendIp(lacSession, echo(lacSession.localAddress!, LOCAL_IP, 1));
    expect(nsOf(nextData(lac))).toBeGreaterThan(0);
    expect(lns.sendIp(echo(LOCAL_IP, lacSession.localAddress!, 1))).toBe(true);
    expect(nsOf(nextData(lns))).toBeGreaterThan(0);
    expect(net.now).toBeGreaterThan(0);
  });

  it('RFC2661-5.4: data from the LNS without Ns → the LAC MUST stop; with Ns again → it resumes where it left off', () => {
    const { net, lns, lac, lacSession } = simSessionUp({ lns: { sequencing: true } });
    const h = lacSession.handle;
    const lnsHandle = lns.endpoint.session(h.peerTunnelId, h.peerSessionId)!;
    const toLac = (seq: number): void => {
      expect(lns.sendIp(echo(LOCAL_IP, lacSession.localAddress!, seq))).toBe(true);
      lac.handleDatagram(nextData(lns), { address: '192.0.2.1', port: 1701 }, net.now);
    };
    const fromLac = (): number => {
      lac.sendIp(lacSession, echo(lacSession.localAddress!, LOCAL_IP, 0));
      return nsOf(nextData(lac));
    };
    const before = fromLac();
    expect(before).toBeGreaterThanOrEqual(0);
    lnsHandle.sequencing = false; // the LNS turns sequencing off (it controls it)
    toLac(1);
    expect(h.sequencing).toBe(false);
    expect(fromLac()).toBe(-1);
    expect(fromLac()).toBe(-1);
    lnsHandle.sequencing = true;
    toLac(2);
    expect(h.sequencing).toBe(true);
    expect(fromLac()).toBe(before + 1); // numbering resumes: no Ns was used while it was off
  });

  it('RFC2661-5.4: a LAC that sends Sequencing Required gets Ns from the LNS, and always sends them itself', () => {
    const { net, lns, lac, lacSession } = simSessionUp({ lac: { sequencing: true } });
    const h = lacSession.handle;
    const lnsHandle = lns.endpoint.session(h.peerTunnelId, h.peerSessionId)!;
    expect(lnsHandle.sequencingRequired).toBe(true);
    expect(h.sequencingRequired).toBe(true);
    expect(lns.sendIp(echo(LOCAL_IP, lacSession.localAddress!, 1))).toBe(true);
    const fromLns = nextData(lns);
    expect(nsOf(fromLns)).toBeGreaterThanOrEqual(0);
    // An LNS that (wrongly) drops the Ns does not turn the LAC's off: they MUST be present at all times.
    lnsHandle.sequencing = false;
    expect(lns.sendIp(echo(LOCAL_IP, lacSession.localAddress!, 2))).toBe(true);
    lac.handleDatagram(nextData(lns), { address: '192.0.2.1', port: 1701 }, net.now);
    expect(h.sequencing).toBe(true);
    lac.sendIp(lacSession, echo(lacSession.localAddress!, LOCAL_IP, 3));
    expect(nsOf(nextData(lac))).toBeGreaterThanOrEqual(0);
  });
});

describe('RFC 2661 §5.4 sequencing: what the receiver delivers', () => {
  const ORDER = [0, 2, 2, 1, 0, 4, 3, 5];

  it('fast path: reordered and duplicated data is delivered once, in order; duplicates counted per session', () => {
    const { net, lns, lac, lacSession } = simSessionUp({ lac: { sequencing: true } });
    const d = lacDatagrams(lac, lacSession, 6);
    expect(fastPath(lns, d, ORDER, net.now)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(dropped(lns, net.now)['data-duplicate']).toBe(2);
    expect(lns.status().dropped).toMatchObject({ 'data-duplicate': 2 });
  });

  it('slow path: the same', () => {
    const { net, lns, lac, lacSession } = simSessionUp({ lac: { sequencing: true } });
    const d = lacDatagrams(lac, lacSession, 6);
    expect(slowPath(lns, d, ORDER, net.now)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(dropped(lns, net.now)['data-duplicate']).toBe(2);
  });

  it('a gap is skipped at the reorder deadline (the session timer, virtual time); the late Ns is stale', () => {
    const { net, lns, lac, lacSession } = simSessionUp({ lac: { sequencing: true } });
    const d = lacDatagrams(lac, lacSession, 3);
    const t0 = net.now;
    expect(fastPath(lns, d, [0, 2], t0)).toEqual([0]);
    const deadline = lns.pollTimeout()!;
    expect(deadline).toBeLessThanOrEqual(t0 + 50);
    lns.handleTimeout(deadline - 1);
    expect(lns.pollIpPacket()).toBeUndefined();
    lns.handleTimeout(t0 + 50);
    expect(icmpSeq(lns.pollIpPacket()!.packet)).toBe(2);
    expect(fastPath(lns, d, [1], t0 + 60)).toEqual([]);
    expect(dropped(lns, t0 + 60)['data-stale']).toBe(1);
  });

  it('a gap is skipped when the reorder buffer (8 packets) is full', () => {
    const { net, lns, lac, lacSession } = simSessionUp({ lac: { sequencing: true } });
    const d = lacDatagrams(lac, lacSession, 11);
    expect(fastPath(lns, d, [0, 2, 3, 4, 5, 6, 7, 8, 9], net.now)).toEqual([0]);
    expect(fastPath(lns, d, [10], net.now)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(slowPath(lns, d, [1], net.now)).toEqual([]);
    expect(dropped(lns, net.now)['data-stale']).toBe(1);
  });

  it('over a duplicating, jittering network every packet reaches the LNS once and in order', () => {
    const { net, lns, lac, lacSession } = simSessionUp({ lac: { sequencing: true } });
    net.setProfile({ duplicate: 0.3, minDelayMs: 1, maxDelayMs: 20 });
    const got: number[] = [];
    const drain = (): void => {
      for (let p = lns.pollIpPacket(); p !== undefined; p = lns.pollIpPacket()) got.push(icmpSeq(p.packet));
    };
    for (let i = 0; i < 200; i++) {
      expect(lac.sendIp(lacSession, echo(lacSession.localAddress!, '10.200.0.1', i))).toBe(true);
      const until = net.now + 5;
      while (net.step(until)) drain();
      net.now = until;
    }
    net.runIdle(net.now + 1000);
    drain();
    expect(net.stats.duplicated).toBeGreaterThan(20);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(dropped(lns, net.now)['data-duplicate']).toBeGreaterThan(20);
  });
});
