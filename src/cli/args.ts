// A small, strict command-line parser: declared flags only, typed values, errors that say which
// flag and why (exit code 2, DESIGN.md).
import { parseIpv6 } from '../core/ipv6.js';

/** Bad usage: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  readonly code = 'ERR_L2TP_USAGE';
}

/** One flag's declaration. */
export interface FlagSpec {
  readonly kind: 'string' | 'int' | 'boolean' | 'list';
  readonly help: string;
  readonly alias?: string;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  readonly valueName?: string;
}

/** Parsed values by flag name (without the leading dashes). */
export type Parsed<S extends Record<string, FlagSpec>> = {
  [K in keyof S]?: S[K]['kind'] extends 'int'
    ? number
    : S[K]['kind'] extends 'boolean'
      ? boolean
      : S[K]['kind'] extends 'list'
        ? string[]
        : string;
} & { _: string[]; help?: boolean };

/** Parses `argv` against `spec`; throws UsageError on unknown flags or bad values. */
export function parseArgs<S extends Record<string, FlagSpec>>(argv: readonly string[], spec: S): Parsed<S> {
  const out: Record<string, unknown> = { _: [] };
  const byAlias = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.alias) byAlias.set(s.alias, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      (out._ as string[]).push(arg);
      continue;
    }
    let name = arg.startsWith('--') ? arg.slice(2) : (byAlias.get(arg.slice(1)) ?? arg.slice(1));
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const s = spec[name];
    if (s === undefined) throw new UsageError(`unknown option '${arg}'`);
    if (s.kind === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') {
        throw new UsageError(`--${name} takes no value`);
      }
      out[name] = inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (s.choices && !s.choices.includes(value)) {
      throw new UsageError(`--${name}: '${value}' is not one of ${s.choices.join(', ')}`);
    }
    if (s.kind === 'int') {
      const n = Number(value);
      if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n))
        throw new UsageError(`--${name}: '${value}' is not an integer`);
      if ((s.min !== undefined && n < s.min) || (s.max !== undefined && n > s.max)) {
        throw new UsageError(`--${name}: ${n} is out of range ${s.min ?? '-∞'}..${s.max ?? '∞'}`);
      }
      out[name] = n;
    } else if (s.kind === 'list') {
      ((out[name] as string[] | undefined) ?? ((out[name] = [] as string[]) as string[])).push(value);
    } else {
      out[name] = value;
    }
  }
  return out as Parsed<S>;
}

/** The options part of a command's --help text. */
export function formatFlags(spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const value = s.kind === 'boolean' ? '' : ` ${s.valueName ?? (s.kind === 'int' ? 'N' : 'VALUE')}`;
    return [`  ${s.alias ? `-${s.alias}, ` : ''}--${name}${value}`, s.help] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, h]) => l.padEnd(width) + h).join('\n');
}

/** Splits HOST[:PORT] (IPv4 or name; [v6]:port; a bare IPv6 address takes the default port). */
export function parseHostPort(value: string, defaultPort: number): { address: string; port: number } {
  if (parseIpv6(value) !== undefined) return { address: value, port: defaultPort };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value);
  if (m === null) throw new UsageError(`'${value}' is not HOST[:PORT]`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`port out of range in '${value}'`);
  return { address: m[1]!, port };
}

/** The flags every command that dials an LNS shares (lac, bench). */
export const DIAL_FLAGS = {
  server: {
    kind: 'list',
    help: 'the LNS, HOST[:PORT] or [IPV6]:PORT (port 1701 by default); repeat it to name LNSes tried in order when one refuses a tunnel with StopCCN 2/7 "try another"',
    valueName: 'HOST[:PORT]',
  },
  user: { kind: 'string', help: 'PPP user name', alias: 'u' },
  password: { kind: 'string', help: 'PPP password (or the L2TP_TS_PASSWORD environment variable)', alias: 'p' },
  auth: {
    kind: 'string',
    help: 'the only method to answer: mschapv2, chap or pap (default: whichever the LNS asks for)',
    choices: ['mschapv2', 'chap', 'pap'],
  },
} as const satisfies Record<string, FlagSpec>;

/**
 * The LNS, user and password of a command that dials (lac, bench): --server and --user are
 * required, the password comes from --password or else L2TP_TS_PASSWORD. UsageError names the
 * first one missing. A repeated --server gives the fallbacks, in order.
 */
export function dialCredentials(
  a: { readonly server?: string | readonly string[]; readonly user?: string; readonly password?: string },
  env: NodeJS.ProcessEnv = process.env,
): { server: string; fallbackServers: string[]; user: string; password: string } {
  const [server, ...fallbackServers] = typeof a.server === 'string' ? [a.server] : (a.server ?? []);
  if (server === undefined) throw new UsageError('--server is required');
  if (a.user === undefined) throw new UsageError('--user is required');
  const password = a.password ?? env.L2TP_TS_PASSWORD;
  if (password === undefined) throw new UsageError('--password (or L2TP_TS_PASSWORD) is required');
  return { server, fallbackServers, user: a.user, password };
}
