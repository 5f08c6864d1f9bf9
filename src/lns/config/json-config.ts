// The native JSON config: the LnsSettings model itself (any subset of its keys over
// DEFAULT_LNS_SETTINGS), validated with messages that give the path and the reason.
// Related: settings.ts (the model and defaults), docs/CONFIG.md (the keys).

import { type AuthMethodName, isAuthMethodName } from '../../chap/methods.js';
import { formatIpv4, parseIpv4 } from '../../core/ipv4.js';
import { canonicalAddress } from '../../core/peer-address.js';
import { parseIpv6Pool } from '../ipv6-prefixes.js';
import { ConfigError, type Parsed, WarningSink } from './config-error.js';
import { type Ipv4Range, parseIpv4Range, type RangeRule } from './ipv4.js';
import type { TunnelSecret } from './l2tp-secrets.js';
import { daeClientsOf, type RadiusServerSetting, type RadiusSettings } from './radius-settings.js';
import { DEFAULT_LNS_SETTINGS, type LnsSettings, type LnsUser } from './settings.js';

type Check = (value: unknown, path: string, fail: (path: string, reason: string) => never) => unknown;

const bool: Check = (v, p, fail) => (typeof v === 'boolean' ? v : fail(p, `expected true or false, got ${show(v)}`));
const int =
  (min: number, max: number): Check =>
  (v, p, fail) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
      ? v
      : fail(p, `expected an integer ${min}..${max}, got ${show(v)}`);
const str: Check = (v, p, fail) => (typeof v === 'string' ? v : fail(p, `expected a string, got ${show(v)}`));
const ipv4: Check = (v, p, fail) => {
  const n = typeof v === 'string' ? parseIpv4(v) : undefined;
  return n === undefined ? fail(p, `expected an IPv4 address, got ${show(v)}`) : formatIpv4(n);
};
/** IPv4 or IPv6 (`listenAddress`), in its one spelling. */
const ipAddress: Check = (v, p, fail) => {
  const c = typeof v === 'string' ? canonicalAddress(v) : undefined;
  return c === undefined ? fail(p, `expected an IPv4 or IPv6 address, got ${show(v)}`) : c;
};
const list =
  (item: Check, max = Number.POSITIVE_INFINITY): Check =>
  (v, p, fail) => {
    if (!Array.isArray(v)) return fail(p, `expected an array, got ${show(v)}`);
    if (v.length > max) return fail(p, `expected at most ${max} entries, got ${v.length}`);
    return v.map((x, i) => item(x, `${p}[${i}]`, fail));
  };
/** `"10.1.20.31-10.1.20.50"`, `"10.1.20.31-50"`, `"10.1.20.7"` or `{ "start": …, "end": … }`. */
const range: Check = (v, p, fail): Ipv4Range => {
  const text = typeof v === 'string' ? v : isObject(v) ? `${String(v.start)}-${String(v.end)}` : undefined;
  const r = text === undefined ? 'expected "a.b.c.d-a.b.c.e" or {"start","end"}' : parseIpv4Range(text);
  if (typeof r === 'string') return fail(p, `${r}, got ${show(v)}`);
  return { start: formatIpv4(r.start), end: formatIpv4(r.end) };
};
/** A range, or `{ "start", "end", "allow": false }` / `"!a.b.c.d-e"` for a deny rule. */
const rule: Check = (v, p, fail): RangeRule => {
  if (typeof v === 'string' && v.startsWith('!')) return { ...(range(v.slice(1), p, fail) as Ipv4Range), allow: false };
  const allow = isObject(v) && v.allow !== undefined ? bool(v.allow, `${p}.allow`, fail) : true;
  return { ...(range(v, p, fail) as Ipv4Range), allow: allow as boolean };
};
const method: Check = (v, p, fail) =>
  isAuthMethodName(v) ? v : fail(p, `expected "mschapv2", "chap" or "pap", got ${show(v)}`);
const tunnelSecret: Check = (v, p, fail): TunnelSecret => {
  if (!isObject(v)) return fail(p, `expected {"us","them","secret"}, got ${show(v)}`);
  return {
    us: str(v.us ?? '*', `${p}.us`, fail) as string,
    them: str(v.them ?? '*', `${p}.them`, fail) as string,
    secret: str(v.secret, `${p}.secret`, fail) as string,
    line: 0,
  };
};
const users: Check = (v, p, fail): Map<string, LnsUser> => {
  if (!isObject(v)) return fail(p, `expected an object of user name → {"secret","staticAddress"?}, got ${show(v)}`);
  const out = new Map<string, LnsUser>();
  for (const [name, u] of Object.entries(v)) {
    const at = `${p}.${name}`;
    if (typeof u === 'string') {
      out.set(name, { secret: u });
      continue;
    }
    if (!isObject(u)) return fail(at, `expected a secret string or {"secret","staticAddress"?}, got ${show(u)}`);
    for (const k of Object.keys(u)) if (k !== 'secret' && k !== 'staticAddress') fail(`${at}.${k}`, 'unknown key');
    const secret = str(u.secret, `${at}.secret`, fail) as string;
    out.set(
      name,
      u.staticAddress === undefined
        ? { secret }
        : { secret, staticAddress: ipv4(u.staticAddress, `${at}.staticAddress`, fail) as string },
    );
  }
  return out;
};
const debug: Check = (v, p, fail) => {
  if (!isObject(v)) return fail(p, `expected an object, got ${show(v)}`);
  const out: Record<string, boolean> = { ...DEFAULT_LNS_SETTINGS.debug };
  for (const [k, x] of Object.entries(v)) {
    if (!(k in out)) fail(`${p}.${k}`, `unknown key (expected ${Object.keys(out).join(', ')})`);
    out[k] = bool(x, `${p}.${k}`, fail) as boolean;
  }
  return out;
};
const radiusServer =
  (defaultPort: number): Check =>
  (v, p, fail): RadiusServerSetting => {
    if (!isObject(v)) return fail(p, `expected {"host","port"?,"secret"}, got ${show(v)}`);
    for (const k of Object.keys(v)) if (!['host', 'port', 'secret'].includes(k)) fail(`${p}.${k}`, 'unknown key');
    const host = str(v.host, `${p}.host`, fail) as string;
    if (!/^[A-Za-z0-9._-]+$/.test(host))
      fail(`${p}.host`, `expected an IPv4 address or a host name, got ${show(host)}`);
    const secret = str(v.secret, `${p}.secret`, fail) as string;
    if (secret === '') fail(`${p}.secret`, 'expected a non-empty secret');
    const port = v.port === undefined ? defaultPort : (int(1, 65535)(v.port, `${p}.port`, fail) as number);
    return { host, port, secret };
  };
/** `mssClamp`: "auto", a number 88–65535 (RFC 879's 536 is typical; 88 = 128-byte MTU − 40), or null. */
const mssClamp: Check = (v, p, fail) => {
  if (v === null) return undefined;
  if (v === 'auto') return 'auto';
  if (typeof v === 'number') return int(88, 65_535)(v, p, fail);
  return fail(p, `expected "auto" or an MSS 88-65535, got ${show(v)}`);
};
/** `ipv6Pool` (issue 12 item 5): "2001:db8:100::/48", a /32 to a /63 (ipv6-prefixes.ts), or null. */
const ipv6Pool: Check = (v, p, fail) => {
  if (v === null) return undefined;
  if (typeof v !== 'string') return fail(p, `expected an IPv6 prefix such as "2001:db8:100::/48", got ${show(v)}`);
  const parsed = parseIpv6Pool(v);
  return 'error' in parsed ? fail(p, parsed.error) : v;
};
/** `namedPools`: `{ "gold": ["10.30.0.1-10.30.0.99"], … }`, names as RADIUS Framed-Pool sends them. */
const namedPools: Check = (v, p, fail) => {
  if (!isObject(v)) return fail(p, `expected an object of pool name → ranges, got ${show(v)}`);
  const out: Record<string, unknown> = {};
  for (const [name, ranges] of Object.entries(v)) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) fail(`${p}.${name}`, 'a pool name is 1-64 of [A-Za-z0-9._-]');
    const list_ = list(range)(ranges, `${p}.${name}`, fail) as unknown[];
    if (list_.length === 0) fail(`${p}.${name}`, 'expected at least one range');
    out[name] = list_;
  }
  return out;
};
/** `radius.dae`: "HOST:PORT" (an IPv4 address) to listen on for RFC 5176 requests. */
const daeAddress: Check = (v, p, fail) => {
  const s = str(v, p, fail) as string;
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d{1,5})$/.exec(s);
  if (m === null || Number(m[2]) > 65535 || ipv4(m[1], p, fail) === undefined) {
    return fail(p, `expected "IPV4:PORT", got ${show(v)}`);
  }
  return { address: m[1]!, port: Number(m[2]) };
};
const daeClient: Check = (v, p, fail) => {
  if (!isObject(v)) return fail(p, `expected {"host","secret"}, got ${show(v)}`);
  for (const k of Object.keys(v)) if (!['host', 'secret'].includes(k)) fail(`${p}.${k}`, 'unknown key');
  const host = str(v.host, `${p}.host`, fail) as string;
  if (!/^[A-Za-z0-9._-]+$/.test(host)) fail(`${p}.host`, `expected an IPv4 address or a host name, got ${show(host)}`);
  const secret = str(v.secret, `${p}.secret`, fail) as string;
  if (secret === '') fail(`${p}.secret`, 'expected a non-empty secret');
  return { host, secret };
};
/** The `radius` object: the resolved radiusclient.conf (docs/CONFIG.md). */
const radius: Check = (v, p, fail): RadiusSettings | undefined => {
  if (v === null) return undefined;
  if (!isObject(v)) return fail(p, `expected an object, got ${show(v)}`);
  const spec: Record<string, Check> = {
    configFile: str,
    authServers: list(radiusServer(1812)),
    acctServers: list(radiusServer(1813)),
    timeoutMs: int(1, 3_600_000),
    retries: int(0, 100),
    deadTimeMs: int(0, 86_400_000),
    nasIdentifier: str,
    nasIpAddress: ipv4,
    bindAddress: ipv4,
    acceptUnsignedReplies: bool,
    minInterimSeconds: int(1, 86_400),
    dae: daeAddress,
    daeClients: list(daeClient),
    daeRequireEventTimestamp: bool,
  };
  const out: Record<string, unknown> = {
    authServers: [],
    acctServers: [],
    timeoutMs: 10_000,
    retries: 3,
    deadTimeMs: 0,
    acceptUnsignedReplies: false,
    minInterimSeconds: 60,
  };
  for (const [k, x] of Object.entries(v)) {
    const check = spec[k];
    if (check === undefined) fail(`${p}.${k}`, `unknown key (expected ${Object.keys(spec).join(', ')})`);
    else if (x !== null) out[k] = check(x, `${p}.${k}`, fail);
  }
  if ((out.authServers as unknown[]).length === 0) fail(`${p}.authServers`, 'expected at least one server');
  out.daeRequireEventTimestamp ??= true;
  // Without a list, the auth and acct servers may send Disconnect/CoA (as with a servers file).
  out.daeClients ??= daeClientsOf(
    [],
    [...(out.authServers as RadiusServerSetting[]), ...(out.acctServers as RadiusServerSetting[])],
  );
  return out as unknown as RadiusSettings;
};
const optionalInt =
  (min: number, max: number): Check =>
  (v, p, fail) =>
    v === null ? undefined : int(min, max)(v, p, fail);
const optionalStr: Check = (v, p, fail) => (v === null ? undefined : str(v, p, fail));
/** `"HOST:PORT"`, `"[V6]:PORT"`, as `--metrics` takes it; null = unset. */
const hostPort: Check = (v, p, fail) => {
  if (v === null) return undefined;
  const m = /^(?:\[[0-9A-Fa-f:.]+\]|[^:\s]+):(\d{1,5})$/.exec(str(v, p, fail) as string);
  return m === null || Number(m[1]) > 65535 ? fail(p, `expected "HOST:PORT", got ${show(v)}`) : v;
};

const U32 = 0xffffffff;
/** One validator per LnsSettings key. */
const FIELDS: { readonly [K in keyof LnsSettings]: Check } = {
  listenAddress: ipAddress,
  port: int(0, 65535),
  hostName: str,
  authName: str,
  challenge: bool,
  hideAvps: bool,
  dataLengthBit: bool,
  sequencing: bool,
  receiveWindow: int(1, 65535),
  maxRetries: int(1, 1000),
  retransmitCapMs: optionalInt(1, U32),
  accessControl: bool,
  lacAccess: list(rule),
  exclusive: bool,
  singleSession: bool,
  networkPhaseTimeoutMs: int(0, U32),
  authFailureLimit: int(0, 1000),
  authFailureWindowMs: int(1, U32),
  authBlockMs: int(1, U32),
  tunnelSecrets: list(tunnelSecret),
  assignIp: bool,
  poolRanges: list(range),
  localAddress: ipv4,
  localRanges: list(range),
  namedPools,
  mssClamp,
  authRequired: bool,
  authMethods: list(method, 3),
  mtu: int(128, 16384),
  mru: int(128, 16384),
  dns: list(ipv4, 2),
  wins: list(ipv4, 2),
  echoIntervalMs: int(0, U32),
  echoFailure: int(0, U32),
  restartMs: int(1, U32),
  maxConfigure: int(1, 1000),
  maxTerminate: int(1, 1000),
  maxFailure: int(1, 1000),
  chapRestartMs: int(1, U32),
  papTimeoutMs: int(0, U32),
  ipv6: bool,
  ipv6Pool,
  rejectCcp: bool,
  idleSeconds: int(0, U32),
  maxConnectSeconds: int(0, U32),
  pppDebug: bool,
  debug,
  logFile: optionalStr,
  logFd: optionalInt(0, 2_147_483_647),
  dump: bool,
  ipUpScript: optionalStr,
  ipDownScript: optionalStr,
  ipv6UpScript: optionalStr,
  ipv6DownScript: optionalStr,
  ipparam: optionalStr,
  hookTimeoutMs: int(100, 3_600_000),
  metrics: hostPort,
  users,
  radius,
};

/** The keys of the JSON config (= LnsSettings keys). */
export const JSON_CONFIG_KEYS: readonly string[] = Object.keys(FIELDS);

/**
 * Parses a JSON config: an object with any LnsSettings keys, each validated; absent keys take
 * DEFAULT_LNS_SETTINGS. `authMethods` without `authRequired` implies authRequired = (non-empty).
 * Unknown keys are warnings. Errors: `config.json:7: $.users.alice.secret: expected a string, got 5`
 * (the line is that of the top-level key, found in the text).
 */
export function parseJsonConfig(text: string, file: string): Parsed<LnsSettings> {
  const sink = new WarningSink(file);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String(e));
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : 0;
    throw new ConfigError(file, line, `invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(data)) throw new ConfigError(file, 1, `$: expected an object, got ${show(data)}`);
  // The seed's defaults, except what the seed's options file asks of pppd itself: the native config
  // runs no ip-up/ip-down unless it names one (the host's /etc/ppp/ip-up belongs to its pppd), and
  // prints no `dump` unless it says `"dump": true`.
  const out: Record<string, unknown> = {
    ...DEFAULT_LNS_SETTINGS,
    ipUpScript: undefined,
    ipDownScript: undefined,
    ipv6UpScript: undefined,
    ipv6DownScript: undefined,
    dump: false,
  };
  for (const [key, value] of Object.entries(data)) {
    const line = lineOfKey(text, key);
    if (key.startsWith('$') || key.startsWith('//')) continue; // "$schema", "//" comments
    const check = (FIELDS as Record<string, Check>)[key];
    if (check === undefined) {
      sink.warn(line, `$.${key}: unknown key ignored`);
      continue;
    }
    const fail = (path: string, reason: string): never => {
      throw new ConfigError(file, line, `${path}: ${reason}`);
    };
    out[key] = check(value, `$.${key}`, fail);
  }
  if (data.authMethods !== undefined && data.authRequired === undefined) {
    out.authRequired = (out.authMethods as AuthMethodName[]).length > 0;
  }
  if (out.authRequired === true && (out.authMethods as AuthMethodName[]).length === 0) {
    throw new ConfigError(
      file,
      lineOfKey(text, 'authRequired'),
      '$.authRequired: true needs at least one authMethods entry',
    );
  }
  if (out.authRequired === false) out.authMethods = [];
  return { value: out as unknown as LnsSettings, warnings: sink.warnings };
}

/** LnsSettings → the JSON config text (users as an object), for `--print-config` and round trips. */
export function settingsToJson(settings: LnsSettings, opts: { redactSecrets?: boolean } = {}): string {
  const { users: map, tunnelSecrets, ...rest } = settings;
  const users = Object.fromEntries([...map].map(([name, u]) => [name, { ...u }]));
  // Redaction works on the structure (every string under a `secret` key), never on the text:
  // a regex over the JSON misses a secret with an escaped quote in it.
  const redact = opts.redactSecrets === true;
  return `${JSON.stringify(
    { ...rest, tunnelSecrets: tunnelSecrets.map(({ us, them, secret }) => ({ us, them, secret })), users },
    (k, v) => (v === undefined ? null : redact && k === 'secret' && typeof v === 'string' ? '***' : v),
    2,
  )}\n`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function lineOfKey(text: string, key: string): number {
  const at = text.indexOf(JSON.stringify(key));
  return at < 0 ? 0 : text.slice(0, at).split('\n').length;
}
