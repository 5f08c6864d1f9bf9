// Issue 4, end to end: `l2tp-ts firewall --apply` (nft form) inside the LNS's namespace drops plain
// udp/1701 (RFC 3193 §5: L2TP only under IPsec), so a LAC's fresh dial goes unanswered; --remove restores it.
// Related: src/cli/firewall.ts, test/support/netns.ts (the lab), test/e2e/cli-process.ts (LacSummary).
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabProcess, labSkipReason, NetLab, tail, waitFor } from '../support/netns.js';
import type { LacSummary } from './cli-process.js';

const BIN = resolve(import.meta.dirname, '../../bin/l2tp-ts.js');
const LNS_ADDR = '10.203.74.1';
const LAC_ADDR = '10.203.74.2';
const skip = labSkipReason(['nft']);

/** The `counter packets N` of the rule commented "plain L2TP: refused" (undefined when the rule is absent). */
function dropCounter(ruleset: string): number | undefined {
  const line = ruleset.split('\n').find((l) => l.includes('plain L2TP: refused'));
  if (line === undefined) return undefined;
  const m = /counter packets (\d+) bytes \d+ drop/.exec(line);
  if (m === null) throw new Error(`drop rule without a counter: ${line.trim()}`);
  return Number(m[1]);
}

describe.skipIf(skip !== undefined)(
  `firewall --apply in the LNS namespace (issue 4)${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetLab;
    let lnsNs: string;
    let lacNs: string;
    let lns: LabProcess;
    let dials = 0;

    /** `l2tp-ts ARGS` to completion inside `ns` (a tracked lab process); exit code and log text. */
    async function cli(
      ns: string,
      args: readonly string[],
      timeoutMs: number,
    ): Promise<{ code: number | null; out: string }> {
      const p = lab.spawn(`${args[0]}-${dials++}`, ns, process.execPath, [BIN, ...args]);
      const code = await Promise.race([
        p.exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs)),
      ]);
      if (code === 'timeout') {
        await lab.stop(p, 'SIGKILL', 1000);
        throw new Error(`l2tp-ts ${args.join(' ')} outlived ${timeoutMs} ms\n${tail(p.log)}`);
      }
      return { code, out: tail(p.log, 200) };
    }

    /** A fresh LAC process (new socket, new source port): one tunnel, one session, 5 s bound. */
    async function dial(): Promise<{ code: number | null; summary: LacSummary | undefined; out: string }> {
      const r = await cli(
        lacNs,
        ['lac', '--server', LNS_ADDR, '--user', 'alice', '--password', 's3cret', '--json', '--timeout', '5'],
        15_000,
      );
      const json = r.out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      return { code: r.code, summary: json === undefined ? undefined : (JSON.parse(json) as LacSummary), out: r.out };
    }

    /** How many tunnels the LNS has logged as up so far (it logs "tunnel N up from ADDR:PORT"). */
    const lnsTunnelsUp = (): number => (tail(lns.log, 10_000).match(/^tunnel \d+ up from /gm) ?? []).length;

    const ruleset = (): string => {
      const r = lab.run(lnsNs, 'nft', ['list', 'ruleset']);
      if (r.status !== 0) throw new Error(`nft list ruleset: ${r.stderr}`);
      return r.stdout;
    };

    beforeAll(async () => {
      lab = new NetLab('fw');
      lnsNs = lab.addNamespace();
      lacNs = lab.addNamespace();
      lab.addVeth({ ns: lnsNs, address: `${LNS_ADDR}/24` }, { ns: lacNs, address: `${LAC_ADDR}/24` });
      lns = lab.spawn('lns', lnsNs, process.execPath, [
        BIN,
        'lns',
        '--userspace',
        '--listen',
        LNS_ADDR,
        '--port',
        '1701',
        '--user',
        'alice:s3cret',
        '--control',
        join(lab.dir, 'ctl.sock'),
      ]);
      await waitFor(
        'the LNS listening line',
        () => lns.exitCode === undefined && tail(lns.log, 50).includes(`listening on ${LNS_ADDR}:1701`),
        15_000,
        () => tail(lns.log),
      );
    });

    afterAll(async () => {
      // Deleting the namespace also discards its nft table, so a failed run leaves no rules behind.
      await lab?.destroy();
    });

    it('RFC3193-5: plain L2TP works, is dropped (counted) after --apply, works again after --remove', async () => {
      // Baseline: without rules a fresh dial comes up.
      const before = await dial();
      expect(before.code, before.out).toBe(0);
      expect(before.summary?.ok).toBe(true);
      expect(before.summary?.sessions).toHaveLength(1);
      expect(dropCounter(ruleset())).toBeUndefined();
      expect(lnsTunnelsUp()).toBe(1);

      const applied = await cli(lnsNs, ['firewall', '--apply'], 10_000);
      expect(applied.code, applied.out).toBe(0);
      const rules = ruleset();
      expect(rules).toContain('table inet l2tp_ts');
      expect(rules).toMatch(/udp dport 1701 meta ipsec exists accept/);
      expect(dropCounter(rules)).toBe(0);

      // A fresh dial (new process, new source port: no earlier flow involved) is now dropped at
      // input: no SCCRP, so no tunnel-up, no session, exit 1 after --timeout 5.
      const blocked = await dial();
      expect(blocked.code, blocked.out).toBe(1);
      expect(blocked.summary?.ok).toBe(false);
      expect(blocked.summary?.sessions).toEqual([]);
      // The SCCRQ and its retransmissions reached the drop rule.
      expect(dropCounter(ruleset())).toBeGreaterThan(0);
      // The LNS kept running; it just never heard the dial (no tunnel-up on its side either).
      expect(lns.exitCode).toBeUndefined();
      expect(lnsTunnelsUp()).toBe(1);

      const removed = await cli(lnsNs, ['firewall', '--remove'], 10_000);
      expect(removed.code, removed.out).toBe(0);
      expect(ruleset()).not.toContain('l2tp_ts');

      const after = await dial();
      expect(after.code, after.out).toBe(0);
      expect(after.summary?.ok).toBe(true);
      expect(after.summary?.sessions).toHaveLength(1);
      expect(lnsTunnelsUp()).toBe(2);
    }, 55_000);
  },
);
