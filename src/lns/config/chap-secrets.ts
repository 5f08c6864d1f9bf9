// chap-secrets (pppd's authentication secrets file): `client server secret [addresses…]` per line,
// pppd word syntax (quotes, escapes, `#` comments), `*` wildcards. The address column is the
// client's static address. Related: pppd-tokens.ts, settings.ts (users table).

import { formatIpv4, parseIpv4 } from '../../core/ipv4.js';
import { type Parsed, WarningSink } from './config-error.js';
import { type PppWord, pppWords } from './pppd-tokens.js';

/** One line of chap-secrets. */
export interface ChapSecret {
  /** The user name; `*` matches any client. */
  readonly client: string;
  /** Our name as the peer sees it (xl2tpd/pppd `name`); `*` matches any. */
  readonly server: string;
  readonly secret: string;
  /** The address words as written (`*`, `-`, `10.1.20.32`, `!10.0.0.1`, `10.0.0.0/24`…). */
  readonly addresses: readonly string[];
  /** The first plain IPv4 address of the address column: the address this client always gets. */
  readonly staticAddress?: string;
  /** `-` in the address column: pppd allows this client no address at all. */
  readonly noAddress: boolean;
  readonly line: number;
}

/**
 * Parses chap-secrets (the same format serves pap-secrets). Lines with fewer than three words and
 * `@file` secrets are skipped with a warning (pppd skips the first silently and reads the second
 * from disk, which a pure parser cannot). Throws ConfigError for a malformed IPv4 address.
 */
export function parseChapSecrets(text: string, file: string): Parsed<readonly ChapSecret[]> {
  const sink = new WarningSink(file);
  const entries: ChapSecret[] = [];
  for (const words of byLine(pppWords(text))) {
    const line = words[0]!.line;
    if (words.length < 3) {
      sink.warn(line, `expected "client server secret [addresses…]", got ${words.length} word(s); line ignored`);
      continue;
    }
    const [client, server, secret, ...rest] = words as [PppWord, PppWord, PppWord, ...PppWord[]];
    if (secret.text.startsWith('@') && !secret.quoted) {
      sink.warn(line, `secret "${secret.text}": reading secrets from a file is not supported; line ignored`);
      continue;
    }
    // pppd: a `--` word ends the address list (what follows are per-user options).
    const end = rest.findIndex((w) => w.text === '--' && !w.quoted);
    const addresses = (end < 0 ? rest : rest.slice(0, end)).map((w) => w.text);
    let staticAddress: string | undefined;
    for (const a of addresses) {
      if (a === '*' || a === '-' || a.startsWith('!') || a.startsWith('+') || a.includes('/')) continue;
      const n = parseIpv4(a);
      if (n === undefined) {
        if (/^[\d.]+$/.test(a)) throw sink.error(line, `address "${a}": expected an IPv4 address`);
        sink.warn(line, `address "${a}": host names are not resolved; ignored`);
        continue;
      }
      staticAddress ??= formatIpv4(n);
    }
    const entry: ChapSecret = {
      client: client.text,
      server: server.text,
      secret: secret.text,
      addresses,
      noAddress: addresses.includes('-'),
      line,
      ...(staticAddress === undefined ? {} : { staticAddress }),
    };
    entries.push(entry);
  }
  return { value: entries, warnings: sink.warnings };
}

/** Groups words into entries: a word on a later line than the previous word starts a new entry. */
function byLine(words: readonly PppWord[]): PppWord[][] {
  const groups: PppWord[][] = [];
  let last = -1;
  for (const w of words) {
    if (w.line !== last) groups.push([]);
    groups[groups.length - 1]!.push(w);
    last = w.line;
  }
  return groups;
}
