// pppd options file parser (options.xl2tpd): the options an LNS acts on, typed and range-checked,
// plus the long tail pppd accepts that mean nothing without a serial line (accepted, ignored).
// Related: pppd-tokens.ts (word reader), settings.ts (auth order, pitfall 8), docs/CONFIG.md.

import { formatIpv4, parseIpv4 } from '../../core/ipv4.js';
import { type Parsed, WarningSink } from './config-error.js';
import { type PppWord, pppWords } from './pppd-tokens.js';

/** Peer-authentication protocols pppd can require or refuse. */
export type PppAuthProtocol = 'pap' | 'chap' | 'mschap' | 'mschap-v2' | 'eap';

/** A parsed pppd options file. Absent fields mean "pppd's default" (applied in settings.ts). */
export interface PppOptions {
  /** Last of `auth` / `noauth` / `require-*` (pppd: the last one wins), with its line. */
  readonly authRequired?: { readonly value: boolean; readonly line: number };
  /** `require-X` / `+X` in file order (pppd: the peer must authenticate with one of these). */
  readonly require: readonly { readonly protocol: PppAuthProtocol; readonly line: number }[];
  /** `refuse-X` / `-X` in file order (pppd: do not authenticate OURSELVES with X). */
  readonly refuse: readonly { readonly protocol: PppAuthProtocol; readonly line: number }[];
  readonly name?: string;
  readonly mtu?: number;
  readonly mru?: number;
  /** `ms-dns` (RFC 1877), at most two. */
  readonly msDns: readonly string[];
  /** `ms-wins` (RFC 1877 NBNS), at most two. */
  readonly msWins: readonly string[];
  readonly lcpEchoInterval?: number;
  readonly lcpEchoFailure?: number;
  readonly lcpRestart?: number;
  readonly lcpMaxConfigure?: number;
  readonly lcpMaxTerminate?: number;
  readonly lcpMaxFailure?: number;
  readonly chapRestart?: number;
  readonly papTimeout?: number;
  readonly debug?: boolean;
  readonly dump?: boolean;
  readonly logfd?: number;
  readonly logfile?: string;
  /** `ip-up-script` / `ip-down-script` (pppd 2.4.8+): the scripts run when IPCP goes up / down. */
  readonly ipUpScript?: string;
  readonly ipDownScript?: string;
  /** `ipv6-up-script` / `ipv6-down-script` (pppd 2.4.8+): the scripts run when IPv6CP goes up / down. */
  readonly ipv6UpScript?: string;
  readonly ipv6DownScript?: string;
  /** `ipparam`: the scripts' 6th argument. */
  readonly ipparam?: string;
  /** `+ipv6` true, `-ipv6`/`noipv6` false. */
  readonly ipv6?: boolean;
  /** `noccp` or `nomppe`: reject CCP, so no compression or MPPE is negotiated. */
  readonly rejectCcp?: boolean;
  readonly idle?: number;
  readonly maxconnect?: number;
  readonly connectDelay?: number;
  readonly holdoff?: number;
  readonly maxfail?: number;
  readonly ipcpAcceptLocal?: boolean;
  readonly ipcpAcceptRemote?: boolean;
  readonly proxyarp?: boolean;
  readonly defaultroute?: boolean;
  /** `plugin …radius.so` (pppd's radius plugin): RADIUS decides authentication. */
  readonly radiusPlugin?: { readonly line: number };
  /** `radius-config-file FILE` (the radius plugin's option; default /etc/radiusclient/radiusclient.conf). */
  readonly radiusConfigFile?: { readonly path: string; readonly line: number };
  /** The `local:remote` word. */
  readonly localIp?: string;
  readonly remoteIp?: string;
  /** Every option in file order, as written (for logs and `dump`). */
  readonly options: readonly { readonly name: string; readonly args: readonly string[]; readonly line: number }[];
}

type Mutable = { -readonly [K in keyof PppOptions]: PppOptions[K] } & {
  require: { protocol: PppAuthProtocol; line: number }[];
  refuse: { protocol: PppAuthProtocol; line: number }[];
  msDns: string[];
  msWins: string[];
  options: { name: string; args: string[]; line: number }[];
};

interface OptionSpec {
  readonly args: 0 | 1;
  readonly apply?: (o: Mutable, arg: string, line: number, sink: WarningSink, name: string) => void;
  /** Accepted with a warning: the option changes something l2tp-ts does not do. */
  readonly warn?: string;
}

const MINMRU = 128; // pppd lcp.h MINMRU
const MAXMRU = 16384; // pppd lcp.h MAXMRU
const INT_MAX = 2_147_483_647;

function int(field: keyof Mutable, min: number, max: number): OptionSpec {
  return {
    args: 1,
    apply: (o, arg, line, sink, name) => {
      const n = /^\d+$/.test(arg) ? Number(arg) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        throw sink.error(line, `${name}: expected an integer ${min}..${max}, got "${arg}"`);
      }
      (o as Record<string, unknown>)[field] = n;
    },
  };
}
function flag(field: keyof Mutable, value: boolean): OptionSpec {
  return { args: 0, apply: (o) => void ((o as Record<string, unknown>)[field] = value) };
}
function str(field: keyof Mutable): OptionSpec {
  return { args: 1, apply: (o, arg) => void ((o as Record<string, unknown>)[field] = arg) };
}
function address(field: 'msDns' | 'msWins'): OptionSpec {
  return {
    args: 1,
    apply: (o, arg, line, sink, name) => {
      const n = parseIpv4(arg);
      if (n === undefined) throw sink.error(line, `${name}: expected an IPv4 address, got "${arg}"`);
      // ipcp.c keeps a primary and a secondary (RFC 1877 has two of each).
      if (o[field].length >= 2) sink.warn(line, `${name}: only two are sent (RFC 1877); "${arg}" ignored`);
      else o[field].push(formatIpv4(n));
    },
  };
}
const ignored: OptionSpec = { args: 0 };
const ignored1: OptionSpec = { args: 1 };
function requireAuth(protocol: PppAuthProtocol): OptionSpec {
  return {
    args: 0,
    apply: (o, _arg, line) => {
      o.require.push({ protocol, line });
      o.authRequired = { value: true, line }; // pppd auth.c: require-* sets auth_required
    },
  };
}
function refuseAuth(protocol: PppAuthProtocol): OptionSpec {
  return { args: 0, apply: (o, _arg, line) => void o.refuse.push({ protocol, line }) };
}

const OPTIONS = new Map<string, OptionSpec>([
  ['auth', { args: 0, apply: (o, _a, line) => void (o.authRequired = { value: true, line }) }],
  ['noauth', { args: 0, apply: (o, _a, line) => void (o.authRequired = { value: false, line }) }],
  ['debug', flag('debug', true)],
  ['-d', flag('debug', true)],
  ['nodebug', flag('debug', false)],
  ['dump', flag('dump', true)],
  ['logfd', int('logfd', 0, INT_MAX)],
  ['nologfd', ignored],
  ['logfile', str('logfile')],
  ['mtu', int('mtu', MINMRU, MAXMRU)],
  ['mru', int('mru', MINMRU, MAXMRU)],
  ['ms-dns', address('msDns')],
  ['ms-wins', address('msWins')],
  ['lcp-echo-interval', int('lcpEchoInterval', 0, INT_MAX)],
  ['lcp-echo-failure', int('lcpEchoFailure', 0, INT_MAX)],
  ['lcp-echo-adaptive', ignored],
  ['lcp-restart', int('lcpRestart', 1, INT_MAX)],
  ['lcp-max-configure', int('lcpMaxConfigure', 1, INT_MAX)],
  ['lcp-max-terminate', int('lcpMaxTerminate', 1, INT_MAX)],
  ['lcp-max-failure', int('lcpMaxFailure', 1, INT_MAX)],
  ['ipcp-restart', ignored1],
  ['ipcp-max-configure', ignored1],
  ['ipcp-max-terminate', ignored1],
  ['ipcp-max-failure', ignored1],
  ['chap-restart', int('chapRestart', 1, INT_MAX)],
  ['chap-max-challenge', ignored1],
  ['chap-interval', { args: 1, warn: 'periodic re-authentication is not implemented' }],
  ['pap-restart', ignored1],
  ['pap-max-authreq', ignored1],
  ['pap-timeout', int('papTimeout', 0, INT_MAX)],
  ['require-pap', requireAuth('pap')],
  ['+pap', requireAuth('pap')],
  ['require-chap', requireAuth('chap')],
  ['+chap', requireAuth('chap')],
  ['require-mschap', requireAuth('mschap')],
  ['+mschap', requireAuth('mschap')],
  ['require-mschap-v2', requireAuth('mschap-v2')],
  ['+mschap-v2', requireAuth('mschap-v2')],
  ['require-eap', requireAuth('eap')],
  ['refuse-pap', refuseAuth('pap')],
  ['-pap', refuseAuth('pap')],
  ['refuse-chap', refuseAuth('chap')],
  ['-chap', refuseAuth('chap')],
  ['refuse-mschap', refuseAuth('mschap')],
  ['-mschap', refuseAuth('mschap')],
  ['refuse-mschap-v2', refuseAuth('mschap-v2')],
  ['-mschap-v2', refuseAuth('mschap-v2')],
  ['refuse-eap', refuseAuth('eap')],
  ['nomppe', flag('rejectCcp', true)],
  ['-mppe', flag('rejectCcp', true)],
  ['noccp', flag('rejectCcp', true)],
  ['-ccp', flag('rejectCcp', true)],
  ['require-mppe', { args: 0, warn: 'MPPE is not implemented; CCP is rejected' }],
  ['require-mppe-40', { args: 0, warn: 'MPPE is not implemented; CCP is rejected' }],
  ['require-mppe-128', { args: 0, warn: 'MPPE is not implemented; CCP is rejected' }],
  ['+mppe', { args: 0, warn: 'MPPE is not implemented; CCP is rejected' }],
  ['mppe', { args: 1, warn: 'MPPE is not implemented; CCP is rejected' }],
  ['nomppe-40', ignored],
  ['nomppe-128', ignored],
  ['nomppe-stateful', ignored],
  ['mppe-stateful', ignored],
  ['+ipv6', flag('ipv6', true)],
  ['-ipv6', flag('ipv6', false)],
  ['noipv6', flag('ipv6', false)],
  ['ipv6', { args: 1, warn: 'IPv6CP interface identifiers are chosen at random' }],
  ['ipv6cp-accept-local', ignored],
  ['ipv6cp-accept-remote', ignored],
  ['ipv6cp-use-ipaddr', ignored],
  ['ipv6cp-use-persistent', ignored],
  ['name', str('name')],
  ['remotename', ignored1],
  ['user', ignored1],
  ['password', { args: 1, warn: 'a client-side option; the LNS reads chap-secrets' }],
  ['usehostname', ignored],
  ['domain', ignored1],
  ['proxyarp', flag('proxyarp', true)],
  ['noproxyarp', flag('proxyarp', false)],
  ['idle', int('idle', 0, INT_MAX)],
  ['maxconnect', int('maxconnect', 0, INT_MAX)],
  ['connect-delay', int('connectDelay', 0, INT_MAX)],
  ['holdoff', int('holdoff', 0, INT_MAX)],
  ['maxfail', int('maxfail', 0, INT_MAX)],
  ['ipcp-accept-local', flag('ipcpAcceptLocal', true)],
  ['ipcp-accept-remote', flag('ipcpAcceptRemote', true)],
  ['nodefaultroute', flag('defaultroute', false)],
  ['-defaultroute', flag('defaultroute', false)],
  ['defaultroute', flag('defaultroute', true)],
  ['replacedefaultroute', ignored],
  ['noreplacedefaultroute', ignored],
  ['noipdefault', ignored],
  ['usepeerdns', ignored],
  ['crtscts', ignored],
  ['nocrtscts', ignored],
  ['-crtscts', ignored],
  ['cdtrcts', ignored],
  ['xonxoff', ignored],
  ['modem', ignored],
  ['local', ignored],
  ['lock', ignored],
  ['nolock', ignored],
  ['nodetach', ignored],
  ['-detach', ignored],
  ['updetach', ignored],
  ['persist', ignored],
  ['nopersist', ignored],
  ['demand', { args: 0, warn: 'dial on demand has no meaning for an LNS' }],
  ['passive', ignored],
  ['silent', ignored],
  ['asyncmap', ignored1],
  ['-as', ignored1],
  ['default-asyncmap', ignored],
  ['escape', ignored1],
  ['noipx', ignored],
  ['-ipx', ignored],
  ['hide-password', ignored],
  ['show-password', ignored],
  ['nobsdcomp', ignored],
  ['-bsdcomp', ignored],
  ['bsdcomp', ignored1],
  ['nodeflate', ignored],
  ['-deflate', ignored],
  ['deflate', ignored1],
  ['nopredictor1', ignored],
  ['predictor1', ignored],
  ['novj', ignored],
  ['-vj', ignored],
  ['novjccomp', ignored],
  ['-vjccomp', ignored],
  ['vj-max-slots', ignored1],
  ['nopcomp', ignored],
  ['-pc', ignored],
  ['noaccomp', ignored],
  ['-ac', ignored],
  ['nomagic', { args: 0, warn: 'a magic number is always negotiated (loop detection, RFC 1661 §6.4)' }],
  ['-mn', { args: 0, warn: 'a magic number is always negotiated (loop detection, RFC 1661 §6.4)' }],
  ['default-mru', ignored],
  ['noendpoint', ignored],
  ['multilink', { args: 0, warn: 'multilink (RFC 1990) is not implemented' }],
  ['mp', { args: 0, warn: 'multilink (RFC 1990) is not implemented' }],
  ['nomultilink', ignored],
  ['nomp', ignored],
  ['ktune', ignored],
  ['noktune', ignored],
  ['kdebug', ignored1],
  ['receive-all', ignored],
  ['netmask', ignored1],
  ['ifname', ignored1],
  ['unit', ignored1],
  ['linkname', ignored1],
  ['ipparam', str('ipparam')],
  ['ip-up-script', str('ipUpScript')],
  ['ip-down-script', str('ipDownScript')],
  ['ipv6-up-script', str('ipv6UpScript')],
  ['ipv6-down-script', str('ipv6DownScript')],
  ['allow-ip', ignored1],
  ['allow-number', ignored1],
  ['noip', { args: 0, warn: 'IPCP is always run by the LNS' }],
  ['-ip', { args: 0, warn: 'IPCP is always run by the LNS' }],
  ['login', { args: 0, warn: 'users come from chap-secrets, not /etc/passwd' }],
  ['papcrypt', { args: 0, warn: 'crypt()ed PAP secrets are not supported' }],
  [
    'plugin',
    {
      args: 1,
      apply: (o, arg, line, sink) => {
        // Any path ending in radius.so is pppd's radius plugin, done natively (docs/CONFIG.md).
        if (/(^|\/)radius\.so$/.test(arg)) o.radiusPlugin = { line };
        else sink.warn(line, `plugin: accepted, no effect in l2tp-ts (pppd plugins cannot be loaded: ${arg})`);
      },
    },
  ],
  ['radius-config-file', { args: 1, apply: (o, arg, line) => void (o.radiusConfigFile = { path: arg, line }) }],
  ['avpair', { args: 1, warn: 'extra RADIUS attributes are not sent' }],
  ['map-to-ifname', ignored],
  ['map-to-ttyname', ignored],
  ['file', { args: 1, warn: 'included options files are not read' }],
  ['call', { args: 1, warn: 'peer files are not read' }],
  ['connect', ignored1],
  ['disconnect', ignored1],
  ['init', ignored1],
  ['welcome', ignored1],
  ['pty', ignored1],
  ['active-filter', ignored1],
  ['pass-filter', ignored1],
  ['sync', ignored],
  ['record', ignored1],
  ['mtu-discovery', ignored],
]);

/** The option names this parser knows (accepted or acted on), for docs and tests. */
export const PPP_OPTION_NAMES: readonly string[] = [...OPTIONS.keys()];

/**
 * Parses a pppd options file. pppd's syntax: words separated by any whitespace (several options on
 * one line, or an option's argument on the next), `#` comments, quotes and backslash escapes; a
 * `local:remote` word sets addresses. Unknown options are warnings with the line (pppd refuses them;
 * their arguments are taken to be the rest of that line). Throws ConfigError for invalid values.
 */
export function parsePppOptions(text: string, file: string): Parsed<PppOptions> {
  const sink = new WarningSink(file);
  const o: Mutable = { require: [], refuse: [], msDns: [], msWins: [], options: [] };
  const words = pppWords(text);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const spec = w.quoted ? undefined : OPTIONS.get(w.text);
    if (spec === undefined) {
      if (!w.quoted && addressWord(o, w, sink)) continue;
      // pppd would refuse the file; take the rest of this line as the unknown option's arguments.
      const args: string[] = [];
      while (i + 1 < words.length && words[i + 1]!.line === w.line) args.push(words[++i]!.text);
      o.options.push({ name: w.text, args, line: w.line });
      sink.warn(w.line, `unknown pppd option "${w.text}" ignored`);
      continue;
    }
    let arg = '';
    if (spec.args === 1) {
      const next = words[i + 1];
      if (next === undefined) throw sink.error(w.line, `${w.text}: expected an argument, got end of file`);
      arg = next.text;
      i++;
    }
    o.options.push({ name: w.text, args: spec.args === 1 ? [arg] : [], line: w.line });
    spec.apply?.(o, arg, w.line, sink, w.text);
    if (spec.warn !== undefined) sink.warn(w.line, `${w.text}: accepted, no effect in l2tp-ts (${spec.warn})`);
  }
  return { value: o, warnings: sink.warnings };
}

/** pppd setipaddr(): `local:remote`, either side optional. Returns false when `w` is not that form. */
function addressWord(o: Mutable, w: PppWord, sink: WarningSink): boolean {
  const colon = w.text.indexOf(':');
  if (colon < 0) return false;
  const local = w.text.slice(0, colon);
  const remote = w.text.slice(colon + 1);
  const l = local === '' ? undefined : parseIpv4(local);
  const r = remote === '' ? undefined : parseIpv4(remote);
  if ((local !== '' && l === undefined) || (remote !== '' && r === undefined)) {
    throw sink.error(w.line, `expected local:remote IPv4 addresses, got "${w.text}"`);
  }
  if (l !== undefined) o.localIp = formatIpv4(l);
  if (r !== undefined) o.remoteIp = formatIpv4(r);
  o.options.push({ name: w.text, args: [], line: w.line });
  return true;
}
