// `l2tp-ts fuzz`: the conformance fuzzer against a real endpoint over UDP or our own engines
// in-process; saves every failure, shrunk, as a replayable JSON case; `--replay FILE` re-runs one.
// Related: src/fuzz/fuzzer.ts (the loop), src/fuzz/conversation.ts (the oracles).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../core/seeded-random.js';
import { parseSavedCase, type SavedCase } from '../fuzz/fuzz-case.js';
import { compareReplies, describeWire, type FuzzReport, fuzz, replay } from '../fuzz/fuzzer.js';
import { endpointTargetFactory, lnsEngineTargetFactory } from '../fuzz/in-process.js';
import type { FuzzTargetFactory } from '../fuzz/target.js';
import { udpTargetFactory } from '../io/udp-fuzz-target.js';
import { formatFlags, parseArgs, parseHostPort, UsageError } from './args.js';
import { runFuzzLnsRole } from './fuzz-lns-role.js';

const FLAGS = {
  target: {
    kind: 'string',
    help: 'the endpoint under test, HOST[:PORT] (port 1701 by default)',
    valueName: 'HOST[:PORT]',
  },
  'in-process': { kind: 'boolean', help: 'fuzz our own engine in-process on virtual time (see --engine)' },
  engine: {
    kind: 'string',
    help: 'in-process engine: lns (LnsEngine with PPP, default) or endpoint (bare L2TP Endpoint)',
    choices: ['lns', 'endpoint'],
  },
  seed: { kind: 'int', help: 'run seed: the same seed generates the same cases (default: from the clock)', min: 0 },
  cases: { kind: 'int', help: 'stop after N cases (default 1000 unless --duration is given)', min: 1 },
  duration: { kind: 'int', help: 'stop after S seconds', min: 1, valueName: 'S' },
  secret: { kind: 'string', help: 'L2TP tunnel secret the target expects (Challenge Response, hidden AVPs)' },
  replay: {
    kind: 'string',
    help: 'replay a saved case: prints the datagrams recorded vs now, exit 1 when the recorded failure still reproduces, 0 when it does not',
    valueName: 'FILE',
  },
  out: { kind: 'string', help: 'directory for shrunk failing cases (default ./fuzz-failures)', valueName: 'DIR' },
  'quiet-ms': { kind: 'int', help: "UDP: silence that ends one step's replies (default 150)", min: 10 },
  'max-findings': { kind: 'int', help: 'stop after N distinct failures (default 5)', min: 1 },
  liveness: {
    kind: 'string',
    help: "how far the after-case setup must get: iccn (default, the call survives its ICCN) or icrp (an LNS whose PPP cannot start hangs up there); --replay defaults to the case's own",
    choices: ['iccn', 'icrp'],
  },
  json: { kind: 'boolean', help: 'print one JSON report on stdout instead of text' },
} as const;

export const FUZZ_HELP = `Usage: l2tp-ts fuzz --target HOST[:PORT] | --in-process [options]
       l2tp-ts fuzz --replay FILE (--target HOST[:PORT] | --in-process)
       l2tp-ts fuzz --role lns (--in-process | --listen HOST[:PORT]) [options]   (fuzz a client; --role lns --help)

Conformance fuzzer for L2TPv2 endpoints (RFC 2661). Plays the LAC side of generated and mutated
control sequences (valid SCCRQ→SCCCN→ICRQ→ICCN exchanges, AVP drops/duplicates/reorders, bad
lengths, unknown M=1/M=0 AVPs, hidden AVPs with wrong secrets, out-of-window Ns/Nr, duplicated and
reordered messages, truncations, bit flips, data for unknown sessions, oversized messages, garbage)
and checks: every reply decodes (Message Type first, required AVPs), Nr acknowledges only what was
sent, StopCCN/CDN for an unknown M=1 AVP carry Result 2 / Error 8, unknown M=0 AVPs are ignored, a
retransmitted SCCRQ gets no second tunnel, datagrams §3.1 says to discard get no answer, and a
fresh tunnel + session still comes up after every case. Every failure is shrunk to a minimal case
and saved as JSON (hex datagrams + the expected finding). Exit code 1 if anything failed.

--replay FILE runs one saved case again (the cases found in real peers are under test/fuzz/cases/,
see docs/FINDINGS.md) and prints the datagrams as recorded and as seen now, which steps' replies
differ, and whether the recorded failure reproduces: exit 1 if it does, 0 if it no longer does.

Options:
${formatFlags(FLAGS)}
`;

/** Runs `l2tp-ts fuzz`; returns the exit code (0 clean, 1 findings, 2 usage). */
export async function runFuzz(argv: readonly string[]): Promise<number> {
  // --role lns: the fuzzer plays the LNS (its own flags, src/cli/fuzz-lns-role.ts); --role lac is this page.
  const r = argv.indexOf('--role');
  const role = r >= 0 ? argv[r + 1] : argv.find((x) => x.startsWith('--role='))?.slice('--role='.length);
  if (role === 'lns') return runFuzzLnsRole(argv);
  if (role !== undefined && role !== 'lac') throw new UsageError(`--role '${role}': expected lac or lns`);
  const a = parseArgs(
    argv.filter((x, i) => !(x === '--role' || x.startsWith('--role=') || (i > 0 && argv[i - 1] === '--role'))),
    FLAGS,
  );
  if (a.help) {
    process.stdout.write(FUZZ_HELP);
    return 0;
  }
  if ((a.target === undefined) === (a['in-process'] !== true)) {
    throw new UsageError('give exactly one of --target HOST[:PORT] or --in-process');
  }
  const secret = a.secret !== undefined ? new TextEncoder().encode(a.secret) : undefined;
  let factory: FuzzTargetFactory;
  if (a.target !== undefined) {
    const { address, port } = parseHostPort(a.target, 1701);
    factory = udpTargetFactory({
      host: address,
      port,
      ...(a['quiet-ms'] !== undefined ? { quietMs: a['quiet-ms'] } : {}),
    });
  } else {
    let k = 0;
    const o = { random: () => seededRandom(0x2661 + k++), ...(secret !== undefined ? { secret } : {}) };
    factory = a.engine === 'endpoint' ? endpointTargetFactory(o) : lnsEngineTargetFactory(o);
  }
  const livenessThrough = a.liveness === 'icrp' ? ('icrp' as const) : ('iccn' as const);
  if (a.replay !== undefined) {
    return replayFile(a.replay, factory, a.json === true, a.liveness === undefined ? undefined : livenessThrough);
  }

  const seed = a.seed ?? Date.now() % 0x7fff_ffff;
  const outDir = a.out ?? 'fuzz-failures';
  const saved: string[] = [];
  let lastProgress = Date.now();
  const log = (line: string): void => {
    if (a.json !== true) process.stderr.write(`${line}\n`);
  };
  log(`fuzzing with seed ${seed}`);
  const report = await fuzz({
    factory,
    seed,
    ...(a.cases !== undefined || a.duration === undefined ? { cases: a.cases ?? 1000 } : {}),
    ...(a.duration !== undefined ? { durationMs: a.duration * 1000 } : {}),
    clock: () => Date.now(),
    livenessThrough,
    ...(secret !== undefined ? { secret } : {}),
    ...(a['max-findings'] !== undefined ? { maxFindings: a['max-findings'] } : {}),
    onProgress: ({ done, findings }) => {
      if (Date.now() - lastProgress >= 2000) {
        lastProgress = Date.now();
        log(`  ${done} cases, ${findings} failure(s)`);
      }
    },
    onFinding: (f) => {
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, `fuzz-${f.expect.kind}-seed${f.seed}-case${f.caseIndex}.json`);
      writeFileSync(file, `${JSON.stringify(f, null, 2)}\n`);
      saved.push(file);
      log(
        `FAIL ${f.expect.kind} (case ${f.caseIndex}, ${f.case.steps.length} step(s) after shrinking): ${f.expect.message}`,
      );
      log(describeWire(f).replace(/^/gm, '    '));
      log(`  saved ${file}`);
    },
  });
  if (a.json === true) process.stdout.write(`${JSON.stringify(jsonReport(report, saved))}\n`);
  else {
    const fam = Object.entries(report.families)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    log(`${report.cases} cases against ${report.target} (${fam}): ${report.findings.length} failure(s)`);
  }
  return report.findings.length > 0 ? 1 : 0;
}

function jsonReport(r: FuzzReport, files: readonly string[]): object {
  return {
    target: r.target,
    seed: r.seed,
    cases: r.cases,
    families: r.families,
    failures: r.findings.map((f, i) => ({
      ...f.expect,
      caseIndex: f.caseIndex,
      steps: f.case.steps.length,
      file: files[i],
    })),
  };
}

async function replayFile(
  file: string,
  factory: FuzzTargetFactory,
  json: boolean,
  livenessGiven: 'icrp' | 'iccn' | undefined,
): Promise<number> {
  let saved: SavedCase;
  try {
    saved = parseSavedCase(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--replay ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // --liveness wins; else what the case was recorded with; else iccn.
  const livenessThrough = livenessGiven ?? saved.liveness ?? 'iccn';
  const r = await replay(factory, saved, { livenessThrough });
  const diff = compareReplies(saved.wire, r.wire);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ file, target: saved.target, expect: saved.expect, reproduced: r.reproduced, finding: r.finding ?? null, repliesAsRecorded: diff.length === 0, replyDifferences: diff })}\n`,
    );
  } else {
    process.stderr.write(`recorded against ${saved.target}:\n${describeWire(saved).replace(/^/gm, '  ')}\n`);
    process.stderr.write(`now:\n${describeWire(r).replace(/^/gm, '  ')}\n`);
    process.stderr.write(
      diff.length === 0
        ? 'replies: the same message types per step as recorded\n'
        : `replies differ from the recording:\n${diff.map((d) => `  ${d}`).join('\n')}\n`,
    );
    process.stderr.write(`recorded: ${saved.expect.kind} at step ${saved.expect.step}: ${saved.expect.message}\n`);
    process.stderr.write(
      r.reproduced
        ? `reproduced: ${r.finding?.kind} at step ${r.finding?.step}: ${r.finding?.message}\n`
        : `did not reproduce (expected ${saved.expect.kind}); ${r.finding ? `got ${r.finding.kind}: ${r.finding.message}` : 'the case passes now'}\n`,
    );
  }
  return r.reproduced ? 1 : 0;
}
