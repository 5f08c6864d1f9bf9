// Issue 9 Deliver 3 on virtual time: what one hostile peer can make the LNS hold stays under the
// documented bounds (docs/CONFORMANCE.md "Bounds") while other peers are served.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { DEFAULT_MAX_PENDING, MAX_PEER_WINDOW } from '../../src/l2tp/control-channel.js';
import {
  DEFAULT_MAX_CALLS_IN_SETUP_PER_PEER,
  DEFAULT_MAX_CALLS_IN_SETUP_PER_TUNNEL,
  DEFAULT_MAX_HALF_OPEN_TUNNELS,
  Endpoint,
  type L2tpEvent,
} from '../../src/l2tp/endpoint.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';
import { build, RawPeer } from '../l2tp/raw-peer.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

const LNS: PeerAddress = { address: '10.0.0.2', port: 1701 };
const FLOODER: PeerAddress = { address: '10.0.0.66', port: 1701 };
const LAC2: PeerAddress = { address: '10.0.0.3', port: 1701 };
const has = (es: L2tpEvent[], t: L2tpEvent['type']) => es.some((e) => e.type === t);

describe('bounded state per peer (issue 9 Deliver 3)', () => {
  it('a million ICRQs from one peer (acking everything, never sending ICCN) stay under the bounds while a second peer brings a session up', () => {
    const net = new SimNetwork(31, { minDelayMs: 1, maxDelayMs: 1 });
    const lns = new Endpoint({ role: 'lns', hostName: 'lns', random: seededRandom(32) });
    const lnsEvents = net.attach(LNS, lns);
    const flooder = new RawPeer(FLOODER, 4);
    net.attach(FLOODER, flooder);
    const lac2 = new Endpoint({ role: 'lac', hostName: 'lac2', random: seededRandom(33) });
    const lac2Events = net.attach(LAC2, lac2);

    // The flooder's handshake, then ICRQs as fast as the LNS's window (16) lets it, acking every reply.
    const TOTAL = 1_000_000;
    let lnsTid = 0;
    let ourNs = 0;
    let expectNs = 0; // next Ns we expect from the LNS
    let lnsNr = 0; // how far the LNS has acked us
    let sent = 0;
    let sid = 0;
    const topUp = (): void => {
      while (sent < TOTAL && ((ourNs - lnsNr) & 0xffff) < 16) {
        sid = (sid % 0xfffe) + 1;
        flooder.send(LNS, lnsTid, 0, ourNs, expectNs, build.icrq(sid));
        ourNs = (ourNs + 1) & 0xffff;
        sent++;
      }
    };
    let ourTid = 66;
    flooder.onReceive = (r) => {
      if (r.tunnelId !== ourTid) return; // a lingering old tunnel's retransmission
      if (r.message?.type === MessageType.StopCCN) {
        // Its tunnel was torn down (the bounded queue): a persistent flooder comes back with a new one.
        flooder.send(LNS, lnsTid, 0, ourNs, (r.ns + 1) & 0xffff);
        ourTid++;
        lnsTid = 0;
        lnsNr = 0;
        expectNs = 0;
        flooder.send(LNS, 0, 0, 0, 0, build.sccrq(ourTid, { rws: 16 }));
        ourNs = 1;
        return;
      }
      if (((r.nr - lnsNr) & 0xffff) < 0x8000) lnsNr = r.nr;
      if (r.message !== undefined && r.ns === expectNs) expectNs = (expectNs + 1) & 0xffff;
      if (r.message?.type === MessageType.SCCRP) {
        lnsTid = r.message.avps.find((a) => a.type === 9)!.value.reduce((a, b) => (a << 8) | b, 0);
        flooder.send(LNS, lnsTid, 0, ourNs, expectNs, build.scccn());
        ourNs++;
        return;
      }
      if (lnsTid === 0) return;
      const before = sent;
      topUp();
      if (sent === before && r.message !== undefined) flooder.send(LNS, lnsTid, 0, ourNs, expectNs); // ZLB ack
    };
    flooder.send(LNS, 0, 0, 0, 0, build.sccrq(66, { rws: 16 }));
    ourNs = 1;

    let maxSessions = 0;
    let maxInSetup = 0;
    let maxQueued = 0;
    let maxReplies = 0;
    let tunnelDowns = 0;
    let maxOutstanding = 0;
    let lac2Started = false;
    let lac2Tid = 0;
    let lac2Calling = false;
    for (let steps = 0; net.step(net.now + 1000); steps++) {
      if (steps % 64 === 0) {
        const t = lnsTid === 0 ? undefined : lns.tunnel(lnsTid);
        maxSessions = Math.max(maxSessions, lns.sessionTotal);
        maxInSetup = Math.max(maxInSetup, t?.callsInSetup ?? 0);
        maxQueued = Math.max(maxQueued, t?.channel.queued ?? 0);
        maxReplies = Math.max(maxReplies, t?.channel.repliesQueued ?? 0);
        maxOutstanding = Math.max(maxOutstanding, t?.channel.outstanding ?? 0);
        for (const e of lnsEvents) if (e.type === 'tunnel-down') tunnelDowns++;
        lnsEvents.length = 0; // a million refusals' events: keep the test's own memory flat
      }
      if (!lac2Started && sent > TOTAL / 2) {
        lac2Started = true;
        lac2Tid = lac2.openTunnel(LNS, net.now);
      }
      if (lac2Tid !== 0 && !lac2Calling && has(lac2Events, 'tunnel-up')) {
        lac2Calling = true;
        lac2.startSession(lac2Tid, net.now);
      }
      if (sent >= TOTAL && lac2Started && has(lac2Events, 'session-up')) break;
    }
    expect(sent).toBe(TOTAL);
    expect(has(lac2Events, 'session-up')).toBe(true);
    // The documented bounds (docs/CONFORMANCE.md "Bounds"): calls in setup per tunnel and address,
    // the control queue and the unacked messages per tunnel.
    expect(maxInSetup).toBeLessThanOrEqual(DEFAULT_MAX_CALLS_IN_SETUP_PER_TUNNEL);
    expect(maxSessions).toBeLessThanOrEqual(
      Math.min(DEFAULT_MAX_CALLS_IN_SETUP_PER_TUNNEL, DEFAULT_MAX_CALLS_IN_SETUP_PER_PEER) + 1,
    );
    // A flood whose replies back up past the bound loses its tunnel (StopCCN 2/4) and must start over.
    expect(tunnelDowns).toBeLessThan(20);
    expect(maxReplies).toBeLessThanOrEqual(DEFAULT_MAX_PENDING);
    // Our own messages (one CDN per expiring call) come on top, bounded by the calls in setup.
    expect(maxQueued).toBeLessThanOrEqual(DEFAULT_MAX_PENDING + DEFAULT_MAX_CALLS_IN_SETUP_PER_TUNNEL + 1);
    expect(maxOutstanding).toBeLessThanOrEqual(MAX_PEER_WINDOW);
    expect(maxInSetup).toBe(DEFAULT_MAX_CALLS_IN_SETUP_PER_TUNNEL); // the flood did reach the cap
    // A minute later every call the flood left in setup has been cleared on virtual time.
    const until = net.now + 61_000;
    net.runUntil(() => false, until);
    net.now = Math.max(net.now, until);
    net.runUntil(() => false, net.now + 1000);
    expect(lns.tunnel(lnsTid)?.callsInSetup ?? 0).toBe(0);
    expect(lns.sessionTotal).toBe(1); // the second peer's session only
    expect([...lns.tunnels()].filter((t) => t.peer.address === FLOODER.address).length).toBeLessThanOrEqual(2);
  }, 120_000);

  it('10,000 spoofed SCCRQ sources in one second do not stop a legitimate LAC from getting its tunnel', () => {
    const net = new SimNetwork(41, { minDelayMs: 1, maxDelayMs: 1 });
    const lns = new Endpoint({ role: 'lns', hostName: 'lns', random: seededRandom(42) });
    const lnsEvents = net.attach(LNS, lns);
    const lac = new Endpoint({ role: 'lac', hostName: 'lac', random: seededRandom(43) });
    const lacEvents = net.attach(LAC2, lac);
    const template = new RawPeer(FLOODER);
    let maxHalfOpen = 0;
    for (let i = 0; i < 10_000; i++) {
      const from = { address: `100.${64 + (i >> 14)}.${(i >> 7) & 0x7f}.${i & 0x7f}`, port: 1701 };
      template.send(LNS, 0, 0, 0, 0, build.sccrq(1 + (i % 0xfffe)));
      net.inject(from, LNS, template.pollTransmit()!.bytes);
      if (i === 5000) lac.openTunnel(LNS, net.now);
      const until = net.now + 0.1;
      net.runUntil(() => false, until);
      net.now = Math.max(net.now, until);
      maxHalfOpen = Math.max(maxHalfOpen, lns.halfOpenTunnels);
      lnsEvents.length = 0;
    }
    net.runUntil(() => has(lacEvents, 'tunnel-up'), net.now + 5000);
    expect(lacEvents.find((e) => e.type === 'tunnel-up' || e.type === 'tunnel-down')?.type).toBe('tunnel-up');
    expect(maxHalfOpen).toBeLessThanOrEqual(DEFAULT_MAX_HALF_OPEN_TUNNELS);
  });
});
