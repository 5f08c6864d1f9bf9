// End to end through real processes: the seed's configuration files (--check, and a login with
// the seed's static-address user), and the exit codes: 2 for bad configurations and flags (with
// file:line), 1 for runtime failures. Related: test/e2e/cli-process.ts, src/cli/main.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runCli, runLac, startLns, tempDir } from './cli-process.js';

afterEach(cleanupProcesses);

/** A JSON config (the LnsSettings keys) in a temp dir; returns its path. */
function jsonConfig(settings: Record<string, unknown>): string {
  const file = join(tempDir(), 'lns.json');
  writeFileSync(file, JSON.stringify(settings));
  return file;
}

const SEED = 'test/vectors/config';

describe('l2tp-ts configuration and exit codes', () => {
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

  it("without any configuration the LNS runs on the seed's defaults with a demo user whose password it prints", async () => {
    const lns = await startLns([]);
    const m = await lns.proc.waitFor(/demo user: demo {2}password: (\S+)/);
    await lns.proc.waitFor(/userspace mode\); pool 10\.1\.20\.31-10\.1\.20\.50, local ip 10\.1\.20\.30, auth mschapv2/);
    const r = await runLac(lns.port, ['--user', 'demo', '--password', m[1]!, '--ping']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary?.sessions[0]).toMatchObject({ auth: 'mschapv2', address: '10.1.20.31', dns: ['192.168.1.1'] });
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
      runCli(['lns', '--ipv6-pool', '2001:db8::/70', '--check']),
      runCli(['lns', '--ipv6-pool', 'not-a-prefix', '--check']),
    ]);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
    expect(results.at(-2)?.stderr).toContain('--ipv6-pool: IPv6 pool must be a /32 to a /63');
    // a good one turns IPv6CP on, as +ipv6 in the options file does
    const ok = await runCli(['lns', '--ipv6-pool', '2001:db8:5::/48', '--check']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ipv6: true, ipv6Pool: '2001:db8:5::/48' });
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
