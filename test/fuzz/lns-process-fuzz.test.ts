// The UDP fuzz target against our own LNS as a process (`l2tp-ts lns --userspace` on 127.0.0.1):
// the same oracles as in-process, through the real socket layer (src/io). Bounded to ~10 s.
// Related: test/e2e/cli-process.ts (starts the LNS), src/io/udp-fuzz-target.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { describeWire, fuzz } from '../../src/fuzz/fuzzer.js';
import { udpTargetFactory } from '../../src/io/udp-fuzz-target.js';
import { cleanupProcesses, startLns } from '../e2e/cli-process.js';

describe('fuzz vs l2tp-ts lns (process, UDP)', () => {
  afterAll(cleanupProcesses);

  it('RFC2661-4.1/5.8: ~10 s of generated cases over UDP find nothing; the LNS keeps running', async () => {
    const lns = await startLns(['--userspace', '--user', 'alice:s3cret']);
    const r = await fuzz({
      factory: udpTargetFactory({ host: '127.0.0.1', port: lns.port, quietMs: 80 }),
      seed: 0x4c4e53,
      durationMs: 10_000,
      clock: () => Date.now(),
      maxFindings: 1,
      shrinkBudget: 20,
    });
    const report = r.findings.map((f) => `${f.expect.kind}: ${f.expect.message}\n${describeWire(f)}`).join('\n');
    expect(report).toBe('');
    expect(r.cases).toBeGreaterThan(3);
    // Still serving: the control socket answers.
    expect((await lns.status()).poolSize).toBeGreaterThan(0);
  }, 60_000);
});
