// One-line formatter for control messages (log lines, test failure messages, a fuzz target):
// `SCCRQ tid=0 sid=0 ns=0 nr=0 <HostName "lac1"> <AssignedTunnelId 5> …`. Never throws on a decoded message.
// Related: avp-catalogue.ts (names and value kinds), message-catalogue.ts, result-codes.ts.
import { u16, u32 } from '../../core/bytes.js';
import { AVPS, type AvpValueKind, avpName } from './avp-catalogue.js';
import type { ControlHeaderFields, ControlMessage, Fault, RawAvp } from './message.js';
import { messageName } from './message-catalogue.js';

const MAX_TEXT = 64;
const MAX_HEX = 32;

function hex(b: Uint8Array): string {
  let s = '';
  const n = Math.min(b.length, MAX_HEX);
  for (let i = 0; i < n; i++) s += b[i]!.toString(16).padStart(2, '0');
  return b.length > MAX_HEX ? `${s}…(${b.length})` : s;
}

/** Peer text quoted for a log line: printable ASCII kept (`"` and `\\` escaped), the rest `\xNN`, cut at 64 octets. */
export function quotedText(b: Uint8Array): string {
  let s = '"';
  const n = Math.min(b.length, MAX_TEXT);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0x22 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return b.length > MAX_TEXT ? `${s}"…(${b.length})` : `${s}"`;
}

const hex32 = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

/** The value of one AVP in the formatter's notation, by catalogue kind; hex when it does not fit the kind. */
function formatValue(kind: AvpValueKind | undefined, v: Uint8Array): string {
  switch (kind) {
    case 'u16':
    case 'message-type':
      if (v.length === 2) return String(u16(v, 0));
      break;
    case 'u32':
      if (v.length === 4) return String(u32(v, 0));
      break;
    case 'bits32':
      if (v.length === 4) return hex32(u32(v, 0));
      break;
    case 'string':
      return quotedText(v);
    case 'empty':
      if (v.length === 0) return '';
      break;
    case 'protocol-version':
      if (v.length === 2) return `${v[0]}.${v[1]}`;
      break;
    case 'result-code':
      if (v.length === 2) return String(u16(v, 0));
      if (v.length === 4) return `${u16(v, 0)}/${u16(v, 2)}`;
      if (v.length > 4) return `${u16(v, 0)}/${u16(v, 2)} ${quotedText(v.subarray(4))}`;
      break;
    case 'q931-cause':
      if (v.length >= 3) return `cause=${u16(v, 0)} msg=${v[2]}${v.length > 3 ? ` ${quotedText(v.subarray(3))}` : ''}`;
      break;
    case 'call-errors':
      if (v.length === 26) {
        const c = (i: number): number => u32(v, 2 + 4 * i);
        return `crc=${c(0)} framing=${c(1)} hw-overruns=${c(2)} buf-overruns=${c(3)} timeouts=${c(4)} alignment=${c(5)}`;
      }
      break;
    case 'accm':
      if (v.length === 10) return `send=${hex32(u32(v, 2))} recv=${hex32(u32(v, 6))}`;
      break;
    case 'ppp-disconnect-cause':
      if (v.length >= 5) {
        const proto = `0x${u16(v, 2).toString(16).padStart(4, '0')}`;
        return `code=${u16(v, 0)} proto=${proto} dir=${v[4]}${v.length > 5 ? ` ${quotedText(v.subarray(5))}` : ''}`;
      }
      break;
    default:
      break;
  }
  return v.length === 0 ? '' : hex(v);
}

/** One AVP as `<Name value>`; `(H)` marks a hidden AVP (shown unhidden), `(M)`/`(!M)` an M bit unlike the catalogue's. */
export function formatAvp(a: RawAvp): string {
  const spec = a.vendorId === 0 ? AVPS.get(a.type) : undefined;
  let name = avpName(a.vendorId, a.type);
  if (a.hidden) name += '(H)';
  if (spec !== undefined && spec.mandatory !== a.mandatory) name += a.mandatory ? '(M)' : '(!M)';
  const value = formatValue(spec?.kind, a.value);
  return value === '' ? `<${name}>` : `<${name} ${value}>`;
}

/** One line: message name, header fields if given, then every AVP in order. Never throws. */
export function formatControlMessage(msg: ControlMessage, header?: ControlHeaderFields): string {
  let s = messageName(msg.type);
  if (header !== undefined) s += ` tid=${header.tunnelId} sid=${header.sessionId} ns=${header.ns} nr=${header.nr}`;
  for (const a of msg.avps) s += ` ${formatAvp(a)}`;
  return s;
}

/** A fault as one line: `missing-avp scope=tunnel avp=HostName`. */
export function formatFault(fault: Fault): string {
  let s = `${fault.code} scope=${fault.scope}`;
  if (fault.avpType !== undefined) s += ` avp=${avpName(0, fault.avpType)}`;
  if (fault.message !== undefined) s += ` ${JSON.stringify(fault.message)}`;
  return s;
}
