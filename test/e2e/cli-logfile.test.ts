// End to end: xl2tpd `debug avp = yes` and pppd `logfile FILE` in the seed's files. The log file
// gets the L2TP dumps (the SCCRQ of a real `l2tp-ts lac`), the PPP dumps (`ppp debug = yes`) and
// pppd `dump`'s option lines; SIGHUP reopens it after a rename (logrotate). With the seed's files
// unchanged none of it happens. Related: src/cli/log-file.ts, src/lns/l2tp-debug.ts.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runLac, spawnCli, startLns, tempDir, waitUntil } from './cli-process.js';

afterEach(cleanupProcesses);

const SEED = 'test/vectors/config';
const seed = (name: string): string => readFileSync(join(SEED, name), 'utf8');

/** The seed's three files in a temp dir, with `global` added to [global] and `options(dir)` to options.xl2tpd. */
function seedFiles(global: string, options: (dir: string) => string): { dir: string; args: string[] } {
  const dir = tempDir();
  writeFileSync(join(dir, 'xl2tpd.conf'), seed('xl2tpd.conf').replace('[global]\n', `[global]\n${global}`));
  writeFileSync(join(dir, 'options.xl2tpd'), `${seed('options.xl2tpd')}${options(dir)}`);
  writeFileSync(join(dir, 'chap-secrets'), seed('chap-secrets'));
  const files = ['xl2tpd.conf', 'options.xl2tpd', 'chap-secrets'].map((f) => join(dir, f));
  return {
    dir,
    args: ['--config', files[0]!, '--ppp-options', files[1]!, '--chap-secrets', files[2]!, '--userspace'],
  };
}

const login = ['--user', 'username', '--password', 'secret'];

describe('l2tp-ts lns: debug avp and logfile', () => {
  it('the log file holds the L2TP and PPP dumps; SIGHUP after a rename opens a new file', async () => {
    const { dir, args } = seedFiles('debug avp = yes\n', (d) => `logfile ${join(d, 'lns.log')}\n`);
    const log = join(dir, 'lns.log');
    const lns = await startLns(args, dir);
    const r = await runLac(lns.port, login);
    expect(r.code, r.stderr).toBe(0);
    await waitUntil(() => existsSync(log) && readFileSync(log, 'utf8').includes('session'), 10_000, 'log lines');
    const first = readFileSync(log, 'utf8');
    expect(first).toMatch(
      /^rcvd \[L2TP SCCRQ tid=0 sid=0 ns=0 nr=0 <ProtocolVersion 1\.0> .*<HostName "[^"]+">.*\] from 127\.0\.0\.1:\d+$/m,
    );
    expect(first).toMatch(/^sent \[L2TP SCCRP tid=\d+ sid=0 ns=0 nr=1 .*\] to 127\.0\.0\.1:\d+$/m);
    expect(first).toMatch(/^\[\d+\/\d+\] rcvd \[LCP ConfReq id=0x[0-9a-f]+ /m);
    expect(first).toMatch(/^dump: mtu 1400$/m); // the seed's `dump`
    expect(first).toContain('l2tp-ts lns listening on 127.0.0.1:');
    // The same lines went to stdout.
    expect(lns.proc.stdout()).toMatch(/^rcvd \[L2TP SCCRQ /m);

    renameSync(log, `${log}.1`);
    process.kill(lns.proc.pid, 'SIGHUP');
    await lns.proc.waitFor(/SIGHUP: reloaded/);
    const again = await runLac(lns.port, login);
    expect(again.code, again.stderr).toBe(0);
    await waitUntil(() => existsSync(log) && readFileSync(log, 'utf8').includes('rcvd [L2TP SCCRQ'), 10_000, 'new log');
    expect(readFileSync(log, 'utf8')).toMatch(/^SIGHUP: reloaded/m);
    expect(readFileSync(`${log}.1`, 'utf8').split('rcvd [L2TP SCCRQ').length - 1).toBe(1);
  }, 60_000);

  it("the seed's files unchanged: no L2TP dumps, no log file (logfd 2 is stderr)", async () => {
    const { args } = seedFiles('', () => '');
    const lns = await startLns(args);
    const r = await runLac(lns.port, login);
    expect(r.code, r.stderr).toBe(0);
    await lns.proc.waitFor(/session \d+\/\d+ up: user username/);
    expect(lns.proc.stdout()).not.toContain('[L2TP ');
    expect(lns.proc.stdout()).toContain('rcvd [LCP ConfReq'); // ppp debug = yes is the seed's
  }, 60_000);

  it('a logfile that cannot be opened is a configuration error: exit 2 with the reason', async () => {
    const { args } = seedFiles('', () => 'logfile /nonexistent-dir/lns.log\n');
    const lns = spawnCli(['lns', '--listen', '127.0.0.1', '--port', '0', '--no-control', ...args]);
    expect(await lns.exited).toBe(2);
    expect(lns.stderr()).toMatch(/\/nonexistent-dir\/lns\.log: logfile: cannot open for appending \(ENOENT\)/);
  }, 30_000);
});
