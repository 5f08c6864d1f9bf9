// RADIUS Framed-Route (RFC 2865 §5.22) end to end (root only, issue 11 item 3): `l2tp-ts lns --tun`
// and FreeRADIUS in one network namespace, a LAC (createLac) in another. The granted prefix is
// routed into the TUN device while the session is up and to that session by the LNS (a ping from
// the namespace to an address in it arrives at the LAC), packets from inside the prefix are
// admitted as sources, and the route goes with the session.
// Related: src/lns/routed-prefixes.ts, src/io/tun-device.ts, test/e2e/tun.test.ts.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIcmpEcho, IcmpType, parseIpv4 } from '../../src/core/ipv4.js';
import { createLac } from '../../src/index.js';
import { type Freeradius, freeradiusSkipReason, startFreeradius } from '../support/freeradius.js';
import { type LabProcess, labSkipReason, type NetLab, tail, waitFor } from '../support/netns.js';
import { startTunLab } from './lab-lns.js';

const skip =
  labSkipReason(['ping']) ?? freeradiusSkipReason() ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
const LNS_IP = '10.203.79.2';
const LAC_IP = '10.203.79.1';
const SECRET = 'l2t-framed-route';

describe.skipIf(skip !== undefined)(`RADIUS Framed-Route through TUN${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let lnsNs: string;
  let lacNs: string;
  let lns: LabProcess;
  let port: number;
  let radius: Freeradius;

  beforeAll(async () => {
    ({ lab, lnsNs, lacNs, lns, port } = await startTunLab({
      prefix: 'r',
      lnsIp: LNS_IP,
      lacIp: LAC_IP,
      config: {},
      args: ['--no-control'],
      beforeStart: async (_lab, ns) => {
        radius = await startFreeradius({
          secret: SECRET,
          netns: ns,
          users: [{ name: 'router', password: 'r-pw', reply: ['Framed-Route = "10.88.0.0/24 0.0.0.0 1"'] }],
        });
        return {
          radius: {
            authServers: [{ host: '127.0.0.1', port: radius.authPort, secret: SECRET }],
            nasIdentifier: 'framed-route-lab',
          },
        };
      },
    }));
  }, 60_000);

  afterAll(async () => {
    await radius?.stop();
    await lab?.destroy();
  }, 30_000);

  it('the prefix is routed to the session while it is up, its sources are admitted, and the route goes with it', async () => {
    const lac = await lab.withNetns(lacNs, () =>
      createLac({ server: { address: LNS_IP, port }, user: 'router', password: 'r-pw' }),
    );
    await lac.waitFor('session-up', undefined, 15_000).catch((e) => {
      throw new Error(`${String(e)}\n${tail(lns.log)}\n${radius.log().slice(-2000)}`);
    });
    const [session] = lac.engine.sessions.values();
    const routes = () => lab.run(lnsNs, 'ip', ['-4', 'route', 'show']).stdout;
    expect(routes()).toMatch(/10\.88\.0\.0\/24 dev \S+/);
    // Namespace → 10.88.0.7: the kernel routes it into the TUN, the LNS to this session.
    const before = session!.counters.rxPackets;
    lab.run(lnsNs, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', '10.88.0.7']);
    await waitFor(
      'the pings at the LAC',
      () => session!.counters.rxPackets >= before + 2,
      5000,
      () => tail(lns.log),
    );
    // A packet from inside the prefix is admitted (echo to the LNS's local address, answered by
    // the namespace's kernel back through the route).
    const rx = session!.counters.rxPackets;
    const request = buildIcmpEcho({
      type: IcmpType.echoRequest,
      source: parseIpv4('10.88.0.9')!,
      destination: parseIpv4('10.1.20.30')!,
      identifier: 0x4242,
      sequence: 1,
      data: new Uint8Array(8),
    });
    expect(lac.sendIp(session!, request)).toBe(true);
    await waitFor(
      'the reply to 10.88.0.9',
      () => session!.counters.rxPackets > rx,
      5000,
      () => tail(lns.log),
    );
    await lac.close();
    await waitFor(
      'the prefix route to go',
      () => !/10\.88\.0\.0\/24/.test(routes()),
      10_000,
      () => tail(lns.log),
    );
  }, 40_000);
});
