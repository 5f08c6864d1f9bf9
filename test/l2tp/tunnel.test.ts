// The §7.2 tunnel automaton: table totality, per-state reactions, faults → StopCCN.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import type { L2tpEvent } from '../../src/l2tp/endpoint.js';
import { Tunnel, type TunnelHost } from '../../src/l2tp/tunnel.js';
import type { TunnelConfig } from '../../src/l2tp/tunnel-table.js';
import { TUNNEL_EVENTS, TUNNEL_STATES, TUNNEL_TRANSITIONS } from '../../src/l2tp/tunnel-table.js';
import { AvpType } from '../../src/l2tp/wire/avp-catalogue.js';
import { makeBytesAvp, makeU16Avp, makeU32Avp } from '../../src/l2tp/wire/message.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';
import { seededRandom } from '../support/seeded-random.js';
import { l2tpPair } from './l2tp-pair.js';

const PEER: PeerAddress = { address: '10.0.0.9', port: 1701 };
function bareTunnel(role: 'lac' | 'lns' = 'lns') {
  const events: L2tpEvent[] = [];
  const cfg: TunnelConfig = {
    role,
    hostName: 'h',
    random: seededRandom(1),
    challengePeer: false,
    hideAvps: false,
    receiveWindow: 4,
    channel: {},
    maxSessionsPerTunnel: 10,
    rebindSilenceMs: 60_000,
    tunnelSetupTimeoutMs: 60_000,
    callSetupTimeoutMs: 60_000,
    maxCallsInSetupPerTunnel: 64,
  };
  let next = 1;
  const host: TunnelHost = {
    emit: (e) => events.push(e),
    allocateSessionId: () => next++,
    sessionClosed: () => {},
    admitCallSetup: () => true,
    callSetupEnded: () => {},
  };
  return { t: new Tunnel(cfg, host, 42, PEER, undefined, 0), events };
}

describe('tunnel automaton (RFC 2661 §7.2)', () => {
  it('every (state, event) cell is decided: a transition, or an ignored entry in the log; never a throw', () => {
    for (const state of TUNNEL_STATES) {
      for (const event of TUNNEL_EVENTS) {
        const { t } = bareTunnel();
        t.state = state;
        expect(() => t.fire(event, 0), `${state} × ${event}`).not.toThrow();
        const cell = TUNNEL_TRANSITIONS[event][state];
        const last = t.log.at(-1)!;
        expect(last.ignored, `${state} × ${event}`).toBe(cell === undefined);
        expect(t.state, `${state} × ${event}`).toBe(cell === undefined ? state : cell[0]);
      }
    }
  });

  it('RFC2661-7.2: in every open state an unexpected control-connection message is answered with StopCCN 7', () => {
    for (const state of ['wait-ctl-reply', 'wait-ctl-conn', 'established'] as const) {
      for (const event of ['rx-sccrq', 'rx-sccrp-ok', 'rx-scccn-ok'] as const) {
        if (
          (state === 'wait-ctl-reply' && event === 'rx-sccrp-ok') ||
          (state === 'wait-ctl-conn' && event === 'rx-scccn-ok')
        )
          continue;
        expect(TUNNEL_TRANSITIONS[event][state], `${state} × ${event}`).toEqual([
          'closing',
          'send-stopccn-fsm',
          'down-local',
          'linger',
        ]);
      }
    }
  });

  it('RFC2661-5.7: a StopCCN from the peer in any open state leads to closing with a linger, never a reply', () => {
    for (const state of ['wait-ctl-reply', 'wait-ctl-conn', 'established'] as const) {
      const cell = TUNNEL_TRANSITIONS['rx-stopccn'][state]!;
      expect(cell[0]).toBe('closing');
      expect(cell).toContain('linger');
      expect(cell.some((a) => a.startsWith('send-'))).toBe(false);
    }
  });

  it('RFC2661-7.2: a repeated SCCRP on an established tunnel gets StopCCN 7 "FSM error"', () => {
    const p = l2tpPair();
    const [lacTid] = p.tunnelUp();
    p.lacSends(lacTid, 0, {
      type: MessageType.SCCRP,
      avps: [
        makeBytesAvp(AvpType.ProtocolVersion, new Uint8Array([1, 0])),
        makeBytesAvp(AvpType.HostName, new TextEncoder().encode('x')),
        makeU32Avp(AvpType.FramingCapabilities, 3),
        makeU16Avp(AvpType.AssignedTunnelId, lacTid),
      ],
    });
    p.settle();
    expect(p.find(p.lacEvents, 'tunnel-down')).toMatchObject({ resultCode: 7, initiator: 'peer' });
    expect(p.find(p.lnsEvents, 'tunnel-down')).toMatchObject({
      resultCode: 7,
      initiator: 'local',
      message: 'FSM error',
    });
  });

  it('RFC2661-4.1: an unknown AVP with M=1 in a HELLO tears the tunnel down with StopCCN 2/8', () => {
    const p = l2tpPair();
    const [lacTid] = p.tunnelUp();
    p.lacSends(lacTid, 0, {
      type: MessageType.HELLO,
      avps: [makeBytesAvp(222, new Uint8Array([1]), { mandatory: true })],
    });
    p.settle();
    expect(p.find(p.lacEvents, 'tunnel-down')).toMatchObject({ resultCode: 2, errorCode: 8 });
  });

  it('RFC2661-4.1: an unknown AVP with M=0 is ignored and the tunnel stays up', () => {
    const p = l2tpPair();
    const [lacTid] = p.tunnelUp();
    p.lacSends(lacTid, 0, {
      type: MessageType.HELLO,
      avps: [makeBytesAvp(222, new Uint8Array([1]), { mandatory: false })],
    });
    p.settle();
    expect(p.has(p.lacEvents, 'tunnel-down')).toBe(false);
    expect(p.has(p.lnsEvents, 'tunnel-down')).toBe(false);
  });

  it('RFC2661-7.2: a session message before the tunnel is established is an FSM error', () => {
    const { t, events } = bareTunnel('lns');
    t.state = 'wait-ctl-conn';
    t.fire('rx-session', 0);
    expect(t.state).toBe('closing');
    expect(events.find((e) => e.type === 'tunnel-down')).toMatchObject({ resultCode: 7 });
  });

  it('RFC2661-5.8: retries exhausted in wait-ctl-reply clears the tunnel with a reported cause', () => {
    const { t, events } = bareTunnel('lac');
    t.open(0);
    for (let at = t.pollTimeout(); at !== undefined && t.state !== 'closed'; at = t.pollTimeout()) t.handleTimeout(at);
    expect(t.state).toBe('closed');
    expect(events.find((e) => e.type === 'tunnel-down')).toMatchObject({ reason: 'retransmission-timeout' });
  });
});
