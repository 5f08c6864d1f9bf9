// hex`…` template for vectors written as the RFCs print them.
import { fromHex } from '../../src/core/bytes.js';

/** Parses a hex literal, ignoring whitespace, `|` and `:`. */
export function hex(strings: TemplateStringsArray, ...values: unknown[]): Uint8Array {
  return fromHex(String.raw({ raw: strings }, ...values));
}
