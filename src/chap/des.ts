// Single DES (FIPS 46-3) for MS-CHAP: OpenSSL 3 dropped `des-ecb`, so one block is encrypted with
// `des-ede3-ecb` under K‖K‖K (E_K(D_K(E_K(x))) = E_K(x)); plus the RFC 2759 §8.6 key expansion.
// Related: mschapv2.ts (ChallengeResponse, RFC 2759 §8.5).
import { createCipheriv } from 'node:crypto';
import { L2tpUsageError } from '../core/engine.js';

/**
 * RFC 2759 §8.6 (RFC 2433 A.7): spreads 56 key bits over eight octets, seven bits each in the
 * high bits, and sets the low bit of every octet for odd parity (RFC 2759 §9.3 prints the keys so).
 */
export function expandDesKey(key7: Uint8Array): Uint8Array {
  if (key7.length !== 7) throw new L2tpUsageError('ERR_L2TP_DES_KEY', `DES key must be 7 octets, got ${key7.length}`);
  const k = (i: number): number => key7[i]!;
  const raw = [
    k(0) >>> 1,
    ((k(0) & 0x01) << 6) | (k(1) >>> 2),
    ((k(1) & 0x03) << 5) | (k(2) >>> 3),
    ((k(2) & 0x07) << 4) | (k(3) >>> 4),
    ((k(3) & 0x0f) << 3) | (k(4) >>> 5),
    ((k(4) & 0x1f) << 2) | (k(5) >>> 6),
    ((k(5) & 0x3f) << 1) | (k(6) >>> 7),
    k(6) & 0x7f,
  ];
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = withOddParity(raw[i]! << 1);
  return out;
}

function withOddParity(octet: number): number {
  let ones = 0;
  for (let v = octet >>> 1; v !== 0; v >>>= 1) ones += v & 1;
  return (octet & 0xfe) | (ones % 2 === 0 ? 1 : 0);
}

/**
 * Encrypts one 8-octet block with single DES. `key` is 8 octets (parity ignored, as DES does)
 * or 7 octets (expanded with `expandDesKey`). Throws L2tpUsageError on wrong sizes.
 */
export function desEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const key8 = key.length === 7 ? expandDesKey(key) : key;
  if (key8.length !== 8)
    throw new L2tpUsageError('ERR_L2TP_DES_KEY', `DES key must be 7 or 8 octets, got ${key.length}`);
  if (block.length !== 8)
    throw new L2tpUsageError('ERR_L2TP_DES_BLOCK', `DES block must be 8 octets, got ${block.length}`);
  const ede = new Uint8Array(24);
  ede.set(key8, 0);
  ede.set(key8, 8);
  ede.set(key8, 16);
  const cipher = createCipheriv('des-ede3-ecb', ede, null);
  cipher.setAutoPadding(false);
  const out = cipher.update(block);
  cipher.final();
  return new Uint8Array(out); // a copy: never hand out a view of Node's shared Buffer pool
}
