// End to end through real processes: a running `l2tp-ts lns` driven by `l2tp-ts ctl`, SIGHUP
// reloading chap-secrets with sessions kept, and SIGTERM sending StopCCN and exiting 0.
// Related: test/e2e/cli-process.ts, src/cli/lns.ts, src/cli/ctl.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runCli, runLac, spawnCli, startLns, tempDir } from './cli-process.js';

afterEach(cleanupProcesses);

interface SessionRow {
  tunnelId: number;
  sessionId: number;
  user?: string;
  address?: string;
  state: string;
}

/** A LAC that holds its session for a minute (text output, so its log lines can be awaited). */
function holdingLac(port: number, user: string, password: string) {
  return spawnCli(['lac', '--server', `127.0.0.1:${port}`, '--user', user, '--password', password, '--hold', '60']);
}

describe('a running l2tp-ts lns', () => {
  it('ctl sessions/status list the session with user and address; ctl disconnect clears it (CDN)', async () => {
    const lns = await startLns(['--userspace', '--user', 'alice:s3cret']);
    const lac = holdingLac(lns.port, 'alice', 's3cret');
    await lac.waitFor(/session \d+\/\d+ up: 10\.1\.20\.31/);
    await lns.proc.waitFor(/up: user alice address 10\.1\.20\.31/);

    const [json, table, status, tunnels] = await Promise.all([
      lns.ctl('sessions'),
      runCli(['ctl', '--control', lns.control, 'sessions']),
      lns.ctl('status'),
      lns.ctl('tunnels'),
    ]);
    expect(tunnels).toEqual([
      expect.objectContaining({ peerHostName: 'l2tp-ts-lac', state: 'established', sessions: 1 }),
    ]);
    const rows = json as SessionRow[];
    expect(rows).toEqual([expect.objectContaining({ user: 'alice', address: '10.1.20.31', state: 'up' })]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/alice\s+10\.1\.20\.31\s+up/);
    expect(status).toMatchObject({ tunnels: 1, sessions: 1, addressesInUse: 1 });

    const { tunnelId, sessionId } = rows[0]!;
    expect(await lns.ctl('disconnect', String(tunnelId), String(sessionId))).toEqual({
      disconnected: { tunnel: tunnelId, session: sessionId },
    });
    await lac.waitFor(/session \d+\/\d+ down/);
    expect(await lns.status()).toMatchObject({ sessions: 0, addressesInUse: 0 });
    // An unknown session is an error (exit 1), not a crash.
    const missing = await runCli(['ctl', '--control', lns.control, 'disconnect', String(tunnelId), '1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no session/);
    // Clearing the whole tunnel sends StopCCN (result 1, RFC 2661 §4.4.2).
    expect(await lns.ctl('disconnect', String(tunnelId))).toEqual({ disconnected: { tunnel: tunnelId } });
    await lac.waitFor(/tunnel \d+ down: result 1/);
    expect(await lns.status()).toMatchObject({ tunnels: 0 });
  }, 40_000);

  it('SIGHUP reloads chap-secrets and keeps the session; SIGTERM sends StopCCN and exits 0 within 5 s', async () => {
    const dir = tempDir({
      options: 'require-mschap-v2\nms-dns 192.168.1.1\nmtu 1400\nmru 1400\nlcp-echo-interval 1\nlcp-echo-failure 2\n',
      'chap-secrets': '# client server secret addresses\nalice * s3cret *\n',
    });
    const conf = join(dir, 'xl2tpd.conf');
    writeFileSync(
      conf,
      '[global]\nport = 1701\n\n[lns default]\nip range = 10.1.20.31-10.1.20.50\nlocal ip = 10.1.20.30\n' +
        `require chap = yes\nrefuse pap = yes\nname = vpn\npppoptfile = ${join(dir, 'options')}\n`,
    );
    const lns = await startLns(['--config', conf, '--chap-secrets', join(dir, 'chap-secrets'), '--userspace']);
    const alice = holdingLac(lns.port, 'alice', 's3cret');
    await alice.waitFor(/session \d+\/\d+ up: 10\.1\.20\.31/);

    const before = await runLac(lns.port, ['--user', 'bob', '--password', 'hunter2']);
    expect(before.code).toBe(1);

    // A broken file is refused with its file:line and the old secrets stay.
    const secrets = join(dir, 'chap-secrets');
    writeFileSync(secrets, 'alice * s3cret *\nbob vpn hunter2 10.1.20.999\n');
    process.kill(lns.proc.pid, 'SIGHUP');
    await lns.proc.waitFor(new RegExp(`SIGHUP: reload failed, keeping the old secrets: .*${secrets}:2`));

    writeFileSync(secrets, 'alice * s3cret *\nbob vpn hunter2 *\n');
    process.kill(lns.proc.pid, 'SIGHUP');
    await lns.proc.waitFor(/SIGHUP: reloaded 2 users/);
    const after = await runLac(lns.port, ['--user', 'bob', '--password', 'hunter2', '--ping']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.summary?.sessions[0]).toMatchObject({ address: '10.1.20.32', pingOk: true });
    // alice's session survived the reload.
    expect(alice.stdout()).not.toMatch(/down/);
    const rows = (await lns.ctl('sessions')) as SessionRow[];
    expect(rows).toEqual([expect.objectContaining({ user: 'alice', address: '10.1.20.31', state: 'up' })]);

    const t0 = Date.now();
    process.kill(lns.proc.pid, 'SIGTERM');
    // RFC2661-5.7: StopCCN reaches the LAC, which reports the tunnel down with the LNS's result code.
    await alice.waitFor(/tunnel \d+ down: result 6/, 5_000);
    expect(await lns.proc.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    // The LAC stops holding once its only tunnel is gone; its session was up, so it exits 0.
    expect(await alice.exited).toBe(0);
    expect(lns.proc.stdout()).toMatch(/SIGTERM: sending StopCCN/);
  }, 45_000);
});
