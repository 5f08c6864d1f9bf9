// Dynamic authorization (RFC 5176) on a running LNS, driven by FreeRADIUS's own `radclient`: a
// Disconnect-Request ends a session (Disconnect-ACK, Stop with Admin-Reset), an unknown session gets
// Disconnect-NAK with Error-Cause, requests without Message-Authenticator or from an unlisted address
// are ignored, and a CoA-Request's Session-Timeout ends the session when it says.
// Related: test/radius/dae-server.test.ts (the checks, in-process), src/io/dae-listener.ts.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLac, type LacClient } from '../../src/io/create-lac.js';
import { createLns, type LnsServer } from '../../src/io/create-lns.js';
import { encodeRequest } from '../../src/radius/wire/authenticators.js';
import { Attr, Code } from '../../src/radius/wire/dictionary.js';
import { makeAttribute } from '../../src/radius/wire/values.js';
import { cleanupProcesses, runCli, spawnCli, startLns, tempDir } from '../e2e/cli-process.js';
import { type Freeradius, freeradiusSkipReason, freeUdpPorts, startFreeradius } from '../support/freeradius.js';

const RADCLIENT = '/usr/bin/radclient';
const skip =
  freeradiusSkipReason() ?? (existsSync(RADCLIENT) ? undefined : `${RADCLIENT} is not installed (freeradius-utils)`);
const SECRET = 'l2t-dae-auth';
const DAE_SECRET = 'l2t-dae-coa';

/**
 * radclient's output for one request (stdin: attribute lines), with a 1 s timeout and no retry. Run
 * asynchronously: the LNS answering it lives in this process.
 */
function radclient(
  port: number,
  kind: 'disconnect' | 'coa',
  lines: readonly string[],
  secret = DAE_SECRET,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(RADCLIENT, ['-x', '-r', '1', '-t', '1', `127.0.0.1:${port}`, kind, secret]);
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      out += String(d);
    });
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

const stamped = (lines: readonly string[]) => [
  ...lines,
  `Event-Timestamp = ${Math.floor(Date.now() / 1000)}`,
  'Message-Authenticator = 0x00',
];

describe.skipIf(skip !== undefined)(
  `RADIUS DAE with radclient ${skip === undefined ? '' : `(skipped: ${skip})`}`,
  () => {
    let radius: Freeradius;
    let lns: LnsServer;
    let daePort: number;

    beforeAll(async () => {
      radius = await startFreeradius({
        secret: SECRET,
        users: [
          { name: 'dave', password: 'dave-pw' },
          { name: 'erin', password: 'erin-pw' },
        ],
      });
      daePort = (await freeUdpPorts(1))[0]!;
      lns = await createLns({
        port: 0,
        auth: ['chap'],
        radius: {
          authServers: [{ host: '127.0.0.1', port: radius.authPort, secret: SECRET }],
          acctServers: [{ host: '127.0.0.1', port: radius.acctPort, secret: SECRET }],
          timeoutMs: 2000,
          retries: 2,
          nasIdentifier: 'l2tp-ts-dae',
          dae: { address: '127.0.0.1', port: daePort!, clients: [{ host: 'localhost', secret: DAE_SECRET }] },
        },
      });
    });
    afterAll(async () => {
      await lns?.close();
      await radius?.stop();
    });

    async function login(user: string): Promise<{ lac: LacClient; sessionId: number }> {
      const lac = await createLac({ server: { address: '127.0.0.1', port: lns.port }, user, password: `${user}-pw` });
      const [up] = await Promise.all([
        lns.waitFor('session-up', (e) => e.user === user, 10_000),
        lac.waitFor('session-up', undefined, 10_000),
      ]);
      return { lac, sessionId: up.sessionId };
    }

    it('RFC5176-3: Disconnect-Request by User-Name → Disconnect-ACK, the session ends, Stop says Admin-Reset', async () => {
      const { lac, sessionId } = await login('dave');
      try {
        const down = lns.waitFor('session-down', (e) => e.sessionId === sessionId, 10_000);
        const lacDown = lac.waitFor('session-down', undefined, 10_000);
        const out = await radclient(
          daePort,
          'disconnect',
          stamped(['User-Name = "dave"', 'NAS-Identifier = "l2tp-ts-dae"']),
        );
        expect(out).toMatch(/Received Disconnect-ACK/);
        expect((await down).reason).toMatch(/administrative/i);
        await lacDown;
        const until = Date.now() + 5000;
        while (!/Acct-Terminate-Cause = Admin-Reset/.test(radius.detail()) && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(radius.detail()).toMatch(/Acct-Terminate-Cause = Admin-Reset/);
      } finally {
        await lac.close();
      }
    }, 30_000);

    it('RFC5176-3.5: an unknown session → Disconnect-NAK with Error-Cause Session-Context-Not-Found', async () => {
      const out = await radclient(daePort, 'disconnect', stamped(['User-Name = "nobody"']));
      expect(out).toMatch(/Received Disconnect-NAK/);
      expect(out).toMatch(/Error-Cause = Session-Context-Not-Found/);
    });

    it('RFC5176-3.4: without Message-Authenticator, or with another secret, the request is ignored', async () => {
      const unsigned = await radclient(daePort, 'disconnect', [
        'User-Name = "nobody"',
        `Event-Timestamp = ${Math.floor(Date.now() / 1000)}`,
      ]);
      expect(unsigned).toMatch(/No reply/);
      expect(unsigned).not.toMatch(/Received/);
      const wrong = await radclient(daePort, 'disconnect', stamped(['User-Name = "nobody"']), 'not-the-secret');
      expect(wrong).toMatch(/No reply/);
    }, 20_000);

    it('RFC5176-2.3: a signed request from an unlisted address gets no answer', async () => {
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.2', () => r()));
      try {
        const answered = new Promise<boolean>((resolve) => {
          sock.once('message', () => resolve(true));
          setTimeout(() => resolve(false), 1000);
        });
        const bytes = encodeRequest(
          {
            code: Code.DisconnectRequest,
            identifier: 1,
            authenticator: new Uint8Array(16),
            attributes: [
              makeAttribute(Attr.UserName, 'nobody'),
              makeAttribute(Attr.EventTimestamp, Math.floor(Date.now() / 1000)),
            ],
          },
          DAE_SECRET,
        );
        sock.send(bytes, daePort, '127.0.0.1');
        expect(await answered).toBe(false);
      } finally {
        sock.close();
      }
    });

    it('RFC5176-3: CoA-Request with Session-Timeout = 1 → CoA-ACK, and the session ends a second later', async () => {
      const { lac, sessionId } = await login('erin');
      try {
        const down = lns.waitFor('session-down', (e) => e.sessionId === sessionId, 10_000);
        const out = await radclient(daePort, 'coa', stamped(['User-Name = "erin"', 'Session-Timeout = 1']));
        expect(out).toMatch(/Received CoA-ACK/);
        expect((await down).reason).toContain('session-timeout');
      } finally {
        await lac.close();
      }
    }, 30_000);
  },
);

describe.skipIf(skip !== undefined)(
  `l2tp-ts lns --radius-dae ${skip === undefined ? '' : `(skipped: ${skip})`}`,
  () => {
    let radius: Freeradius;
    beforeAll(async () => {
      radius = await startFreeradius({ secret: SECRET, users: [{ name: 'frank', password: 'frank-pw' }] });
    });
    afterAll(async () => {
      await cleanupProcesses();
      await radius?.stop();
    });

    it('the CLI listens where the flag says, takes its clients from the RADIUS settings and logs each answer once', async () => {
      const port = (await freeUdpPorts(1))[0]!;
      const dir = tempDir({
        'lns.json': JSON.stringify({
          radius: {
            authServers: [{ host: '127.0.0.1', port: radius.authPort, secret: SECRET }],
            daeClients: [{ host: '127.0.0.1', secret: DAE_SECRET }],
          },
        }),
      });
      const lns = await startLns([
        '--json-config',
        join(dir, 'lns.json'),
        '--userspace',
        '--radius-dae',
        `127.0.0.1:${port}`,
      ]);
      const lac = spawnCli([
        'lac',
        '--server',
        `127.0.0.1:${lns.port}`,
        '--user',
        'frank',
        '--password',
        'frank-pw',
        '--hold',
        '60',
      ]);
      await lns.proc.waitFor(/up: user frank/, 10_000).catch((e) => {
        throw new Error(`${String(e)}\n${lns.proc.stdout()}${lns.proc.stderr()}\n${lac.stdout()}${lac.stderr()}`);
      });
      expect(await radclient(port, 'disconnect', stamped(['User-Name = "frank"']))).toMatch(/Received Disconnect-ACK/);
      await lns.proc.waitFor(/RADIUS Disconnect-Request from 127\.0\.0\.1:\d+ for .*frank.*: ACK \(1 session\(s\)\)/);
      await lns.proc.waitFor(/down: user frank/);
      // Without RADIUS the flag is a usage error, not a silent no-op.
      const r = await runCli(['lns', '--userspace', '--port', '0', '--radius-dae', '127.0.0.1:3799'], 10_000);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--radius-dae needs RADIUS/);
    }, 40_000);
  },
);
