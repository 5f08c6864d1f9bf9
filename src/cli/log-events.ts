// The log of `l2tp-ts lns` as data: every event it writes, its level, its stream and its fields,
// and the translation of the engine's LnsEvents into log records. The JSON form (`--log-format
// json`) is an interface operators build on, so:
// - the catalogue (LOG_EVENTS, LOG_FIELDS) is the whole truth: docs/LOGS.md is checked against it
//   by test/cli/log-events.test.ts, and a record's fields are typed by it (FieldsOf);
// - a record carries only the fields its event lists: fields are picked one by one, never spread
//   from an engine event, so a value added to an LnsEvent later (or a secret) cannot reach a log
//   line without passing through this file;
// - one field name has one meaning in every event, the same as in `ctl --json` and the JSON config
//   (camelCase: tunnelId, peer, localAddress, authMethods…);
// - `msg` is the text format's line, byte for byte (peer text escaped by printable()).
// Related: logger.ts (writes records as text or JSON), lns.ts, docs/LOGS.md.
import type { PeerAddress } from '../core/engine.js';
import { formatHostPort } from '../core/peer-address.js';
import type { LnsEvent } from '../lns/lns.js';
import type { SessionCounters } from '../session/ppp-over-l2tp.js';
import { printable, printableFormatted } from './log-text.js';

/** pino's level names, as the JSON `level` field carries them. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** The value of every field, by name: one name, one type, one meaning in every event. */
export interface LogFieldTypes {
  tunnelId: number;
  sessionId: number;
  peer: PeerAddress;
  peerHostName: string;
  initiator: 'local' | 'peer';
  resultCode: number;
  errorCode: number;
  resultMessage: string;
  user: string;
  address: string;
  localAddress: string;
  dns: readonly string[];
  routes: readonly string[];
  ipv6Prefix: string;
  localLinkLocal: string;
  peerLinkLocal: string;
  counters: Readonly<SessionCounters>;
  pool: string;
  poolUnknown: boolean;
  reason: string;
  blockedKind: 'user' | 'address';
  blocked: string;
  failures: number;
  forMs: number;
  text: string;
  debugKey: 'avp' | 'network' | 'packet' | 'tunnel' | 'state';
  total: number;
  reasons: Readonly<Record<string, number>>;
  sources: number;
  error: string;
  server: PeerAddress;
  daeRequest: 'disconnect' | 'coa';
  select: Readonly<Record<string, string | number>>;
  ok: boolean;
  sessions: number;
  errorCause: number;
  key: string;
  value: unknown;
  users: number;
  tunnelSecrets: number;
  listenAddress: string;
  port: number;
  mode: 'userspace' | 'tun';
  tunOffload: boolean;
  poolRanges: readonly { readonly start: string; readonly end: string }[];
  authMethods: readonly string[];
  uid: number;
  signal: string;
  file: string;
  line: number;
  logFile: string;
  dropped: number;
  localRanges: readonly { readonly start: string; readonly end: string }[];
  script: string;
  status: number | string;
  timedOut: boolean;
  output: string;
  durationMs: number;
  captureId: number;
  target: string;
  captureFile: string;
  seconds: number;
  maxBytes: number;
  packets: number;
  bytes: number;
}

export type LogFieldName = keyof LogFieldTypes;

/** A field's JSON type and meaning, for docs/LOGS.md. */
export interface LogFieldSpec {
  readonly type: 'number' | 'string' | 'number or string' | 'boolean' | 'object' | 'array' | 'any';
  readonly doc: string;
}

/** Every field (docs/LOGS.md "Fields"). Strings marked "peer" are whatever a peer sent, cut to 256 characters. */
export const LOG_FIELDS: { readonly [K in LogFieldName]: LogFieldSpec } = {
  tunnelId: { type: 'number', doc: 'our Tunnel ID (as `ctl tunnels`)' },
  sessionId: { type: 'number', doc: 'our Session ID within the tunnel' },
  peer: { type: 'object', doc: '`{ address, port }`: the remote UDP end (the LAC; for radius-dae the DAE client)' },
  peerHostName: { type: 'string', doc: "the SCCRQ's Host Name (peer)" },
  initiator: { type: 'string', doc: '`local` or `peer`: who closed the tunnel' },
  resultCode: { type: 'number', doc: 'L2TP Result Code (RFC 2661 §4.4.2) of the StopCCN or CDN' },
  errorCode: { type: 'number', doc: 'L2TP Error Code, when the Result Code is 2 (general error)' },
  resultMessage: { type: 'string', doc: 'the Result Code AVP’s message (peer, when the peer closed)' },
  user: { type: 'string', doc: 'the name the client authenticated with (peer); absent before authentication' },
  address: { type: 'string', doc: "the session's IPv4 address (IPCP)" },
  localAddress: { type: 'string', doc: "the LNS's own PPP address (`local ip`)" },
  dns: { type: 'array', doc: 'DNS servers given by IPCP (strings)' },
  routes: {
    type: 'array',
    doc: 'prefixes routed to the session beside its address (RADIUS Framed-Route), CIDR strings',
  },
  ipv6Prefix: {
    type: 'string',
    doc: "the session's /64 from `ipv6Pool` (announced by Router Advertisement); absent without a pool",
  },
  localLinkLocal: { type: 'string', doc: "the LNS's link-local IPv6 address on the session (IPV6CP interface id)" },
  peerLinkLocal: { type: 'string', doc: "the client's link-local IPv6 address (its negotiated interface id)" },
  counters: {
    type: 'object',
    doc: "the session's final `{ rxPackets, rxBytes, txPackets, txBytes }` (as `ctl sessions`)",
  },
  pool: {
    type: 'string',
    doc: '`local` (the `local ip range`) or the RADIUS Framed-Pool name; absent for the `ip range`',
  },
  poolUnknown: { type: 'boolean', doc: 'the Framed-Pool names no configured pool (`namedPools`)' },
  reason: { type: 'string', doc: 'why, in words (may quote the peer, e.g. a CHAP failure message)' },
  blockedKind: { type: 'string', doc: '`user` or `address`: what auth-blocked refuses' },
  blocked: { type: 'string', doc: 'the user name (peer) or peer IP address refused' },
  failures: { type: 'number', doc: 'authentication failures that led to the block' },
  forMs: { type: 'number', doc: 'how long the block lasts, ms' },
  text: { type: 'string', doc: 'a debug dump line (peer bytes escaped; at most 4096 characters)' },
  debugKey: {
    type: 'string',
    doc: 'the xl2tpd debug key that produced it: `avp`, `network`, `packet`, `tunnel`, `state`',
  },
  total: { type: 'number', doc: 'datagrams dropped in the period' },
  reasons: { type: 'object', doc: 'dropped datagrams by reason (reason → count)' },
  sources: { type: 'number', doc: 'distinct source address:port pairs (counting stops at 64)' },
  error: { type: 'string', doc: 'what failed, in words' },
  server: { type: 'object', doc: '`{ address, port }` of a RADIUS server' },
  daeRequest: { type: 'string', doc: '`disconnect` or `coa` (absent when the request could not be understood)' },
  select: {
    type: 'object',
    doc: 'which sessions a DAE request names: userName, acctSessionId, framedIpAddress, callingStationId, nasPort (peer)',
  },
  ok: { type: 'boolean', doc: 'whether the DAE request was acknowledged (ACK) or refused (NAK)' },
  sessions: { type: 'number', doc: 'sessions the DAE request affected' },
  errorCause: { type: 'number', doc: 'RFC 5176 Error-Cause of a NAK' },
  key: { type: 'string', doc: 'a setting (JSON config name)' },
  value: { type: 'any', doc: "the setting's value as the JSON config writes it (secrets as `***`)" },
  users: { type: 'number', doc: 'number of users (chap-secrets, JSON config, --user)' },
  tunnelSecrets: { type: 'number', doc: 'number of tunnel secrets' },
  listenAddress: { type: 'string', doc: 'address a listening socket is bound to' },
  port: { type: 'number', doc: 'its port (UDP for L2TP, TCP for metrics)' },
  mode: { type: 'string', doc: '`userspace` or `tun`' },
  tunOffload: {
    type: 'boolean',
    doc: '`--tun-offload`: the TUN device reads TCP super-segments (IFF_VNET_HDR, TSO4/TSO6) and the LNS cuts them',
  },
  poolRanges: { type: 'array', doc: 'the address pool, `{ start, end }` each' },
  authMethods: { type: 'array', doc: 'authentication methods offered, in order (`mschapv2`, `chap`, `pap`)' },
  uid: { type: 'number', doc: 'the user id of a refused control-socket client' },
  signal: { type: 'string', doc: '`SIGTERM`, `SIGINT`, or `fatal` (a failure stops the LNS)' },
  file: { type: 'string', doc: 'a configuration file' },
  line: { type: 'number', doc: 'its line (0: the file as a whole)' },
  logFile: { type: 'string', doc: 'the `logfile` path or `fd N`' },
  dropped: { type: 'number', doc: 'log lines lost since the last log-dropped' },
  localRanges: {
    type: 'array',
    doc: 'the `local ip range`, `{ start, end }` each: each session its own local address',
  },
  script: { type: 'string', doc: 'the ip-up / ip-down / ipv6-up / ipv6-down script run' },
  status: {
    type: 'number or string',
    doc: 'its exit code, or the signal that ended it, or `skipped` (too many queued)',
  },
  timedOut: { type: 'boolean', doc: 'killed at its time bound' },
  output: { type: 'string', doc: 'what it wrote on stdout and stderr, trimmed' },
  durationMs: { type: 'number', doc: 'how long it ran, ms' },
  captureId: { type: 'number', doc: 'the capture’s id (`ctl capture list`, `ctl capture stop ID`)' },
  target: { type: 'string', doc: 'what it captures: `session T/S` or `user NAME`' },
  captureFile: { type: 'string', doc: 'the pcap file it writes' },
  seconds: { type: 'number', doc: 'how long it runs at most, s' },
  maxBytes: { type: 'number', doc: 'its size bound, octets' },
  packets: { type: 'number', doc: 'datagrams written' },
  bytes: { type: 'number', doc: 'octets written' },
};

/** One event: its level, its stream (a log file gets both) and its fields (`name?` = optional). */
export interface LogEventSpec {
  readonly level: LogLevel;
  readonly stream: 'stdout' | 'stderr';
  readonly fields: readonly (LogFieldName | `${LogFieldName}?`)[];
  readonly doc: string;
}

/** Every event the LNS logs (docs/LOGS.md "Events"), in the order an operator meets them. */
export const LOG_EVENTS = {
  warning: {
    level: 'warn',
    stream: 'stderr',
    fields: ['file?', 'line?'],
    doc: 'a configuration warning (with `file`, `line`) or a problem at run time',
  },
  notice: { level: 'info', stream: 'stderr', fields: [], doc: 'a remark on the configuration' },
  listening: {
    level: 'info',
    stream: 'stdout',
    fields: [
      'listenAddress',
      'port',
      'mode',
      'tunOffload?',
      'poolRanges',
      'localAddress',
      'localRanges?',
      'authMethods',
    ],
    doc: 'the LNS serves',
  },
  dump: { level: 'info', stream: 'stdout', fields: ['key', 'value'], doc: 'pppd `dump`: one setting in effect' },
  'dump-secrets': {
    level: 'info',
    stream: 'stdout',
    fields: ['users', 'tunnelSecrets'],
    doc: 'pppd `dump`: the secrets, counted',
  },
  'demo-user': {
    level: 'info',
    stream: 'stdout',
    fields: ['user'],
    doc: 'no configuration: the demo user (the password is in `msg`, the only place it is told)',
  },
  metrics: { level: 'info', stream: 'stdout', fields: ['listenAddress', 'port'], doc: '`--metrics` serves' },
  'tunnel-up': { level: 'info', stream: 'stdout', fields: ['tunnelId', 'peer', 'peerHostName'], doc: 'SCCCN received' },
  'tunnel-down': {
    level: 'info',
    stream: 'stdout',
    fields: ['tunnelId', 'peer', 'initiator', 'resultCode', 'errorCode?', 'resultMessage?'],
    doc: 'StopCCN sent or received, or the peer went silent',
  },
  'session-started': {
    level: 'info',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'peer'],
    doc: 'ICCN received: PPP starts',
  },
  'session-up': {
    level: 'info',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'peer', 'user?', 'address', 'localAddress', 'dns', 'routes?'],
    doc: 'IPCP opened: the session carries IP',
  },
  'session-ipv6-up': {
    level: 'info',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'ipv6Prefix?', 'localLinkLocal', 'peerLinkLocal'],
    doc: 'IPv6CP opened: the session carries IPv6 (its /64, if any, announced)',
  },
  'session-ipv6-down': {
    level: 'info',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'ipv6Prefix?'],
    doc: 'IPv6CP closed: the /64 is released',
  },
  'session-down': {
    level: 'info',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'user?', 'address?', 'reason', 'resultCode?', 'counters?'],
    doc: 'the session ended',
  },
  'auth-failed': {
    level: 'warn',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'user?', 'reason'],
    doc: 'CHAP/MS-CHAPv2/PAP refused',
  },
  'auth-blocked': {
    level: 'warn',
    stream: 'stdout',
    fields: ['blockedKind', 'blocked', 'failures', 'forMs'],
    doc: 'a user or address is refused for a while after repeated failures (once per block)',
  },
  'pool-exhausted': {
    level: 'warn',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'user?', 'pool?', 'poolUnknown?'],
    doc: 'no address for a session (peer or, with `pool` `local`, local)',
  },
  'datagrams-dropped': {
    level: 'warn',
    stream: 'stdout',
    fields: ['total', 'reasons', 'sources'],
    doc: 'dropped datagrams, summarised every 10 s (never one line per datagram)',
  },
  'radius-server-down': {
    level: 'warn',
    stream: 'stdout',
    fields: ['server'],
    doc: 'a RADIUS server stopped answering',
  },
  'radius-server-up': { level: 'info', stream: 'stdout', fields: ['server'], doc: 'it answers again' },
  'radius-dae': {
    level: 'info',
    stream: 'stdout',
    fields: ['peer', 'daeRequest?', 'select?', 'ok', 'sessions?', 'errorCause?'],
    doc: 'an RFC 5176 Disconnect-/CoA-Request answered (retransmissions are not logged again)',
  },
  hook: {
    level: 'info',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'script', 'status', 'timedOut', 'output', 'durationMs'],
    doc: 'pppd ip-up / ip-down / ipv6-up / ipv6-down ran and exited 0',
  },
  'hook-failed': {
    level: 'warn',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'script', 'status', 'timedOut', 'output', 'durationMs'],
    doc: 'a hook script exited non-zero, was killed at its bound, or was skipped',
  },
  'capture-started': {
    level: 'info',
    stream: 'stdout',
    fields: ['captureId', 'target', 'captureFile', 'seconds', 'maxBytes'],
    doc: '`ctl capture` started one',
  },
  'capture-ended': {
    level: 'info',
    stream: 'stdout',
    fields: ['captureId', 'target', 'captureFile', 'packets', 'bytes', 'reason'],
    doc: 'it ended: `reason` `time`, `full`, `stopped`, `session-down` or `closed`',
  },
  'control-refused': {
    level: 'warn',
    stream: 'stdout',
    fields: ['uid'],
    doc: 'the control socket refused a client of another user',
  },
  reload: {
    level: 'info',
    stream: 'stdout',
    fields: ['users', 'tunnelSecrets'],
    doc: 'SIGHUP: secrets reloaded',
  },
  'reload-warning': {
    level: 'warn',
    stream: 'stdout',
    fields: ['file', 'line'],
    doc: 'SIGHUP: a warning on a reloaded file',
  },
  'reload-failed': {
    level: 'warn',
    stream: 'stdout',
    fields: ['error'],
    doc: 'SIGHUP: nothing reloaded, the old secrets stay',
  },
  'log-reopen-failed': {
    level: 'warn',
    stream: 'stdout',
    fields: ['logFile', 'error'],
    doc: 'SIGHUP: the logfile could not be reopened; the old one is kept',
  },
  'log-dropped': {
    level: 'warn',
    stream: 'stdout',
    fields: ['dropped'],
    doc: 'log lines were lost (a full backlog or a failing output); written into the output that lost them (stdout, stderr or the log file)',
  },
  'ppp-debug': {
    level: 'debug',
    stream: 'stdout',
    fields: ['tunnelId', 'sessionId', 'text'],
    doc: '`ppp debug`: a pppd-style packet line (LnsEvent `log`)',
  },
  'l2tp-debug': { level: 'debug', stream: 'stdout', fields: ['debugKey', 'text'], doc: 'xl2tpd `debug …` lines' },
  'internal-error': {
    level: 'error',
    stream: 'stdout',
    fields: ['error'],
    doc: 'a bug met one tunnel: it is torn down, the LNS serves on',
  },
  stopping: { level: 'info', stream: 'stdout', fields: ['signal'], doc: 'StopCCN to every peer, then exit' },
  fatal: {
    level: 'fatal',
    stream: 'stdout',
    fields: ['error'],
    doc: 'the TUN device or the socket failed: exit 1',
  },
} as const satisfies Record<string, LogEventSpec>;

export type LogEventName = keyof typeof LOG_EVENTS;

type SpecFields<N extends LogEventName> = (typeof LOG_EVENTS)[N]['fields'][number];
type RequiredField<F> = F extends `${string}?` ? never : F & LogFieldName;
type OptionalField<F> = F extends `${infer K}?` ? K & LogFieldName : never;

/** The fields of event N: those the catalogue lists, typed by LogFieldTypes. */
export type FieldsOf<N extends LogEventName> = { readonly [K in RequiredField<SpecFields<N>>]: LogFieldTypes[K] } & {
  readonly [K in OptionalField<SpecFields<N>>]?: LogFieldTypes[K] | undefined;
};

/** One line of the log: the event, its fields, and its text-format line (also JSON's `msg`). */
export interface LogRecord {
  readonly event: LogEventName;
  readonly fields: Readonly<Partial<Record<LogFieldName, unknown>>>;
  readonly text: string;
}

/** A record, its fields checked against the catalogue at compile time. */
export function logRecord<N extends LogEventName>(event: N, fields: FieldsOf<N>, text: string): LogRecord {
  return { event, fields, text };
}

/**
 * Every key of every LnsEvent and the log field it becomes, or null when it is not logged. A key
 * added to an LnsEvent fails to compile here until it is given a field (and LOG_FIELDS a line,
 * docs/LOGS.md a row) or null; test/cli/log-events.test.ts checks FROM_LNS against this table.
 */
export const LNS_EVENT_FIELDS: {
  readonly [T in LnsEvent['type']]: {
    readonly [K in Exclude<keyof Extract<LnsEvent, { type: T }>, 'type'>]-?: LogFieldName | null;
  };
} = {
  'tunnel-up': { tunnelId: 'tunnelId', peer: 'peer', peerHostName: 'peerHostName' },
  'tunnel-down': {
    tunnelId: 'tunnelId',
    peer: 'peer',
    resultCode: 'resultCode',
    errorCode: 'errorCode',
    message: 'resultMessage',
    initiator: 'initiator',
  },
  'session-started': { tunnelId: 'tunnelId', sessionId: 'sessionId', peer: 'peer' },
  'session-up': {
    tunnelId: 'tunnelId',
    sessionId: 'sessionId',
    peer: 'peer',
    user: 'user',
    address: 'address',
    localAddress: 'localAddress',
    dns: 'dns',
    routes: 'routes',
  },
  'session-down': {
    tunnelId: 'tunnelId',
    sessionId: 'sessionId',
    user: 'user',
    address: 'address',
    reason: 'reason',
    resultCode: 'resultCode',
    counters: 'counters',
  },
  'session-ipv6-up': {
    tunnelId: 'tunnelId',
    sessionId: 'sessionId',
    prefix: 'ipv6Prefix',
    localLinkLocal: 'localLinkLocal',
    peerLinkLocal: 'peerLinkLocal',
  },
  'session-ipv6-down': { tunnelId: 'tunnelId', sessionId: 'sessionId', prefix: 'ipv6Prefix' },
  'auth-failed': { tunnelId: 'tunnelId', sessionId: 'sessionId', user: 'user', reason: 'reason' },
  'auth-blocked': { kind: 'blockedKind', value: 'blocked', failures: 'failures', forMs: 'forMs' },
  'pool-exhausted': {
    tunnelId: 'tunnelId',
    sessionId: 'sessionId',
    user: 'user',
    pool: 'pool',
    unknown: 'poolUnknown',
  },
  log: { tunnelId: 'tunnelId', sessionId: 'sessionId', text: 'text' },
  'l2tp-debug': { kind: 'debugKey', text: 'text' },
  // Summarised into datagrams-dropped (reason → count, sources counted), never one line each.
  'datagram-dropped': { reason: null, peer: null },
};

type Translate = {
  [T in LnsEvent['type']]: (e: Extract<LnsEvent, { type: T }>, debug: boolean) => LogRecord | undefined;
};

const p = printable;
const who = (u: string | undefined, none: string): string => (u === undefined ? none : p(u));

/**
 * LnsEvent → record. The text is the pppd-like line; every string a peer controls (host name, user
 * name, result messages, reasons that quote them, debug dumps) goes through printable(), so no peer
 * can forge, hide or flood a line. Secrets never appear in LnsEvents, and fields are picked by name.
 */
const FROM_LNS: Translate = {
  'tunnel-up': (e) =>
    logRecord(
      'tunnel-up',
      { tunnelId: e.tunnelId, peer: e.peer, peerHostName: e.peerHostName },
      `tunnel ${e.tunnelId} up from ${formatHostPort(e.peer.address, e.peer.port)} (host ${p(e.peerHostName)})`,
    ),
  'tunnel-down': (e) =>
    logRecord(
      'tunnel-down',
      {
        tunnelId: e.tunnelId,
        peer: e.peer,
        initiator: e.initiator,
        resultCode: e.resultCode,
        errorCode: e.errorCode,
        resultMessage: e.message,
      },
      `tunnel ${e.tunnelId} down (${e.initiator}): result ${e.resultCode}${e.errorCode !== undefined ? `/${e.errorCode}` : ''}${e.message ? ` ${p(e.message)}` : ''}`,
    ),
  'session-started': (e) =>
    logRecord(
      'session-started',
      { tunnelId: e.tunnelId, sessionId: e.sessionId, peer: e.peer },
      `session ${e.tunnelId}/${e.sessionId} call established from ${formatHostPort(e.peer.address, e.peer.port)}`,
    ),
  'session-up': (e) =>
    logRecord(
      'session-up',
      {
        tunnelId: e.tunnelId,
        sessionId: e.sessionId,
        peer: e.peer,
        user: e.user,
        address: e.address,
        localAddress: e.localAddress,
        dns: e.dns,
        routes: e.routes,
      },
      `session ${e.tunnelId}/${e.sessionId} up: user ${who(e.user, '-')} address ${e.address} (local ${e.localAddress})`,
    ),
  'session-ipv6-up': (e) =>
    logRecord(
      'session-ipv6-up',
      {
        tunnelId: e.tunnelId,
        sessionId: e.sessionId,
        ipv6Prefix: e.prefix,
        localLinkLocal: e.localLinkLocal,
        peerLinkLocal: e.peerLinkLocal,
      },
      `session ${e.tunnelId}/${e.sessionId} ipv6 up: prefix ${e.prefix ?? '-'} link-local ${e.peerLinkLocal} (local ${e.localLinkLocal})`,
    ),
  'session-ipv6-down': (e) =>
    logRecord(
      'session-ipv6-down',
      { tunnelId: e.tunnelId, sessionId: e.sessionId, ipv6Prefix: e.prefix },
      `session ${e.tunnelId}/${e.sessionId} ipv6 down: prefix ${e.prefix ?? '-'}`,
    ),
  'session-down': (e) =>
    logRecord(
      'session-down',
      {
        tunnelId: e.tunnelId,
        sessionId: e.sessionId,
        user: e.user,
        address: e.address,
        reason: e.reason,
        resultCode: e.resultCode,
        counters: e.counters && { ...e.counters },
      },
      `session ${e.tunnelId}/${e.sessionId} down: user ${who(e.user, '-')} address ${e.address ?? '-'} ${p(e.reason)}`,
    ),
  'auth-failed': (e) =>
    logRecord(
      'auth-failed',
      { tunnelId: e.tunnelId, sessionId: e.sessionId, user: e.user, reason: e.reason },
      `session ${e.tunnelId}/${e.sessionId} authentication failed for ${who(e.user, '?')}: ${p(e.reason)}`,
    ),
  'auth-blocked': (e) =>
    logRecord(
      'auth-blocked',
      { blockedKind: e.kind, blocked: e.value, failures: e.failures, forMs: e.forMs },
      `authentication refused for ${e.forMs / 1000} s for ${e.kind} ${p(e.value)} after ${e.failures} failures`,
    ),
  'pool-exhausted': (e) =>
    logRecord(
      'pool-exhausted',
      { tunnelId: e.tunnelId, sessionId: e.sessionId, user: e.user, pool: e.pool, poolUnknown: e.unknown },
      e.pool === 'local'
        ? `session ${e.tunnelId}/${e.sessionId} refused: local ip range exhausted`
        : e.unknown === true
          ? `session ${e.tunnelId}/${e.sessionId} no address for ${who(e.user, '?')}: Framed-Pool ${p(e.pool ?? '')} is not configured (namedPools)`
          : e.pool !== undefined
            ? `session ${e.tunnelId}/${e.sessionId} no address for ${who(e.user, '?')}: pool ${p(e.pool)} exhausted`
            : `session ${e.tunnelId}/${e.sessionId} no address for ${who(e.user, '?')}: pool exhausted or address in use`,
    ),
  log: (e, debug) =>
    debug
      ? logRecord(
          'ppp-debug',
          { tunnelId: e.tunnelId, sessionId: e.sessionId, text: e.text },
          `[${e.tunnelId}/${e.sessionId}] ${p(e.text, 4096)}`,
        )
      : undefined,
  // Only emitted when an xl2tpd debug key is on; describe.ts escaped the peer's bytes already.
  'l2tp-debug': (e) => logRecord('l2tp-debug', { debugKey: e.kind, text: e.text }, printableFormatted(e.text, 4096)),
  // One line per dropped datagram would let anyone who reaches the port write the log at line
  // rate: lns.ts counts them into one datagrams-dropped line per period instead.
  'datagram-dropped': () => undefined,
};

/** The record of an engine event, or undefined when it is not logged (debug off, or summarised). */
export function lnsEventRecord(e: LnsEvent, debug: boolean): LogRecord | undefined {
  return (FROM_LNS[e.type] as (e: LnsEvent, debug: boolean) => LogRecord | undefined)(e, debug);
}
