// Hiding AVP values, RFC 2661 §4.3: subformat = Original Length(2) ‖ value ‖ padding, XORed with an
// MD5 chain b1 = MD5(type ‖ secret ‖ RV), bi = MD5(secret ‖ c(i-1)). Vectors: REFERENCES.md §3.8.
// Related: message.ts (applies it per AVP with the preceding Random Vector AVP).
import { createHash } from 'node:crypto';

const BLOCK = 16;

/** XORs `data` in place with the §4.3 MD5 chain; `cipherChain` says whether `data` is plaintext (hide) or ciphertext (unhide). */
function xorChain(type: number, data: Uint8Array, secret: Uint8Array, randomVector: Uint8Array, hiding: boolean): void {
  // §4.3: "the 2 octet Attribute number of the AVP" (network order), then the secret, then the RV.
  let hash = createHash('md5')
    .update(new Uint8Array([(type >>> 8) & 0xff, type & 0xff]))
    .update(secret)
    .update(randomVector)
    .digest();
  for (let start = 0; start < data.length; start += BLOCK) {
    const end = Math.min(start + BLOCK, data.length);
    // The chain continues from the ciphertext block c(i-1), whichever way we are going.
    const cipherBefore = hiding ? undefined : new Uint8Array(data.subarray(start, end));
    for (let i = start; i < end; i++) data[i] = data[i]! ^ hash[i - start]!;
    if (end < data.length) {
      const c = hiding ? data.subarray(start, end) : (cipherBefore as Uint8Array);
      hash = createHash('md5').update(secret).update(c).digest();
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
