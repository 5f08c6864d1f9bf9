// Issue 12 item 3 through real processes: `l2tp-ts lns --log-format json` with LAC sessions
// (MS-CHAPv2 with a tunnel secret and hidden AVPs, CHAP, PAP, a failed login), every debug key on,
// pppd `dump` and `logfile`: every line of stdout, stderr and the log file parses as JSON and carries
// the fields docs/LOGS.md lists for its event; the log file holds the very lines of both streams;
// peer-controlled strings (a Host Name with a newline and quotes, a user name with quotes) come out
// intact as JSON strings; and no password, tunnel secret or RADIUS secret appears anywhere.
// Related: src/cli/log-events.ts, src/cli/logger.ts, test/support/log-schema.ts, docs/LOGS.md.
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest } from '../../src/radius/wire/authenticators.js';
import { Attr, Code } from '../../src/radius/wire/dictionary.js';
import { makeAttribute } from '../../src/radius/wire/values.js';
import { freeUdpPorts } from '../support/freeradius.js';
import { checkLogLine } from '../support/log-schema.js';
import { cleanupProcesses, type RunningLns, runLac, startLns, tempDir, waitUntil } from './cli-process.js';

afterEach(cleanupProcesses);

/** Every line of a stream, parsed and checked against the catalogue. */
function parsed(text: string): Record<string, unknown>[] {
  const lines = text.split('\n');
  expect(lines.pop()).toBe(''); // every line ends with a newline, nothing half-written at exit
  return lines.map((l) => {
    const { obj, problems } = checkLogLine(l);
    expect(problems, l).toEqual([]);
    return obj;
  });
}

async function stop(lns: RunningLns): Promise<void> {
  process.kill(lns.proc.pid, 'SIGTERM');
  expect(await lns.proc.exited).toBe(0);
}

describe('l2tp-ts lns --log-format json', () => {
  it('sessions, a failed login, SIGHUP and SIGTERM: every line documented, the log file the same lines, no secret', async () => {
    const secrets = {
      alice: 'Pw-Alice-7Qx1',
      bob: 'Pw-Bob-3Zr8',
      carol: 'Pw-Carol-9Lk2',
      tunnel: 'Tunnel-Secret-5Hv4',
      wrong: 'Wrong-Guess-2Mn6',
    };
    const dir = tempDir();
    const logFile = join(dir, 'lns.log');
    const config = join(dir, 'lns.json');
    writeFileSync(
      config,
      JSON.stringify({
        users: { alice: secrets.alice, bob: secrets.bob, carol: secrets.carol },
        tunnelSecrets: [{ secret: secrets.tunnel }],
        authMethods: ['mschapv2', 'chap', 'pap'],
        pppDebug: true,
        debug: { avp: true, packet: true, network: true, tunnel: true, state: true },
        dump: true,
        logFile,
      }),
    ); // mode 0644: the group/world-access warning comes on stderr, as JSON
    const lns = await startLns(['--json-config', config, '--userspace', '--log-format', 'json'], dir);
    const host = 'evil\n{"event":"session-up","user":"admin"} "quoted"';
    const dials = [
      ['--user', 'alice', '--password', secrets.alice, '--secret', secrets.tunnel, '--hidden', '--host-name', host],
      ['--user', 'bob', '--password', secrets.bob, '--auth', 'chap', '--ping'],
      ['--user', 'carol', '--password', secrets.carol, '--auth', 'pap'],
    ];
    for (const args of dials) {
      const r = await runLac(lns.port, args);
      expect(r.code, r.stderr).toBe(0);
    }
    const mallory = 'mal"lory\\", "level":"info';
    const failed = await runLac(lns.port, ['--user', mallory, '--password', secrets.wrong, '--timeout', '10']);
    expect(failed.code).not.toBe(0);
    await waitUntil(async () => (await lns.status()).tunnels === 0, 10_000, 'the tunnels to close');
    process.kill(lns.proc.pid, 'SIGHUP');
    await lns.proc.waitFor(/SIGHUP: reloaded 3 users/);
    await stop(lns);

    const stdout = parsed(lns.proc.stdout());
    const stderr = parsed(lns.proc.stderr());
    const file = readFileSync(logFile, 'utf8');
    parsed(file);
    // The same lines, stdout's and stderr's, in the file.
    expect(file.trimEnd().split('\n').sort()).toEqual(
      [...lns.proc.stdout().trimEnd().split('\n'), ...lns.proc.stderr().trimEnd().split('\n')].sort(),
    );

    expect(new Set(stderr.map((o) => o.event))).toEqual(new Set(['warning', 'notice'])); // notice: exclusive
    expect(stderr.map((o) => o.msg).join('\n')).toMatch(/has world and\/or group access/);
    const events = new Set(stdout.map((o) => o.event));
    for (const e of [
      'listening',
      'dump',
      'dump-secrets',
      'tunnel-up',
      'session-started',
      'session-up',
      'session-down',
      'tunnel-down',
      'auth-failed',
      'ppp-debug',
      'l2tp-debug',
      'reload',
      'stopping',
    ]) {
      expect(events, e).toContain(e);
    }
    const of = (event: string) => stdout.filter((o) => o.event === event);
    expect(of('listening')[0]).toMatchObject({ level: 'info', listenAddress: '127.0.0.1', port: lns.port });
    expect(of('session-up').map((o) => o.user)).toEqual(['alice', 'bob', 'carol']);
    for (const up of of('session-up')) {
      expect(up).toMatchObject({
        tunnelId: expect.any(Number),
        sessionId: expect.any(Number),
        peer: { address: '127.0.0.1', port: expect.any(Number) },
        address: expect.stringMatching(/^10\.1\.20\./),
        localAddress: '10.1.20.30',
      });
    }
    // Peer-controlled strings: intact in their fields, escaped in msg, never a line of their own.
    expect(of('tunnel-up').map((o) => o.peerHostName)).toContain(host);
    expect(of('tunnel-up').find((o) => o.peerHostName === host)?.msg).toContain('(host evil\\x0a{"event"');
    expect(of('auth-failed')[0]).toMatchObject({ level: 'warn', user: mallory });
    expect(of('session-up').some((o) => o.user === 'admin')).toBe(false);
    expect(new Set(of('l2tp-debug').map((o) => o.debugKey))).toEqual(
      new Set(['avp', 'packet', 'network', 'tunnel', 'state']),
    );
    expect(of('dump-secrets')[0]).toMatchObject({ users: 3, tunnelSecrets: 1 });
    expect(of('reload')[0]).toMatchObject({ users: 3, tunnelSecrets: 1 });

    const everything = lns.proc.stdout() + lns.proc.stderr() + file;
    for (const [what, secret] of Object.entries(secrets)) expect(everything, what).not.toContain(secret);
  }, 90_000);

  it('a RADIUS server and a DAE client with secrets: radius lines documented, the secrets never written', async () => {
    const secrets = { radius: 'Radius-Secret-4Ty7', dae: 'Dae-Secret-8Wq3', carol: 'Pw-Carol-1Xz5' };
    const [deadRadius, daePort] = await freeUdpPorts(2);
    const dir = tempDir({
      'lns.json': JSON.stringify({
        radius: {
          authServers: [{ host: '127.0.0.1', port: deadRadius, secret: secrets.radius }],
          timeoutMs: 200,
          retries: 1,
          dae: `127.0.0.1:${daePort}`,
          daeClients: [{ host: '127.0.0.1', secret: secrets.dae }],
        },
        authMethods: ['pap'],
        dump: true,
      }),
    });
    const lns = await startLns(['--json-config', join(dir, 'lns.json'), '--userspace', '--log-format', 'json'], dir);
    const r = await runLac(lns.port, [
      '--user',
      'carol',
      '--password',
      secrets.carol,
      '--auth',
      'pap',
      '--timeout',
      '10',
    ]);
    expect(r.code).not.toBe(0); // nobody answers RADIUS
    await lns.proc.waitFor(/"event":"radius-server-down"/);

    // A signed Disconnect-Request naming a user with a newline and quotes: NAK, logged once.
    const name = 'x\ny"z';
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
    const answered = new Promise<void>((res) => sock.once('message', () => res()));
    const request = encodeRequest(
      {
        code: Code.DisconnectRequest,
        identifier: 1,
        authenticator: new Uint8Array(16),
        attributes: [
          makeAttribute(Attr.UserName, name),
          makeAttribute(Attr.EventTimestamp, Math.floor(Date.now() / 1000)),
        ],
      },
      secrets.dae,
    );
    sock.send(request, daePort!, '127.0.0.1');
    await answered;
    sock.close();
    await lns.proc.waitFor(/"event":"radius-dae"/);
    await stop(lns);

    const stdout = parsed(lns.proc.stdout());
    parsed(lns.proc.stderr());
    const of = (event: string) => stdout.filter((o) => o.event === event);
    expect(of('radius-server-down')[0]).toMatchObject({
      level: 'warn',
      server: { address: '127.0.0.1', port: deadRadius },
    });
    expect(of('radius-dae')).toEqual([
      expect.objectContaining({
        peer: { address: '127.0.0.1', port: expect.any(Number) },
        daeRequest: 'disconnect',
        select: { userName: name },
        ok: false,
        errorCause: expect.any(Number),
      }),
    ]);
    expect(of('auth-failed')[0]).toMatchObject({ user: 'carol' });
    expect(JSON.stringify(of('dump').find((o) => o.key === 'radius')?.value)).toMatch(/"secret":"\*\*\*"/);
    const everything = lns.proc.stdout() + lns.proc.stderr();
    for (const [what, secret] of Object.entries(secrets)) expect(everything, what).not.toContain(secret);
  }, 60_000);
});
