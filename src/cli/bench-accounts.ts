// The accounts of `l2tp-ts bench` (issue 14 item 1): one per session, so that thousands of
// distinct users hit chap-secrets or RADIUS. Either a template, `--user 'u{n}' --password 'p{n}'`
// with {n} = 1, 2, … over all sessions of the run (in the order their calls came up, LacEngine
// `account`), or `--users-file FILE`, whose accounts the sessions take round-robin. Related:
// src/cli/bench.ts, src/lac/lac.ts (LacEngineOptions.account).
//
// The file: one account per line, pppd word syntax (quotes, backslash escapes, `#` comments), so
// the LNS's own chap-secrets serves unchanged:
//   `user password`                       two words
//   `client server secret [addresses…]`   chap-secrets: the first and third words
// A line of one word, a wildcard client (`*`) or an `@file` secret is refused with the line number
// (UsageError, exit code 2): the run would otherwise dial with accounts the file never meant.
import { readFileSync } from 'node:fs';
import type { LacAccount } from '../lac/lac.js';
import { pppWords } from '../lns/config/pppd-tokens.js';
import { UsageError } from './args.js';

/** The placeholder a template's user name and password may contain. */
export const TEMPLATE_N = '{n}';

/** The account of session n under `--user`/`--password` templates (no `{n}`: the same for all). */
export function accountTemplate(user: string, password: string): ((n: number) => LacAccount) | undefined {
  if (!user.includes(TEMPLATE_N) && !password.includes(TEMPLATE_N)) return undefined;
  return (n) => ({ user: user.replaceAll(TEMPLATE_N, `${n}`), password: password.replaceAll(TEMPLATE_N, `${n}`) });
}

/** The accounts of a users file's text (see above); UsageError names `file` and the line. */
export function parseUsersFile(text: string, file: string): LacAccount[] {
  const lines = new Map<number, string[]>();
  const quotedAt = new Set<string>();
  for (const w of pppWords(text)) {
    const words = lines.get(w.line) ?? [];
    if (words.length === 0) lines.set(w.line, words);
    if (w.quoted) quotedAt.add(`${w.line}:${words.length}`);
    words.push(w.text);
  }
  const accounts: LacAccount[] = [];
  for (const [line, words] of lines) {
    const at = `${file}:${line}`;
    if (words.length < 2) throw new UsageError(`${at}: expected "user password" or a chap-secrets line, got one word`);
    const [user, secret] = words.length === 2 ? [words[0]!, words[1]!] : [words[0]!, words[2]!];
    const secretIndex = words.length === 2 ? 1 : 2;
    if (user === '*' && !quotedAt.has(`${line}:0`)) {
      throw new UsageError(`${at}: client "*" is a wildcard, not an account to dial with`);
    }
    if (secret.startsWith('@') && !quotedAt.has(`${line}:${secretIndex}`)) {
      throw new UsageError(`${at}: secret "${secret}": reading secrets from another file is not supported`);
    }
    accounts.push({ user, password: secret });
  }
  if (accounts.length === 0) throw new UsageError(`${file}: no accounts in the file`);
  return accounts;
}

/** Reads and parses `--users-file`; a missing or unreadable file is a UsageError, never a crash. */
export function readUsersFile(file: string): LacAccount[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UsageError(`--users-file ${file}: cannot read it (${code})`);
  }
  return parseUsersFile(text, file);
}

/** Session n takes account (n − 1) mod the number of accounts. */
export function roundRobin(accounts: readonly LacAccount[]): (n: number) => LacAccount {
  return (n) => accounts[(n - 1) % accounts.length]!;
}
