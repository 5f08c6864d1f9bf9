// End to end through real processes on loopback UDP: `l2tp-ts lns` (userspace mode) and
// `l2tp-ts lac`, with each authentication method, a wrong password, 100 sessions in 10 tunnels,
// the seed's configuration files, and the exit codes of bad configurations and flags.
// Related: test/e2e/cli-process.ts, test/e2e/cli-lifecycle.test.ts, src/cli/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runCli, runLac, startLns, tempDir } from './cli-process.js';

afterEach(cleanupProcesses);

/** A JSON config (the LnsSettings keys) in a temp dir; returns its path. */
function jsonConfig(settings: Record<string, unknown>): string {
  const dir = tempDir();
  const file = join(dir, 'lns.json');
  writeFileSync(file, JSON.stringify(settings));
  return file;
}

const SEED = 'test/vectors/config';

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

  it("the seed's xl2tpd.conf, options.xl2tpd and chap-secrets parse (--check) and serve the seed's user its static address", async () => {
    const files = [
      '--config',
      `${SEED}/xl2tpd.conf`,
      '--ppp-options',
      `${SEED}/options.xl2tpd`,
      '--chap-secrets',
      `${SEED}/chap-secrets`,
    ];
    const check = await runCli(['lns', ...files, '--check']);
    expect(check.code, check.stderr).toBe(0);
    const settings = JSON.parse(check.stdout);
    expect(settings).toMatchObject({
      localAddress: '10.1.20.30',
      authMethods: ['mschapv2'],
      mtu: 1400,
      mru: 1400,
      dns: ['192.168.1.1'],
      echoIntervalMs: 5000,
      echoFailure: 12,
      exclusive: true,
      dataLengthBit: true,
    });
    expect(JSON.stringify(settings)).not.toContain('"secret": "secret"');

    const lns = await startLns([...files, '--userspace']);
    const r = await runLac(lns.port, ['--user', 'username', '--password', 'secret', '--ping']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary?.sessions[0]).toMatchObject({ auth: 'mschapv2', address: '10.1.20.32', pingOk: true });
  }, 40_000);

  it('a bad configuration exits 2 with file:line on stderr', async () => {
    const dir = tempDir({
      'xl2tpd.conf': '[global]\nport = 1701\n[lns default]\nip range = 10.1.20.31-10.1.20.999\nlocal ip = 10.1.20.30\n',
    });
    const r = await runCli(['lns', '--config', join(dir, 'xl2tpd.conf'), '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'xl2tpd.conf')}:4`);

    const json = jsonConfig({ poolRanges: ['10.1.20.31-10.1.20.999'] });
    const j = await runCli(['lns', '--json-config', json, '--check']);
    expect(j.code).toBe(2);
    expect(j.stderr).toContain(json);
    expect(j.stderr).toMatch(/poolRanges/);
  }, 40_000);

  it('a bad command-line flag exits 2', async () => {
    const results = await Promise.all([
      runCli(['lns', '--no-such-flag']),
      runCli(['lns', '--port', 'seventeen']),
      runCli(['lac', '--server', '127.0.0.1:1', '--user', 'a', '--password', 'b', '--tunnels', '0']),
      runCli(['ctl', 'frobnicate']),
      runCli(['no-such-command']),
    ]);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
  }, 40_000);

  it('runtime failures exit 1: no LNS answering, no control socket', async () => {
    const dir = tempDir();
    const [lac, ctl] = await Promise.all([
      runCli(['lac', '--server', '127.0.0.1:9', '--user', 'a', '--password', 'b', '--timeout', '2', '--json']),
      runCli(['ctl', '--control', join(dir, 'nothing.sock'), 'status']),
    ]);
    expect(lac.code).toBe(1);
    expect(JSON.parse(lac.stdout)).toMatchObject({ ok: false });
    expect(ctl.code).toBe(1);
    expect(ctl.stderr).toMatch(/ENOENT|nothing\.sock/);
  }, 40_000);
});
