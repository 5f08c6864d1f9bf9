// Summarises a V8 .cpuprofile (Profiler.stop output or node --cpu-prof): self time by source
// folder and by function, so docs/BENCHMARKS.md can say where the CPU of a run went.
//
//   node --import tsx bench/lib/profile-summary.ts FILE.cpuprofile [--top 30]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in µs per node id. */
function selfTimes(p: Profile): Map<number, number> {
  const t = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) t.set(p.samples[i]!, (t.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  return t;
}

/** The folder a frame belongs to: src/<dir>, node_modules/<pkg>, node:internal, or a V8 pseudo-frame. */
export function bucketOf(url: string, fn: string): string {
  if (url === '') return `(${fn || 'native'})`;
  const src = /\/src\/([^/]+)\//.exec(url);
  if (src) return `src/${src[1]}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `node_modules/${nm[1]}`;
  if (url.startsWith('node:')) return 'node:internal';
  return url.replace(/^.*\/(bench|test)\//, '$1/');
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: profile-summary FILE.cpuprofile [--top N]');
const top = Number(process.argv[process.argv.indexOf('--top') + 1] ?? 30) || 30;
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const self = selfTimes(p);
const byId = new Map(p.nodes.map((n) => [n.id, n]));
let total = 0;
const buckets = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const { url, functionName, lineNumber } = n.callFrame;
  if (functionName === '(idle)') continue;
  total += us;
  const b = bucketOf(url, functionName);
  buckets.set(b, (buckets.get(b) ?? 0) + us);
  const key = `${functionName || '(anon)'} ${url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}
const pct = (us: number): string => `${((us / total) * 100).toFixed(1)} %`;
process.stdout.write(
  `busy ${(total / 1000).toFixed(0)} ms (idle excluded)\n\n| where | self ms | share |\n|---|---|---|\n`,
);
for (const [b, us] of [...buckets].sort((a, z) => z[1] - a[1]))
  process.stdout.write(`| ${b} | ${(us / 1000).toFixed(1)} | ${pct(us)} |\n`);
process.stdout.write('\n| function | self ms | share |\n|---|---|---|\n');
for (const [f, us] of [...fns].sort((a, z) => z[1] - a[1]).slice(0, top))
  process.stdout.write(`| ${f} | ${(us / 1000).toFixed(1)} | ${pct(us)} |\n`);
