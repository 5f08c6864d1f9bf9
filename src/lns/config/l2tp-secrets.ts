// xl2tpd's tunnel secrets file (`auth file`, l2tp-secrets(5)): `us them secret` per line, used for
// the RFC 2661 §4.4.3 tunnel authentication (Challenge / Challenge Response AVPs).
// Read the way xl2tpd's aaa.c get_secret does. Related: settings.ts (lookupTunnelSecret).
import { type Parsed, WarningSink } from './config-error.js';

/** One line: our host name, the peer's host name (`*` = any, case-insensitive) and the secret. */
export interface TunnelSecret {
  readonly us: string;
  readonly them: string;
  readonly secret: string;
  readonly line: number;
}

/**
 * Parses l2tp-secrets. Like xl2tpd: `#` and `;` start a comment anywhere on a line, the first two
 * words are the host names, the secret is the rest of the line (inner spaces kept). The first
 * field is OUR host name (aaa.c compares it with `us`), whatever some how-tos say.
 * Lines with fewer than three fields are skipped with a warning, as xl2tpd does.
 */
export function parseL2tpSecrets(text: string, file: string): Parsed<readonly TunnelSecret[]> {
  const sink = new WarningSink(file);
  const out: TunnelSecret[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const cut = lines[i]!.search(/[#;]/);
    const s = (cut < 0 ? lines[i]! : lines[i]!.slice(0, cut)).trim();
    if (s === '') continue;
    const m = /^(\S+)\s+(\S+)\s+(.+)$/.exec(s);
    if (m === null) {
      // Never echo the line: its third word would be the secret.
      const fields = s.split(/\s+/).length;
      sink.warn(i + 1, `expected "us them secret", got ${fields} field${fields === 1 ? '' : 's'}; line ignored`);
      continue;
    }
    out.push({ us: m[1]!, them: m[2]!, secret: m[3]!, line: i + 1 });
  }
  return { value: out, warnings: sink.warnings };
}

/** aaa.c get_secret: the first line whose `us` and `them` match (or are `*`), case-insensitive. */
export function lookupTunnelSecret(secrets: readonly TunnelSecret[], us: string, them: string): string | undefined {
  const match = (pattern: string, name: string) => pattern === '*' || pattern.toLowerCase() === name.toLowerCase();
  return secrets.find((s) => match(s.us, us) && match(s.them, them))?.secret;
}
