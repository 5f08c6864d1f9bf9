// `l2tp-ts fuzz --role lns`: the fuzzer plays a mutating LNS so that L2TP clients can be fuzzed —
// our own LAC in-process on virtual time, or any client over UDP that dials `--listen` (xl2tpd as a
// LAC, xl2tpd + pppd in a guest, a router). Related: src/fuzz/lns-role.ts (cases, mutations),
// src/fuzz/lns-role-run.ts (oracles, in-process), src/io/fuzz-lns-role.ts (over UDP).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzzOurLac, type RoleCaseResult, type RoleReport } from '../fuzz/lns-role-run.js';
import { fuzzClientOverUdp } from '../io/fuzz-lns-role.js';
import { formatFlags, parseArgs, parseHostPort, UsageError } from './args.js';

const FLAGS = {
  role: { kind: 'string', help: 'lns: play the LNS (this page)', choices: ['lns'] },
  'in-process': { kind: 'boolean', help: 'fuzz our own LAC engine in-process on virtual time' },
  listen: {
    kind: 'string',
    help: 'serve the mutating LNS on HOST[:PORT] (port 1701 by default) for a real client to dial',
    valueName: 'HOST[:PORT]',
  },
  dial: {
    kind: 'string',
    help: "shell command that makes the client dial once, run per case (e.g. echo 'c fuzz' > /run/xl2tpd/l2tp-control)",
    valueName: 'CMD',
  },
  pid: { kind: 'int', help: 'the client process: a case after which it is gone is a crash', min: 1 },
  user: { kind: 'string', help: 'the name the client authenticates with (default fuzz)' },
  password: { kind: 'string', help: "the client's password (default fuzz-secret)" },
  seed: { kind: 'int', help: 'run seed: the same seed generates the same cases (default: from the clock)', min: 0 },
  cases: { kind: 'int', help: 'stop after N cases (default 1000 in-process, 50 over UDP)', min: 1 },
  'case-ms': { kind: 'int', help: 'UDP: real time one case may run (default 8000)', min: 100 },
  'quiet-ms': { kind: 'int', help: 'UDP: silence that ends a case (default 1500)', min: 10 },
  liveness: {
    kind: 'string',
    help: 'UDP: how far the clean dial after each case must get: call (ICCN, default) or session-up (IPCP)',
    choices: ['call', 'session-up'],
  },
  'max-findings': { kind: 'int', help: 'stop after N findings (default 5)', min: 1 },
  out: { kind: 'string', help: 'directory for the failing cases (default ./fuzz-failures)', valueName: 'DIR' },
  json: { kind: 'boolean', help: 'print one JSON report on stdout instead of text' },
} as const;

export const FUZZ_LNS_ROLE_HELP = `Usage: l2tp-ts fuzz --role lns --in-process [options]
       l2tp-ts fuzz --role lns --listen HOST[:PORT] [--dial CMD] [--pid PID] [options]

Fuzzes L2TP clients (LACs): plays an LNS that really negotiates (RFC 2661 tunnel and call, LCP,
MS-CHAPv2/CHAP-MD5/PAP, IPCP, IPv6CP) and corrupts chosen datagrams of it: the n-th SCCRP, ICRP,
ZLB, HELLO, CDN or StopCCN (AVP drops/duplicates/reorders, unknown M=1/M=0 AVPs, wrongly hidden
AVPs, bad lengths, Ns/Nr and ID changes, truncations, bit flips, oversize) or the n-th LCP, CHAP,
PAP, IPCP or IPv6CP packet (PPP Length, option lengths, unknown options, codes, CHAP Value-Size,
truncation, bit flips, past-MRU size), or drops/duplicates it. A rule can wait for a deep state
(after authentication, in the Network phase), which is where a client's option parsers run.
Checks: the client stays alive (--pid), everything it sends is still L2TP (header, Length,
Message Type first), and after each case a clean dial gets a call again (our own LAC in-process:
also no throw, no tripped internal-error guard, nothing held after teardown). Reports which
datagram kinds were sent and mutated and which LNS events were reached. Exit code 1 on findings.

Options:
${formatFlags(FLAGS)}
`;

/** Runs `l2tp-ts fuzz --role lns`; returns the exit code (0 clean, 1 findings). */
export async function runFuzzLnsRole(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.help) {
    process.stdout.write(FUZZ_LNS_ROLE_HELP);
    return 0;
  }
  if ((a.listen === undefined) === (a['in-process'] !== true)) {
    throw new UsageError('--role lns: give exactly one of --listen HOST[:PORT] or --in-process');
  }
  if (a['in-process'] === true && (a.dial !== undefined || a.pid !== undefined)) {
    throw new UsageError('--dial and --pid are for a real client (--listen)');
  }
  const seed = a.seed ?? Date.now() % 0x7fff_ffff;
  const json = a.json === true;
  const log = (line: string): void => {
    if (!json) process.stderr.write(`${line}\n`);
  };
  const outDir = a.out ?? 'fuzz-failures';
  const files: string[] = [];
  const onCase = (r: RoleCaseResult): void => {
    if (r.finding === undefined) return;
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `fuzz-lns-role-${r.finding.kind}-seed${seed}-case${r.index}.json`);
    writeFileSync(file, `${JSON.stringify({ role: 'lns', seed, caseIndex: r.index, ...r }, null, 2)}\n`);
    files.push(file);
    log(`FAIL ${r.finding.kind} (case ${r.index}, ${r.case.family}): ${r.finding.message}`);
    log(`  rules: ${JSON.stringify(r.case.rules)}`);
    log(`  saved ${file}`);
  };
  log(`fuzzing a client as the LNS, seed ${seed}`);
  let report: RoleReport;
  if (a['in-process'] === true) {
    report = fuzzOurLac({
      seed,
      cases: a.cases ?? 1000,
      ...(a['max-findings'] !== undefined && { maxFindings: a['max-findings'] }),
      onCase,
    });
  } else {
    const { address, port } = parseHostPort(a.listen!, 1701);
    const dial = a.dial;
    const pid = a.pid;
    report = await fuzzClientOverUdp({
      listen: { address, port },
      seed,
      cases: a.cases ?? 50,
      user: a.user ?? 'fuzz',
      password: a.password ?? 'fuzz-secret',
      ...(dial !== undefined && { dial: () => runShell(dial) }),
      ...(pid !== undefined && { alive: () => processAlive(pid) }),
      ...(a['case-ms'] !== undefined && { caseMs: a['case-ms'] }),
      ...(a['quiet-ms'] !== undefined && { quietMs: a['quiet-ms'] }),
      ...(a.liveness !== undefined && { livenessThrough: a.liveness as 'call' | 'session-up' }),
      ...(a['max-findings'] !== undefined && { maxFindings: a['max-findings'] }),
      onCase: (r) => {
        onCase(r);
        if (!json && r.index % 10 === 9) log(`  ${r.index + 1} cases`);
      },
    });
  }
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        role: 'lns',
        target: report.target,
        seed: report.seed,
        cases: report.cases,
        families: report.families,
        reached: report.reached,
        events: report.events,
        failures: report.findings.map((f, i) => ({ ...f.finding, caseIndex: f.index, file: files[i] })),
      })}\n`,
    );
  } else {
    const reached = Object.entries(report.reached)
      .map(([k, v]) => `${k} ${v.sent}/${v.mutated}`)
      .join(', ');
    log(`${report.cases} cases against ${report.target}: ${report.findings.length} failure(s)`);
    log(`  datagram kinds sent/mutated (cases): ${reached}`);
    log(
      `  LNS events reached (cases): ${Object.entries(report.events)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  return report.findings.length > 0 ? 1 : 0;
}

/** Runs `cmd` with sh -c, at most 10 s; its output is discarded (a failing dial shows as no traffic). */
function runShell(cmd: string): Promise<void> {
  return new Promise((resolve) => {
    const c = spawn('sh', ['-c', cmd], { stdio: 'ignore' });
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    c.on('error', () => {
      clearTimeout(t);
      resolve();
    });
    c.on('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
