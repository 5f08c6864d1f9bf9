// Shared TUN mode keeps the kernel's view exact (root only; issue 9 items 5 and 7): `l2tp-ts lns
// --tun` in a namespace with `local ip range`, LACs (createLac, in-process) in a second namespace.
// After every bring-up and teardown, `ip route` shows exactly one /32 per live session and `ip
// addr` exactly the local addresses live sessions use; addresses given back are reused by the
// next sessions (a route deletion never overtakes the later addition for the same address). The
// LNS runs without `ip` on its PATH: no child process per change.
// Related: src/io/rtnetlink.ts, src/io/tun-device.ts, test/e2e/tun.test.ts.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLac, type LacClient } from '../../src/index.js';
import { type LabProcess, labSkipReason, NetLab, tail, waitFor } from '../support/netns.js';
import { startLabLns } from './lab-lns.js';

const skip = labSkipReason([]) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
const LNS_IP = '10.203.78.2';
const LAC_IP = '10.203.78.1';
const DEVICE = 'l2tprt0';

describe.skipIf(skip !== undefined)(`TUN routes and local addresses${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let lnsNs: string;
  let lacNs: string;
  let lns: LabProcess;
  let port: number;
  const lacs: LacClient[] = [];

  /** The /32 routes through the device, sorted. */
  const routes = (): string[] =>
    lab
      .run(lnsNs, 'ip', ['-4', '-o', 'route', 'show', 'dev', DEVICE])
      .stdout.split('\n')
      .map((l) => l.trim().split(' ')[0]!)
      .filter((a) => a !== '')
      .sort();
  /** The addresses on the device, sorted. */
  const addresses = (): string[] =>
    [...lab.run(lnsNs, 'ip', ['-4', '-o', 'addr', 'show', 'dev', DEVICE]).stdout.matchAll(/inet (\S+)\/32/g)]
      .map((m) => m[1]!)
      .sort();
  /** What the live sessions of `clients` hold, sorted: the peer addresses and the LNS-side (local) ones. */
  const held = (clients: readonly LacClient[]): { peers: string[]; locals: string[] } => {
    const sessions = clients.flatMap((c) => [...c.engine.sessions.values()]);
    return {
      peers: sessions.map((s) => s.localAddress!).sort(),
      locals: [...new Set(sessions.map((s) => s.peerAddress!))].sort(),
    };
  };
  const up = async (tunnels: number, perTunnel: number): Promise<LacClient> => {
    const lac = await lab.withNetns(lacNs, () =>
      createLac({
        server: { address: LNS_IP, port },
        user: 'alice',
        password: 's3cret',
        tunnels,
        sessionsPerTunnel: perTunnel,
      }),
    );
    lacs.push(lac);
    const n = tunnels * perTunnel;
    await waitFor(
      `${n} sessions up`,
      () => [...lac.engine.sessions.values()].filter((s) => s.peerAddress !== undefined).length === n,
      20_000,
      () => tail(lns.log),
    );
    return lac;
  };
  const down = async (lac: LacClient): Promise<void> => {
    await lac.close(2000);
    lacs.splice(lacs.indexOf(lac), 1);
  };
  /** Waits until the kernel shows exactly what the live sessions hold (plus the device's own address). */
  const kernelMatches = async (): Promise<void> => {
    const want = held(lacs);
    const wantAddresses = [...new Set(['10.9.30.1', ...want.locals])].sort();
    await waitFor(
      'ip route / ip addr to match the live sessions',
      () =>
        JSON.stringify(routes()) === JSON.stringify(want.peers) &&
        JSON.stringify(addresses()) === JSON.stringify(wantAddresses),
      5000,
      () =>
        `routes ${routes().join(' ')}\nwant ${want.peers.join(' ')}\naddrs ${addresses().join(' ')}\nwant ${wantAddresses.join(' ')}\n${tail(lns.log)}`,
    );
  };

  beforeAll(async () => {
    lab = new NetLab('r');
    lnsNs = lab.addNamespace();
    lacNs = lab.addNamespace();
    lab.addVeth({ ns: lacNs, address: `${LAC_IP}/24` }, { ns: lnsNs, address: `${LNS_IP}/24` });
    const config = join(lab.dir, 'lns.json');
    writeFileSync(
      config,
      JSON.stringify({
        users: { alice: 's3cret' },
        poolRanges: ['10.9.31.1-10.9.31.100'],
        localAddress: '10.9.30.1',
        localRanges: ['10.9.30.1-10.9.30.10'],
        echoIntervalMs: 0,
      }),
    );
    ({ proc: lns, port } = await startLabLns(
      lab,
      lnsNs,
      [
        '--tun',
        '--tun-name',
        DEVICE,
        '--json-config',
        config,
        '--listen',
        LNS_IP,
        '--port',
        '0',
        '--control',
        join(lab.dir, 'ctl.sock'),
        // No `ip` on its PATH: the device, its addresses and every route are set through rtnetlink,
        // never by an `ip` child per session (each one held the event loop ≈ 9 ms).
      ],
      { wrap: ['env', 'PATH=/nonexistent'] },
    ));
  }, 40_000);

  afterAll(async () => {
    for (const lac of lacs) await lac.close(500).catch(() => undefined);
    await lab?.destroy();
  }, 30_000);

  it('after every bring-up and teardown the kernel holds exactly the live sessions’ /32 routes and local addresses', async () => {
    const a = await up(2, 3);
    const b = await up(1, 4);
    expect(held(lacs).peers).toHaveLength(10);
    // Each session its own local address from the range (10 sessions, 10 addresses).
    expect(held(lacs).locals).toHaveLength(10);
    await kernelMatches();

    const freed = held([b]);
    await down(b);
    await kernelMatches();
    expect(routes()).toHaveLength(6);

    // The four addresses (peer and local) b gave back go to the next sessions: their routes and
    // addresses are removed and added again for the same numbers, in order.
    const c = await up(1, 4);
    expect(held([c])).toEqual(freed);
    await kernelMatches();

    await down(a);
    await down(c);
    await kernelMatches();
    expect(routes()).toEqual([]);
    expect(addresses()).toEqual(['10.9.30.1']);

    await lab.stop(lns, 'SIGTERM', 5000);
    expect(lns.exitCode).toBe(0);
  }, 90_000);
});
