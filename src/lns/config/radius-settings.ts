// The RADIUS part of LnsSettings, resolved from pppd's `plugin radius.so` + `radius-config-file`
// (radiusclient.conf and its `servers` file, as pppd's radius plugin reads them) or from the JSON
// config's `radius` object. Related: radius-conf.ts (the parsers), settings.ts, docs/CONFIG.md.
import { ConfigError, type ConfigWarning, type Parsed } from './config-error.js';
import {
  parseRadiusClientConf,
  parseRadiusServers,
  type RadiusClientConf,
  type RadiusSecretEntry,
  resolveRadiusSecrets,
} from './radius-conf.js';

/** The radius plugin's default (pppd plugins/radius/radius.c plugin_init). */
export const DEFAULT_RADIUS_CONFIG_FILE = '/etc/radiusclient/radiusclient.conf';

/** One server with its shared secret. `host` is an IPv4 address or a name the adapter resolves. */
export interface RadiusServerSetting {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

/** With these settings RADIUS decides authentication (chap-secrets is not consulted for users). */
export interface RadiusSettings {
  /** radiusclient.conf it came from, when it came from one. */
  readonly configFile?: string;
  /** `authserver`, in failover order (at least one). */
  readonly authServers: readonly RadiusServerSetting[];
  /** `acctserver`, in failover order; none: no accounting. */
  readonly acctServers: readonly RadiusServerSetting[];
  /** `radius_timeout` × 1000. */
  readonly timeoutMs: number;
  /** `radius_retries`. */
  readonly retries: number;
  /** `radius_deadtime` × 1000. */
  readonly deadTimeMs: number;
  /** `nas-identifier`; with neither it nor `nasIpAddress`, the LNS host name is sent. */
  readonly nasIdentifier?: string;
  readonly nasIpAddress?: string;
  /** `bindaddr`: the source address of requests (and NAS-IP-Address when none is set). */
  readonly bindAddress?: string;
  /** Accept replies without Message-Authenticator (FreeRADIUS < 3.2.5 unsigned): off, warned at start. */
  readonly acceptUnsignedReplies: boolean;
  /** Lower bound on Acct-Interim-Interval, s (pppd's radius plugin: 60; RFC 2869 §5.16 "SHOULD NOT be < 60"). */
  readonly minInterimSeconds: number;
  /**
   * Listen for Disconnect-/CoA-Requests (RFC 5176) here (`lns --radius-dae HOST:PORT`); absent: no
   * listener. Off by default: the port lets the listed clients end sessions.
   */
  readonly dae?: { readonly address: string; readonly port: number };
  /** Who may send them, with which secret: the hosts of the `servers` file and the auth/acct servers. */
  readonly daeClients: readonly { readonly host: string; readonly secret: string }[];
  /** NAK a DAE request without Event-Timestamp (replay protection; default true). */
  readonly daeRequireEventTimestamp: boolean;
}

/**
 * The Dynamic Authorization clients: every host of the `servers` file (a `host:port` line stands
 * for its host) and every auth/acct server, each with its secret; the first line for a host wins.
 */
export function daeClientsOf(
  secrets: readonly RadiusSecretEntry[],
  servers: readonly RadiusServerSetting[],
): { host: string; secret: string }[] {
  const out = new Map<string, string>();
  for (const e of secrets) {
    const host = e.server.replace(/:\d+$/, '').toLowerCase();
    if (!out.has(host)) out.set(host, e.secret);
  }
  for (const s of servers) if (!out.has(s.host.toLowerCase())) out.set(s.host.toLowerCase(), s.secret);
  return [...out].map(([host, secret]) => ({ host, secret }));
}

/** `dir/of/file` + relative path (pure; radcli takes paths as written, relative ones from the cwd). */
function besides(file: string, path: string): string {
  if (path.startsWith('/')) return path;
  const cut = file.lastIndexOf('/');
  return cut < 0 ? path : `${file.slice(0, cut + 1)}${path}`;
}

/**
 * Reads radiusclient.conf (and its `servers` file) through `read` and resolves every server's
 * secret. ConfigError (with file:line) when a file cannot be read, a value is bad, or a server has
 * no secret; unknown keys are warnings.
 */
export function loadRadiusSettings(
  path: string,
  read: (path: string) => string | undefined,
  from: { readonly file: string; readonly line: number },
): Parsed<RadiusSettings> {
  const text = read(path);
  if (text === undefined) throw new ConfigError(from.file, from.line, `cannot read radius-config-file ${path}`);
  const parsed = parseRadiusClientConf(text, path);
  const warnings: ConfigWarning[] = [...parsed.warnings];
  const conf: RadiusClientConf = parsed.value;
  let secrets: readonly RadiusSecretEntry[] = [];
  if (conf.serversFile !== undefined) {
    const serversPath = besides(path, conf.serversFile);
    const serversText = read(serversPath);
    if (serversText === undefined) throw new ConfigError(path, 0, `cannot read the servers file ${serversPath}`);
    const s = parseRadiusServers(serversText, serversPath);
    warnings.push(...s.warnings);
    secrets = s.value;
  }
  if (conf.authServers.length === 0) throw new ConfigError(path, 0, 'no authserver: RADIUS cannot authenticate');
  const servers = resolveRadiusSecrets(conf, secrets, path);
  return {
    value: {
      configFile: path,
      authServers: servers.authServers,
      acctServers: servers.acctServers,
      timeoutMs: conf.timeoutSeconds * 1000,
      retries: conf.retries,
      deadTimeMs: conf.deadTimeSeconds * 1000,
      ...(conf.nasIdentifier !== undefined && { nasIdentifier: conf.nasIdentifier }),
      ...(conf.bindAddress !== undefined && { bindAddress: conf.bindAddress }),
      acceptUnsignedReplies: false,
      minInterimSeconds: 60,
      daeClients: daeClientsOf(secrets, [...servers.authServers, ...servers.acctServers]),
      daeRequireEventTimestamp: true,
    },
    warnings,
  };
}
