// The ctl control socket: round trips, errors as values on the wire, stale socket files.
// Related: src/io/control-socket.ts.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ControlError,
  controlRequest,
  defaultControlPath,
  requireControlPath,
  serveControl,
} from '../../src/io/control-socket.js';

const dir = mkdtempSync(join(tmpdir(), 'l2tpts-ctl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('control socket', () => {
  it('round-trips requests to the handler, sync and async, concurrently', async () => {
    const path = join(dir, 'a.sock');
    const seen: string[] = [];
    const server = await serveControl(path, async (req) => {
      seen.push(req.cmd);
      if (req.cmd === 'slow') await new Promise((r) => setTimeout(r, 30));
      return { cmd: req.cmd, args: req.args };
    });
    try {
      expect(await controlRequest(path, { cmd: 'status' })).toEqual({ cmd: 'status', args: {} });
      expect(await controlRequest(path, { cmd: 'disconnect', args: { tunnel: 5, session: 7 } }, 2000)).toEqual({
        cmd: 'disconnect',
        args: { tunnel: 5, session: 7 },
      });
      const both = await Promise.all([controlRequest(path, { cmd: 'slow' }), controlRequest(path, { cmd: 'fast' })]);
      expect(both.map((r) => (r as { cmd: string }).cmd)).toEqual(['slow', 'fast']);
      expect(seen).toContain('status');
    } finally {
      await server.close();
    }
  });

  it('a handler failure reaches the client as ERR_L2TP_CONTROL_REMOTE with its message', async () => {
    const path = join(dir, 'b.sock');
    const server = await serveControl(path, (req) => {
      if (req.cmd === 'boom') throw new Error('no such tunnel 9');
      return undefined;
    });
    try {
      await expect(controlRequest(path, { cmd: 'boom' })).rejects.toMatchObject({
        code: 'ERR_L2TP_CONTROL_REMOTE',
        message: 'no such tunnel 9',
      });
      expect(await controlRequest(path, { cmd: 'void' })).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('answers malformed lines with ok:false, in request order, and keeps the connection usable', async () => {
    const path = join(dir, 'c.sock');
    const server = await serveControl(path, (req) => req.cmd);
    try {
      const lines = await new Promise<string[]>((resolve, reject) => {
        const s = createConnection(path);
        const got: string[] = [];
        let buf = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          buf += d;
          const parts = buf.split('\n');
          buf = parts.pop()!;
          got.push(...parts);
          if (got.length === 3) {
            s.destroy();
            resolve(got);
          }
        });
        s.on('error', reject);
        s.write('not json\n[1,2]\n{"cmd":"ping"}\n');
      });
      expect(JSON.parse(lines[0]!)).toMatchObject({ ok: false });
      expect(JSON.parse(lines[1]!)).toMatchObject({ ok: false });
      expect(JSON.parse(lines[2]!)).toEqual({ ok: true, result: 'ping' });
    } finally {
      await server.close();
    }
  });

  it('removes a stale socket file, refuses a live server and a non-socket file', async () => {
    const path = join(dir, 'd.sock');
    const first = await serveControl(path, () => 1);
    await expect(serveControl(path, () => 2)).rejects.toMatchObject({ code: 'ERR_L2TP_CONTROL_IN_USE' });
    expect(await controlRequest(path, { cmd: 'x' })).toBe(1);
    // A server killed without close() leaves its socket file behind; simulate with a child process.
    await first.close();
    const stale = join(dir, 'stale.sock');
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
      ],
      { timeout: 5000 },
    );
    expect(r.signal).toBe('SIGKILL');
    await expect(controlRequest(stale, { cmd: 'x' }, 1000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const second = await serveControl(stale, () => 3);
    expect(await controlRequest(stale, { cmd: 'x' })).toBe(3);
    await second.close();
    const file = join(dir, 'plain');
    writeFileSync(file, 'keep me');
    await expect(serveControl(file, () => 0)).rejects.toMatchObject({ code: 'ERR_L2TP_CONTROL_NOT_SOCKET' });
  });

  it('client errors: no server, and a server that never answers', async () => {
    await expect(controlRequest(join(dir, 'none.sock'), { cmd: 'x' }, 500)).rejects.toMatchObject({ code: 'ENOENT' });
    const path = join(dir, 'e.sock');
    const server = await serveControl(path, () => new Promise(() => {}));
    try {
      const err = await controlRequest(path, { cmd: 'hang' }, 100).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ControlError);
      expect((err as ControlError).code).toBe('ERR_L2TP_CONTROL_TIMEOUT');
    } finally {
      await server.close();
    }
  });

  it('default path: /run for root, a directory in XDG_RUNTIME_DIR, else in HOME, never a shared /tmp path', () => {
    expect(defaultControlPath({}, 0)).toBe('/run/l2tp-ts/control.sock');
    expect(defaultControlPath({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe('/run/user/1000/l2tp-ts/control.sock');
    expect(defaultControlPath({ HOME: '/home/ann' }, 1000)).toBe('/home/ann/.l2tp-ts/control.sock');
    expect(defaultControlPath({ XDG_RUNTIME_DIR: 'relative', HOME: '/' }, 1000)).toBeUndefined();
    expect(defaultControlPath({}, 1000)).toBeUndefined();
    expect(() => requireControlPath(undefined)).not.toThrow();
  });

  it('the socket is born 0600 and a world-writable, non-sticky or foreign directory is refused', async () => {
    const path = join(dir, 'f.sock');
    const server = await serveControl(path, () => 1);
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      await server.close();
    }
    const open = mkdtempSync(join(tmpdir(), 'l2tpts-ctl-open-'));
    try {
      chmodSync(open, 0o777);
      await expect(serveControl(join(open, 'x.sock'), () => 1)).rejects.toMatchObject({
        code: 'ERR_L2TP_CONTROL_UNSAFE_DIR',
      });
      const link = join(dir, 'link');
      symlinkSync(open, link);
      await expect(serveControl(join(link, 'x.sock'), () => 1)).rejects.toMatchObject({
        code: 'ERR_L2TP_CONTROL_UNSAFE_DIR',
      });
      chmodSync(open, 0o755);
      const tight = await serveControl(join(open, 'y.sock'), () => 1, { privateDirectory: true });
      expect(statSync(open).mode & 0o777).toBe(0o700);
      await tight.close();
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  });

  it.skipIf(process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0)(
    'refuses a connection from another uid (SO_PEERCRED), even with the file and directory opened up',
    async () => {
      const open = mkdtempSync(join(tmpdir(), 'l2tpts-ctl-uid-'));
      const path = join(open, 'u.sock');
      const refused: number[] = [];
      const server = await serveControl(path, () => 'secret-status', {
        allowedUids: [],
        onRefused: (uid) => refused.push(uid),
      });
      try {
        chmodSync(open, 0o755);
        chmodSync(path, 0o666);
        const client = `const s=require('node:net').createConnection(${JSON.stringify(path)});s.on('connect',()=>s.write('{"cmd":"status"}\\n'));let b='';s.on('data',(d)=>b+=d);s.on('close',()=>{process.stdout.write(b)});s.on('error',(e)=>process.stdout.write('error '+e.code))`;
        const child = spawn('setpriv', [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          '-e',
          client,
        ]);
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          out += d.toString();
        });
        await new Promise((resolve) => child.on('close', resolve));
        expect(out).toContain('permission denied for uid 65534');
        expect(out).not.toContain('secret-status');
        expect(refused).toEqual([65534]);
        // Root itself is always allowed.
        expect(await controlRequest(path, { cmd: 'status' })).toBe('secret-status');
      } finally {
        await server.close();
        rmSync(open, { recursive: true, force: true });
      }
    },
  );
});
