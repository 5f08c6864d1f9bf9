// Text for log lines from values a peer controls (SCCRQ Host Name, user names, StopCCN messages,
// Reply-Message…): a peer must not be able to forge a log line (a newline), hide one (a carriage
// return or terminal escape) or flood one (a 64 KiB Host Name). JSON logs need no escaping of
// their own (JSON.stringify escapes control characters) but use the same length bound.
// Related: lns.ts (describeEvent), docs/CONFIG.md.

/** Longest peer-controlled string written into one log line, in characters. */
export const MAX_LOGGED_TEXT = 256;

/**
 * `text` with every C0/C1 control character, DEL, backslash and the Unicode line/paragraph
 * separators written as `\xNN` / `\uNNNN` escapes, cut to MAX_LOGGED_TEXT characters (with `…`).
 */
export function printable(text: string, max = MAX_LOGGED_TEXT): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return escapeCut(text, max, /[\x00-\x1f\x7f-\x9f\\\u2028\u2029]/g);
}

/**
 * A line a formatter already escaped (the L2TP dumps of l2tp/describe.ts: peer bytes as `\xNN`,
 * `\\`, `\"`): backslashes are kept, so `"lac\x0a1"` stays readable instead of `"lac\x5cx0a1"`;
 * anything else that could end, hide or rewrite a line is still escaped (there should be none), and
 * the line is cut to `max`.
 */
export function printableFormatted(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return escapeCut(text, max, /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g);
}

function escapeCut(text: string, max: number, unsafe: RegExp): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = cut.replace(unsafe, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return cut.length < text.length ? `${escaped}…` : escaped;
}
