// "Try another" through real processes on loopback (RFC 2661 §4.4.2 General Error 7, issue 11
// item 6): `l2tp-ts lns --max-tunnels 1` holding a tunnel refuses the next SCCRQ with StopCCN 2/7,
// and `l2tp-ts lac --server A --server B` moves on to B. Related: test/lac/failover.test.ts (the
// same on virtual time), docs/SCALE-OUT.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runLac, spawnCli, startLns, tempDir } from './cli-process.js';

afterEach(cleanupProcesses);

function jsonConfig(settings: Record<string, unknown>): string {
  const file = join(tempDir(), 'lns.json');
  writeFileSync(file, JSON.stringify(settings));
  return file;
}

describe('l2tp-ts lac failover on StopCCN 2/7', () => {
  it('RFC2661-4.4.2: a full LNS answers StopCCN 2/7 and the LAC brings the session up on the next --server', async () => {
    const users = { alice: 's3cret' };
    const [full, spare] = await Promise.all([
      startLns(['--json-config', jsonConfig({ users }), '--userspace', '--max-tunnels', '1']),
      startLns([
        '--json-config',
        jsonConfig({ users, poolRanges: ['10.2.20.31-10.2.20.50'], localAddress: '10.2.20.30' }),
        '--userspace',
      ]),
    ]);
    // Another LAC takes the only tunnel the first LNS has room for, and holds it.
    const holder = spawnCli([
      'lac',
      '--server',
      `127.0.0.1:${full.port}`,
      '--user',
      'alice',
      '--password',
      's3cret',
      '--hold',
      '30',
    ]);
    await holder.waitFor(/session \S+ up: 10\.1\.20\.31/);

    const r = await runLac(
      full.port,
      ['--server', `127.0.0.1:${spare.port}`, '--user', 'alice', '--password', 's3cret', '--ping'],
      20_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary?.sessions).toEqual([
      expect.objectContaining({ address: '10.2.20.31', peerAddress: '10.2.20.30', pingOk: true }),
    ]);
    const status = await full.status();
    expect(status.tunnels).toBe(1);
  }, 40_000);

  it('without a second --server the refusal is the result: 2/7 with the reason', async () => {
    const lns = await startLns([
      '--json-config',
      jsonConfig({ users: { alice: 's3cret' } }),
      '--userspace',
      '--max-tunnels',
      '1',
    ]);
    const holder = spawnCli([
      'lac',
      '--server',
      `127.0.0.1:${lns.port}`,
      '-u',
      'alice',
      '-p',
      's3cret',
      '--hold',
      '30',
    ]);
    await holder.waitFor(/session \S+ up/);
    const r = spawnCli(['lac', '--server', `127.0.0.1:${lns.port}`, '-u', 'alice', '-p', 's3cret', '--timeout', '10']);
    expect(await r.exited).toBe(1);
    expect(r.stdout()).toMatch(/tunnel \d+ down: result 2\/7 At capacity \(tunnel limit\): try another LNS/);
  }, 30_000);
});
