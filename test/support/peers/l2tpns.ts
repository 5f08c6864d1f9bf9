// l2tpns 2.4.1 as a real LNS (its own user-space PPP over TUN, CHAP/PAP via RADIUS) plus
// FreeRADIUS 3 on the namespace's loopback, inside a NetLab namespace. User alice / s3cret.
// Related: test/support/netns.ts, test/interop/l2tpns.test.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type LabProcess, type NetLab, type RunResult, sleep, tail, waitFor } from '../netns.js';
import { l2tpnsStartupConfig, writeRaddb } from './l2tpns-config.js';

/** The RADIUS user l2tpns authenticates (Cleartext-Password: PAP, CHAP-MD5, MS-CHAP all work). */
export const L2TPNS_USER = { user: 'alice', password: 's3cret' } as const;
const RADIUS_SECRET = 'l2tradsecret';

/** Starts FreeRADIUS (-X, foreground) on 127.0.0.1:1812/1813 inside `ns`; resolves once it listens. */
export async function startRadius(lab: NetLab, ns: string): Promise<LabProcess> {
  const d = join(lab.dir, `raddb-${ns}`);
  writeRaddb(d, { secret: RADIUS_SECRET, ...L2TPNS_USER });
  const proc = lab.spawn('freeradius', ns, 'freeradius', ['-X', '-d', d]);
  await waitFor(
    'freeradius to listen on udp/1812',
    () => {
      if (proc.exitCode !== undefined) throw new Error(`freeradius exited (${proc.exitCode}):\n${tail(proc.log)}`);
      return lab.udpListening(ns, 1812);
    },
    10_000,
    () => tail(proc.log),
  );
  return proc;
}

/** Options for {@link startL2tpns}. */
export interface L2tpnsOptions {
  readonly ns: string;
  /** Address l2tpns binds udp/1701 to. */
  readonly bindAddress: string;
  /** Tunnel secret l2tpns answers a Challenge with and un-hides AVPs with (`l2tp_secret`). */
  readonly secret: string;
  /** Address of its TUN interface, also the IPCP address it offers as its own (`peer_address`). */
  readonly tunAddress: string;
  /** Address pool in CIDR form (written to /etc/l2tpns/ip_pool). */
  readonly pool: string;
  readonly hostName?: string;
  /** `set debug N` (default 3; 4 logs every control message). */
  readonly debug?: number;
}

/** A running l2tpns (+ its FreeRADIUS). */
export interface L2tpns {
  readonly proc: LabProcess;
  readonly radius: LabProcess;
  /** l2tpns's own log file (`set log_file`). */
  readonly logFile: string;
  log(lines?: number): string;
  /** Runs commands on its telnet CLI (127.0.0.1:23 inside the namespace) and returns the output. */
  cli(commands: readonly string[]): Promise<string>;
  /** Runs `nsctl ARGS` (UDP 1702) inside the namespace, e.g. ['drop', '3', 'reason'] (by SID: pitfall 5). */
  nsctl(args: readonly string[]): RunResult;
}

/**
 * Starts FreeRADIUS and l2tpns in `opts.ns`; resolves once l2tpns listens on udp/1701 and has won
 * the cluster master election (it answers nothing before that, peer kit pitfall 1).
 */
export async function startL2tpns(lab: NetLab, opts: L2tpnsOptions): Promise<L2tpns> {
  const radius = await startRadius(lab, opts.ns);
  const etc = join(lab.dir, `etc-l2tpns-${opts.ns}`);
  mkdirSync(etc, { recursive: true });
  const logFile = join(lab.dir, 'l2tpns-own.log');
  const tunName = `${opts.ns}t`.slice(-15);
  writeFileSync(
    join(etc, 'startup-config'),
    l2tpnsStartupConfig({
      debug: opts.debug,
      logFile,
      pidFile: join(etc, 'l2tpns.pid'),
      secret: opts.secret,
      dns: ['10.203.99.53', '10.203.99.54'],
      radiusSecret: RADIUS_SECRET,
      bindAddress: opts.bindAddress,
      tunAddress: opts.tunAddress,
      tunName,
      // sessionctl gives nsctl "drop SID [REASON]": an LNS-initiated disconnect (CDN).
      plugins: ['sessionctl'],
    }),
  );
  writeFileSync(join(etc, 'ip_pool'), `${opts.pool}\n`);
  // No CLI users: 127.0.0.1 gets in without a login.
  writeFileSync(join(etc, 'users'), '');
  // l2tpns reads fixed paths under /etc/l2tpns (pitfall 3): bind-mount a private folder over it in
  // the mount namespace `ip netns exec` creates, so the host's files are never touched. A new
  // session because on exit it does kill(0, SIGTERM) to its whole process group (pitfall 2).
  const proc = lab.spawn(
    'l2tpns',
    opts.ns,
    'sh',
    [
      '-c',
      `mount --bind '${etc}' /etc/l2tpns && exec l2tpns -c /etc/l2tpns/startup-config -h ${opts.hostName ?? 'l2t-l2tpns'}`,
    ],
    { newSession: true },
  );
  const log = (lines = 40): string => `${tail(logFile, lines)}\n${tail(proc.log, 10)}`;
  await waitFor(
    'l2tpns to listen on udp/1701 and become cluster master',
    () => {
      if (proc.exitCode !== undefined) throw new Error(`l2tpns exited (${proc.exitCode}):\n${log()}`);
      return lab.udpListening(opts.ns, 1701) && tail(logFile, 400).includes('I am declaring myself the master');
    },
    15_000,
    log,
  );
  return {
    proc,
    radius,
    logFile,
    log,
    cli: (commands) => lab.withNetns(opts.ns, () => runCli(commands)),
    nsctl: (args) => lab.run(opts.ns, 'nsctl', args, 10_000),
  };
}

const IAC = 255;

/** Strips telnet negotiation (IAC sequences) from libcli's output. */
function stripTelnet(data: Buffer): string {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c !== IAC) {
      out.push(c);
      continue;
    }
    const cmd = data[i + 1];
    if (cmd === 250) {
      // SB … IAC SE
      const end = data.indexOf(Buffer.from([IAC, 240]), i + 2);
      i = end < 0 ? data.length : end + 1;
    } else if (cmd === IAC) {
      out.push(IAC);
      i += 1;
    } else i += cmd !== undefined && cmd >= 251 && cmd <= 254 ? 2 : 1;
  }
  return Buffer.from(out).toString('latin1').replace(/\r/g, '');
}

async function runCli(commands: readonly string[]): Promise<string> {
  const sock = connect({ host: '127.0.0.1', port: 23 });
  let buf = Buffer.alloc(0);
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const prompt = async (): Promise<string> => {
    await waitFor(
      'the l2tpns CLI prompt',
      () => /[\w.-]+[>#]\s*$/.test(stripTelnet(buf)),
      5000,
      () => stripTelnet(buf),
    );
    const text = stripTelnet(buf);
    buf = Buffer.alloc(0);
    return text;
  };
  try {
    await prompt();
    let out = '';
    for (const cmd of ['terminal length 0', ...commands]) {
      sock.write(`${cmd}\r\n`);
      await sleep(50);
      const text = await prompt();
      if (!cmd.startsWith('terminal')) out += `### ${cmd}\n${text}\n`;
    }
    sock.write('quit\r\n');
    return out;
  } finally {
    sock.destroy();
  }
}
