// pppd logfile/logfd for `l2tp-ts lns` (cli/log-file.ts): opened at start (a bad path is a config
// error), a bounded backlog (drop and count, never an unbounded buffer), ENOSPC never throws,
// reopen after a rename (logrotate).
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogFile } from '../../src/cli/log-file.js';

const dirs: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'l2tp-ts-logfile-'));
  dirs.push(d);
  return d;
}
/** Waits (polling, no timing assumption) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('LogFile', () => {
  it('appends lines; the file is created 0640 and an existing one is appended to', async () => {
    const path = join(dir(), 'lns.log');
    const a = LogFile.open({ path }, () => undefined);
    a.write('one\n');
    await a.close();
    const b = LogFile.open({ path }, () => undefined);
    b.write('two\n');
    await b.close();
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
    expect(statSync(path).mode & 0o777 & ~0o640).toBe(0);
  });

  it('a path that cannot be opened, or a descriptor that is not open, is a configuration error', () => {
    expect(() => LogFile.open({ path: join(dir(), 'no-such-dir', 'x.log') }, () => undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_L2TP_CONFIG', message: expect.stringContaining('ENOENT') }),
    );
    expect(() => LogFile.open({ fd: 987 }, () => undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_L2TP_CONFIG', message: expect.stringContaining('EBADF') }),
    );
  });

  it('beyond the backlog bound lines are dropped and counted, then one line says how many', async () => {
    const path = join(dir(), 'lns.log');
    const f = LogFile.open({ path }, () => undefined, 1000);
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 1000; i++) f.write(line); // synchronously: nothing is flushed meanwhile
    expect(f.dropped).toBe(990);
    await until(() => f.backlog === 0); // the thread pool drains the backlog
    f.write('after\n');
    await f.close();
    expect(readFileSync(path, 'utf8')).toBe(
      `${line.repeat(10)}log: 990 line(s) dropped (log file backlog full or failing)\nafter\n`,
    );
  });

  it('a failing file (ENOSPC) never throws: lines are dropped, the problem reported once', async () => {
    const problems: string[] = [];
    const f = LogFile.open({ path: '/dev/full' }, (m) => problems.push(m));
    f.write('a\n');
    await until(() => problems.length > 0);
    f.write('b\n');
    f.write('c\n');
    expect(problems).toEqual(['log file /dev/full: ENOSPC; lines are dropped until SIGHUP reopens it']);
    expect(f.dropped).toBe(2);
    await f.close();
  });

  it('reopen after a rename: queued lines finish in the old file, new ones go to a new file', async () => {
    const d = dir();
    const path = join(d, 'lns.log');
    const f = LogFile.open({ path }, () => undefined);
    f.write('before\n');
    renameSync(path, `${path}.1`);
    expect(f.reopen()).toBeUndefined();
    f.write('after\n');
    await f.close();
    await until(() => readFileSync(`${path}.1`, 'utf8') !== '');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('before\n');
    expect(readFileSync(path, 'utf8')).toBe('after\n');
    rmSync(d, { recursive: true });
    expect(f.reopen()).toMatch(/cannot open for appending \(ENOENT\)/);
    expect(existsSync(path)).toBe(false);
  });
});
