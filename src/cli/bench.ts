// `l2tp-ts bench`: session setup load against any LNS — T tunnels × N sessions, each with full LCP,
// authentication and IPCP, at most C calls in setup at once; reports sessions/s, per-second
// samples with cps min/avg/max, setup latency percentiles, failures and optional ping RTT.
// Related: ../io/setup-load.ts (the run), ../lac/load-scheduler.ts (which call goes next),
// ../lac/setup-samples.ts (the per-second view), ./bench-accounts.ts (--user 'u{n}',
// --users-file), bench/setup-rate.ts.

import type { AuthMethodName } from '../chap/methods.js';
import { type SetupLoad, startSetupLoad } from '../io/setup-load.js';
import type { LacAccount } from '../lac/lac.js';
import type { SetupLoadResult } from '../lac/load-scheduler.js';
import { DIAL_FLAGS, dialCredentials, formatFlags, parseArgs, parseHostPort, UsageError } from './args.js';
import { accountTemplate, readUsersFile, roundRobin, TEMPLATE_N } from './bench-accounts.js';

const FLAGS = {
  ...DIAL_FLAGS,
  user: {
    ...DIAL_FLAGS.user,
    help: `PPP user name; ${TEMPLATE_N} in it and in --password is the session's number, 1, 2, … over all sessions (--user 'u${TEMPLATE_N}' --password 'p${TEMPLATE_N}')`,
  },
  'users-file': {
    kind: 'string',
    help: 'accounts, one per line: "user password" or chap-secrets ("client server secret …"); sessions take them round-robin (instead of --user/--password)',
    valueName: 'FILE',
  },
  secret: { kind: 'string', help: 'L2TP tunnel secret (tunnel authentication)' },
  tunnels: { kind: 'int', help: 'tunnels to open (default 10)', min: 1, max: 10000 },
  sessions: { kind: 'int', help: 'sessions per tunnel (default 100)', min: 1, max: 65535 },
  concurrency: { kind: 'int', help: 'calls in setup at once, over all tunnels (default 200)', min: 1 },
  'tunnels-at-once': {
    kind: 'int',
    help: 'tunnels being opened at once (default 1: l2tpns takes a second SCCRQ from the same address and port as a duplicate)',
    min: 1,
  },
  'per-tunnel': {
    kind: 'int',
    help: 'calls in setup at once in one tunnel (default: no bound but --concurrency)',
    min: 1,
  },
  duration: {
    kind: 'int',
    help: 'give up on sessions not up after this many seconds (default 60; at most 86400, a day: --json keeps one sample per second)',
    min: 1,
    max: 86_400,
    valueName: 'SECONDS',
  },
  sequencing: {
    kind: 'boolean',
    help: 'ask for sequenced data in every session (Sequencing Required in ICCN, RFC 2661 §5.4)',
  },
  ping: { kind: 'boolean', help: 'after setup, ping the IPCP peer through every session and report the RTT' },
  bind: {
    kind: 'string',
    help: 'local address to bind (default 0.0.0.0, or :: when a server is IPv6)',
    valueName: 'ADDRESS',
  },
  json: { kind: 'boolean', help: 'print one JSON object instead of a table' },
} as const;

export const BENCH_HELP = `Usage: l2tp-ts bench --server HOST[:PORT] (--user U --password P | --users-file FILE) [options]

Session setup benchmark against any LNS: opens T tunnels and N sessions in each (full LCP,
authentication, IPCP), with at most C calls in setup at once, then reports the setup rate
(sessions/s), setup latency (p50/p90/p99/max, ICRQ sent → IPCP up), sessions up per second
(cps min/avg/max over the full seconds of the run, and a per-second table of cps, up, pending,
failed; a partial last second is shown but left out of min/avg/max), control retransmissions,
failures by reason and, with --ping, the RTT. --json prints all of it as one object
(docs/BENCHMARKS.md, "bench --json"). Bounded by --duration. Exit code 0 only when every
session came up (and pinged, with --ping).

Accounts: --user 'u{n}' --password 'p{n}' gives session n (1, 2, … over all sessions) the
account u<n>/p<n>; --users-file FILE gives one account per line ("user password", or the
LNS's chap-secrets "client server secret …"), taken round-robin.

Example: l2tp-ts bench --server 10.0.0.1 --user 'u{n}' --password 'p{n}' --tunnels 10 --sessions 100 --json

Options:
${formatFlags(FLAGS)}
`;

/** Formats a result as the lines `l2tp-ts bench` prints. */
export function formatSetupResult(r: SetupLoadResult, pingResult?: Awaited<ReturnType<SetupLoad['ping']>>): string {
  const f = (x: number): string => x.toFixed(1);
  const lines = [
    `sessions: ${r.up} up, ${r.failed} failed, ${r.pending} pending of ${r.requested} (tunnels ${r.tunnelsUp} up, ${r.tunnelsDown} down)`,
    `setup rate: ${f(r.sessionsPerSecond)} sessions/s (${r.up} in ${f(r.setupWindowMs)} ms; ${f(r.elapsedMs)} ms with tunnel setup)`,
    `setup latency ms: p50 ${f(r.latencyMs.p50)}  p90 ${f(r.latencyMs.p90)}  p99 ${f(r.latencyMs.p99)}  max ${f(r.latencyMs.max)}`,
    `load generator CPU: ${f(r.lacCpuMs)} ms (${r.up > 0 ? f((r.lacCpuMs * 1000) / r.up) : '-'} µs per session)`,
    `auth: ${
      Object.entries(r.auth)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '-'
    }`,
  ];
  lines.push(
    `cps (${(r.samples.at(-1)?.t ?? 0) < 1 ? 'run under 1 s: its rate' : 'sessions up per full second'}): min ${f(r.cps.min)}  avg ${f(r.cps.avg)}  max ${f(r.cps.max)}; control retransmissions: ${r.controlRetransmissions}`,
  );
  for (const [reason, n] of Object.entries(r.failures)) lines.push(`failure: ${n} × ${reason}`);
  lines.push(...formatSamples(r.samples));
  if (pingResult) {
    const p = pingResult.rttMs;
    lines.push(
      `ping: ${pingResult.ok} ok, ${pingResult.failed} failed; rtt ms p50 ${f(p.p50)}  p99 ${f(p.p99)}  max ${f(p.max)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Rows of the per-second table at most; a longer run shows every k-th second (--json has them all). */
export const SAMPLE_ROWS = 30;

/** The per-second table: seconds since the start, sessions up in that second, counters at its end. */
export function formatSamples(samples: SetupLoadResult['samples']): string[] {
  const step = Math.ceil(samples.length / SAMPLE_ROWS);
  const shown = samples.filter((_, i) => i % step === step - 1 || i === samples.length - 1);
  const rows = shown.map((s) =>
    [s.t % 1 === 0 ? `${s.t}` : s.t.toFixed(3), s.cps, s.up, s.pending, s.failed].map(String),
  );
  const head = ['t s', 'cps', 'up', 'pending', 'failed'];
  const width = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]): string => cells.map((x, c) => x.padStart(width[c]!)).join('  ');
  const note = step > 1 ? ` (one row every ${step} s, and the last; --json has every second)` : '';
  return [`per second${note}:`, line(head), ...rows.map(line)];
}

/** Runs `l2tp-ts bench`; returns the exit code (1 when any session failed or was still pending). */
export async function runBench(argv: readonly string[], out = process.stdout): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.help) {
    out.write(BENCH_HELP);
    return 0;
  }
  if (a._.length > 0) throw new UsageError(`unexpected argument '${a._[0]}'`);
  let accounts: readonly LacAccount[] | undefined;
  if (a['users-file'] !== undefined) {
    if (a.user !== undefined || a.password !== undefined) {
      throw new UsageError('--users-file gives the accounts: leave out --user and --password');
    }
    accounts = readUsersFile(a['users-file']);
  }
  const {
    server: serverText,
    fallbackServers,
    user,
    password,
  } = dialCredentials(accounts === undefined ? a : { ...a, ...accounts[0]! });
  const account = accounts === undefined ? accountTemplate(user, password) : roundRobin(accounts);
  const load = await startSetupLoad({
    server: parseHostPort(serverText, 1701),
    fallbackServers: fallbackServers.map((s) => parseHostPort(s, 1701)),
    user,
    password,
    ...(account !== undefined && { account }),
    auth: a.auth as AuthMethodName | undefined,
    secret: a.secret,
    tunnels: a.tunnels ?? 10,
    tunnelsAtOnce: a['tunnels-at-once'],
    sessionsPerTunnel: a.sessions ?? 100,
    concurrency: a.concurrency ?? 200,
    perTunnel: a['per-tunnel'],
    durationMs: (a.duration ?? 60) * 1000,
    localAddress: a.bind,
    sequencing: a.sequencing === true,
  });
  let r: SetupLoadResult;
  let pinged: Awaited<ReturnType<SetupLoad['ping']>> | undefined;
  try {
    r = await load.result;
    if (a.ping) pinged = await load.ping();
  } finally {
    await load.close();
  }
  if (a.json) out.write(`${JSON.stringify({ ...r, ping: pinged })}\n`);
  else out.write(formatSetupResult(r, pinged));
  const ok = r.up === r.requested && (pinged === undefined || pinged.failed === 0);
  return ok ? 0 : 1;
}
