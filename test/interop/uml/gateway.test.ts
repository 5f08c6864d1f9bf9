// The seed's gateway, whole (RFC 3193 L2TP/IPsec; RFC 2661 over ESP transport mode): `l2tp-ts lns`,
// `l2tp-ts firewall --form iptables-legacy --apply` and strongSwan loaded from `l2tp-ts ipsec-config`
// run inside UML guest A; guest B dials with xl2tpd + pppd (MS-CHAPv2) under IPsec. Related: gateway.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dissect, formatFlags } from '../../support/tshark.js';
import {
  bootClient,
  bootGateway,
  CLIENT_IP,
  GATEWAY_IP,
  gatewaySkipReason,
  type IkeKind,
  type IptablesRule,
  PPP_USER,
  type PrintedIpsecConfig,
  parseIptables,
  parseXfrmState,
  printIpsecConfig,
  readWire,
  type ScriptGuest,
  sendPlainSccrq,
  startWireCapture,
  type WirePacket,
} from './gateway.js';
import { acquireUmlLock, BRIDGE_IP, type LacResult, recordTiming, UmlLab } from './harness.js';
import { LNS_LOCAL_IP } from './lns-under-test.js';

const IN_POOL = /^10\.204\.20\.(3[1-9]|4\d|50)$/;
const PROBES = 3;

const one = (r: LacResult, k: string): string | undefined => r.raw.get(k)?.[0];

/** Everything one run of the scenario produced, asserted by the tests below. */
interface Run {
  readonly ipsec: PrintedIpsecConfig;
  readonly gateway: ScriptGuest;
  readonly client: ScriptGuest;
  readonly gatewayResult: LacResult;
  readonly clientResult: LacResult;
  readonly gatewayReadyS: number;
  readonly probe: { sent: number; replies: number };
  readonly sessions: string;
  readonly iptables: readonly IptablesRule[];
  readonly wire: readonly WirePacket[];
  readonly pcap: string;
  readonly totalS: number;
}

// The same scenario with each IKE daemon on both guests: strongSwan (charon + swanctl) and the
// seed how-to's Libreswan (pluto from the private tree .ci/run unpacks; see gateway.ts LIBRESWAN_ROOT).
for (const kind of ['strongswan', 'libreswan'] as const satisfies readonly IkeKind[]) {
  const skip = gatewaySkipReason(kind);
  describe.skipIf(skip !== undefined)(
    `UML L2TP/IPsec gateway (l2tp-ts lns in a guest, ${kind})${skip ? ` — skipped: ${skip}` : ''}`,
    () => {
      let release: (() => void) | undefined;
      let lab: UmlLab | undefined;
      let run: Run | undefined;
      let failure: unknown;

      beforeAll(async () => {
        release = await acquireUmlLock(300_000);
      }, 310_000);

      beforeAll(async () => {
        const t0 = Date.now();
        try {
          const ipsec = printIpsecConfig(kind);
          lab = await UmlLab.create({ scenario: `gateway-${kind}`, capture: false });
          const capture = await startWireCapture(lab);
          const gateway = bootGateway(lab, ipsec);
          // the client holds the session until released (after the gateway answered the query)
          const client = bootClient(lab, { holdS: 60, kind });
          // Node starts slowly in a UML guest (the firewall apply alone took 30 s on a loaded host);
          // the guest itself gives the LNS 60 s to listen.
          if (!(await gateway.waitFile('ready', 150_000))) {
            throw new Error(`gateway not ready after 150 s: ${gateway.file('guest.log').slice(-2000)}`);
          }
          const gatewayReadyS = (Date.now() - gateway.bootedAt) / 1000;
          // plain L2TP from a third party (the host bridge), no IPsec: the firewall must drop it
          const probe = sendPlainSccrq(lab, GATEWAY_IP, PROBES, 2500);
          client.touch('go');
          let sessions = '';
          if (await client.waitFile('up-done', 90_000)) {
            gateway.touch('query');
            if (await gateway.waitFile('query-done', 60_000)) sessions = gateway.file('sessions.json');
            client.touch('release');
          }
          // once the client has hung up, both guests wind down in parallel (each step costs seconds in UML)
          await client.waitFile('ppp-down', 20_000);
          gateway.touch('stop');
          await Promise.all([client.finish(lab, 40_000), gateway.finish(lab, 40_000)]);
          await lab.stopHost(capture.proc, 'SIGINT', 3000);
          // the SA keys as both kernels hold them (gateway: while the session was up; client: at SA up)
          const sas = [
            ...new Map(
              [...parseXfrmState(gateway.file('xfrm-state.txt')), ...parseXfrmState(client.file('xfrm-state.txt'))].map(
                (sa) => [sa.spi, sa],
              ),
            ).values(),
          ];
          run = {
            ipsec,
            gateway,
            client,
            gatewayResult: gateway.result(),
            clientResult: client.result(),
            gatewayReadyS,
            probe,
            sessions,
            iptables: parseIptables(gateway.file('iptables.txt')),
            wire: readWire(capture.pcap, sas, join(lab.dir, 'wire-decrypted.txt')),
            pcap: capture.pcap,
            totalS: (Date.now() - t0) / 1000,
          };
          const r = run.clientResult;
          const g = run.gatewayResult;
          // timings for docs/INTEROP.md (the lock wait is not included)
          writeFileSync(
            join(lab.dir, 'summary.json'),
            `${JSON.stringify(
              {
                totalS: run.totalS,
                gatewayBootToReadyS: gatewayReadyS,
                guestNodeFirewallApplyS: one(g, 'NODE_FIREWALL_S'),
                guestLnsStartToListeningS: one(g, 'LNS_START_S'),
                saUpS: one(r, 'SA_UP_S'),
                dialToPppUpS: r.dialToUpS,
                probe,
                lnsMemory: gateway.file('lns-mem.txt').trim(),
              },
              null,
              2,
            )}\n`,
          );
          if (r.dialToUpS !== undefined)
            recordTiming({
              lns: `l2tp-ts (UML guest, IPsec, ${kind})`,
              scenario: kind === 'strongswan' ? 'gateway-ipsec' : `gateway-ipsec-${kind}`,
              dialToUpS: r.dialToUpS,
            });
        } catch (e) {
          failure = e;
        } finally {
          await lab?.dispose();
        }
      }, 170_000);

      afterAll(async () => {
        await lab?.dispose();
        release?.();
      }, 30_000);

      const got = (): Run => {
        if (run === undefined) throw failure ?? new Error('the scenario did not run');
        return run;
      };

      it.runIf(kind === 'libreswan')(
        'ipsec-config --kind libreswan prints a conn and its secrets for /etc/ipsec.d, and pluto loads them as printed',
        () => {
          const { ipsec, gateway, gatewayResult } = got();
          expect(ipsec.files.map((f) => f.path)).toEqual(['/etc/ipsec.d/l2tp-ts.conf', '/etc/ipsec.d/l2tp-ts.secrets']);
          expect(ipsec.text).toMatch(/type=transport/);
          // the notes on what changed since the how-to (protostack=netkey is xfrm today)
          expect(ipsec.text).toMatch(/protostack=netkey is now protostack=xfrm/);
          expect(ipsec.text).toMatch(/ikev1-policy=accept/);
          expect(one(gatewayResult, 'IPSEC_LOAD'), gateway.file('ipsec-load.txt') + gateway.file('pluto.log')).toBe(
            'ok',
          );
          // pluto reports what it loaded: the printed conn and the PSK from the printed secrets file
          expect(gateway.file('pluto.log')).toMatch(
            /added IKEv1 connection "l2tp-ts"|"l2tp-ts": added IKEv1 connection/,
          );
          expect(gateway.file('pluto.log')).toMatch(/loading secrets from "\/etc\/ipsec\.d\/l2tp-ts\.secrets"/);
          expect(gateway.file('pluto.log')).not.toMatch(/\bERROR\b|unknown keyword|obsolete keyword/i);
        },
      );

      it.runIf(kind === 'strongswan')(
        'ipsec-config prints one swanctl file for /etc/swanctl/conf.d, and charon loads it as printed',
        () => {
          const { ipsec, gateway, gatewayResult } = got();
          expect(ipsec.path).toBe('/etc/swanctl/conf.d/l2tp-ts.conf');
          expect(ipsec.text).toMatch(/mode = transport/);
          expect(one(gatewayResult, 'SWANCTL_LOAD'), gateway.file('swanctl-load.txt')).toBe('ok');
          // swanctl reports what it loaded: the printed connection and its PSK
          expect(gateway.file('swanctl-load.txt')).toMatch(/loaded ike secret 'ike-l2tp-ts'/);
          expect(gateway.file('swanctl-load.txt')).toMatch(/loaded connection 'l2tp-ts'/);
        },
      );

      it('RFC3193-5: `firewall --form iptables-legacy --apply` puts the policy rule before the DROP of plain udp/1701', () => {
        const { gateway, gatewayResult, iptables } = got();
        expect(one(gatewayResult, 'FIREWALL_RC'), gateway.file('firewall-apply.txt')).toBe('0');
        const text = gateway.file('iptables.txt');
        expect(
          iptables.some((r) => r.chain === 'INPUT' && r.target === 'L2TP_TS'),
          text,
        ).toBe(true);
        const chain = iptables.filter((r) => r.chain === 'L2TP_TS');
        const policy = chain.findIndex(
          (r) => r.target === 'ACCEPT' && /policy match dir in pol ipsec/.test(r.line) && /dpt:1701/.test(r.line),
        );
        const drop = chain.findIndex((r) => r.target === 'DROP' && /dpt:1701/.test(r.line));
        expect(policy, text).toBeGreaterThanOrEqual(0);
        expect(drop, text).toBeGreaterThan(policy);
      });

      it('RFC3193-5: plain L2TP from a host without IPsec gets no answer and hits the DROP rule', () => {
        const { probe, iptables, gateway, wire } = got();
        expect(probe.sent).toBe(PROBES);
        expect(probe.replies).toBe(0);
        const drop = iptables.find((r) => r.chain === 'L2TP_TS' && r.target === 'DROP' && /dpt:1701/.test(r.line));
        expect(drop?.pkts, gateway.file('iptables.txt')).toBeGreaterThanOrEqual(PROBES);
        // nothing clear ever left the gateway from udp/1701
        expect(wire.filter((p) => p.clearL2tp && p.src === GATEWAY_IP)).toEqual([]);
        expect(wire.filter((p) => p.clearL2tp && p.src === BRIDGE_IP).length).toBe(PROBES);
      });

      it('RFC3193: the client brings up an IKEv1 PSK SA with ESP in transport mode for udp/1701', () => {
        const { client, clientResult, gateway } = got();
        const log = kind === 'libreswan' ? 'pluto.log' : 'charon.log';
        expect(one(clientResult, 'IPSEC_SA'), client.file('ipsec-initiate.txt') + client.file(log).slice(-3000)).toBe(
          'up',
        );
        expect(client.file('xfrm-state.txt')).toMatch(/proto esp spi 0x[0-9a-f]+ reqid \d+ mode transport/);
        if (kind === 'libreswan') {
          // the responder side: IKEv1 main mode with the PSK, then the transport-mode ESP SA
          expect(gateway.file('pluto.log')).toMatch(/"l2tp-ts"\[\d+\] \S+ #\d+: IPsec SA established transport mode/);
          expect(gateway.file('ipsec-sas.txt')).toMatch(/"l2tp-ts"\[\d+\] \S+/);
        } else {
          expect(gateway.file('ipsec-sas.txt')).toMatch(/l2tp-ts: #\d+, ESTABLISHED, IKEv1/);
          expect(gateway.file('ipsec-sas.txt')).toMatch(/INSTALLED, TRANSPORT/);
        }
      });

      it('RFC2661/RFC2759: the L2TP session comes up over ESP: MS-CHAPv2, a pool address, a ping through ppp0', () => {
        const { client, clientResult: r, sessions, iptables, gateway } = got();
        const why = `rc=${r.rc} pppd: ${r.pppdLines.join(' | ')}\n${client.file('guest.log').slice(-2000)}`;
        expect(r.watchdog, why).toBe(false);
        expect(r.pppUp, why).toBe(true);
        expect(r.localIp, why).toMatch(IN_POOL);
        expect(r.remoteIp, why).toBe(LNS_LOCAL_IP);
        expect(r.ping, why).toBe('ok');
        expect(r.pppdLines).toContain('CHAP authentication succeeded');
        // the LNS in the guest holds the session (ctl talks to that process)
        expect(gateway.file('lns.log')).toContain(`up: user ${PPP_USER} address ${r.localIp} (local ${LNS_LOCAL_IP})`);
        expect(sessions, gateway.file('ctl.err')).toContain(PPP_USER);
        expect(sessions).toContain(r.localIp);
        // every L2TP packet the gateway accepted came in under the IPsec policy
        const policy = iptables.find((x) => x.chain === 'L2TP_TS' && /pol ipsec/.test(x.line));
        expect(policy?.pkts ?? 0, gateway.file('iptables.txt')).toBeGreaterThan(10);
      });

      it('RFC3193-5: after the first ESP packet there is no clear udp/1701 on the wire; what is inside ESP is L2TP and dissects cleanly', () => {
        const { wire } = got();
        const firstEsp = wire.find((p) => p.spi !== undefined);
        expect(firstEsp).toBeDefined();
        const after = wire.filter((p) => p.number > (firstEsp?.number ?? 0));
        expect(after.filter((p) => p.clearL2tp)).toEqual([]);
        // decrypted with the SA keys: the whole exchange both ways, none malformed
        const inner = wire.filter((p) => p.spi !== undefined && p.l2tp);
        expect(inner.length).toBeGreaterThan(10);
        expect(inner.filter((p) => p.malformed)).toEqual([]);
        for (const m of ['SCCRQ', 'SCCRP', 'SCCCN', 'ICRQ', 'ICRP', 'ICCN']) {
          expect(
            inner.some((p) => p.info.includes(`Control Message - ${m}`)),
            m,
          ).toBe(true);
        }
        expect(inner.some((p) => p.src === GATEWAY_IP) && inner.some((p) => p.src === CLIENT_IP)).toBe(true);
        expect(wire.some((p) => p.isIke)).toBe(true);
      });

      it('RFC2661-6.1: the plain probes on the wire are well-formed SCCRQs (tshark oracle clean)', async () => {
        const { pcap } = got();
        const d = await dissect(pcap, { from: BRIDGE_IP });
        const probes = d.packets.filter((p) => p.src === BRIDGE_IP && p.l2tp?.messageType === 1);
        expect(probes.length).toBe(PROBES);
        expect(formatFlags(d)).toBe('');
      });
    },
  );
}
