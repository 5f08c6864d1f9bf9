// Endpoint pair on a perfect link: tunnel + sessions up and down, limits, garbage, auth, hiding.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { Endpoint, type EndpointOptions, type L2tpEvent } from '../../src/l2tp/endpoint.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

const LAC: PeerAddress = { address: '10.0.0.1', port: 1701 };
const LNS: PeerAddress = { address: '10.0.0.2', port: 1701 };
const secret = new TextEncoder().encode('s3cret');

function pair(lacOpts: Partial<EndpointOptions> = {}, lnsOpts: Partial<EndpointOptions> = {}, seed = 1) {
  const net = new SimNetwork(seed);
  const lac = new Endpoint({ role: 'lac', hostName: 'lac1', random: seededRandom(seed + 1), ...lacOpts });
  const lns = new Endpoint({ role: 'lns', hostName: 'lns1', random: seededRandom(seed + 2), ...lnsOpts });
  const lacEvents = net.attach(LAC, lac);
  const lnsEvents = net.attach(LNS, lns);
  return { net, lac, lns, lacEvents, lnsEvents };
}
const has = (events: L2tpEvent[], type: L2tpEvent['type']): boolean => events.some((e) => e.type === type);

describe('Endpoint', () => {
  it('RFC2661-7.2: LAC and LNS bring a tunnel up and an incoming call (ICRQ/ICRP/ICCN) up', () => {
    const { net, lac, lns, lacEvents, lnsEvents } = pair();
    const tid = lac.openTunnel(LNS, 0);
    expect(net.runUntil(() => has(lacEvents, 'tunnel-up') && has(lnsEvents, 'tunnel-up'), 10_000)).toBe(true);
    const up = lnsEvents.find((e) => e.type === 'tunnel-up');
    expect(up).toMatchObject({ peerHostName: 'lac1', peerTunnelId: tid });
    const sid = lac.startSession(tid, net.now);
    expect(net.runUntil(() => has(lnsEvents, 'session-up') && has(lacEvents, 'session-up'), 20_000)).toBe(true);
    const lnsUp = lnsEvents.find((e) => e.type === 'session-up');
    expect(lnsUp).toMatchObject({ peerSessionId: sid, sequencing: false });
    const h = lac.session(tid, sid)!;
    const peerSid = lnsUp?.type === 'session-up' ? lnsUp.sessionId : -1;
    expect(h.peerSessionId).toBe(peerSid);
    expect(lns.session(h.peerTunnelId, peerSid)?.peerSessionId).toBe(sid);
  });

  it('RFC2661-6.13: CDN with Result Code and RFC 3145 cause reaches the peer; both sides forget the session', () => {
    const { net, lac, lns, lacEvents, lnsEvents } = pair();
    const tid = lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lacEvents, 'tunnel-up'), 10_000);
    const sid = lac.startSession(tid, net.now);
    net.runUntil(() => has(lnsEvents, 'session-up'), 20_000);
    lac.disconnect(
      tid,
      sid,
      { resultCode: 3, message: 'bye', cause: { code: 3, protocol: 0xc021, direction: 2 } },
      net.now,
    );
    net.runUntil(() => has(lnsEvents, 'session-down'), 30_000);
    expect(lnsEvents.find((e) => e.type === 'session-down')).toMatchObject({
      resultCode: 3,
      message: 'bye',
      initiator: 'peer',
      cause: { code: 3, protocol: 0xc021, direction: 2 },
    });
    expect(lac.sessionTotal).toBe(0);
    expect(lns.sessionTotal).toBe(0);
  });

  it('RFC2661-5.7: after StopCCN both sides linger a full cycle, then hold no state', () => {
    const { net, lac, lns, lacEvents, lnsEvents } = pair();
    const tid = lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lacEvents, 'tunnel-up'), 10_000);
    lac.startSession(tid, net.now);
    net.runUntil(() => has(lnsEvents, 'session-up'), 20_000);
    const t0 = net.now;
    lac.close(tid, { resultCode: 1, message: 'done' }, net.now);
    net.runUntil(() => has(lnsEvents, 'tunnel-down'), t0 + 10_000);
    expect(lnsEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({ resultCode: 1, initiator: 'peer' });
    expect(lnsEvents.find((e) => e.type === 'session-down')).toMatchObject({ resultCode: 1, initiator: 'peer' });
    net.runUntil(() => false, t0 + 30_000);
    expect([...lns.tunnels()]).toHaveLength(1); // still lingering
    net.runIdle(t0 + 40_000);
    expect([...lac.tunnels()]).toHaveLength(0);
    expect([...lns.tunnels()]).toHaveLength(0);
    expect(lac.pollTimeout()).toBeUndefined();
    expect(lns.pollTimeout()).toBeUndefined();
  });

  it('RFC2661-5.1.1: tunnel authentication succeeds both ways with the same secret, with hidden AVPs', () => {
    const { net, lacEvents, lnsEvents, lac } = pair(
      { tunnelSecret: () => secret, challengePeer: true, hideAvps: true },
      { tunnelSecret: () => secret, challengePeer: true, hideAvps: true },
    );
    const tid = lac.openTunnel(LNS, 0);
    expect(net.runUntil(() => has(lacEvents, 'tunnel-up') && has(lnsEvents, 'tunnel-up'), 10_000)).toBe(true);
    lac.startSession(tid, net.now);
    expect(net.runUntil(() => has(lnsEvents, 'session-up'), 20_000)).toBe(true);
  });

  it('RFC2661-5.1.1: a wrong secret gets StopCCN Result 4; the LNS never reports the tunnel up', () => {
    const { net, lacEvents, lnsEvents, lac } = pair(
      { tunnelSecret: () => new TextEncoder().encode('wrong') },
      { tunnelSecret: () => secret, challengePeer: true },
    );
    lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lacEvents, 'tunnel-down'), 10_000);
    // §7.2: the LAC is established once it sends SCCCN; the LNS judges the response and refuses.
    expect(has(lnsEvents, 'tunnel-up')).toBe(false);
    expect(lacEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({ resultCode: 4, initiator: 'peer' });
    expect(lnsEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({ resultCode: 4, initiator: 'local' });
  });

  it('RFC2661-5.1.1: an LNS that challenges a LAC without a secret refuses it (Result 4)', () => {
    const { net, lacEvents, lac } = pair({}, { tunnelSecret: () => secret, challengePeer: true });
    lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lacEvents, 'tunnel-down'), 10_000);
    expect(lacEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({ resultCode: 4 });
  });

  it('RFC2661-5.8: a retransmitted SCCRQ never creates a second tunnel', () => {
    const { net, lac, lns, lacEvents } = pair();
    net.setProfile({ duplicate: 1 });
    lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lacEvents, 'tunnel-up'), 10_000);
    expect([...lns.tunnels()]).toHaveLength(1);
  });

  it('RFC2661-4.4.2: an SCCRQ beyond maxTunnels (the node at capacity) gets a stateless StopCCN 2/7 "try another"', () => {
    const { net, lac, lns, lacEvents } = pair({}, { limits: { maxTunnels: 1 } });
    lac.openTunnel(LNS, 0);
    lac.openTunnel(LNS, 0);
    net.runUntil(() => lacEvents.filter((e) => e.type === 'tunnel-up' || e.type === 'tunnel-down').length >= 2, 10_000);
    expect(lacEvents.filter((e) => e.type === 'tunnel-up')).toHaveLength(1);
    expect(lacEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({
      resultCode: 2,
      errorCode: 7,
      initiator: 'peer',
      message: 'At capacity (tunnel limit): try another LNS',
    });
    expect([...lns.tunnels()]).toHaveLength(1);
    expect(lns.counters.refusedSccrq).toBe(1);
  });

  it('RFC2661-4.4.2: once maxSessions are held, a new SCCRQ gets StopCCN 2/7 and no state', () => {
    const { net, lac, lns, lacEvents } = pair({}, { limits: { maxSessions: 1 } });
    const tid = lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lacEvents, 'tunnel-up'), 10_000);
    lac.startSession(tid, net.now);
    net.runUntil(() => has(lacEvents, 'session-up'), 20_000);
    lac.openTunnel(LNS, net.now);
    net.runUntil(() => has(lacEvents, 'tunnel-down'), 10_000);
    expect(lacEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({
      resultCode: 2,
      errorCode: 7,
      message: 'At capacity (session limit): try another LNS',
    });
    expect([...lns.tunnels()]).toHaveLength(1);
    expect(lns.counters.refusedSccrq).toBe(1);
  });

  it('limits: an ICRQ beyond maxSessionsPerTunnel gets CDN 4 and leaves no session', () => {
    const { net, lac, lns, lacEvents } = pair({}, { limits: { maxSessionsPerTunnel: 1 } });
    const tid = lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lacEvents, 'tunnel-up'), 10_000);
    lac.startSession(tid, net.now);
    lac.startSession(tid, net.now);
    net.runUntil(() => has(lacEvents, 'session-down'), 20_000);
    expect(lacEvents.find((e) => e.type === 'session-down')).toMatchObject({ resultCode: 4, initiator: 'peer' });
    expect(lns.sessionTotal).toBe(1);
    expect(lac.sessionTotal).toBe(1);
  });

  it('LNS-initiated outgoing call (OCRQ/OCRP/OCCN) comes up on both sides', () => {
    const { net, lac, lns, lacEvents, lnsEvents } = pair();
    lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lnsEvents, 'tunnel-up'), 10_000);
    const up = lnsEvents.find((e) => e.type === 'tunnel-up');
    lns.startSession(up?.type === 'tunnel-up' ? up.tunnelId : 0, net.now);
    expect(net.runUntil(() => has(lnsEvents, 'session-up') && has(lacEvents, 'session-up'), 20_000)).toBe(true);
  });

  it('RFC2661-6.5: an idle tunnel exchanges HELLO and stays up; a vanished peer is detected', () => {
    const { net, lac, lacEvents } = pair({ helloIntervalMs: 10_000 }, { helloIntervalMs: 10_000 });
    lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lacEvents, 'tunnel-up'), 10_000);
    net.runUntil(() => false, 100_000);
    expect(has(lacEvents, 'tunnel-down')).toBe(false);
    net.setProfile({ loss: 1 });
    net.runUntil(() => has(lacEvents, 'tunnel-down'), 200_000);
    expect(lacEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({ reason: 'retransmission-timeout' });
    expect([...lac.tunnels()]).toHaveLength(0);
  });

  it('RFC2661-4.1: garbage datagrams never throw and leave no state', () => {
    const lns = new Endpoint({ role: 'lns', hostName: 'lns', random: seededRandom(3) });
    const rnd = seededRandom(9);
    for (let i = 0; i < 5000; i++) {
      const b = rnd.fill(new Uint8Array(rnd.int(0, 120)));
      if (i % 2 === 0 && b.length >= 12) {
        b[0] = 0xc8;
        b[1] = 0x02;
        b[2] = 0;
        b[3] = b.length;
        b[4] = 0;
        b[5] = 0;
      }
      lns.handleDatagram(b, { address: '10.9.9.9', port: i }, i);
    }
    expect([...lns.tunnels()]).toHaveLength(0);
    expect(lns.pollTimeout()).toBeUndefined();
  });
});

describe('Endpoint under attack and races', () => {
  it('after closeAll (the shutdown grace) an SCCRQ gets no tunnel: dropped as shutting-down', () => {
    const { net, lac, lns, lacEvents, lnsEvents } = pair();
    lac.openTunnel(LNS, 0);
    expect(net.runUntil(() => has(lacEvents, 'tunnel-up'), 10_000)).toBe(true);
    lns.closeAll({ resultCode: 6 }, net.now);
    const other = new Endpoint({ role: 'lac', hostName: 'late', random: seededRandom(9) });
    other.openTunnel(LNS, net.now);
    const sccrq = other.pollTransmit()!.bytes;
    lns.handleDatagram(sccrq, { address: '10.0.0.3', port: 1701 }, net.now);
    const out: string[] = [];
    for (let t = lns.pollTransmit(); t; t = lns.pollTransmit()) out.push(t.to.address);
    expect(out).not.toContain('10.0.0.3');
    const drops = [];
    for (let e = lns.pollEvent(); e; e = lns.pollEvent()) if (e.type === 'datagram-dropped') drops.push(e.reason);
    expect(drops).toContain('shutting-down');
    expect([...lns.tunnels()].filter((t) => t.peerHostName === 'late')).toEqual([]);
    void lnsEvents;
  });

  it('an SCCRQ flood from one address is rate limited: bounded tunnels, stateless refusals', () => {
    const lns = new Endpoint({
      role: 'lns',
      hostName: 'lns',
      random: seededRandom(4),
      limits: { newTunnelsPerSecondPerPeer: 10, maxTunnels: 100 },
    });
    const lac = new Endpoint({ role: 'lac', hostName: 'lac', random: seededRandom(5) });
    // Harvest one real SCCRQ and replay it with 5000 different Assigned Tunnel IDs.
    lac.openTunnel(LNS, 0);
    const sccrq = lac.pollTransmit()!.bytes;
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const b = sccrq.slice();
      // Assigned Tunnel ID AVP value: find type 9 and overwrite (AVP header is 6 octets).
      for (let at = 12; at + 6 <= b.length; ) {
        const len = ((b[at]! & 3) << 8) | b[at + 1]!;
        if (b[at + 5] === 9) {
          b[at + 6] = (i + 1) >> 8;
          b[at + 7] = (i + 1) & 0xff;
        }
        at += len;
      }
      lns.handleDatagram(b, LAC, Math.floor(i / 100) * 10); // 100 per 10 ms
      for (let t = lns.pollTransmit(); t; t = lns.pollTransmit()) void t;
      for (let e = lns.pollEvent(); e; e = lns.pollEvent())
        if (e.type === 'datagram-dropped' && e.reason.startsWith('sccrq-refused')) refused++;
    }
    expect([...lns.tunnels()].length).toBeLessThanOrEqual(10);
    expect(refused).toBeGreaterThan(4900);
  });

  it('RFC2661-4.4.3: crossing SCCRQs are resolved by the Tie Breaker: exactly one tunnel survives', () => {
    const net = new SimNetwork(3, { minDelayMs: 20, maxDelayMs: 20 });
    const a = new Endpoint({ role: 'lac', hostName: 'a', random: seededRandom(10) });
    const b = new Endpoint({ role: 'lac', hostName: 'b', random: seededRandom(11) });
    const ae = net.attach(LAC, a);
    const be = net.attach(LNS, b);
    a.openTunnel(LNS, 0);
    b.openTunnel(LAC, 0);
    net.runUntil(() => false, 10_000);
    expect(ae.filter((e) => e.type === 'tunnel-up')).toHaveLength(1);
    expect(be.filter((e) => e.type === 'tunnel-up')).toHaveLength(1);
    const lost = [...ae, ...be].filter((e) => e.type === 'tunnel-down');
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ reason: 'tie-breaker-lost' });
    expect([...a.tunnels()]).toHaveLength(1);
    expect([...b.tunnels()]).toHaveLength(1);
  });

  it('RFC2661-4.3: with hideAvps the Assigned Session ID travels hidden after a Random Vector', () => {
    const net = new SimNetwork(1);
    const opts = { tunnelSecret: () => secret, hideAvps: true };
    const lac = new Endpoint({ role: 'lac', hostName: 'lac1', random: seededRandom(2), ...opts });
    const lns = new Endpoint({ role: 'lns', hostName: 'lns1', random: seededRandom(3), ...opts });
    const seen: Uint8Array[] = [];
    const tap = {
      handleDatagram: (b: Uint8Array, f: PeerAddress, n: number) => {
        seen.push(b.slice());
        lns.handleDatagram(b, f, n);
      },
      handleTimeout: (n: number) => lns.handleTimeout(n),
      pollTransmit: () => lns.pollTransmit(),
      pollTimeout: () => lns.pollTimeout(),
      pollEvent: () => lns.pollEvent(),
    };
    const lacEvents = net.attach(LAC, lac);
    const lnsEvents = net.attach(LNS, tap);
    const tid = lac.openTunnel(LNS, 0);
    net.runUntil(() => has(lacEvents, 'tunnel-up'), 10_000);
    lac.startSession(tid, net.now);
    expect(net.runUntil(() => has(lnsEvents, 'session-up'), 10_000)).toBe(true);
    const icrq = seen.find((b) => b.length > 20 && b[19] === 10)!; // Message Type value 10 at octets 18-19
    expect(icrq).toBeDefined();
    // Walk the AVPs: a Random Vector (36) precedes the hidden Assigned Session ID (14, H bit 0x40).
    const types: string[] = [];
    for (let at = 12; at + 6 <= icrq.length; ) {
      const len = ((icrq[at]! & 3) << 8) | icrq[at + 1]!;
      types.push(`${icrq[at + 5]}${icrq[at]! & 0x40 ? 'H' : ''}`);
      at += len;
    }
    expect(types.indexOf('36')).toBeGreaterThan(0);
    expect(types.indexOf('14H')).toBeGreaterThan(types.indexOf('36'));
  });
});
