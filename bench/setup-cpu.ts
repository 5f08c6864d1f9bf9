// CPU of session setup inside the engines, no sockets: our LNS engine and our LAC engine back to
// back on virtual time (test/support/engine-pair.ts), full LCP + auth + IPCP per call, and only
// the LNS engine's calls timed (handleDatagram, handleTimeout, the poll* drains). It isolates the
// sans-IO part of bench/setup-rate.ts's "LNS CPU µs per session" (which adds the UDP syscalls, the
// driver and GC of the whole process) and varies far less on a shared machine. Also times the
// authentication crypto alone (what src/chap computes per session, both sides apart).
// Related: bench/setup-rate.ts, docs/BENCHMARKS.md "Session setup rate".
//
//   node --import tsx bench/setup-cpu.ts [--auth mschapv2,chap] [--tunnels 10] [--sessions 100] [--runs 5] [--profile FILE]
//        [--heap-profile FILE]   (V8's sampling heap profiler over the runs: where the bytes are allocated)

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session as Inspector } from 'node:inspector';
import { md4 } from '../src/chap/md4.js';
import { challengeResponse, generateAuthenticatorResponse, generateNtResponse } from '../src/chap/mschapv2.js';
import { seededRandom } from '../src/core/seeded-random.js';
import { LacEngine } from '../src/lac/lac.js';
import { AddressPool } from '../src/lns/address-pool.js';
import { LnsEngine } from '../src/lns/lns.js';
import { EnginePair, PAIR_LNS } from '../test/support/engine-pair.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const AUTHS = arg('auth', 'mschapv2,chap').split(',') as ('mschapv2' | 'chap')[];
const TUNNELS = Number(arg('tunnels', '10'));
const SESSIONS = Number(arg('sessions', '100'));
const RUNS = Number(arg('runs', '5'));
const PROFILE = arg('profile', '');
const HEAP_PROFILE = arg('heap-profile', '');

/** Wraps every method the pair calls on the LNS so that only the LNS's own time is summed. */
function timed(lns: LnsEngine): { readonly ns: () => number } {
  let total = 0n;
  for (const m of ['handleDatagram', 'handleTimeout', 'pollTransmit', 'pollEvent', 'pollTimeout'] as const) {
    const f = (lns[m] as (...a: unknown[]) => unknown).bind(lns);
    (lns as unknown as Record<string, unknown>)[m] = (...a: unknown[]): unknown => {
      const t0 = process.hrtime.bigint();
      const r = f(...a);
      total += process.hrtime.bigint() - t0;
      return r;
    };
  }
  return { ns: () => Number(total) };
}

function oneRun(auth: 'mschapv2' | 'chap'): { lnsUs: number; totalUs: number } {
  const lns = new LnsEngine({
    random: seededRandom(7),
    hostName: 'lns',
    auth: [auth],
    users: (u) => (u === 'alice' ? { secret: 's3cret' } : undefined),
    pool: new AddressPool(['10.0.0.1-10.3.255.254']),
    localAddress: '10.255.255.254',
    dns: ['10.255.255.53'],
    userspace: true,
    echoIntervalMs: 0,
    endpoint: {
      helloIntervalMs: 0,
      limits: { maxCallsInSetupPerPeer: 1_000_000, maxTunnelsPerPeer: 65_535, newTunnelsPerSecondPerPeer: 1_000_000 },
    },
  });
  const lac = new LacEngine({
    random: seededRandom(11),
    server: PAIR_LNS,
    user: 'alice',
    password: 's3cret',
    auth: [auth],
    tunnels: TUNNELS,
    sessionsPerTunnel: SESSIONS,
    echoIntervalMs: 0,
    endpoint: { helloIntervalMs: 0 },
  });
  const clock = timed(lns);
  const pair = new EnginePair(lns, lac, false);
  const n = TUNNELS * SESSIONS;
  const c0 = process.cpuUsage();
  lac.start(pair.now);
  if (!pair.run(() => lns.status().addressesInUse === n, 600_000))
    throw new Error(`${auth}: only ${lns.status().addressesInUse} of ${n} up`);
  const c = process.cpuUsage(c0);
  return { lnsUs: clock.ns() / 1000 / n, totalUs: (c.user + c.system) / n };
}

/** The crypto of one MS-CHAPv2 authentication (RFC 2759), as src/chap does it, both sides. */
function cryptoAlone(): Record<string, number> {
  const auth = new Uint8Array(16).fill(1);
  const peer = new Uint8Array(16).fill(2);
  const rounds = 20_000;
  const time = (f: () => void): number => {
    for (let i = 0; i < 500; i++) f();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) f();
    return Number(process.hrtime.bigint() - t0) / 1000 / rounds;
  };
  const pwHash = md4(new TextEncoder().encode('s\0' + '3\0c\0r\0e\0t\0'));
  return {
    'md4(password) µs': time(() => md4(new TextEncoder().encode('s\u00003\u0000c\u0000r\u0000e\u0000t\u0000'))),
    'GenerateNTResponse (MD4 + SHA-1 + 3 DES) µs': time(() => generateNtResponse(auth, peer, 'alice', 's3cret')),
    'ChallengeResponse (3 DES) µs': time(() => challengeResponse(new Uint8Array(8), pwHash)),
    'GenerateAuthenticatorResponse (2 MD4 + 2 SHA-1) µs': time(() =>
      generateAuthenticatorResponse('s3cret', new Uint8Array(24), peer, auth, 'alice'),
    ),
    'one SHA-1 (node:crypto createHash) µs': time(() => createHash('sha1').update(auth).digest()),
    'one MD5 (CHAP-MD5 response) µs': time(() => createHash('md5').update(auth).update(peer).digest()),
  };
}

const inspector = PROFILE === '' && HEAP_PROFILE === '' ? undefined : new Inspector();
if (inspector) {
  inspector.connect();
  if (PROFILE !== '')
    await new Promise<void>((r) =>
      inspector.post('Profiler.enable', () => inspector.post('Profiler.start', () => r())),
    );
  if (HEAP_PROFILE !== '')
    await new Promise<void>((r) =>
      inspector.post('HeapProfiler.enable', () =>
        inspector.post(
          'HeapProfiler.startSampling',
          { samplingInterval: 1024, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true },
          () => r(),
        ),
      ),
    );
}
for (const auth of AUTHS) {
  const rs = Array.from({ length: RUNS }, () => oneRun(auth));
  const lns = rs.map((r) => r.lnsUs).sort((a, b) => a - b);
  const tot = rs.map((r) => r.totalUs).sort((a, b) => a - b);
  process.stdout.write(
    `${auth}: LNS engine µs/session median ${lns[rs.length >> 1]!.toFixed(1)} best ${lns[0]!.toFixed(1)} ` +
      `(runs ${rs.map((r) => r.lnsUs.toFixed(0)).join(' ')}); whole process (LNS + LAC + GC) median ${tot[rs.length >> 1]!.toFixed(1)}\n`,
  );
}
if (inspector && PROFILE !== '') {
  await new Promise<void>((r) =>
    inspector.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(PROFILE, JSON.stringify(res.profile));
      r();
    }),
  );
}
if (inspector && HEAP_PROFILE !== '') {
  await new Promise<void>((r) =>
    inspector.post('HeapProfiler.stopSampling', (err, res) => {
      if (!err) writeFileSync(HEAP_PROFILE, JSON.stringify(res.profile));
      r();
    }),
  );
}
if (!args.includes('--no-crypto'))
  for (const [k, v] of Object.entries(cryptoAlone())) process.stdout.write(`crypto: ${k} ${v.toFixed(2)}\n`);
