// Our LAC-role Endpoint against a real xl2tpd 1.3.18 LNS over UDP in lab namespaces: tunnel and
// session setup (RFC 2661 §5.1, §7), tunnel authentication (§4.2, §5.1.1), hidden AVPs (§4.3), the
// CDN xl2tpd sends when its pppd cannot start, and our StopCCN. Related: test/support/peers/xl2tpd.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { Endpoint, type EndpointOptions, type L2tpEvent } from '../../src/l2tp/endpoint.js';
import { labSkipReason, NetLab, waitFor } from '../support/netns.js';
import { startXl2tpdLns, type Xl2tpd } from '../support/peers/xl2tpd.js';
import { seededRandom } from '../support/seeded-random.js';
import { type Capture, dissect, formatFlags, messageName, startCapture, timeline } from '../support/tshark.js';
import { type Driven, driveInNamespace } from './drive.js';

const skip = labSkipReason(['xl2tpd', 'tcpdump', 'tshark', 'ss']);
const SECRET = 'x2secret';
const LNS_PLAIN: PeerAddress = { address: '10.203.1.1', port: 1701 };
const LAC_PLAIN = '10.203.1.2';
const LNS_SECURE: PeerAddress = { address: '10.203.2.1', port: 1701 };
/** xl2tpd's [lns secure] applies to this LAC address: challenge = yes, hidden bit = yes. */
const LAC_SECURE = '10.203.2.2';
const AVP_CHALLENGE = 11;
const AVP_CHALLENGE_RESPONSE = 13;

describe.skipIf(skip !== undefined)(`l2tp control plane vs xl2tpd LNS${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let xl2tpd: Xl2tpd;
  let nsPlain: string;
  let nsSecure: string;
  const captures: { plain?: Capture; secure?: Capture } = {};
  const drivers: Driven<L2tpEvent>[] = [];
  let seed = 1;

  beforeAll(async () => {
    lab = new NetLab('xs');
    const nsLns = lab.addNamespace();
    nsPlain = lab.addNamespace();
    nsSecure = lab.addNamespace();
    const v1 = lab.addVeth(
      { ns: nsLns, address: `${LNS_PLAIN.address}/24` },
      { ns: nsPlain, address: `${LAC_PLAIN}/24` },
    );
    const v2 = lab.addVeth(
      { ns: nsLns, address: `${LNS_SECURE.address}/24` },
      { ns: nsSecure, address: `${LAC_SECURE}/24` },
    );
    captures.plain = await startCapture(lab, nsPlain, v1.ifB, 'plain');
    captures.secure = await startCapture(lab, nsSecure, v2.ifB, 'secure');
    xl2tpd = await startXl2tpdLns(lab, {
      ns: nsLns,
      hostName: 'x-lns',
      secret: SECRET,
      secure: { lac: LAC_SECURE, hostName: 'x-lns-secure' },
    });
  });

  afterAll(async () => {
    for (const d of drivers) await d.stop();
    await lab?.destroy();
  });

  async function ourLac(ns: string, address: string, opts: Partial<EndpointOptions> = {}) {
    const endpoint = new Endpoint({ role: 'lac', hostName: 'l2t-lac', random: seededRandom(seed++), ...opts });
    const d = await driveInNamespace(lab, ns, endpoint, { address, port: 0 });
    drivers.push(d);
    return { endpoint, d };
  }

  /**
   * The scenario every variant runs: tunnel up, call up (ICRQ/ICRP/ICCN), xl2tpd's CDN result 1
   * once its pppd dies, the tunnel survives, our StopCCN is acknowledged.
   */
  async function callAndClose(
    ns: string,
    address: string,
    lns: PeerAddress,
    capture: Capture,
    opts: Partial<EndpointOptions>,
  ) {
    const { endpoint, d } = await ourLac(ns, address, opts);
    const tunnelId = d.act((now) => endpoint.openTunnel(lns, now));
    const up = await d.waitType('tunnel-up', (e) => e.tunnelId === tunnelId);
    const sessionId = d.act((now) => endpoint.startSession(tunnelId, now));
    await d.waitType('session-up', (e) => e.sessionId === sessionId);
    // xl2tpd starts pppd on ICCN; pppd exits (no /dev/ppp) and xl2tpd clears the call: CDN 1/0.
    const down = await d.waitType('session-down', (e) => e.sessionId === sessionId);
    expect(down).toMatchObject({ type: 'session-down', tunnelId, resultCode: 1, initiator: 'peer' });
    expect(endpoint.session(tunnelId, sessionId), 'the session is gone after the CDN').toBeUndefined();
    // RFC 2661 §5.7: clearing a call does not take the tunnel down.
    expect(d.events.some((e) => e.type === 'tunnel-down')).toBe(false);
    const info = [...endpoint.tunnels()];
    expect(info.length).toBe(1);
    expect(info[0]?.sessions, 'no session left in the tunnel').toBe(0);

    d.act((now) => endpoint.close(tunnelId, { resultCode: 1, message: 'interop test done' }, now));
    // RFC 2661 §5.8: xl2tpd acknowledges our StopCCN (a ZLB or any message with Nr past its Ns).
    await waitFor(
      'xl2tpd to acknowledge our StopCCN',
      async () => {
        const pk = (await dissect(capture.pcap)).packets;
        const stop = pk.find(
          (p) => p.src === address && messageName(p) === 'StopCCN' && p.l2tp?.tunnelId === up.peerTunnelId,
        );
        if (stop?.l2tp?.ns === undefined) return false;
        const acked = (stop.l2tp.ns + 1) & 0xffff;
        return pk.some(
          (p) => p.number > stop.number && p.src === lns.address && p.l2tp?.control && p.l2tp.nr === acked,
        );
      },
      10_000,
      async () => timeline(await dissect(capture.pcap)).join('\n'),
    );
    await d.waitType('tunnel-down', (e) => e.tunnelId === tunnelId);
    return { up, tunnelId, sessionId };
  }

  it('RFC2661-5.1: tunnel + session with [lns default]; CDN result 1 handled; StopCCN acknowledged', async () => {
    const { up } = await callAndClose(nsPlain, LAC_PLAIN, LNS_PLAIN, captures.plain!, {});
    expect(up).toMatchObject({ type: 'tunnel-up', peerHostName: 'x-lns' });
  });

  it('RFC2661-5.1.1: tunnel authentication both ways with [lns secure] (challenge = yes)', async () => {
    const { up } = await callAndClose(nsSecure, LAC_SECURE, LNS_SECURE, captures.secure!, {
      tunnelSecret: () => new TextEncoder().encode(SECRET),
      challengePeer: true,
    });
    expect(up).toMatchObject({ peerHostName: 'x-lns-secure' });
    const pk = (await dissect(captures.secure!.pcap)).packets.filter(
      (p) => p.l2tp?.tunnelId === 0 || p.l2tp?.tunnelId === up.peerTunnelId || p.l2tp?.tunnelId === up.tunnelId,
    );
    const mine = (name: string) => pk.find((p) => p.src === LAC_SECURE && messageName(p) === name);
    const theirs = (name: string) => pk.find((p) => p.src === LNS_SECURE.address && messageName(p) === name);
    expect(mine('SCCRQ')?.l2tp?.avpTypes).toContain(AVP_CHALLENGE);
    expect(theirs('SCCRP')?.l2tp?.avpTypes).toContain(AVP_CHALLENGE_RESPONSE);
    expect(theirs('SCCRP')?.l2tp?.avpTypes).toContain(AVP_CHALLENGE);
    expect(mine('SCCCN')?.l2tp?.avpTypes).toContain(AVP_CHALLENGE_RESPONSE);
  });

  it('RFC2661-4.3: hidden AVPs (with the tunnel secret) are accepted by xl2tpd', async () => {
    const before = (await dissect(captures.secure!.pcap)).packets.length;
    await callAndClose(nsSecure, LAC_SECURE, LNS_SECURE, captures.secure!, {
      tunnelSecret: () => new TextEncoder().encode(SECRET),
      challengePeer: true,
      hideAvps: true,
    });
    const ours = (await dissect(captures.secure!.pcap)).packets
      .slice(before)
      .filter((p) => p.src === LAC_SECURE && p.l2tp?.control);
    expect(
      ours.some((p) => p.l2tp!.avpHidden.some(Boolean)),
      'at least one of our messages carries hidden AVPs',
    ).toBe(true);
  });

  it("RFC2661-5.1.1: a wrong secret: xl2tpd's Challenge Response fails our check, we send StopCCN 4", async () => {
    const { endpoint, d } = await ourLac(nsSecure, LAC_SECURE, {
      tunnelSecret: () => new TextEncoder().encode('not-the-secret'),
      challengePeer: true,
    });
    const tunnelId = d.act((now) => endpoint.openTunnel(LNS_SECURE, now));
    const down = await d.waitType('tunnel-down', (e) => e.tunnelId === tunnelId);
    expect(down).toMatchObject({ initiator: 'local', resultCode: 4 });
    expect(d.events.some((e) => e.type === 'tunnel-up')).toBe(false);
  });

  it('RFC2661-5.1.1: a wrong secret, no challenge from us: xl2tpd refuses our Challenge Response', async () => {
    const { endpoint, d } = await ourLac(nsSecure, LAC_SECURE, {
      tunnelSecret: () => new TextEncoder().encode('not-the-secret'),
    });
    const tunnelId = d.act((now) => endpoint.openTunnel(LNS_SECURE, now));
    // xl2tpd checks the response in our SCCCN: StopCCN 2/6 "Invalid challenge authentication" (peer kit).
    const down = await d.waitType('tunnel-down', (e) => e.tunnelId === tunnelId);
    expect(down).toMatchObject({ initiator: 'peer', resultCode: 2 });
  });

  it('RFC2661-3.1: tshark finds every packet we sent well formed (no malformed, no expert warning, RFC checks)', async () => {
    await captures.plain!.stop();
    await captures.secure!.stop();
    for (const [cap, from] of [
      [captures.plain!, LAC_PLAIN],
      [captures.secure!, LAC_SECURE],
    ] as const) {
      const d = await dissect(cap.pcap, { from });
      expect(d.packets.filter((p) => p.src === from).length).toBeGreaterThanOrEqual(5);
      expect(formatFlags(d), timeline(d).join('\n')).toBe('');
    }
    expect(xl2tpd.proc.exitCode, 'xl2tpd still running').toBeUndefined();
  });
});
