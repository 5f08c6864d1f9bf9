// The configuration files of the real peers used by interop tests: FreeRADIUS (as l2tpns's
// authentication backend) and l2tpns's startup-config. One generator for the NetLab launcher
// (l2tpns.ts) and the user-mode-linux reference LNS (../../interop/uml/reference-lns.ts).
import { writeRaddbFiles } from '../freeradius.js';

/** Writes a self-contained raddb into `d` (radiusd.conf + users): PAP, CHAP and MS-CHAP on 127.0.0.1:1812/1813. */
export function writeRaddb(d: string, o: { secret: string; user: string; password: string }): void {
  // l2tpns 2.4.1 neither sends nor checks Message-Authenticator: the server asks for none and signs nothing.
  writeRaddbFiles(
    d,
    {
      secret: o.secret,
      users: [{ name: o.user, password: o.password }],
      requireMessageAuthenticator: false,
      signReplies: false,
    },
    1812,
    1813,
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
