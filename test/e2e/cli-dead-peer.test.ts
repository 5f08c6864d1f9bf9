// End to end through real processes: a LAC killed with SIGKILL is found dead by the LNS's LCP
// echo and its address returns to the pool (checked with the control socket, as `ctl status`).
// Related: test/e2e/cli-process.ts, test/sim/lns-lac.test.ts (the same on virtual time).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, spawnCli, startLns, tempDir, waitUntil } from './cli-process.js';

afterEach(cleanupProcesses);

describe('a LAC that dies', () => {
  it('a LAC killed with SIGKILL is found by LCP echo (interval 1 s × failure 2) and its address returns to the pool', async () => {
    const dir = tempDir({
      'lns.json': JSON.stringify({ users: { alice: 's3cret' }, echoIntervalMs: 1000, echoFailure: 2 }),
    });
    const lns = await startLns(['--json-config', join(dir, 'lns.json'), '--userspace']);
    const lac = spawnCli([
      'lac',
      '--server',
      `127.0.0.1:${lns.port}`,
      '--user',
      'alice',
      '--password',
      's3cret',
      '--hold',
      '60',
    ]);
    await lns.proc.waitFor(/up: user alice address 10\.1\.20\.31/);
    expect(await lns.status()).toMatchObject({ sessions: 1, addressesInUse: 1 });
    process.kill(lac.pid, 'SIGKILL');
    expect(await lac.exited).toBe('SIGKILL');
    await waitUntil(async () => (await lns.status()).addressesInUse === 0, 15_000, 'the address back in the pool');
    await lns.proc.waitFor(/down: user alice address 10\.1\.20\.31 .*echo/);
    expect(await lns.ctl('status')).toMatchObject({ sessions: 0, addressesInUse: 0 });
  }, 40_000);
});
