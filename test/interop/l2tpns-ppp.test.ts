// Our LAC (L2TP Endpoint + PPP link + CHAP-MD5 client) against a real l2tpns 2.4.1 that
// authenticates through FreeRADIUS: LCP, CHAP (RFC 1994), IPCP (RFC 1332) to the Network phase,
// then ICMP echo through the tunnel. Related: src/lac/lac.ts, test/support/peers/l2tpns.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { LacEngine, type LacEngineOptions, type LacEvent } from '../../src/lac/lac.js';
import { labSkipReason, NetLab, waitFor } from '../support/netns.js';
import { L2TPNS_USER, type L2tpns, startL2tpns } from '../support/peers/l2tpns.js';
import { seededRandom } from '../support/seeded-random.js';
import { type Capture, dissect, formatFlags, startCapture, timeline } from '../support/tshark.js';
import { type Driven, driveInNamespace } from './drive.js';

const skip = labSkipReason(['l2tpns', 'freeradius', 'tcpdump', 'tshark', 'ss', 'mount']);
const LNS: PeerAddress = { address: '10.203.7.1', port: 1701 };
const LAC = '10.203.7.2';
const TUN_ADDRESS = '10.203.7.129';
const POOL_PREFIX = '10.203.8.';

/** An IPv4 ICMP echo request, built here by hand (RFC 791, RFC 792) independently of src/. */
function icmpEchoRequest(src: string, dst: string, ident: number, seq: number): Uint8Array {
  const data = new TextEncoder().encode('l2tp-ts interop ping');
  const b = new Uint8Array(20 + 8 + data.length);
  const dv = new DataView(b.buffer);
  b[0] = 0x45; // version 4, IHL 5
  dv.setUint16(2, b.length);
  dv.setUint16(4, ident);
  b[8] = 64; // TTL
  b[9] = 1; // ICMP
  b.set(src.split('.').map(Number), 12);
  b.set(dst.split('.').map(Number), 16);
  dv.setUint16(10, checksum(b.subarray(0, 20)));
  b[20] = 8; // Echo Request
  dv.setUint16(24, ident);
  dv.setUint16(26, seq);
  b.set(data, 28);
  dv.setUint16(22, checksum(b.subarray(20)));
  return b;
}

function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

describe.skipIf(skip !== undefined)(
  `our PPP peer vs l2tpns (CHAP-MD5 via RADIUS)${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetLab;
    let l2tpns: L2tpns;
    let nsLac: string;
    let capture: Capture;
    let tunCapture: Capture;
    let lac: LacEngine;
    let d: Driven<LacEvent>;
    const extras: Driven<LacEvent>[] = [];

    beforeAll(async () => {
      lab = new NetLab('np');
      const nsLns = lab.addNamespace();
      nsLac = lab.addNamespace();
      const v = lab.addVeth({ ns: nsLns, address: `${LNS.address}/24` }, { ns: nsLac, address: `${LAC}/24` });
      capture = await startCapture(lab, nsLac, v.ifB, 'l2tp');
      l2tpns = await startL2tpns(lab, {
        ns: nsLns,
        bindAddress: LNS.address,
        secret: 'npsecret',
        tunAddress: TUN_ADDRESS,
        pool: `${POOL_PREFIX}0/24`,
        hostName: 'np-lns',
      });
      tunCapture = await startCapture(lab, nsLns, `${nsLns}t`.slice(-15), 'tun', ['icmp']);
      lac = new LacEngine({
        random: seededRandom(21),
        server: LNS,
        user: L2TPNS_USER.user,
        password: L2TPNS_USER.password,
        auth: ['chap'],
        hostName: 'l2t-lac-ppp',
      });
      d = await driveInNamespace(lab, nsLac, lac, { address: LAC, port: 0 });
    });

    afterAll(async () => {
      await d?.stop();
      for (const dd of extras) await dd.stop();
      await lab?.destroy();
    });

    it('RFC1994: CHAP-MD5 via RADIUS, IPCP address from the pool, ICMP echo answered through the tunnel', async () => {
      d.act((now) => lac.start(now));
      const up = await d.waitType('session-up', undefined, 15_000);
      if (up.type !== 'session-up') throw new Error('unreachable');
      expect(up.auth).toBe('chap-md5');
      expect(up.address.startsWith(POOL_PREFIX), `address ${up.address} from l2tpns's pool`).toBe(true);
      expect(up.peerAddress).toBe(TUN_ADDRESS);
      const session = [...lac.sessions.values()][0]!;
      expect(session.link.phase).toBe('network');
      const cli = await l2tpns.cli(['show session']);
      expect(cli, 'l2tpns lists alice').toContain(L2TPNS_USER.user);

      // Our engine's own ping, answered by l2tpns's kernel through its TUN.
      d.act((now) => lac.ping(session, now));
      await d.waitType('ping-reply');

      // A hand-built echo request as PPP protocol 0x0021; its reply must come back in L2TP data.
      const ident = 0x4c32;
      expect(d.act(() => lac.sendIp(session, icmpEchoRequest(up.address, TUN_ADDRESS, ident, 7)))).toBe(true);
      await waitFor(
        'the echo reply in L2TP data',
        async () =>
          (await dissect(capture.pcap)).packets.some(
            (p) => p.src === LNS.address && p.l2tp?.control === false && p.icmp?.type === 0 && p.icmp.ident === ident,
          ),
        5000,
      );
      await tunCapture.stop();
      const tun = (await dissect(tunCapture.pcap)).packets;
      expect(tun.some((p) => p.src === up.address && p.icmp?.type === 8 && p.icmp.ident === ident)).toBe(true);
      expect(tun.some((p) => p.dst === up.address && p.icmp?.type === 0 && p.icmp.ident === ident)).toBe(true);

      d.act((now) => lac.stop(now));
      await d.waitType('tunnel-down');
    });

    /** A fresh LAC (own engine and socket) for one scenario; stopped by afterAll. */
    async function anotherLac(o: Partial<LacEngineOptions>): Promise<{ lac: LacEngine; d: Driven<LacEvent> }> {
      const other = new LacEngine({
        random: seededRandom(31 + extras.length),
        server: LNS,
        user: L2TPNS_USER.user,
        password: L2TPNS_USER.password,
        hostName: 'l2t-lac-ppp',
        ...o,
      });
      const dd = await driveInNamespace(lab, nsLac, other, { address: LAC, port: 0 });
      extras.push(dd);
      dd.act((now) => other.start(now));
      return { lac: other, d: dd };
    }

    it('RFC1661-5.3: with MS-CHAPv2 preferred, we accept the CHAP-MD5 l2tpns insists on', async () => {
      // l2tpns re-offers CHAP-MD5 on every Nak (it has no MS-CHAPv2): our Nak must not loop forever.
      const { lac: other, d: dd } = await anotherLac({ auth: ['mschapv2', 'chap'] });
      const up = await dd.waitType('session-up', undefined, 15_000);
      expect(up.auth).toBe('chap-md5');
      expect(up.address.startsWith(POOL_PREFIX)).toBe(true);
      dd.act((now) => other.stop(now));
      await dd.waitType('tunnel-down');
    });

    it('RFC1334: PAP only: our Configure-Nak of CHAP makes l2tpns switch to PAP', async () => {
      const { lac: other, d: dd } = await anotherLac({ auth: ['pap'] });
      const up = await dd.waitType('session-up', undefined, 15_000);
      expect(up.auth).toBe('pap');
      expect(up.address.startsWith(POOL_PREFIX)).toBe(true);
      dd.act((now) => other.stop(now));
      await dd.waitType('tunnel-down');
    });

    it('RFC1994: a wrong password never reaches the Network phase; the session goes down', async () => {
      // l2tpns answers a RADIUS reject with a CDN (result 3), without a CHAP Failure first.
      const { lac: other, d: dd } = await anotherLac({ auth: ['chap'], password: 'wrong' });
      await dd.waitEvent(
        'session-down or auth-failed',
        (e) => e.type === 'session-down' || e.type === 'auth-failed',
        15_000,
      );
      expect(dd.events.some((e) => e.type === 'session-up')).toBe(false);
      dd.act((now) => other.stop(now));
    });

    it('RFC2661-7: 2 tunnels × 4 sessions all reach the Network phase with distinct pool addresses', async () => {
      const { lac: other, d: dd } = await anotherLac({ auth: ['chap'], tunnels: 2, sessionsPerTunnel: 4 });
      await waitFor(
        '8 sessions up',
        () => dd.events.filter((e) => e.type === 'session-up').length === 8,
        20_000,
        () => dd.events.map((e) => JSON.stringify(e)).join('\n'),
      );
      const ups = dd.events.filter((e) => e.type === 'session-up');
      expect(new Set(ups.map((e) => e.address)).size).toBe(8);
      expect(new Set(ups.map((e) => e.tunnelId)).size).toBe(2);
      for (const e of ups) expect(e.address.startsWith(POOL_PREFIX)).toBe(true);
      dd.act((now) => other.stop(now));
      await waitFor('both tunnels down', () => dd.events.filter((e) => e.type === 'tunnel-down').length === 2, 10_000);
    });

    it('RFC2661-5.7: l2tpns drops our session (nsctl drop): its CDN takes our session down, the tunnel stays', async () => {
      const { lac: other, d: dd } = await anotherLac({ auth: ['chap'] });
      const up = await dd.waitType('session-up', undefined, 15_000);
      const session = [...other.sessions.values()][0]!;
      const r = l2tpns.nsctl(['drop', String(session.handle.peerSessionId), 'interop-test-drop']);
      expect(r.status, r.stderr).toBe(0);
      const down = await dd.waitType('session-down', (e) => e.sessionId === up.sessionId);
      expect(down.tunnelId).toBe(up.tunnelId);
      expect(other.endpoint.session(up.tunnelId, up.sessionId)).toBeUndefined();
      expect(dd.events.some((e) => e.type === 'tunnel-down')).toBe(false);
      dd.act((now) => other.stop(now));
      await dd.waitType('tunnel-down');
    });

    it('RFC2661-3.1: tshark finds every packet we sent (L2TP and PPP) well formed', async () => {
      await capture.stop();
      const dis = await dissect(capture.pcap, { from: LAC });
      expect(dis.packets.filter((p) => p.src === LAC && p.l2tp?.control === false).length).toBeGreaterThan(3);
      expect(formatFlags(dis), timeline(dis).join('\n')).toBe('');
      expect(l2tpns.proc.exitCode, 'l2tpns still running').toBeUndefined();
    });

    // Regression (2 tunnels × 4 calls, slow start): a ZLB sent while messages wait for window space
    // carried the next unassigned Ns; l2tpns logged "Out of sequence" and ignored its ack.
    it('RFC2661-5.8: our ZLBs never run ahead of a queued message', async () => {
      const dis = await dissect(capture.pcap, { from: LAC });
      expect(
        dis.rfcChecks.filter((f) => f.text.startsWith('ZLB with Ns=')).map((f) => `#${f.packet} ${f.text}`),
      ).toEqual([]);
    });
  },
);
