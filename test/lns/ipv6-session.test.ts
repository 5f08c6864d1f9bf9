// IPv6 end to end in simulation (issue 12 item 5): the LNS gives each session a /64 from its pool
// and announces it by Router Advertisement; the project's LAC autoconfigures an address from it;
// IPv6 crosses both ways (the fast pair and the slow pair), ICMPv6 echo is answered in userspace
// mode and to the LNS's link-local address in every mode, and a spoofed IPv6 source is dropped
// and counted. Related: src/lns/ipv6-sessions.ts, src/session/ipv6-admission.ts, src/lac/slaac.ts.
import { describe, expect, it } from 'vitest';
import { buildIcmpv6Echo, Icmpv6Type, Ipv6Field, icmpv6EchoReply, parseIpv6 } from '../../src/core/ipv6.js';
import { writeDataHeader } from '../../src/l2tp/wire/header.js';
import type { LnsEvent } from '../../src/lns/lns.js';
import { SIM_LAC as LAC, simSessionUp } from '../support/sim-session.js';

const POOL = '2001:db8:100::/48';
const LNS_V6 = '2001:db8:100::1';

function ipv6Session(userspace: boolean, pool: string | null = POOL) {
  const up = simSessionUp({
    lns: { userspace, ipv6: true, ...(pool !== null && { ipv6Pool: pool }) },
    lac: { ipv6: true },
  });
  const { net, lns, lacSession } = up;
  net.runIdle(net.now + 2_000);
  // TUN mode: the driver drains pollIpPacket after every input (the LAC's Router Solicitation is
  // answered there); here the test does it.
  if (!userspace) {
    lns.pollIpPacket();
    net.runIdle(net.now + 1_000);
  }
  const h = lacSession.handle;
  /** A data message carrying `packet` as IPv6 (PPP 0x0057), as the LAC would send it. */
  const dataMessage = (packet: Uint8Array): Uint8Array => {
    const buf = new Uint8Array(20 + packet.length);
    buf.set([0xff, 0x03, 0x00, 0x57], 16);
    buf.set(packet, 20);
    return buf.subarray(writeDataHeader(buf, 16, buf.length, h.peerTunnelId, h.peerSessionId, {}));
  };
  return { ...up, dataMessage };
}

const echoFrom = (src: string, dst: string, seq: number): Uint8Array =>
  buildIcmpv6Echo({
    type: Icmpv6Type.echoRequest,
    source: parseIpv6(src)!,
    destination: parseIpv6(dst)!,
    identifier: 7,
    sequence: seq,
    data: Uint8Array.of(1, 2, 3),
  });

function ipv6UpOf(events: LnsEvent[]) {
  return events.find((e): e is Extract<LnsEvent, { type: 'session-ipv6-up' }> => e.type === 'session-ipv6-up');
}

describe('IPv6 through a session (simulated LNS + LAC)', () => {
  it('the session gets the first free /64 by Router Advertisement and the LAC autoconfigures its address from it', () => {
    const { lns, lnsEvents, lac, lacSession, net } = ipv6Session(false);
    const up = ipv6UpOf(lnsEvents);
    expect(up?.prefix).toBe('2001:db8:100:1::/64');
    expect(up?.localLinkLocal).toMatch(/^fe80::/);
    const address = lac.ipv6Address(lacSession);
    expect(address).toMatch(/^2001:db8:100:1:/);
    // The address is the prefix plus the interface identifier IPv6CP negotiated (RFC 4862 §5.5.3).
    expect(up?.peerLinkLocal.replace('fe80::', '')).toBe(address?.replace('2001:db8:100:1:', ''));
    // Router Solicitations (the LAC sent one at IPv6CP up) are answered once the TUN side drains.
    expect(lns.pollIpPacket()).toBeUndefined();
    net.runIdle(net.now + 1000);
  });

  it('without a pool: link-local only, an RA with no prefix, and no global address at the LAC', () => {
    const { lnsEvents, lac, lacSession } = ipv6Session(false, null);
    expect(ipv6UpOf(lnsEvents)?.prefix).toBeUndefined();
    expect(lac.ipv6Address(lacSession)).toBeUndefined();
  });

  it('userspace mode: ping6 to the LNS global address and to its link-local address are answered', () => {
    const { net, lac, lacSession, lnsEvents, lacEvents } = ipv6Session(true);
    expect(lacEvents.some((e) => e.type === 'ipv6-address')).toBe(true);
    expect(lac.ping6(lacSession, LNS_V6, net.now)).toBe(true);
    expect(lac.ping6(lacSession, ipv6UpOf(lnsEvents)!.localLinkLocal, net.now)).toBe(true);
    // An address that is not the LNS's is not answered.
    expect(lac.ping6(lacSession, '2001:db8:100::2', net.now)).toBe(true);
    net.runIdle(net.now + 1000);
    expect(lacEvents.filter((e) => e.type === 'ping-reply')).toHaveLength(2);
  });

  it('TUN mode: ping6 to the LNS link-local address is answered by the engine, never written to the TUN device', () => {
    const { net, lns, lac, lacSession, lnsEvents, lacEvents } = ipv6Session(false);
    expect(lac.ping6(lacSession, ipv6UpOf(lnsEvents)!.localLinkLocal, net.now)).toBe(true);
    net.runIdle(net.now + 100);
    expect(lns.pollIpPacket()).toBeUndefined();
    net.runIdle(net.now + 1000);
    expect(lacEvents.filter((e) => e.type === 'ping-reply')).toHaveLength(1);
  });

  it('TUN mode: IPv6 peer → TUN on the fast path and the slow path, and TUN → peer by the /64', () => {
    const { net, lns, lac, lacSession, dataMessage } = ipv6Session(false);
    const address = lac.ipv6Address(lacSession)!;
    const request = echoFrom(address, LNS_V6, 1);
    // Fast path: the packet goes to the sink in place.
    const sunk: Uint8Array[] = [];
    expect(lns.deliverInPlace(dataMessage(request), LAC, net.now, (p) => sunk.push(p.slice()))).toBe(true);
    expect(sunk).toHaveLength(1);
    expect(sunk[0]).toEqual(request);
    // Slow path: the same packet comes out of pollIpPacket.
    lns.handleDatagram(dataMessage(echoFrom(address, LNS_V6, 2)), LAC, net.now);
    const slow = lns.pollIpPacket();
    expect(slow).toBeDefined();
    expect(slow!.packet[0]! >> 4).toBe(6);
    // TUN → peer, fast: the kernel's reply to the session's address, encapsulated as PPP 0x0057.
    const reply = icmpv6EchoReply(request, () => true)!;
    const slot = new Uint8Array(64 + reply.length);
    slot.set(reply, 64);
    let sent: Uint8Array | undefined;
    expect(lns.encapsulateInPlace(slot, 64, reply.length, (d) => (sent = d.slice()))).toBe(true);
    expect(sent).toBeDefined();
    const body = sent!.subarray(sent!.length - reply.length - 2);
    expect([body[0], body[1]]).toEqual([0x00, 0x57]);
    // TUN → peer, slow: sendIp routes by the /64 too; an address outside every /64 is not routed.
    expect(lns.sendIp(reply)).toBe(true);
    const stray = reply.slice();
    stray[Ipv6Field.destination + 7] = 0x99;
    expect(lns.sendIp(stray)).toBe(false);
    // The LAC receives the reply as an IPv6 packet (its onIpPacket is not set: count deliveries).
    const delivered = net.stats.delivered;
    net.runIdle(net.now + 1000);
    expect(net.stats.delivered).toBeGreaterThan(delivered);
  });

  it('a spoofed IPv6 source (another /64, or a foreign link-local) is dropped and counted', () => {
    const { net, lns, dataMessage } = ipv6Session(false);
    const sunk: Uint8Array[] = [];
    const sink = (p: Uint8Array): void => {
      sunk.push(p);
    };
    expect(lns.deliverInPlace(dataMessage(echoFrom('2001:db8:100:2::5', LNS_V6, 1)), LAC, net.now, sink)).toBe(true);
    lns.handleDatagram(dataMessage(echoFrom('2001:db8:100:2::5', LNS_V6, 2)), LAC, net.now);
    lns.handleDatagram(dataMessage(echoFrom('fe80::1234', 'ff02::1', 3)), LAC, net.now);
    expect(sunk).toHaveLength(0);
    expect(lns.pollIpPacket()).toBeUndefined();
    expect(lns.sessions(net.now)[0]!.dropped['spoofed-source']).toBe(3);
  });

  it('the /64 goes back to the pool with the session and is handed to the next one', () => {
    const { net, lns, lnsEvents, lacSession } = ipv6Session(false);
    expect(ipv6UpOf(lnsEvents)?.prefix).toBe('2001:db8:100:1::/64');
    lns.disconnectSession(lacSession.handle.peerTunnelId, lacSession.handle.peerSessionId, net.now);
    net.runIdle(net.now + 5000);
    expect(lnsEvents.some((e) => e.type === 'session-down')).toBe(true);
    expect(lns.status().dropped).toBeDefined();
  });
});
