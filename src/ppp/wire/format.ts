// pppd-style one-line packet dumps: "[LCP ConfReq id=0x1 <mru 1400> <magic 0x1a2b3c4d>]"
// (wording after pppd lcp_printpkt, ipcp_printpkt, chap_print_pkt, upap_printpkt). Never throws.
// Related: cp-packet.ts, frame.ts, ../link.ts ('log' events).
import { u8, u16, u32 } from '../../core/bytes.js';
import { formatIpv4 } from '../../core/ipv4.js';
import { decodeFrame } from './frame.js';
import { CP_CODE_NAMES, PppProtocol, PROTOCOL_NAMES } from './protocol-numbers.js';

/** Formats one packet (a PPP Information field under `protocol`) as pppd logs it, brackets included. */
export function formatPacket(protocol: number, info: Uint8Array): string {
  try {
    return `[${formatBody(protocol, info)}]`;
  } catch {
    // Unreachable by construction (every read is bounds-checked); a formatter must never take a link down.
    return `[proto=0x${protocol.toString(16)} ${hexBytes(info, 32)}]`;
  }
}

/** Formats a whole frame (`[FF 03] protocol information`), e.g. for fuzz logs and test messages. */
export function formatFrame(frame: Uint8Array): string {
  const f = decodeFrame(frame);
  if (!f.ok) return `[bad frame: ${f.error}]`;
  return formatPacket(f.protocol, f.information);
}

function formatBody(protocol: number, info: Uint8Array): string {
  switch (protocol) {
    case PppProtocol.Lcp:
    case PppProtocol.Ipcp:
    case PppProtocol.Ipv6cp:
    case PppProtocol.Ccp:
      return formatControl(protocol, info);
    case PppProtocol.Chap:
      return formatChap(info);
    case PppProtocol.Pap:
      return formatPap(info);
    default: {
      const name = PROTOCOL_NAMES.get(protocol);
      const head = name === undefined ? `proto=0x${protocol.toString(16)}` : `${name}`;
      return info.length === 0 ? head : `${head} ${hexBytes(info, 32)}`;
    }
  }
}

/** Code, id and length; `undefined` when the header is unusable (pppd then prints raw bytes). */
function header(info: Uint8Array): { code: number; id: number; end: number } | undefined {
  if (info.length < 4) return undefined;
  const length = u16(info, 2);
  if (length < 4 || length > info.length) return undefined;
  return { code: u8(info, 0), id: u8(info, 1), end: length };
}

function formatControl(protocol: number, info: Uint8Array): string {
  const name = PROTOCOL_NAMES.get(protocol) ?? `0x${protocol.toString(16)}`;
  const h = header(info);
  if (h === undefined) return `${name} ${hexBytes(info, 32)}`.trimEnd();
  const codeName = CP_CODE_NAMES[h.code];
  const lcpOnly = protocol === PppProtocol.Lcp ? 13 : 7;
  let s =
    h.code >= 1 && h.code <= lcpOnly && codeName ? `${name} ${codeName}` : `${name} code=0x${h.code.toString(16)}`;
  s += ` id=0x${h.id.toString(16)}`;
  const data = info.subarray(4, h.end);
  let rest = data;
  if (h.code >= 1 && h.code <= 4) {
    const { text, consumed } = formatOptions(protocol, data);
    s += text;
    rest = data.subarray(consumed);
  } else if (h.code === 5 || h.code === 6) {
    if (data.length > 0 && u8(data, 0) >= 0x20 && u8(data, 0) < 0x7f) {
      s += ` ${quoted(data)}`;
      rest = data.subarray(data.length);
    }
  } else if (protocol === PppProtocol.Lcp && (h.code === 9 || h.code === 10 || h.code === 11)) {
    if (data.length >= 4) {
      s += ` magic=0x${u32(data, 0).toString(16)}`;
      rest = data.subarray(4);
    }
  } else if (protocol === PppProtocol.Lcp && (h.code === 12 || h.code === 13)) {
    if (data.length >= 4) {
      s += ` magic=0x${u32(data, 0).toString(16)}`;
      rest = data.subarray(4);
      if (h.code === 13 && rest.length >= 4) {
        s += ` seconds=${u32(rest, 0)}`;
        rest = rest.subarray(4);
      } else if (h.code === 12) {
        s += ` ${quoted(rest)}`;
        rest = rest.subarray(rest.length);
      }
    }
  }
  if (rest.length > 0) s += ` ${hexBytes(rest, 32)}`;
  return s;
}

/** The option list; stops at the first malformed option (the rest is printed as bytes, like pppd). */
function formatOptions(protocol: number, data: Uint8Array): { text: string; consumed: number } {
  let text = '';
  let at = 0;
  while (at + 2 <= data.length) {
    const type = u8(data, at);
    const length = u8(data, at + 1);
    if (length < 2 || at + length > data.length) break;
    const value = data.subarray(at + 2, at + length);
    text += ` <${formatOption(protocol, type, value)}>`;
    at += length;
  }
  return { text, consumed: at };
}

function formatOption(protocol: number, type: number, v: Uint8Array): string {
  if (protocol === PppProtocol.Lcp) {
    switch (type) {
      case 1:
        if (v.length === 2) return `mru ${u16(v, 0)}`;
        break;
      case 2:
        if (v.length === 4) return `asyncmap 0x${u32(v, 0).toString(16)}`;
        break;
      case 3:
        if (v.length >= 2) {
          const p = u16(v, 0);
          if (p === PppProtocol.Pap) return withRest('auth pap', v.subarray(2));
          if (p === PppProtocol.Chap) {
            const alg = v.length >= 3 ? u8(v, 2) : undefined;
            const algName = alg === 5 ? ' MD5' : alg === 0x80 ? ' MS' : alg === 0x81 ? ' MS-v2' : undefined;
            if (algName !== undefined) return withRest(`auth chap${algName}`, v.subarray(3));
            return withRest('auth chap', v.subarray(2));
          }
          if (p === 0xc227) return withRest('auth eap', v.subarray(2));
          return withRest(`auth 0x${p.toString(16)}`, v.subarray(2));
        }
        break;
      case 4:
        if (v.length >= 2) {
          const p = u16(v, 0);
          return withRest(p === PppProtocol.Lqr ? 'quality lqr' : `quality 0x${p.toString(16)}`, v.subarray(2));
        }
        break;
      case 5:
        if (v.length === 4) return `magic 0x${u32(v, 0).toString(16)}`;
        break;
      case 7:
        if (v.length === 0) return 'pcomp';
        break;
      case 8:
        if (v.length === 0) return 'accomp';
        break;
      case 13:
        if (v.length >= 1) return withRest(`callback ${u8(v, 0)}`, v.subarray(1));
        break;
      case 17:
        if (v.length === 2) return `mrru ${u16(v, 0)}`;
        break;
      case 18:
        if (v.length === 0) return 'ssnhf';
        break;
      case 19:
        if (v.length >= 1) return `endpoint [${endpointText(u8(v, 0), v.subarray(1))}]`;
        break;
    }
  } else if (protocol === PppProtocol.Ipcp) {
    switch (type) {
      case 1:
        if (v.length === 8) return `addrs ${ipv4(v, 0)} ${ipv4(v, 4)}`;
        break;
      case 2:
        if (v.length >= 2) {
          const p = u16(v, 0);
          const name = p === 0x002d ? 'VJ' : p === 0x0037 ? 'old-VJ' : `0x${p.toString(16)}`;
          return withRest(`compress ${name}`, v.subarray(2));
        }
        break;
      case 3:
        if (v.length === 4) return `addr ${ipv4(v, 0)}`;
        break;
      case 129:
      case 131:
        if (v.length === 4) return `ms-dns${type === 129 ? 1 : 2} ${ipv4(v, 0)}`;
        break;
      case 130:
      case 132:
        if (v.length === 4) return `ms-wins ${ipv4(v, 0)}`;
        break;
    }
  } else if (protocol === PppProtocol.Ipv6cp) {
    if (type === 1 && v.length === 8) return `addr ${interfaceIdText(v)}`;
  }
  // pppd prints an option it does not know as its raw octets: "< 11 04 06 4e>".
  return ` ${hexBytes(new Uint8Array([type, v.length + 2]), 2)}${v.length > 0 ? ` ${hexBytes(v, 255)}` : ''}`;
}

function withRest(text: string, rest: Uint8Array): string {
  return rest.length === 0 ? text : `${text} ${hexBytes(rest, 255)}`;
}

/** pppd epdisc_to_str (multilink.c) for the Endpoint-Discriminator option (RFC 1990 §5.1.3). */
function endpointText(cls: number, v: Uint8Array): string {
  const hex = (b: Uint8Array, sep: string): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(sep);
  if (cls === 0) return 'null';
  if (cls === 2 && v.length === 4) return `IP:${ipv4(v, 0)}`;
  if (cls === 3 && v.length === 6) return `MAC:${hex(v, ':')}`;
  if (cls === 1) return `local:${hex(v, '')}`;
  if (cls === 4) return `magic:${hex(v, '')}`;
  if (cls === 5) return `phone:${hex(v, '')}`;
  return `class${cls}:${hex(v, '')}`;
}

/** pppd llv6_ntoa: the link-local address an IPv6CP interface identifier makes. */
function interfaceIdText(v: Uint8Array): string {
  const g = (i: number): string => ((u8(v, i) << 8) | u8(v, i + 1)).toString(16).padStart(4, '0');
  return `fe80::${g(0)}:${g(2)}:${g(4)}:${g(6)}`;
}

function formatChap(info: Uint8Array): string {
  const h = header(info);
  if (h === undefined) return `CHAP ${hexBytes(info, 32)}`.trimEnd();
  const names = ['', 'Challenge', 'Response', 'Success', 'Failure'];
  const name = names[h.code];
  let s = name ? `CHAP ${name}` : `CHAP code=0x${h.code.toString(16)}`;
  s += ` id=0x${h.id.toString(16)}`;
  const data = info.subarray(4, h.end);
  if ((h.code === 1 || h.code === 2) && data.length >= 1 && 1 + u8(data, 0) <= data.length) {
    const size = u8(data, 0);
    const value = data.subarray(1, 1 + size);
    s += ` <${[...value].map((x) => x.toString(16).padStart(2, '0')).join('')}>, name = ${quoted(data.subarray(1 + size))}`;
  } else if (h.code === 3 || h.code === 4) {
    s += ` ${quoted(data)}`;
  } else if (data.length > 0) {
    s += ` ${hexBytes(data, 32)}`;
  }
  return s;
}

function formatPap(info: Uint8Array): string {
  const h = header(info);
  if (h === undefined) return `PAP ${hexBytes(info, 32)}`.trimEnd();
  const names = ['', 'AuthReq', 'AuthAck', 'AuthNak'];
  const name = names[h.code];
  let s = name ? `PAP ${name}` : `PAP code=0x${h.code.toString(16)}`;
  s += ` id=0x${h.id.toString(16)}`;
  const data = info.subarray(4, h.end);
  if (h.code === 1 && data.length >= 1 && 1 + u8(data, 0) < data.length + 1) {
    const userLength = u8(data, 0);
    if (1 + userLength <= data.length) {
      // pppd upap_printpkt: the password is never logged unless `show-password`.
      s += ` user=${quoted(data.subarray(1, 1 + userLength))} password=<hidden>`;
      return s;
    }
  }
  if ((h.code === 2 || h.code === 3) && data.length >= 1) {
    const msgLength = Math.min(u8(data, 0), data.length - 1);
    if (msgLength > 0) s += ` ${quoted(data.subarray(1, 1 + msgLength))}`;
    return s;
  }
  if (data.length > 0) s += ` ${hexBytes(data, 32)}`;
  return s;
}

/** pppd print_string: quoted, printable ASCII kept, \\ and " escaped, the rest as \\ooo. */
function quoted(b: Uint8Array): string {
  let s = '"';
  for (const c of b) {
    if (c >= 0x20 && c <= 0x7e) s += c === 0x5c || c === 0x22 ? `\\${String.fromCharCode(c)}` : String.fromCharCode(c);
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x09) s += '\\t';
    else s += `\\${c.toString(8).padStart(3, '0')}`;
  }
  return `${s}"`;
}

/** Space-separated hex octets, at most `max` of them, then " ..." as pppd does. */
function hexBytes(b: Uint8Array, max: number): string {
  const n = Math.min(b.length, max);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(u8(b, i).toString(16).padStart(2, '0'));
  return parts.join(' ') + (b.length > max ? ' ...' : '');
}

/** Dotted quad of the 4 octets at `at`. */
const ipv4 = (b: Uint8Array, at: number): string => formatIpv4(u32(b, at));
