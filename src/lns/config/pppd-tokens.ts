// pppd's word reader (options.c getword): whitespace-separated words, `#` comments at the start of
// a word, "double" or 'single' quotes, backslash escapes. Shared by pppd-options.ts and chap-secrets.ts.

/** One word with the 1-based line it started on. `quoted` words are never options or comments. */
export interface PppWord {
  readonly text: string;
  readonly line: number;
  readonly quoted: boolean;
}

const ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', s: ' ', t: '\t' };

/** Splits pppd-syntax text into words (a backslash before a newline joins the lines). */
export function pppWords(text: string): PppWord[] {
  const words: PppWord[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    const startLine = line;
    let word = '';
    let quote: string | undefined;
    let quoted = false;
    while (i < n) {
      const ch = text[i]!;
      if (quote === undefined && (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r')) break;
      if (ch === '\\' && i + 1 < n) {
        const next = text[i + 1]!;
        i += 2;
        if (next === '\n') {
          line++;
          continue;
        }
        if (/[0-7]/.test(next)) {
          let oct = next;
          while (oct.length < 3 && i < n && /[0-7]/.test(text[i]!)) oct += text[i++];
          word += String.fromCharCode(Number.parseInt(oct, 8));
        } else {
          word += ESCAPES[next] ?? next;
        }
        continue;
      }
      if (quote !== undefined) {
        if (ch === quote) quote = undefined;
        else {
          if (ch === '\n') line++;
          word += ch;
        }
        i++;
        continue;
      }
      if (ch === '"' || ch === "'") {
        quote = ch;
        quoted = true;
        i++;
        continue;
      }
      word += ch;
      i++;
    }
    words.push({ text: word, line: startLine, quoted });
  }
  return words;
}
