// `l2tp-ts fuzz --role lns` (issue 14 item 2) against the real client stack: xl2tpd 1.3.18 as LAC
// and pppd 2.4.9 as PPP client in a user-mode-linux guest (guest/fuzz-lac.sh dials once per case).
// Unlike xl2tpd on the host, pppd runs here, so the PPP-level corruption — LCP/IPCP option
// lengths, unknown options, CHAP Value-Size, past-MRU packets — reaches pppd's parsers (the code
// CVE-2020-8597 lived in), and liveness is a clean call reaching IPCP up. The fuzzer runs as the
// CLI process on the lab's bridge address. Asserted as found: no finding at this seed, pppd never
// died of a signal, xl2tpd stayed up. Related: src/cli/fuzz-lns-role.ts, guest/fuzz-lac.sh.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireUmlLock, BRIDGE_IP, UmlLab, umlSkipReason } from './harness.js';

const skip = umlSkipReason();
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'l2tp-ts.js');
const CASES = 6;

let release: (() => void) | undefined;
beforeAll(async () => {
  if (skip === undefined) release = await acquireUmlLock(300_000);
}, 310_000);
afterAll(() => release?.());

describe.skipIf(skip !== undefined)(
  `fuzz --role lns against xl2tpd + pppd in UML${skip ? ` — skipped: ${skip}` : ''}`,
  () => {
    let lab: UmlLab;

    beforeAll(async () => {
      lab = await UmlLab.create({ scenario: 'fuzz-lns-role' });
    }, 60_000);

    afterAll(async () => {
      await lab?.stopCapture().catch(() => undefined);
      await lab?.dispose();
    }, 40_000);

    it(`${CASES} cases with PPP-level corruption: pppd and xl2tpd survive, and every clean call after a case reaches IPCP`, async () => {
      const g = lab.bootLac({ lnsIp: BRIDGE_IP, name: 'lac1', auth: 'mschapv2', fuzzDials: true, holdS: 300 });
      expect(await g.waitFile('ready', 60_000), 'guest xl2tpd ready').toBe(true);
      const out = join(lab.dir, 'fuzz-out');
      mkdirSync(out, { recursive: true });
      const fuzzer = lab.startHost('fuzz', [
        process.execPath,
        CLI,
        'fuzz',
        '--role',
        'lns',
        '--listen',
        BRIDGE_IP,
        '--dial',
        `n=$(ls ${g.dir} | grep -c '^dial\\.'); touch ${g.dir}/dial.$((n + 1))`,
        '--user',
        'alice',
        '--password',
        's3cret',
        '--liveness',
        'session-up',
        '--seed',
        '3',
        '--cases',
        String(CASES),
        '--case-ms',
        '10000',
        '--quiet-ms',
        '4000',
        '--max-findings',
        String(CASES),
        '--out',
        out,
        '--json',
      ]);
      const code = await fuzzer.exited;
      g.release();
      await g.finish(30_000);
      const log = readFileSync(fuzzer.log, 'utf8');
      const report = JSON.parse(log.trim().split('\n').at(-1) ?? '{}') as {
        cases: number;
        failures: unknown[];
        reached: Record<string, { sent: number; mutated: number }>;
        events: Record<string, number>;
      };
      const why = `${log.slice(-3000)}\npppd.log:\n${g.file('pppd.log').slice(-3000)}`;
      expect(report.cases, why).toBe(CASES);
      expect(report.failures, why).toEqual([]);
      expect(code, why).toBe(0);
      // pppd negotiated with the fuzzer: LCP, CHAP and IPCP were sent in every case, and corrupted in some.
      for (const k of ['LCP', 'CHAP', 'IPCP']) expect(report.reached[k]?.sent, `${k}\n${why}`).toBeGreaterThan(0);
      const pppMutated = ['LCP', 'CHAP', 'IPCP', 'IPV6CP'].reduce((n, k) => n + (report.reached[k]?.mutated ?? 0), 0);
      expect(pppMutated, why).toBeGreaterThan(0);
      // pppd installs a handler that logs "Fatal signal N" before it dies of SIGSEGV/SIGBUS/…
      expect(g.file('pppd.log')).not.toMatch(/Fatal signal/);
      expect(existsSync(join(g.dir, 'xl2tpd-gone'))).toBe(false);
      // Each case's liveness call reached IPCP in pppd (its ip-up ran).
      expect((g.file('ppp-up.all').match(/\n/g) ?? []).length).toBeGreaterThanOrEqual(CASES);
    }, 300_000);
  },
);
