// pppd's ip-up / ip-down scripts for the sessions of `l2tp-ts lns` in TUN mode (pppd(8) "SCRIPTS"):
// the same arguments (interface, tty, speed, local address, remote address, ipparam) and the same
// environment (IFNAME, IPLOCAL, IPREMOTE, PEERNAME, SPEED, DNS1, DNS2, …; ip-down adds CONNECT_TIME,
// BYTES_SENT, BYTES_RCVD), in a clean environment as pppd gives them (PATH only: nothing of ours,
// such as L2TP_TS_USERS, leaks into a script). Related: ../cli/lns.ts (wiring), docs/CONFIG.md.
//
// Rules:
//  - Asynchronous: a script never blocks the event loop or a session. Each run is bounded by
//    `timeoutMs` (default 10 s): then its process group gets SIGTERM, and SIGKILL 2 s later.
//  - Per session, ip-down starts only after that session's ip-up has finished (pppd waits too),
//    so a script pair sees up before down even when the session is short.
//  - Bounded: at most `maxRunning` scripts at once (default 16); more wait in a FIFO of at most
//    `maxQueued` (default 10,000; beyond it a run is skipped and reported), so a burst of 10,000
//    logins cannot fork 10,000 processes at once.
//  - Output (stdout and stderr, at most 4 KiB per run) and the exit status are reported through
//    `onResult`; the caller logs them (escaped).
//  - A script path that does not exist or is not executable is skipped, as pppd skips it.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { Fifo } from '../core/fifo.js';

/** pppd's PATH for scripts (main.c: SCRIPT_PATH... it sets "PATH=/usr/local/sbin:…"). */
const SCRIPT_PATH = '/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin';
const OUTPUT_LIMIT = 4096;
const KILL_GRACE_MS = 2000;

/** What a script is told about its session. */
export interface HookSession {
  readonly tunnelId: number;
  readonly sessionId: number;
  /** The interface the session's packets use (the shared TUN device in shared mode). */
  readonly ifname: string;
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly user?: string;
  /** The DNS servers the session was given (IPCP). */
  readonly dns: readonly string[];
  /** The LAC's address and port. */
  readonly peer: string;
}

/** ip-down's counters (the session's, as `ctl sessions` shows them). */
export interface HookDown {
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** How one run ended. */
export interface HookResult {
  readonly script: string;
  readonly tunnelId: number;
  readonly sessionId: number;
  /** Exit code, or the signal that ended it; 'skipped' when the queue was full. */
  readonly status: number | string;
  readonly timedOut: boolean;
  readonly output: string;
  readonly ms: number;
}

/** Options of PppHooks. */
export interface PppHooksOptions {
  readonly ipUp?: string;
  readonly ipDown?: string;
  /** pppd `ipparam`: the 6th argument and $IPPARAM. */
  readonly ipparam?: string;
  readonly timeoutMs?: number;
  readonly maxRunning?: number;
  readonly maxQueued?: number;
  readonly onResult?: (r: HookResult) => void;
}

interface Job {
  readonly script: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly session: HookSession;
  readonly done: () => void;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs the scripts of sessions going up and down (see the rules above). */
export class PppHooks {
  private readonly queue = new Fifo<Job>();
  private readonly running = new Set<ChildProcess>();
  /** Per session key: the promise of its last script (ip-down chains on ip-up). */
  private readonly last = new Map<string, Promise<void>>();
  private readonly upAt = new Map<string, number>();
  private readonly timeoutMs: number;
  private readonly maxRunning: number;
  private readonly maxQueued: number;
  private closed = false;

  constructor(private readonly o: PppHooksOptions) {
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.maxRunning = Math.max(1, o.maxRunning ?? 16);
    this.maxQueued = Math.max(0, o.maxQueued ?? 10_000);
  }

  /** Scripts waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** IPCP is up: ip-up. */
  up(s: HookSession): void {
    this.upAt.set(keyOf(s), Date.now());
    if (this.o.ipUp !== undefined) this.chain(s, this.o.ipUp, {});
  }

  /** The session is gone: ip-down (after its ip-up). */
  down(s: HookSession, d: HookDown): void {
    const key = keyOf(s);
    const since = this.upAt.get(key);
    this.upAt.delete(key);
    // pppd runs ip-down only for a link whose ip-up ran.
    if (this.o.ipDown === undefined || since === undefined) return;
    this.chain(s, this.o.ipDown, {
      CONNECT_TIME: String(Math.round((Date.now() - since) / 1000)),
      BYTES_SENT: String(d.bytesSent),
      BYTES_RCVD: String(d.bytesReceived),
    });
  }

  /** Stops taking work and kills what runs (process groups, SIGKILL). */
  close(): void {
    this.closed = true;
    this.upAt.clear();
    while (this.queue.shift() !== undefined) {}
    for (const c of this.running) killGroup(c, 'SIGKILL');
  }

  private chain(s: HookSession, script: string, extra: Readonly<Record<string, string>>): void {
    if (this.closed || !executable(script)) return;
    const key = keyOf(s);
    const before = this.last.get(key) ?? Promise.resolve();
    const args = [s.ifname, 'l2tp', '0', s.localAddress, s.remoteAddress, this.o.ipparam ?? ''];
    const env: Record<string, string> = {
      PATH: SCRIPT_PATH,
      IFNAME: s.ifname,
      DEVICE: 'l2tp',
      SPEED: '0',
      IPLOCAL: s.localAddress,
      IPREMOTE: s.remoteAddress,
      PPPD_PID: String(process.pid),
      PPPLOGNAME: process.env.USER ?? process.env.LOGNAME ?? '',
      L2TP_TUNNEL_ID: String(s.tunnelId),
      L2TP_SESSION_ID: String(s.sessionId),
      L2TP_PEER: s.peer,
      ...(s.user !== undefined && { PEERNAME: s.user }),
      ...(s.dns[0] !== undefined && { DNS1: s.dns[0] }),
      ...(s.dns[1] !== undefined && { DNS2: s.dns[1] }),
      ...(this.o.ipparam !== undefined && { IPPARAM: this.o.ipparam }),
      ...extra,
    };
    const mine = before.then(
      () =>
        new Promise<void>((done) => {
          if (this.queue.length >= this.maxQueued && this.running.size >= this.maxRunning) {
            this.report(script, s, 'skipped', false, 'queue full', 0);
            done();
            return;
          }
          this.queue.push({ script, args, env, session: s, done });
          this.pump();
        }),
    );
    this.last.set(key, mine);
    // The chain is forgotten once its last script is done (no entry per session stays behind).
    void mine.then(() => {
      if (this.last.get(key) === mine) this.last.delete(key);
    });
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.maxRunning) {
      const job = this.queue.shift();
      if (job === undefined) return;
      this.start(job);
    }
  }

  private start(job: Job): void {
    const t0 = Date.now();
    let output = '';
    let timedOut = false;
    let child: ChildProcess;
    try {
      // Its own process group (detached), so a timeout ends what the script started too.
      child = spawn(job.script, job.args, { env: job.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      this.report(job.script, job.session, String(err), false, '', 0);
      job.done();
      return;
    }
    this.running.add(child);
    const take = (b: Buffer): void => {
      if (output.length < OUTPUT_LIMIT) output += b.toString('utf8').slice(0, OUTPUT_LIMIT - output.length);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      killer = setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS);
    }, this.timeoutMs);
    let finished = false;
    const finish = (status: number | string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(killer);
      this.running.delete(child);
      this.report(job.script, job.session, status, timedOut, output, Date.now() - t0);
      job.done();
      this.pump();
    };
    child.on('error', (err) => finish(String((err as NodeJS.ErrnoException).code ?? err)));
    child.on('close', (code, signal) => finish(code ?? signal ?? 'unknown'));
  }

  private report(
    script: string,
    s: HookSession,
    status: number | string,
    timedOut: boolean,
    output: string,
    ms: number,
  ): void {
    this.o.onResult?.({ script, tunnelId: s.tunnelId, sessionId: s.sessionId, status, timedOut, output, ms });
  }
}

function keyOf(s: { tunnelId: number; sessionId: number }): string {
  return `${s.tunnelId}/${s.sessionId}`;
}

function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  if (c.pid === undefined || c.exitCode !== null) return;
  try {
    process.kill(-c.pid, signal);
  } catch {
    // Already gone.
  }
}
