// UTF-8 text ⇄ octets through one shared decoder and encoder. Constructing a TextDecoder costs
// microseconds — more than decoding a user name — and the setup path decodes several texts per
// session (CHAP names, Host Name, Result Code messages; docs/BENCHMARKS.md, issue 10 item 2).
// Neither object keeps state between calls here (no `stream` option), so sharing them is safe.

const decoder = new TextDecoder('utf-8'); // not fatal: malformed octets become U+FFFD
const encoder = new TextEncoder();

/** `octets` read as UTF-8; malformed sequences become U+FFFD, never an exception. */
export function utf8Text(octets: Uint8Array): string {
  return decoder.decode(octets);
}

/** The UTF-8 octets of `text` (a fresh array). */
export function utf8Octets(text: string): Uint8Array {
  return encoder.encode(text);
}
