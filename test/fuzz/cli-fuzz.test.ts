// `l2tp-ts fuzz` as a function (runFuzz): exit codes, the JSON report, --replay of a saved case.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { runFuzz } from '../../src/cli/fuzz.js';
import type { SavedCase } from '../../src/fuzz/fuzz-case.js';

function capture(): { out: () => string } {
  let text = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    text += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { out: () => text };
}

describe('l2tp-ts fuzz', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('--in-process --cases 40 --json: exit 0, one JSON report, no failure files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2tp-fuzz-'));
    dirs.push(dir);
    const c = capture();
    const code = await runFuzz(['--in-process', '--cases', '40', '--seed', '9', '--json', '--out', dir]);
    expect(code).toBe(0);
    const report = JSON.parse(c.out()) as { cases: number; seed: number; failures: unknown[]; target: string };
    expect(report).toMatchObject({ cases: 40, seed: 9, failures: [], target: 'in-process LnsEngine' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('--replay FILE: a case that passes now exits 0 and says it did not reproduce', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2tp-fuzz-'));
    dirs.push(dir);
    const saved: SavedCase = {
      format: 'l2tp-ts-fuzz-case/1',
      target: 'broken Endpoint',
      seed: 1,
      caseIndex: 0,
      expect: { kind: 'crash', step: 0, message: 'threw: boom' },
      case: {
        family: 'unknown-avp',
        steps: [{ kind: 'SCCRQ', mutations: [{ op: 'unknown-avp', vendorId: 0, type: 0x7f01, mandatory: false }] }],
      },
      wire: [],
    };
    const file = join(dir, 'case.json');
    writeFileSync(file, JSON.stringify(saved));
    const c = capture();
    expect(await runFuzz(['--in-process', '--engine', 'endpoint', '--replay', file, '--json'])).toBe(0);
    expect(JSON.parse(c.out())).toMatchObject({ reproduced: false, finding: null });
  });

  it('--replay of a malformed case file: a usage error naming the file and the bad field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2tp-fuzz-'));
    dirs.push(dir);
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: 'l2tp-ts-fuzz-case/1',
        target: 't',
        seed: 1,
        caseIndex: 0,
        expect: { kind: 'crash', step: 0, message: '' },
        case: { family: 'f', steps: [] },
        wire: [],
        peer: { name: 'xl2tpd', version: '', clause: '§3.1' },
      }),
    );
    capture();
    await expect(runFuzz(['--in-process', '--replay', file])).rejects.toThrow(
      new UsageError(`--replay ${file}: peer.version must be a non-empty string`),
    );
  });

  it('usage: exactly one of --target / --in-process; a bad replay file is a usage error', async () => {
    capture();
    await expect(runFuzz([])).rejects.toBeInstanceOf(UsageError);
    await expect(runFuzz(['--in-process', '--target', '127.0.0.1'])).rejects.toBeInstanceOf(UsageError);
    await expect(runFuzz(['--in-process', '--replay', '/nonexistent/case.json'])).rejects.toBeInstanceOf(UsageError);
    expect(await runFuzz(['--help'])).toBe(0);
  });
});
