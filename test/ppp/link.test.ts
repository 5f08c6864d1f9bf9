// PppLink end to end: an LNS link and a LAC link over the in-memory frame pipe on virtual time
// (pipe.ts), with fake and real (src/chap) authentication. Related: src/ppp/link.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createChapMd5Client,
  createChapMd5Server,
  createMsChapV2Client,
  createMsChapV2Server,
  createPapClient,
  createPapServer,
} from '../../src/chap/index.js';
import type { AuthOffer } from '../../src/core/auth-engine.js';
import { fromHex, toHex } from '../../src/core/bytes.js';
import { PppLink, type PppLinkOptions } from '../../src/ppp/link.js';
import { decodeCpPacket, encodeCpPacket } from '../../src/ppp/wire/cp-packet.js';
import { decodeFrame, encodeFrame } from '../../src/ppp/wire/frame.js';
import { seededRandom } from '../support/seeded-random.js';
import { L2TPNS_LCP_CONFREJ_OPTIONS, L2TPNS_LCP_CONFREQ } from '../vectors/ppp.js';
import { FramePipe, fakePapClient, fakePapServer } from './pipe.js';

const PAP_SERVER: AuthOffer = { protocol: 0xc023, label: 'pap', create: () => fakePapServer({ bob: 'secret' }) };
const papClient = (password = 'secret'): AuthOffer => ({
  protocol: 0xc023,
  label: 'pap',
  create: () => fakePapClient('bob', password),
});

function lnsOptions(extra: Partial<PppLinkOptions> = {}): PppLinkOptions {
  return {
    role: 'lns',
    random: seededRandom(11),
    mru: 1400,
    authServers: [PAP_SERVER],
    assignAddress: () => ({ local: '10.1.20.30', peer: '10.1.20.31' }),
    dns: ['8.8.8.8', '8.8.4.4'],
    ...extra,
  };
}

function lacOptions(extra: Partial<PppLinkOptions> = {}): PppLinkOptions {
  return { role: 'lac', random: seededRandom(22), authClients: [papClient()], ...extra };
}

function pair(lns: Partial<PppLinkOptions> = {}, lac: Partial<PppLinkOptions> = {}, pipeOpts = {}) {
  const a = new PppLink(lnsOptions(lns));
  const b = new PppLink(lacOptions(lac));
  const pipe = new FramePipe([a, b], pipeOpts);
  a.open(0);
  b.open(0);
  return { a, b, pipe };
}

const protocolsOf = (frames: Uint8Array[]) =>
  frames.map((f) => {
    const d = decodeFrame(f);
    return d.ok ? d.protocol : -1;
  });

describe('PppLink: LNS and LAC reach the Network phase', () => {
  it('RFC1661-3.2: Establish → Authenticate → Network; addresses and DNS match on both sides', () => {
    const { a, b, pipe } = pair();
    expect(pipe.runUntil(() => a.ipUp && b.ipUp)).toBe(true);
    const [upA] = pipe.of(0, 'link-up');
    const [upB] = pipe.of(1, 'link-up');
    expect(upA).toMatchObject({
      localAddress: '10.1.20.30',
      peerAddress: '10.1.20.31',
      dns: ['8.8.8.8', '8.8.4.4'],
      user: 'bob',
    });
    expect(upB).toMatchObject({ localAddress: '10.1.20.31', peerAddress: '10.1.20.30', dns: ['8.8.8.8', '8.8.4.4'] });
    expect(pipe.of(0, 'phase').map((e) => e.phase)).toEqual(['establish', 'authenticate', 'network']);
    expect(pipe.of(0, 'auth-succeeded')).toEqual([{ type: 'auth-succeeded', user: 'bob', protocol: 'pap' }]);
    expect(a.phase).toBe('network');
  });

  it('RFC1661-3.5: no NCP packet is sent before authentication succeeds', () => {
    const { a, b, pipe } = pair();
    pipe.runUntil(() => a.ipUp && b.ipUp);
    for (const side of [0, 1] as const) {
      const protocols = protocolsOf(pipe.sent[side]);
      const firstNcp = protocols.indexOf(0x8021);
      const lastAuth = protocols.lastIndexOf(0xc023);
      expect(firstNcp).toBeGreaterThan(lastAuth);
    }
  });

  it('RFC1661-3.4: IPCP and IP frames before the Network phase are silently discarded', () => {
    const a = new PppLink(lnsOptions());
    a.open(0);
    while (a.pollFrame() !== undefined);
    a.handleFrame(encodeFrame(0x8021, encodeCpPacket({ code: 1, id: 1, data: new Uint8Array(0) })), 1);
    a.handleFrame(encodeFrame(0x0021, new Uint8Array([0x45, 0])), 1);
    expect(a.pollFrame()).toBeUndefined();
    expect(a.droppedFrames).toBe(2);
  });

  it('RFC1661-3.5: in the Authenticate phase only LCP and authentication packets are accepted', () => {
    const silent: AuthOffer = {
      protocol: 0xc023,
      label: 'pap',
      create: () => ({ ...fakePapClient('bob', 'x'), start() {} }),
    };
    const { a, pipe } = pair({}, { authClients: [silent] });
    pipe.runUntil(() => a.phase === 'authenticate');
    pipe.flush();
    const before = a.droppedFrames;
    a.handleFrame(encodeFrame(0x8021, encodeCpPacket({ code: 1, id: 1, data: fromHex('0306 00000000') })), pipe.now);
    a.handleFrame(encodeFrame(0x8281, encodeCpPacket({ code: 1, id: 1, data: new Uint8Array(0) })), pipe.now);
    a.handleFrame(encodeFrame(0x0021, fromHex('45000014')), pipe.now);
    expect(a.pollFrame()).toBeUndefined();
    expect(a.droppedFrames - before).toBe(3);
    a.handleFrame(encodeFrame(0xc021, encodeCpPacket({ code: 9, id: 4, data: new Uint8Array(4) })), pipe.now);
    expect(decodeFrame(a.pollFrame()!)).toMatchObject({ ok: true, protocol: 0xc021 });
  });

  it('noauth: straight from Establish to Network; assignAddress sees no user', () => {
    const users: (string | undefined)[] = [];
    const { a, b, pipe } = pair(
      {
        authServers: [],
        assignAddress: (u) => {
          users.push(u);
          return { local: '10.0.0.1', peer: '10.0.0.2' };
        },
      },
      { authClients: [] },
    );
    expect(pipe.runUntil(() => a.ipUp && b.ipUp)).toBe(true);
    expect(users).toEqual([undefined]);
    expect(pipe.of(0, 'phase').map((e) => e.phase)).toEqual(['establish', 'network']);
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`over a link losing 25% of frames (seed ${seed}) both reach Network, or report why not`, () => {
      const { a, b, pipe } = pair({}, {}, { loss: 0.25, seed, delayMs: 20 });
      pipe.runUntil(
        () => (a.ipUp && b.ipUp) || pipe.of(0, 'link-down').length + pipe.of(1, 'link-down').length > 0,
        600_000,
      );
      if (a.ipUp && b.ipUp) {
        expect(pipe.of(0, 'link-up')[0]?.peerAddress).toBe(pipe.of(1, 'link-up')[0]?.localAddress);
        expect(pipe.of(1, 'link-up')[0]?.dns).toEqual(['8.8.8.8', '8.8.4.4']);
      } else {
        const down = [...pipe.of(0, 'link-down'), ...pipe.of(1, 'link-down')][0];
        expect(down?.reason.length).toBeGreaterThan(0);
      }
      // The seeds chosen all converge; a regression that stops convergence shows up here.
      expect(a.ipUp && b.ipUp).toBe(true);
    });
  }

  it('IPv6CP runs alongside IPCP when enabled on both sides', () => {
    const { a, b, pipe } = pair({ ipv6: true }, { ipv6: true });
    pipe.runUntil(() => a.ipUp && b.ipUp && pipe.now > 1000);
    const logs = [...pipe.sent[0], ...pipe.sent[1]].filter((f) => decodeFrame(f).ok && protocolsOf([f])[0] === 0x8057);
    const codes = logs.map((f) => (decodeFrame(f) as { information: Uint8Array }).information[0]);
    expect(codes.filter((c) => c === 2).length).toBeGreaterThanOrEqual(2);
  });
});

describe('PppLink: IPv6CP against a peer without IPv6', () => {
  it('RFC1661-5.7: the peer Protocol-Rejects IPv6CP; IPCP still brings the link up', () => {
    const { a, b, pipe } = pair({ ipv6: true }, { ipv6: false, debug: true });
    expect(pipe.runUntil(() => a.ipUp && b.ipUp)).toBe(true);
    expect(
      pipe.of(1, 'log').some((e) => e.text.startsWith('sent [LCP ProtRej id=') && e.text.includes(' 80 57 01')),
    ).toBe(true);
    expect(pipe.of(0, 'link-down')).toEqual([]);
    expect(pipe.of(0, 'link-up')[0]?.ipv6).toBeUndefined();
  });
});

describe('PppLink: failures', () => {
  it('wrong password → auth-failed, LCP Terminate, link-down cause 16 on the LNS', () => {
    const { a, b, pipe } = pair({}, { authClients: [papClient('wrong')] });
    pipe.runUntil(() => a.phase === 'dead' && b.phase === 'dead');
    expect(pipe.of(0, 'auth-failed')).toEqual([{ type: 'auth-failed', user: 'bob', reason: 'bad password' }]);
    expect(pipe.of(0, 'link-down')).toEqual([
      { type: 'link-down', reason: 'authentication failed: bad password', cause: 16, direction: 2 },
    ]);
    expect(pipe.of(1, 'link-down')[0]?.cause).toBe(16);
    expect(protocolsOf(pipe.sent[0])).not.toContain(0x8021);
  });

  it('RFC3145-20: assignAddress returning undefined → link-down cause 20 and no IPCP', () => {
    const { a, pipe } = pair({ assignAddress: () => undefined });
    pipe.runUntil(() => a.phase === 'dead');
    expect(pipe.of(0, 'link-down')[0]).toMatchObject({ cause: 20 });
    expect(protocolsOf(pipe.sent[0])).not.toContain(0x8021);
  });

  it('RFC3145-15: a peer that rejects authentication is dropped', () => {
    const { a, pipe } = pair({}, { authClients: [] });
    pipe.runUntil(() => a.phase === 'dead');
    expect(pipe.of(0, 'link-down')[0]).toMatchObject({ cause: 15 });
  });

  it('RFC3145-15: a Protocol-Reject of the authentication protocol ends the link at once', () => {
    const silent: AuthOffer = {
      protocol: 0xc023,
      label: 'pap',
      create: () => ({ ...fakePapClient('bob', 'x'), start() {} }),
    };
    const { a, pipe } = pair({}, { authClients: [silent] });
    pipe.runUntil(() => a.phase === 'authenticate');
    a.handleFrame(
      encodeFrame(0xc021, encodeCpPacket({ code: 8, id: 3, data: fromHex('c023 0101 0005 00') })),
      pipe.now,
    );
    pipe.runUntil(() => a.phase === 'dead');
    expect(pipe.of(0, 'link-down')[0]).toMatchObject({
      cause: 15,
      reason: 'peer rejected the authentication protocol',
    });
    expect(pipe.now).toBeLessThan(10_000);
  });

  it('RFC3145-13: authentication that never completes times out', () => {
    const silent: AuthOffer = {
      protocol: 0xc023,
      label: 'pap',
      create: () => ({ ...fakePapClient('bob', 'x'), start() {} }),
    };
    const { a, pipe } = pair({ authTimeoutMs: 5000 }, { authClients: [silent] });
    pipe.runUntil(() => a.phase === 'dead');
    expect(pipe.of(0, 'link-down')[0]).toMatchObject({ cause: 13 });
  });

  it('RFC1661-6.4: a looped-back link is detected by the Magic-Number (cause 7)', () => {
    const a = new PppLink(lnsOptions({ authServers: [] }));
    const b = new PppLink(lacOptions());
    const pipe = new FramePipe([a, b], { loopback: true });
    a.open(0);
    pipe.runUntil(() => a.phase === 'dead');
    expect(pipe.of(0, 'link-down')[0]).toMatchObject({ cause: 7, reason: 'serial line is looped back' });
    // pppd lcp-loopbackfail 10: ten round trips of 10 ms, then Max-Terminate Terminate-Requests.
    expect(pipe.now).toBeLessThan(10_000);
  });

  it('LCP echo: after echoFailure unanswered requests the link goes down (cause 8)', () => {
    const { a, b, pipe } = pair({ echoIntervalMs: 5000, echoFailure: 3 });
    pipe.runUntil(() => a.ipUp && b.ipUp);
    const upAt = pipe.now;
    let echoes = 0;
    pipe.tamper = (f, from) => {
      if (from === 0 && toHex(f).startsWith('ff03c02109')) echoes++;
      return from === 1 ? undefined : f;
    };
    pipe.runUntil(() => pipe.of(0, 'link-down').length > 0, upAt + 120_000);
    expect(pipe.of(0, 'link-down')[0]).toMatchObject({ cause: 8 });
    expect(echoes).toBe(3);
  });

  it('LCP echo: answered requests keep the link up', () => {
    const { a, b, pipe } = pair({ echoIntervalMs: 5000, echoFailure: 3 });
    pipe.runUntil(() => a.ipUp && b.ipUp);
    pipe.runUntil(() => pipe.now > 60_000, 60_000);
    expect(a.ipUp).toBe(true);
    expect(pipe.of(0, 'link-down')).toEqual([]);
  });

  it('RFC1661-3.7: close() sends Terminate-Request; both sides end Dead with cause 3', () => {
    const { a, b, pipe } = pair();
    pipe.runUntil(() => a.ipUp && b.ipUp);
    a.close('admin reset', pipe.now);
    pipe.runUntil(() => a.phase === 'dead' && b.phase === 'dead');
    expect(pipe.of(0, 'link-down')).toEqual([{ type: 'link-down', reason: 'admin reset', cause: 3, direction: 2 }]);
    expect(pipe.of(1, 'link-down')).toEqual([
      { type: 'link-down', reason: 'peer requested termination', cause: 3, direction: 1 },
    ]);
  });

  it('RFC3145-5: a silent peer → Max-Configure Configure-Requests, then link-down cause 5', () => {
    const a = new PppLink(lnsOptions());
    const sink = new PppLink(lacOptions());
    const pipe = new FramePipe([a, sink]);
    pipe.tamper = () => undefined;
    a.open(0);
    pipe.runUntil(() => a.phase === 'dead');
    expect(pipe.sent[0].length).toBe(10);
    expect(pipe.of(0, 'link-down')).toEqual([
      { type: 'link-down', reason: 'LCP negotiation timed out', cause: 5, direction: 2 },
    ]);
    expect(pipe.now).toBe(30_000);
  });

  it('RFC1661-5.7: the peer Protocol-Rejecting IPCP leaves no network protocol → cause 18', () => {
    const { a, b, pipe } = pair();
    pipe.tamper = (f, from) => {
      const d = decodeFrame(f);
      if (from === 1 && d.ok && d.protocol === 0x8021) {
        const data = new Uint8Array(2 + d.information.length);
        data.set([0x80, 0x21]);
        data.set(d.information, 2);
        return encodeFrame(0xc021, encodeCpPacket({ code: 8, id: 0x77, data }));
      }
      return f;
    };
    pipe.runUntil(() => a.phase === 'dead' && b.phase === 'dead');
    expect(pipe.of(0, 'link-down')[0]).toMatchObject({ cause: 18 });
  });

  it('RFC1661-3.2: a Configure-Request in Opened renegotiates: NCPs down, authentication again, Network again', () => {
    const { a, b, pipe } = pair();
    pipe.runUntil(() => a.ipUp && b.ipUp);
    pipe.flush();
    a.handleFrame(fromHex('ff03c021 0133000a 0506 12345678'), pipe.now);
    expect(a.ipUp).toBe(false);
    expect(a.phase).toBe('establish');
    pipe.runUntil(() => a.ipUp && b.ipUp);
    expect(pipe.of(0, 'auth-succeeded').length).toBe(2);
    expect(pipe.of(0, 'link-up').length).toBe(2);
    expect(pipe.of(0, 'link-down')).toEqual([]);
  });

  it('lowerDown: Dead at once, one link-down, nothing sent', () => {
    const { a, b, pipe } = pair();
    pipe.runUntil(() => a.ipUp && b.ipUp);
    pipe.flush();
    a.lowerDown(pipe.now);
    expect(a.pollFrame()).toBeUndefined();
    expect(a.phase).toBe('dead');
    expect(a.ipUp).toBe(false);
    a.lowerDown(pipe.now);
    pipe.flush();
    expect(pipe.of(0, 'link-down').length).toBe(1);
    expect(a.pollTimeout()).toBeUndefined();
  });
});

describe('PppLink: LCP details', () => {
  function lacAfterConfReq(frameHex: string) {
    const b = new PppLink({
      role: 'lac',
      random: seededRandom(5),
      authClients: [
        {
          protocol: 0xc223,
          algorithm: 5,
          label: 'chap-md5',
          create: () => createChapMd5Client({ user: 'u', password: 'p' }),
        },
      ],
    });
    b.open(0);
    while (b.pollFrame() !== undefined);
    b.handleFrame(fromHex(frameHex), 1);
    return b;
  }

  it('RFC1661-5.4: l2tpns ConfReq → Configure-Reject holding exactly MRRU and Endpoint-Discriminator, in order', () => {
    const c = lacAfterConfReq(L2TPNS_LCP_CONFREQ);
    const f = decodeFrame(c.pollFrame()!);
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect(f.protocol).toBe(0xc021);
    const p = decodeCpPacket(f.information);
    expect(p.ok && p.value.code).toBe(4);
    expect(p.ok && p.value.id).toBe(1);
    expect(p.ok && toHex(p.value.data)).toBe(toHex(fromHex(L2TPNS_LCP_CONFREJ_OPTIONS)));
  });

  it("RFC1661-6.2: an authentication protocol we have no client for is Nak'd with our first choice", () => {
    const c = lacAfterConfReq('ff03c021 01010009 0305c22381');
    const p = decodeCpPacket((decodeFrame(c.pollFrame()!) as { information: Uint8Array }).information);
    expect(p.ok && [p.value.code, toHex(p.value.data)]).toEqual([3, '0305c22305']);
  });

  it("RFC1661-6.4: a zero Magic-Number is Nak'd with a non-zero one", () => {
    const c = lacAfterConfReq('ff03c021 0101000a 050600000000');
    const p = decodeCpPacket((decodeFrame(c.pollFrame()!) as { information: Uint8Array }).information);
    expect(p.ok && p.value.code).toBe(3);
    expect(p.ok && toHex(p.value.data).slice(0, 4)).toBe('0506');
    expect(p.ok && toHex(p.value.data).slice(4)).not.toBe('00000000');
  });

  it('LNS: the peer Naks our CHAP algorithm with one we also allow → we switch to it', () => {
    const { a, b, pipe } = pair(
      {
        authServers: [
          {
            protocol: 0xc223,
            algorithm: 0x81,
            label: 'mschapv2',
            create: () => createMsChapV2Server({ random: seededRandom(3), name: 'l2tp-ts', lookup: () => 'pw' }),
          },
          {
            protocol: 0xc223,
            algorithm: 0x05,
            label: 'chap-md5',
            create: () => createChapMd5Server({ random: seededRandom(4), name: 'l2tp-ts', lookup: () => 'pw' }),
          },
        ],
      },
      {
        authClients: [
          {
            protocol: 0xc223,
            algorithm: 5,
            label: 'chap-md5',
            create: () => createChapMd5Client({ user: 'bob', password: 'pw' }),
          },
        ],
      },
    );
    expect(pipe.runUntil(() => a.ipUp && b.ipUp)).toBe(true);
    expect(pipe.of(0, 'auth-succeeded')[0]).toMatchObject({ protocol: 'chap-md5', user: 'bob' });
  });

  function openedPair(extra: Partial<PppLinkOptions> = {}) {
    const { a, b, pipe } = pair(extra);
    pipe.runUntil(() => a.ipUp && b.ipUp);
    pipe.flush();
    return { a, b, pipe };
  }

  it('RFC1661-5.7: unknown protocols (and rejectProtocols such as CCP) get Protocol-Reject, cut to the peer MRU', () => {
    const { a, pipe } = openedPair({ rejectProtocols: [0x80fd] });
    a.handleFrame(encodeFrame(0x8281, new Uint8Array([1, 1, 0, 4])), pipe.now);
    a.handleFrame(encodeFrame(0x80fd, new Uint8Array(3000).fill(7)), pipe.now);
    const r1 = decodeCpPacket((decodeFrame(a.pollFrame()!) as { information: Uint8Array }).information);
    expect(r1.ok && [r1.value.code, toHex(r1.value.data)]).toEqual([8, '828101010004']);
    const f2 = a.pollFrame()!;
    const r2 = decodeCpPacket((decodeFrame(f2) as { information: Uint8Array }).information);
    expect(r2.ok && r2.value.code).toBe(8);
    expect(f2.length - 4).toBe(1500);
  });

  it('RFC1661-2: a Protocol field breaking the odd/even rule (0x0020, 0xc020) gets Protocol-Reject', () => {
    const { a, pipe } = openedPair();
    a.handleFrame(fromHex('ff03 0020 aabb'), pipe.now);
    a.handleFrame(fromHex('ff03 c020 ccdd'), pipe.now);
    a.handleFrame(fromHex('0020 ee'), pipe.now); // ACFC form
    const data: string[] = [];
    for (let f = a.pollFrame(); f !== undefined; f = a.pollFrame()) {
      const r = decodeCpPacket((decodeFrame(f) as { information: Uint8Array }).information);
      expect(r.ok && r.value.code).toBe(8);
      if (r.ok) data.push(toHex(r.value.data));
    }
    expect(data).toEqual(['0020aabb', 'c020ccdd', '0020ee']);
  });

  it('RFC1661-5.7: no Protocol-Reject before LCP is Opened', () => {
    const a = new PppLink(lnsOptions());
    a.open(0);
    while (a.pollFrame() !== undefined);
    a.handleFrame(encodeFrame(0x8281, new Uint8Array([1, 1, 0, 4])), 1);
    expect(a.pollFrame()).toBeUndefined();
  });

  it('RFC1661-5.6: an unknown LCP code gets Code-Reject; Discard-Request, Identification and Time-Remaining are silent', () => {
    const { a, pipe } = openedPair();
    a.handleFrame(encodeFrame(0xc021, encodeCpPacket({ code: 0x40, id: 9, data: new Uint8Array([1]) })), pipe.now);
    const r = decodeCpPacket((decodeFrame(a.pollFrame()!) as { information: Uint8Array }).information);
    expect(r.ok && [r.value.code, toHex(r.value.data)]).toEqual([7, '4009000501']);
    for (const code of [11, 12, 13]) {
      a.handleFrame(encodeFrame(0xc021, encodeCpPacket({ code, id: 1, data: new Uint8Array(8) })), pipe.now);
    }
    expect(a.pollFrame()).toBeUndefined();
    expect(a.ipUp).toBe(true);
  });

  it('RFC1661-6.1: with our MRU 1400 acked, a 1500-octet IP packet is still accepted', () => {
    const { a, pipe } = openedPair();
    const big = new Uint8Array(1500);
    big[0] = 0x45;
    a.handleFrame(encodeFrame(0x0021, big), pipe.now);
    const ips = [] as Uint8Array[];
    for (let e = a.pollEvent(); e !== undefined; e = a.pollEvent()) if (e.type === 'ip') ips.push(e.packet);
    expect(ips.map((p) => p.length)).toEqual([1500]);
  });

  it('IP frames become ip events once IPCP is Opened', () => {
    const { a, pipe } = openedPair();
    a.handleFrame(encodeFrame(0x0021, new Uint8Array([0x45, 0, 0, 20])), pipe.now);
    a.handleFrame(fromHex('21 45000014'), pipe.now); // PFC
    const ips = [] as Uint8Array[];
    for (let e = a.pollEvent(); e !== undefined; e = a.pollEvent()) if (e.type === 'ip') ips.push(e.packet);
    expect(ips.map(toHex)).toEqual(['45000014', '45000014']);
  });

  it('debug: pppd-style log lines for sent and received control packets', () => {
    const { a, b, pipe } = pair({ debug: true });
    pipe.runUntil(() => a.ipUp && b.ipUp);
    const logs = pipe.of(0, 'log').map((e) => e.text);
    expect(logs[0]).toMatch(/^sent \[LCP ConfReq id=0x1 <mru 1400> <auth pap> <magic 0x[0-9a-f]+>\]$/);
    expect(logs).toContain('sent [IPCP ConfNak id=0x1 <addr 10.1.20.31> <ms-dns1 8.8.8.8> <ms-dns2 8.8.4.4>]');
    expect(logs.some((l) => l.startsWith('rcvd [PAP AuthReq id=0x1 user="bob"'))).toBe(true);
  });
});

describe('PppLink: robustness', () => {
  it('never throws on arbitrary frames in any phase, and a normal negotiation still completes', () => {
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc
        .tuple(
          fc.constantFrom(0xc021, 0x8021, 0xc023, 0xc223, 0x8057, 0x0021, 0x80fd),
          fc.integer({ min: 0, max: 14 }),
          fc.integer({ min: 0, max: 255 }),
          fc.uint8Array({ maxLength: 40 }),
        )
        .map(([p, code, id, data]) => encodeFrame(p, encodeCpPacket({ code, id, data }))),
    );
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 12 }), fc.integer({ min: 0, max: 2 }), (garbage, when) => {
        const { a, b, pipe } = pair();
        if (when === 1) pipe.runUntil(() => a.phase === 'authenticate');
        if (when === 2) pipe.runUntil(() => a.ipUp);
        for (const g of garbage) a.handleFrame(g, pipe.now);
        pipe.runUntil(() => (a.ipUp && b.ipUp) || a.phase === 'dead' || b.phase === 'dead', 300_000);
        if (!(a.ipUp && b.ipUp)) {
          // Garbage may legitimately terminate the link (e.g. a Terminate-Request); then a fresh pair still works.
          const fresh = pair();
          expect(fresh.pipe.runUntil(() => fresh.a.ipUp && fresh.b.ipUp)).toBe(true);
        }
      }),
      { seed: 0x1661, numRuns: 150 },
    );
  });

  it('bit flips of every frame of a normal exchange never throw', () => {
    const { a, b, pipe } = pair();
    pipe.runUntil(() => a.ipUp && b.ipUp);
    const frames = [...pipe.sent[0], ...pipe.sent[1]];
    const victim = new PppLink(lnsOptions());
    victim.open(0);
    for (const f of frames) {
      for (let i = 0; i < f.length * 8; i += 3) {
        const c = f.slice();
        c[i >> 3]! ^= 0x80 >> (i & 7);
        victim.handleFrame(c, 1);
        victim.handleFrame(c.subarray(0, i >> 3), 1);
      }
    }
    while (victim.pollFrame() !== undefined);
    while (victim.pollEvent() !== undefined);
    expect(['dead', 'establish', 'authenticate', 'network', 'terminate']).toContain(victim.phase);
  });
});

describe('PppLink with the real src/chap engines', () => {
  const methods = {
    mschapv2: {
      server: {
        protocol: 0xc223,
        algorithm: 0x81,
        label: 'mschapv2',
        create: () =>
          createMsChapV2Server({
            random: seededRandom(7),
            name: 'l2tp-ts',
            lookup: (u: string) => (u === 'alice' ? 'correct horse' : undefined),
          }),
      },
      client: (pw: string) => ({
        protocol: 0xc223,
        algorithm: 0x81,
        label: 'mschapv2',
        create: () => createMsChapV2Client({ user: 'alice', password: pw, random: seededRandom(8) }),
      }),
      name: 'mschapv2',
    },
    'chap-md5': {
      server: {
        protocol: 0xc223,
        algorithm: 0x05,
        label: 'chap-md5',
        create: () =>
          createChapMd5Server({
            random: seededRandom(7),
            name: 'l2tp-ts',
            lookup: (u: string) => (u === 'alice' ? 'correct horse' : undefined),
          }),
      },
      client: (pw: string) => ({
        protocol: 0xc223,
        algorithm: 0x05,
        label: 'chap-md5',
        create: () => createChapMd5Client({ user: 'alice', password: pw }),
      }),
      name: 'chap-md5',
    },
    pap: {
      server: {
        protocol: 0xc023,
        label: 'pap',
        create: () => createPapServer({ lookup: (u: string) => (u === 'alice' ? 'correct horse' : undefined) }),
      },
      client: (pw: string) => ({
        protocol: 0xc023,
        label: 'pap',
        create: () => createPapClient({ user: 'alice', password: pw }),
      }),
      name: 'pap',
    },
  } as const;

  it('RFC1994-4.1: a lost CHAP Success is recovered: the peer repeats its Response when IPCP arrives early', () => {
    const m = methods.mschapv2;
    const { a, b, pipe } = pair({ authServers: [m.server] }, { authClients: [m.client('correct horse')] });
    let dropped = 0;
    pipe.tamper = (f, from) => {
      const d = decodeFrame(f);
      if (from === 0 && d.ok && d.protocol === 0xc223 && d.information[0] === 3 && dropped === 0) {
        dropped++;
        return undefined;
      }
      return f;
    };
    expect(pipe.runUntil(() => a.ipUp && b.ipUp)).toBe(true);
    expect(dropped).toBe(1);
    expect(pipe.of(1, 'auth-succeeded')[0]).toMatchObject({ protocol: 'mschapv2' });
  });

  it('MS-CHAPv2 over a link losing 20% of frames: 30 seeded runs all reach Network on both sides', () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const m = methods.mschapv2;
      const { a, b, pipe } = pair(
        { authServers: [m.server], random: seededRandom(seed) },
        { authClients: [m.client('correct horse')], random: seededRandom(seed + 50) },
        { loss: 0.2, seed, delayMs: 20 },
      );
      pipe.runUntil(() => (a.ipUp && b.ipUp) || a.phase === 'dead' || b.phase === 'dead', 600_000);
      if (!(a.ipUp && b.ipUp))
        failures.push(`seed ${seed}: ${JSON.stringify([...pipe.of(0, 'link-down'), ...pipe.of(1, 'link-down')])}`);
    }
    expect(failures).toEqual([]);
  });

  for (const [label, m] of Object.entries(methods)) {
    it(`${label}: right password → Network with matching addresses`, () => {
      const { a, b, pipe } = pair({ authServers: [m.server] }, { authClients: [m.client('correct horse')] });
      expect(pipe.runUntil(() => a.ipUp && b.ipUp)).toBe(true);
      expect(pipe.of(0, 'auth-succeeded')).toEqual([{ type: 'auth-succeeded', user: 'alice', protocol: m.name }]);
      expect(pipe.of(1, 'auth-succeeded')[0]).toMatchObject({ protocol: m.name });
      expect(pipe.of(1, 'link-up')[0]).toMatchObject({ localAddress: '10.1.20.31', peerAddress: '10.1.20.30' });
    });

    it(`${label}: wrong password → auth-failed and the link terminates`, () => {
      const { a, b, pipe } = pair({ authServers: [m.server] }, { authClients: [m.client('wrong')] });
      pipe.runUntil(() => a.phase === 'dead' && b.phase === 'dead');
      expect(pipe.of(0, 'auth-failed').length).toBe(1);
      expect(pipe.of(0, 'link-down')[0]).toMatchObject({ cause: 16 });
      expect(b.phase).toBe('dead');
      expect(a.ipUp || b.ipUp).toBe(false);
    });
  }
});

describe('PppLink: CHAP Challenge retransmission through the link', () => {
  it('RFC1994-4.1: a retransmitted Challenge is byte-identical (Identifier and Value); a Response to it succeeds', () => {
    const server: AuthOffer = {
      protocol: 0xc223,
      algorithm: 0x81,
      label: 'mschapv2',
      create: () =>
        createMsChapV2Server({
          random: seededRandom(5),
          name: 'l2tp-ts',
          lookup: (u) => (u === 'bob' ? 'pw' : undefined),
        }),
    };
    const client: AuthOffer = {
      protocol: 0xc223,
      algorithm: 0x81,
      label: 'mschapv2',
      create: () => createMsChapV2Client({ user: 'bob', password: 'pw', random: seededRandom(6) }),
    };
    const { a, b, pipe } = pair({ authServers: [server] }, { authClients: [client] });
    const isChallenge = (f: Uint8Array): boolean => {
      const d = decodeFrame(f);
      return d.ok && d.protocol === 0xc223 && d.information[0] === 1;
    };
    let lost = 0;
    pipe.tamper = (f, from) => (from === 0 && isChallenge(f) && lost++ < 2 ? undefined : f);
    expect(pipe.runUntil(() => a.ipUp && b.ipUp)).toBe(true);
    const challenges = pipe.sent[0].filter(isChallenge).map(toHex);
    expect(challenges).toHaveLength(3);
    expect(new Set(challenges).size).toBe(1);
  });
});
