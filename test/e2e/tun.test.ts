// TUN mode end to end (root only): `l2tp-ts lns --tun` in a network namespace, a LAC (createLac,
// in-process) in a second namespace joined by veth. IP goes LAC → L2TP → LNS → TUN → the
// namespace's kernel and back; the kernel routes the client's address into the TUN device.
// Related: test/support/netns.ts (the lab), src/io/tun-device.ts, src/io/create-lns.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLac, type LacClient } from '../../src/index.js';
import { type LabProcess, labSkipReason, type NetLab, tail, waitFor } from '../support/netns.js';
import { startTunLab } from './lab-lns.js';

const skip = labSkipReason(['ping']) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
const LNS_IP = '10.203.77.2';
const LAC_IP = '10.203.77.1';

describe.skipIf(skip !== undefined)(`l2tp-ts lns --tun in a namespace${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let lnsNs: string;
  let lacNs: string;
  let lns: LabProcess;
  let port: number;
  let lac: LacClient | undefined;

  beforeAll(async () => {
    ({ lab, lnsNs, lacNs, lns, port } = await startTunLab({
      prefix: 'e',
      lnsIp: LNS_IP,
      lacIp: LAC_IP,
      config: { users: { alice: 's3cret' }, pppDebug: false },
      args: (l) => ['--control', join(l.dir, 'ctl.sock')],
    }));
  }, 40_000);

  afterAll(async () => {
    await lac?.close(500).catch(() => undefined);
    await lab?.destroy();
  }, 30_000);

  it('a session carries IP both ways through the TUN device: the LAC pings the local ip, the kernel routes the client address into the tunnel', async () => {
    lac = await lab.withNetns(lacNs, () =>
      createLac({ server: { address: LNS_IP, port }, user: 'alice', password: 's3cret' }),
    );
    const up = await lac.waitFor('session-up', undefined, 15_000);
    expect(up).toMatchObject({ address: '10.1.20.31', peerAddress: '10.1.20.30' });
    const [session] = lac.engine.sessions.values();

    // LAC → LNS → TUN → the namespace's kernel (10.1.20.30 is on the TUN device) → TUN → LAC.
    expect(await lac.ping(session!, 5000)).toBeGreaterThanOrEqual(0);

    // The kernel has a route for the client's address through the TUN device.
    const routes = lab.run(lnsNs, 'ip', ['-4', 'route', 'show']).stdout;
    expect(routes).toMatch(/10\.1\.20\.31 dev \S+/);

    // A packet the namespace's kernel sends to the client arrives at the LAC as an IP packet
    // (the LAC does not answer it: its received-packet counter is what shows it arrived).
    const before = session!.counters.rxPackets;
    lab.run(lnsNs, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', '10.1.20.31']);
    await waitFor(
      'the pings at the LAC',
      () => session!.counters.rxPackets >= before + 2,
      5000,
      () => tail(lns.log),
    );

    // Hanging up removes the route.
    await lac.close();
    lac = undefined;
    await waitFor(
      'the route to go',
      () => !/10\.1\.20\.31 dev/.test(lab.run(lnsNs, 'ip', ['-4', 'route', 'show']).stdout),
      5000,
      () => lab.run(lnsNs, 'ip', ['-4', 'route', 'show']).stdout + tail(lns.log),
    );

    // SIGTERM: the LNS exits 0 and its TUN device is gone with it.
    await lab.stop(lns, 'SIGTERM', 5000);
    expect(lns.exitCode).toBe(0);
    expect(lab.run(lnsNs, 'ip', ['-o', 'link', 'show']).stdout).not.toMatch(/l2tpts/);
  }, 40_000);
});
