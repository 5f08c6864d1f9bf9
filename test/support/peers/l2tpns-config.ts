// The configuration files of the real peers used by interop tests: FreeRADIUS (as l2tpns's
// authentication backend) and l2tpns's startup-config. One generator for the NetLab launcher
// (l2tpns.ts) and the user-mode-linux reference LNS (../../interop/uml/reference-lns.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes a self-contained raddb into `d` (radiusd.conf + users): PAP, CHAP and MS-CHAP on 127.0.0.1:1812/1813. */
export function writeRaddb(d: string, o: { secret: string; user: string; password: string }): void {
  mkdirSync(join(d, 'radacct'), { recursive: true });
  writeFileSync(
    join(d, 'radiusd.conf'),
    `prefix = /usr
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
	require_message_authenticator = no
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
server l2t {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = 1812
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = 1813
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
	}
	post-auth {
	}
}
`,
  );
  writeFileSync(
    join(d, 'users'),
    `${o.user}\tCleartext-Password := "${o.password}"\n\tService-Type = Framed-User,\n\tFramed-Protocol = PPP\n`,
  );
}

/** What differs between l2tpns setups; everything else is the peers kit's proven settings. */
export interface L2tpnsConfig {
  readonly debug?: number;
  readonly logFile: string;
  readonly pidFile: string;
  /** `l2tp_secret`: answers a Challenge and un-hides AVPs. */
  readonly secret: string;
  readonly dns: readonly [string, string];
  readonly radiusSecret: string;
  readonly bindAddress: string;
  /** Its TUN address, also the IPCP address it offers as its own (`peer_address`). */
  readonly tunAddress: string;
  readonly tunName: string;
  readonly plugins?: readonly string[];
}

/** l2tpns's startup-config text. */
export function l2tpnsStartupConfig(o: L2tpnsConfig): string {
  return [
    `set debug ${o.debug ?? 3}`,
    `set log_file "${o.logFile}"`,
    `set pid_file "${o.pidFile}"`,
    `set l2tp_secret "${o.secret}"`,
    `set primary_dns ${o.dns[0]}`,
    `set secondary_dns ${o.dns[1]}`,
    'set primary_radius 127.0.0.1',
    `set radius_secret "${o.radiusSecret}"`,
    'set radius_authtypes "chap,pap"',
    'set radius_accounting yes',
    `set bind_address ${o.bindAddress}`,
    `set iftun_address ${o.tunAddress}`,
    // Without peer_address 2.4.1 offers my_address (127.0.0.1 from the host name) in IPCP (pitfall 4).
    `set peer_address ${o.tunAddress}`,
    'set cli_bind_address 127.0.0.1',
    'set send_garp no',
    `set tundevicename "${o.tunName}"`,
    'set allow_duplicate_users yes',
    'set echo_timeout 10',
    'set idle_echo_timeout 240',
    // l2tpns is always a cluster node: heartbeats on lo (eth0 does not exist here) and the
    // shortest master election (~2 s instead of 15 s), pitfall 1.
    'set cluster_interface "lo"',
    'set cluster_hb_interval 2',
    'set cluster_hb_timeout 20',
    ...(o.plugins ?? []).map((name) => `load plugin "${name}"`),
    '',
  ].join('\n');
}
