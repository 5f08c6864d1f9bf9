// Issue 9 (L2TP engine parts), hostile cases on virtual time: the pinned peer and its NAT rebinding
// rule, setup timers, caps per tunnel / address / half-open, the bounded control queue, the
// RFC 2661 zero values, Windows' misaddressed StopCCN, and the immediate ack on a full window.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { Endpoint, type EndpointOptions, type L2tpEvent } from '../../src/l2tp/endpoint.js';
import { makeBytesAvp } from '../../src/l2tp/wire/message.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';
import { LAC, LNS, l2tpPair } from './l2tp-pair.js';
import { build, RawPeer, resultOf } from './raw-peer.js';

/** An LNS Endpoint and one RawPeer on a 1 ms link. */
function rawSetup(lnsOpts: Partial<EndpointOptions> = {}, peerAt: PeerAddress = LAC) {
  const net = new SimNetwork(5, { minDelayMs: 1, maxDelayMs: 1 });
  const lns = new Endpoint({ role: 'lns', hostName: 'lns', random: seededRandom(9), ...lnsOpts });
  const lnsEvents: L2tpEvent[] = net.attach(LNS, lns);
  const peer = new RawPeer(peerAt);
  net.attach(peerAt, peer);
  return { net, lns, lnsEvents, peer };
}

/** Raw handshake: SCCRQ (our Tunnel ID 77) → SCCRP → SCCCN. Returns the LNS's Tunnel ID. */
function rawHandshake(s: ReturnType<typeof rawSetup>, opts: { scccn?: boolean } = {}): number {
  s.peer.send(LNS, 0, 0, 0, 0, build.sccrq(77, { rws: 64 }));
  s.net.runUntil(() => s.peer.received.some((r) => r.message?.type === MessageType.SCCRP), s.net.now + 1000);
  const sccrp = s.peer.received.find((r) => r.message?.type === MessageType.SCCRP)!;
  const lnsTid = s.lns.tunnels()[Symbol.iterator]().next().value!.tunnelId;
  if (opts.scccn !== false) {
    s.peer.send(LNS, lnsTid, 0, 1, sccrp.ns + 1, build.scccn());
    s.net.runUntil(() => s.lnsEvents.some((e) => e.type === 'tunnel-up'), s.net.now + 1000);
  }
  return lnsTid;
}

/** Runs the network until virtual time `ms` later, even when nothing happens in between. */
function advance(net: SimNetwork, ms: number): void {
  const until = net.now + ms;
  net.runUntil(() => false, until);
  net.now = Math.max(net.now, until);
}

/** The raw peer acks every message the LNS sends it (its Ns is read from `ns` at each ack). */
function ackAll(s: ReturnType<typeof rawSetup>, tid: number, ns: { value: number }): void {
  s.peer.onReceive = (r) => {
    if (r.message !== undefined) s.peer.send(LNS, tid, 0, ns.value, (r.ns + 1) & 0xffff);
  };
}

const downs = (es: L2tpEvent[]) => es.filter((e) => e.type === 'session-down' || e.type === 'tunnel-down');

describe('issue 9: a tunnel peer is pinned', () => {
  it('a sweep of Tunnel IDs × Ns values from a second port of the same address never moves or disturbs the tunnel', () => {
    const p = l2tpPair();
    const [, lnsTid] = p.tunnelUp();
    p.settle(1000);
    const lnsTunnel = p.lns.tunnel(lnsTid)!;
    const nrBefore = lnsTunnel.channel.receiveNr;
    const attacker = new RawPeer({ address: LAC.address, port: 40_001 });
    p.net.attach(attacker.address, attacker);
    const tids = [lnsTid, ...Array.from({ length: 63 }, (_, i) => (lnsTid + 1 + i * 997) & 0xffff || 1)];
    for (const tid of tids) {
      for (let ns = 0; ns < 64; ns++) {
        attacker.send(LNS, tid, 0, ns, lnsTunnel.channel.sendNs, ns % 2 === 0 ? build.stopccn(1) : build.hello());
      }
      p.net.runUntil(() => false, p.net.now + 5);
    }
    p.settle(2000);
    expect(p.lns.peerOf(lnsTid)).toEqual(LAC);
    expect(lnsTunnel.state).toBe('established');
    expect(lnsTunnel.channel.receiveNr).toBe(nrBefore); // nothing from the sweep was sequenced
    expect(downs(p.lnsEvents)).toEqual([]);
    expect(attacker.received).toEqual([]); // not even a ZLB answers the sweep
    expect(p.lnsEvents.some((e) => e.type === 'datagram-dropped' && e.reason === 'foreign-port')).toBe(true);
    // The real peer still works.
    const [, lnsSid] = p.sessionUp(p.find(p.lacEvents, 'tunnel-up')!.tunnelId);
    expect(lnsSid).toBeGreaterThan(0);
  });

  it('a genuine NAT rebinding (old port silent past the HELLO interval, valid in-sequence message) moves the tunnel', () => {
    const p = l2tpPair({ helloIntervalMs: 0 }, { helloIntervalMs: 0 }); // only the rebinding moves traffic
    const [lacTid, lnsTid] = p.tunnelUp();
    p.settle(1000);
    const moved: PeerAddress = { address: LAC.address, port: 40_002 };
    p.net.alias(LAC, moved);
    advance(p.net, 61_000);
    p.lac.startSession(lacTid, p.net.now); // the ICRQ arrives from the new port
    expect(p.net.runUntil(() => p.has(p.lnsEvents, 'session-up'), p.net.now + 10_000)).toBe(true);
    expect(p.lns.peerOf(lnsTid)).toEqual(moved);
    expect(p.lns.session(lnsTid, p.find(p.lnsEvents, 'session-up')!.sessionId)?.peer).toEqual(moved);
  });

  it('the same rebinding before the old port has been silent long enough is refused', () => {
    const p = l2tpPair({ helloIntervalMs: 0 }, { helloIntervalMs: 0 });
    const [lacTid, lnsTid] = p.tunnelUp();
    p.settle(1000);
    p.net.alias(LAC, { address: LAC.address, port: 40_003 });
    advance(p.net, 10_000);
    p.lac.startSession(lacTid, p.net.now);
    p.settle(5000);
    expect(p.has(p.lnsEvents, 'session-up')).toBe(false);
    expect(p.lns.peerOf(lnsTid)).toEqual(LAC);
  });

  it('peerOf names the pinned peer for the data path; unknown tunnels have none', () => {
    const p = l2tpPair();
    const [lacTid, lnsTid] = p.tunnelUp();
    expect(p.lns.peerOf(lnsTid)).toEqual(LAC);
    expect(p.lac.peerOf(lacTid)).toEqual(LNS);
    expect(p.lns.peerOf(lnsTid ^ 0x5555)).toBeUndefined();
  });
});

describe('issue 9: bounded setup', () => {
  it('an ICRQ never followed by ICCN is cleared with CDN after callSetupTimeoutMs (virtual time)', () => {
    const p = l2tpPair({}, { callSetupTimeoutMs: 60_000 });
    const [lacTid, lnsTid] = p.tunnelUp();
    p.lacSends(lacTid, 0, build.icrq(4242));
    p.settle(1000);
    expect(p.lns.sessionTotal).toBe(1);
    expect(p.lns.tunnel(lnsTid)!.callsInSetup).toBe(1);
    advance(p.net, 58_000);
    expect(p.has(p.lnsEvents, 'session-down')).toBe(false); // not before its 60 s
    advance(p.net, 3_000);
    expect(p.find(p.lnsEvents, 'session-down')).toMatchObject({ resultCode: 2, errorCode: 0, initiator: 'local' });
    expect(p.lns.sessionTotal).toBe(0);
    expect(p.lns.tunnel(lnsTid)!.callsInSetup).toBe(0);
    expect(p.lns.tunnel(lnsTid)!.state).toBe('established');
  });

  it('a handshake never finished (SCCRP acked, no SCCCN) is cleared with StopCCN after tunnelSetupTimeoutMs', () => {
    const s = rawSetup({ tunnelSetupTimeoutMs: 60_000 });
    rawHandshake(s, { scccn: false });
    // Keep acking the SCCRP (and whatever follows) so the retransmission limit never ends it.
    s.peer.onReceive = (r) => {
      if (r.message !== undefined) s.peer.send(LNS, r.tunnelId === 77 ? lnsTidOf(s) : 0, 0, 1, r.ns + 1);
    };
    advance(s.net, 58_000);
    expect(s.lnsEvents.some((e) => e.type === 'tunnel-down')).toBe(false);
    advance(s.net, 4_000);
    expect(s.lnsEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({ resultCode: 2, reason: 'stopccn-sent' });
    expect(s.peer.received.some((r) => r.message?.type === MessageType.StopCCN)).toBe(true);
  });

  it('calls in setup beyond maxCallsInSetupPerTunnel get CDN 2/4 and leave no session', () => {
    const s = rawSetup({ limits: { maxCallsInSetupPerTunnel: 2 } });
    const tid = rawHandshake(s);
    const ns = { value: 2 };
    ackAll(s, tid, ns);
    for (const sid of [11, 12, 13]) s.peer.send(LNS, tid, 0, ns.value++, 1, build.icrq(sid));
    s.net.runUntil(() => false, s.net.now + 500);
    const cdn = s.peer.received.find((r) => r.message?.type === MessageType.CDN);
    expect(resultOf(cdn?.message)).toMatch(/^2\/4/);
    expect(cdn?.sessionId).toBe(13);
    expect(s.lns.sessionTotal).toBe(2);
    expect(s.lns.tunnel(tid)!.callsInSetup).toBe(2);
  });

  it('calls in setup beyond maxCallsInSetupPerPeer (over all its tunnels) get CDN 2/4', () => {
    const s = rawSetup({ limits: { maxCallsInSetupPerPeer: 2 } });
    const tid = rawHandshake(s);
    const ns = { value: 2 };
    ackAll(s, tid, ns);
    for (const sid of [21, 22, 23]) s.peer.send(LNS, tid, 0, ns.value++, 1, build.icrq(sid));
    s.net.runUntil(() => false, s.net.now + 500);
    const cdn = s.peer.received.find((r) => r.message?.type === MessageType.CDN);
    expect(resultOf(cdn?.message)).toMatch(/^2\/4/);
    expect(cdn?.sessionId).toBe(23);
    expect(s.lns.sessionTotal).toBe(2);
  });

  it('tunnels beyond maxTunnelsPerPeer get StopCCN 2/4 and no state', () => {
    const p = l2tpPair({}, { limits: { maxTunnelsPerPeer: 2 } });
    for (let i = 0; i < 3; i++) p.lac.openTunnel(LNS, p.net.now);
    p.settle(3000);
    expect([...p.lns.tunnels()]).toHaveLength(2);
    expect(p.lacEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({ resultCode: 2, errorCode: 4 });
  });

  it('a full half-open table lets the oldest half-open tunnel go (StopCCN 2/4), not the new SCCRQ', () => {
    const s = rawSetup({ limits: { maxHalfOpenTunnels: 2 } });
    const spoofed = [1, 2, 3].map((i) => ({ address: `198.51.100.${i}`, port: 1701 }));
    for (const from of spoofed) {
      s.net.inject(from, LNS, encodeSccrq(100));
      s.net.runUntil(() => false, s.net.now + 10);
    }
    expect([...s.lns.tunnels()].map((t) => t.peer.address)).toEqual(['198.51.100.2', '198.51.100.3']);
    expect(s.lns.halfOpenTunnels).toBe(2);
    expect(s.lnsEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({
      peer: spoofed[0],
      resultCode: 2,
      errorCode: 4,
    });
  });

  it('a peer that never acks while asking for more overflows the bounded queue: StopCCN 2/4, tunnel down', () => {
    const s = rawSetup({ limits: { maxQueuedMessages: 8 } });
    const tid = rawHandshake(s);
    // The peer processes our acks (it keeps sending in window) but never acks our replies (Nr 1).
    let ns = 2;
    for (let i = 0; i < 40; i++) {
      s.peer.send(LNS, tid, 0, ns++, 1, build.icrq(1000 + i));
      s.net.runUntil(() => false, s.net.now + 2);
    }
    expect(s.lnsEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({
      resultCode: 2,
      errorCode: 4,
      reason: 'stopccn-sent',
    });
    const t = s.lns.tunnel(tid);
    expect(t === undefined || t.channel.queued <= 8).toBe(true);
  });
});

describe('issue 9: bounded reorder buffer', () => {
  it('an out-of-order control message larger than 2 KiB is not buffered; in order it is handled', () => {
    const s = rawSetup();
    const tid = rawHandshake(s);
    const big = {
      type: MessageType.HELLO,
      avps: [
        makeBytesAvp(36, new Uint8Array(1000)),
        makeBytesAvp(36, new Uint8Array(1000)),
        makeBytesAvp(36, new Uint8Array(1000)),
      ],
    };
    s.peer.send(LNS, tid, 0, 3, 1, big); // Ns 2 is missing
    s.net.runUntil(() => false, s.net.now + 50);
    expect(s.lnsEvents.some((e) => e.type === 'datagram-dropped' && e.reason === 'reorder-too-large')).toBe(true);
    s.peer.send(LNS, tid, 0, 2, 1, big);
    s.net.runUntil(() => false, s.net.now + 50);
    expect(s.lns.tunnel(tid)!.channel.receiveNr).toBe(3); // Ns 2 handled; Ns 3 was not kept
  });
});

describe('issue 9: RFC 2661 MUSTs on zero values', () => {
  it('RFC2661-4.4.3: an SCCRQ with Receive Window Size 0 gets StopCCN 2/3 and no tunnel', () => {
    const s = rawSetup();
    s.peer.send(LNS, 0, 0, 0, 0, build.sccrq(55, { rws: 0 }));
    s.net.runUntil(() => false, 500);
    const stop = s.peer.received.find((r) => r.message?.type === MessageType.StopCCN);
    expect(stop?.tunnelId).toBe(55);
    expect(resultOf(stop?.message)).toBe('2/3');
    expect([...s.lns.tunnels()]).toHaveLength(0);
  });

  it('RFC2661-4.4.3: an SCCRQ with Assigned Tunnel ID 0 gets StopCCN 2/3 and no tunnel', () => {
    const s = rawSetup();
    s.peer.send(LNS, 0, 0, 0, 0, build.sccrq(0));
    s.net.runUntil(() => false, 500);
    const stop = s.peer.received.find((r) => r.message?.type === MessageType.StopCCN);
    expect(resultOf(stop?.message)).toBe('2/3');
    expect([...s.lns.tunnels()]).toHaveLength(0);
  });

  it('RFC2661-4.4.3: an ICRQ with Assigned Session ID 0 gets CDN 2/3 and no session', () => {
    const s = rawSetup();
    const tid = rawHandshake(s);
    s.peer.send(LNS, tid, 0, 2, 1, build.icrq(0));
    s.net.runUntil(() => false, s.net.now + 500);
    const cdn = s.peer.received.find((r) => r.message?.type === MessageType.CDN);
    expect(resultOf(cdn?.message)).toBe('2/3');
    expect(s.lns.sessionTotal).toBe(0);
  });

  it('RFC2661-4.4.3: an SCCRP with Receive Window Size 0 is refused by the LAC (StopCCN 2/3)', () => {
    const net = new SimNetwork(6, { minDelayMs: 1, maxDelayMs: 1 });
    const lac = new Endpoint({ role: 'lac', hostName: 'lac', random: seededRandom(3) });
    const lacEvents = net.attach(LAC, lac);
    const lnsPeer = new RawPeer(LNS);
    net.attach(LNS, lnsPeer);
    const tid = lac.openTunnel(LNS, 0);
    net.runUntil(() => lnsPeer.received.length > 0, 100);
    const sccrp = { ...build.sccrq(91, { rws: 0 }), type: MessageType.SCCRP };
    lnsPeer.send(LAC, tid, 0, 0, 1, sccrp);
    net.runUntil(() => lacEvents.some((e) => e.type === 'tunnel-down'), 1000);
    expect(lacEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({ resultCode: 2, errorCode: 3 });
  });
});

describe('issue 9: Windows StopCCN with the wrong Tunnel ID', () => {
  for (const headerTid of [0, 77]) {
    it(`a StopCCN with Tunnel ID ${headerTid} in its header is matched by its Assigned Tunnel ID AVP and acked`, () => {
      const s = rawSetup();
      const tid = rawHandshake(s);
      s.net.runUntil(() => false, s.net.now + 500);
      const before = s.peer.received.length;
      s.peer.send(LNS, headerTid, 0, 2, 1, build.stopccn(77));
      s.net.runUntil(() => s.lnsEvents.some((e) => e.type === 'tunnel-down'), s.net.now + 1000);
      expect(s.lnsEvents.find((e) => e.type === 'tunnel-down')).toMatchObject({
        tunnelId: tid,
        initiator: 'peer',
        reason: 'stopccn-received',
      });
      s.net.runUntil(() => false, s.net.now + 500);
      const ack = s.peer.received.slice(before).find((r) => r.message === undefined);
      expect(ack).toMatchObject({ tunnelId: 77, nr: 3 }); // the ZLB acks the StopCCN (§5.7)
    });
  }

  it('the same StopCCN from another address is not matched', () => {
    const s = rawSetup();
    rawHandshake(s);
    const stranger = new RawPeer({ address: '203.0.113.9', port: 1701 });
    s.net.attach(stranger.address, stranger);
    stranger.send(LNS, 0, 0, 2, 1, build.stopccn(77));
    s.net.runUntil(() => false, s.net.now + 1000);
    expect(s.lnsEvents.some((e) => e.type === 'tunnel-down')).toBe(false);
  });
});

describe('issue 10 item 1: acknowledgements never stall a window', () => {
  it('a LAC that fills our window gets its ack at once, not after the delayed-ack timer', () => {
    const s = rawSetup({ receiveWindow: 4 });
    const tid = rawHandshake(s);
    s.net.runUntil(() => false, s.net.now + 500);
    const t0 = s.net.now;
    // Four HELLOs (our window) at once: the LNS has nothing to piggyback on, and the peer is blocked.
    for (let i = 0; i < 4; i++) s.peer.send(LNS, tid, 0, 2 + i, 1, build.hello());
    s.net.runUntil(() => s.peer.received.some((r) => r.at > t0 && r.nr === 6), t0 + 1000);
    const ack = s.peer.received.find((r) => r.at > t0 && r.nr === 6);
    expect(ack).toBeDefined();
    expect(ack!.at - t0).toBeLessThanOrEqual(2); // two 1 ms hops, no 100 ms delay
  });

  it('the LNS advertises a Receive Window Size of 16 by default (accel-ppp), configurable', () => {
    const s = rawSetup();
    rawHandshake(s, { scccn: false });
    const sccrp = s.peer.received.find((r) => r.message?.type === MessageType.SCCRP)!;
    const rws = sccrp.message!.avps.find((a) => a.type === 10)!.value;
    expect((rws[0]! << 8) | rws[1]!).toBe(16);
    const s4 = rawSetup({ receiveWindow: 4 });
    rawHandshake(s4, { scccn: false });
    const v = s4.peer.received
      .find((r) => r.message?.type === MessageType.SCCRP)!
      .message!.avps.find((a) => a.type === 10)!.value;
    expect((v[0]! << 8) | v[1]!).toBe(4);
  });
});

function lnsTidOf(s: ReturnType<typeof rawSetup>): number {
  return s.lns.tunnels()[Symbol.iterator]().next().value?.tunnelId ?? 0;
}

function encodeSccrq(assignedTunnelId: number): Uint8Array {
  const p = new RawPeer(LAC);
  p.send(LNS, 0, 0, 0, 0, build.sccrq(assignedTunnelId));
  return p.pollTransmit()!.bytes;
}
