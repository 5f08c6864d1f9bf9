// The §7.4/§7.5 session automaton: table totality, CDN on unexpected messages, WEN/SLI, sequencing.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import type { L2tpEvent } from '../../src/l2tp/endpoint.js';
import {
  SESSION_EVENTS,
  SESSION_STATES,
  SESSION_TRANSITIONS,
  Session,
  type SessionHost,
} from '../../src/l2tp/session.js';
import { AvpType } from '../../src/l2tp/wire/avp-catalogue.js';
import { makeBytesAvp, makeEmptyAvp, makeU16Avp, makeU32Avp } from '../../src/l2tp/wire/message.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';
import { LAC, LNS, l2tpPair } from './l2tp-pair.js';

const PEER: PeerAddress = { address: '10.0.0.9', port: 1701 };
function bareSession(role: 'lac' | 'lns') {
  const events: L2tpEvent[] = [];
  const sent: number[] = [];
  const host: SessionHost = {
    tunnelId: 1,
    peerTunnelId: 2,
    peer: PEER,
    role,
    sendSessionMessage: (_sid, m) => sent.push(m.type),
    emit: (e) => events.push(e),
    noteReceived: () => {},
  };
  return { s: new Session(host, 7), events, sent };
}

describe('session automaton (RFC 2661 §7.4, §7.5)', () => {
  it('every (state, event) cell is decided: a transition, or an ignored entry in the log; never a throw', () => {
    for (const state of SESSION_STATES) {
      for (const event of SESSION_EVENTS) {
        const { s } = bareSession('lns');
        s.state = state;
        expect(() => s.fire(event, 0), `${state} × ${event}`).not.toThrow();
        const cell = SESSION_TRANSITIONS[event][state];
        expect(s.log.at(-1)!.ignored, `${state} × ${event}`).toBe(cell === undefined);
        expect(s.state).toBe(cell === undefined ? state : cell[0]);
      }
    }
  });

  it('RFC2661-7.4: an unexpected call message in any live state is answered with a CDN and clears the call', () => {
    for (const state of [
      'ic-wait-reply',
      'ic-wait-connect',
      'oc-wait-reply',
      'oc-wait-connect',
      'established',
    ] as const) {
      for (const event of ['rx-icrq', 'rx-ocrq'] as const) {
        const { s, sent, events } = bareSession('lns');
        s.state = state;
        s.fire(event, 0);
        expect(s.state).toBe('closed');
        expect(sent).toEqual([MessageType.CDN]);
        expect(events.find((e) => e.type === 'session-down')).toMatchObject({ resultCode: 2, message: 'FSM error' });
      }
    }
  });

  it('RFC2661-7.4: a CDN in any live state clears the call without a reply', () => {
    for (const state of [
      'ic-wait-reply',
      'ic-wait-connect',
      'oc-wait-reply',
      'oc-wait-connect',
      'established',
    ] as const) {
      const { s, sent } = bareSession('lac');
      s.state = state;
      s.fire('rx-cdn', 0);
      expect(s.state).toBe('closed');
      expect(sent).toEqual([]);
    }
  });

  it('RFC2661-6.14/6.15: WEN and SLI on an established call surface as events', () => {
    const p = l2tpPair();
    const [lacTid] = p.tunnelUp();
    const [, lnsSid] = p.sessionUp(lacTid);
    const callErrors = new Uint8Array(26);
    callErrors.set([0, 0, 0, 0, 0, 5], 0); // CRC errors = 5
    p.lacSends(lacTid, lnsSid, { type: MessageType.WEN, avps: [makeBytesAvp(AvpType.CallErrors, callErrors)] });
    p.settle();
    expect(p.find(p.lnsEvents, 'wan-error')?.callErrors.crcErrors).toBe(5);
    const lnsTid = p.find(p.lnsEvents, 'tunnel-up')!.tunnelId;
    const lnsTunnel = p.lns.tunnel(lnsTid)!;
    const lacSid = p.find(p.lacEvents, 'session-up')!.sessionId;
    const accm = new Uint8Array([0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    lnsTunnel.sendSessionMessage(
      lacSid,
      { type: MessageType.SLI, avps: [makeBytesAvp(AvpType.Accm, accm)] },
      p.net.now,
    );
    for (let d = lnsTunnel.pollDatagram(); d; d = lnsTunnel.pollDatagram()) p.net.inject(LNS, LAC, d, 1);
    p.settle();
    expect(p.find(p.lacEvents, 'set-link-info')).toMatchObject({ sendAccm: 0, receiveAccm: 0xffffffff });
  });

  it('RFC2661-5.4: Sequencing Required in the ICCN makes the LNS session sequence its data', () => {
    const p = l2tpPair();
    const [lacTid] = p.tunnelUp();
    // Hand-built ICRQ/ICCN from the LAC side, with Sequencing Required.
    p.lacSends(lacTid, 0, {
      type: MessageType.ICRQ,
      avps: [makeU16Avp(AvpType.AssignedSessionId, 99), makeU32Avp(AvpType.CallSerialNumber, 1)],
    });
    p.settle();
    const lnsTid = p.find(p.lnsEvents, 'tunnel-up')!.tunnelId;
    const lnsSid = [...p.lns.tunnel(lnsTid)!.sessions.keys()][0]!;
    p.lacSends(lacTid, lnsSid, {
      type: MessageType.ICCN,
      avps: [
        makeU32Avp(AvpType.TxConnectSpeed, 1000),
        makeU32Avp(AvpType.FramingType, 1),
        makeEmptyAvp(AvpType.SequencingRequired),
      ],
    });
    p.settle();
    expect(p.find(p.lnsEvents, 'session-up')).toMatchObject({ sequencing: true, peerSessionId: 99 });
    const h = p.lns.session(lnsTid, lnsSid)!;
    expect(h.sequencing).toBe(true);
    expect([h.nextDataNs(), h.nextDataNs(), h.nextDataNs()]).toEqual([0, 1, 2]);
  });

  it('RFC2661-4.1: an unknown M=1 AVP in an ICCN clears that call with CDN 2/8; the tunnel stays', () => {
    const p = l2tpPair();
    const [lacTid] = p.tunnelUp();
    p.lacSends(lacTid, 0, {
      type: MessageType.ICRQ,
      avps: [makeU16Avp(AvpType.AssignedSessionId, 99), makeU32Avp(AvpType.CallSerialNumber, 1)],
    });
    p.settle();
    const lnsTid = p.find(p.lnsEvents, 'tunnel-up')!.tunnelId;
    const lnsSid = [...p.lns.tunnel(lnsTid)!.sessions.keys()][0]!;
    p.lacSends(lacTid, lnsSid, {
      type: MessageType.ICCN,
      avps: [
        makeU32Avp(AvpType.TxConnectSpeed, 1000),
        makeU32Avp(AvpType.FramingType, 1),
        makeBytesAvp(250, new Uint8Array([1, 2]), { mandatory: true }),
      ],
    });
    p.settle();
    expect(p.find(p.lnsEvents, 'session-down')).toMatchObject({ resultCode: 2, errorCode: 8, initiator: 'local' });
    expect(p.lns.sessionTotal).toBe(0);
    expect(p.has(p.lnsEvents, 'tunnel-down')).toBe(false);
  });

  it('RFC2661-7.4: an ICRQ sent to a LAC (wrong direction) gets a CDN and leaves no session', () => {
    const p = l2tpPair();
    const [, lnsTid] = p.tunnelUp();
    const t = p.lns.tunnel(lnsTid)!;
    t.sendSessionMessage(
      0,
      {
        type: MessageType.ICRQ,
        avps: [makeU16Avp(AvpType.AssignedSessionId, 5), makeU32Avp(AvpType.CallSerialNumber, 1)],
      },
      p.net.now,
    );
    for (let d = t.pollDatagram(); d; d = t.pollDatagram()) p.net.inject(LNS, LAC, d, 1);
    p.settle();
    expect(p.lac.sessionTotal).toBe(0);
    expect(p.has(p.lacEvents, 'tunnel-down')).toBe(false);
  });
});
