// Control datagrams as pppd-style dump text, for xl2tpd's `debug avp` / `debug packet` /
// `debug network` (the PPP side is ../ppp/wire/format.ts): `[L2TP SCCRQ tid=0 sid=0 ns=0 nr=0
// <ProtocolVersion 1.0> <HostName "lac1"> …]`, `[L2TP ZLB tid=5 sid=0 ns=3 nr=4]`. Pure, never throws.
// Related: wire/format.ts (AVP values), wire/avp.ts (the cursor), ../lns/l2tp-debug.ts (its user).
//
// Rules. A dump shows the datagram as it is on the wire, read with the AVP cursor, not the decoder:
// a malformed or refused message is dumped too (that is when a dump is wanted), up to the first
// framing error. Hidden AVPs (§4.3) are never unhidden here: the dump shows `(hidden, N octets)`,
// so no value a secret protects reaches a log. The values an offline guess of a secret starts from
// are never shown either, in the AVP text or in the hex dump: Challenge Response (§4.4.3, MD5 over
// the tunnel secret) and Proxy Authen Response (§4.4.5: the user's CHAP response, or the PAP
// password in clear). Peer text is escaped by format.ts (`\xNN`, `\"`, `\\`) and cut; a message
// shows at most MAX_AVPS_SHOWN AVPs and a hex dump at most MAX_PACKET_DUMP octets.
import { u16 } from '../core/bytes.js';
import { AvpCursor } from './wire/avp.js';
import { AvpType, avpName } from './wire/avp-catalogue.js';
import { formatAvp } from './wire/format.js';
import { L2tpHeaderView } from './wire/header.js';
import { messageName } from './wire/message-catalogue.js';

/** AVPs shown per message; the rest are counted (a 64 KiB datagram holds ~10,000 empty AVPs). */
export const MAX_AVPS_SHOWN = 48;
/** Octets of a datagram shown by hexDump; the rest are counted (a control message is ~100-300). */
export const MAX_PACKET_DUMP = 512;

/** AVPs whose value is derived from a secret: their value is never written anywhere. */
const SECRET_DERIVED: ReadonlySet<number> = new Set([AvpType.ChallengeResponse, AvpType.ProxyAuthenResponse]);

const view = new L2tpHeaderView();
const cursor = new AvpCursor(new Uint8Array(0));

function isSecretDerived(c: AvpCursor): boolean {
  return c.vendorId === 0 && SECRET_DERIVED.has(c.type);
}

/** The AVP under the cursor as `<Name value>`. */
function avpText(c: AvpCursor): string {
  const length = c.valueEnd - c.valueAt;
  if (isSecretDerived(c)) return `<${avpName(c.vendorId, c.type)} …>`;
  if (c.hidden) return `<${avpName(c.vendorId, c.type)} (hidden, ${length} octets)>`;
  return formatAvp({ vendorId: c.vendorId, type: c.type, mandatory: c.mandatory, hidden: false, value: c.value });
}

/**
 * A control datagram as one dump, brackets included: `[L2TP ICRQ tid=5 sid=0 ns=1 nr=1 <…> …]`,
 * `[L2TP ZLB tid=5 sid=0 ns=2 nr=3]`. `withAvps` false: the message name and header only.
 * Undefined for a data message; a datagram that is not L2TPv2 is `[L2TP bad header: <why>]`.
 */
export function describeControlDatagram(bytes: Uint8Array, withAvps = true): string | undefined {
  const v = view;
  const err = v.wrap(bytes);
  if (err !== undefined) return `[L2TP bad header: ${err}]`;
  if (!v.isControl) return undefined;
  const head = `tid=${v.tunnelId} sid=${v.sessionId} ns=${v.ns} nr=${v.nr}`;
  const body = v.body;
  if (body.length === 0) return `[L2TP ZLB ${head}]`;
  const c = cursor;
  c.reset(body);
  try {
    let name = 'no-message-type';
    let has = c.next();
    if (has && c.vendorId === 0 && c.type === AvpType.MessageType && !c.hidden && c.valueEnd - c.valueAt === 2) {
      name = messageName(u16(body, c.valueAt));
      has = c.next();
    }
    let s = `L2TP ${name} ${head}`;
    if (!withAvps) return `[${s}]`;
    let shown = 0;
    let more = 0;
    for (; has; has = c.next()) {
      if (shown < MAX_AVPS_SHOWN) {
        s += ` ${avpText(c)}`;
        shown++;
      } else more++;
    }
    if (more > 0) s += ` …(${more} more AVPs)`;
    if (c.error !== undefined) s += ` <malformed: ${c.error} at octet ${c.offset}>`;
    return `[${s}]`;
  } finally {
    c.reset(EMPTY); // do not keep the caller's buffer alive
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The first MAX_PACKET_DUMP octets as hex pairs (`c8 02 00 14 …`), then `…(+N)`. In a control
 * message the values of secret-derived AVPs are masked as `**` (see the rules above).
 */
export function hexDump(bytes: Uint8Array, max = MAX_PACKET_DUMP): string {
  const masked = maskedRanges(bytes);
  const n = Math.min(bytes.length, max);
  const parts: string[] = new Array(n);
  let r = 0;
  for (let i = 0; i < n; i++) {
    while (r < masked.length && masked[r]![1] <= i) r++;
    const inMask = r < masked.length && masked[r]![0] <= i;
    parts[i] = inMask ? '**' : bytes[i]!.toString(16).padStart(2, '0');
  }
  const s = parts.join(' ');
  return bytes.length > n ? `${s} …(+${bytes.length - n})` : s;
}

/** [start, end) of every secret-derived AVP value in a control datagram, ascending. */
function maskedRanges(bytes: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  const v = view;
  if (v.wrap(bytes) !== undefined || !v.isControl) return out;
  const at = v.bodyOffset;
  const c = cursor;
  c.reset(v.body);
  try {
    while (c.next()) if (isSecretDerived(c)) out.push([at + c.valueAt, at + c.valueEnd]);
  } finally {
    c.reset(EMPTY);
  }
  return out;
}

/**
 * One datagram in a few words (xl2tpd `debug network`: size, tunnel, call): `control tid=5
 * sid=0 ns=1 nr=2`, `data tid=5 sid=17`, or `not L2TPv2 (truncated)`.
 */
export function datagramSummary(bytes: Uint8Array): string {
  const v = view;
  const err = v.wrap(bytes);
  if (err !== undefined) return `not L2TPv2 (${err})`;
  if (!v.isControl) return `data tid=${v.tunnelId} sid=${v.sessionId}`;
  return `${v.body.length === 0 ? 'ZLB' : 'control'} tid=${v.tunnelId} sid=${v.sessionId} ns=${v.ns} nr=${v.nr}`;
}
