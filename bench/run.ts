// `npm run bench`: runs benchmarks one after another, each in its own node process (so one's heap
// and JIT state do not colour the next). Without names it runs the in-process ones, which need
// nothing but this checkout; name others to add them (they need what their line says).
// Related: docs/BENCHMARKS.md (what each measures and the recorded results).
//
//   npm run bench [-- NAME... | all]        e.g. npm run bench -- l2tp-codec io-udp
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Every benchmark: its file, whether it runs by default, what it needs. */
const BENCHMARKS: readonly { name: string; file: string; byDefault: boolean; needs: string }[] = [
  { name: 'l2tp-codec', file: 'l2tp-codec.bench.ts', byDefault: true, needs: 'nothing (tinybench, in-process)' },
  { name: 'ppp-negotiation', file: 'ppp-negotiation.bench.ts', byDefault: true, needs: 'nothing (in-process)' },
  { name: 'io-udp', file: 'io-udp.bench.ts', byDefault: false, needs: 'koffi, taskset, 2 CPUs; ~2 minutes' },
  { name: 'dataplane', file: 'dataplane.ts', byDefault: false, needs: 'root (namespaces, TUN), gcc' },
  { name: 'dataplane-lns', file: 'dataplane-lns.ts', byDefault: false, needs: 'root, l2tpns, freeradius, gcc' },
  { name: 'setup-rate', file: 'setup-rate.ts', byDefault: false, needs: 'root, l2tpns, freeradius' },
  { name: 'memory', file: 'memory.ts', byDefault: false, needs: 'root, l2tpns, freeradius' },
];

const names = process.argv.slice(2);
if (names.includes('--help') || names.includes('-h')) {
  process.stdout.write('Usage: npm run bench [-- NAME... | all]\n\n');
  for (const b of BENCHMARKS) {
    process.stdout.write(`  ${b.name.padEnd(16)} ${b.byDefault ? '(default) ' : ''}needs ${b.needs}\n`);
  }
  process.exit(0);
}
const unknown = names.filter((n) => n !== 'all' && !BENCHMARKS.some((b) => b.name === n));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')} (see npm run bench -- --help)\n`);
  process.exit(2);
}
const chosen = BENCHMARKS.filter((b) =>
  names.length === 0 ? b.byDefault : names.includes('all') || names.includes(b.name),
);

const failed: string[] = [];
for (const b of chosen) {
  process.stdout.write(`\n## ${b.name} (bench/${b.file})\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, b.file)], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(b.name);
}
if (failed.length > 0) {
  process.stderr.write(`\nfailed: ${failed.join(', ')}\n`);
  process.exit(1);
}
