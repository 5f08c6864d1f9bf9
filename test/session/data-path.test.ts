// The session layer's data path: the fast pair (deliverInPlace, encapsulateInPlace) and the slow
// pair (handleDatagram + pollIpPacket, sendIp) carry the same packets as the same bytes, and the
// one session key. Drives a real LNS and LAC over the SimNetwork until a session is up, then feeds
// datagrams by hand. Related: src/session/ppp-over-l2tp.ts, src/session/session-key.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { buildIcmpEcho, IcmpType, parseIpv4 } from '../../src/core/ipv4.js';
import { LacEngine, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine, type LnsEvent } from '../../src/lns/lns.js';
import type { PppSession } from '../../src/session/ppp-over-l2tp.js';
import { sessionIdOfKey, sessionKey, tunnelIdOfKey } from '../../src/session/session-key.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

const LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };
const LAC: PeerAddress = { address: '198.51.100.1', port: 1701 };
const LOCAL_IP = '10.1.20.30';

function sessionUp(userspace: boolean) {
  const net = new SimNetwork(3, { minDelayMs: 1, maxDelayMs: 3 });
  const lns = new LnsEngine({
    random: seededRandom(7),
    hostName: 'lns',
    auth: ['mschapv2'],
    users: (u) => (u === 'alice' ? { secret: 's3cret' } : undefined),
    pool: new AddressPool(['10.1.20.31-10.1.20.50'], { exclude: [LOCAL_IP] }),
    localAddress: LOCAL_IP,
    userspace,
  });
  const lnsEvents: LnsEvent[] = net.attach(LNS, lns);
  const lac = new LacEngine({ random: seededRandom(11), server: LNS, user: 'alice', password: 's3cret' });
  const lacEvents: LacEvent[] = net.attach(LAC, lac);
  lac.start(net.now);
  const up = (): boolean =>
    lnsEvents.some((e) => e.type === 'session-up') && lacEvents.some((e) => e.type === 'session-up');
  expect(net.runUntil(up, 60_000)).toBe(true);
  const lacSession = [...lac.sessions.values()][0]!;
  return { net, lns, lac, lacSession };
}

/** An echo request from `src` to `dst` (any IPv4 packet would do). */
const packet = (src: string, dst: string, seq: number): Uint8Array =>
  buildIcmpEcho({
    type: IcmpType.echoRequest,
    source: parseIpv4(src)!,
    destination: parseIpv4(dst)!,
    identifier: 1,
    sequence: seq,
    data: Uint8Array.of(1, 2, 3, 4, 5),
  });

describe('session key', () => {
  it('is one number per (Tunnel ID, Session ID) and gives both back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (t, s) => {
        const k = sessionKey(t, s);
        return tunnelIdOfKey(k) === t && sessionIdOfKey(k) === s;
      }),
      { seed: 8, numRuns: 300 },
    );
    expect(sessionKey(1, 2)).not.toBe(sessionKey(2, 1));
  });
});

describe('data path: fast pair and slow pair', () => {
  it('peer → us: deliverInPlace hands the same packet and session as handleDatagram + pollIpPacket', () => {
    const { net, lns, lac, lacSession } = sessionUp(false);
    const ip = packet(lacSession.localAddress!, '10.200.0.1', 1);
    expect(lac.sendIp(lacSession, ip)).toBe(true);
    const datagram = lac.pollTransmit()!;
    expect(datagram.to).toEqual(LNS);

    const fast: { packet: Uint8Array; session: PppSession }[] = [];
    const ok = lns.deliverInPlace(datagram.bytes, LAC, net.now, (p, session) =>
      fast.push({ packet: p.slice(), session }),
    );
    expect(ok).toBe(true);
    expect(fast).toHaveLength(1);
    expect(fast[0]!.packet).toEqual(ip);
    expect(lns.pollIpPacket()).toBeUndefined(); // nothing queued on the fast path

    lns.handleDatagram(datagram.bytes.slice(), LAC, net.now);
    const slow = lns.pollIpPacket();
    expect(slow?.packet).toEqual(ip);
    expect(slow?.session).toBe(fast[0]!.session);
    expect(slow?.session.key).toBe(sessionKey(slow!.session.handle.tunnelId, slow!.session.handle.sessionId));
    expect(lns.pollIpPacket()).toBeUndefined();
    const row = lns.sessions(net.now)[0]!;
    expect(row.counters.rxPackets).toBeGreaterThanOrEqual(2);
  });

  it('us → peer: encapsulateInPlace writes the same datagram, to the same peer, as sendIp', () => {
    const { lns, lacSession } = sessionUp(false);
    const ip = packet(LOCAL_IP, lacSession.localAddress!, 2);
    expect(lns.sendIp(ip)).toBe(true);
    const slow = lns.pollTransmit()!;

    const headroom = 32;
    const buf = new Uint8Array(headroom + ip.length).fill(0xa5);
    buf.set(ip, headroom);
    const sent: { datagram: Uint8Array; to: PeerAddress }[] = [];
    expect(lns.encapsulateInPlace(buf, headroom, ip.length, (d, to) => sent.push({ datagram: d.slice(), to }))).toBe(
      true,
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toEqual(slow.to);
    expect(sent[0]!.to).toEqual(LAC);
    expect(sent[0]!.datagram).toEqual(slow.bytes);
  });

  it('both pairs refuse what is not theirs: unknown destination, no headroom, control messages, userspace', () => {
    const { net, lns, lacSession } = sessionUp(false);
    const elsewhere = packet(LOCAL_IP, '10.99.0.1', 3);
    expect(lns.sendIp(elsewhere)).toBe(false);
    expect(lns.encapsulateInPlace(elsewhere, 0, elsewhere.length, () => undefined)).toBe(false);
    const ip = packet(LOCAL_IP, lacSession.localAddress!, 4);
    expect(lns.encapsulateInPlace(ip, 0, ip.length, () => undefined)).toBe(false); // no headroom
    // A HELLO-sized control header (T bit set) is never taken by the fast path.
    const control = Uint8Array.of(0xc8, 0x02, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
    expect(lns.deliverInPlace(control, LAC, net.now, () => undefined)).toBe(false);

    const u = sessionUp(true);
    const toLns = packet(u.lacSession.localAddress!, LOCAL_IP, 5);
    u.lac.sendIp(u.lacSession, toLns);
    const d = u.lac.pollTransmit()!;
    expect(u.lns.deliverInPlace(d.bytes, LAC, u.net.now, () => undefined)).toBe(false);
    // Userspace: the responder answers on the slow path, so nothing waits in pollIpPacket.
    u.lns.handleDatagram(d.bytes.slice(), LAC, u.net.now);
    expect(u.lns.pollIpPacket()).toBeUndefined();
    expect(u.lns.pollTransmit()).toBeDefined(); // the echo reply
  });
});
