// One-line text of a RADIUS packet for logs and test messages, in FreeRADIUS's vocabulary:
// `Access-Accept id=7 <Framed-IP-Address 10.1.0.5> <MS-CHAP2-Success 0x01533d…>`.
// Related: dictionary.ts (names), values.ts. User-Password, CHAP-Password and MPPE keys are never printed.
import { toHex } from '../../core/bytes.js';
import { Attr, attributeSpec, CODES, MsAttr, VENDOR_MICROSOFT } from './dictionary.js';
import type { RadiusAttribute, RadiusPacket } from './packet.js';
import { getInteger, getIpaddr, getText } from './values.js';

/** Attributes whose value is a secret or key material: printed as `<User-Password …>` only. */
function isSecret(a: RadiusAttribute): boolean {
  if (a.vendorId === 0) return a.type === Attr.UserPassword || a.type === Attr.ChapPassword;
  return a.vendorId === VENDOR_MICROSOFT && (a.type === MsAttr.MppeSendKey || a.type === MsAttr.MppeRecvKey);
}

/** `<Name value>` of one attribute; unknown ones as `<26/311/99 0x…>` or `<99 0x…>`. */
export function formatAttribute(a: RadiusAttribute): string {
  const spec = attributeSpec(a.vendorId, a.type);
  const name = spec?.name ?? (a.vendorId === 0 ? `${a.type}` : `26/${a.vendorId}/${a.type}`);
  if (isSecret(a)) return `<${name} …>`;
  const one = [a];
  let text: string | undefined;
  switch (spec?.kind) {
    case 'text':
      text = JSON.stringify(getText(one, a.type, a.vendorId));
      break;
    case 'ipaddr':
      text = getIpaddr(one, a.type, a.vendorId);
      break;
    case 'integer':
    case 'date': {
      const n = getInteger(one, a.type, a.vendorId);
      text = n === undefined ? undefined : (spec.values?.[n] ?? `${n}`);
      break;
    }
  }
  return `<${name} ${text ?? `0x${toHex(a.value)}`}>`;
}

/** `Code-Name id=N <attr> …`. */
export function formatPacket(p: RadiusPacket): string {
  const name = CODES.get(p.code)?.name ?? `code-${p.code}`;
  return [`${name} id=${p.identifier}`, ...p.attributes.map(formatAttribute)].join(' ');
}
