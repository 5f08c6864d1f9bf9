// pppd's ip-up / ip-down and ipv6-up / ipv6-down scripts for the sessions of `l2tp-ts lns` in TUN
// mode (pppd(8) "SCRIPTS"): the same arguments (interface, tty, speed, local address, remote address,
// ipparam; for IPv6 the link-local addresses) and the same environment (IFNAME, IPLOCAL, IPREMOTE,
// PEERNAME, SPEED, DNS1, DNS2, …; IPv6: LLLOCAL, LLREMOTE; the down scripts add CONNECT_TIME,
// BYTES_SENT, BYTES_RCVD), in a clean environment as pppd gives them (PATH only: nothing of ours,
// such as L2TP_TS_USERS, leaks into a script). Related: ../cli/lns.ts (wiring), docs/CONFIG.md.
//
// Rules:
//  - Asynchronous: a script never blocks the event loop or a session. Each run is bounded by
//    `timeoutMs` (default 10 s): then its process group gets SIGTERM, and SIGKILL 2 s later.
//  - Per session, every script starts only after the session's previous one has finished (pppd
//    waits too), so a script pair sees up before down even when the session is short; ip-down
//    runs only for a session whose ip-up ran, ipv6-down only for one whose ipv6-up ran (pppd's
//    script state), and a session that ends with IPv6CP still open gets ipv6-down before ip-down.
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

/** What ipv6-up / ipv6-down are told: pppd passes the link-local addresses as 4th and 5th arguments. */
export interface HookSession6 {
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly ifname: string;
  /** fe80::… of our end and of the peer (IPv6CP interface identifiers). */
  readonly localLinkLocal: string;
  readonly peerLinkLocal: string;
  /** The session's /64 from the IPv6 pool (CIDR), when it has one: $L2TP_IPV6_PREFIX (ours, not pppd's). */
  readonly prefix?: string;
  readonly user?: string;
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
  readonly ipv6Up?: string;
  readonly ipv6Down?: string;
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
  readonly session: { readonly tunnelId: number; readonly sessionId: number };
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
  /** Sessions whose ipv6-up ran and whose ipv6-down has not: when it started, and what it was told. */
  private readonly up6At = new Map<string, { readonly at: number; readonly s: HookSession6 }>();
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
    if (this.o.ipUp !== undefined) this.chain(s, this.o.ipUp, ipArgs(s, this.o.ipparam), this.ipEnv(s, {}));
  }

  /** The session is gone: ipv6-down if IPv6CP was still up, then ip-down (after its ip-up). */
  down(s: HookSession, d: HookDown): void {
    const key = keyOf(s);
    const v6 = this.up6At.get(key);
    if (v6 !== undefined) this.down6(v6.s, d);
    const since = this.upAt.get(key);
    this.upAt.delete(key);
    // pppd runs ip-down only for a link whose ip-up ran.
    if (this.o.ipDown === undefined || since === undefined) return;
    this.chain(s, this.o.ipDown, ipArgs(s, this.o.ipparam), this.ipEnv(s, downEnv(since, d)));
  }

  /** IPv6CP is up: ipv6-up. */
  up6(s: HookSession6): void {
    this.up6At.set(keyOf(s), { at: Date.now(), s });
    if (this.o.ipv6Up !== undefined) this.chain(s, this.o.ipv6Up, ipv6Args(s, this.o.ipparam), this.ipv6Env(s, {}));
  }

  /** IPv6CP went down (or the session did): ipv6-down, after its ipv6-up. */
  down6(
    s: { readonly tunnelId: number; readonly sessionId: number },
    d: HookDown = { bytesSent: 0, bytesReceived: 0 },
  ): void {
    const key = keyOf(s);
    const up = this.up6At.get(key);
    this.up6At.delete(key);
    if (this.o.ipv6Down === undefined || up === undefined) return;
    this.chain(up.s, this.o.ipv6Down, ipv6Args(up.s, this.o.ipparam), this.ipv6Env(up.s, downEnv(up.at, d)));
  }

  /** Stops taking work and kills what runs (process groups, SIGKILL). */
  close(): void {
    this.closed = true;
    this.upAt.clear();
    this.up6At.clear();
    while (this.queue.shift() !== undefined) {}
    for (const c of this.running) killGroup(c, 'SIGKILL');
  }

  /** ip-up / ip-down: pppd's arguments with ipparam. */
  private ipEnv(s: HookSession, extra: Readonly<Record<string, string>>): Record<string, string> {
    return {
      ...this.baseEnv(s),
      IPLOCAL: s.localAddress,
      IPREMOTE: s.remoteAddress,
      ...(s.dns[0] !== undefined && { DNS1: s.dns[0] }),
      ...(s.dns[1] !== undefined && { DNS2: s.dns[1] }),
      ...extra,
    };
  }

  /** ipv6-up / ipv6-down: pppd's ipv6cp.c sets LLLOCAL and LLREMOTE. */
  private ipv6Env(s: HookSession6, extra: Readonly<Record<string, string>>): Record<string, string> {
    return {
      ...this.baseEnv(s),
      LLLOCAL: s.localLinkLocal,
      LLREMOTE: s.peerLinkLocal,
      ...(s.prefix !== undefined && { L2TP_IPV6_PREFIX: s.prefix }),
      ...extra,
    };
  }

  private baseEnv(s: HookSession | HookSession6): Record<string, string> {
    return {
      PATH: SCRIPT_PATH,
      IFNAME: s.ifname,
      DEVICE: 'l2tp',
      SPEED: '0',
      PPPD_PID: String(process.pid),
      PPPLOGNAME: process.env.USER ?? process.env.LOGNAME ?? '',
      L2TP_TUNNEL_ID: String(s.tunnelId),
      L2TP_SESSION_ID: String(s.sessionId),
      L2TP_PEER: s.peer,
      ...(s.user !== undefined && { PEERNAME: s.user }),
      ...(this.o.ipparam !== undefined && { IPPARAM: this.o.ipparam }),
    };
  }

  private chain(
    s: { readonly tunnelId: number; readonly sessionId: number },
    script: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
  ): void {
    if (this.closed || !executable(script)) return;
    const key = keyOf(s);
    const before = this.last.get(key) ?? Promise.resolve();
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
    s: { readonly tunnelId: number; readonly sessionId: number },
    status: number | string,
    timedOut: boolean,
    output: string,
    ms: number,
  ): void {
    this.o.onResult?.({ script, tunnelId: s.tunnelId, sessionId: s.sessionId, status, timedOut, output, ms });
  }
}

/** pppd's ip-up arguments: interface, tty, speed, local address, remote address, ipparam. */
function ipArgs(s: HookSession, ipparam?: string): string[] {
  return [s.ifname, 'l2tp', '0', s.localAddress, s.remoteAddress, ipparam ?? ''];
}

/** pppd's ipv6-up arguments: interface, tty, speed, local link-local, remote link-local, ipparam. */
function ipv6Args(s: HookSession6, ipparam: string | undefined): string[] {
  return [s.ifname, 'l2tp', '0', s.localLinkLocal, s.peerLinkLocal, ipparam ?? ''];
}

/** What the down scripts add: seconds since the up script, and the session's byte counters. */
function downEnv(since: number, d: HookDown): Record<string, string> {
  return {
    CONNECT_TIME: String(Math.round((Date.now() - since) / 1000)),
    BYTES_SENT: String(d.bytesSent),
    BYTES_RCVD: String(d.bytesReceived),
  };
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
