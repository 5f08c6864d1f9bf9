// UML interop harness: a private netns (bridge + taps, 10.204.x.y) where an LNS runs on the host
// side and user-mode-linux guests run the real xl2tpd + pppd as LACs (RFC 2661 §5, RFC 1661).
// Related: guest/init.sh (guest PID 1), guest/lac.sh (the dial script), reference-lns.ts.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Guest PID 1 and the LAC script, read by the guests through hostfs (the host's / is their root). */
export const GUEST_INIT = join(HERE, 'guest', 'init.sh');
/** The repository root: guests mount it back if their tmpfs mounts hide it (a clone under /tmp). */
export const REPO_ROOT = join(HERE, '..', '..', '..');
const GUEST_LAC = join(HERE, 'guest', 'lac.sh');
const GUEST_FUZZ_LAC = join(HERE, 'guest', 'fuzz-lac.sh');

export const UML_KERNEL = '/usr/bin/linux.uml';
/** The host side of the bridge: where the LNS under test listens. Other kits use 10.200-10.203. */
export const BRIDGE_IP = '10.204.0.1';
/** Results of every run are kept here (one folder per scenario, replaced on each run). */
export const OUT_ROOT = join(tmpdir(), 'l2tp-ts-uml');
const LOCK_FILE = join(tmpdir(), 'l2tp-ts-uml.lock');
const NS_PREFIX = 'l2tu';

// Boot-time savers measured in the kit: PID 1 at ~0.8 s instead of 5-8 s. None of the skipped
// initcalls (legacy ptys, stream parser, raid6 benchmark, zswap, crypto self-tests) serves PPP/L2TP.
const FAST_BOOT = [
  'pty.legacy_count=0',
  'initcall_blacklist=strp_dev_init,raid6_select_algo,init_zswap',
  'cryptomgr.notests',
];

/** What differs between guests on the UML command line. */
export interface UmlBootOptions {
  readonly umid: string;
  /** UML's own state directory (uml_dir). */
  readonly state: string;
  readonly mem: string;
  /** The guest's writable host directory, mounted on /srv. */
  readonly gdir: string;
  /** Watchdog: the guest powers off after this many seconds. */
  readonly maxS: number;
  readonly name: string;
  readonly tap: string;
}

/**
 * `setarch <arch> -R linux.uml …`: the one place a guest's command line is built. setarch -R:
 * without it UML adds a random "exec-shield gap" to the guest's physical range and host memory per
 * guest varies 60-150 MiB. Unknown key=value parameters (umlrepo, umldir, …) reach init.sh.
 */
export function umlBootArgs(o: UmlBootOptions): string[] {
  const arch = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
  return [
    'setarch',
    arch,
    '-R',
    UML_KERNEL,
    `umid=${o.umid}`,
    `uml_dir=${o.state}`,
    `mem=${o.mem}`,
    'root=/dev/root',
    'rootfstype=hostfs',
    'rootflags=/',
    'ro',
    `init=${GUEST_INIT}`,
    `umlrepo=${REPO_ROOT}`,
    `umldir=${o.gdir}`,
    `umlmax=${o.maxS}`,
    `umlname=${o.name}`,
    'con=null',
    'con0=null,fd:1',
    'ssl=null',
    'printk.time=1',
    'quiet',
    ...FAST_BOOT,
    `vec0:transport=tap,ifname=${o.tap}`,
  ];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for `p` at most `ms` (the timer is cleared, so it never holds the process open). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the UML suite cannot run here (undefined when it can): needs root, linux.uml and the peers. */
export function umlSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'UML interop needs Linux';
  if (process.getuid?.() !== 0) return 'UML interop needs root (netns, taps, bind mounts)';
  if (!existsSync(UML_KERNEL)) return `${UML_KERNEL} missing (apt-get install user-mode-linux)`;
  for (const cmd of ['xl2tpd', 'pppd', 'ip', 'nsenter', 'setarch', 'tcpdump', 'modprobe', 'ping']) {
    if (!which(cmd)) return `${cmd} not installed (the guests run the host's binaries)`;
  }
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun missing';
  return undefined;
}

/**
 * Serialises UML runs across vitest workers (files run in parallel): resolves once this process
 * holds an exclusive flock on a shared lock file; the returned function releases it. The lock
 * dies with the process (the flock holder exits when our end of its stdin closes).
 */
export async function acquireUmlLock(timeoutMs: number): Promise<() => void> {
  const child = spawn(
    'flock',
    ['-w', String(Math.ceil(timeoutMs / 1000)), LOCK_FILE, 'sh', '-c', 'echo locked; exec cat'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) resolve();
    });
    child.on('exit', (code) =>
      reject(new Error(`could not take ${LOCK_FILE} within ${timeoutMs} ms (flock exit ${code})`)),
    );
    child.on('error', reject);
  });
  child.stdout?.removeAllListeners('data');
  child.removeAllListeners('exit');
  return () => {
    child.stdin?.end();
  };
}

/** A process started by the lab (on the host, inside the netns); `exited` settles with its code. */
export interface HostProcess {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;
}

/** What a guest pppd answers: refuse-* options pick it (the client's require-* are about the server). */
export type LacAuth = 'mschapv2' | 'chap' | 'pap' | 'any';

/** Options of one LAC guest (xl2tpd + pppd in UML). */
export interface LacOptions {
  readonly name: string;
  readonly auth: LacAuth;
  readonly user?: string;
  readonly password?: string;
  /** true: kernel L2TP data path (l2tp_ppp + pppol2tp plugin); false: xl2tpd "force userspace". */
  readonly kernel?: boolean;
  readonly lnsIp?: string;
  /** Seconds the guest waits for IPCP after the dial. */
  readonly pppWaitS?: number;
  /** Keep the session up to this many seconds after the ping (until release() or the LNS ends it). */
  readonly holdS?: number;
  readonly pingCount?: number;
  /** ICMP payload for a DF ping (payload + 28 = IP length); one byte more is tried too. */
  readonly pingSize?: number;
  /** Client-side mtu/mru (default 1410, as common VPN client configs have). */
  readonly clientMtu?: number;
  readonly mem?: string;
  readonly extraPppOptions?: readonly string[];
  /** Extra lines of the guest's [lac uml] section (e.g. 'flow bit = yes'). */
  readonly extraLacConf?: readonly string[];
  /**
   * `+ipv6` on the client: after IPCP, wait for the guest kernel's SLAAC address on ppp0 (from the
   * LNS's Router Advertisement) and ping this IPv6 address through the link.
   */
  readonly ping6?: string;
  /**
   * `fuzz --role lns` campaigns (guest/fuzz-lac.sh): instead of one dial, dial once per /srv/dial.N
   * the host creates, until release(); the guest lives up to `holdS` seconds.
   */
  readonly fuzzDials?: boolean;
}

/** What the guest saw, parsed from its /srv/result. */
export interface LacResult {
  readonly rc: string | undefined;
  readonly watchdog: boolean;
  readonly pppUp: boolean;
  readonly ifname: string | undefined;
  readonly localIp: string | undefined;
  readonly remoteIp: string | undefined;
  readonly dns: readonly string[];
  readonly ifMtu: number | undefined;
  readonly dialToUpS: number | undefined;
  readonly ping: string | undefined;
  readonly pingDf: string | undefined;
  readonly pingDfOver: string | undefined;
  readonly linkDown: string | undefined;
  readonly upToDownS: number | undefined;
  readonly pppdExit: readonly number[];
  readonly pppdLines: readonly string[];
  /** The guest xl2tpd's words on a CDN/StopCCN from the LNS (result and error codes). */
  readonly xl2tpdLines: readonly string[];
  /** With `ping6`: the global address the guest's kernel formed on the PPP interface, and the ping's outcome. */
  readonly ipv6Address: string | undefined;
  readonly ping6: string | undefined;
  readonly raw: ReadonlyMap<string, readonly string[]>;
}

/** Parses the guest's KEY=value result file (repeated keys accumulate). */
export function parseLacResult(text: string, rc: string | undefined, watchdog: boolean): LacResult {
  const raw = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    const list = raw.get(k) ?? [];
    list.push(line.slice(eq + 1));
    raw.set(k, list);
  }
  const one = (k: string): string | undefined => raw.get(k)?.[0];
  const num = (k: string): number | undefined => {
    const v = one(k);
    return v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v);
  };
  return {
    rc,
    watchdog,
    pppUp: one('PPP_UP') === '1',
    ifname: one('IFNAME'),
    localIp: one('LOCAL_IP'),
    remoteIp: one('REMOTE_IP'),
    dns: raw.get('DNS') ?? [],
    ifMtu: num('IF_MTU'),
    dialToUpS: num('DIAL_TO_PPP_UP_S'),
    ping: one('PING'),
    pingDf: one('PING_DF'),
    pingDfOver: one('PING_DF_OVER'),
    linkDown: one('LINK_DOWN'),
    upToDownS: num('UP_TO_DOWN_S'),
    pppdExit: (raw.get('PPPD_EXIT') ?? []).map(Number),
    pppdLines: raw.get('PPPD_LINE') ?? [],
    xl2tpdLines: raw.get('XL2TPD_LINE') ?? [],
    ipv6Address: one('IPV6_ADDR'),
    ping6: one('PING6'),
    raw,
  };
}

/** One UML guest: its host dir is its /srv. */
export class Guest {
  exitCode: number | null | undefined = undefined;
  readonly exited: Promise<void>;
  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly child: ChildProcess,
    readonly bootedAt: number,
    /** Its vec0 address on the bridge. */
    readonly address: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve();
      });
    });
  }

  /** The linux.uml main PID (a session leader: its helper processes share its session id). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Resolves true once /srv/FILE exists, false on timeout or when the guest powered off first. */
  async waitFile(file: string, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    const path = join(this.dir, file);
    while (Date.now() < end) {
      if (existsSync(path)) return true;
      if (!this.running) return existsSync(path);
      await sleep(100);
    }
    return false;
  }

  /** Ends a HOLD early: the guest hangs up (CDN/StopCCN through xl2tpd) and powers off. */
  release(): void {
    writeFileSync(join(this.dir, 'release'), '');
  }

  /** Waits for power-off up to timeoutMs, then kills; returns what the guest recorded. */
  async finish(timeoutMs: number): Promise<LacResult> {
    await within(this.exited, timeoutMs);
    if (this.running) killGuestSync(this.pid);
    await within(this.exited, 3000);
    return this.result();
  }

  /** The result as recorded so far. */
  result(): LacResult {
    const read = (f: string): string | undefined => {
      try {
        return readFileSync(join(this.dir, f), 'utf8');
      } catch {
        return undefined;
      }
    };
    return parseLacResult(read('result') ?? '', read('rc')?.trim(), existsSync(join(this.dir, 'watchdog')));
  }

  /** Asks an LNS guest to stop (its xl2tpd gets SIGTERM) and power off. */
  stop(): void {
    writeFileSync(join(this.dir, 'stop'), '');
  }

  /** Pulls the plug: SIGKILL the guest and its helper processes, no goodbye on the wire. */
  async killAbruptly(): Promise<void> {
    killGuestSync(this.pid, 'SIGKILL');
    await within(this.exited, 3000);
  }

  /** A file the guest wrote (pppd.log, xl2tpd.log, timeline, …), '' if absent. */
  file(name: string): string {
    try {
      return readFileSync(join(this.dir, name), 'utf8');
    } catch {
      return '';
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sessionPids(sid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '--sid', String(sid)], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Kills the guest's main process, then every helper left in its session, each by PID. */
function killGuestSync(pid: number, first: NodeJS.Signals = 'SIGTERM'): void {
  if (pid <= 0) return;
  const helpers = sessionPids(pid);
  killPid(pid, first);
  spawnSync('sleep', ['0.3']);
  if (alive(pid)) killPid(pid, 'SIGKILL');
  for (const p of new Set([...helpers, ...sessionPids(pid)])) killPid(p, 'SIGKILL');
}

function netnsPids(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
}

function listNetns(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** Removes a netns left by a killed run of this harness (its owner PID, in the name, is dead). */
function removeStaleNamespaces(): void {
  for (const ns of listNetns()) {
    const m = /^l2tu(\d+)$/.exec(ns);
    if (m === null || alive(Number(m[1]))) continue;
    for (const p of netnsPids(ns)) killPid(p, 'SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

const openLabs = new Set<UmlLab>();
process.once('exit', () => {
  for (const lab of openLabs) lab.disposeSync();
});
// A signal would end the worker without 'exit' handlers: clean up, then die of the same signal.
// Installed only while a lab is open, so the default behaviour is otherwise untouched.
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
function onSignal(signal: NodeJS.Signals): void {
  for (const lab of openLabs) lab.disposeSync();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}
function trackLab(lab: UmlLab, open: boolean): void {
  if (open) {
    if (openLabs.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
    openLabs.add(lab);
  } else {
    openLabs.delete(lab);
    if (openLabs.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
  }
}

/** Options of a lab (one scenario). */
export interface LabOptions {
  /** Folder name under OUT_ROOT for this scenario's logs, pcap and guest dirs. */
  readonly scenario: string;
  /** Capture udp/1701 on the bridge into DIR/bridge.pcap (default true). */
  readonly capture?: boolean;
}

/**
 * One scenario's world: netns `l2tu<pid>` with bridge br0 (BRIDGE_IP/24), a tap per guest, an
 * optional capture, host processes and guests. dispose() removes all of it, by PID, in all cases.
 */
export class UmlLab {
  readonly ns = `${NS_PREFIX}${process.pid}`;
  readonly pcap: string;
  private readonly hosts: HostProcess[] = [];
  private readonly guests: Guest[] = [];
  private capture: ChildProcess | undefined;
  private disposed = false;
  private nextGuest = 1;

  private constructor(readonly dir: string) {
    this.pcap = join(dir, 'bridge.pcap');
  }

  /** Creates the netns, bridge and capture; removes the netns of dead earlier runs first. */
  static async create(opts: LabOptions): Promise<UmlLab> {
    removeStaleNamespaces();
    const dir = join(OUT_ROOT, opts.scenario);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const lab = new UmlLab(dir);
    if (listNetns().includes(lab.ns)) throw new Error(`netns ${lab.ns} exists: an earlier lab was not disposed`);
    trackLab(lab, true);
    try {
      execFileSync('ip', ['netns', 'add', lab.ns]);
      lab.ip('link', 'set', 'lo', 'up');
      lab.ip('link', 'add', 'br0', 'type', 'bridge');
      lab.ip('link', 'set', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
      lab.ip('addr', 'add', `${BRIDGE_IP}/24`, 'dev', 'br0');
      lab.ip('link', 'set', 'br0', 'up');
      if (opts.capture !== false) await lab.startCapture();
    } catch (e) {
      await lab.dispose();
      throw e;
    }
    return lab;
  }

  /** `ip -n NS …`, synchronous; throws with ip's stderr on failure. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs a short command inside the netns and returns its stdout ('' when it fails). */
  exec(argv: readonly string[], timeoutMs = 10_000): string {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, ...argv], { encoding: 'utf8', timeout: timeoutMs });
    return r.stdout ?? '';
  }

  private async startCapture(): Promise<void> {
    const err = join(this.dir, 'tcpdump.err');
    const fd = openSync(err, 'w');
    this.capture = spawn(
      'ip',
      ['netns', 'exec', this.ns, 'tcpdump', '-i', 'br0', '-s', '0', '-U', '-n', '-w', this.pcap, 'udp', 'port', '1701'],
      {
        stdio: ['ignore', 'ignore', fd],
        detached: true,
      },
    );
    closeSync(fd);
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      if (readFileSync(err, 'utf8').includes('listening on')) return;
      await sleep(50);
    }
    throw new Error(`tcpdump did not start: ${readFileSync(err, 'utf8')}`);
  }

  /** Stops the capture (SIGINT, so the pcap is complete); idempotent. */
  async stopCapture(): Promise<void> {
    const c = this.capture;
    this.capture = undefined;
    if (c?.pid === undefined || c.exitCode !== null) return;
    const done = new Promise((r) => c.once('exit', r));
    killPid(c.pid, 'SIGINT');
    await within(done, 3000);
    if (c.exitCode === null) killPid(c.pid, 'SIGKILL');
  }

  /** Starts argv inside the netns, in its own session (setsid), output to DIR/NAME.log. */
  startHost(name: string, argv: readonly string[], env?: Readonly<Record<string, string>>): HostProcess {
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn('ip', ['netns', 'exec', this.ns, ...argv], {
      stdio: ['ignore', fd, fd],
      detached: true,
      env: { ...process.env, ...env },
    });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
    const proc: HostProcess = {
      name,
      pid: child.pid,
      log,
      exitCode: undefined,
      exited: new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          proc.exitCode = code ?? (signal === null ? null : -1);
          resolve(proc.exitCode);
        });
      }),
    };
    this.hosts.push(proc);
    return proc;
  }

  /** Resolves once something in the netns listens on udp/PORT; throws on timeout or if `proc` died. */
  async waitUdpListening(port: number, timeoutMs: number, proc?: HostProcess): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.exec(['ss', '-Hlnu', `sport = :${port}`]).trim() !== '') return;
      if (proc !== undefined && proc.exitCode !== undefined) {
        throw new Error(`${proc.name} exited (${proc.exitCode}) before listening on udp/${port}: ${tail(proc.log)}`);
      }
      await sleep(100);
    }
    throw new Error(`nothing listens on udp/${port} after ${timeoutMs} ms${proc ? `: ${tail(proc.log)}` : ''}`);
  }

  /** Sends `signal`, waits up to graceMs, then SIGKILLs it and whatever is left in its session. */
  async stopHost(proc: HostProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<number | null> {
    if (proc.exitCode === undefined) {
      const helpers = sessionPids(proc.pid);
      killPid(proc.pid, signal);
      await within(proc.exited, graceMs);
      if (proc.exitCode === undefined) killPid(proc.pid, 'SIGKILL');
      for (const p of new Set([...helpers, ...sessionPids(proc.pid)])) if (p !== proc.pid) killPid(p, 'SIGKILL');
      await within(proc.exited, 2000);
    }
    return proc.exitCode ?? null;
  }

  /** Writes the LAC guest's private config and boots it on a new tap bridged to br0. */
  bootLac(o: LacOptions): Guest {
    const index = this.nextGuest++;
    const gdir = join(this.dir, o.name);
    writeLacConfig(gdir, o, index);
    return this.bootGuest(
      o.name,
      gdir,
      index,
      UmlLab.guestAddress(index),
      o.mem ?? '96M',
      (o.pppWaitS ?? 25) + (o.holdS ?? 0) + 40,
    );
  }

  /**
   * Boots the real xl2tpd + pppd as an LNS in a guest at `address` (e.g. 10.204.0.2):
   * `configure(etcXl2tpd, etcPpp)` fills its private /etc/xl2tpd and /etc/ppp. It writes
   * /srv/ready when it listens and stops (SIGTERM to xl2tpd) when stop() is called.
   */
  bootPppdLns(o: {
    readonly name: string;
    readonly address: string;
    readonly configure: (etcXl2tpd: string, etcPpp: string) => void;
    readonly mem?: string;
    readonly maxS?: number;
  }): Guest {
    const index = this.nextGuest++;
    const gdir = join(this.dir, o.name);
    mkdirSync(gdir, { recursive: true });
    const x = bindDir(gdir, '/etc/xl2tpd');
    const p = bindDir(gdir, '/etc/ppp');
    writeFileSync(join(x, 'l2tp-secrets'), '* * unused\n', { mode: 0o600 });
    // the host's /etc/ppp/options is not read: the guest's /etc/ppp is private
    writeFileSync(join(p, 'options'), '# private options of the UML LNS guest\n');
    copyGuestScripts(p);
    o.configure(x, p);
    const maxS = o.maxS ?? 90;
    writeFileSync(
      join(gdir, 'env'),
      ['NET_DEV=vec0', `NET_ADDR=${o.address}/24`, `LNS_MAX=${maxS - 10}`, ''].join('\n'),
    );
    writeFileSync(join(gdir, 'guest.sh'), `. /srv/env\n. ${join(HERE, 'guest', 'lns.sh')}\n`);
    return this.bootGuest(o.name, gdir, index, o.address, o.mem ?? '96M', maxS);
  }

  private bootGuest(name: string, gdir: string, index: number, address: string, mem: string, maxS: number): Guest {
    const tap = `tap${index}`;
    this.ip('tuntap', 'add', 'dev', tap, 'mode', 'tap');
    this.ip('link', 'set', tap, 'master', 'br0');
    this.ip('link', 'set', tap, 'up');
    const state = join(this.dir, '.umlstate');
    mkdirSync(state, { recursive: true });
    const consoleFd = openSync(join(this.dir, `${name}.console`), 'w');
    // nsenter --net: the tap lives in the netns.
    const child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${this.ns}`,
        '--',
        ...umlBootArgs({ umid: `${this.ns}-${name}`, state, mem, gdir, maxS, name, tap }),
      ],
      { stdio: ['ignore', consoleFd, consoleFd], detached: true },
    );
    closeSync(consoleFd);
    const guest = new Guest(name, gdir, child, Date.now(), address);
    this.guests.push(guest);
    return guest;
  }

  /** Address the Nth booted guest has on vec0. */
  static guestAddress(index: number): string {
    return `10.204.0.${10 + index}`;
  }

  /** Whether the capture so far has a packet matching the tshark display filter. */
  wireHas(filter: string): boolean {
    const r = spawnSync('tshark', ['-n', '-r', this.pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    return (r.stdout ?? '').trim() !== '';
  }

  /** tshark transcript of the capture (one line per L2TP/PPP packet) into DIR/timeline.txt. */
  timeline(): string {
    const r = spawnSync(
      'tshark',
      [
        '-n',
        '-r',
        this.pcap,
        '-Y',
        'l2tp',
        '-T',
        'fields',
        '-e',
        'frame.time_relative',
        '-e',
        'ip.src',
        '-e',
        'ip.dst',
        '-e',
        '_ws.col.Info',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    const text = r.stdout ?? '';
    writeFileSync(join(this.dir, 'timeline.txt'), text);
    return text;
  }

  /** Removes everything: capture, guests, host processes, leftovers in the netns, the netns. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.stopCapture();
    for (const g of this.guests) if (g.running) killGuestSync(g.pid);
    for (const h of [...this.hosts].reverse()) await this.stopHost(h, 'SIGTERM', 2000);
    this.disposeSync();
  }

  /** Synchronous last resort (process exit): SIGKILL by PID, delete the netns. */
  disposeSync(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.capture?.pid !== undefined) killPid(this.capture.pid, 'SIGKILL');
    for (const g of this.guests) if (g.running) killGuestSync(g.pid, 'SIGKILL');
    for (const h of this.hosts) {
      if (h.exitCode !== undefined) continue;
      for (const p of sessionPids(h.pid)) killPid(p, 'SIGKILL');
      killPid(h.pid, 'SIGKILL');
    }
    // whatever is left inside was spawned by what we started (xl2tpd's pppd, l2tpns's helpers)
    for (const p of netnsPids(this.ns)) killPid(p, 'SIGKILL');
    spawnSync('ip', ['netns', 'del', this.ns]);
    rmSync(join(this.dir, '.umlstate'), { recursive: true, force: true });
    trackLab(this, false);
  }
}

/** Last lines of a log file, for error messages. */
export function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// RFC 1334 / 1994 / 2759: pppd answers whatever the server asks unless refused; the classic
// client file also says require-mschap-v2 + noauth, and noauth cancels that (kit pitfall 9).
const REFUSE: Record<LacAuth, readonly string[]> = {
  mschapv2: ['refuse-pap', 'refuse-chap', 'refuse-mschap', 'refuse-eap'],
  chap: ['refuse-pap', 'refuse-mschap', 'refuse-mschap-v2', 'refuse-eap'],
  pap: ['refuse-chap', 'refuse-mschap', 'refuse-mschap-v2', 'refuse-eap'],
  any: [],
};

function bindDir(gdir: string, target: string): string {
  const d = join(gdir, 'bind', target.replace(/^\//, '').replaceAll('/', '%'));
  mkdirSync(d, { recursive: true });
  return d;
}

/** ip-up / ip-down that leave marker files in /srv, into a guest's private /etc/ppp. */
function copyGuestScripts(etcPpp: string): void {
  for (const script of ['ip-up', 'ip-down']) {
    copyFileSync(join(HERE, 'guest', script), join(etcPpp, script));
    chmodSync(join(etcPpp, script), 0o755);
  }
}

function writeLacConfig(gdir: string, o: LacOptions, index: number): void {
  const user = o.user ?? 'alice';
  const password = o.password ?? 's3cret';
  const mtu = o.clientMtu ?? 1410;
  mkdirSync(gdir, { recursive: true });
  const x = bindDir(gdir, '/etc/xl2tpd');
  writeFileSync(
    join(x, 'xl2tpd.conf'),
    [
      '[global]',
      'port = 1701',
      'access control = no',
      'auth file = /etc/xl2tpd/l2tp-secrets',
      `force userspace = ${o.kernel === true ? 'no' : 'yes'}`,
      'debug avp = yes',
      'debug network = yes',
      'debug state = yes',
      'debug tunnel = yes',
      '',
      '[lac uml]',
      `lns = ${o.lnsIp ?? BRIDGE_IP}`,
      `name = ${user}`,
      `hostname = lac-${o.name}`,
      'ppp debug = yes',
      'pppoptfile = /etc/ppp/options.l2tpd.client',
      'length bit = yes',
      'redial = no',
      ...(o.extraLacConf ?? []),
      '',
    ].join('\n'),
  );
  writeFileSync(join(x, 'l2tp-secrets'), '* * unused\n', { mode: 0o600 });
  const p = bindDir(gdir, '/etc/ppp');
  // the host's /etc/ppp/options says "auth": the guest gets an empty one
  writeFileSync(join(p, 'options'), '# private options of the UML LAC guest\n');
  writeFileSync(
    join(p, 'options.l2tpd.client'),
    [
      'ipcp-accept-local',
      'ipcp-accept-remote',
      ...REFUSE[o.auth],
      'noccp',
      'noauth',
      `mtu ${mtu}`,
      `mru ${mtu}`,
      'noipdefault',
      'usepeerdns',
      'lcp-echo-interval 10',
      'lcp-echo-failure 4',
      `name ${user}`,
      ...(o.ping6 !== undefined ? ['+ipv6'] : []),
      ...(o.extraPppOptions ?? []),
      'debug',
      'logfile /srv/pppd.log',
      '',
    ].join('\n'),
  );
  const secrets = `# client\tserver\tsecret\tIP\n"${user}"\t*\t"${password}"\t*\n`;
  writeFileSync(join(p, 'chap-secrets'), secrets, { mode: 0o600 });
  writeFileSync(join(p, 'pap-secrets'), secrets, { mode: 0o600 });
  copyGuestScripts(p);
  writeFileSync(
    join(gdir, 'env'),
    [
      'NET_DEV=vec0',
      `NET_ADDR=${UmlLab.guestAddress(index)}/24`,
      `LNS_IP=${o.lnsIp ?? BRIDGE_IP}`,
      'SECTION=uml',
      `PPP_WAIT=${o.pppWaitS ?? 25}`,
      `HOLD=${o.holdS ?? 0}`,
      `PING_COUNT=${o.pingCount ?? 2}`,
      `PING_SIZE=${o.pingSize ?? ''}`,
      `PING6=${o.ping6 ?? ''}`,
      `KERNEL=${o.kernel === true ? 1 : 0}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(gdir, 'guest.sh'), `. /srv/env\n. ${o.fuzzDials === true ? GUEST_FUZZ_LAC : GUEST_LAC}\n`);
}

/** One dial → ppp0 up measurement, for docs/INTEROP.md. */
export interface Timing {
  readonly lns: string;
  readonly scenario: string;
  readonly dialToUpS: number;
}

/** Appends a timing to OUT_ROOT/timings.jsonl (kept across the files of one run). */
export function recordTiming(t: Timing): void {
  mkdirSync(OUT_ROOT, { recursive: true });
  appendFileSync(join(OUT_ROOT, 'timings.jsonl'), `${JSON.stringify({ ...t, at: new Date().toISOString() })}\n`);
}
