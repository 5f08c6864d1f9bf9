// A real FreeRADIUS 3.2 (Debian's /usr/sbin/freeradius) on loopback for RADIUS tests: a self-contained
// raddb the test writes into a temp dir, free UDP ports, stopped by PID. Users, reply attributes and
// signing (Message-Authenticator in post-auth and Post-Auth-Type REJECT, issue 11) come from options.
// Optionally inside a network namespace, for several NAS clients, with one shared address pool from
// FreeRADIUS's own rlm_sqlippool on SQLite (issue 11 item 6; the schema and queries are the test's
// own copies of Debian's mods-config/sql/ippool/sqlite/, see IPPOOL_QUERIES).
// Related: test/radius/freeradius.test.ts, test/support/peers/l2tpns-config.ts (l2tpns's raddb),
// test/interop/scale-out.test.ts, docs/SCALE-OUT.md.
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
  /** Address the listeners bind (default 127.0.0.1; `*` for all). */
  readonly listen?: string;
  /** NAS clients allowed, as addresses or CIDR prefixes (default ['127.0.0.1']). */
  readonly clients?: readonly string[];
  /** Run inside this network namespace (`ip netns exec`); the ports are then 1812 / 1813. */
  readonly netns?: string;
  /** Addresses come from one shared rlm_sqlippool pool (SQLite); see SqlIpPoolOptions. */
  readonly sqlippool?: SqlIpPoolOptions;
}

/**
 * A shared pool for every NAS: every Access-Accept gets a Framed-IP-Address from it (an exhausted
 * pool is an Access-Reject, `notfound = reject`), accounting Stop releases the session's lease and
 * Accounting-On / -Off release every lease of the NAS-IP-Address that sent it.
 */
export interface SqlIpPoolOptions {
  /** The pool's addresses (rows of radippool). */
  readonly addresses: readonly string[];
  /** What tells two leases apart at one NAS (default `%{Acct-Session-Id}`, unique per session). */
  readonly poolKey?: string;
}

/** The radippool table, as Debian's mods-config/sql/ippool/sqlite/schema.sql. */
const IPPOOL_SCHEMA = `CREATE TABLE radippool (
  id                    int(11) PRIMARY KEY,
  pool_name             varchar(30) NOT NULL,
  framedipaddress       varchar(15) NOT NULL default '',
  nasipaddress          varchar(15) NOT NULL default '',
  calledstationid       VARCHAR(30) NOT NULL default '',
  callingstationid      VARCHAR(30) NOT NULL default '',
  expiry_time           DATETIME NOT NULL default (DATETIME('now')),
  username              varchar(64) NOT NULL default '',
  pool_key              varchar(30) NOT NULL default ''
);
CREATE INDEX radippool_poolname_expire ON radippool(pool_name, expiry_time);
CREATE INDEX radippool_framedipaddress ON radippool(framedipaddress);
CREATE INDEX radippool_nasip_poolkey_ipaddress ON radippool(nasipaddress, pool_key, framedipaddress);
`;

/**
 * Debian 3.2.1's mods-config/sql/ippool/sqlite/queries.conf with two fixes: its allocate_find lacks
 * the AND before `expiry_time` (a syntax error: no address is ever found), and it takes only leases
 * that expired strictly before this second, while stop_clear / on_clear expire a lease at
 * datetime('now'): a lease released by a Stop or an Accounting-On could not be handed out again
 * within the same second. `<=` here.
 */
const IPPOOL_QUERIES = `allocate_begin = "BEGIN EXCLUSIVE"
allocate_commit = "COMMIT"
allocate_existing = "\\
	SELECT framedipaddress FROM \${ippool_table} \\
	WHERE pool_name = '%{control:\${pool_name}}' \\
	AND nasipaddress = '%{NAS-IP-Address}' AND pool_key = '\${pool_key}' \\
	ORDER BY expiry_time DESC LIMIT 1"
allocate_find = "\\
	SELECT framedipaddress FROM \${ippool_table} \\
	WHERE pool_name = '%{control:\${pool_name}}' \\
	AND expiry_time <= datetime('now') \\
	ORDER BY expiry_time LIMIT 1"
pool_check = "\\
	SELECT id FROM \${ippool_table} WHERE pool_name='%{control:\${pool_name}}' LIMIT 1"
allocate_update = "\\
	UPDATE \${ippool_table} SET \\
		nasipaddress = '%{NAS-IP-Address}', pool_key = '\${pool_key}', \\
		callingstationid = '%{Calling-Station-Id}', username = '%{User-Name}', \\
		expiry_time = datetime(strftime('%%s', 'now') + \${lease_duration}, 'unixepoch') \\
	WHERE framedipaddress = '%I'"
start_update = "\\
	UPDATE \${ippool_table} SET \\
		expiry_time = datetime(strftime('%%s', 'now') + \${lease_duration}, 'unixepoch') \\
	WHERE nasipaddress = '%{NAS-IP-Address}' AND pool_key = '\${pool_key}' \\
	AND username = '%{User-Name}' AND callingstationid = '%{Calling-Station-Id}' \\
	AND framedipaddress = '%{\${attribute_name}}'"
stop_clear = "\\
	UPDATE \${ippool_table} SET expiry_time = datetime('now') \\
	WHERE nasipaddress = '%{%{Nas-IP-Address}:-%{Nas-IPv6-Address}}' AND pool_key = '\${pool_key}' \\
	AND username = '%{User-Name}' AND callingstationid = '%{Calling-Station-Id}' \\
	AND framedipaddress = '%{\${attribute_name}}'"
alive_update = "\\
	UPDATE \${ippool_table} SET \\
		expiry_time = datetime(strftime('%%s', 'now') + \${lease_duration}, 'unixepoch') \\
	WHERE nasipaddress = '%{%{Nas-IP-Address}:-%{Nas-IPv6-Address}}' AND pool_key = '\${pool_key}' \\
	AND username = '%{User-Name}' AND callingstationid = '%{Calling-Station-Id}' \\
	AND framedipaddress = '%{\${attribute_name}}'"
on_clear = "\\
	UPDATE \${ippool_table} SET expiry_time = datetime('now') \\
	WHERE nasipaddress = '%{%{Nas-IP-Address}:-%{Nas-IPv6-Address}}'"
off_clear = "\\
	UPDATE \${ippool_table} SET expiry_time = datetime('now') \\
	WHERE nasipaddress = '%{%{Nas-IP-Address}:-%{Nas-IPv6-Address}}'"
`;

/** The bootstrap of the SQLite file: the schema and one row per address of pool "shared". */
function ippoolBootstrap(p: SqlIpPoolOptions): string {
  const rows = p.addresses.map(
    (a, i) => `INSERT INTO radippool (id, pool_name, framedipaddress) VALUES (${i + 1}, 'shared', '${a}');`,
  );
  return `${IPPOOL_SCHEMA}${rows.join('\n')}\n`;
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
  if (o.sqlippool !== undefined) {
    writeFileSync(join(d, 'ippool-queries.conf'), IPPOOL_QUERIES);
    writeFileSync(join(d, 'ippool.sql'), ippoolBootstrap(o.sqlippool));
  }
}

/** The sql + sqlippool module instances of a shared pool. */
function sqlippoolModules(d: string, p: SqlIpPoolOptions): string {
  return `	sql {
		driver = "rlm_sql_sqlite"
		dialect = "sqlite"
		sqlite {
			filename = "${d}/ippool.db"
			busy_timeout = 5000
			bootstrap = "${d}/ippool.sql"
		}
		radius_db = "radius"
		read_clients = no
		pool {
			start = 1
			min = 1
			max = 4
			spare = 1
			uses = 0
			lifetime = 0
			idle_timeout = 0
		}
	}
	sqlippool {
		sql_module_instance = "sql"
		dialect = "sqlite"
		ippool_table = "radippool"
		lease_duration = 3600
		pool_name = "Pool-Name"
		attribute_name = Framed-IP-Address
		req_attribute_name = Framed-IP-Address
		pool_key = "${p.poolKey ?? '%{Acct-Session-Id}'}"
		$INCLUDE ${d}/ippool-queries.conf
	}
`;
}

function radiusdConf(d: string, o: FreeradiusOptions, authPort: number, acctPort: number): string {
  const sign = (o.signReplies ?? true) ? ['Message-Authenticator := 0x00'] : [];
  const rejectMessage = o.rejectMessage === undefined ? [] : [`Reply-Message := "${o.rejectMessage}"`];
  // FreeRADIUS refuses an empty update section.
  const pool = o.sqlippool;
  const listen = o.listen ?? '127.0.0.1';
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
${(o.clients ?? ['127.0.0.1'])
  .map(
    (ip, i) => `client c${i} {
	ipaddr = ${ip}
	secret = ${o.secret}
	require_message_authenticator = ${(o.requireMessageAuthenticator ?? true) ? 'yes' : 'no'}
	nas_type = other
}
`,
  )
  .join('')}modules {
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
${pool === undefined ? '' : sqlippoolModules(d, pool)}}
server t {
	listen {
		type = auth
		ipaddr = ${listen}
		port = ${authPort}
	}
	listen {
		type = acct
		ipaddr = ${listen}
		port = ${acctPort}
	}
	authorize {
		chap
		mschap
		files
		pap
${pool === undefined ? '' : '\t\tupdate control {\n\t\t\tPool-Name := "shared"\n\t\t}\n'}	}
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
${pool === undefined ? '' : '\t\tsqlippool\n'}		detail
${update(sign, '\t\t')}
	}
	post-auth {
${pool === undefined ? '' : '\t\tsqlippool {\n\t\t\tnotfound = reject\n\t\t}\n'}${update(sign, '\t\t')}
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
  // A namespace of the test's own has every port free.
  const [authPort, acctPort] = (o.netns === undefined ? await freeUdpPorts(2) : [1812, 1813]) as [number, number];
  writeRaddbFiles(dir, o, authPort, acctPort);
  let output = '';
  // `ip netns exec` execs FreeRADIUS in place: the PID is FreeRADIUS's own.
  const argv = o.netns === undefined ? [FREERADIUS] : ['ip', 'netns', 'exec', o.netns, FREERADIUS];
  const proc: ChildProcess = spawn(argv[0]!, [...argv.slice(1), '-X', '-d', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
