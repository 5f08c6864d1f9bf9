// The session layer's data path: the fast pair (deliverInPlace, encapsulateInPlace) and the slow
// pair (handleDatagram + pollIpPacket, sendIp) carry the same packets as the same bytes, and the
// one session key. Drives a real LNS and LAC over the SimNetwork until a session is up, then feeds
// datagrams by hand. Related: src/session/ppp-over-l2tp.ts, src/session/session-key.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { buildIcmpEcho, IcmpType, parseIpv4 } from '../../src/core/ipv4.js';
import type { PppSession } from '../../src/session/ppp-over-l2tp.js';
import { sessionIdOfKey, sessionKey, tunnelIdOfKey } from '../../src/session/session-key.js';
import { SIM_LAC as LAC, SIM_LNS as LNS, SIM_LOCAL_IP as LOCAL_IP, simSessionUp } from '../support/sim-session.js';

function sessionUp(userspace: boolean) {
  return simSessionUp({ lns: { userspace } });
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
