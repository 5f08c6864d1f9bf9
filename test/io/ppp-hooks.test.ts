// pppd's ip-up / ip-down as PppHooks runs them: real scripts in a temp directory write what they
// were given; the runner's rules (arguments, clean environment, ip-down after ip-up, the time bound
// on the whole process group, the concurrency bound, missing scripts skipped).
// Related: src/io/ppp-hooks.ts, test/e2e/hooks.test.ts (through `l2tp-ts lns --tun`).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type HookResult, type HookSession, type HookSession6, PppHooks } from '../../src/io/ppp-hooks.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'l2tp-ts-hooks-'));
  dirs.push(d);
  return d;
}

function script(d: string, name: string, body: string): string {
  const p = join(d, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

const SESSION: HookSession = {
  tunnelId: 7,
  sessionId: 9,
  ifname: 'l2tpts0',
  localAddress: '10.1.20.30',
  remoteAddress: '10.1.20.31',
  user: 'alice',
  dns: ['192.168.1.1', '192.168.1.2'],
  peer: '10.0.0.2:1701',
};

const SESSION6: HookSession6 = {
  tunnelId: 7,
  sessionId: 9,
  ifname: 'l2tpts0',
  localLinkLocal: 'fe80::1',
  peerLinkLocal: 'fe80::a8bb:ccff:fedd:eeff',
  prefix: '2001:db8:100:5::/64',
  user: 'alice',
  peer: '10.0.0.2:1701',
};

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PppHooks', () => {
  it("pppd(8) SCRIPTS: ip-up gets pppd's arguments and environment, in a clean environment", async () => {
    const d = dir();
    const out = join(d, 'up.txt');
    const up = script(d, 'ip-up', `{ echo "ARGS $*"; env | sort; } > '${out}'`);
    process.env.L2TP_TS_USERS = 'alice:very-secret';
    const results: HookResult[] = [];
    const hooks = new PppHooks({ ipUp: up, ipparam: 'office', onResult: (r) => results.push(r) });
    try {
      hooks.up(SESSION);
      await until(() => results.length === 1);
    } finally {
      delete process.env.L2TP_TS_USERS;
    }
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('ARGS l2tpts0 l2tp 0 10.1.20.30 10.1.20.31 office');
    for (const line of [
      'IFNAME=l2tpts0',
      'IPLOCAL=10.1.20.30',
      'IPREMOTE=10.1.20.31',
      'PEERNAME=alice',
      'DNS1=192.168.1.1',
      'DNS2=192.168.1.2',
      'IPPARAM=office',
      'SPEED=0',
      'L2TP_TUNNEL_ID=7',
      'L2TP_SESSION_ID=9',
      'L2TP_PEER=10.0.0.2:1701',
      `PPPD_PID=${process.pid}`,
    ]) {
      expect(text).toContain(`${line}\n`);
    }
    expect(text).not.toContain('very-secret');
    expect(text).not.toContain('L2TP_TS_USERS');
    expect(results[0]).toMatchObject({ status: 0, timedOut: false, tunnelId: 7, sessionId: 9 });
  });

  it('ip-down runs after its ip-up has finished (even a slow one), with CONNECT_TIME and the byte counters', async () => {
    const d = dir();
    const log = join(d, 'order.txt');
    const up = script(d, 'ip-up', `sleep 0.5; echo up >> '${log}'`);
    const down = script(d, 'ip-down', `echo "down $CONNECT_TIME $BYTES_SENT $BYTES_RCVD" >> '${log}'`);
    const results: HookResult[] = [];
    const hooks = new PppHooks({ ipUp: up, ipDown: down, onResult: (r) => results.push(r) });
    hooks.up(SESSION);
    hooks.down(SESSION, { bytesSent: 1234, bytesReceived: 5678 });
    await until(() => results.length === 2);
    expect(readFileSync(log, 'utf8')).toMatch(/^up\ndown 0 1234 5678\n$/);
  });

  it("ipv6-up / ipv6-down get pppd's arguments (link-local addresses) and LLLOCAL / LLREMOTE", async () => {
    const d = dir();
    const out = join(d, 'v6.txt');
    const up = script(d, 'ipv6-up', `{ echo "UP $*"; env | sort; } >> '${out}'`);
    const down = script(d, 'ipv6-down', `echo "DOWN $* $CONNECT_TIME $BYTES_SENT" >> '${out}'`);
    const results: HookResult[] = [];
    const hooks = new PppHooks({ ipv6Up: up, ipv6Down: down, ipparam: 'office', onResult: (r) => results.push(r) });
    hooks.up6(SESSION6);
    hooks.down6(SESSION6);
    hooks.down6(SESSION6); // a second down (IPv6CP closed, then the session) runs nothing more
    await until(() => results.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('UP l2tpts0 l2tp 0 fe80::1 fe80::a8bb:ccff:fedd:eeff office\n');
    for (const line of [
      'IFNAME=l2tpts0',
      'LLLOCAL=fe80::1',
      'LLREMOTE=fe80::a8bb:ccff:fedd:eeff',
      'L2TP_IPV6_PREFIX=2001:db8:100:5::/64',
      'PEERNAME=alice',
      'IPPARAM=office',
    ]) {
      expect(text).toContain(`${line}\n`);
    }
    expect(text).not.toContain('IPLOCAL=');
    expect(text).toMatch(/DOWN l2tpts0 l2tp 0 fe80::1 fe80::a8bb:ccff:fedd:eeff office 0 0\n$/);
    expect(results).toHaveLength(2);
  });

  it('a session that ends with IPv6CP up runs ipv6-down, then ip-down, each after its up script', async () => {
    const d = dir();
    const log = join(d, 'order.txt');
    const results: HookResult[] = [];
    const hooks = new PppHooks({
      ipUp: script(d, 'ip-up', `sleep 0.3; echo ip-up >> '${log}'`),
      ipDown: script(d, 'ip-down', `echo "ip-down $BYTES_RCVD" >> '${log}'`),
      ipv6Up: script(d, 'ipv6-up', `echo ipv6-up >> '${log}'`),
      ipv6Down: script(d, 'ipv6-down', `echo "ipv6-down $BYTES_RCVD" >> '${log}'`),
      onResult: (r) => results.push(r),
    });
    hooks.down6(SESSION6); // down without up: nothing (pppd's script state)
    hooks.up(SESSION);
    hooks.up6(SESSION6);
    hooks.down(SESSION, { bytesSent: 10, bytesReceived: 20 });
    await until(() => results.length === 4);
    expect(readFileSync(log, 'utf8')).toBe('ip-up\nipv6-up\nipv6-down 20\nip-down 20\n');
  });

  it('a script that hangs is killed at its bound, with what it started (the process group); output is kept', async () => {
    const d = dir();
    const pidFile = join(d, 'child.pid');
    const up = script(d, 'ip-up', `echo starting; sleep 60 & echo $! > '${pidFile}'; wait`);
    const results: HookResult[] = [];
    const hooks = new PppHooks({ ipUp: up, timeoutMs: 300, onResult: (r) => results.push(r) });
    hooks.up(SESSION);
    await until(() => results.length === 1);
    expect(results[0]).toMatchObject({ timedOut: true, status: 'SIGTERM' });
    expect(results[0]!.output).toContain('starting');
    const child = Number(readFileSync(pidFile, 'utf8'));
    // The background sleep got the group's SIGTERM too.
    await until(() => {
      try {
        process.kill(child, 0);
        return false;
      } catch {
        return true;
      }
    }, 5000);
  });

  it('at most maxRunning at once; the rest wait in order; a missing or non-executable script is skipped', async () => {
    const d = dir();
    const log = join(d, 'runs.txt');
    const up = script(
      d,
      'ip-up',
      `echo "start $L2TP_SESSION_ID" >> '${log}'; sleep 0.2; echo "end $L2TP_SESSION_ID" >> '${log}'`,
    );
    const results: HookResult[] = [];
    const hooks = new PppHooks({ ipUp: up, maxRunning: 1, onResult: (r) => results.push(r) });
    for (let i = 1; i <= 3; i++) hooks.up({ ...SESSION, sessionId: i });
    await new Promise((r) => setImmediate(r));
    expect(hooks.queued).toBe(2);
    await until(() => results.length === 3);
    expect(readFileSync(log, 'utf8')).toBe('start 1\nend 1\nstart 2\nend 2\nstart 3\nend 3\n');
    const plain = join(d, 'not-executable');
    writeFileSync(plain, '#!/bin/sh\ntouch ran\n');
    const skipped: HookResult[] = [];
    const h2 = new PppHooks({ ipUp: plain, ipDown: join(d, 'missing'), onResult: (r) => skipped.push(r) });
    h2.up(SESSION);
    h2.down(SESSION, { bytesSent: 0, bytesReceived: 0 });
    await new Promise((r) => setTimeout(r, 200));
    expect(skipped).toEqual([]);
    expect(existsSync(join(d, 'ran'))).toBe(false);
  });

  it('bounded queue: beyond maxQueued a run is skipped and reported, not held', async () => {
    const d = dir();
    const up = script(d, 'ip-up', 'sleep 0.3');
    const results: HookResult[] = [];
    const hooks = new PppHooks({ ipUp: up, maxRunning: 1, maxQueued: 1, onResult: (r) => results.push(r) });
    for (let i = 1; i <= 4; i++) hooks.up({ ...SESSION, sessionId: i });
    await until(() => results.length === 4);
    expect(results.filter((r) => r.status === 'skipped')).toHaveLength(2);
    hooks.close();
  });
});
