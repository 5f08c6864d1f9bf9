// LnsSettings: the ONE runtime model the LNS composition consumes, resolved from xl2tpd.conf +
// the pppd options file + chap-secrets + l2tp-secrets the way xl2tpd hands them to pppd (its
// argv first, then `file pppoptfile`). Related: xl2tpd-conf.ts, pppd-options.ts, ../lns.ts.

import type { AuthMethodName } from '../../chap/methods.js';
import { parseIpv4 } from '../../core/ipv4.js';
import { DEFAULT_RECEIVE_WINDOW } from '../../l2tp/control-channel.js';
import { type ChapSecret, parseChapSecrets } from './chap-secrets.js';
import { ConfigError, type ConfigWarning, type Parsed, WarningSink } from './config-error.js';
import { applyRangeRules, type Ipv4Range, type RangeRule } from './ipv4.js';
import { lookupTunnelSecret, parseL2tpSecrets, type TunnelSecret } from './l2tp-secrets.js';
import { type PppAuthProtocol, type PppOptions, parsePppOptions } from './pppd-options.js';
import { DEFAULT_RADIUS_CONFIG_FILE, loadRadiusSettings, type RadiusSettings } from './radius-settings.js';
import { SEED_CHAP_SECRETS, SEED_OPTIONS_XL2TPD, SEED_XL2TPD_CONF } from './seed.js';
import { parseXl2tpdConf, type Xl2tpdConf, type Xl2tpdLns } from './xl2tpd-conf.js';

/** A chap-secrets user: the secret and, optionally, the static address column. */
export interface LnsUser {
  readonly secret: string;
  readonly staticAddress?: string;
}

/** Everything the LNS needs to run, with every default applied. Plain data (JSON-able but `users`). */
export interface LnsSettings {
  // --- L2TP (xl2tpd.conf [global] and [lns]) ---
  /** UDP address to bind (`listen-addr`; xl2tpd's default 0.0.0.0, DEFAULT_LNS_SETTINGS 127.0.0.1). */
  readonly listenAddress: string;
  readonly port: number;
  /** Host Name AVP (`hostname`; xl2tpd uses the system host name, we use 'l2tp-ts'). */
  readonly hostName: string;
  /** The name in our CHAP challenges and the chap-secrets server column (pppd `name`, else xl2tpd `name`, else hostName). */
  readonly authName: string;
  /** `challenge = yes`: send a Challenge AVP and require a valid response (RFC 2661 §4.4.3, §5.1.1). */
  readonly challenge: boolean;
  /** `hidden bit = yes`: hide AVPs that may be hidden (RFC 2661 §4.3). */
  readonly hideAvps: boolean;
  /** `length bit = yes`: set L in data messages (RFC 2661 §3.1). */
  readonly dataLengthBit: boolean;
  /** `flow bit = yes`: our data messages carry sequence numbers from the start (RFC 2661 §5.4: the LNS controls sequencing). */
  readonly sequencing: boolean;
  /** `tunnel rws`: our Receive Window Size AVP (§4.4.3; default 16 as accel-ppp, xl2tpd's is 4). */
  readonly receiveWindow: number;
  /** `max retries`: control message retransmissions before the tunnel is torn down (§5.8; xl2tpd default 5). */
  readonly maxRetries: number;
  /** `cap backoff` in ms: ceiling for the retransmission interval (undefined: the engine's default). */
  readonly retransmitCapMs: number | undefined;
  /** `access control = yes`: only LACs allowed by `lacAccess` may open tunnels. */
  readonly accessControl: boolean;
  /** `lac` / `no lac` rules, file order; the last rule covering an address decides. */
  readonly lacAccess: readonly RangeRule[];
  /** `exclusive = yes`: restricts nothing, as in xl2tpd (a notice at start says so). */
  readonly exclusive: boolean;
  /** One session per user name (JSON `singleSession`; no xl2tpd key); default false. */
  readonly singleSession: boolean;
  /** Clear a session that has not reached the PPP Network phase in this many ms (0: never); default 60 000. */
  readonly networkPhaseTimeoutMs: number;
  /** Authentication failures (per user name, per peer address) in `authFailureWindowMs` before refusing; 0: off. */
  readonly authFailureLimit: number;
  readonly authFailureWindowMs: number;
  /** How long a user name or address is refused after `authFailureLimit` failures. */
  readonly authBlockMs: number;
  /** l2tp-secrets lines (`us them secret`), for lookupTunnelSecret. */
  readonly tunnelSecrets: readonly TunnelSecret[];
  // --- addresses ---
  /** `assign ip` (default yes): hand out pool addresses. */
  readonly assignIp: boolean;
  /** Pool: `ip range` minus `no ip range`, as sorted disjoint ranges (the local address is NOT removed here). */
  readonly poolRanges: readonly Ipv4Range[];
  /** Our IPCP address (`local ip`; never handed out); with `localRanges`, the range's first address. */
  readonly localAddress: string;
  /**
   * `local ip range`: each session gets its own local IPCP address from these ranges (sorted,
   * disjoint, kept out of `poolRanges`), as xl2tpd hands pppd one per call; empty: every session
   * uses `localAddress`.
   */
  readonly localRanges: readonly Ipv4Range[];
  /**
   * Named pools (JSON `namedPools`; xl2tpd and pppd have none): RADIUS Framed-Pool (RFC 2869 §5.18)
   * picks one of them for a session; without Framed-Pool the `ip range` pool is used.
   */
  readonly namedPools: Readonly<Record<string, readonly Ipv4Range[]>>;
  /** TCP MSS clamping (`lns --mss-clamp auto|N`, JSON `mssClamp`; l2tpns `tcp_mss_adjust`); off by default. */
  readonly mssClamp: 'auto' | number | undefined;
  // --- PPP (pppd options, with xl2tpd's require/refuse flags ahead of them) ---
  /** Whether the peer must authenticate; when false `authMethods` is empty. */
  readonly authRequired: boolean;
  /** Methods we ask for, in pppd's preference order (CHAP-MD5, then MS-CHAPv2, then PAP). */
  readonly authMethods: readonly AuthMethodName[];
  readonly mtu: number;
  readonly mru: number;
  /** `ms-dns` (RFC 1877), at most two. */
  readonly dns: readonly string[];
  /** `ms-wins` (RFC 1877 NBNS), at most two. */
  readonly wins: readonly string[];
  /** `lcp-echo-interval` in ms; 0 = no keepalive. */
  readonly echoIntervalMs: number;
  /** `lcp-echo-failure`: unanswered echoes before the link is declared dead; 0 = never. */
  readonly echoFailure: number;
  /** `lcp-restart` in ms (RFC 1661 §4.6 Restart timer; pppd default 3 s). */
  readonly restartMs: number;
  readonly maxConfigure: number;
  readonly maxTerminate: number;
  readonly maxFailure: number;
  /** `chap-restart` in ms (pppd default 3 s). */
  readonly chapRestartMs: number;
  /** `pap-timeout` in ms (pppd default 30 s; 0 = none). */
  readonly papTimeoutMs: number;
  /** `+ipv6`: run IPv6CP. */
  readonly ipv6: boolean;
  /** JSON `ipv6Pool` (issue 12 item 5): a /64 per session out of it, by Router Advertisement; absent: link-local only. */
  readonly ipv6Pool: string | undefined;
  /** `noccp` / `nomppe`: reject CCP. */
  readonly rejectCcp: boolean;
  /** `idle` in s; 0 = never disconnect an idle link. */
  readonly idleSeconds: number;
  /** `maxconnect` in s; 0 = unlimited. */
  readonly maxConnectSeconds: number;
  /** xl2tpd `ppp debug` or pppd `debug`: pppd-style packet log lines. */
  readonly pppDebug: boolean;
  /** xl2tpd `debug avp/network/packet/tunnel/state`. */
  readonly debug: {
    readonly avp: boolean;
    readonly network: boolean;
    readonly packet: boolean;
    readonly tunnel: boolean;
    readonly state: boolean;
  };
  /**
   * pppd `logfile FILE`: the log is appended to FILE as well as written to stdout (pppd: as well as
   * syslog). pppd keeps one of `logfile`/`logfd`, the later in the file; so do we.
   */
  readonly logFile: string | undefined;
  /** pppd `logfd N`: the log is also written to file descriptor N (1 and 2: stdout/stderr, nothing extra). */
  readonly logFd: number | undefined;
  /** pppd `dump`: print the resolved settings (secrets redacted) to the log at start, then run. */
  readonly dump: boolean;
  /**
   * pppd's ip-up / ip-down: run (TUN mode) when a session's IPCP goes up / the session goes down,
   * with pppd's arguments and environment. From the pppd options file: `ip-up-script` /
   * `ip-down-script`, default /etc/ppp/ip-up and /etc/ppp/ip-down as pppd's; JSON: none unless set.
   */
  readonly ipUpScript: string | undefined;
  readonly ipDownScript: string | undefined;
  /** The same for IPv6CP (`+ipv6`): `ipv6-up-script` / `ipv6-down-script`, default /etc/ppp/ipv6-up and ipv6-down. */
  readonly ipv6UpScript: string | undefined;
  readonly ipv6DownScript: string | undefined;
  /** pppd `ipparam`: the scripts' 6th argument and $IPPARAM. */
  readonly ipparam: string | undefined;
  /** A script still running this long after it started is killed (SIGTERM, then SIGKILL); JSON only. */
  readonly hookTimeoutMs: number;
  /** Serve Prometheus metrics at http://HOST:PORT/metrics ("HOST:PORT"); JSON only, `--metrics` wins. */
  readonly metrics: string | undefined;
  /** chap-secrets users whose server column is `*` or authName; the client `*` entry, if any, under '*'. */
  readonly users: ReadonlyMap<string, LnsUser>;
  /**
   * pppd `plugin radius.so` (+ `radius-config-file`) or the JSON `radius` object: RADIUS decides
   * authentication and gets accounting; `users` is then not consulted for logins. Undefined: no RADIUS.
   */
  readonly radius?: RadiusSettings;
}

/** The parsed files resolveLnsSettings reads; `files` names them in messages. */
export interface LnsConfigInput {
  readonly conf?: Xl2tpdConf;
  readonly pppOptions?: PppOptions;
  readonly chapSecrets?: readonly ChapSecret[];
  readonly l2tpSecrets?: readonly TunnelSecret[];
  /** Resolved from radiusclient.conf when the options file loads the radius plugin. */
  readonly radius?: RadiusSettings;
  /** Which `[lns NAME]` section (default: `default`, else the first). */
  readonly section?: string;
  readonly files?: { readonly conf?: string; readonly pppOptions?: string; readonly chapSecrets?: string };
}

const PPPD_DEFAULTS = {
  mtu: 1500,
  mru: 1500,
  restartMs: 3000,
  maxConfigure: 10,
  maxTerminate: 2,
  maxFailure: 5,
  chapRestartMs: 3000,
  papTimeoutMs: 30_000,
} as const;

/** pppd lcp.c / chap-new.h: the order our Configure-Request asks for methods (EAP and MS-CHAPv1 unsupported). */
const PPPD_ORDER: readonly { readonly protocol: PppAuthProtocol; readonly method: AuthMethodName }[] = [
  { protocol: 'chap', method: 'chap' },
  { protocol: 'mschap-v2', method: 'mschapv2' },
  { protocol: 'pap', method: 'pap' },
];

/**
 * Resolves parsed files into LnsSettings, applying xl2tpd's and pppd's defaults for anything
 * absent. Throws ConfigError when the combination cannot run (authentication required with no
 * supported method, no local address and no pool).
 */
export function resolveLnsSettings(input: LnsConfigInput): Parsed<LnsSettings> {
  const confFile = input.files?.conf ?? 'xl2tpd.conf';
  const optFile = input.files?.pppOptions ?? 'options.xl2tpd';
  const secretsFile = input.files?.chapSecrets ?? 'chap-secrets';
  const confSink = new WarningSink(confFile);
  const optSink = new WarningSink(optFile);
  const secretsSink = new WarningSink(secretsFile);

  const g = input.conf?.global ?? {};
  const lns = pickSection(input.conf, input.section, confSink);
  const ppp = input.pppOptions;
  if (lns?.pppOptFile && ppp === undefined) {
    confSink.warn(0, `pppoptfile ${lns.pppOptFile} was not given to the resolver; pppd's defaults apply`);
  }

  // --- authentication: xl2tpd's argv (control.c start_pppd), then the options file ---
  const auth = resolveAuth(lns, ppp, confSink, optSink);

  // --- addresses ---
  const sorted = applyRangeRules(lns?.ipRanges ?? []);
  let localAddress = lns?.localIp ?? ppp?.localIp;
  let poolRanges = sorted;
  // `local ip range` (xl2tpd 1.3.2+): a local address per call. xl2tpd reserves both ranges in one
  // table, so an address is never both a session's local and another's peer: the pool loses the overlap.
  const localRanges = lns?.localIp === undefined ? applyRangeRules(lns?.localIpRanges ?? []) : [];
  if (localRanges.length > 0 && lns !== undefined) {
    localAddress = localRanges[0]!.start;
    poolRanges = applyRangeRules([...lns.ipRanges, ...localRanges.map((r) => ({ ...r, allow: false }))]);
    if (addressCount(poolRanges) < addressCount(sorted)) {
      confSink.warn(lns.line, 'ip range overlaps local ip range: the overlap is used for local addresses only');
    }
  }
  if (localAddress === undefined) {
    const first = sorted[0];
    if (first === undefined) {
      throw new ConfigError(confFile, lns?.line ?? 0, 'no local ip and no ip range: the LNS has no IPCP address');
    }
    localAddress = first.start;
    poolRanges = applyRangeRules([...(lns?.ipRanges ?? []), { start: first.start, end: first.start, allow: false }]);
    confSink.warn(lns?.line ?? 0, `no local ip: using ${localAddress}, the first address of the ip range`);
  }
  const assignIp = lns?.assignIp ?? true;
  if (assignIp && poolRanges.length === 0) {
    confSink.warn(lns?.line ?? 0, 'no ip range: only users with a static address in chap-secrets get an address');
  }

  const hostName = lns?.hostname || 'l2tp-ts';
  const authName = ppp?.name ?? (lns?.authName || hostName);
  const users = resolveUsers(input.chapSecrets ?? [], authName, secretsSink);

  const settings: LnsSettings = {
    listenAddress: g.listenAddr ?? '0.0.0.0',
    port: g.port ?? 1701,
    hostName,
    authName,
    challenge: lns?.challenge ?? false,
    hideAvps: lns?.hiddenBit ?? false,
    dataLengthBit: lns?.lengthBit ?? false,
    sequencing: lns?.flowBit ?? false,
    receiveWindow: lns?.tunnelRws ?? DEFAULT_RECEIVE_WINDOW,
    maxRetries: g.maxRetries ?? 5,
    retransmitCapMs: g.capBackoff ? g.capBackoff * 1000 : undefined,
    accessControl: g.accessControl ?? false,
    lacAccess: lns?.lacs ?? [],
    exclusive: lns?.exclusive ?? false,
    singleSession: false,
    networkPhaseTimeoutMs: 60_000,
    authFailureLimit: 5,
    authFailureWindowMs: 60_000,
    authBlockMs: 60_000,
    tunnelSecrets: input.l2tpSecrets ?? [],
    assignIp,
    poolRanges,
    localAddress,
    localRanges,
    namedPools: {},
    mssClamp: undefined,
    authRequired: auth.required,
    authMethods: auth.methods,
    mtu: ppp?.mtu ?? PPPD_DEFAULTS.mtu,
    mru: ppp?.mru ?? PPPD_DEFAULTS.mru,
    dns: ppp?.msDns ?? [],
    wins: ppp?.msWins ?? [],
    echoIntervalMs: (ppp?.lcpEchoInterval ?? 0) * 1000,
    echoFailure: ppp?.lcpEchoFailure ?? 0,
    restartMs: ppp?.lcpRestart === undefined ? PPPD_DEFAULTS.restartMs : ppp.lcpRestart * 1000,
    maxConfigure: ppp?.lcpMaxConfigure ?? PPPD_DEFAULTS.maxConfigure,
    maxTerminate: ppp?.lcpMaxTerminate ?? PPPD_DEFAULTS.maxTerminate,
    maxFailure: ppp?.lcpMaxFailure ?? PPPD_DEFAULTS.maxFailure,
    chapRestartMs: ppp?.chapRestart === undefined ? PPPD_DEFAULTS.chapRestartMs : ppp.chapRestart * 1000,
    papTimeoutMs: ppp?.papTimeout === undefined ? PPPD_DEFAULTS.papTimeoutMs : ppp.papTimeout * 1000,
    ipv6: ppp?.ipv6 ?? false,
    ipv6Pool: undefined,
    rejectCcp: ppp?.rejectCcp ?? false,
    idleSeconds: ppp?.idle ?? 0,
    maxConnectSeconds: ppp?.maxconnect ?? 0,
    pppDebug: (lns?.pppDebug ?? false) || (ppp?.debug ?? false),
    debug: {
      avp: g.debugAvp ?? false,
      network: g.debugNetwork ?? false,
      packet: g.debugPacket ?? false,
      tunnel: g.debugTunnel ?? false,
      state: g.debugState ?? false,
    },
    ...logTarget(ppp),
    dump: ppp?.dump ?? false,
    ipUpScript: ppp?.ipUpScript ?? '/etc/ppp/ip-up',
    ipDownScript: ppp?.ipDownScript ?? '/etc/ppp/ip-down',
    ipv6UpScript: ppp?.ipv6UpScript ?? '/etc/ppp/ipv6-up',
    ipv6DownScript: ppp?.ipv6DownScript ?? '/etc/ppp/ipv6-down',
    ipparam: ppp?.ipparam,
    hookTimeoutMs: 10_000,
    metrics: undefined,
    users,
    ...(input.radius !== undefined && { radius: input.radius }),
  };
  if (ppp?.radiusConfigFile !== undefined && ppp.radiusPlugin === undefined) {
    optSink.warn(ppp.radiusConfigFile.line, 'radius-config-file: ignored without `plugin radius.so`');
  }
  return { value: settings, warnings: [...confSink.warnings, ...optSink.warnings, ...secretsSink.warnings] };
}

/** pppd options.c: `logfile` and `logfd` set the same log_to_fd, so the later one in the file wins. */
function logTarget(ppp: PppOptions | undefined): Pick<LnsSettings, 'logFile' | 'logFd'> {
  const last = ppp?.options.filter((o) => o.name === 'logfile' || o.name === 'logfd').at(-1);
  if (last?.name === 'logfile') return { logFile: ppp?.logfile, logFd: undefined };
  if (last?.name === 'logfd') return { logFile: undefined, logFd: ppp?.logfd };
  return { logFile: undefined, logFd: undefined };
}

/** How many addresses sorted disjoint ranges hold. */
function addressCount(ranges: readonly Ipv4Range[]): number {
  let n = 0;
  for (const r of ranges) n += parseIpv4(r.end)! - parseIpv4(r.start)! + 1;
  return n;
}

function pickSection(conf: Xl2tpdConf | undefined, name: string | undefined, sink: WarningSink): Xl2tpdLns | undefined {
  if (conf === undefined) return undefined;
  const wanted = name ?? 'default';
  const found = conf.lns.find((s) => s.name.toLowerCase() === wanted.toLowerCase());
  if (found === undefined && name !== undefined) throw new ConfigError(sink.file, 0, `no [lns ${name}] section`);
  const section = found ?? conf.lns[0];
  for (const other of conf.lns) {
    if (other !== section) sink.warn(other.line, `[lns ${other.name}] ignored: only [lns ${section?.name}] is served`);
  }
  if (conf.lac.length > 0) sink.warn(conf.lac[0]!.line, '[lac] sections are ignored by the LNS (see `l2tp-ts lac`)');
  return section;
}

/**
 * pppd's rules (auth.c): auth_required is the last of `auth`/`noauth`/`require-*`; the wanted
 * methods are every `require-*`; `auth` alone wants them all. xl2tpd passes `refuse-pap`/`refuse-chap`
 * (about US authenticating to the peer) and, only with `require authentication = yes`, `auth` and
 * `require-pap`/`require-chap` — ahead of the options file (REPORT.md pitfall 8: CHAP-MD5 then
 * comes first). One deviation, on the safe side: with `auth` alone, refused methods are not asked for.
 */
function resolveAuth(
  lns: Xl2tpdLns | undefined,
  ppp: PppOptions | undefined,
  confSink: WarningSink,
  optSink: WarningSink,
): { required: boolean; methods: AuthMethodName[] } {
  const wanted = new Set<PppAuthProtocol>();
  const refused = new Set<PppAuthProtocol>();
  let required = false;
  let where: { sink: WarningSink; line: number } = { sink: confSink, line: lns?.line ?? 0 };
  if (lns !== undefined) {
    if (lns.refuseAuthentication === true) {
      refused.add('pap').add('chap');
    } else {
      if (lns.refusePap) refused.add('pap');
      if (lns.refuseChap) refused.add('chap');
    }
    if (lns.requireAuthentication) {
      required = true;
      if (lns.requirePap) wanted.add('pap');
      if (lns.requireChap) wanted.add('chap');
    }
  }
  for (const r of ppp?.require ?? []) wanted.add(r.protocol);
  for (const r of ppp?.refuse ?? []) refused.add(r.protocol);
  if (ppp?.authRequired !== undefined) {
    required = ppp.authRequired.value;
    where = { sink: optSink, line: ppp.authRequired.line };
  }
  if (!required) return { required: false, methods: [] };

  for (const p of ['mschap', 'eap'] as const) {
    if (wanted.has(p)) {
      const line = ppp?.require.find((r) => r.protocol === p)?.line ?? 0;
      optSink.warn(line, `require-${p}: ${p === 'eap' ? 'EAP' : 'MS-CHAPv1'} is not implemented; not offered`);
    }
  }
  const explicit = wanted.size > 0; // auth.c: any require-* (even unsupported EAP) stops "auth alone wants all"
  const methods = PPPD_ORDER.filter((o) => (explicit ? wanted.has(o.protocol) : !refused.has(o.protocol))).map(
    (o) => o.method,
  );
  if (methods.length === 0) {
    throw where.sink.error(
      where.line,
      'authentication is required but no supported method (mschap-v2, chap, pap) is left',
    );
  }
  if (methods[0] === 'chap' && methods.includes('mschapv2')) {
    where.sink.warn(
      where.line,
      'CHAP-MD5 is asked for before MS-CHAPv2 (pppd order; xl2tpd passes require-chap ahead of the options file), ' +
        'so clients that accept MD5 get MD5; for MS-CHAPv2 only, drop `require chap` and keep require-mschap-v2',
    );
  }
  return { required: true, methods };
}

/** pppd auth.c scan_authfile: an entry whose server column names us beats a `*` entry; else the first. */
function resolveUsers(entries: readonly ChapSecret[], authName: string, sink: WarningSink): Map<string, LnsUser> {
  const users = new Map<string, LnsUser>();
  const exact = new Set<string>();
  for (const e of entries) {
    const isExact = e.server === authName;
    if (!isExact && e.server !== '*') continue;
    if (users.has(e.client) && (exact.has(e.client) || !isExact)) continue;
    if (e.noAddress) sink.warn(e.line, `address "-" (no address) is not supported; ${e.client} gets a pool address`);
    users.set(
      e.client,
      e.staticAddress === undefined ? { secret: e.secret } : { secret: e.secret, staticAddress: e.staticAddress },
    );
    if (isExact) exact.add(e.client);
  }
  if (entries.length > 0 && users.size === 0) {
    sink.warn(0, `no entry has server "${authName}" or "*": nobody can log in`);
  }
  return users;
}

/** The user `name`, else the `*` (any client) entry, as pppd's scan_authfile would pick. */
export function lookupUser(settings: Pick<LnsSettings, 'users'>, name: string): LnsUser | undefined {
  return settings.users.get(name) ?? settings.users.get('*');
}

/**
 * May a LAC at `address` open a tunnel? The last `lac`/`no lac` rule covering it decides; with no
 * rule covering it, only `access control = no` lets it in (xl2tpd: unlisted LACs fall to [lns default]).
 */
export function lacAllowed(settings: Pick<LnsSettings, 'lacAccess' | 'accessControl'>, address: string): boolean {
  const a = parseIpv4(address);
  let verdict: boolean | undefined;
  if (a !== undefined) {
    for (const r of settings.lacAccess) if (parseIpv4(r.start)! <= a && a <= parseIpv4(r.end)!) verdict = r.allow;
  }
  return verdict ?? !settings.accessControl;
}

/** RFC 2661 §4.4.3 tunnel secret for a peer (l2tp-secrets `us them secret`, us = our hostName). */
export function tunnelSecretFor(
  settings: Pick<LnsSettings, 'tunnelSecrets' | 'hostName'>,
  peerHostName: string,
): string | undefined {
  return lookupTunnelSecret(settings.tunnelSecrets, settings.hostName, peerHostName);
}

/** The text of the files, by name, for loadLnsSettings. */
export interface LnsConfigTexts {
  readonly conf?: { readonly text: string; readonly file: string };
  readonly pppOptions?: { readonly text: string; readonly file: string };
  readonly chapSecrets?: { readonly text: string; readonly file: string };
  readonly l2tpSecrets?: { readonly text: string; readonly file: string };
  readonly section?: string;
  /** Reads radiusclient.conf and its servers file when the options file says `plugin radius.so`. */
  readonly readFile?: (path: string) => string | undefined;
}

/** Parses and resolves in one call; warnings of every file, in file order. Throws ConfigError. */
export function loadLnsSettings(texts: LnsConfigTexts): Parsed<LnsSettings> {
  const warnings: ConfigWarning[] = [];
  const take = <T>(p: Parsed<T>): T => {
    warnings.push(...p.warnings);
    return p.value;
  };
  const conf = texts.conf && take(parseXl2tpdConf(texts.conf.text, texts.conf.file));
  const pppOptions = texts.pppOptions && take(parsePppOptions(texts.pppOptions.text, texts.pppOptions.file));
  const chapSecrets = texts.chapSecrets && take(parseChapSecrets(texts.chapSecrets.text, texts.chapSecrets.file));
  const l2tpSecrets = texts.l2tpSecrets && take(parseL2tpSecrets(texts.l2tpSecrets.text, texts.l2tpSecrets.file));
  const plugin = pppOptions?.radiusPlugin;
  let radius: RadiusSettings | undefined;
  if (plugin !== undefined && texts.pppOptions !== undefined) {
    const path = pppOptions?.radiusConfigFile?.path ?? DEFAULT_RADIUS_CONFIG_FILE;
    const read = texts.readFile ?? (() => undefined);
    radius = take(loadRadiusSettings(path, read, { file: texts.pppOptions.file, line: plugin.line }));
  }
  const resolved = take(
    resolveLnsSettings({
      ...(conf && { conf }),
      ...(pppOptions && { pppOptions }),
      ...(chapSecrets && { chapSecrets }),
      ...(l2tpSecrets && { l2tpSecrets }),
      ...(radius && { radius }),
      ...(texts.section !== undefined && { section: texts.section }),
      files: { conf: texts.conf?.file, pppOptions: texts.pppOptions?.file, chapSecrets: texts.chapSecrets?.file },
    }),
  );
  return { value: resolved, warnings };
}

/** The files xl2tpd.conf points at (`pppoptfile`, `auth file`), for the CLI to read next. */
export function referencedFiles(conf: Xl2tpdConf, section?: string): { pppOptFile?: string; authFile?: string } {
  const wanted = (section ?? 'default').toLowerCase();
  const lns = conf.lns.find((s) => s.name.toLowerCase() === wanted) ?? conf.lns[0];
  return {
    ...(lns?.pppOptFile ? { pppOptFile: lns.pppOptFile } : {}),
    ...(conf.global.authFile ? { authFile: conf.global.authFile } : {}),
  };
}

/**
 * The seed's settings (the OpenWrt how-to's three files, seed.ts) for `l2tp-ts lns` without
 * --config: pool 10.1.20.31-10.1.20.50, local 10.1.20.30, MS-CHAPv2 only, mtu/mru 1400,
 * ms-dns 192.168.1.1 (the how-to's), LCP echo 5 s × 12 — but listening on 127.0.0.1 and with no
 * users (the how-to's example user is not a default account).
 */
export const DEFAULT_LNS_SETTINGS: LnsSettings = Object.freeze({
  ...loadLnsSettings({
    conf: { text: SEED_XL2TPD_CONF, file: 'xl2tpd.conf' },
    pppOptions: { text: SEED_OPTIONS_XL2TPD, file: 'options.xl2tpd' },
    chapSecrets: { text: SEED_CHAP_SECRETS, file: 'chap-secrets' },
  }).value,
  listenAddress: '127.0.0.1',
  users: new Map<string, LnsUser>(),
  radius: undefined,
});
