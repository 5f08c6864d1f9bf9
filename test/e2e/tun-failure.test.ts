// Issue 9: a TUN device deleted under a running `l2tp-ts lns --tun` (ip link del) makes it log
// the failure and exit non-zero, so a supervisor restarts it — instead of running deaf with
// sessions up (or spinning on a level-triggered poll). Root only, in a network namespace.
// Related: src/io/tun-device.ts (read errors), src/io/create-lns.ts (onFatal), src/cli/lns.ts.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLac, type LacClient } from '../../src/index.js';
import { labSkipReason, NetLab, tail, waitFor } from '../support/netns.js';
import { startLabLns } from './lab-lns.js';

const skip = labSkipReason([]) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');

describe.skipIf(skip !== undefined)(`a failing TUN device${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let lac: LacClient | undefined;
  afterAll(async () => {
    await lac?.close(200).catch(() => undefined);
    await lab?.destroy();
  }, 30_000);

  it('ip link del of the shared device: the LNS logs it and exits 1 with a session up', async () => {
    lab = new NetLab('tf');
    const lnsNs = lab.addNamespace();
    const lacNs = lab.addNamespace();
    lab.addVeth({ ns: lacNs, address: '10.203.81.1/24' }, { ns: lnsNs, address: '10.203.81.2/24' });
    const config = join(lab.dir, 'lns.json');
    writeFileSync(config, JSON.stringify({ users: { alice: 's3cret' } }));
    const { proc: lns } = await startLabLns(lab, lnsNs, [
      '--tun',
      '--tun-name',
      'tfail0',
      '--json-config',
      config,
      '--listen',
      '10.203.81.2',
      '--port',
      '1701',
      '--no-control',
    ]);
    lac = await lab.withNetns(lacNs, () =>
      createLac({ server: { address: '10.203.81.2', port: 1701 }, user: 'alice', password: 's3cret' }),
    );
    await lac.waitFor('session-up', undefined, 15_000);

    const down = lac.waitFor('tunnel-down', undefined, 15_000);
    lab.run(lnsNs, 'ip', ['link', 'del', 'tfail0']);
    await waitFor(
      'the LNS to exit',
      () => lns.exitCode !== undefined,
      10_000,
      () => tail(lns.log),
    );
    expect(lns.exitCode, tail(lns.log)).toBe(1);
    expect(tail(lns.log, 50)).toMatch(
      /fatal: tfail0: read failed with errno 77 \(the interface was deleted\); exiting/,
    );
    // It said goodbye on the way out: the LAC got StopCCN.
    expect(await down).toMatchObject({ resultCode: 6 });
  }, 60_000);
});
