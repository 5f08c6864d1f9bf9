// Admission on the data path (issue 9): a session may send only from its own address (or a prefix
// it was given), IPv6 only from its negotiated interface identifier, and its data messages are
// accepted only from the tunnel's peer address and port — on the fast path (deliverInPlace) and
// the slow path (handleDatagram + pollIpPacket) alike, in TUN and userspace mode. Drops are
// counted per session and per reason. Related: src/session/ppp-over-l2tp.ts, src/lns/lns.ts.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { buildIcmpEcho, IcmpType, parseIpv4 } from '../../src/core/ipv4.js';
import { writeDataHeader } from '../../src/l2tp/wire/header.js';
import type { LnsEngine } from '../../src/lns/lns.js';
import type { PppSession } from '../../src/session/ppp-over-l2tp.js';
import { SIM_LAC as LAC, SIM_LOCAL_IP as LOCAL_IP, simSessionUp } from '../support/sim-session.js';

const SAME_HOST_OTHER_PORT: PeerAddress = { address: '198.51.100.1', port: 40000 };
const OTHER_HOST: PeerAddress = { address: '203.0.113.9', port: 1701 };

function sessionUp(opts: { userspace?: boolean; ipv6?: boolean } = {}) {
  const { net, lns, lnsEvents, lac, lacSession } = simSessionUp({
    lns: { userspace: opts.userspace ?? false, ipv6: opts.ipv6 },
    lac: { ipv6: opts.ipv6 },
  });
  net.runIdle(net.now + 2_000);
  /** A data message carrying `packet` as PPP protocol `protocol`, as the LAC would send it. */
  const dataMessage = (packet: Uint8Array, protocol = 0x0021): Uint8Array => {
    const frame = new Uint8Array(4 + packet.length);
    frame.set([0xff, 0x03, protocol >> 8, protocol & 0xff]);
    frame.set(packet, 4);
    const buf = new Uint8Array(16 + frame.length);
    buf.set(frame, 16);
    const h = lacSession.handle;
    return buf.subarray(writeDataHeader(buf, 16, buf.length, h.peerTunnelId, h.peerSessionId, {}));
  };
  return { net, lns, lnsEvents, lac, lacSession, dataMessage };
}

const echo = (src: string, dst: string, seq: number): Uint8Array =>
  buildIcmpEcho({
    type: IcmpType.echoRequest,
    source: parseIpv4(src)!,
    destination: parseIpv4(dst)!,
    identifier: 1,
    sequence: seq,
    data: Uint8Array.of(1, 2, 3, 4, 5),
  });

/** The LNS's dropped counters of its only session. */
const droppedOf = (lns: LnsEngine, now: number) => lns.sessions(now)[0]!.dropped;

describe('admission: inner IPv4 source', () => {
  it('TUN mode: a packet with another source address never reaches the sink, on the fast path or the slow path', () => {
    const { net, lns, lacSession, dataMessage } = sessionUp();
    const own = lacSession.localAddress!;
    const sunk: Uint8Array[] = [];
    const sink = (p: Uint8Array) => sunk.push(p.slice());
    for (const [i, src] of ['10.1.20.32', LOCAL_IP, '8.8.8.8', '0.0.0.0'].entries()) {
      const d = dataMessage(echo(src, '10.200.0.1', i));
      expect(lns.deliverInPlace(d, LAC, net.now, sink), src).toBe(true); // consumed: dropped
      lns.handleDatagram(d.slice(), LAC, net.now);
      expect(lns.pollIpPacket(), src).toBeUndefined();
    }
    expect(sunk).toEqual([]);
    expect(droppedOf(lns, net.now)['spoofed-source']).toBe(8);
    expect(lns.status().dropped).toMatchObject({ 'spoofed-source': 8 });
    // Its own address still passes, both ways in.
    const ok = dataMessage(echo(own, '10.200.0.1', 9));
    expect(lns.deliverInPlace(ok, LAC, net.now, sink)).toBe(true);
    lns.handleDatagram(ok.slice(), LAC, net.now);
    expect(lns.pollIpPacket()?.packet).toEqual(sunk[0]);
    expect(sunk).toHaveLength(1);
  });

  it('a truncated IPv4 header is dropped as malformed-ip, not forwarded', () => {
    const { net, lns, dataMessage } = sessionUp();
    const d = dataMessage(Uint8Array.of(0x45, 0, 0, 12, 0, 0, 0, 0, 64, 1, 0, 0));
    const sunk: Uint8Array[] = [];
    expect(lns.deliverInPlace(d, LAC, net.now, (p) => sunk.push(p))).toBe(true);
    lns.handleDatagram(d.slice(), LAC, net.now);
    expect(lns.pollIpPacket()).toBeUndefined();
    expect(sunk).toEqual([]);
    expect(droppedOf(lns, net.now)['malformed-ip']).toBe(2);
  });

  it('a source inside one of the allowedSources prefixes passes (Framed-Route)', () => {
    const { net, lns, dataMessage } = sessionUp();
    let session: PppSession | undefined;
    const first = dataMessage(echo('192.168.7.5', '10.200.0.1', 1));
    lns.deliverInPlace(first, LAC, net.now, (_p, s) => {
      session = s;
    });
    expect(session).toBeUndefined();
    const s = (lns as unknown as { bridge: { sessions: Map<number, PppSession> } }).bridge.sessions.values().next()
      .value!;
    s.allowedSources = [{ address: parseIpv4('192.168.7.0')!, length: 24 }];
    const sunk: Uint8Array[] = [];
    expect(
      lns.deliverInPlace(dataMessage(echo('192.168.7.5', '10.200.0.1', 2)), LAC, net.now, (p) => sunk.push(p)),
    ).toBe(true);
    expect(
      lns.deliverInPlace(dataMessage(echo('192.168.8.5', '10.200.0.1', 3)), LAC, net.now, (p) => sunk.push(p)),
    ).toBe(true);
    expect(sunk).toHaveLength(1);
    expect(droppedOf(lns, net.now)['spoofed-source']).toBe(2);
  });

  it('userspace mode: an echo request to the LNS with a spoofed source gets no reply', () => {
    const { net, lns, lacSession, dataMessage } = sessionUp({ userspace: true });
    lns.handleDatagram(dataMessage(echo('10.1.20.44', LOCAL_IP, 1)), LAC, net.now);
    expect(lns.pollTransmit()).toBeUndefined();
    expect(droppedOf(lns, net.now)['spoofed-source']).toBe(1);
    lns.handleDatagram(dataMessage(echo(lacSession.localAddress!, LOCAL_IP, 2)), LAC, net.now);
    expect(lns.pollTransmit()).toBeDefined(); // the reply to its own address
  });
});

describe('admission: the tunnel peer', () => {
  it('the right Tunnel and Session IDs from another port or host change nothing (counted as foreign-peer)', () => {
    const { net, lns, lnsEvents, lacSession, dataMessage } = sessionUp();
    const d = dataMessage(echo(lacSession.localAddress!, '10.200.0.1', 1));
    const sunk: Uint8Array[] = [];
    for (const from of [SAME_HOST_OTHER_PORT, OTHER_HOST]) {
      expect(lns.deliverInPlace(d, from, net.now, (p) => sunk.push(p))).toBe(true);
      lns.handleDatagram(d.slice(), from, net.now);
      expect(lns.pollIpPacket()).toBeUndefined();
    }
    expect(sunk).toEqual([]);
    // An injected LCP Terminate-Request (RFC 1661 §5.5) would take the session down.
    const terminate = dataMessage(Uint8Array.of(0x05, 0x07, 0x00, 0x04), 0xc021);
    lns.handleDatagram(terminate, OTHER_HOST, net.now);
    lns.handleDatagram(terminate.slice(), SAME_HOST_OTHER_PORT, net.now);
    net.runIdle(net.now + 10_000);
    expect(lnsEvents.filter((e) => e.type === 'session-down')).toEqual([]);
    expect(lns.sessions(net.now)[0]!.state).toBe('up');
    expect(droppedOf(lns, net.now)['foreign-peer']).toBe(6);
    expect(lns.status().dropped).toMatchObject({ 'foreign-peer': 6 });
  });
});

describe('admission: IPv6', () => {
  it('IPv6 passes only from the link-local address of the negotiated interface identifier (RFC 5072 §5)', () => {
    const { net, lns, lacSession, dataMessage } = sessionUp({ ipv6: true });
    lns.handleDatagram(dataMessage(echo(lacSession.localAddress!, '10.200.0.1', 1)), LAC, net.now);
    const session = lns.pollIpPacket()!.session;
    const id = session.ipv6PeerId;
    expect(id).toBeDefined();
    const v6 = (source: Uint8Array): Uint8Array => {
      const p = new Uint8Array(48);
      p[0] = 0x60;
      p[5] = 8; // payload length
      p[6] = 17;
      p[7] = 64;
      p.set(source, 8);
      // To a global destination: link-scope ones are the LNS's own (Router Solicitation, echo).
      p.set([0x20, 0x01, 0x0d, 0xb8], 24);
      p[39] = 1;
      return p;
    };
    const linkLocal = new Uint8Array(16);
    linkLocal.set([0xfe, 0x80], 0);
    linkLocal.set(id!, 8);
    const spoofed = linkLocal.slice();
    spoofed[15]! ^= 1;
    const global = linkLocal.slice();
    global.set([0x20, 0x01, 0x0d, 0xb8], 0);
    lns.handleDatagram(dataMessage(v6(spoofed), 0x0057), LAC, net.now);
    lns.handleDatagram(dataMessage(v6(global), 0x0057), LAC, net.now);
    expect(lns.pollIpPacket()).toBeUndefined();
    expect(droppedOf(lns, net.now)['spoofed-source']).toBe(2);
    lns.handleDatagram(dataMessage(v6(linkLocal), 0x0057), LAC, net.now);
    expect(lns.pollIpPacket()?.packet[0]).toBe(0x60);
  });

  it('IPv6 from a session without IPv6CP never comes out', () => {
    const { net, lns, dataMessage } = sessionUp();
    const p = new Uint8Array(40);
    p[0] = 0x60;
    lns.handleDatagram(dataMessage(p, 0x0057), LAC, net.now);
    expect(lns.pollIpPacket()).toBeUndefined();
  });
});
