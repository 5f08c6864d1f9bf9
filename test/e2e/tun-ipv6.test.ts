// IPv6 through the TUN device end to end (issue 12 item 5; root only): `l2tp-ts lns --tun` with
// `ipv6Pool` in a namespace, the project's LAC (createLac, ipv6: true) in a second namespace over
// veth. The LAC gets its /64 by Router Advertisement, autoconfigures an address and pings the
// LNS's address <pool>::1 through the TUN device (the namespace's kernel answers); the kernel has
// the /64 routed into the TUN device while the session is up, and no more after.
// Related: test/e2e/tun.test.ts, src/io/ipv6-routes.ts, src/lns/ipv6-sessions.ts.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLac, type LacClient } from '../../src/index.js';
import { type LabProcess, labSkipReason, type NetLab, tail, waitFor } from '../support/netns.js';
import { startTunLab } from './lab-lns.js';

const skip = labSkipReason(['ping']) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
const LNS_IP = '10.203.78.2';
const LAC_IP = '10.203.78.1';

describe.skipIf(skip !== undefined)(`IPv6 through l2tp-ts lns --tun${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let lnsNs: string;
  let lacNs: string;
  let lns: LabProcess;
  let port: number;
  let lac: LacClient | undefined;

  beforeAll(async () => {
    ({ lab, lnsNs, lacNs, lns, port } = await startTunLab({
      prefix: 'vs',
      lnsIp: LNS_IP,
      lacIp: LAC_IP,
      config: { users: { alice: 's3cret' }, ipv6: true, ipv6Pool: '2001:db8:100::/48' },
    }));
  }, 40_000);

  afterAll(async () => {
    await lac?.close(500).catch(() => undefined);
    await lab?.destroy();
  }, 30_000);

  it('the LAC autoconfigures from the RA and pings the LNS over IPv6 through the TUN device', async () => {
    lac = await lab.withNetns(lacNs, () =>
      createLac({ server: { address: LNS_IP, port }, user: 'alice', password: 's3cret', ipv6: true }),
    );
    const address = await lac.waitFor('ipv6-address', undefined, 15_000);
    expect(address.address).toMatch(/^2001:db8:100:1:/);
    const [session] = lac.engine.sessions.values();
    const v6routes = (): string => lab.run(lnsNs, 'ip', ['-6', 'route', 'show']).stdout;
    await waitFor(
      'the /64 route',
      () => /2001:db8:100:1::\/64 dev \S+/.test(v6routes()),
      5000,
      () => v6routes() + tail(lns.log),
    );
    expect(lab.run(lnsNs, 'ip', ['-6', 'addr', 'show']).stdout).toMatch(/2001:db8:100::1\/128/);
    // LAC → LNS → TUN → the kernel (2001:db8:100::1 is on the TUN device) → TUN by the /64 → LAC.
    expect(await lac.ping6(session!, '2001:db8:100::1', 5000)).toBeGreaterThanOrEqual(0);
    await lac.close();
    lac = undefined;
    await waitFor(
      'the /64 route to go',
      () => !/2001:db8:100:1::\/64/.test(v6routes()),
      5000,
      () => v6routes() + tail(lns.log),
    );
  }, 40_000);
});
