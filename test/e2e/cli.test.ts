// End to end through real processes on loopback UDP: `l2tp-ts lns` (userspace mode) and
// `l2tp-ts lac`, with each authentication method, tunnel secrets with hidden AVPs, and a wrong
// password.
// Related: test/e2e/cli-process.ts, test/e2e/cli-config.test.ts, src/cli/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runLac, startLns, tempDir } from './cli-process.js';

afterEach(cleanupProcesses);

/** A JSON config (the LnsSettings keys) in a temp dir; returns its path. */
function jsonConfig(settings: Record<string, unknown>): string {
  const dir = tempDir();
  const file = join(dir, 'lns.json');
  writeFileSync(file, JSON.stringify(settings));
  return file;
}

describe('l2tp-ts lns + lac over loopback', () => {
  it('MS-CHAPv2, CHAP-MD5 and PAP each bring up a session with a pool address, DNS and a ping', async () => {
    const methods = [
      { method: 'mschapv2', reported: 'mschapv2' },
      { method: 'chap', reported: 'chap-md5' },
      { method: 'pap', reported: 'pap' },
    ];
    await Promise.all(
      methods.map(async ({ method, reported }) => {
        const config = jsonConfig({
          authMethods: [method],
          users: { alice: 's3cret' },
          dns: ['192.168.1.1'],
        });
        const lns = await startLns(['--json-config', config, '--userspace']);
        const r = await runLac(lns.port, ['--user', 'alice', '--password', 's3cret', '--ping']);
        expect(r.code, `${method}: ${r.stderr}`).toBe(0);
        expect(r.summary?.sessions, method).toEqual([
          expect.objectContaining({
            auth: reported,
            address: '10.1.20.31',
            peerAddress: '10.1.20.30',
            dns: ['192.168.1.1'],
            pingOk: true,
          }),
        ]);
        await lns.proc.waitFor(/up: user alice address 10\.1\.20\.31/);
      }),
    );
  }, 40_000);

  it('RFC2661-5.1.1: a tunnel secret with challenge and hidden AVPs (lac --secret --hidden); the wrong secret is refused', async () => {
    const config = jsonConfig({
      users: { alice: 's3cret' },
      challenge: true,
      hideAvps: true,
      tunnelSecrets: [{ secret: 'tunnel-secret' }],
    });
    const lns = await startLns(['--json-config', config, '--userspace']);
    const [good, bad] = await Promise.all([
      runLac(lns.port, ['--user', 'alice', '--password', 's3cret', '--secret', 'tunnel-secret', '--hidden', '--ping']),
      runLac(lns.port, ['--user', 'alice', '--password', 's3cret', '--secret', 'guess', '--timeout', '10']),
    ]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.summary?.sessions[0]).toMatchObject({ address: '10.1.20.31', pingOk: true });
    expect(bad.code).toBe(1);
    expect(bad.summary?.sessions.filter((s) => s.address !== undefined)).toEqual([]);
  }, 40_000);

  it('a wrong password: the LAC exits 1 and the LNS logs the failure; no address stays in use', async () => {
    const lns = await startLns(['--userspace', '--user', 'alice:s3cret']);
    const r = await runLac(lns.port, ['--user', 'alice', '--password', 'wrong']);
    expect(r.code).toBe(1);
    expect(r.summary?.ok).toBe(false);
    expect(r.summary?.sessions[0]?.error).toMatch(/auth/);
    await lns.proc.waitFor(/authentication failed for alice/);
    expect(await lns.status()).toMatchObject({ sessions: 0, addressesInUse: 0 });
  }, 40_000);
});
