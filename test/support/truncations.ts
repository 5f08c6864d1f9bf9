// Every prefix and every single-bit flip of a vector: inputs for "never throws" properties.

/** Every proper prefix of `b`, shortest first. */
export function* truncations(b: Uint8Array): Generator<Uint8Array> {
  for (let n = 0; n < b.length; n++) yield b.slice(0, n);
}

/** Every single-bit flip of `b`. */
export function* bitFlips(b: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < b.length * 8; i++) {
    const c = b.slice();
    c[i >> 3]! ^= 0x80 >> (i & 7);
    yield c;
  }
}
