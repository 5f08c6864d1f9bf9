// xl2tpd.conf parser: `[global]`, `[lns NAME]`, `[lac NAME]` sections of `key = value` lines,
// matching xl2tpd's own reader (file.c parse_config + its keyword table). Pure: text in, value out.
// Related: config-error.ts, ipv4.ts, settings.ts (turns this into LnsSettings).

import { formatIpv4, parseIpv4 } from '../../core/ipv4.js';
import { canonicalAddress } from '../../core/peer-address.js';
import { type ConfigWarning, type Parsed, WarningSink } from './config-error.js';
import { parseIpv4Range, type RangeRule } from './ipv4.js';

/** `[global]`: one per file; absent keys keep xl2tpd's defaults (applied in settings.ts). */
export interface Xl2tpdGlobal {
  readonly port?: number;
  readonly listenAddr?: string;
  readonly authFile?: string;
  readonly accessControl?: boolean;
  readonly maxRetries?: number;
  readonly capBackoff?: number;
  readonly ipsecSaref?: boolean;
  readonly sarefRefinfo?: number;
  readonly forceUserspace?: boolean;
  readonly randSource?: 'dev' | 'sys' | 'egd';
  readonly debugAvp?: boolean;
  readonly debugNetwork?: boolean;
  readonly debugPacket?: boolean;
  readonly debugTunnel?: boolean;
  readonly debugState?: boolean;
}

/** Keys shared by `[lns]` and `[lac]` sections. */
export interface Xl2tpdCommon {
  /** The section's name (`default` for `[lns default]`, '' when none was given). */
  readonly name: string;
  /** Line of the section header that created it. */
  readonly line: number;
  readonly hiddenBit?: boolean;
  readonly lengthBit?: boolean;
  /** `flow bit`: sequence numbers on data messages (xl2tpd keeps it as call rws ≥ 0). */
  readonly flowBit?: boolean;
  readonly challenge?: boolean;
  readonly tunnelRws?: number;
  readonly callRws?: number;
  readonly requirePap?: boolean;
  readonly requireChap?: boolean;
  /** `require authentication` / `require auth`: pass `auth` to pppd (without it, require pap/chap are not passed). */
  readonly requireAuthentication?: boolean;
  readonly refusePap?: boolean;
  readonly refuseChap?: boolean;
  readonly refuseAuthentication?: boolean;
  /** `name`: the PPP authentication name (pppd `name`). */
  readonly authName?: string;
  /** `hostname`: the L2TP Host Name AVP. */
  readonly hostname?: string;
  readonly pppDebug?: boolean;
  readonly passPeer?: boolean;
  readonly pppOptFile?: string;
  readonly txBps?: number;
  readonly rxBps?: number;
}

/** `[lns NAME]`. */
export interface Xl2tpdLns extends Xl2tpdCommon {
  /** `ip range` / `no ip range` lines in file order (comma lists expanded). */
  readonly ipRanges: readonly RangeRule[];
  readonly localIp?: string;
  readonly localIpRanges: readonly RangeRule[];
  readonly assignIp?: boolean;
  /** `lac` / `no lac` access rules in file order. */
  readonly lacs: readonly RangeRule[];
  readonly exclusive?: boolean;
  readonly unixAuthentication?: boolean;
}

/** `[lac NAME]`. */
export interface Xl2tpdLac extends Xl2tpdCommon {
  /** `lns = host[:port]` lines (host names are kept as written; nothing is resolved here). */
  readonly lns: readonly { readonly host: string; readonly port: number }[];
  readonly localIp?: string;
  readonly remoteIp?: string;
  readonly redial?: boolean;
  readonly redialTimeout?: number;
  readonly maxRedials?: number;
  readonly autodial?: boolean;
  readonly defaultroute?: boolean;
}

/** A parsed xl2tpd.conf. Sections keep file order; same-named sections merge as in xl2tpd. */
export interface Xl2tpdConf {
  readonly global: Xl2tpdGlobal;
  readonly lns: readonly Xl2tpdLns[];
  readonly lac: readonly Xl2tpdLac[];
}

type Context = 'global' | 'lns' | 'lac';
type Kind =
  | { readonly type: 'bool' }
  | { readonly type: 'int'; readonly min: number; readonly max: number }
  | { readonly type: 'string'; readonly nonEmpty?: boolean }
  | { readonly type: 'ipv4' }
  /** IPv4 or IPv6 (listen-addr: xl2tpd takes IPv4 only; `::` serves L2TP over IPv6 and IPv4). */
  | { readonly type: 'ip' }
  | { readonly type: 'ranges'; readonly allow: boolean }
  | { readonly type: 'lns-host' }
  | { readonly type: 'rand' };

interface Keyword {
  readonly contexts: readonly Context[];
  readonly field: string | readonly string[];
  readonly kind: Kind;
  /** Warning issued when the key is used: accepted, but with no effect here. */
  readonly noEffect?: string;
  /** Warn only for this value (`pass peer = no` changes nothing, so it says nothing). */
  readonly noEffectWhen?: unknown;
}

const BOOL: Kind = { type: 'bool' };
const G: readonly Context[] = ['global'];
const N: readonly Context[] = ['lns'];
const C: readonly Context[] = ['lac'];
const NC: readonly Context[] = ['lns', 'lac'];
const u16 = (min: number): Kind => ({ type: 'int', min, max: 65535 });

/** xl2tpd's keyword table (file.c `words[]`), as data: context, field, value kind. */
const KEYWORDS: ReadonlyMap<string, Keyword> = new Map<string, Keyword>([
  ['listen-addr', { contexts: G, field: 'listenAddr', kind: { type: 'ip' } }],
  ['port', { contexts: G, field: 'port', kind: u16(0) }],
  [
    'saref refinfo',
    { contexts: G, field: 'sarefRefinfo', kind: u16(0), noEffect: 'IPsec SA references are a KLIPS kernel feature' },
  ],
  [
    'rand source',
    { contexts: G, field: 'randSource', kind: { type: 'rand' }, noEffect: 'randomness comes from the system CSPRNG' },
  ],
  ['auth file', { contexts: G, field: 'authFile', kind: { type: 'string', nonEmpty: true } }],
  ['exclusive', { contexts: N, field: 'exclusive', kind: BOOL }],
  ['autodial', { contexts: C, field: 'autodial', kind: BOOL }],
  ['redial', { contexts: C, field: 'redial', kind: BOOL }],
  ['redial timeout', { contexts: C, field: 'redialTimeout', kind: { type: 'int', min: 1, max: 86400 } }],
  ['lns', { contexts: C, field: 'lns', kind: { type: 'lns-host' } }],
  ['max redials', { contexts: C, field: 'maxRedials', kind: { type: 'int', min: 1, max: 1_000_000 } }],
  ['access control', { contexts: G, field: 'accessControl', kind: BOOL }],
  ['force userspace', { contexts: G, field: 'forceUserspace', kind: BOOL }],
  ['ip range', { contexts: N, field: 'ipRanges', kind: { type: 'ranges', allow: true } }],
  ['no ip range', { contexts: N, field: 'ipRanges', kind: { type: 'ranges', allow: false } }],
  // xl2tpd's debug keys: L2TP lines in the log (lns/l2tp-debug.ts says what each prints).
  ['debug avp', { contexts: G, field: 'debugAvp', kind: BOOL }],
  ['debug network', { contexts: G, field: 'debugNetwork', kind: BOOL }],
  ['debug packet', { contexts: G, field: 'debugPacket', kind: BOOL }],
  ['debug tunnel', { contexts: G, field: 'debugTunnel', kind: BOOL }],
  ['debug state', { contexts: G, field: 'debugState', kind: BOOL }],
  [
    'ipsec saref',
    {
      contexts: G,
      field: 'ipsecSaref',
      kind: BOOL,
      noEffect: 'IPsec SA references are a KLIPS kernel feature; the kernel IPsec policy protects udp/1701',
    },
  ],
  ['lac', { contexts: N, field: 'lacs', kind: { type: 'ranges', allow: true } }],
  ['no lac', { contexts: N, field: 'lacs', kind: { type: 'ranges', allow: false } }],
  ['assign ip', { contexts: N, field: 'assignIp', kind: BOOL }],
  ['local ip', { contexts: NC, field: 'localIp', kind: { type: 'ipv4' } }],
  ['local ip range', { contexts: N, field: 'localIpRanges', kind: { type: 'ranges', allow: true } }],
  ['remote ip', { contexts: C, field: 'remoteIp', kind: { type: 'ipv4' } }],
  ['defaultroute', { contexts: C, field: 'defaultroute', kind: BOOL }],
  ['length bit', { contexts: NC, field: 'lengthBit', kind: BOOL }],
  ['hidden bit', { contexts: NC, field: 'hiddenBit', kind: BOOL }],
  ['require pap', { contexts: NC, field: 'requirePap', kind: BOOL }],
  ['require chap', { contexts: NC, field: 'requireChap', kind: BOOL }],
  ['require authentication', { contexts: NC, field: 'requireAuthentication', kind: BOOL }],
  ['require auth', { contexts: NC, field: 'requireAuthentication', kind: BOOL }],
  ['refuse pap', { contexts: NC, field: 'refusePap', kind: BOOL }],
  ['refuse chap', { contexts: NC, field: 'refuseChap', kind: BOOL }],
  ['refuse authentication', { contexts: NC, field: 'refuseAuthentication', kind: BOOL }],
  ['refuse auth', { contexts: NC, field: 'refuseAuthentication', kind: BOOL }],
  ['unix authentication', { contexts: N, field: 'unixAuthentication', kind: BOOL }],
  ['unix auth', { contexts: N, field: 'unixAuthentication', kind: BOOL }],
  ['name', { contexts: NC, field: 'authName', kind: { type: 'string' } }],
  ['hostname', { contexts: NC, field: 'hostname', kind: { type: 'string' } }],
  ['ppp debug', { contexts: NC, field: 'pppDebug', kind: BOOL }],
  [
    'pass peer',
    {
      contexts: NC,
      field: 'passPeer',
      kind: BOOL,
      noEffect: 'there is no pppd to pass the peer address to',
      noEffectWhen: true,
    },
  ],
  ['pppoptfile', { contexts: NC, field: 'pppOptFile', kind: { type: 'string' } }],
  // file.c set_rws: call rws ≥ -1 (-1 = no flow control), tunnel rws ≥ 1.
  [
    'call rws',
    {
      contexts: NC,
      field: 'callRws',
      kind: { type: 'int', min: -1, max: 65535 },
      noEffect: 'data messages have no receive window (RFC 2661 §5.4: the data channel has no flow control)',
    },
  ],
  ['tunnel rws', { contexts: NC, field: 'tunnelRws', kind: { type: 'int', min: 1, max: 65535 } }],
  // flow bit = yes: the LNS sends data messages with Ns from the start (RFC 2661 §5.4; settings.sequencing).
  ['flow bit', { contexts: NC, field: 'flowBit', kind: BOOL }],
  ['challenge', { contexts: NC, field: 'challenge', kind: BOOL }],
  [
    'tx bps',
    {
      contexts: NC,
      field: 'txBps',
      kind: { type: 'int', min: 1, max: 0xffffffff },
      noEffect: 'no PPP daemon to report the speed to',
    },
  ],
  [
    'rx bps',
    {
      contexts: NC,
      field: 'rxBps',
      kind: { type: 'int', min: 1, max: 0xffffffff },
      noEffect: 'no PPP daemon to report the speed to',
    },
  ],
  [
    'bps',
    {
      contexts: NC,
      field: ['txBps', 'rxBps'],
      kind: { type: 'int', min: 1, max: 0xffffffff },
      noEffect: 'no PPP daemon to report the speed to',
    },
  ],
  ['max retries', { contexts: G, field: 'maxRetries', kind: { type: 'int', min: 1, max: 1000 } }],
  ['cap backoff', { contexts: G, field: 'capBackoff', kind: { type: 'int', min: 0, max: 3600 } }],
]);

/** The keys xl2tpd knows, for docs and tests. */
export const XL2TPD_KEYS: readonly string[] = [...KEYWORDS.keys()];

/** file.c yesno(): yes/y/true and no/n/false, any case. */
function yesNo(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (v === 'yes' || v === 'y' || v === 'true') return true;
  if (v === 'no' || v === 'n' || v === 'false') return false;
  return undefined;
}

type Section = Record<string, unknown> & { name: string; line: number };

/**
 * Parses xl2tpd.conf text. Like xl2tpd: `;` starts a comment anywhere, keys are case-insensitive,
 * spaces around `=` are ignored and values are taken literally (no quote removal); same-named
 * sections merge. Unlike xl2tpd: a line starting with `#` is a comment too (the OpenWrt how-to's
 * file begins with one), unknown keys are warnings (xl2tpd refuses them), host names are not
 * resolved (IPv4 literals only, except `lns =`), `a, b` comma lists are accepted in range keys.
 * Throws ConfigError (file:line) for invalid values, keys in the wrong section, lines without `=`.
 */
export function parseXl2tpdConf(text: string, file: string): Parsed<Xl2tpdConf> {
  const sink = new WarningSink(file);
  const global: Record<string, unknown> = {};
  const lns: Section[] = [];
  const lac: Section[] = [];
  const warnedNoEffect = new Set<string>();
  let context: Context | undefined;
  let current: Record<string, unknown> | undefined;

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const semi = lines[i]!.indexOf(';');
    const s = (semi < 0 ? lines[i]! : lines[i]!.slice(0, semi)).trim();
    if (s === '' || s.startsWith('#')) continue;

    if (s.startsWith('[')) {
      const close = s.indexOf(']');
      if (close < 0) throw sink.error(lineNo, `no closing bracket in "${s}"`);
      const inner = s.slice(1, close).trim();
      const space = inner.search(/\s/);
      const kind = (space < 0 ? inner : inner.slice(0, space)).toLowerCase();
      const param = space < 0 ? undefined : inner.slice(space + 1).trim();
      if (kind === 'global') {
        context = 'global';
        current = global;
      } else if (kind === 'lns' || kind === 'lac') {
        context = kind;
        const list = kind === 'lns' ? lns : lac;
        const name = param ?? '';
        let section = list.find((x) => x.name.toLowerCase() === name.toLowerCase());
        if (section === undefined) {
          section =
            kind === 'lns'
              ? { name, line: lineNo, ipRanges: [], localIpRanges: [], lacs: [] }
              : { name, line: lineNo, lns: [] };
          list.push(section);
        }
        current = section;
      } else {
        throw sink.error(lineNo, `unknown section [${inner}] (expected [global], [lns NAME] or [lac NAME])`);
      }
      continue;
    }

    const eq = s.indexOf('=');
    if (eq < 0) throw sink.error(lineNo, `expected "key = value", got "${s}"`);
    const rawKey = s.slice(0, eq).trim();
    const key = rawKey.replace(/\s+/g, ' ').toLowerCase();
    const value = s.slice(eq + 1).trim();
    if (context === undefined || current === undefined) {
      throw sink.error(lineNo, `"${rawKey}" before any [global], [lns] or [lac] section`);
    }
    const kw = KEYWORDS.get(key);
    if (kw === undefined) {
      sink.warn(lineNo, `unknown key "${rawKey}" ignored (xl2tpd would refuse to start)`);
      continue;
    }
    if (!kw.contexts.includes(context)) {
      throw sink.error(
        lineNo,
        `${key}: not valid in [${context}] (only in ${kw.contexts.map((c) => `[${c}]`).join(' or ')})`,
      );
    }
    const parsed = parseValue(key, kw.kind, value, lineNo, sink);
    const fields = typeof kw.field === 'string' ? [kw.field] : kw.field;
    for (const f of fields) {
      if (kw.kind.type === 'ranges' || kw.kind.type === 'lns-host') {
        (current[f] as unknown[]).push(...(parsed as unknown[]));
      } else {
        current[f] = parsed;
      }
    }
    // file.c: 'local ip' and 'local ip range' are mutually exclusive.
    if (context === 'lns' && current['localIp'] !== undefined && (current['localIpRanges'] as unknown[]).length > 0) {
      throw sink.error(lineNo, `${key}: 'local ip range' and 'local ip' are mutually exclusive`);
    }
    const inEffect = kw.noEffectWhen === undefined || parsed === kw.noEffectWhen;
    if (kw.noEffect !== undefined && inEffect && !warnedNoEffect.has(key)) {
      warnedNoEffect.add(key);
      sink.warn(lineNo, `${key}: accepted, no effect in l2tp-ts (${kw.noEffect})`);
    }
    if (key.startsWith('unix auth') && parsed === true) {
      sink.warn(lineNo, `${key}: accepted, no effect in l2tp-ts (users come from chap-secrets, not /etc/passwd)`);
    }
  }

  const value: Xl2tpdConf = {
    global: global as Xl2tpdGlobal,
    lns: lns as unknown as Xl2tpdLns[],
    lac: lac as unknown as Xl2tpdLac[],
  };
  return { value, warnings: sink.warnings };
}

function parseValue(key: string, kind: Kind, value: string, line: number, sink: WarningSink): unknown {
  switch (kind.type) {
    case 'bool': {
      const b = yesNo(value);
      if (b === undefined) throw sink.error(line, `${key}: expected yes or no, got "${value}"`);
      return b;
    }
    case 'int': {
      const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < kind.min || n > kind.max) {
        throw sink.error(line, `${key}: expected an integer ${kind.min}..${kind.max}, got "${value}"`);
      }
      return n;
    }
    case 'string':
      if (kind.nonEmpty && value === '') throw sink.error(line, `${key}: expected a value, got nothing`);
      return value;
    case 'ipv4': {
      const n = parseIpv4(value);
      if (n === undefined) {
        throw sink.error(line, `${key}: expected an IPv4 address, got "${value}" (host names are not resolved)`);
      }
      return formatIpv4(n);
    }
    case 'ip': {
      const canonical = canonicalAddress(value);
      if (canonical === undefined) {
        throw sink.error(
          line,
          `${key}: expected an IPv4 or IPv6 address, got "${value}" (host names are not resolved)`,
        );
      }
      return canonical;
    }
    case 'ranges': {
      if (value === '') throw sink.error(line, `${key}: expected an IPv4 address or range, got nothing`);
      const rules: RangeRule[] = [];
      for (const part of value.split(',')) {
        const r = parseIpv4Range(part);
        if (typeof r === 'string') throw sink.error(line, `${key}: ${r}`);
        rules.push({ start: formatIpv4(r.start), end: formatIpv4(r.end), allow: kind.allow });
      }
      return rules;
    }
    case 'lns-host': {
      // file.c set_lns: `host[:port]`, port 1701 by default; one host per line.
      const m = /^([^\s:]+)(?::(\d+))?$/.exec(value);
      const port = m?.[2] === undefined ? 1701 : Number(m[2]);
      if (m === null || port < 1 || port > 65535) {
        throw sink.error(line, `${key}: expected host[:port], got "${value}"`);
      }
      return [{ host: m[1]!, port }];
    }
    case 'rand': {
      const v = value.toLowerCase();
      if (v !== 'dev' && v !== 'sys' && v !== 'egd') {
        throw sink.error(line, `${key}: expected dev, sys or egd, got "${value}"`);
      }
      return v;
    }
  }
}

/** Re-exported for callers that only import this file. */
export type { ConfigWarning };
