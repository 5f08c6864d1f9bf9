// Typed attribute values (RFC 2865 §5 data types: text, string, ipaddr, integer, date; §5.26 vendor
// attributes), builders checked against the dictionary, accessors that refuse a wrong length, and the
// RFC 2869 §5.1-§5.2 Gigawords split. Related: dictionary.ts, packet.ts, format.ts.
import { u32 } from '../../core/bytes.js';
import { L2tpUsageError } from '../../core/engine.js';
import { formatIpv4, parseIpv4 } from '../../core/ipv4.js';
import { Attr, attributeSpec, isValidValueLength, type ValueKind } from './dictionary.js';
import type { RadiusAttribute } from './packet.js';

const utf8Encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8');

/** A value as the builders take it: text for `text`, dotted quad for `ipaddr`, number for `integer`/`date`. */
export type AttributeValue = string | number | Uint8Array;

function u32Octets(n: number, what: string): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_VALUE', `${what}: expected an integer 0..2^32-1, got ${n}`);
  }
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/**
 * Builds an attribute, its value checked against the dictionary kind: `text` takes a string (UTF-8),
 * `ipaddr` a dotted quad, `integer`/`date` a number (a date in seconds since 1970, RFC 2865 §5), and
 * `string` octets (a string is taken as UTF-8). An attribute the dictionary does not name takes octets.
 * Throws L2tpUsageError on a value of the wrong kind or length (local misuse).
 */
export function makeAttribute(type: number, value: AttributeValue, vendorId = 0): RadiusAttribute {
  const spec = attributeSpec(vendorId, type);
  const name = spec?.name ?? `${vendorId}/${type}`;
  const kind: ValueKind = spec?.kind ?? 'string';
  let bytes: Uint8Array;
  switch (kind) {
    case 'text':
    case 'string':
    case 'vsa':
      if (typeof value === 'number') throw new L2tpUsageError('ERR_L2TP_RADIUS_VALUE', `${name}: expected octets`);
      bytes = typeof value === 'string' ? utf8Encoder.encode(value) : value;
      break;
    case 'ipaddr': {
      const ip = typeof value === 'string' ? parseIpv4(value) : undefined;
      if (ip === undefined) throw new L2tpUsageError('ERR_L2TP_RADIUS_VALUE', `${name}: expected a dotted quad`);
      bytes = u32Octets(ip, name);
      break;
    }
    case 'integer':
    case 'date':
      if (typeof value !== 'number') throw new L2tpUsageError('ERR_L2TP_RADIUS_VALUE', `${name}: expected a number`);
      bytes = u32Octets(value, name);
      break;
  }
  if (spec !== undefined && !isValidValueLength(spec, bytes.length)) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_VALUE', `${name}: a value of ${bytes.length} octets is not allowed`);
  }
  return { vendorId, type, value: bytes };
}

/** The first attribute (vendorId, type), or undefined. */
export function findAttribute(
  attrs: readonly RadiusAttribute[],
  type: number,
  vendorId = 0,
): RadiusAttribute | undefined {
  for (const a of attrs) if (a.type === type && a.vendorId === vendorId) return a;
  return undefined;
}

/** Every attribute (vendorId, type), in wire order (Class, Framed-Route and Reply-Message may repeat). */
export function findAll(attrs: readonly RadiusAttribute[], type: number, vendorId = 0): RadiusAttribute[] {
  return attrs.filter((a) => a.type === type && a.vendorId === vendorId);
}

/** The first attribute's value as UTF-8 text (invalid octets become U+FFFD), or undefined when absent. */
export function getText(attrs: readonly RadiusAttribute[], type: number, vendorId = 0): string | undefined {
  const a = findAttribute(attrs, type, vendorId);
  return a === undefined ? undefined : utf8.decode(a.value);
}

/** The first attribute's octets (not a copy), or undefined when absent. */
export function getOctets(attrs: readonly RadiusAttribute[], type: number, vendorId = 0): Uint8Array | undefined {
  return findAttribute(attrs, type, vendorId)?.value;
}

/** The first attribute as a 32-bit unsigned integer (or date), or undefined when absent or not 4 octets. */
export function getInteger(attrs: readonly RadiusAttribute[], type: number, vendorId = 0): number | undefined {
  const a = findAttribute(attrs, type, vendorId);
  return a !== undefined && a.value.length === 4 ? u32(a.value, 0) : undefined;
}

/** The first attribute as a dotted quad, or undefined when absent or not 4 octets. */
export function getIpaddr(attrs: readonly RadiusAttribute[], type: number, vendorId = 0): string | undefined {
  const a = findAttribute(attrs, type, vendorId);
  if (a === undefined || a.value.length !== 4) return undefined;
  return formatIpv4(u32(a.value, 0));
}

/**
 * Reply-Message (RFC 2865 §5.18): every one joined with newlines ("Multiple Reply-Message's MAY be
 * included and if any are displayed, they MUST be displayed in the same order"); undefined when none.
 */
export function replyMessage(attrs: readonly RadiusAttribute[]): string | undefined {
  const all = findAll(attrs, Attr.ReplyMessage);
  return all.length === 0 ? undefined : all.map((a) => utf8.decode(a.value)).join('\n');
}

const TWO_32 = 0x1_0000_0000;

/**
 * RFC 2869 §5.1/§5.2: a 64-bit octet count as Acct-*-Octets (the low 32 bits) and Acct-*-Gigawords
 * ("how many times the Acct-Input-Octets counter has wrapped around 2^32"). Exact up to 2^53.
 */
export function splitGigawords(total: number): { readonly octets: number; readonly gigawords: number } {
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_VALUE', `octet count: expected a safe integer >= 0, got ${total}`);
  }
  return { octets: total % TWO_32, gigawords: Math.floor(total / TWO_32) };
}

/** The reverse of splitGigawords: octets + gigawords · 2^32. */
export function joinGigawords(octets: number, gigawords: number): number {
  return gigawords * TWO_32 + octets;
}
