// `l2tp-ts fuzz --role lns` as a command (exit codes, the JSON report, usage errors) and its UDP
// runner on loopback against our own LAC as a real client over a socket (one createLac per dial),
// with liveness through IPCP. Related: src/cli/fuzz-lns-role.ts, src/io/fuzz-lns-role.ts.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { runFuzz } from '../../src/cli/fuzz.js';
import { createLac, type LacClient } from '../../src/index.js';
import { fuzzClientOverUdp } from '../../src/io/fuzz-lns-role.js';

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  return { out: () => out, err: () => err };
}

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('l2tp-ts fuzz --role lns', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--in-process --json: exit 0 and a report with the states reached and mutated', async () => {
    const c = capture();
    const code = await runFuzz(['--role', 'lns', '--in-process', '--cases', '60', '--seed', '4', '--json']);
    expect(code, c.err()).toBe(0);
    const r = JSON.parse(c.out()) as {
      role: string;
      cases: number;
      failures: unknown[];
      reached: Record<string, { sent: number; mutated: number }>;
      events: Record<string, number>;
    };
    expect(r).toMatchObject({ role: 'lns', cases: 60, failures: [] });
    expect(r.reached.IPCP?.sent).toBe(60);
    expect(r.events['session-up']).toBe(60);
  });

  it('usage errors: neither or both of --listen and --in-process, --dial in-process, an unknown role', async () => {
    capture();
    await expect(runFuzz(['--role', 'lns'])).rejects.toThrow(UsageError);
    await expect(runFuzz(['--role', 'lns', '--in-process', '--listen', '127.0.0.1'])).rejects.toThrow(UsageError);
    await expect(runFuzz(['--role', 'lns', '--in-process', '--dial', 'true'])).rejects.toThrow(/--dial and --pid/);
    await expect(runFuzz(['--role', 'bng', '--in-process'])).rejects.toThrow(/expected lac or lns/);
    // --role lac is the classic fuzzer
    const c = capture();
    expect(await runFuzz(['--role', 'lac', '--in-process', '--cases', '5', '--seed', '1', '--json'])).toBe(0);
    expect(JSON.parse(c.out())).toMatchObject({ cases: 5, target: 'in-process LnsEngine' });
  });

  it('over UDP on loopback: our LAC as a real client, 4 cases, each followed by a clean call through IPCP', async () => {
    const port = await freePort();
    const clients: LacClient[] = [];
    try {
      const report = await fuzzClientOverUdp({
        listen: { address: '127.0.0.1', port },
        seed: 21,
        cases: 4,
        maxFindings: 4,
        user: 'fuzz',
        password: 'fuzz-secret',
        livenessThrough: 'session-up',
        caseMs: 3000,
        quietMs: 400,
        dial: async () => {
          clients.push(
            await createLac({ server: { address: '127.0.0.1', port }, user: 'fuzz', password: 'fuzz-secret' }),
          );
        },
      });
      expect(report.findings.map((f) => f.finding)).toEqual([]);
      expect(report.cases).toBe(4);
      expect(report.reached.SCCRP?.sent).toBe(4);
    } finally {
      await Promise.all(clients.map((c) => c.close(200).catch(() => undefined)));
    }
  }, 60_000);
});
