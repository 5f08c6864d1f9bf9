// Issue 12 item 2: `l2tp-ts ctl capture user NAME SECONDS FILE` writes that user's session (from
// its ICCN: LCP, CHAP, IPCP, the ICMP of a ping) and nothing of another user's session
// running at the same time; tshark finds nothing malformed; the size bound stops a capture; the
// file is new (never an existing file or a symlink) and 0600.
// Related: src/io/session-captures.ts, src/io/capture-selector.ts, src/cli/ctl.ts.
import { existsSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { controlRequest } from '../../src/io/control-socket.js';
import { dissect, formatFlags, tsharkAvailable } from '../support/tshark.js';
import { cleanupProcesses, runCli, runLac, startLns, tempDir, waitUntil } from './cli-process.js';

afterEach(cleanupProcesses);

interface CaptureRow {
  id: number;
  state: string;
  packets: number;
  bytes: number;
  maxBytes: number;
  file: string;
}

describe('ctl capture', () => {
  it.skipIf(!tsharkAvailable())(
    "a user's capture holds that user's whole session, none of another user's, nothing malformed",
    async () => {
      const dir = tempDir();
      const lns = await startLns(['--userspace', '--user', 'alice:s3cret', '--user', 'bob:b0bpass'], dir);
      const file = join(dir, 'alice.pcap');
      const started = (await lns.ctl('capture', 'user', 'alice', '60', file)) as CaptureRow;
      expect(started).toMatchObject({ id: 1, state: 'running', file });
      // Both users at once: bob's datagrams interleave with alice's on the same socket.
      const [alice, bob] = await Promise.all([
        runLac(lns.port, ['--user', 'alice', '--password', 's3cret', '--ping']),
        runLac(lns.port, ['--user', 'bob', '--password', 'b0bpass', '--ping']),
      ]);
      expect(alice.code, alice.stderr).toBe(0);
      expect(bob.code, bob.stderr).toBe(0);
      // Everything of both sessions has passed the tap once they are gone from the LNS.
      await waitUntil(async () => (await lns.status()).sessions === 0, 10_000, 'sessions down');
      expect(await lns.ctl('capture', 'stop', '1')).toEqual({ stopped: [1] });
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const d = await dissect(file, { ports: [lns.port] });
      expect(formatFlags(d)).toBe('');
      const info = d.packets.map((p) => p.info).join('\n');
      for (const proto of [/ICCN|Incoming_Call_Connected/i, /LCP/, /CHAP/, /IPCP/, /ICMP|Echo \(ping\)/])
        expect(info).toMatch(proto);
      // One session only: one LAC (one UDP port), one Session ID each way, never Session ID 0.
      const lacPorts = new Set(d.packets.map((p) => (p.srcPort === lns.port ? p.dstPort : p.srcPort)));
      expect(lacPorts.size).toBe(1);
      const ids = (dir: 'in' | 'out') =>
        new Set(
          d.packets
            .filter((p) => (dir === 'in') === (p.dstPort === lns.port))
            .map((p) => `${p.l2tp?.tunnelId}/${p.l2tp?.sessionId}`),
        );
      expect(ids('in').size).toBe(1);
      expect(ids('out').size).toBe(1);
      expect(d.packets.every((p) => p.l2tp !== undefined && p.l2tp.sessionId !== 0)).toBe(true);
      expect(info).toMatch(/alice/);
      expect(info).not.toMatch(/bob/);
      // The capture names alice's tunnel as `ctl` would: the CHAP exchange is hers.
      expect(readFileSync(file).includes(Buffer.from('alice'))).toBe(true);
      expect(readFileSync(file).includes(Buffer.from('bob'))).toBe(false);
    },
    60_000,
  );

  it('the size bound stops a capture; the file stays a valid pcap; list says why it ended', async () => {
    const dir = tempDir();
    const lns = await startLns(['--userspace', '--user', 'bob:b0bpass'], dir);
    const file = join(dir, 'small.pcap');
    await lns.ctl('--max-kb', '1', 'capture', 'user', 'bob', '60', file);
    const r = await runLac(lns.port, ['--user', 'bob', '--password', 'b0bpass', '--ping']);
    expect(r.code, r.stderr).toBe(0);
    const list = (await lns.ctl('capture', 'list')) as CaptureRow[];
    expect(list).toMatchObject([{ id: 1, state: 'full', maxBytes: 1024 }]);
    expect(list[0]!.packets).toBeGreaterThan(3);
    expect(statSync(file).size).toBeLessThanOrEqual(1024);
    expect(statSync(file).size).toBe(list[0]!.bytes);
    await lns.proc.waitFor(/capture 1 of user bob ended \(full\)/);
    if (tsharkAvailable()) {
      const d = await dissect(file, { ports: [lns.port] });
      expect(formatFlags(d)).toBe('');
      expect(d.packets.length).toBe(list[0]!.packets);
    }
  }, 40_000);

  it('never overwrites a file or follows a symlink; refuses a 9th capture and over-long or unknown targets', async () => {
    const dir = tempDir();
    const lns = await startLns(['--userspace', '--user', 'alice:s3cret'], dir);
    const existing = join(dir, 'existing.pcap');
    writeFileSync(existing, 'keep me');
    const target = join(dir, 'target');
    const link = join(dir, 'link.pcap');
    symlinkSync(target, link);
    const ctl = (...args: string[]) => runCli(['ctl', '--control', lns.control, ...args], 10_000);

    for (const f of [existing, link]) {
      const r = await ctl('capture', 'user', 'alice', '10', f);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/exists: a capture never overwrites a file or follows a link/);
    }
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    expect(existsSync(target)).toBe(false);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);

    expect((await ctl('capture', 'session', '1/1', '10', join(dir, 'x.pcap'))).stderr).toMatch(/no session 1\/1/);
    expect((await ctl('capture', 'user', 'alice', '3601', join(dir, 'x.pcap'))).code).toBe(2);
    const rel = await runCli(['ctl', '--control', lns.control, 'capture', 'user', 'alice', '30', join(dir, 'c1.pcap')]);
    expect(rel.stdout).toMatch(/^capture 1: user alice for 30 s into \//);
    for (let i = 2; i <= 8; i++) {
      const args = { action: 'start', user: `u${i}`, seconds: 30, file: join(dir, `c${i}.pcap`) };
      await controlRequest(lns.control, { cmd: 'capture', args });
    }
    const ninth = await ctl('capture', 'user', 'u9', '30', join(dir, 'c9.pcap'));
    expect(ninth.stderr).toMatch(/8 captures are running already/);
    expect(existsSync(join(dir, 'c9.pcap'))).toBe(false);
    expect(((await lns.ctl('capture', 'list')) as CaptureRow[]).filter((c) => c.state === 'running')).toHaveLength(8);
    expect(await lns.ctl('capture', 'stop')).toEqual({ stopped: [1, 2, 3, 4, 5, 6, 7, 8] });
    expect(((await lns.ctl('capture', 'list')) as CaptureRow[]).every((c) => c.state === 'stopped')).toBe(true);
  }, 60_000);
});
