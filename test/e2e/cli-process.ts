// Real `l2tp-ts` processes for the end-to-end tests: spawn by PID, collect output, wait for lines,
// and kill whatever is still running in afterEach (every PID tracked). Loopback and ephemeral
// ports only. Related: test/e2e/cli*.test.ts, bin/l2tp-ts.js.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { controlRequest } from '../../src/io/control-socket.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/l2tp-ts.js');

/** A running (or finished) CLI process. */
export interface CliProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in stdout+stderr; rejects after `timeoutMs` or on exit. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
}

const running = new Set<CliProcess>();
const tempDirs: string[] = [];

/** Starts `node bin/l2tp-ts.js ...args`. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const l of listeners) l();
  });
  let done = false;
  const exited = new Promise<number | string>((res) => {
    child.on('close', (code, signal) => {
      done = true;
      running.delete(p);
      for (const l of listeners) l();
      res(code ?? signal ?? 'unknown');
    });
  });
  const p: CliProcess = {
    pid: child.pid ?? -1,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, timeoutMs = 15_000) {
      return new Promise((res, rej) => {
        const check = (): void => {
          const m = (out + err).match(re);
          if (m !== null) {
            finish();
            res(m);
          } else if (done) {
            finish();
            rej(new Error(`process ${args[0]} exited before ${re}\n--- stdout\n${out}\n--- stderr\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          rej(new Error(`timed out after ${timeoutMs} ms waiting for ${re}\n--- stdout\n${out}\n--- stderr\n${err}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
  if (p.pid > 0) running.add(p);
  return p;
}

/** Runs a CLI command to completion; rejects when it outlives `timeoutMs` (after killing it). */
export async function runCli(
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnCli(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Kills (SIGKILL, by PID) every process these helpers started that still runs, and removes temp dirs. */
export async function cleanupProcesses(): Promise<void> {
  const left = [...running];
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(left.map((p) => p.exited));
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh temp directory (removed by cleanupProcesses) with `files` written into it. */
export function tempDir(files: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'l2tp-ts-e2e-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A started `l2tp-ts lns`: the process, its UDP port and its control socket path. */
export interface RunningLns {
  readonly proc: CliProcess;
  readonly port: number;
  readonly control: string;
  /** `l2tp-ts ctl --control … --json COMMAND…` in a process, parsed. */
  ctl(...command: string[]): Promise<unknown>;
  /** The same request in-process (quicker, for polling). */
  status(): Promise<{ tunnels: number; sessions: number; addressesInUse: number; poolSize: number }>;
}

/** Starts an LNS on 127.0.0.1, an ephemeral port and a control socket in a temp dir. */
export async function startLns(args: readonly string[], dir = tempDir()): Promise<RunningLns> {
  const control = join(dir, 'ctl.sock');
  const proc = spawnCli(['lns', '--listen', '127.0.0.1', '--port', '0', '--control', control, ...args]);
  // 127.0.0.1 unless `args` names another --listen (the last one wins), e.g. ::1: [::1]:PORT.
  const m = await proc.waitFor(/listening on (?:[\d.]+|\[[0-9a-f:.]+\]):(\d+)/);
  // The control socket is opened after the listening line.
  const lns: RunningLns = {
    proc,
    port: Number(m[1]),
    control,
    async ctl(...command) {
      const r = await runCli(['ctl', '--control', control, '--json', ...command], 10_000);
      if (r.code !== 0) throw new Error(`ctl ${command.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    status: () => controlRequest(control, { cmd: 'status' }, 5000) as ReturnType<RunningLns['status']>,
  };
  await waitUntil(async () => {
    try {
      await controlRequest(control, { cmd: 'status' }, 2000);
      return true;
    } catch {
      return false;
    }
  }, 10_000);
  return lns;
}

/** The JSON summary of `l2tp-ts lac … --json`. */
export interface LacSummary {
  ok: boolean;
  sessions: {
    tunnelId: number;
    sessionId: number;
    auth?: string;
    address?: string;
    peerAddress?: string;
    dns: string[];
    pingOk?: boolean;
    error?: string;
  }[];
}

/** Runs `l2tp-ts lac --server 127.0.0.1:PORT … --json` (or `--server HOST:PORT` when given one) to completion. */
export async function runLac(
  port: number | string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ code: number | string; summary: LacSummary | undefined; stderr: string }> {
  const server = typeof port === 'number' ? `127.0.0.1:${port}` : port;
  const r = await runCli(['lac', '--server', server, '--json', ...args], timeoutMs);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let summary: LacSummary | undefined;
  try {
    summary = JSON.parse(line) as LacSummary;
  } catch {
    summary = undefined;
  }
  return { code: r.code, summary, stderr: r.stderr };
}

/** Polls `cond` every 100 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
