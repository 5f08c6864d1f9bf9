// MS-CHAPv2 and CHAP-MD5 authenticator + peer (src/chap/chap-authenticator.ts, chap-peer.ts),
// driven against each other in memory on virtual time.
import { describe, expect, it } from 'vitest';
import { createChapMd5Server, createMsChapV2Server } from '../../src/chap/chap-authenticator.js';
import { chapMd5Response } from '../../src/chap/chap-md5.js';
import {
  ChapCode,
  decodeChapPacket,
  encodeChapChallengeOrResponse,
  encodeChapStatus,
} from '../../src/chap/chap-packet.js';
import { createChapMd5Client, createMsChapV2Client } from '../../src/chap/chap-peer.js';
import { generateAuthenticatorResponse, generateNtResponse } from '../../src/chap/mschapv2.js';
import {
  decodeMsChapV2ResponseValue,
  encodeMsChapV2Challenge,
  encodeMsChapV2Response,
} from '../../src/chap/mschapv2-wire.js';
import type { AuthEngine } from '../../src/chap/types.js';
import { toHex } from '../../src/core/bytes.js';
import { hex } from '../support/hex.js';
import { seededRandom } from '../support/seeded-random.js';
import { RFC2759_9_2, RFC2759_RESPONSE_FRAME, RFC2759_WRONG_PASSWORD } from '../vectors/chap-vectors.js';
import { drain, exchange, fixedRandom, statusText } from './pair.js';

const SECRETS: Record<string, string> = { alice: 'alicePass', 'CORP\\carol': 'carolPass', User: 'clientPass' };
const lookup = (user: string): string | undefined => SECRETS[user];

function msServer(seed = 1, extra: { maxChallenges?: number; timeoutMs?: number } = {}): AuthEngine {
  return createMsChapV2Server({ random: seededRandom(seed), name: 'lns', lookup, ...extra });
}

/** Every string an engine exposes through its outcome. */
const reasonOf = (e: AuthEngine): string => (e.outcome && !e.outcome.ok ? e.outcome.reason : '');

describe('MS-CHAPv2 server + client', () => {
  it('RFC2759: advertises CHAP with algorithm 0x81', () => {
    const s = msServer();
    expect(s.protocol).toBe(0xc223);
    expect(toHex(s.lcpData)).toBe('c22381');
    expect(toHex(createMsChapV2Client({ user: 'a', password: 'b', random: seededRandom(1) }).lcpData)).toBe('c22381');
  });

  it('RFC2759-5: an external verdict "ok" without the authenticator response becomes a Failure, never a bare Success', () => {
    const s = createMsChapV2Server({ random: seededRandom(3), name: 'lns', lookup, external: true });
    const c = createMsChapV2Client({ user: 'alice', password: 'alicePass', random: seededRandom(4) });
    s.start(0);
    for (const p of drain(s)) c.handlePacket(p, 1);
    for (const p of drain(c)) s.handlePacket(p, 2);
    expect(drain(s)).toEqual([]); // waiting for the checker
    expect(s.pollVerify?.()).toMatchObject({ method: 'mschapv2', user: 'alice' });
    s.completeVerify?.({ ok: true }, 3);
    const [reply] = drain(s);
    expect(reply![0]).toBe(ChapCode.Failure);
    expect(statusText(reply!)).toMatch(/^E=691 R=0 C=[0-9A-F]{32} V=3/);
    expect(s.outcome).toMatchObject({ ok: false, user: 'alice' });
    expect(reasonOf(s)).toContain('without an authenticator response');
  });

  it('RFC2759-3: the Challenge is 16 octets from the injected Random, with our name', () => {
    const s = msServer(42);
    s.start(1000);
    const [challenge] = drain(s);
    const replay = seededRandom(42);
    const identifier = replay.int(0, 255);
    const value = replay.fill(new Uint8Array(16));
    expect(challenge).toEqual(encodeMsChapV2Challenge(identifier, value, 'lns'));
    expect(s.pollTimeout()).toBe(4000);
  });

  it('RFC2759-5: good password → Success carrying the authenticator response; both outcomes ok', () => {
    const s = msServer(7);
    const c = createMsChapV2Client({ user: 'alice', password: 'alicePass', random: seededRandom(99) });
    s.start(0);
    c.start(0);
    const log = exchange(s, c, 0);
    expect(log.map((f) => `${f.from}:${f.packet[0]}`)).toEqual(['server:1', 'client:2', 'server:3']);
    // Recompute the expected S= independently from what crossed the wire.
    const ch = decodeChapPacket(log[0]!.packet);
    const rs = decodeChapPacket(log[1]!.packet);
    if (ch?.code !== ChapCode.Challenge || rs?.code !== ChapCode.Response) throw new Error('unexpected packets');
    const v = decodeMsChapV2ResponseValue(rs.value)!;
    expect(v.ntResponse).toEqual(generateNtResponse(ch.value, v.peerChallenge, 'alice', 'alicePass'));
    const expected = generateAuthenticatorResponse('alicePass', v.ntResponse, v.peerChallenge, ch.value, 'alice');
    expect(statusText(log[2]!.packet)).toBe(`${expected} M=Access granted`);
    expect(log[2]!.packet[1]).toBe(rs.identifier);
    expect(s.outcome).toEqual({ ok: true, user: 'alice' });
    expect(c.outcome).toEqual({ ok: true, user: 'alice' });
    expect(s.pollTimeout()).toBeUndefined();
  });

  it('RFC2759-9.2 end to end: the client sends the §3.5 Response frame and gets S=407A…', () => {
    const s = createMsChapV2Server({
      random: fixedRandom(hex`${RFC2759_9_2.authenticatorChallenge}`, 5),
      name: 'lns',
      lookup,
    });
    const c = createMsChapV2Client({
      user: 'User',
      password: 'clientPass',
      random: fixedRandom(hex`${RFC2759_9_2.peerChallenge}`, 0),
    });
    s.start(0);
    const log = exchange(s, c, 0);
    expect(toHex(log[1]!.packet)).toBe(toHex(hex`${RFC2759_RESPONSE_FRAME}`.subarray(4)));
    expect(statusText(log[2]!.packet)).toBe(`${RFC2759_9_2.authenticatorResponse} M=Access granted`);
    expect(c.outcome?.ok).toBe(true);
  });

  it('REFERENCES-3.5: the wrong-password NT-Response → Failure E=691, server outcome failed', () => {
    const s = createMsChapV2Server({
      random: fixedRandom(hex`${RFC2759_9_2.authenticatorChallenge}`, 5),
      name: 'lns',
      lookup,
    });
    s.start(0);
    drain(s);
    s.handlePacket(
      encodeMsChapV2Response(
        5,
        { peerChallenge: hex`${RFC2759_9_2.peerChallenge}`, ntResponse: hex`${RFC2759_WRONG_PASSWORD.ntResponse}` },
        'User',
      ),
      10,
    );
    const [reply] = drain(s);
    expect(reply![0]).toBe(ChapCode.Failure);
    expect(statusText(reply!)).toMatch(/^E=691 R=0 C=[0-9A-F]{32} V=3 M=/);
    expect(s.outcome).toMatchObject({ ok: false, user: 'User' });
  });

  it('RFC2759-6: wrong password → Failure E=691 R=0 C=<new challenge> V=3; client outcome failed; no password in any reason', () => {
    const s = msServer(3);
    const c = createMsChapV2Client({ user: 'alice', password: 'notThePass', random: seededRandom(4) });
    s.start(0);
    const log = exchange(s, c, 0);
    const failure = log[2]!;
    expect(failure.packet[0]).toBe(ChapCode.Failure);
    const text = statusText(failure.packet);
    expect(text).toMatch(/^E=691 R=0 C=[0-9A-F]{32} V=3 M=\S/);
    const firstChallenge = toHex(log[0]!.packet.subarray(5, 21));
    expect(text.slice(12, 44).toLowerCase()).not.toBe(firstChallenge); // C= is a new challenge
    expect(s.outcome).toMatchObject({ ok: false, user: 'alice' });
    expect(c.outcome).toMatchObject({ ok: false, user: 'alice' });
    expect(reasonOf(c)).toContain('691');
    expect(reasonOf(s)).toContain('wrong response');
    for (const e of [s, c]) {
      expect(reasonOf(e)).not.toContain('notThePass');
      expect(reasonOf(e)).not.toContain('alicePass');
    }
  });

  it('RFC2759-6: unknown user → Failure E=691 and a failed outcome naming the user', () => {
    const s = msServer(5);
    const c = createMsChapV2Client({ user: 'mallory', password: 'x', random: seededRandom(6) });
    s.start(0);
    const log = exchange(s, c, 0);
    expect(statusText(log[2]!.packet)).toMatch(/^E=691 /);
    expect(s.outcome).toMatchObject({ ok: false, user: 'mallory' });
    expect(reasonOf(s)).toContain('no secret');
    expect(c.outcome?.ok).toBe(false);
  });

  it('RFC2759-8.2: a DOMAIN\\user name authenticates (lookup by full name, hash without domain)', () => {
    const s = msServer(8);
    const c = createMsChapV2Client({ user: 'CORP\\carol', password: 'carolPass', random: seededRandom(9) });
    s.start(0);
    exchange(s, c, 0);
    expect(s.outcome).toEqual({ ok: true, user: 'CORP\\carol' });
    expect(c.outcome?.ok).toBe(true);
  });

  it('RFC1994-4.1: the Challenge is retransmitted (same packet) every timeoutMs, then gives up after maxChallenges', () => {
    const s = msServer(11, { maxChallenges: 3, timeoutMs: 500 });
    s.start(100);
    const [first] = drain(s);
    expect(s.pollTimeout()).toBe(600);
    s.handleTimeout(599);
    expect(drain(s)).toEqual([]);
    s.handleTimeout(600);
    expect(drain(s)).toEqual([first]);
    expect(s.pollTimeout()).toBe(1100);
    s.handleTimeout(1100);
    expect(drain(s)).toEqual([first]);
    expect(s.outcome).toBeUndefined();
    s.handleTimeout(1600);
    expect(drain(s)).toEqual([]);
    expect(s.outcome).toMatchObject({ ok: false });
    expect(reasonOf(s)).toContain('3 challenges');
    expect(s.pollTimeout()).toBeUndefined();
  });

  it('RFC1994-4.1: a lost first Challenge is recovered by the retransmission', () => {
    const s = msServer(12);
    const c = createMsChapV2Client({ user: 'alice', password: 'alicePass', random: seededRandom(13) });
    s.start(0);
    drain(s); // lost
    s.handleTimeout(3000);
    exchange(s, c, 3000);
    expect(s.outcome?.ok).toBe(true);
    expect(c.outcome?.ok).toBe(true);
  });

  it('RFC1994-4.1: a repeated Challenge gets the same Response bytes from the client', () => {
    const s = msServer(14);
    const c = createMsChapV2Client({ user: 'alice', password: 'alicePass', random: seededRandom(15) });
    s.start(0);
    const [challenge] = drain(s);
    c.handlePacket(challenge!, 0);
    c.handlePacket(challenge!, 1);
    const [r1, r2] = drain(c);
    expect(r2).toEqual(r1);
    s.handlePacket(r1!, 2);
    s.handlePacket(r2!, 3);
    const [a, b] = drain(s);
    expect(b).toEqual(a);
    c.handlePacket(a!, 4);
    expect(c.outcome?.ok).toBe(true);
  });

  it('RFC1994-4.1: a retransmitted Challenge reordered behind the Success does not undo the success', () => {
    const s = msServer(26);
    const c = createMsChapV2Client({ user: 'alice', password: 'alicePass', random: seededRandom(27) });
    s.start(0);
    const [challenge] = drain(s);
    s.handleTimeout(3000);
    const [retransmitted] = drain(s);
    c.handlePacket(challenge!, 3001);
    s.handlePacket(drain(c)[0]!, 3002);
    c.handlePacket(drain(s)[0]!, 3003); // Success
    expect(c.outcome?.ok).toBe(true);
    c.handlePacket(retransmitted!, 3004); // arrives late
    exchange(s, c, 3005); // the same Response again → the same Success again
    expect(c.outcome?.ok).toBe(true);
    expect(s.outcome?.ok).toBe(true);
  });

  it('RFC1994-4.2: a repeated Response after the outcome gets the same reply; other identifiers are ignored', () => {
    for (const password of ['alicePass', 'wrong']) {
      const s = msServer(16);
      const c = createMsChapV2Client({ user: 'alice', password, random: seededRandom(17) });
      s.start(0);
      const log = exchange(s, c, 0);
      const response = log[1]!.packet;
      const outcome = s.outcome;
      s.handlePacket(response, 50);
      expect(drain(s)).toEqual([log[2]!.packet]);
      const otherId = response.slice();
      otherId[1] = (otherId[1]! + 1) & 0xff;
      s.handlePacket(otherId, 60);
      expect(drain(s)).toEqual([]);
      expect(s.outcome).toEqual(outcome);
    }
  });

  it('RFC1994-4.2: the retired authenticator (what a link keeps once done) answers a repeated Response the same', () => {
    for (const password of ['alicePass', 'wrong']) {
      const s = msServer(16);
      const c = createMsChapV2Client({ user: 'alice', password, random: seededRandom(17) });
      s.start(0);
      const log = exchange(s, c, 0);
      const retired = s.retire!();
      expect(retired).not.toBe(s);
      expect(retired.outcome).toEqual(s.outcome);
      expect(retired.pollTimeout()).toBeUndefined();
      retired.handlePacket(log[1]!.packet, 50);
      expect(drain(retired)).toEqual([log[2]!.packet]);
      const otherId = log[1]!.packet.slice();
      otherId[1] = (otherId[1]! + 1) & 0xff;
      retired.handlePacket(otherId, 60);
      retired.handlePacket(log[0]!.packet, 61); // a Challenge is not answered either
      expect(drain(retired)).toEqual([]);
    }
    // Not done yet: nothing to retire into.
    const busy = msServer(18);
    busy.start(0);
    expect(busy.retire!()).toBe(busy);
  });

  it('RFC1994-4.1: a Response with another Identifier or a wrong Value-Size is ignored', () => {
    const s = msServer(18);
    s.start(0);
    const challenge = decodeChapPacket(drain(s)[0]!);
    if (challenge?.code !== ChapCode.Challenge) throw new Error('no challenge');
    const good = { peerChallenge: new Uint8Array(16), ntResponse: new Uint8Array(24) };
    s.handlePacket(encodeMsChapV2Response((challenge.identifier + 1) & 0xff, good, 'alice'), 1);
    s.handlePacket(
      encodeChapChallengeOrResponse(ChapCode.Response, challenge.identifier, new Uint8Array(16), 'alice'),
      2,
    );
    expect(drain(s)).toEqual([]);
    expect(s.outcome).toBeUndefined();
  });

  it('RFC2759-5: a Success with a forged S= fails the client ("server did not authenticate")', () => {
    const forgeries = [
      'S=0000000000000000000000000000000000000000 M=Access granted',
      'M=Access granted',
      '',
      'S=407A5589115FD0D6209F510FE9C04566932CDA56',
    ];
    for (const forged of forgeries) {
      const s = msServer(19);
      const c = createMsChapV2Client({ user: 'alice', password: 'alicePass', random: seededRandom(20) });
      s.start(0);
      exchange(s, c, 0, (f) =>
        f.from === 'server' && f.packet[0] === ChapCode.Success
          ? encodeChapStatus(ChapCode.Success, f.packet[1]!, forged)
          : f.packet,
      );
      expect(s.outcome?.ok, forged).toBe(true); // the server believes it worked…
      expect(c.outcome, forged).toMatchObject({ ok: false, user: 'alice' }); // …the client does not
      expect(reasonOf(c)).toContain('server did not authenticate');
    }
  });

  it('RFC2759-5: the genuine S= in lower case is still the authenticator proving the password', () => {
    const s = msServer(21);
    const c = createMsChapV2Client({ user: 'alice', password: 'alicePass', random: seededRandom(22) });
    s.start(0);
    exchange(s, c, 0, (f) =>
      f.from === 'server' && f.packet[0] === ChapCode.Success
        ? encodeChapStatus(
            ChapCode.Success,
            f.packet[1]!,
            statusText(f.packet)
              .slice(0, 42)
              .replace(/[A-F]/g, (x) => x.toLowerCase()),
          )
        : f.packet,
    );
    expect(c.outcome?.ok).toBe(true);
  });

  it('RFC1994-4.2: Success/Failure with another Identifier, or before any Response, are ignored by the client', () => {
    const c = createMsChapV2Client({ user: 'alice', password: 'alicePass', random: seededRandom(23) });
    c.handlePacket(encodeChapStatus(ChapCode.Failure, 1, 'E=691 R=0'), 0);
    expect(c.outcome).toBeUndefined();
    c.handlePacket(encodeMsChapV2Challenge(1, new Uint8Array(16), 'lns'), 1);
    drain(c);
    c.handlePacket(encodeChapStatus(ChapCode.Success, 2, 'S=0000000000000000000000000000000000000000'), 2);
    c.handlePacket(encodeChapStatus(ChapCode.Failure, 2, 'E=691 R=0'), 3);
    expect(c.outcome).toBeUndefined();
  });

  it('RFC2759-3: a Challenge whose value is not 16 octets is ignored by the client', () => {
    const c = createMsChapV2Client({ user: 'alice', password: 'alicePass', random: seededRandom(24) });
    c.handlePacket(encodeChapChallengeOrResponse(ChapCode.Challenge, 1, new Uint8Array(8), 'lns'), 0);
    expect(drain(c)).toEqual([]);
  });

  it('a Response before start() is ignored by the server', () => {
    const s = msServer(25);
    s.handlePacket(
      encodeMsChapV2Response(0, { peerChallenge: new Uint8Array(16), ntResponse: new Uint8Array(24) }, 'alice'),
      0,
    );
    expect(drain(s)).toEqual([]);
    expect(s.outcome).toBeUndefined();
  });
});

describe('CHAP-MD5 server + client', () => {
  const md5Server = (seed: number): AuthEngine =>
    createChapMd5Server({ random: seededRandom(seed), name: 'lns', lookup });

  it('RFC1994-3: advertises CHAP with algorithm 5', () => {
    expect(toHex(md5Server(1).lcpData)).toBe('c22305');
    expect(toHex(createChapMd5Client({ user: 'a', password: 'b' }).lcpData)).toBe('c22305');
  });

  it('RFC1994-4.1: good secret → Response = MD5(id ‖ secret ‖ challenge) → Success; both ok', () => {
    const s = md5Server(30);
    const c = createChapMd5Client({ user: 'alice', password: 'alicePass' });
    s.start(0);
    const log = exchange(s, c, 0);
    const ch = decodeChapPacket(log[0]!.packet);
    const rs = decodeChapPacket(log[1]!.packet);
    if (ch?.code !== ChapCode.Challenge || rs?.code !== ChapCode.Response) throw new Error('unexpected packets');
    expect(ch.value.length).toBe(16);
    expect(rs.identifier).toBe(ch.identifier);
    expect(rs.value).toEqual(chapMd5Response(ch.identifier, 'alicePass', ch.value));
    expect(log[2]!.packet[0]).toBe(ChapCode.Success);
    expect(s.outcome).toEqual({ ok: true, user: 'alice' });
    expect(c.outcome).toEqual({ ok: true, user: 'alice' });
  });

  it('RFC1994-4.2: wrong secret → Failure; both outcomes failed without the secret in the reason', () => {
    const s = md5Server(31);
    const c = createChapMd5Client({ user: 'alice', password: 'guess' });
    s.start(0);
    const log = exchange(s, c, 0);
    expect(log[2]!.packet[0]).toBe(ChapCode.Failure);
    expect(s.outcome).toMatchObject({ ok: false, user: 'alice' });
    expect(c.outcome).toMatchObject({ ok: false, user: 'alice' });
    for (const e of [s, c]) expect(reasonOf(e)).not.toMatch(/guess|alicePass/);
  });

  it('RFC1994-4.1: retransmits the same Challenge and answers a repeated Response with the same reply', () => {
    const s = md5Server(32);
    s.start(0);
    const [challenge] = drain(s);
    s.handleTimeout(3000);
    expect(drain(s)).toEqual([challenge]);
    const c = createChapMd5Client({ user: 'alice', password: 'alicePass' });
    c.handlePacket(challenge!, 3001);
    const [response] = drain(c);
    s.handlePacket(response!, 3002);
    s.handlePacket(response!, 3003);
    const [a, b] = drain(s);
    expect(a![0]).toBe(ChapCode.Success);
    expect(b).toEqual(a);
  });

  it('RFC1994-4.1: a Response with a wrong Value-Size is ignored', () => {
    const s = md5Server(33);
    s.start(0);
    const id = drain(s)[0]![1]!;
    s.handlePacket(encodeChapChallengeOrResponse(ChapCode.Response, id, new Uint8Array(15), 'alice'), 1);
    expect(drain(s)).toEqual([]);
    expect(s.outcome).toBeUndefined();
  });
});
