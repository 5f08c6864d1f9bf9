// `l2tp-ts lns`: the LNS as a drop-in for xl2tpd + pppd. Reads xl2tpd.conf, the pppd options file
// it names and chap-secrets (or a JSON config, or the seed's embedded defaults), serves udp/1701,
// carries IP through TUN or the userspace responder, answers `l2tp-ts ctl`, and handles
// SIGTERM/SIGINT (StopCCN to everyone) and SIGHUP (reload secrets, sessions stay).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { PeerAddress } from '../core/engine.js';
import { canonicalAddress, formatHostPort } from '../core/peer-address.js';
import {
  ControlError,
  type ControlServer,
  defaultControlPath,
  requireControlPath,
  serveControl,
} from '../io/control-socket.js';
import { createLns, type LnsServer } from '../io/create-lns.js';
import type { MetricsServer } from '../io/metrics.js';
import { type HookSession, PppHooks } from '../io/ppp-hooks.js';
import { systemRandom } from '../io/system-random.js';
import { AddressPool, staticAddresses } from '../lns/address-pool.js';
import { ConfigError, type ConfigWarning, formatWarning } from '../lns/config/config-error.js';
import { parseJsonConfig, settingsToJson } from '../lns/config/json-config.js';
import {
  DEFAULT_LNS_SETTINGS,
  type LnsSettings,
  type LnsUser,
  loadLnsSettings,
  referencedFiles,
} from '../lns/config/settings.js';
import { parseXl2tpdConf } from '../lns/config/xl2tpd-conf.js';
import { engineOptionsFromSettings, type ReloadableSecrets } from '../lns/engine-options.js';
import { parseIpv6Pool } from '../lns/ipv6-prefixes.js';
import type { LnsEvent } from '../lns/lns.js';
import type { DaeResult } from '../radius/index.js';
import { formatFlags, parseArgs, UsageError } from './args.js';
import { DropSummary } from './drop-summary.js';
import { type LogRecord, lnsEventRecord, logRecord } from './log-events.js';
import { printable } from './log-text.js';
import { type LogFormat, Logger } from './logger.js';
import { startWarnings } from './start-warnings.js';

/** How often dropped datagrams are summarised in the log (one line per period, not one per drop). */
const DROP_SUMMARY_MS = 10_000;

const FLAGS = {
  config: {
    kind: 'string',
    help: "xl2tpd.conf to read (without it: the seed's embedded defaults)",
    alias: 'c',
    valueName: 'FILE',
  },
  section: { kind: 'string', help: 'which [lns NAME] section (default: "default", else the first)', valueName: 'NAME' },
  'ppp-options': { kind: 'string', help: "pppd options file (default: the section's pppoptfile)", valueName: 'FILE' },
  'chap-secrets': {
    kind: 'string',
    help: 'chap-secrets (default /etc/ppp/chap-secrets with --config)',
    valueName: 'FILE',
  },
  'auth-file': {
    kind: 'string',
    help: 'tunnel secrets, xl2tpd l2tp-secrets format (default: [global] auth file)',
    valueName: 'FILE',
  },
  'json-config': { kind: 'string', help: 'a native JSON config instead of the xl2tpd files', valueName: 'FILE' },
  listen: {
    kind: 'string',
    help: 'address to bind, IPv4 or IPv6 (:: serves both; default: listen-addr, else 0.0.0.0; 127.0.0.1 without --config)',
    valueName: 'ADDR',
  },
  port: { kind: 'int', help: 'UDP port (default: [global] port, else 1701; 0 = any)', min: 0, max: 65535 },
  tun: { kind: 'boolean', help: 'carry IP through a TUN device (needs root; the default with --config)' },
  userspace: {
    kind: 'boolean',
    help: 'no TUN: answer ICMP/UDP echo to the local ip in-process (the default without --config)',
  },
  'tun-name': {
    kind: 'string',
    help: 'TUN device name (default l2tpts%d; with --per-session-tun ppp%d)',
    valueName: 'NAME',
  },
  'per-session-tun': { kind: 'boolean', help: 'one TUN device per session (ppp0, ppp1, …) as pppd does' },
  'tun-offload': {
    kind: 'boolean',
    help: 'TUN with IFF_VNET_HDR and TSO4/TSO6/CSUM: read 64 KiB TCP super-segments, cut them here to the link MTU (off by default: not yet measured to help)',
  },
  user: {
    kind: 'list',
    help: 'add a user NAME:PASSWORD[:ADDRESS] (repeatable; visible in ps: prefer chap-secrets or L2TP_TS_USERS)',
    valueName: 'NAME:PASSWORD',
  },
  control: {
    kind: 'string',
    help: `control socket for 'l2tp-ts ctl' (default ${defaultControlPath() ?? 'none: set XDG_RUNTIME_DIR or HOME'})`,
    valueName: 'PATH',
  },
  'no-control': { kind: 'boolean', help: 'do not open a control socket' },
  'max-tunnels': {
    kind: 'int',
    help: 'tunnels at once, the node\'s capacity: beyond it StopCCN 2/7 "try another" (default 65535)',
    min: 1,
    max: 65535,
  },
  'max-sessions': {
    kind: 'int',
    help: 'sessions at once, all tunnels together: beyond it CDN 2/7, and new tunnels get StopCCN 2/7 (default 1000000)',
    min: 1,
  },
  'max-sessions-per-tunnel': { kind: 'int', help: 'sessions per tunnel (default 65535)', min: 1, max: 65535 },
  'tunnel-rate': { kind: 'int', help: 'new tunnels per second from one peer address (default 50)', min: 1 },
  'hello-interval': {
    kind: 'int',
    help: 'seconds of silence before a HELLO (default 60; 0 = never)',
    min: 0,
    valueName: 'SECONDS',
  },
  pcap: {
    kind: 'string',
    help: 'write every L2TP datagram sent and received to this pcap file (tshark/Wireshark)',
    valueName: 'FILE',
  },
  'pcap-max-mb': {
    kind: 'int',
    help: 'stop the --pcap capture, and each ctl capture, at this size (default 100)',
    min: 1,
    valueName: 'MB',
  },
  metrics: {
    kind: 'string',
    help: 'serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9101)',
    valueName: 'HOST:PORT',
  },
  'log-format': {
    kind: 'string',
    help: 'text (default: pppd-like lines) or json (one object per line, pino; docs/LOGS.md)',
    choices: ['text', 'json'],
  },
  debug: { kind: 'boolean', help: 'pppd-style packet lines (as ppp debug = yes)' },
  check: { kind: 'boolean', help: 'read the configuration, print the resolved settings as JSON, and exit' },
  'ipv6-pool': {
    kind: 'string',
    help: 'give each session a /64 out of PREFIX (a /32 to a /63) by Router Advertisement; turns IPv6CP on as +ipv6 does',
    valueName: 'PREFIX',
  },
  'mss-clamp': {
    kind: 'string',
    help: 'lower the MSS of IPv4 and IPv6 TCP SYNs in both directions: auto (fits the session MTU: −40, IPv6 −60) or N',
    valueName: 'auto|N',
  },
  'radius-dae': {
    kind: 'string',
    help: 'answer RFC 5176 Disconnect-/CoA-Requests from the RADIUS servers on HOST:PORT (e.g. 0.0.0.0:3799)',
    valueName: 'HOST:PORT',
  },
  'radius-accept-unsigned': {
    kind: 'boolean',
    help: 'accept RADIUS replies without Message-Authenticator (old FreeRADIUS; CVE-2024-3596: avoid)',
  },
} as const;

export const LNS_HELP = `Usage: l2tp-ts lns [options]

Runs an L2TP network server: the L2TP control and data channel on UDP, PPP with LCP,
authentication (MS-CHAPv2, CHAP-MD5, PAP), IPCP with addresses from the pool and DNS.
It reads the files xl2tpd and pppd read. Without --config it runs on the seed's defaults
(pool 10.1.20.31-10.1.20.50, local ip 10.1.20.30, MS-CHAPv2, mtu/mru 1400, LCP echo 5 s x 12)
on 127.0.0.1:1701 in userspace mode, with a demo user whose password is printed.

Signals: SIGTERM/SIGINT send StopCCN to every peer and exit 0; SIGHUP reopens the pppd
logfile (logrotate) and reloads chap-secrets and the tunnel secrets without dropping sessions (a
missing or unreadable file fails the reload and the old secrets stay).

Logs: one line per event on stdout, warnings on stderr; pppd's logfile FILE also appends both to
FILE. --log-format json writes one JSON object per line instead (pino; fields in docs/LOGS.md).
xl2tpd's debug avp/packet/network/tunnel/state add L2TP debug lines (docs/CONFIG.md).

Exit status: 0 after SIGTERM/SIGINT; 1 when the TUN device or the UDP socket fails (deleted
device, I/O error: a supervisor should restart it) or the start fails; 2 on usage and
configuration errors. During the SIGTERM grace no new tunnel is accepted.

Environment: L2TP_TS_USERS adds users as --user does, one NAME:PASSWORD[:ADDRESS] per line,
without putting passwords in the process arguments.

Options:
${formatFlags(FLAGS)}
`;

type Args = ReturnType<typeof parseArgs<typeof FLAGS>>;

interface Loaded {
  settings: LnsSettings;
  warnings: ConfigWarning[];
  /** Files holding secrets (for the permission check). */
  secretsFiles: string[];
  /**
   * Re-reads chap-secrets and the tunnel secrets (SIGHUP). Throws when a file that was read at
   * start is missing or unreadable now: the caller keeps the old secrets.
   */
  reload?: () => Pick<LnsSettings, 'users' | 'tunnelSecrets'> & { warnings: readonly ConfigWarning[] };
  demoPassword?: string;
}

/**
 * A closed stdout or stderr (EPIPE: the log reader went away) must never stop the LNS: without a
 * listener Node turns the stream's 'error' into an uncaught exception. Lines written after that
 * are lost; sessions are not.
 */
function guardOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}

/** Runs `l2tp-ts lns` until a signal; returns the exit code. */
export async function runLns(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.help) {
    process.stdout.write(LNS_HELP);
    return 0;
  }
  if (a._.length > 0) throw new UsageError(`unexpected argument '${a._[0]}'`);
  if (a.tun && a.userspace) throw new UsageError('--tun and --userspace exclude each other');
  if (a['tun-offload'] && a.userspace) throw new UsageError('--tun-offload needs a TUN device, not --userspace');
  if (a.config !== undefined && a['json-config'] !== undefined)
    throw new UsageError('--config and --json-config exclude each other');

  guardOutput();
  const metricsFlag = a.metrics === undefined ? undefined : parseHostPort(a.metrics, '--metrics');
  const daeAt = a['radius-dae'] === undefined ? undefined : parseHostPort(a['radius-dae'], '--radius-dae');
  const loaded = loadSettings(a);
  const envUsers = (process.env.L2TP_TS_USERS ?? '').split('\n').filter((l) => l.trim() !== '');
  const extra = parseUsers([...envUsers, ...(a.user ?? [])]);
  const withExtra = (users: ReadonlyMap<string, LnsUser>): ReadonlyMap<string, LnsUser> =>
    new Map([...users, ...extra]);
  let settings: LnsSettings = {
    ...loaded.settings,
    users: withExtra(loaded.settings.users),
    ...(a.listen !== undefined && { listenAddress: listenFlag(a.listen) }),
    ...(a.port !== undefined && { port: a.port }),
    ...(a.debug && { pppDebug: true }),
    ...(a['mss-clamp'] !== undefined && { mssClamp: parseMssClamp(a['mss-clamp']) }),
    ...(a['ipv6-pool'] !== undefined && { ipv6: true, ipv6Pool: parseIpv6PoolFlag(a['ipv6-pool']) }),
    ...(loaded.settings.radius !== undefined && {
      radius: {
        ...loaded.settings.radius,
        ...(a['radius-accept-unsigned'] && { acceptUnsignedReplies: true }),
        ...(daeAt !== undefined && { dae: { address: daeAt.host, port: daeAt.port } }),
      },
    }),
  };
  if (daeAt !== undefined && settings.radius === undefined) {
    throw new UsageError(
      '--radius-dae needs RADIUS (`plugin radius.so` in the options file, or the JSON `radius` object)',
    );
  }
  const fromFiles = a.config !== undefined || a['json-config'] !== undefined;
  const startLines: LogRecord[] = loaded.warnings.map((w) =>
    logRecord('warning', { file: w.file, line: w.line }, `warning: ${formatWarning(w)}`),
  );
  // Only when a file says so: the embedded defaults carry the seed's `exclusive = yes` silently.
  if (settings.exclusive && fromFiles) {
    startLines.push(
      logRecord(
        'notice',
        {},
        'notice: exclusive = yes restricts nothing, as in xl2tpd: any number of tunnels per peer and sessions per user',
      ),
    );
  }
  const format: LogFormat = a['log-format'] === 'json' ? 'json' : 'text';
  if (a.check) {
    const logger = await Logger.open({ format });
    for (const r of startLines) logger.log(r);
    process.stdout.write(settingsToJson(settings, { redactSecrets: true }));
    await logger.close();
    return 0;
  }
  // pppd logfile / logfd: a second copy of the log (and of the warnings), opened now (exit 2 if it
  // cannot be); descriptors 0-2 are the standard streams, written already.
  const logFd = settings.logFd !== undefined && settings.logFd > 2 ? settings.logFd : undefined;
  const logTarget =
    settings.logFile !== undefined ? { path: settings.logFile } : logFd !== undefined ? { fd: logFd } : undefined;
  const logger = await Logger.open({ format, ...(logTarget !== undefined && { file: logTarget }) });
  const log = logger.event.bind(logger);
  const warn = (text: string): void => logger.event('warning', {}, `warning: ${text}`);
  for (const r of startLines) logger.log(r);

  // Dropped datagrams (L2TP and DAE) are counted and summarised every DROP_SUMMARY_MS: one line
  // per datagram would let anyone who can reach the port write the log at line rate.
  const drops = new DropSummary();
  const userspace = a.userspace || (!a.tun && a.config === undefined && a['json-config'] === undefined);
  if (settings.radius?.acceptUnsignedReplies === true) {
    warn(
      'RADIUS replies without Message-Authenticator are accepted (CVE-2024-3596, BlastRADIUS): ' +
        'sign them at the server instead',
    );
  }
  for (const w of startWarnings({
    listenAddress: settings.listenAddress,
    port: settings.port,
    tunMode: !userspace,
    authRequired: settings.authRequired,
    argvUsers: a.user?.length ?? 0,
    secretsFiles: loaded.secretsFiles,
  })) {
    warn(w);
  }
  const live: ReloadableSecrets = { settings };
  const pool = AddressPool.fromSettings(settings);
  const base = engineOptionsFromSettings(live, systemRandom(), pool);
  // Limits keep an SCCRQ flood or a runaway LAC from exhausting memory (xl2tpd has no such keys).
  const engineOptions = {
    ...base,
    endpoint: {
      ...base.endpoint,
      ...(a['hello-interval'] !== undefined && { helloIntervalMs: a['hello-interval'] * 1000 }),
      limits: {
        ...(a['max-tunnels'] !== undefined && { maxTunnels: a['max-tunnels'] }),
        ...(a['max-sessions'] !== undefined && { maxSessions: a['max-sessions'] }),
        ...(a['max-sessions-per-tunnel'] !== undefined && { maxSessionsPerTunnel: a['max-sessions-per-tunnel'] }),
        ...(a['tunnel-rate'] !== undefined && { newTunnelsPerSecondPerPeer: a['tunnel-rate'] }),
      },
    },
  };
  let server: LnsServer;
  try {
    server = await createLns({
      ...engineOptions,
      address: settings.listenAddress,
      port: settings.port,
      userspace,
      ...(a.pcap !== undefined && {
        pcap: {
          path: a.pcap,
          maxBytes: (a['pcap-max-mb'] ?? 100) * 1024 * 1024,
          onFull: () => warn(`${a.pcap} reached ${a['pcap-max-mb'] ?? 100} MB: capture stopped`),
        },
      }),
      capture: {
        maxBytes: (a['pcap-max-mb'] ?? 100) * 1024 * 1024,
        onStart: (c) =>
          log(
            'capture-started',
            { captureId: c.id, target: c.target, captureFile: c.file, seconds: c.seconds, maxBytes: c.maxBytes },
            `capture ${c.id} of ${printable(c.target)} for ${c.seconds} s into ${printable(c.file)} (at most ${c.maxBytes} octets)`,
          ),
        onEnd: (c, reason) =>
          log(
            'capture-ended',
            { captureId: c.id, target: c.target, captureFile: c.file, packets: c.packets, bytes: c.bytes, reason },
            `capture ${c.id} of ${printable(c.target)} ended (${reason}): ${c.packets} packets, ${c.bytes} octets in ${printable(c.file)}`,
          ),
      },
      radius: settings.radius && {
        ...settings.radius,
        onEvent: (e) => {
          if (e.type === 'server-down' || e.type === 'server-up') {
            const server = { address: e.server.address, port: e.server.port };
            log(`radius-${e.type}`, { server }, `RADIUS ${e.type}: ${server.address}:${server.port}`);
          }
        },
        dae: settings.radius.dae && {
          ...settings.radius.dae,
          clients: settings.radius.daeClients,
          requireEventTimestamp: settings.radius.daeRequireEventTimestamp,
          onResult: (r, from) => {
            if (r.type === 'dropped') drops.add(`dae-${r.reason}`, `${from.address}:${from.port}`);
            else if (!r.duplicate) logger.log(daeRecord(r, from));
          },
        },
      },
      ...(!userspace && {
        tun: {
          mode: a['per-session-tun'] ? 'per-session' : 'shared',
          ...(a['tun-name'] !== undefined && { name: a['tun-name'] }),
          ...(a['tun-offload'] && { offload: true }),
          linkMtu: settings.mtu,
        },
      }),
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const hint =
      !userspace && /tun|TUNSETIFF|EPERM|EACCES|koffi/i.test(why) ? ' (try --userspace, or run as root)' : '';
    await logger.close();
    throw new Error(`cannot start: ${why}${hint}`);
  }
  const flushDrops = (): void => {
    const d = drops.take();
    if (d === undefined) return;
    const reasons = Object.entries(d.byReason)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    const sources = `${d.sources}${d.sourcesCapped ? '+' : ''}`;
    log(
      'datagrams-dropped',
      { total: d.total, reasons: d.byReason, sources: d.sources },
      `dropped ${d.total} datagram(s) from ${sources} source(s) in the last ${DROP_SUMMARY_MS / 1000} s: ${reasons}`,
    );
  };
  const dropTimer = setInterval(flushDrops, DROP_SUMMARY_MS);
  dropTimer.unref();
  server.on('*', (e: LnsEvent) => {
    if (e.type === 'datagram-dropped') {
      drops.add(e.reason, formatHostPort(e.peer.address, e.peer.port));
      return;
    }
    const r = lnsEventRecord(e, settings.pppDebug);
    if (r !== undefined) logger.log(r);
  });
  server.onInternalError((e: unknown) =>
    log('internal-error', { error: String(e) }, `internal error (tunnel torn down, serving on): ${String(e)}`),
  );
  const hooks = userspace ? undefined : startHooks(server, settings, logger);

  await logger.drain();
  const mode = userspace ? 'userspace mode' : `TUN mode`;
  const rangeText = (rs: LnsSettings['poolRanges']): string =>
    rs.map((r) => (r.start === r.end ? r.start : `${r.start}-${r.end}`)).join(',');
  const ranges = rangeText(settings.poolRanges);
  // `local ip range`: each session its own local address from it.
  const local = settings.localRanges.length > 0 ? rangeText(settings.localRanges) : settings.localAddress;
  log(
    'listening',
    {
      listenAddress: server.address,
      port: server.port,
      mode: userspace ? 'userspace' : 'tun',
      ...(a['tun-offload'] && { tunOffload: true }),
      poolRanges: settings.poolRanges.map((r) => ({ start: r.start, end: r.end })),
      localAddress: settings.localAddress,
      ...(settings.localRanges.length > 0 && {
        localRanges: settings.localRanges.map((r) => ({ start: r.start, end: r.end })),
      }),
      authMethods: settings.authMethods,
    },
    `l2tp-ts lns listening on ${formatHostPort(server.address, server.port)} (${mode})${a['tun-offload'] ? '; TUN offloads on (TSO4/TSO6/CSUM)' : ''}; pool ${ranges || 'none'}, local ip ${local}, auth ${settings.authMethods.join(',') || 'none'}`,
  );
  // pppd `dump`: the option values in effect, in the log (secrets redacted; users counted).
  if (settings.dump && fromFiles) {
    const { users, tunnelSecrets, ...shown } = JSON.parse(settingsToJson(settings, { redactSecrets: true }));
    for (const [key, value] of Object.entries(shown)) {
      log('dump', { key, value }, `dump: ${key} ${JSON.stringify(value)}`);
    }
    const counts = { users: Object.keys(users).length, tunnelSecrets: tunnelSecrets.length };
    log('dump-secrets', counts, `dump: ${counts.users} users, ${counts.tunnelSecrets} tunnel secrets`);
  }
  if (loaded.demoPassword !== undefined && extra.size === 0) {
    log('demo-user', { user: 'demo' }, `demo user: demo  password: ${loaded.demoPassword}`);
  }

  let metrics: MetricsServer | undefined;
  // --metrics wins over the JSON config's `metrics` (validated as HOST:PORT when it was parsed).
  const metricsAt =
    metricsFlag ?? (settings.metrics === undefined ? undefined : parseHostPort(settings.metrics, 'metrics'));
  if (metricsAt !== undefined) {
    const host = metricsAt.host;
    // Loaded only when asked for: prom-client costs start-up time (seconds in a UML guest).
    const { serveMetrics } = await import('../io/metrics.js');
    metrics = await serveMetrics(server, host, metricsAt.port);
    log(
      'metrics',
      { listenAddress: host, port: metrics.port },
      `metrics at http://${host.includes(':') ? `[${host}]` : host}:${metrics.port}/metrics`,
    );
  }

  let control: ControlServer | undefined;
  if (!a['no-control']) {
    const path = a.control ?? defaultControlPath();
    try {
      control = await serveControl(requireControlPath(path), (req) => controlCommand(server, req.cmd, req.args), {
        privateDirectory: a.control === undefined,
        onRefused: (uid) => log('control-refused', { uid }, `control socket: refused a connection from uid ${uid}`),
      });
    } catch (e) {
      if (!(e instanceof ControlError) && a.control !== undefined) throw e;
      warn(`no control socket at ${path ?? '(no default path)'}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string, code = 0): void => {
      if (stopping) return;
      stopping = true;
      log('stopping', { signal }, `${signal}: sending StopCCN to every peer`);
      clearInterval(dropTimer);
      flushDrops();
      const force = setTimeout(() => resolve(code), 4500);
      force.unref();
      void (async () => {
        await server.close(2000).catch(() => undefined);
        hooks?.close();
        await control?.close().catch(() => undefined);
        await metrics?.close().catch(() => undefined);
        await logger.close();
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        process.off('SIGHUP', onHup);
        clearTimeout(force);
        resolve(code);
      })();
    };
    // A deleted TUN device or a broken socket: an LNS that cannot carry traffic must not look
    // alive. Exit 1 so that systemd (Restart=on-failure) or procd restarts it.
    server.onFatal((err) => {
      log('fatal', { error: err.message }, `fatal: ${err.message}; exiting`);
      stop('fatal', 1);
    });
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    const onHup = (): void => {
      // logrotate renamed the log file: new lines go to a new one (a failure keeps the old).
      const reopenFailed = logger.reopen();
      if (reopenFailed !== undefined) {
        const logFile = logger.fileName ?? '';
        log(
          'log-reopen-failed',
          { logFile, error: reopenFailed },
          `SIGHUP: log file ${logFile}: ${reopenFailed}; writing to the old one`,
        );
      }
      if (loaded.reload === undefined) {
        log(
          'reload-failed',
          { error: 'nothing to reload (no configuration files)' },
          'SIGHUP: nothing to reload (no configuration files)',
        );
        return;
      }
      try {
        const fresh = loaded.reload();
        for (const w of fresh.warnings) {
          log('reload-warning', { file: w.file, line: w.line }, `SIGHUP: warning: ${formatWarning(w)}`);
        }
        settings = { ...settings, users: withExtra(fresh.users), tunnelSecrets: fresh.tunnelSecrets };
        live.settings = settings;
        pool.setReserved(staticAddresses(settings.users));
        log(
          'reload',
          { users: settings.users.size, tunnelSecrets: settings.tunnelSecrets.length },
          `SIGHUP: reloaded ${settings.users.size} users and ${settings.tunnelSecrets.length} tunnel secrets`,
        );
      } catch (e) {
        log('reload-failed', { error: String(e) }, `SIGHUP: reload failed, keeping the old secrets: ${String(e)}`);
      }
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
  });
}

/** The `ctl` commands. */
function controlCommand(server: LnsServer, cmd: string, args: Record<string, unknown>): unknown {
  switch (cmd) {
    case 'status':
      return server.command((engine) => {
        const tun = server.tunStats();
        return tun === undefined ? engine.status() : { ...engine.status(), tun };
      });
    case 'sessions':
      return server.command((engine, now) => engine.sessions(now));
    case 'tunnels':
      return [...server.engine.endpoint.tunnels()];
    case 'disconnect': {
      const tunnelId = Number(args.tunnel);
      if (!Number.isInteger(tunnelId)) throw new Error('disconnect needs a tunnel id');
      if (args.session === undefined) {
        const ok = server.command((engine, now) => engine.disconnectTunnel(tunnelId, now));
        if (!ok) throw new Error(`no tunnel ${tunnelId}`);
        return { disconnected: { tunnel: tunnelId } };
      }
      const sessionId = Number(args.session);
      const ok = server.command((engine, now) => engine.disconnectSession(tunnelId, sessionId, now));
      if (!ok) throw new Error(`no session ${tunnelId}/${sessionId}`);
      return { disconnected: { tunnel: tunnelId, session: sessionId } };
    }
    case 'capture':
      return captureCommand(server, args);
    default:
      throw new Error(`unknown command '${cmd}' (status, sessions, tunnels, disconnect, capture)`);
  }
}

/** `ctl capture`: start (session "T/S" or user, seconds, absolute file, maxBytes?), stop (id?), list. */
function captureCommand(server: LnsServer, args: Record<string, unknown>): unknown {
  const captures = server.captures;
  switch (args.action) {
    case 'list':
      return captures.list();
    case 'stop': {
      const id = args.id === undefined ? undefined : Number(args.id);
      if (id !== undefined && !Number.isInteger(id)) throw new Error('capture stop takes a capture id');
      const stopped = captures.stop(id);
      if (id !== undefined && stopped.length === 0) throw new Error(`no running capture ${id}`);
      return { stopped };
    }
    case 'start': {
      const seconds = Number(args.seconds);
      const file = String(args.file ?? '');
      const maxBytes = args.maxBytes === undefined ? undefined : Number(args.maxBytes);
      const m = typeof args.session === 'string' ? /^(\d{1,5})\/(\d{1,5})$/.exec(args.session) : null;
      const target =
        m !== null
          ? { kind: 'session' as const, tunnelId: Number(m[1]), sessionId: Number(m[2]) }
          : typeof args.user === 'string'
            ? { kind: 'user' as const, user: args.user }
            : undefined;
      if (target === undefined) throw new Error('capture start needs session "TUNNEL/SESSION" or user NAME');
      return captures.start({ target, seconds, file, ...(maxBytes !== undefined && { maxBytes }) });
    }
    default:
      throw new Error('capture needs an action: start, stop, list');
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, 0, `cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Settings from --json-config, --config (+ the files it names), or the embedded defaults. */
function loadSettings(a: Args): Loaded {
  if (a['json-config'] !== undefined) {
    const file = a['json-config'];
    const parsed = parseJsonConfig(readText(file, 'the JSON config'), file);
    return {
      settings: parsed.value,
      warnings: [...parsed.warnings],
      secretsFiles: [file],
      reload: () => {
        const fresh = parseJsonConfig(readText(file, 'the JSON config'), file);
        return { users: fresh.value.users, tunnelSecrets: fresh.value.tunnelSecrets, warnings: fresh.warnings };
      },
    };
  }
  if (a.config === undefined) {
    const demoPassword = randomBytes(9).toString('base64url');
    return {
      settings: { ...DEFAULT_LNS_SETTINGS, users: new Map([['demo', { secret: demoPassword }]]) },
      warnings: [],
      secretsFiles: [],
      demoPassword,
    };
  }
  const confFile = a.config;
  const confText = readText(confFile, 'xl2tpd.conf');
  const refs = referencedFiles(parseXl2tpdConf(confText, confFile).value, a.section);
  const pppFile = a['ppp-options'] ?? refs.pppOptFile;
  const secretsFile = a['chap-secrets'] ?? '/etc/ppp/chap-secrets';
  const authFile = a['auth-file'] ?? refs.authFile;
  const optional = (file: string | undefined, what: string) =>
    file !== undefined &&
    (existsSync(file) || file === a['chap-secrets'] || file === a['auth-file'] || file === a['ppp-options'])
      ? { text: readText(file, what), file }
      : undefined;
  // radiusclient.conf and its servers file hold RADIUS secrets: pppd's permission warning covers them.
  const radiusFiles = new Set<string>();
  const texts = () => ({
    conf: { text: confText, file: confFile },
    pppOptions: pppFile === undefined ? undefined : { text: readText(pppFile, 'the pppd options file'), file: pppFile },
    chapSecrets: optional(secretsFile, 'chap-secrets'),
    l2tpSecrets: optional(authFile, 'the tunnel secrets file'),
    section: a.section,
    readFile: (p: string) => {
      if (!existsSync(p)) return undefined;
      radiusFiles.add(p);
      return readText(p, 'a RADIUS configuration file');
    },
  });
  const loaded = loadLnsSettings(texts());
  const warnings = [...loaded.warnings];
  if (!existsSync(secretsFile)) {
    warnings.push({
      file: secretsFile,
      line: 0,
      message: 'not found: no user can log in (give --chap-secrets or --user)',
    });
  }
  // Files read at start must be readable at every reload: a missing chap-secrets on SIGHUP is an
  // editor's rename or a mistake, never "no users" (that would lock everyone out).
  const hadSecrets = existsSync(secretsFile);
  const hadAuth = authFile !== undefined && existsSync(authFile);
  return {
    settings: loaded.value,
    warnings,
    secretsFiles: [secretsFile, ...(authFile === undefined ? [] : [authFile]), ...radiusFiles].filter((f) =>
      existsSync(f),
    ),
    reload: () => {
      const users = hadSecrets ? { text: readText(secretsFile, 'chap-secrets'), file: secretsFile } : undefined;
      const secrets =
        hadAuth && authFile !== undefined
          ? { text: readText(authFile, 'the tunnel secrets file'), file: authFile }
          : optional(authFile, 'the tunnel secrets file');
      const fresh = loadLnsSettings({
        ...texts(),
        chapSecrets: users ?? optional(secretsFile, 'chap-secrets'),
        l2tpSecrets: secrets,
      });
      // Only the secrets files' own warnings: the rest were printed at start.
      const own = new Set([secretsFile, authFile]);
      return {
        users: fresh.value.users,
        tunnelSecrets: fresh.value.tunnelSecrets,
        warnings: fresh.warnings.filter((w) => own.has(w.file)),
      };
    },
  };
}

/**
 * pppd's ip-up / ip-down (and ipv6-up / ipv6-down with `+ipv6`) for TUN-mode sessions
 * (src/io/ppp-hooks.ts), each run's end logged with its output (escaped). Undefined when no script is set.
 */
function startHooks(server: LnsServer, settings: LnsSettings, logger: Logger): PppHooks | undefined {
  const v6 = settings.ipv6;
  if (
    settings.ipUpScript === undefined &&
    settings.ipDownScript === undefined &&
    (!v6 || (settings.ipv6UpScript === undefined && settings.ipv6DownScript === undefined))
  )
    return undefined;
  const hooks = new PppHooks({
    ...(settings.ipUpScript !== undefined && { ipUp: settings.ipUpScript }),
    ...(settings.ipDownScript !== undefined && { ipDown: settings.ipDownScript }),
    ...(v6 && settings.ipv6UpScript !== undefined && { ipv6Up: settings.ipv6UpScript }),
    ...(v6 && settings.ipv6DownScript !== undefined && { ipv6Down: settings.ipv6DownScript }),
    ...(settings.ipparam !== undefined && { ipparam: settings.ipparam }),
    timeoutMs: settings.hookTimeoutMs,
    onResult: (r) => {
      const how = r.timedOut ? `killed after ${r.ms} ms` : `exit ${r.status} in ${r.ms} ms`;
      const out = r.output.trim() === '' ? '' : `: ${printable(r.output.trim())}`;
      logger.event(
        r.status === 0 && !r.timedOut ? 'hook' : 'hook-failed',
        {
          tunnelId: r.tunnelId,
          sessionId: r.sessionId,
          script: r.script,
          status: r.status,
          timedOut: r.timedOut,
          output: r.output.trim(),
          durationMs: r.ms,
        },
        `session ${r.tunnelId}/${r.sessionId} ${r.script} ${how}${out}`,
      );
    },
  });
  // The session as ip-up saw it: ip-down gets the same interface and addresses (the lease is
  // already released when session-down is emitted). One entry per live session.
  const live = new Map<string, HookSession>();
  server.on('session-up', (e) => {
    const ifname = server.interfaceOf(e.tunnelId, e.sessionId);
    if (ifname === undefined) return;
    const s: HookSession = {
      tunnelId: e.tunnelId,
      sessionId: e.sessionId,
      ifname,
      localAddress: e.localAddress,
      remoteAddress: e.address,
      dns: e.dns,
      peer: formatHostPort(e.peer.address, e.peer.port),
      ...(e.user !== undefined && { user: e.user }),
    };
    live.set(`${e.tunnelId}/${e.sessionId}`, s);
    hooks.up(s);
  });
  // ipv6-up: the interface is the session's TUN device (it has one once IPCP is up; an IPv6CP that
  // opens first waits for it, as the data path does). The peer name comes from the IPCP entry.
  const pending6 = new Map<string, Extract<LnsEvent, { type: 'session-ipv6-up' }>>();
  const up6 = (e: Extract<LnsEvent, { type: 'session-ipv6-up' }>): void => {
    const key = `${e.tunnelId}/${e.sessionId}`;
    const ip = live.get(key);
    if (ip === undefined) {
      pending6.set(key, e);
      return;
    }
    pending6.delete(key);
    hooks.up6({
      tunnelId: e.tunnelId,
      sessionId: e.sessionId,
      ifname: ip.ifname,
      localLinkLocal: e.localLinkLocal,
      peerLinkLocal: e.peerLinkLocal,
      ...(e.prefix !== undefined && { prefix: e.prefix }),
      ...(ip.user !== undefined && { user: ip.user }),
      peer: ip.peer,
    });
  };
  server.on('session-ipv6-up', up6);
  server.on('session-up', (e) => {
    const waiting = pending6.get(`${e.tunnelId}/${e.sessionId}`);
    if (waiting !== undefined) up6(waiting);
  });
  server.on('session-ipv6-down', (e) => {
    const key = `${e.tunnelId}/${e.sessionId}`;
    pending6.delete(key);
    hooks.down6(e);
  });
  server.on('session-down', (e) => {
    const key = `${e.tunnelId}/${e.sessionId}`;
    pending6.delete(key);
    const s = live.get(key);
    if (s === undefined) return;
    live.delete(key);
    hooks.down(s, { bytesSent: e.counters?.txBytes ?? 0, bytesReceived: e.counters?.rxBytes ?? 0 });
  });
  return hooks;
}

/** The log record of an answered DAE request (peer-controlled values escaped in the text). */
function daeRecord(r: Extract<DaeResult, { type: 'answered' }>, from: PeerAddress): LogRecord {
  const what = r.request === undefined ? 'request' : r.request.kind === 'coa' ? 'CoA-Request' : 'Disconnect-Request';
  const select = r.request === undefined ? '' : ` for ${printable(JSON.stringify(r.request.select))}`;
  const o = r.outcome;
  const result = o.ok ? `ACK (${o.sessions} session(s))` : `NAK (Error-Cause ${o.errorCause})`;
  return logRecord(
    'radius-dae',
    {
      peer: { address: from.address, port: from.port },
      daeRequest: r.request?.kind,
      select: r.request && { ...r.request.select },
      ok: o.ok,
      ...(o.ok ? { sessions: o.sessions } : { errorCause: o.errorCause }),
    },
    `RADIUS ${what} from ${from.address}:${from.port}${select}: ${result}`,
  );
}

/** --ipv6-pool PREFIX: checked as the JSON `ipv6Pool` is. */
function parseIpv6PoolFlag(v: string): string {
  const parsed = parseIpv6Pool(v);
  if ('error' in parsed) throw new UsageError(`--ipv6-pool: ${parsed.error}`);
  return v;
}

/** --mss-clamp auto|N. */
function parseMssClamp(v: string): 'auto' | number {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 88 || n > 65_535) throw new UsageError(`--mss-clamp '${v}' is not auto or 88-65535`);
  return n;
}

/** HOST:PORT or [IPV6]:PORT. */
function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value);
  if (m === null || Number(m[3]) > 65535) throw new UsageError(`${flag} '${value}' is not HOST:PORT`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

/** --user NAME:PASSWORD[:ADDRESS]. */
function parseUsers(values: readonly string[]): Map<string, LnsUser> {
  const out = new Map<string, LnsUser>();
  for (const v of values) {
    const m = /^([^:]+):([^:]*)(?::(\d+\.\d+\.\d+\.\d+))?$/.exec(v);
    if (m === null) throw new UsageError(`--user '${v.replace(/:.*/, ':…')}' is not NAME:PASSWORD[:ADDRESS]`);
    out.set(m[1]!, { secret: m[2]!, ...(m[3] !== undefined && { staticAddress: m[3] }) });
  }
  return out;
}

/** --listen: an IPv4 or IPv6 address (`::` is dual-stack), in the spelling the engine compares. */
function listenFlag(value: string): string {
  const c = canonicalAddress(value);
  if (c === undefined)
    throw new UsageError(`--listen '${value}': expected an IPv4 or IPv6 address (:: for IPv6 and IPv4)`);
  return c;
}
