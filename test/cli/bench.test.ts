// `l2tp-ts bench` against our LNS on loopback (issue 14 item 1): the --json schema (today's fields
// plus samples, cps, controlRetransmissions), per-session accounts from a template or a users
// file hitting a chap-secrets of 20 distinct users, and the usage errors of a bad users file. The
// command runs in-process (runBench) and once as a process (bin/l2tp-ts.js). Related:
// src/cli/bench.ts, src/cli/bench-accounts.ts, src/lac/setup-samples.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { runBench } from '../../src/cli/bench.js';
import { parseUsersFile } from '../../src/cli/bench-accounts.js';
import { createLns, type LnsServer } from '../../src/io/create-lns.js';
import { parseChapSecrets } from '../../src/lns/config/chap-secrets.js';

const CHAP_SECRETS = Array.from({ length: 20 }, (_, i) => `u${i + 1} * p${i + 1} *`).join('\n');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An LNS whose users are the chap-secrets above (the seed's pool holds exactly 20 addresses). */
async function lnsWithSecrets(): Promise<{ lns: LnsServer; users: string[] }> {
  const users = Object.fromEntries(
    parseChapSecrets(CHAP_SECRETS, 'chap-secrets').value.map((e) => [e.client, e.secret]),
  );
  const lns = await createLns({ port: 0, users });
  const served: string[] = [];
  lns.on('session-up', (e) => served.push(e.user ?? ''));
  return { lns, users: served };
}

/** runBench in-process, its output parsed when --json. */
async function bench(lns: LnsServer, args: readonly string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const write = (s: string): boolean => {
    text += s;
    return true;
  };
  const out = { write } as unknown as typeof process.stdout;
  const argv = ['--server', `127.0.0.1:${lns.port}`, '--tunnels', '2', '--sessions', '10', '--duration', '20', ...args];
  const code = await runBench(argv, out);
  return { code, text };
}

describe('l2tp-ts bench against our LNS', () => {
  it("--user 'u{n}' --password 'p{n}': 20 distinct accounts all come up; --json has the samples beside today's fields", async () => {
    const { lns, users } = await lnsWithSecrets();
    try {
      const { code, text } = await bench(lns, ['--user', 'u{n}', '--password', 'p{n}', '--auth', 'chap', '--json']);
      const r = JSON.parse(text);
      expect(code, text).toBe(0);
      expect(users.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `u${i + 1}`).sort());
      // Today's fields are kept.
      expect(r).toMatchObject({
        requested: 20,
        up: 20,
        failed: 0,
        pending: 0,
        tunnelsUp: 2,
        tunnelsDown: 0,
        failures: {},
      });
      expect(r.auth).toEqual({ 'chap-md5': 20 });
      for (const k of ['elapsedMs', 'setupWindowMs', 'sessionsPerSecond', 'lacCpuMs'])
        expect(typeof r[k]).toBe('number');
      expect(Object.keys(r.latencyMs).sort()).toEqual(['max', 'mean', 'n', 'p50', 'p90', 'p99']);
      // The new ones.
      expect(Object.keys(r.cps).sort()).toEqual(['avg', 'max', 'min']);
      expect(r.cps.min).toBeLessThanOrEqual(r.cps.avg);
      expect(r.cps.avg).toBeLessThanOrEqual(r.cps.max);
      expect(r.controlRetransmissions).toBeGreaterThanOrEqual(0);
      expect(r.samples.length).toBeGreaterThan(0);
      for (const s of r.samples) expect(Object.keys(s).sort()).toEqual(['cps', 'failed', 'pending', 't', 'up']);
      expect(r.samples.reduce((a: number, s: { cps: number }) => a + s.cps, 0)).toBe(20);
      expect(r.samples.at(-1)).toMatchObject({ up: 20, pending: 0, failed: 0 });
    } finally {
      await lns.close();
    }
  });

  it('a wrong password template: every session fails authentication, counted as auth failures', async () => {
    const { lns, users } = await lnsWithSecrets();
    try {
      const { code, text } = await bench(lns, ['--user', 'u{n}', '--password', 'x{n}', '--auth', 'chap', '--json']);
      const r = JSON.parse(text);
      expect(code).toBe(1);
      expect(users).toEqual([]);
      expect(r).toMatchObject({ up: 0, failed: 20, pending: 0 });
      const failures = Object.entries(r.failures as Record<string, number>);
      expect(failures.every(([reason]) => reason.startsWith('auth failed'))).toBe(true);
      expect(failures.reduce((a, [, n]) => a + n, 0)).toBe(20);
      expect(r.samples.at(-1)).toMatchObject({ up: 0, failed: 20 });
    } finally {
      await lns.close();
    }
  });

  it('--users-file: sessions take the accounts round-robin; text output has the cps line and the table', async () => {
    const { lns, users } = await lnsWithSecrets();
    const file = join(dir, 'users');
    // Both line formats, a comment and quoting.
    writeFileSync(file, '# accounts\nu1 p1\nu2 * p2 *\n"u3" \'p3\'\nu4 l2tp-ts p4 10.1.20.40\n');
    try {
      const { code, text } = await bench(lns, ['--users-file', file]);
      expect(code, text).toBe(0);
      const count = (u: string) => users.filter((x) => x === u).length;
      expect(users).toHaveLength(20);
      expect([count('u1'), count('u2'), count('u3'), count('u4')]).toEqual([5, 5, 5, 5]);
      expect(text).toMatch(/^cps \(.*\): min [\d.]+ {2}avg [\d.]+ {2}max [\d.]+; control retransmissions: \d+$/m);
      expect(text).toMatch(/^per second.*:\n\s*t s\s+cps\s+up\s+pending\s+failed\n/m);
    } finally {
      await lns.close();
    }
  });

  it('as a process: bin/l2tp-ts.js bench --json with the template', async () => {
    const { lns, users } = await lnsWithSecrets();
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          'bin/l2tp-ts.js',
          'bench',
          ...['--server', `127.0.0.1:${lns.port}`, '--tunnels', '1', '--sessions', '20', '--duration', '20'],
          ...['--user', 'u{n}', '--password', 'p{n}', '--json'],
        ],
        { timeout: 60_000 },
      );
      const r = JSON.parse(stdout);
      expect(r).toMatchObject({ up: 20, failed: 0 });
      expect(r.samples.at(-1)).toMatchObject({ up: 20 });
      expect(new Set(users).size).toBe(20);
    } finally {
      await lns.close();
    }
  }, 90_000);
});

describe('bench --users-file errors', () => {
  const server = ['--server', '127.0.0.1:9'];
  it('a missing, empty or malformed file, or --users-file with --user, is a UsageError naming it', async () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '# nothing here\n\n');
    const oneWord = join(dir, 'one-word');
    writeFileSync(oneWord, 'u1 p1\nlonely\n');
    await expect(runBench([...server, '--users-file', join(dir, 'absent')])).rejects.toThrow(
      new UsageError(`--users-file ${join(dir, 'absent')}: cannot read it (ENOENT)`),
    );
    await expect(runBench([...server, '--users-file', empty])).rejects.toThrow(
      new UsageError(`${empty}: no accounts in the file`),
    );
    await expect(runBench([...server, '--users-file', oneWord])).rejects.toThrow(
      new UsageError(`${oneWord}:2: expected "user password" or a chap-secrets line, got one word`),
    );
    await expect(runBench([...server, '--users-file', dir])).rejects.toThrow(UsageError);
    await expect(runBench([...server, '--users-file', empty, '--user', 'x'])).rejects.toThrow(
      new UsageError('--users-file gives the accounts: leave out --user and --password'),
    );
  });

  it('as a process: a missing users file exits with code 2 and says why, with no stack trace', async () => {
    const absent = join(dir, 'absent');
    const r = await promisify(execFile)(
      process.execPath,
      ['bin/l2tp-ts.js', 'bench', ...server, '--users-file', absent],
      {
        timeout: 30_000,
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2 });
    expect(r.stderr).toContain(`--users-file ${absent}: cannot read it (ENOENT)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('parseUsersFile: wildcards and @file secrets are refused, quoted ones are plain words', () => {
    expect(() => parseUsersFile('* * pw *\n', 'f')).toThrow(
      new UsageError('f:1: client "*" is a wildcard, not an account to dial with'),
    );
    expect(() => parseUsersFile('u * @/etc/pw\n', 'f')).toThrow(
      new UsageError('f:1: secret "@/etc/pw": reading secrets from another file is not supported'),
    );
    expect(parseUsersFile('"*" "@x"\nb\\ c d\n', 'f')).toEqual([
      { user: '*', password: '@x' },
      { user: 'b c', password: 'd' },
    ]);
  });
});
