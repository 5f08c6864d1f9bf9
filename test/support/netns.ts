// Interop lab: private network namespaces, veth pairs (10.203.x.y) and the processes started in
// them, every PID tracked and everything removed in `destroy()` (also on process exit).
// Related: test/support/peers/*.ts (xl2tpd, l2tpns), test/support/tshark.ts, test/interop/.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';

const CLONE_NEWNET = 0x40000000;

/** A sleep for polling loops (bounded by the caller's deadline). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when `cmd` is on PATH. */
export function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the netns lab cannot run here (undefined when it can): root plus each of `binaries`. */
export function labSkipReason(binaries: readonly string[]): string | undefined {
  if (process.platform !== 'linux') return 'interop needs Linux (network namespaces)';
  if (process.getuid?.() !== 0) return 'interop needs root (ip netns, veth, bind mounts)';
  for (const cmd of ['ip', ...binaries]) if (!which(cmd)) return `${cmd} is not installed`;
  return undefined;
}

/**
 * Polls `cond` every `intervalMs` until it holds; throws "timed out waiting for <what>" after
 * `timeoutMs` (the message carries `detail()` when given, e.g. a log tail).
 */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  detail?: () => string | Promise<string>,
  intervalMs = 25,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (performance.now() >= end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n${await detail()}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** The last `lines` lines of a text file ('' when it does not exist). */
export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** A process started in the lab; `exited` settles with its exit code (or null after a signal). */
export interface LabProcess {
  readonly name: string;
  readonly pid: number;
  /** stdout+stderr go here. */
  readonly log: string;
  readonly exited: Promise<number | null>;
  /** undefined while it runs. */
  exitCode: number | null | undefined;
}

/** Result of a bounded synchronous command. */
export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let setnsFn: ((fd: number, nstype: number) => number) | undefined;
function setns(fd: number): void {
  if (setnsFn === undefined) {
    const libc = koffi.load('libc.so.6');
    setnsFn = libc.func('int setns(int fd, int nstype)') as (fd: number, nstype: number) => number;
  }
  if (setnsFn(fd, CLONE_NEWNET) !== 0) throw new Error('setns(CLONE_NEWNET) failed');
}

const liveLabs = new Set<NetLab>();
const LAB_NAME = /^l2t(\d+)[a-z]{1,2}(\d+)?(-\w+)?$/;

/**
 * Removes namespaces and folders left by labs whose process died without cleaning up (SIGKILL):
 * only names of this harness's form `l2t<pid>…` whose <pid> is no longer running.
 */
export function removeStaleLabs(): void {
  const dead = (name: string): boolean => {
    const m = LAB_NAME.exec(name);
    return m !== null && Number(m[1]) !== process.pid && !existsSync(`/proc/${m[1]}`);
  };
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
  for (const ns of list.split('\n').map((l) => l.split(' ')[0] ?? '')) {
    if (!dead(ns)) continue;
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
    for (const p of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {}
    }
    spawnSync('ip', ['netns', 'del', ns], { timeout: 5000 });
  }
  for (const name of readdirSync(tmpdir())) {
    // Folders kept on purpose (L2TP_INTEROP_KEEP=1) carry a .keep marker.
    if (dead(name) && !existsSync(join(tmpdir(), name, '.keep')))
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}
let exitHookInstalled = false;

/**
 * One test file's lab. Names are unique per process (`l2t<pid><tag><n>`, interfaces ≤ 15 chars),
 * so parallel test files never collide; addresses are the caller's (10.203.x.y by convention).
 */
export class NetLab {
  /** Private folder for configs, logs and pcaps; removed by destroy() unless L2TP_INTEROP_KEEP=1. */
  readonly dir: string;
  private readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly processes: { proc: LabProcess; child: ChildProcess; group: boolean }[] = [];
  private counter = 0;
  private destroyed = false;

  /** `tag`: one or two letters that tell whose lab it is in `ip netns list` (e.g. 'x' for xl2tpd). */
  constructor(tag: string) {
    if (!/^[a-z]{1,2}$/.test(tag)) throw new TypeError('lab tag: one or two lowercase letters');
    this.prefix = `l2t${process.pid}${tag}`;
    removeStaleLabs();
    this.dir = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
    liveLabs.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // A worker killed by a timeout never runs afterAll: still remove what we made.
      process.on('exit', () => {
        for (const lab of liveLabs) lab.destroySync();
      });
    }
  }

  /** Creates a namespace with `lo` up and returns its name. */
  addNamespace(): string {
    const name = `${this.prefix}${this.counter++}`;
    this.mustRun('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    this.mustRun('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Joins two namespaces with a veth pair; addresses in CIDR form ('10.203.1.1/24'). Returns the interface names. */
  addVeth(a: { ns: string; address: string }, b: { ns: string; address: string }): { ifA: string; ifB: string } {
    const n = this.counter++;
    const ifA = `${this.prefix}v${n}a`.slice(-15);
    const ifB = `${this.prefix}v${n}b`.slice(-15);
    this.mustRun('ip', ['link', 'add', ifA, 'netns', a.ns, 'type', 'veth', 'peer', 'name', ifB, 'netns', b.ns]);
    for (const [ns, ifc, addr] of [
      [a.ns, ifA, a.address],
      [b.ns, ifB, b.address],
    ] as const) {
      this.mustRun('ip', ['-n', ns, 'addr', 'add', addr, 'dev', ifc]);
      this.mustRun('ip', ['-n', ns, 'link', 'set', ifc, 'up']);
    }
    return { ifA, ifB };
  }

  /** Adds another address to an interface. */
  addAddress(ns: string, ifc: string, address: string): void {
    this.mustRun('ip', ['-n', ns, 'addr', 'add', address, 'dev', ifc]);
  }

  /** Runs a command to completion (inside `ns` when given), bounded by `timeoutMs`. */
  run(ns: string | undefined, cmd: string, args: readonly string[], timeoutMs = 10_000): RunResult {
    const argv = ns === undefined ? [cmd, ...args] : ['ip', 'netns', 'exec', ns, cmd, ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), { timeout: timeoutMs, encoding: 'utf8', killSignal: 'SIGKILL' });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /**
   * Starts a long-running process inside `ns` (output to `<dir>/<name>.log`) and tracks its PID.
   * `newSession`: make it a session leader (l2tpns signals its whole process group on exit).
   */
  spawn(
    name: string,
    ns: string,
    cmd: string,
    args: readonly string[],
    opts: { newSession?: boolean } = {},
  ): LabProcess {
    if (this.destroyed) throw new Error('lab destroyed');
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['ignore', fd, fd],
      detached: opts.newSession === true,
    });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    let settle: (code: number | null) => void = () => {};
    const proc: LabProcess = {
      name,
      pid: child.pid,
      log,
      exitCode: undefined,
      exited: new Promise<number | null>((r) => {
        settle = r;
      }),
    };
    child.on('exit', (code) => {
      proc.exitCode = code;
      settle(code);
    });
    child.on('error', () => {
      proc.exitCode = null;
      settle(null);
    });
    this.processes.push({ proc, child, group: opts.newSession === true });
    return proc;
  }

  /** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILL. Only this lab's PIDs. */
  async stop(proc: LabProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
    const entry = this.processes.find((p) => p.proc === proc);
    if (entry === undefined || proc.exitCode !== undefined) return;
    const target = entry.group ? -proc.pid : proc.pid;
    try {
      process.kill(target, signal);
    } catch {
      return;
    }
    const done = await Promise.race([proc.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {}
      await Promise.race([proc.exited, sleep(1000)]);
    }
  }

  /** Is a UDP socket bound to `port` inside `ns`? */
  udpListening(ns: string, port: number): boolean {
    return this.run(ns, 'ss', ['-Hlnu', `sport = :${port}`]).stdout.trim() !== '';
  }

  /**
   * Runs `fn` with this thread in namespace `ns` (setns(2)), then switches back: sockets created
   * meanwhile (e.g. a UDP driver's bind) stay in `ns`. Nothing else in the test may create sockets
   * while `fn` runs.
   */
  async withNetns<T>(ns: string, fn: () => Promise<T> | T): Promise<T> {
    const self = openSync('/proc/thread-self/ns/net', 'r');
    const target = openSync(`/run/netns/${ns}`, 'r');
    try {
      setns(target);
      try {
        return await fn();
      } finally {
        setns(self);
      }
    } finally {
      closeSync(self);
      closeSync(target);
    }
  }

  /** Stops every process (reverse start order), then anything left in our namespaces, deletes them and the folder. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    for (const { proc } of [...this.processes].reverse()) await this.stop(proc, 'SIGTERM', 2000);
    this.destroySync();
  }

  /** Synchronous last resort (process exit): SIGKILL everything we started, delete namespaces. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    liveLabs.delete(this);
    for (const { proc, group } of this.processes) {
      if (proc.exitCode !== undefined) continue;
      try {
        process.kill(group ? -proc.pid : proc.pid, 'SIGKILL');
      } catch {}
    }
    for (const ns of this.namespaces) {
      // Children of what we started (pppd, l2tpns helpers) that are still inside our namespaces.
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
      for (const p of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {}
      }
      spawnSync('ip', ['netns', 'del', ns], { timeout: 5000 });
    }
    if (process.env['L2TP_INTEROP_KEEP'] !== '1') rmSync(this.dir, { recursive: true, force: true });
    else writeFileSync(join(this.dir, '.keep'), '');
  }

  private mustRun(cmd: string, args: readonly string[]): void {
    const r = this.run(undefined, cmd, args);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
  }
}
