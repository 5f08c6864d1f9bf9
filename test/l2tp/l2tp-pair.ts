// Test fixture: an LAC and an LNS Endpoint on a perfect SimNetwork, plus a way to make the LAC's
// control channel carry any hand-built message (reliably, with the right Ns/Nr).
import type { PeerAddress } from '../../src/core/engine.js';
import { Endpoint, type EndpointOptions, type L2tpEvent } from '../../src/l2tp/endpoint.js';
import { type ControlMessage, encodeControlMessage } from '../../src/l2tp/wire/message.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';

export const LAC: PeerAddress = { address: '10.0.0.1', port: 1701 };
export const LNS: PeerAddress = { address: '10.0.0.2', port: 1701 };

/** A connected pair; `up()` brings the tunnel (and optionally one session) up. */
export function l2tpPair(lacOpts: Partial<EndpointOptions> = {}, lnsOpts: Partial<EndpointOptions> = {}, seed = 1) {
  const net = new SimNetwork(seed, { minDelayMs: 1, maxDelayMs: 1 });
  const lac = new Endpoint({ role: 'lac', hostName: 'lac1', random: seededRandom(seed + 1), ...lacOpts });
  const lns = new Endpoint({ role: 'lns', hostName: 'lns1', random: seededRandom(seed + 2), ...lnsOpts });
  const lacEvents: L2tpEvent[] = net.attach(LAC, lac);
  const lnsEvents: L2tpEvent[] = net.attach(LNS, lns);
  const has = (es: L2tpEvent[], t: L2tpEvent['type']): boolean => es.some((e) => e.type === t);
  const find = <T extends L2tpEvent['type']>(es: L2tpEvent[], t: T) =>
    es.find((e): e is Extract<L2tpEvent, { type: T }> => e.type === t);
  return {
    net,
    lac,
    lns,
    lacEvents,
    lnsEvents,
    has,
    find,
    /** Tunnel up on both sides; returns [lacTid, lnsTid]. */
    tunnelUp(): [number, number] {
      const tid = lac.openTunnel(LNS, net.now);
      net.runUntil(() => has(lacEvents, 'tunnel-up') && has(lnsEvents, 'tunnel-up'), net.now + 10_000);
      return [tid, find(lnsEvents, 'tunnel-up')?.tunnelId ?? -1];
    },
    /** An incoming call up on both sides; returns [lacSid, lnsSid]. */
    sessionUp(lacTid: number): [number, number] {
      const sid = lac.startSession(lacTid, net.now);
      net.runUntil(() => has(lnsEvents, 'session-up') && has(lacEvents, 'session-up'), net.now + 10_000);
      return [sid, find(lnsEvents, 'session-up')?.sessionId ?? -1];
    },
    /** Sends `msg` over the LAC tunnel's real channel (so it is sequenced like any message). */
    lacSends(lacTid: number, peerSessionId: number, msg: ControlMessage): void {
      const t = lac.tunnel(lacTid)!;
      t.channel.send(peerSessionId, encodeControlMessage(msg), net.now);
      for (let d = t.pollDatagram(); d; d = t.pollDatagram()) net.inject(LAC, t.peer, d, 1);
    },
    settle(ms = 2000): void {
      net.runUntil(() => false, net.now + ms);
    },
  };
}
