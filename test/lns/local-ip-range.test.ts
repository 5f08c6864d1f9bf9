// xl2tpd `local ip range` (issue 9 item 7): each session gets its own local IPCP address from the
// range, the address returns at teardown and is reused, and a call that finds the range empty is
// cleared at once with CDN 2/4 "No available local IP addresses" (xl2tpd control.c
// get_local_addr: set_error(ERROR_NORES) + call_close at ICCN), before any PPP frame.
// Deterministic simulation. Related: src/lns/lns.ts (takeLocalAddress), config-settings.test.ts.
import { describe, expect, it } from 'vitest';
import { L2tpHeaderView } from '../../src/l2tp/wire/header.js';
import { decodeControlMessage } from '../../src/l2tp/wire/message.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';
import { LacEngine, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine, type LnsEvent } from '../../src/lns/lns.js';
import { resultOf } from '../l2tp/raw-peer.js';
import { seededRandom } from '../support/seeded-random.js';
import { SimNetwork } from '../support/sim-network.js';
import { SIM_LAC, SIM_LNS } from '../support/sim-session.js';

const LOCAL_RANGE = ['10.1.30.1-10.1.30.2'];

function setup(sessionsPerTunnel: number) {
  const net = new SimNetwork(5, { minDelayMs: 1, maxDelayMs: 3 });
  const lns = new LnsEngine({
    random: seededRandom(7),
    hostName: 'lns',
    auth: ['mschapv2'],
    users: (u) => (u === 'alice' ? { secret: 's3cret' } : undefined),
    pool: new AddressPool(['10.1.20.31-10.1.20.50']),
    localAddress: '10.1.30.1',
    localPool: new AddressPool(LOCAL_RANGE),
    userspace: false,
  });
  // Every LNS datagram, decoded when it is a control message with a body.
  const sent: { type: number; result?: string; data: boolean; sessionId: number }[] = [];
  const poll = lns.pollTransmit.bind(lns);
  lns.pollTransmit = () => {
    const t = poll();
    if (t !== undefined) {
      const v = new L2tpHeaderView();
      if (v.wrap(t.bytes) === undefined) {
        const d = v.isControl && v.body.length > 0 ? decodeControlMessage(v.body) : undefined;
        const m = d?.ok ? d.value : undefined;
        sent.push({ type: m?.type ?? -1, result: resultOf(m), data: !v.isControl, sessionId: v.sessionId });
      }
    }
    return t;
  };
  const lnsEvents: LnsEvent[] = net.attach(SIM_LNS, lns);
  const lac = new LacEngine({
    random: seededRandom(11),
    server: SIM_LNS,
    user: 'alice',
    password: 's3cret',
    sessionsPerTunnel,
  });
  const lacEvents: LacEvent[] = net.attach(SIM_LAC, lac);
  lac.start(net.now);
  return { net, lns, lnsEvents, lac, lacEvents, sent };
}

const ups = (events: LacEvent[]) => events.filter((e) => e.type === 'session-up');

describe('local ip range', () => {
  it('two sessions get two different local addresses from the range; one given back is reused by the next', () => {
    const s = setup(2);
    const lnsUpCount = () => s.lnsEvents.filter((e) => e.type === 'session-up').length;
    expect(s.net.runUntil(() => ups(s.lacEvents).length === 2 && lnsUpCount() === 2, 60_000)).toBe(true);
    // The LAC's peerAddress is the LNS's IPCP (local) address of that session.
    const locals = ups(s.lacEvents).map((e) => (e.type === 'session-up' ? e.peerAddress : ''));
    expect(locals.sort()).toEqual(['10.1.30.1', '10.1.30.2']);
    const lnsUps = s.lnsEvents.filter((e) => e.type === 'session-up');
    expect(lnsUps.map((e) => (e.type === 'session-up' ? e.localAddress : '')).sort()).toEqual(locals);

    // The session holding 10.1.30.2 goes; a new call gets 10.1.30.2 back.
    const second = lnsUps.find((e) => e.type === 'session-up' && e.localAddress === '10.1.30.2')!;
    s.lns.disconnectSession(second.tunnelId, second.sessionId, s.net.now);
    expect(s.net.runUntil(() => s.lnsEvents.some((e) => e.type === 'session-down'), s.net.now + 10_000)).toBe(true);
    const tunnelId = s.lacEvents.find((e) => e.type === 'tunnel-up')!.tunnelId;
    s.lac.endpoint.startSession(tunnelId, s.net.now);
    expect(s.net.runUntil(() => ups(s.lacEvents).length === 3, s.net.now + 60_000)).toBe(true);
    const third = ups(s.lacEvents)[2]!;
    expect(third.type === 'session-up' && third.peerAddress).toBe('10.1.30.2');
  });

  it('range exhausted: the next call is cleared at once with CDN 2/4 "No available local IP addresses", no PPP, nothing kept', () => {
    const s = setup(3);
    s.net.runUntil(() => false, 30_000);
    expect(ups(s.lacEvents)).toHaveLength(2);
    const exhausted = s.lnsEvents.find((e) => e.type === 'pool-exhausted');
    expect(exhausted).toMatchObject({ pool: 'local' });
    const refused = exhausted?.type === 'pool-exhausted' ? exhausted.sessionId : -1;
    expect(s.lnsEvents.find((e) => e.type === 'session-down')).toMatchObject({
      sessionId: refused,
      reason: 'No available local IP addresses',
    });
    const cdn = s.sent.find((d) => d.type === MessageType.CDN);
    expect(cdn?.result).toBe('2/4');
    // Not one PPP frame (data message) for the refused call: the CDN is all it got.
    const refusedPeerSid = cdn!.sessionId;
    expect(s.sent.filter((d) => d.data && d.sessionId === refusedPeerSid)).toHaveLength(0);
    expect(s.lns.status()).toMatchObject({ sessions: 2, addressesInUse: 2 });
  });
});
