// End to end through real processes: one `l2tp-ts lac` brings up 100 sessions in 10 tunnels to
// one `l2tp-ts lns` (userspace mode) over loopback UDP, each with its own address and a ping.
// Related: test/e2e/cli-process.ts, test/sim/lns-lac.test.ts (the same on virtual time).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runLac, startLns, tempDir, waitUntil } from './cli-process.js';

afterEach(cleanupProcesses);

describe('l2tp-ts lac --tunnels 10 --sessions 10', () => {
  it('100 sessions in 10 tunnels get 100 distinct addresses and each answers a ping', async () => {
    const config = join(tempDir(), 'lns.json');
    writeFileSync(
      config,
      JSON.stringify({
        authMethods: ['mschapv2'],
        users: { alice: 's3cret' },
        poolRanges: ['10.1.0.1-10.1.0.200'],
        localAddress: '10.1.20.30',
        pppDebug: false,
        // The seed's `exclusive = yes` is the default: one user logging in 100 times needs it off.
        exclusive: false,
      }),
    );
    const lns = await startLns(['--json-config', config, '--userspace']);
    const r = await runLac(
      lns.port,
      ['--user', 'alice', '--password', 's3cret', '--tunnels', '10', '--sessions', '10', '--ping'],
      45_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const sessions = r.summary?.sessions ?? [];
    expect(sessions).toHaveLength(100);
    expect(new Set(sessions.map((s) => s.address)).size).toBe(100);
    expect(new Set(sessions.map((s) => s.tunnelId)).size).toBe(10);
    expect(sessions.every((s) => s.pingOk === true)).toBe(true);
    // The LAC cleared its tunnels on exit (StopCCN): every address is back in the pool.
    await waitUntil(async () => (await lns.status()).addressesInUse === 0, 10_000, 'addresses back in the pool');
    expect(await lns.status()).toMatchObject({ tunnels: 0, sessions: 0, addressesInUse: 0 });
  }, 55_000);
});
