// Teardown cost of the LNS engine: N sessions in T tunnels brought up in-process (our LAC engine,
// no authentication, virtual time, datagrams handed over directly), then torn down two ways, each
// timed on the wall clock (issue 9 item 5: "tearing down N sessions is O(N)"):
//   lns-stop  the LNS shuts down: LnsEngine.closeAll (StopCCN on every tunnel) and the drain of
//             its events, the synchronous work `l2tp-ts lns` does on SIGTERM;
//   lns-stop-sliced  the same as createLns's close() does it: LnsEngine.closeSome slices of
//             TEARDOWN_SLICE_SESSIONS, each drained, the event loop free between them;
//   lac-stop  the LAC sends StopCCN on every tunnel: each datagram is one LnsEngine.handleDatagram
//             call followed by the drain of its events, as the UDP driver does per datagram.
// "longest block" is the longest single engine call plus its drain: what holds the event loop.
// Several sizes show whether the cost grows linearly (µs per session stays flat) or not.
//
//   node --import tsx bench/teardown.ts [--sizes 10000x10,40000x400] [--cases lns-stop,lns-stop-sliced,lac-stop] [--runs 1] [--json]
//
// A size is SESSIONSxTUNNELS. Related: docs/BENCHMARKS.md "Teardown", test/lns/teardown.test.ts.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { TEARDOWN_SLICE_SESSIONS } from '../src/io/create-lns.js';
import {
  manySessionsUp as bringUp,
  drainEvents as drain,
  PAIR_LAC as LAC,
  type EnginePair as Pair,
} from '../test/support/engine-pair.js';
import { machineNote } from './lib/procs.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const SIZES = arg('sizes', '5000x50,10000x10,10000x100,20000x200,40000x400')
  .split(',')
  .map((s) => {
    const [n, t] = s.split('x').map(Number);
    if (!n || !t || n % t !== 0) throw new Error(`bad size ${s} (SESSIONSxTUNNELS, SESSIONS a multiple of TUNNELS)`);
    return { sessions: n, tunnels: t };
  });
const RUNS = Number(arg('runs', '1'));
const CASES = arg('cases', 'lns-stop,lns-stop-sliced,lac-stop').split(',');
/** --profile DIR: a V8 CPU profile of each teardown alone (not the setup), DIR/CASE-N-T.cpuprofile. */
const PROFILE_DIR = arg('profile', '');
const inspector = PROFILE_DIR === '' ? undefined : new Session();
inspector?.connect();
const post = (method: string, params?: object): Promise<unknown> =>
  new Promise((resolve, reject) =>
    inspector?.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
  );
if (inspector !== undefined) await post('Profiler.enable');

interface Row {
  case: keyof typeof CASE_RUNNERS;
  sessions: number;
  tunnels: number;
  totalMs: number;
  longestBlockMs: number;
  usPerSession: number;
  /** CPU time (user + system) of the teardown: steadier than wall time on a shared machine. */
  cpuMs?: number;
}

/** Runs `f`, returns its wall-clock ms. */
function timed(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** Runs a teardown case, under the CPU profiler with --profile. */
async function profiled(name: string, f: () => Row): Promise<Row> {
  if (inspector === undefined) return f();
  await post('Profiler.start');
  const row = f();
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(`${PROFILE_DIR}/${name}.cpuprofile`, JSON.stringify(profile));
  return row;
}

/** The LNS shuts down: one closeAll and the drain of its events. */
function lnsStop(pair: Pair, sessions: number, tunnels: number): Row {
  const { lns, now } = pair;
  const ms = timed(() => {
    lns.closeAll(now);
    drain(lns);
  });
  if (lns.status().addressesInUse !== 0) throw new Error('lns-stop left addresses in use');
  return { case: 'lns-stop', sessions, tunnels, totalMs: ms, longestBlockMs: ms, usPerSession: (ms * 1000) / sessions };
}

/** The LNS shuts down as createLns's close() does: closeSome slices, each drained (the loop runs between). */
function lnsStopSliced(pair: Pair, sessions: number, tunnels: number): Row {
  const { lns, now } = pair;
  let total = 0;
  let longest = 0;
  for (let done = false; !done; ) {
    const ms = timed(() => {
      done = lns.closeSome(now, TEARDOWN_SLICE_SESSIONS);
      drain(lns);
    });
    total += ms;
    longest = Math.max(longest, ms);
  }
  if (lns.status().addressesInUse !== 0) throw new Error('lns-stop-sliced left addresses in use');
  const usPerSession = (total * 1000) / sessions;
  return { case: 'lns-stop-sliced', sessions, tunnels, totalMs: total, longestBlockMs: longest, usPerSession };
}

/** The LAC sends StopCCN on every tunnel: one LNS call (and drain) per datagram. */
function lacStop(pair: Pair, sessions: number, tunnels: number): Row {
  const { lns, lac } = pair;
  lac.stop(pair.now);
  drain(lac);
  const stops: Uint8Array[] = [];
  for (let t = lac.pollTransmit(); t !== undefined; t = lac.pollTransmit()) stops.push(t.bytes);
  let total = 0;
  let longest = 0;
  for (const bytes of stops) {
    const ms = timed(() => {
      lns.handleDatagram(bytes, LAC, pair.now);
      drain(lns);
    });
    total += ms;
    longest = Math.max(longest, ms);
  }
  if (lns.status().addressesInUse !== 0) throw new Error('lac-stop left addresses in use');
  return {
    case: 'lac-stop',
    sessions,
    tunnels,
    totalMs: total,
    longestBlockMs: longest,
    usPerSession: (total * 1000) / sessions,
  };
}

const CASE_RUNNERS = { 'lns-stop': lnsStop, 'lns-stop-sliced': lnsStopSliced, 'lac-stop': lacStop } as const;
const rows: Row[] = [];
for (let run = 0; run < RUNS; run++) {
  for (const { sessions, tunnels } of SIZES) {
    for (const name of CASES) {
      const teardown = CASE_RUNNERS[name as keyof typeof CASE_RUNNERS];
      if (teardown === undefined) throw new Error(`unknown case ${name}`);
      const pair = bringUp(sessions, tunnels);
      // Setup garbage is collected before the clock starts, where the runtime allows it.
      (globalThis as { gc?: () => void }).gc?.();
      const cpu0 = process.cpuUsage();
      const r = await profiled(`${name}-${sessions}-${tunnels}`, () => teardown(pair, sessions, tunnels));
      const cpu = process.cpuUsage(cpu0);
      r.cpuMs = (cpu.user + cpu.system) / 1000;
      rows.push(r);
      process.stderr.write(
        `${r.case} ${sessions} sessions in ${tunnels} tunnels: ${r.totalMs.toFixed(1)} ms, longest block ${r.longestBlockMs.toFixed(1)} ms, ${r.usPerSession.toFixed(2)} µs/session, CPU ${r.cpuMs.toFixed(1)} ms\n`,
      );
    }
  }
}

if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ machine: machineNote(), rows }, null, 2)}\n`);
else {
  process.stdout.write(`# ${machineNote()}\n`);
  process.stdout.write(
    '| case | sessions | tunnels | total ms | longest block ms | µs / session | CPU ms |\n|---|---|---|---|---|---|---|\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r.case} | ${r.sessions} | ${r.tunnels} | ${r.totalMs.toFixed(1)} | ${r.longestBlockMs.toFixed(1)} | ${r.usPerSession.toFixed(2)} | ${(r.cpuMs ?? 0).toFixed(1)} |\n`,
    );
  }
}
