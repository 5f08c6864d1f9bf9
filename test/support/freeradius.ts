// A real FreeRADIUS 3.2 (Debian's /usr/sbin/freeradius) on loopback for RADIUS tests: a self-contained
// raddb the test writes into a temp dir, free UDP ports, stopped by PID. Users, reply attributes and
// signing (Message-Authenticator in post-auth and Post-Auth-Type REJECT, issue 11) come from options.
// Related: test/radius/freeradius.test.ts, test/support/peers/l2tpns-config.ts (l2tpns's raddb).
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FREERADIUS = '/usr/sbin/freeradius';

/** Why the FreeRADIUS tests cannot run here, or undefined when they can. */
export function freeradiusSkipReason(): string | undefined {
  if (!existsSync(FREERADIUS)) return `${FREERADIUS} is not installed (apt-get install freeradius)`;
  if (process.getuid?.() !== 0) return 'FreeRADIUS tests need root (the Debian binary reads /etc/freeradius paths)';
  return undefined;
}

/** One user of the `users` file: a Cleartext-Password (PAP, CHAP, MS-CHAP all work) and reply lines. */
export interface RadiusUser {
  readonly name: string;
  readonly password: string;
  /** Reply attributes in FreeRADIUS syntax, e.g. `Framed-IP-Address = 10.1.2.3`. */
  readonly reply?: readonly string[];
}

/** What the test server looks like. */
export interface FreeradiusOptions {
  readonly secret: string;
  readonly users: readonly RadiusUser[];
  /** Sign Access-Accept/Reject (FreeRADIUS 3.2.1 does not on its own). Default true. */
  readonly signReplies?: boolean;
  /** Reply-Message of every Access-Reject. */
  readonly rejectMessage?: string;
  /** `require_message_authenticator` for our client (the LNS signs every request). Default true. */
  readonly requireMessageAuthenticator?: boolean;
  /** Run inside this network namespace (`ip netns exec`), on its loopback. */
  readonly netns?: string;
}

/** A running FreeRADIUS. */
export interface Freeradius {
  readonly authPort: number;
  readonly acctPort: number;
  readonly dir: string;
  readonly pid: number;
  /** Its stdout/stderr so far (-X debug output). */
  log(): string;
  /** The accounting detail file so far ('' before the first request). */
  detail(): string;
  stop(): Promise<void>;
}

/** Two UDP ports free on 127.0.0.1 right now (bound, then released). */
export async function freeUdpPorts(n: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createSocket>>((resolve, reject) => {
          const s = createSocket('udp4');
          s.once('error', reject);
          s.bind(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/**
 * Writes a self-contained raddb into `d` (radiusd.conf, users, radacct/): PAP, CHAP and MS-CHAP
 * for `o.users` on 127.0.0.1 authPort/acctPort, accounting into radacct/detail. Also the backend
 * of the l2tpns interop runs (peers/l2tpns-config.ts).
 */
export function writeRaddbFiles(d: string, o: FreeradiusOptions, authPort: number, acctPort: number): void {
  mkdirSync(join(d, 'radacct'), { recursive: true });
  writeFileSync(join(d, 'radiusd.conf'), radiusdConf(d, o, authPort, acctPort));
  writeFileSync(join(d, 'users'), usersFile(o.users));
}

function radiusdConf(d: string, o: FreeradiusOptions, authPort: number, acctPort: number): string {
  const sign = (o.signReplies ?? true) ? ['Message-Authenticator := 0x00'] : [];
  const rejectMessage = o.rejectMessage === undefined ? [] : [`Reply-Message := "${o.rejectMessage}"`];
  // FreeRADIUS refuses an empty update section.
  const update = (lines: readonly string[], indent: string): string =>
    lines.length === 0 ? '' : `${indent}update reply {\n${lines.map((l) => `${indent}\t${l}\n`).join('')}${indent}}`;
  return `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${d}
raddbdir = ${d}
radacctdir = ${d}/radacct
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}
run_dir = ${d}
db_dir = \${raddbdir}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 16384
hostname_lookups = no
log {
	destination = stdout
	colourise = no
	auth = yes
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}
thread pool {
	start_servers = 2
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 4
}
client local {
	ipaddr = 127.0.0.1
	secret = ${o.secret}
	require_message_authenticator = ${(o.requireMessageAuthenticator ?? true) ? 'yes' : 'no'}
	nas_type = other
}
modules {
	pap {
		normalise = yes
	}
	chap {
	}
	mschap {
	}
	files {
		filename = \${raddbdir}/users
	}
	detail {
		filename = \${radacctdir}/detail
		header = "%t"
	}
}
server t {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${authPort}
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = ${acctPort}
	}
	authorize {
		chap
		mschap
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
		Auth-Type MS-CHAP {
			mschap
		}
	}
	preacct {
	}
	accounting {
		detail
${update(sign, '\t\t')}
	}
	post-auth {
${update(sign, '\t\t')}
		Post-Auth-Type REJECT {
${update([...rejectMessage, ...sign], '\t\t\t')}
		}
	}
}
`;
}

function usersFile(users: readonly RadiusUser[]): string {
  return users
    .map((u) => {
      const reply = ['Service-Type = Framed-User', 'Framed-Protocol = PPP', ...(u.reply ?? [])];
      return `${u.name}\tCleartext-Password := "${u.password}"\n${reply.map((r) => `\t${r}`).join(',\n')}\n`;
    })
    .join('\n');
}

/** Starts FreeRADIUS (-X: foreground, debug to stdout) on free loopback ports; resolves once it is ready. */
export async function startFreeradius(o: FreeradiusOptions): Promise<Freeradius> {
  const dir = mkdtempSync(join(tmpdir(), 'l2t-radius-'));
  const [authPort, acctPort] = (await freeUdpPorts(2)) as [number, number];
  writeRaddbFiles(dir, o, authPort, acctPort);
  let output = '';
  // `ip netns exec` execs the program, so the PID is FreeRADIUS's own either way.
  const argv =
    o.netns === undefined
      ? [FREERADIUS, '-X', '-d', dir]
      : ['ip', 'netns', 'exec', o.netns, FREERADIUS, '-X', '-d', dir];
  const proc: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const pid = proc.pid;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null && pid !== undefined) {
      process.kill(pid, 'SIGTERM');
      const killer = setTimeout(() => process.kill(pid, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (pid === undefined) throw new Error('freeradius did not start');
    const deadline = Date.now() + 15_000;
    while (!output.includes('Ready to process requests')) {
      if (proc.exitCode !== null) throw new Error(`freeradius exited (${proc.exitCode}):\n${output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`freeradius not ready after 15 s:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    authPort,
    acctPort,
    dir,
    pid,
    log: () => output,
    detail: () => {
      const f = join(dir, 'radacct', 'detail');
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    },
    stop,
  };
}
