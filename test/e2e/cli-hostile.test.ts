// Issue 9, through a real `l2tp-ts lns` process: a Host Name with a newline cannot forge a log
// line, garbage datagrams become one summary line instead of one line each, a closed stdout
// (EPIPE) does not stop the LNS in either log format, SIGHUP with chap-secrets missing keeps the old users, --check
// never prints a secret (not even one with an escaped quote), and firewall --name refuses
// anything but [A-Za-z0-9_-]. Related: src/cli/lns.ts, src/cli/log-text.ts, test/e2e/cli-process.ts.
import { createSocket } from 'node:dgram';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runCli, runLac, spawnCli, startLns, tempDir, waitUntil } from './cli-process.js';

afterEach(cleanupProcesses);

async function spray(port: number, count: number): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', res));
  for (let i = 0; i < count; i++) {
    // A control message (T, L, S, version 2; length 12) for a tunnel that does not exist, and a 3-byte runt.
    const d =
      i % 2 === 0 ? Buffer.from([0xc8, 0x02, 0x00, 0x0c, 0x12, 0x34, 0, 0, 0, 0, 0, 0]) : Buffer.from([1, 2, 3]);
    await new Promise<void>((res) => s.send(d, port, '127.0.0.1', () => res()));
  }
  s.close();
}

describe('l2tp-ts lns against hostile input and a hostile environment', () => {
  it('escapes a Host Name that carries a newline; summarises dropped datagrams in one line', async () => {
    const lns = await startLns(['--userspace', '--user', 'alice:s3cret']);
    const forged = 'evil\nsession 9/9 up: user admin address 10.9.9.9 (local 10.1.20.30)';
    const r = await runLac(lns.port, ['--user', 'alice', '--password', 's3cret', '--host-name', forged]);
    expect(r.code, r.stderr).toBe(0);
    await lns.proc.waitFor(/host evil\\x0asession 9\/9/);
    expect(lns.proc.stdout()).not.toMatch(/^session 9\/9 up/m);

    await spray(lns.port, 200);
    await waitUntil(async () => (await lns.status()).tunnels === 0, 10_000);
    process.kill(lns.proc.pid, 'SIGTERM');
    expect(await lns.proc.exited).toBe(0);
    const out = lns.proc.stdout();
    expect(out).not.toMatch(/^dropped datagram from/m);
    const summary = out.split('\n').filter((l) => l.startsWith('dropped '));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatch(/^dropped 200 datagram\(s\) from 1 source\(s\)/);
  }, 40_000);

  it.each(['text', 'json'])(
    'keeps serving after its stdout is closed (EPIPE), --log-format %s',
    async (format) => {
      const lns = await startLns(['--userspace', '--user', 'alice:s3cret', '--log-format', format]);
      lns.proc.child.stdout!.destroy();
      for (let i = 0; i < 3; i++) {
        const r = await runLac(lns.port, ['--user', 'alice', '--password', 's3cret', '--ping']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.summary?.sessions[0]?.pingOk).toBe(true);
      }
      expect(await lns.status()).toMatchObject({ sessions: expect.any(Number) });
      expect(lns.proc.child.exitCode).toBeNull();
      // Told once, on stderr, in the log's form.
      await lns.proc.waitFor(/warning: stdout: EPIPE; its log lines are dropped from now on/);
      const told = lns.proc
        .stderr()
        .split('\n')
        .filter((l) => l.includes('stdout: EPIPE'));
      expect(told).toHaveLength(1);
      if (format === 'json') expect(JSON.parse(told[0]!)).toMatchObject({ event: 'warning', level: 'warn' });
      process.kill(lns.proc.pid, 'SIGTERM');
      expect(await lns.proc.exited).toBe(0);
    },
    60_000,
  );

  it.each(['text', 'json'])(
    'a stdout reader that stops reading neither stalls the LNS nor grows its memory: lines beyond 1 MiB are dropped and counted (%s)',
    async (format) => {
      const dir = tempDir({
        'lns.json': JSON.stringify({
          users: { alice: 's3cret' },
          poolRanges: ['10.1.0.1-10.1.3.250'],
          pppDebug: true,
          debug: { avp: true, packet: true, network: true, tunnel: true, state: true },
        }),
      });
      const lns = await startLns(['--json-config', join(dir, 'lns.json'), '--userspace', '--log-format', format], dir);
      lns.proc.child.stdout!.pause(); // the pipe fills up: the LNS meets EAGAIN
      // 400 sessions of debug lines (~3 MB as text, ~6 MB as JSON) while nobody reads: all come up.
      const many = ['--tunnels', '4', '--sessions', '100'];
      const r = await runLac(lns.port, ['--user', 'alice', '--password', 's3cret', ...many]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.summary?.sessions.filter((x) => x.address !== undefined)).toHaveLength(400);
      lns.proc.child.stdout!.resume();
      const after = await runLac(lns.port, ['--user', 'alice', '--password', 's3cret']);
      expect(after.code, after.stderr).toBe(0);
      // The note comes with the first line written once the backlog has room: SIGHUP until then.
      const noted = /log: \d+ line\(s\) dropped \(stdout backlog full or failing\)/;
      await waitUntil(
        () => {
          if (noted.test(lns.proc.stdout())) return true;
          process.kill(lns.proc.pid, 'SIGHUP'); // one reload line each
          return false;
        },
        20_000,
        'the dropped-lines note',
      );
      process.kill(lns.proc.pid, 'SIGTERM');
      expect(await lns.proc.exited).toBe(0);
      const lines = lns.proc.stdout().trimEnd().split('\n');
      // Whole lines are dropped, never parts of one.
      if (format === 'json') for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
      const note = lines.find((l) => l.includes('line(s) dropped'))!;
      const dropped = Number(/log: (\d+) line/.exec(note)?.[1]);
      expect(dropped).toBeGreaterThan(0);
      if (format === 'json') expect(JSON.parse(note)).toMatchObject({ event: 'log-dropped', level: 'warn', dropped });
    },
    90_000,
  );

  it('a stdout reader that never reads again cannot hold the exit: SIGTERM gives queued lines 2 s, then exit 0', async () => {
    const dir = tempDir({
      'lns.json': JSON.stringify({
        users: { alice: 's3cret' },
        poolRanges: ['10.1.0.1-10.1.3.250'],
        pppDebug: true,
        debug: { avp: true, packet: true, network: true, tunnel: true, state: true },
      }),
    });
    const lns = await startLns(['--json-config', join(dir, 'lns.json'), '--userspace', '--log-format', 'json'], dir);
    lns.proc.child.stdout!.pause();
    const r = await runLac(lns.port, [
      '--user',
      'alice',
      '--password',
      's3cret',
      '--tunnels',
      '4',
      '--sessions',
      '100',
    ]);
    expect(r.code, r.stderr).toBe(0);
    process.kill(lns.proc.pid, 'SIGTERM'); // 1 MiB queued behind a full pipe, and nobody reads
    expect(await lns.proc.exited).toBe(0);
  }, 60_000);

  it('SIGHUP with chap-secrets gone fails the reload, keeps the old users, then takes the restored file', async () => {
    const dir = tempDir({
      options: 'require-mschap-v2\nmtu 1400\nmru 1400\n',
      'chap-secrets': 'alice * s3cret *\n',
    });
    const conf = join(dir, 'xl2tpd.conf');
    writeFileSync(
      conf,
      '[lns default]\nip range = 10.1.20.31-10.1.20.50\nlocal ip = 10.1.20.30\n' +
        `require chap = yes\nrefuse pap = yes\npppoptfile = ${join(dir, 'options')}\n`,
    );
    const secrets = join(dir, 'chap-secrets');
    const lns = await startLns(['--config', conf, '--chap-secrets', secrets, '--userspace']);
    renameSync(secrets, `${secrets}.bak`);
    process.kill(lns.proc.pid, 'SIGHUP');
    await lns.proc.waitFor(/SIGHUP: reload failed, keeping the old secrets: .*cannot read chap-secrets: ENOENT/);
    const r = await runLac(lns.port, ['--user', 'alice', '--password', 's3cret']);
    expect(r.code, r.stderr).toBe(0);
    // Restored with a bad line: the reload succeeds and the warning is logged.
    writeFileSync(secrets, 'alice * s3cret *\nbroken\n');
    process.kill(lns.proc.pid, 'SIGHUP');
    await lns.proc.waitFor(/SIGHUP: reloaded 1 users/);
    expect(lns.proc.stdout()).toMatch(/SIGHUP: warning: .*chap-secrets:2/);
  }, 40_000);

  it('--check redacts every secret, also one with an escaped quote; warnings never print one', async () => {
    const dir = tempDir({
      'l2tp.json': JSON.stringify({
        users: { alice: 'Zq"Xj\\"Yw' },
        tunnelSecrets: [{ us: '*', them: '*', secret: 'Kv"Pn' }],
      }),
      'l2tp-secrets': '* * tunnelsecret\nhalf-a-line-with-SECRETVALUE\n',
      'xl2tpd.conf': '[lns default]\nip range = 10.0.0.2-10.0.0.9\nlocal ip = 10.0.0.1\n',
    });
    const json = await runCli(['lns', '--json-config', join(dir, 'l2tp.json'), '--check']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toMatch(/"secret": "\*\*\*"/);
    expect(json.stdout + json.stderr).not.toMatch(/Zq|Xj|Yw|Kv|Pn/);
    const conf = await runCli([
      'lns',
      '--config',
      join(dir, 'xl2tpd.conf'),
      '--auth-file',
      join(dir, 'l2tp-secrets'),
      '--check',
    ]);
    expect(conf.code, conf.stderr).toBe(0);
    expect(conf.stderr).toMatch(/l2tp-secrets:2: expected "us them secret", got 1 field; line ignored/);
    expect(conf.stdout + conf.stderr).not.toMatch(/SECRETVALUE|tunnelsecret/);
  }, 20_000);

  it("radiusclient.conf and its servers file get pppd's permission warning, the secrets never printed", async () => {
    const dir = tempDir({
      'radiusclient.conf': 'authserver 127.0.0.1:1\nservers servers\n',
      servers: '127.0.0.1 RADIUSSECRETVALUE\n',
      'chap-secrets': '',
    });
    const options = join(dir, 'options');
    writeFileSync(
      options,
      `require-mschap-v2\nplugin radius.so\nradius-config-file ${join(dir, 'radiusclient.conf')}\n`,
    );
    const conf = join(dir, 'xl2tpd.conf');
    writeFileSync(
      conf,
      `[lns default]\nip range = 10.1.20.31-10.1.20.50\nlocal ip = 10.1.20.30\npppoptfile = ${options}\n`,
    );
    chmodSync(join(dir, 'radiusclient.conf'), 0o644);
    chmodSync(join(dir, 'servers'), 0o640);
    chmodSync(join(dir, 'chap-secrets'), 0o600);
    const lns = spawnCli([
      'lns',
      '--config',
      conf,
      '--chap-secrets',
      join(dir, 'chap-secrets'),
      '--userspace',
      '--port',
      '0',
      '--no-control',
    ]);
    await lns.waitFor(/listening on/);
    const err = lns.stderr();
    expect(err).toContain(`Warning - secret file ${join(dir, 'radiusclient.conf')} has world and/or group access`);
    expect(err).toContain(`Warning - secret file ${join(dir, 'servers')} has world and/or group access`);
    expect(err).not.toContain(`secret file ${join(dir, 'chap-secrets')}`);
    expect(lns.stdout() + err).not.toContain('RADIUSSECRETVALUE');
  }, 20_000);

  it('firewall --name takes only [A-Za-z0-9_-] (exit 2), --user warns about argv', async () => {
    for (const name of ['x; flush ruleset', 'a b', '', 'x'.repeat(29)]) {
      const r = await runCli(['firewall', '--name', name]);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toMatch(/--name takes 1-28 of/);
    }
    expect((await runCli(['firewall', '--name', 'my_vpn-1'])).stdout).toMatch(/table inet my_vpn-1/);
    const lns = spawnCli(['lns', '--userspace', '--port', '0', '--no-control', '--user', 'a:b']);
    await lns.waitFor(/warning: --user puts passwords on the command line/);
  }, 20_000);
});
