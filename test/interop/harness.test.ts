// Self-test of the interop harness with none of our code: xl2tpd as LAC dials xl2tpd as LNS in two
// lab namespaces, the capture is dissected by tshark (RFC 2661 §5-§7 control plane only).
// Related: test/support/netns.ts, test/support/peers/xl2tpd.ts, test/support/tshark.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSkipReason, NetLab, tail, waitFor } from '../support/netns.js';
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
        () => timeline(dissect(capture.pcap)).some((l) => l.includes('StopCCN')),
        10_000,
        () => lac.log(),
      );
      await capture.stop();
      const d = dissect(capture.pcap);
      const lines = timeline(d);
      const names = lines.map((l) => l.split(' ')[1]);
      expect(names, lines.join('\n')).toEqual(
        expect.arrayContaining(['SCCRQ', 'SCCRP', 'SCCCN', 'ICRQ', 'ICRP', 'ICCN', 'CDN', 'StopCCN']),
      );
      expect(formatFlags(d), 'tshark oracle flagged xl2tpd').toBe('');
    });
  },
);
