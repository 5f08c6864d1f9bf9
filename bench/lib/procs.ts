// Process helpers of the setup-rate and memory benchmarks: our LNS as a pinned child process
// (lns-child.ts), CPU and RSS of any PID from /proc, pinning, and machine notes for the report.
// Related: bench/setup-rate.ts, bench/memory.ts, test/support/netns.ts (namespaces, l2tpns).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLK_TCK = 100;

/** Memory and CPU as lns-child.ts reports them (after 3 forced GCs). */
export interface ChildMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly sessions: number;
  readonly cpuMs: number;
  readonly gc: boolean;
}

/** Our LNS in its own process. */
export interface LnsChild {
  readonly pid: number;
  readonly port: number;
  mem(): Promise<ChildMemory>;
  /** Sends a raw command line ("prof-start", "prof-stop FILE") and returns its one-line answer. */
  command(line: string): Promise<string>;
  /** "quit", then SIGKILL by PID after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link startLnsChild}. */
export interface LnsChildOptions {
  readonly address: string;
  readonly port: number;
  readonly auth: 'mschapv2' | 'chap';
  readonly user: string;
  readonly password: string;
  /** Receive Window Size the LNS advertises (default 4). */
  readonly receiveWindow?: number;
  /** Pin to this CPU (taskset -c). */
  readonly cpu?: number;
  /** Run inside this network namespace (ip netns exec). */
  readonly netns?: string;
  /** Extra node flags, e.g. ['--cpu-prof']. */
  readonly nodeArgs?: readonly string[];
}

/** Starts bench/lib/lns-child.ts (node --expose-gc); resolves once it listens. */
export async function startLnsChild(o: LnsChildOptions): Promise<LnsChild> {
  // L2TP_BENCH_LNS_JS=FILE: run a compiled copy of lns-child.ts (esbuild/tsc output) instead of
  // the TypeScript through tsx, to measure what tsx costs at run time (docs/BENCHMARKS.md).
  const compiled = process.env.L2TP_BENCH_LNS_JS;
  const node = [
    process.execPath,
    '--expose-gc',
    ...(o.nodeArgs ?? []),
    ...(compiled === undefined ? ['--import', 'tsx', join(HERE, 'lns-child.ts')] : [compiled]),
    o.address,
    String(o.port),
    o.auth,
    o.user,
    o.password,
    String(o.receiveWindow ?? 4),
  ];
  const pinned = o.cpu === undefined ? node : ['taskset', '-c', String(o.cpu), ...node];
  const argv = o.netns === undefined ? pinned : ['ip', 'netns', 'exec', o.netns, ...pinned];
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: join(HERE, '..', '..'),
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const w = waiters.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const nextLine = (timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolve(queued);
      const timer = setTimeout(() => reject(new Error('lns-child: no answer')), timeoutMs);
      waiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ready = JSON.parse(await nextLine(30_000)) as { port: number; pid: number };
  return {
    // The node process itself (not `ip netns exec`/taskset, which exec into it).
    pid: ready.pid,
    port: ready.port,
    async mem() {
      child.stdin!.write('mem\n');
      return JSON.parse(await nextLine(30_000)) as ChildMemory;
    },
    async command(line) {
      child.stdin!.write(`${line}\n`);
      return nextLine(30_000);
    },
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.write('quit\n');
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done && child.pid !== undefined) {
        try {
          process.kill(ready.pid, 'SIGKILL');
        } catch {}
        await Promise.race([exited, sleep(1000)]);
      }
    },
  };
}

/** A sleep. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** utime+stime of `pid` in ms (all its threads), from /proc/PID/stat. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/** VmRSS of `pid` in bytes. */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** The PID of the process named `comm` among `pid` and its descendants (ip netns exec, sh -c …). */
export function findProcess(pid: number, comm: string): number | undefined {
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.shift()!;
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm) return p;
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      if (kids) todo.push(...kids.split(/\s+/).map(Number));
    } catch {}
  }
  return undefined;
}

/** Pins every thread of `pid` to `cpu` (taskset -a -p). */
export function pin(pid: number, cpu: number): void {
  spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore', timeout: 5000 });
}

/** Busy jiffies of the whole machine (user+nice+system+irq+softirq+steal), in ms. */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return (busy * 1000) / CLK_TCK;
}

/** One line about the machine for the report. */
export function machineNote(): string {
  const c = cpus();
  return `${c.length} vCPU (${c[0]?.model.trim() ?? '?'}), Node ${process.version}, load avg ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}, ${new Date().toISOString()}`;
}

/** Median of a sample. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
