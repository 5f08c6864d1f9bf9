// PAP authenticator + peer (src/chap/pap-authenticator.ts, pap-peer.ts), RFC 1334 §2.
import { describe, expect, it } from 'vitest';
import { decodePapPacket, encodePapReply, encodePapRequest, PapCode } from '../../src/chap/pap.js';
import { createPapServer } from '../../src/chap/pap-authenticator.js';
import { createPapClient } from '../../src/chap/pap-peer.js';
import type { AuthEngine } from '../../src/chap/types.js';
import { toHex } from '../../src/core/bytes.js';
import { seededRandom } from '../support/seeded-random.js';
import { drain, exchange } from './pair.js';

const lookup = (user: string): string | undefined => ({ bob: 'bobPass' })[user];
const reasonOf = (e: AuthEngine): string => (e.outcome && !e.outcome.ok ? e.outcome.reason : '');

describe('PAP server + client', () => {
  it('RFC1334-2: advertises PAP (c0 23)', () => {
    const s = createPapServer({ lookup });
    expect(s.protocol).toBe(0xc023);
    expect(toHex(s.lcpData)).toBe('c023');
    expect(toHex(createPapClient({ user: 'bob', password: 'x' }).lcpData)).toBe('c023');
  });

  it('RFC1334-2.2: good password → Authenticate-Ack; both outcomes ok', () => {
    const s = createPapServer({ lookup });
    const c = createPapClient({ user: 'bob', password: 'bobPass', random: seededRandom(1) });
    s.start(0);
    c.start(0);
    const log = exchange(s, c, 0);
    expect(log.map((f) => `${f.from}:${f.packet[0]}`)).toEqual(['client:1', 'server:2']);
    expect(log[1]!.packet[1]).toBe(log[0]!.packet[1]); // §2.2.2: Identifier copied
    expect(s.outcome).toEqual({ ok: true, user: 'bob' });
    expect(c.outcome).toEqual({ ok: true, user: 'bob' });
    expect(c.pollTimeout()).toBeUndefined();
  });

  it('RFC1334-2.2.2: wrong password or unknown user → Authenticate-Nak; no password in any reason', () => {
    for (const [user, password] of [
      ['bob', 'guess'],
      ['eve', 'bobPass'],
    ] as const) {
      const s = createPapServer({ lookup });
      const c = createPapClient({ user, password });
      s.start(0);
      c.start(0);
      const log = exchange(s, c, 0);
      expect(log[1]!.packet[0]).toBe(PapCode.AuthenticateNak);
      expect(s.outcome).toMatchObject({ ok: false, user });
      expect(c.outcome).toMatchObject({ ok: false, user });
      for (const e of [s, c]) expect(reasonOf(e)).not.toMatch(/guess|bobPass/);
    }
  });

  it('RFC1334-2.2.1: repeated Requests after completion get the same reply code with their own Identifier', () => {
    for (const [password, code] of [
      ['bobPass', PapCode.AuthenticateAck],
      ['guess', PapCode.AuthenticateNak],
    ] as const) {
      const s = createPapServer({ lookup });
      s.start(0);
      s.handlePacket(encodePapRequest(10, 'bob', password), 1);
      s.handlePacket(encodePapRequest(11, 'bob', password), 2);
      // Even a repeat with other credentials cannot change the decision.
      s.handlePacket(encodePapRequest(12, 'bob', password === 'guess' ? 'bobPass' : 'guess'), 3);
      const replies = drain(s).map((p) => decodePapPacket(p));
      expect(replies.map((r) => [r?.code, r?.identifier])).toEqual([
        [code, 10],
        [code, 11],
        [code, 12],
      ]);
      expect(s.outcome?.ok).toBe(code === PapCode.AuthenticateAck);
    }
  });

  it('RFC1334-2.2.1: the retired authenticator (what a link keeps once decided) repeats the same reply code', () => {
    for (const [password, code] of [
      ['bobPass', PapCode.AuthenticateAck],
      ['guess', PapCode.AuthenticateNak],
    ] as const) {
      const s = createPapServer({ lookup });
      s.start(0);
      expect(s.retire!()).toBe(s); // undecided: nothing to retire into
      s.handlePacket(encodePapRequest(10, 'bob', password), 1);
      const first = drain(s);
      const retired = s.retire!();
      expect(retired).not.toBe(s);
      retired.handlePacket(encodePapRequest(11, 'bob', password === 'guess' ? 'bobPass' : 'guess'), 2);
      const replies = [...first, ...drain(retired)].map((p) => decodePapPacket(p));
      expect(replies.map((r) => [r?.code, r?.identifier])).toEqual([
        [code, 10],
        [code, 11],
      ]);
      expect(retired.outcome).toEqual(s.outcome);
    }
  });

  it('RFC1334-2.2.1: the client repeats with a new Identifier every restartMs until maxRequests, then fails', () => {
    const c = createPapClient({ user: 'bob', password: 'bobPass', restartMs: 1000, maxRequests: 3 });
    c.start(0);
    const ids = [decodePapPacket(drain(c)[0]!)?.identifier];
    expect(c.pollTimeout()).toBe(1000);
    c.handleTimeout(999);
    expect(drain(c)).toEqual([]);
    c.handleTimeout(1000);
    ids.push(decodePapPacket(drain(c)[0]!)?.identifier);
    c.handleTimeout(2000);
    ids.push(decodePapPacket(drain(c)[0]!)?.identifier);
    expect(new Set(ids).size).toBe(3);
    expect(c.outcome).toBeUndefined();
    c.handleTimeout(3000);
    expect(drain(c)).toEqual([]);
    expect(c.outcome).toMatchObject({ ok: false, user: 'bob' });
    expect(reasonOf(c)).toContain('3 Authenticate-Requests');
    expect(c.pollTimeout()).toBeUndefined();
  });

  it('RFC1334-2.2.1: a late Ack to an earlier Request counts; an Ack with an unknown Identifier does not', () => {
    const c = createPapClient({ user: 'bob', password: 'bobPass', restartMs: 1000 });
    c.start(0);
    const first = decodePapPacket(drain(c)[0]!)!.identifier;
    c.handleTimeout(1000);
    drain(c);
    c.handlePacket(encodePapReply(PapCode.AuthenticateAck, (first + 100) & 0xff, ''), 1100);
    expect(c.outcome).toBeUndefined();
    c.handlePacket(encodePapReply(PapCode.AuthenticateAck, first, 'ok'), 1200);
    expect(c.outcome).toEqual({ ok: true, user: 'bob' });
  });

  it('RFC1334-2.2: a lost Request is recovered by the retransmission', () => {
    const s = createPapServer({ lookup });
    const c = createPapClient({ user: 'bob', password: 'bobPass' });
    s.start(0);
    c.start(0);
    drain(c); // lost
    c.handleTimeout(3000);
    exchange(s, c, 3000);
    expect(s.outcome?.ok).toBe(true);
    expect(c.outcome?.ok).toBe(true);
  });

  it('the server gives up after timeoutMs without a Request (pppd pap-timeout), and waits forever without it', () => {
    const s = createPapServer({ lookup, timeoutMs: 5000 });
    s.start(100);
    expect(s.pollTimeout()).toBe(5100);
    s.handleTimeout(5100);
    expect(s.outcome).toMatchObject({ ok: false });
    s.handlePacket(encodePapRequest(1, 'bob', 'bobPass'), 5200);
    expect(drain(s)).toEqual([]);
    expect(createPapServer({ lookup }).pollTimeout()).toBeUndefined();
  });
});
