// Self-test of the interop harness with none of our code: xl2tpd as LAC dials xl2tpd as LNS in two
// lab namespaces, the capture is dissected by tshark (RFC 2661 §5-§7 control plane only).
// Related: test/support/netns.ts, test/support/peers/xl2tpd.ts, test/support/tshark.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSkipReason, NetLab, tail, waitFor } from '../support/netns.js';
import { type L2tpns, startL2tpns } from '../support/peers/l2tpns.js';
import { startXl2tpdLac, startXl2tpdLns, type Xl2tpd } from '../support/peers/xl2tpd.js';
import { type Capture, dissect, formatFlags, startCapture, timeline } from '../support/tshark.js';

const skip = labSkipReason(['xl2tpd', 'tcpdump', 'tshark', 'ss']);
const LNS_IP = '10.203.9.1';
const LAC_IP = '10.203.9.2';

describe.skipIf(skip !== undefined)(
  `interop harness: xl2tpd LAC → xl2tpd LNS${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetLab;
    let lns: Xl2tpd;
    let lac: Xl2tpd;
    let capture: Capture;

    beforeAll(async () => {
      lab = new NetLab('h');
      const lnsNs = lab.addNamespace();
      const lacNs = lab.addNamespace();
      const { ifB } = lab.addVeth({ ns: lnsNs, address: `${LNS_IP}/24` }, { ns: lacNs, address: `${LAC_IP}/24` });
      capture = await startCapture(lab, lacNs, ifB, 'l2tp');
      lns = await startXl2tpdLns(lab, { ns: lnsNs, listenAddress: LNS_IP, hostName: 'h-lns', secret: 'hsecret' });
      lac = await startXl2tpdLac(lab, {
        ns: lacNs,
        secret: 'hsecret',
        sections: [{ name: 'plain', lns: LNS_IP, hostName: 'h-lac' }],
      });
    });

    afterAll(async () => {
      await lab?.destroy();
    });

    it('RFC2661-5.1: the xl2tpd pair sets up a tunnel and a call (ICCN), then tears down with StopCCN', async () => {
      lac.control('c plain');
      // xl2tpd's pppd dies at once (no /dev/ppp): the call ends in a CDN after ICCN.
      await waitFor(
        'a CDN in the LNS log',
        () => /Call-Disconnect-Notify|disconnected/i.test(tail(lns.proc.log, 400)),
        10_000,
        () => lns.log(),
      );
      lac.control('d plain');
      // Not "processed by the LNS": when both pppds die, both sides send a CDN, and when those
      // cross xl2tpd's "special ZLB" can wedge the tunnel (peer kit finding); the StopCCN is sent anyway.
      await waitFor(
        'a StopCCN on the wire',
        async () => timeline(await dissect(capture.pcap)).some((l) => l.includes('StopCCN')),
        10_000,
        () => lac.log(),
      );
      await capture.stop();
      const d = await dissect(capture.pcap);
      const lines = timeline(d);
      const names = lines.map((l) => l.split(' ')[1]);
      expect(names, lines.join('\n')).toEqual(
        expect.arrayContaining(['SCCRQ', 'SCCRP', 'SCCCN', 'ICRQ', 'ICRP', 'ICCN', 'CDN', 'StopCCN']),
      );
      expect(formatFlags(d), 'tshark oracle flagged xl2tpd').toBe('');
    });
  },
);

const skipL2tpns = labSkipReason(['xl2tpd', 'l2tpns', 'freeradius', 'tcpdump', 'tshark', 'ss']);
const L2TPNS_IP = '10.203.8.1';
const LAC2_IP = '10.203.8.2';

describe.skipIf(skipL2tpns !== undefined)(
  `interop harness: xl2tpd LAC → l2tpns${skipL2tpns ? ` (skipped: ${skipL2tpns})` : ''}`,
  () => {
    let lab: NetLab;
    let l2tpns: L2tpns;
    let lac: Xl2tpd;
    let capture: Capture;

    beforeAll(async () => {
      lab = new NetLab('hn');
      const lnsNs = lab.addNamespace();
      const lacNs = lab.addNamespace();
      const { ifB } = lab.addVeth({ ns: lnsNs, address: `${L2TPNS_IP}/24` }, { ns: lacNs, address: `${LAC2_IP}/24` });
      capture = await startCapture(lab, lacNs, ifB, 'l2tp');
      l2tpns = await startL2tpns(lab, {
        ns: lnsNs,
        bindAddress: L2TPNS_IP,
        secret: 'hsecret',
        tunAddress: '10.203.98.1',
        pool: '10.203.97.0/24',
      });
      lac = await startXl2tpdLac(lab, {
        ns: lacNs,
        secret: 'hsecret',
        sections: [{ name: 'plain', lns: L2TPNS_IP, hostName: 'h-lac' }],
      });
    });

    afterAll(async () => {
      await lab?.destroy();
    });

    it('RFC2661-5.1: l2tpns answers the call and starts LCP; the CLI lists the tunnel', async () => {
      lac.control('c plain');
      await waitFor(
        'ICCN and a CDN on the wire',
        async () => {
          const names = timeline(await dissect(capture.pcap)).map((l) => l.split(' ')[1]);
          return names.includes('ICCN') && names.includes('CDN');
        },
        10_000,
        () => lac.log(),
      );
      const cli = await l2tpns.cli(['show tunnels']);
      expect(cli).toContain('h-lac');
      lac.control('d plain');
      await waitFor(
        'a StopCCN on the wire',
        async () => timeline(await dissect(capture.pcap)).some((l) => l.includes('StopCCN')),
        10_000,
      );
      await capture.stop();
      const d = await dissect(capture.pcap);
      // l2tpns starts PPP itself after ICCN: its LCP Configure-Request is a data message.
      expect(d.packets.some((p) => p.src === L2TPNS_IP && p.l2tp?.control === false && /LCP/.test(p.info))).toBe(true);
      expect(formatFlags(d), 'tshark oracle flagged a peer').toBe('');
    });
  },
);
