// radcli / freeradius-client configuration as pppd's radius plugin reads it: radiusclient.conf
// (`key value` lines) and its `servers` file (`host secret` lines). Unknown keys warn with file:line,
// invalid values are ConfigError with file:line. Related: config-error.ts, src/radius (the client).
import { parseIpv4 } from '../../core/ipv4.js';
import { ConfigError, type Parsed, WarningSink } from './config-error.js';

/** RFC 2865 §3 / RFC 2866 §3 ports, what /etc/services says for `radius` and `radacct`. */
export const DEFAULT_AUTH_PORT = 1812;
export const DEFAULT_ACCT_PORT = 1813;

/** One `authserver` / `acctserver` entry: `host[:port][:secret]` (radcli allows the secret inline). */
export interface RadiusServerEntry {
  readonly host: string;
  readonly port: number;
  /** Inline secret (`host:port:secret`); otherwise the `servers` file supplies it. */
  readonly secret?: string;
  readonly line: number;
}

/** The settings of radiusclient.conf that l2tp-ts uses (radcli names in the comments). */
export interface RadiusClientConf {
  /** `authserver`, in failover order (several lines, or several entries on one line). */
  readonly authServers: readonly RadiusServerEntry[];
  /** `acctserver`, in failover order. */
  readonly acctServers: readonly RadiusServerEntry[];
  /** `servers`: the path of the `host secret` file, as written (relative paths are the caller's to resolve). */
  readonly serversFile?: string;
  /** `dictionary`: accepted and kept; l2tp-ts carries its own dictionary and never reads it. */
  readonly dictionary?: string;
  /** `radius_timeout` in seconds (radcli default 10). */
  readonly timeoutSeconds: number;
  /** `radius_retries`: retransmissions per server (radcli default 3). */
  readonly retries: number;
  /** `radius_deadtime` in seconds: how long a server that timed out is skipped (radcli default 0). */
  readonly deadTimeSeconds: number;
  /** `nas-identifier`. */
  readonly nasIdentifier?: string;
  /** `bindaddr`: source address of requests; `*` (any) is undefined. */
  readonly bindAddress?: string;
}

/** Keys of radcli's sample radiusclient.conf that concern radlogin, not pppd: accepted silently. */
const IGNORED = new Set([
  'auth_order',
  'login_tries',
  'login_timeout',
  'nologin',
  'issue',
  'seqfile',
  'mapfile',
  'default_realm',
  'login_radius',
  'login_local',
  'clientdebug',
  'serv-type',
]);

const KNOWN = new Set([
  'authserver',
  'acctserver',
  'servers',
  'dictionary',
  'radius_timeout',
  'radius_retries',
  'radius_deadtime',
  'nas-identifier',
  'bindaddr',
]);

function integer(sink: WarningSink, line: number, key: string, text: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= min && n <= max)) throw sink.error(line, `${key}: expected an integer ${min}..${max}, got "${text}"`);
  return n;
}

/** `host`, `host:port`, `host:port:secret`, `[v6]:port[:secret]`; throws ConfigError when malformed. */
function parseServer(
  sink: WarningSink,
  line: number,
  key: string,
  text: string,
  defaultPort: number,
): RadiusServerEntry {
  let host: string;
  let rest: string[];
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw sink.error(line, `${key}: unbalanced "[" in "${text}"`);
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw sink.error(line, `${key}: expected ":" after "]"`);
    rest = after === '' ? [] : after.slice(1).split(':');
  } else {
    [host, ...rest] = text.split(':') as [string, ...string[]];
  }
  if (host === '' || !/^[A-Za-z0-9._:-]+$/.test(host)) throw sink.error(line, `${key}: bad host "${host}"`);
  const [portText, ...secretParts] = rest;
  const port =
    portText === undefined || portText === '' ? defaultPort : integer(sink, line, `${key} port`, portText, 1, 65535);
  // The secret is never echoed in a message.
  const secret = secretParts.length === 0 ? undefined : secretParts.join(':');
  if (secret === '') throw sink.error(line, `${key}: empty inline secret`);
  return secret === undefined ? { host, port, line } : { host, port, secret, line };
}

/**
 * Parses radiusclient.conf. `#` starts a comment; each line is `key value`. `authserver` and
 * `acctserver` may repeat, and one line may list several servers separated by commas or spaces
 * (radcli); they are tried in the order written. Unknown keys warn; bad values throw ConfigError.
 */
export function parseRadiusClientConf(text: string, file: string): Parsed<RadiusClientConf> {
  const sink = new WarningSink(file);
  const authServers: RadiusServerEntry[] = [];
  const acctServers: RadiusServerEntry[] = [];
  const out: {
    serversFile?: string;
    dictionary?: string;
    timeoutSeconds: number;
    retries: number;
    deadTimeSeconds: number;
    nasIdentifier?: string;
    bindAddress?: string;
  } = { timeoutSeconds: 10, retries: 3, deadTimeSeconds: 0 };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const cut = lines[i]!.indexOf('#');
    const s = (cut < 0 ? lines[i]! : lines[i]!.slice(0, cut)).trim();
    if (s === '') continue;
    const m = /^(\S+)\s*(.*)$/.exec(s)!;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (IGNORED.has(key)) continue;
    if (!KNOWN.has(key)) {
      sink.warn(line, `${m[1]}: unknown key ignored`);
      continue;
    }
    if (value === '') throw sink.error(line, `${key}: missing value`);
    switch (key) {
      case 'authserver':
      case 'acctserver': {
        const list = key === 'authserver' ? authServers : acctServers;
        const port = key === 'authserver' ? DEFAULT_AUTH_PORT : DEFAULT_ACCT_PORT;
        for (const entry of value.split(/[\s,]+/).filter(Boolean)) list.push(parseServer(sink, line, key, entry, port));
        break;
      }
      case 'servers':
        out.serversFile = value;
        break;
      case 'dictionary':
        out.dictionary = value;
        break;
      case 'radius_timeout':
        out.timeoutSeconds = integer(sink, line, key, value, 1, 3600);
        break;
      case 'radius_retries':
        out.retries = integer(sink, line, key, value, 0, 100);
        break;
      case 'radius_deadtime':
        out.deadTimeSeconds = integer(sink, line, key, value, 0, 86400);
        break;
      case 'nas-identifier':
        if (value.length > 253) throw sink.error(line, `${key}: at most 253 octets (RFC 2865 §5.32)`);
        out.nasIdentifier = value;
        break;
      case 'bindaddr':
        if (value === '*') {
          delete out.bindAddress;
        } else if (parseIpv4(value) === undefined) {
          throw sink.error(line, `${key}: expected "*" or an IPv4 address, got "${value}"`);
        } else {
          out.bindAddress = value;
        }
        break;
    }
  }
  return { value: { authServers, acctServers, ...out }, warnings: sink.warnings };
}

/** One line of the `servers` file. */
export interface RadiusSecretEntry {
  /** `host` or `host:port` as written. */
  readonly server: string;
  readonly secret: string;
  readonly line: number;
}

/**
 * Parses radcli's `servers` file: `server secret` per line, `#` comments. Lines with one word are
 * skipped with a warning; words after the secret are ignored with a warning (never echoed).
 */
export function parseRadiusServers(text: string, file: string): Parsed<readonly RadiusSecretEntry[]> {
  const sink = new WarningSink(file);
  const out: RadiusSecretEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const cut = lines[i]!.indexOf('#');
    const words = (cut < 0 ? lines[i]! : lines[i]!.slice(0, cut)).trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    if (words.length < 2) {
      sink.warn(i + 1, `expected "server secret", got 1 word; line ignored`);
      continue;
    }
    if (words.length > 2) sink.warn(i + 1, `${words.length - 2} word(s) after the secret ignored`);
    out.push({ server: words[0]!, secret: words[1]!, line: i + 1 });
  }
  return { value: out, warnings: sink.warnings };
}

/** The secret for a server: an exact `host:port` line first, then a `host` line (radcli matches names). */
export function lookupRadiusSecret(
  entries: readonly RadiusSecretEntry[],
  host: string,
  port: number,
): string | undefined {
  const h = host.toLowerCase();
  return (
    entries.find((e) => e.server.toLowerCase() === `${h}:${port}`)?.secret ??
    entries.find((e) => e.server.toLowerCase() === h)?.secret
  );
}

/**
 * Every server with its secret (inline, else from `servers`); ConfigError at the server's line when
 * none is found, since RADIUS cannot run without one (RFC 2865 §3).
 */
export function resolveRadiusSecrets(
  conf: RadiusClientConf,
  secrets: readonly RadiusSecretEntry[],
  file: string,
): {
  readonly authServers: readonly { host: string; port: number; secret: string }[];
  readonly acctServers: readonly { host: string; port: number; secret: string }[];
} {
  const resolve = (list: readonly RadiusServerEntry[]) =>
    list.map((s) => {
      const secret = s.secret ?? lookupRadiusSecret(secrets, s.host, s.port);
      if (secret === undefined)
        throw new ConfigError(file, s.line, `no secret for ${s.host}:${s.port} in the servers file`);
      return { host: s.host, port: s.port, secret };
    });
  return { authServers: resolve(conf.authServers), acctServers: resolve(conf.acctServers) };
}
