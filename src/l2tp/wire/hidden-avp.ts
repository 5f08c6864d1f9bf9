// Hiding AVP values, RFC 2661 §4.3: subformat = Original Length(2) ‖ value ‖ padding, XORed with an
// MD5 chain b1 = MD5(type ‖ secret ‖ RV), bi = MD5(secret ‖ c(i-1)). Vectors: REFERENCES.md §3.8.
// Related: message.ts (applies it per AVP with the preceding Random Vector AVP).
import * as crypto from 'node:crypto';

const BLOCK = 16;

/** MD5 of `data`: the one-shot crypto.hash where Node has it (≈3× cheaper than a Hash object per block). */
const md5: (data: Uint8Array) => Uint8Array =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('md5', data, 'buffer')
    : (data) => crypto.createHash('md5').update(data).digest();

/** XORs `data` in place with the §4.3 MD5 chain; `hiding` says whether `data` is plaintext (hide) or ciphertext (unhide). */
function xorChain(type: number, data: Uint8Array, secret: Uint8Array, randomVector: Uint8Array, hiding: boolean): void {
  // §4.3: b1 = MD5(the 2 octet Attribute number, network order ‖ the shared secret ‖ the random vector).
  const first = new Uint8Array(2 + secret.length + randomVector.length);
  first[0] = (type >>> 8) & 0xff;
  first[1] = type & 0xff;
  first.set(secret, 2);
  first.set(randomVector, 2 + secret.length);
  let hash = md5(first);
  // bi = MD5(secret ‖ c(i-1)): the chain continues from the ciphertext block, whichever way we are going.
  const chain = data.length > BLOCK ? new Uint8Array(secret.length + BLOCK) : undefined;
  chain?.set(secret, 0);
  for (let start = 0; start < data.length; start += BLOCK) {
    const end = Math.min(start + BLOCK, data.length);
    if (chain !== undefined && !hiding && end < data.length) chain.set(data.subarray(start, end), secret.length);
    for (let i = start; i < end; i++) data[i] = data[i]! ^ hash[i - start]!;
    if (chain !== undefined && end < data.length) {
      if (hiding) chain.set(data.subarray(start, end), secret.length);
      hash = md5(chain);
    }
  }
}

/**
 * The hidden Attribute Value (2 + value + padding octets) for an AVP of Attribute Type `type`,
 * hidden with `secret` and the Random Vector `randomVector`; `padding` is sent as given.
 */
export function hideAvpValue(
  type: number,
  value: Uint8Array,
  secret: Uint8Array,
  randomVector: Uint8Array,
  padding: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(2 + value.length + padding.length);
  out[0] = (value.length >>> 8) & 0xff;
  out[1] = value.length & 0xff;
  out.set(value, 2);
  out.set(padding, 2 + value.length);
  xorChain(type, out, secret, randomVector, true);
  return out;
}

/**
 * Reverses `hideAvpValue`: the clear value and the padding that followed it, or undefined when the
 * hidden value is shorter than 2 octets or its Length of Original Value exceeds what is present
 * (§4.3; typically a wrong secret or Random Vector).
 */
export function unhideAvpValue(
  type: number,
  hidden: Uint8Array,
  secret: Uint8Array,
  randomVector: Uint8Array,
): { value: Uint8Array; padding: Uint8Array } | undefined {
  if (hidden.length < 2) return undefined;
  // A copy, never `hidden.slice()`: on a Node Buffer (what dgram delivers) slice() is a view.
  const clear = new Uint8Array(hidden);
  xorChain(type, clear, secret, randomVector, false);
  const length = (clear[0]! << 8) | clear[1]!;
  if (length > clear.length - 2) return undefined;
  return { value: clear.subarray(2, 2 + length), padding: clear.subarray(2 + length) };
}
