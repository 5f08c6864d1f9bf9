// Our LAC-role Endpoint against a real l2tpns 2.4.1 LNS over UDP in lab namespaces: tunnel and
// session setup (RFC 2661 §5.1, §7), tunnel authentication (§5.1.1), hidden AVPs (§4.3), our CDN and
// StopCCN (§5.7, §5.8). Related: test/support/peers/l2tpns.ts, l2tpns-ppp.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { Endpoint, type EndpointOptions, type L2tpEvent } from '../../src/l2tp/endpoint.js';
import { labSkipReason, NetLab, waitFor } from '../support/netns.js';
import { type L2tpns, startL2tpns } from '../support/peers/l2tpns.js';
import { seededRandom } from '../support/seeded-random.js';
import { type Capture, dissect, formatFlags, messageName, startCapture, timeline } from '../support/tshark.js';
import { type Driven, driveInNamespace } from './drive.js';

const skip = labSkipReason(['l2tpns', 'freeradius', 'tcpdump', 'tshark', 'ss', 'mount']);
const SECRET = 'nsecret';
const LNS: PeerAddress = { address: '10.203.5.1', port: 1701 };
const LAC = '10.203.5.2';
const AVP_CHALLENGE = 11;
const AVP_CHALLENGE_RESPONSE = 13;

describe.skipIf(skip !== undefined)(`l2tp control plane vs l2tpns${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let l2tpns: L2tpns;
  let nsLac: string;
  let capture: Capture;
  const drivers: Driven<L2tpEvent>[] = [];

  beforeAll(async () => {
    lab = new NetLab('ns');
    const nsLns = lab.addNamespace();
    nsLac = lab.addNamespace();
    const v = lab.addVeth({ ns: nsLns, address: `${LNS.address}/24` }, { ns: nsLac, address: `${LAC}/24` });
    capture = await startCapture(lab, nsLac, v.ifB, 'l2tp');
    l2tpns = await startL2tpns(lab, {
      ns: nsLns,
      bindAddress: LNS.address,
      secret: SECRET,
      tunAddress: '10.203.5.129',
      pool: '10.203.6.0/24',
      hostName: 'n-lns',
      debug: 3,
    });
  });

  afterAll(async () => {
    for (const d of drivers) await d.stop();
    await lab?.destroy();
  });

  /** Tunnel up, call up, we clear the call (CDN) then the tunnel (StopCCN); l2tpns acknowledges both. */
  async function callAndClose(opts: Partial<EndpointOptions>) {
    const endpoint = new Endpoint({
      role: 'lac',
      hostName: 'l2t-lac',
      random: seededRandom(drivers.length + 11),
      ...opts,
    });
    const d = await driveInNamespace(lab, nsLac, endpoint, { address: LAC, port: 0 });
    drivers.push(d);
    const before = (await dissect(capture.pcap)).packets.length;
    const tunnelId = d.act((now) => endpoint.openTunnel(LNS, now));
    const up = await d.waitType('tunnel-up', (e) => e.tunnelId === tunnelId);
    expect(up).toMatchObject({ peerHostName: 'n-lns' });
    const sessionId = d.act((now) => endpoint.startSession(tunnelId, now));
    await d.waitType('session-up', (e) => e.sessionId === sessionId);
    const cli = await l2tpns.cli(['show tunnels', 'show session']);
    expect(cli, 'l2tpns lists our tunnel').toContain('l2t-lac');
    // l2tpns opens LCP right after ICCN (a data message our Endpoint counts and drops).
    d.act((now) => endpoint.disconnect(tunnelId, sessionId, { resultCode: 3, message: 'interop test' }, now));
    const down = await d.waitType('session-down', (e) => e.sessionId === sessionId);
    expect(down).toMatchObject({ tunnelId, initiator: 'local' });
    expect(endpoint.session(tunnelId, sessionId)).toBeUndefined();
    d.act((now) => endpoint.close(tunnelId, { resultCode: 1, message: 'interop test done' }, now));
    await waitFor(
      'l2tpns to acknowledge our CDN and StopCCN',
      async () => {
        const pk = (await dissect(capture.pcap)).packets.slice(before);
        return ['CDN', 'StopCCN'].every((name) => {
          const ours = pk.find((p) => p.src === LAC && messageName(p) === name);
          if (ours?.l2tp?.ns === undefined) return false;
          const acked = (ours.l2tp.ns + 1) & 0xffff;
          return pk.some(
            (p) => p.number > ours.number && p.src === LNS.address && p.l2tp?.control && p.l2tp.nr === acked,
          );
        });
      },
      10_000,
      async () => timeline(await dissect(capture.pcap)).join('\n'),
    );
    await d.waitType('tunnel-down', (e) => e.tunnelId === tunnelId);
    await d.stop();
    return { packets: (await dissect(capture.pcap)).packets.slice(before) };
  }

  it('RFC2661-5.1: tunnel + session without a secret; our CDN and StopCCN are acknowledged', async () => {
    const { packets } = await callAndClose({});
    expect(
      packets.some((p) => p.src === LNS.address && p.l2tp?.control === false),
      'l2tpns started PPP',
    ).toBe(true);
  });

  it('RFC2661-5.1.1: we challenge l2tpns and check its Challenge Response (l2tp_secret)', async () => {
    const { packets } = await callAndClose({
      tunnelSecret: () => new TextEncoder().encode(SECRET),
      challengePeer: true,
    });
    expect(packets.find((p) => p.src === LAC && messageName(p) === 'SCCRQ')?.l2tp?.avpTypes).toContain(AVP_CHALLENGE);
    expect(packets.find((p) => p.src === LNS.address && messageName(p) === 'SCCRP')?.l2tp?.avpTypes).toContain(
      AVP_CHALLENGE_RESPONSE,
    );
  });

  it('RFC2661-4.3: l2tpns accepts our hidden AVPs', async () => {
    const { packets } = await callAndClose({
      tunnelSecret: () => new TextEncoder().encode(SECRET),
      challengePeer: true,
      hideAvps: true,
    });
    const ours = packets.filter((p) => p.src === LAC && p.l2tp?.control);
    expect(ours.some((p) => p.l2tp!.avpHidden.some(Boolean))).toBe(true);
  });

  it('RFC2661-3.1: tshark finds every packet we sent well formed (no malformed, no expert warning, RFC checks)', async () => {
    await capture.stop();
    const d = await dissect(capture.pcap, { from: LAC });
    expect(d.packets.filter((p) => p.src === LAC).length).toBeGreaterThan(10);
    expect(formatFlags(d), timeline(d).join('\n')).toBe('');
    expect(l2tpns.proc.exitCode, 'l2tpns still running').toBeUndefined();
  });
});
