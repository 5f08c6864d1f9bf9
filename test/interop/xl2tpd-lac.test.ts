// A real xl2tpd 1.3.18 LAC, dialled through its control pipe, against our LNS-role Endpoint over
// UDP in lab namespaces: SCCRQ…ICCN (RFC 2661 §5.1, §7), its CDN when its pppd dies (§5.7), its
// StopCCN (§5.8), tunnel authentication and hidden AVPs (§4.2, §4.3). Related: peers/xl2tpd.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Endpoint, type EndpointOptions, type L2tpEvent } from '../../src/l2tp/endpoint.js';
import { labSkipReason, NetLab } from '../support/netns.js';
import { startXl2tpdLac, type Xl2tpd } from '../support/peers/xl2tpd.js';
import { seededRandom } from '../support/seeded-random.js';
import { type Capture, dissect, formatFlags, messageName, startCapture, timeline } from '../support/tshark.js';
import { type Driven, driveInNamespace } from './drive.js';

const skip = labSkipReason(['xl2tpd', 'tcpdump', 'tshark', 'ss']);
const SECRET = 'x3secret';
const LNS_PLAIN = '10.203.3.1';
const LAC_PLAIN = '10.203.3.2';
const LNS_SECURE = '10.203.4.1';
const LAC_SECURE = '10.203.4.2';
const LNS_HIDDEN = '10.203.11.1';
const LAC_HIDDEN = '10.203.11.2';
const AVP_CHALLENGE = 11;
const AVP_CHALLENGE_RESPONSE = 13;

describe.skipIf(skip !== undefined)(
  `xl2tpd as LAC vs our LNS-side Endpoint${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetLab;
    let xl2tpd: Xl2tpd;
    let nsPlain: string;
    let nsSecure: string;
    let nsHidden: string;
    const captures: { plain?: Capture; secure?: Capture; hidden?: Capture } = {};
    const drivers: Driven<L2tpEvent>[] = [];

    beforeAll(async () => {
      lab = new NetLab('xc');
      const nsLac = lab.addNamespace();
      nsPlain = lab.addNamespace();
      nsSecure = lab.addNamespace();
      const v1 = lab.addVeth({ ns: nsPlain, address: `${LNS_PLAIN}/24` }, { ns: nsLac, address: `${LAC_PLAIN}/24` });
      const v2 = lab.addVeth({ ns: nsSecure, address: `${LNS_SECURE}/24` }, { ns: nsLac, address: `${LAC_SECURE}/24` });
      nsHidden = lab.addNamespace();
      const v3 = lab.addVeth({ ns: nsHidden, address: `${LNS_HIDDEN}/24` }, { ns: nsLac, address: `${LAC_HIDDEN}/24` });
      captures.plain = await startCapture(lab, nsPlain, v1.ifA, 'plain');
      captures.secure = await startCapture(lab, nsSecure, v2.ifA, 'secure');
      captures.hidden = await startCapture(lab, nsHidden, v3.ifA, 'hidden');
      xl2tpd = await startXl2tpdLac(lab, {
        ns: nsLac,
        secret: SECRET,
        sections: [
          { name: 'plain', lns: LNS_PLAIN, hostName: 'x-lac' },
          { name: 'secure', lns: LNS_SECURE, hostName: 'x-lac-secure', challenge: true, hidden: true },
          { name: 'hidden', lns: LNS_HIDDEN, hostName: 'x-lac-hidden', challenge: true, hidden: true },
        ],
      });
    });

    afterAll(async () => {
      for (const d of drivers) await d.stop();
      await lab?.destroy();
    });

    async function ourLns(ns: string, address: string, opts: Partial<EndpointOptions>) {
      const endpoint = new Endpoint({
        role: 'lns',
        hostName: 'l2t-lns',
        random: seededRandom(drivers.length + 7),
        ...opts,
      });
      const d = await driveInNamespace(lab, ns, endpoint, { address, port: 1701 });
      drivers.push(d);
      return { endpoint, d };
    }

    /** Dial `section`, expect the call up, xl2tpd's CDN result 1, then hang up and expect its StopCCN. */
    async function dialAndHangUp(
      section: string,
      endpoint: Endpoint,
      d: Driven<L2tpEvent>,
      peerHostName: string,
      upTimeoutMs = 10_000,
    ) {
      xl2tpd.control(`c ${section}`);
      const up = await d.waitType('tunnel-up', undefined, upTimeoutMs);
      expect(up).toMatchObject({ peerHostName });
      const session = await d.waitType('session-up');
      if (session.type !== 'session-up') throw new Error('unreachable');
      // xl2tpd's pppd exits at once (no /dev/ppp): it clears the call with CDN result 1 (loss of carrier).
      const down = await d.waitType('session-down');
      expect(down).toMatchObject({
        tunnelId: up.tunnelId,
        sessionId: session.sessionId,
        resultCode: 1,
        initiator: 'peer',
      });
      expect(endpoint.session(up.tunnelId, session.sessionId), 'no session left behind').toBeUndefined();
      // RFC 2661 §5.7: the tunnel survives the call.
      expect(d.events.some((e) => e.type === 'tunnel-down')).toBe(false);
      const info = [...endpoint.tunnels()];
      expect(info.length).toBe(1);
      expect(info[0]?.sessions, 'no session left in the tunnel').toBe(0);
      xl2tpd.control(`d ${section}`);
      const gone = await d.waitType('tunnel-down');
      expect(gone).toMatchObject({ tunnelId: up.tunnelId, initiator: 'peer' });
      return up;
    }

    it('RFC2661-7.4: xl2tpd reaches ICCN; its CDN (result 1) and StopCCN are handled cleanly', async () => {
      const { endpoint, d } = await ourLns(nsPlain, LNS_PLAIN, {});
      await dialAndHangUp('plain', endpoint, d, 'x-lac');
    });

    it('RFC2661-5.1.1: challenge = yes + hidden bit = yes: both sides authenticate the tunnel', async () => {
      const { endpoint, d } = await ourLns(nsSecure, LNS_SECURE, {
        tunnelSecret: () => new TextEncoder().encode(SECRET),
        challengePeer: true,
      });
      await dialAndHangUp('secure', endpoint, d, 'x-lac-secure');
      const pk = (await dissect(captures.secure!.pcap)).packets;
      const from = (src: string, name: string) => pk.find((p) => p.src === src && messageName(p) === name);
      expect(from(LAC_SECURE, 'SCCRQ')?.l2tp?.avpTypes).toContain(AVP_CHALLENGE);
      expect(from(LNS_SECURE, 'SCCRP')?.l2tp?.avpTypes).toEqual(
        expect.arrayContaining([AVP_CHALLENGE, AVP_CHALLENGE_RESPONSE]),
      );
      expect(from(LAC_SECURE, 'SCCCN')?.l2tp?.avpTypes).toContain(AVP_CHALLENGE_RESPONSE);
    });

    // Our LNS hides nothing in its SCCRP (xl2tpd 1.3.18 cannot unhide AVPs there: "Unable to handle
    // hidden mandatory AVP", StopCCN 2/6 to Tunnel ID 0), but hides from ICRP on.
    it('RFC2661-4.3: our hidden AVPs (after the SCCRP) are accepted by xl2tpd', async () => {
      const { endpoint, d } = await ourLns(nsHidden, LNS_HIDDEN, {
        tunnelSecret: () => new TextEncoder().encode(SECRET),
        challengePeer: true,
        hideAvps: true,
      });
      await dialAndHangUp('hidden', endpoint, d, 'x-lac-hidden');
      const ours = (await dissect(captures.hidden!.pcap)).packets.filter(
        (p) => p.src === LNS_HIDDEN && p.l2tp?.control,
      );
      expect(
        ours.some((p) => p.l2tp!.avpHidden.some(Boolean)),
        'some of our messages carry hidden AVPs',
      ).toBe(true);
      expect(ours.find((p) => messageName(p) === 'SCCRP')?.l2tp?.avpHidden.some(Boolean)).toBe(false);
    });

    it('RFC2661-3.1: tshark finds every packet we sent well formed (no malformed, no expert warning, RFC checks)', async () => {
      await captures.plain!.stop();
      await captures.secure!.stop();
      await captures.hidden!.stop();
      for (const [cap, from] of [
        [captures.plain!, LNS_PLAIN],
        [captures.secure!, LNS_SECURE],
        [captures.hidden!, LNS_HIDDEN],
      ] as const) {
        const d = await dissect(cap.pcap, { from });
        expect(d.packets.filter((p) => p.src === from).length).toBeGreaterThanOrEqual(3);
        expect(formatFlags(d), timeline(d).join('\n')).toBe('');
      }
      expect(xl2tpd.proc.exitCode, 'xl2tpd still running').toBeUndefined();
    });
  },
);
