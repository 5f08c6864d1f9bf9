// The LNS role of the fuzzer (issue 14 item 2): a mutating LNS, so that L2TP *clients* can be
// fuzzed. A real LnsEngine negotiates as usual (RFC 2661 tunnel and call, RFC 1661 LCP, RFC 1994 /
// 2759 CHAP, RFC 1334 PAP, RFC 1332 IPCP, RFC 5072 IPv6CP); a case names which of its outgoing
// datagrams to corrupt, and how. Because the engine really negotiates, a rule can wait for a deep
// state — the n-th IPCP packet, the CHAP Success, the StopCCN of the teardown — before it mutates,
// which is where pppd's option parsers live (CVE-2020-8597 was in the EAP one). Sans-IO: bytes,
// `now` and a seeded Random in, bytes out. Related: lns-role-run.ts (oracles and the in-process
// run), ../io/fuzz-lns-role.ts (over UDP), fuzz-case.ts (the LAC-role Mutation reused here).
import type { Engine, PeerAddress, Transmit } from '../core/engine.js';
import type { SeededRandom } from '../core/seeded-random.js';
import type { Instant } from '../core/time.js';
import { CONTROL_HEADER_LENGTH } from '../l2tp/wire/header.js';
import { decodeControlMessage, encodeControlPacket, type RawAvp } from '../l2tp/wire/message.js';
import { MessageType } from '../l2tp/wire/message-catalogue.js';
import type { LnsEngine, LnsEvent } from '../lns/lns.js';
import type { Mutation } from './fuzz-case.js';
import { randomMutation } from './generate.js';

/** What a rule waits for: an L2TP control message of the LNS, or a PPP packet of a protocol. */
export type RoleTarget =
  | 'SCCRP'
  | 'ICRP'
  | 'HELLO'
  | 'ZLB'
  | 'CDN'
  | 'StopCCN'
  | 'LCP'
  | 'CHAP'
  | 'PAP'
  | 'IPCP'
  | 'IPV6CP'
  /** Any datagram. */
  | 'ANY';

/** A change to a PPP packet (code, identifier, length, data) inside a data message. */
export type PppMutation =
  /** Adds `delta` to the PPP Length field. */
  | { readonly op: 'ppp-length'; readonly delta: number }
  /** Sets the Length octet of the `index`-th option (modulo the count) of a Configure-* packet. */
  | { readonly op: 'option-length'; readonly index: number; readonly value: number }
  /** Appends an option of `type` with `size` octets of value (Length fixed up). */
  | { readonly op: 'unknown-option'; readonly type: number; readonly size: number }
  /** Sets the Code octet. */
  | { readonly op: 'ppp-code'; readonly value: number }
  /** CHAP Challenge/Response: sets the Value-Size octet (RFC 1994 §4.1) — larger than the packet is the classic overread. */
  | { readonly op: 'value-size'; readonly value: number }
  /** Cuts the PPP packet to `length` octets (the L2TP header's Length fixed up). */
  | { readonly op: 'ppp-truncate'; readonly length: number }
  | { readonly op: 'ppp-flip'; readonly bit: number }
  /** Pads the PPP packet with 0x5a up to `octets` (PPP Length fixed up): past any MRU. */
  | { readonly op: 'ppp-oversize'; readonly octets: number };

/** One operation of a rule: an L2TP-level Mutation, a PPP-level one, or the datagram dropped or sent twice. */
export type RoleOp = Mutation | PppMutation | { readonly op: 'drop' } | { readonly op: 'duplicate' };

/** When the `nth` (from 0) datagram of `target` goes out, apply `ops` to it (once). */
export interface RoleRule {
  readonly target: RoleTarget;
  readonly nth: number;
  readonly ops: readonly RoleOp[];
}

/** A case of the LNS role: its rules (several may fire in one call). */
export interface LnsRoleCase {
  readonly family: string;
  readonly rules: readonly RoleRule[];
}

const PPP_PROTOCOLS: Readonly<Record<number, RoleTarget>> = {
  49185: 'LCP',
  49699: 'CHAP',
  49187: 'PAP',
  32801: 'IPCP',
  32855: 'IPV6CP',
};

const CONTROL_NAMES: Readonly<Record<number, RoleTarget>> = {
  [MessageType.SCCRP]: 'SCCRP',
  [MessageType.ICRP]: 'ICRP',
  [MessageType.HELLO]: 'HELLO',
  [MessageType.CDN]: 'CDN',
  [MessageType.StopCCN]: 'StopCCN',
};

/** Where the PPP packet of a data message starts, and its protocol; undefined for control messages. */
interface DataLayout {
  /** Offset of the L2TP payload (after the data header and any offset pad). */
  readonly payload: number;
  /** Offset of the PPP packet (code, id, length). */
  readonly ppp: number;
  readonly protocol: number;
}

function dataLayout(b: Uint8Array): DataLayout | undefined {
  if (b.length < 6 || (b[0]! & 0x80) !== 0) return undefined;
  const flags = (b[0]! << 8) | b[1]!;
  let at = 2;
  if (flags & 0x4000) at += 2; // L
  at += 4; // Tunnel ID, Session ID
  if (flags & 0x0800) at += 4; // S: Ns, Nr
  if (flags & 0x0200) {
    if (at + 2 > b.length) return undefined;
    at += 2 + ((b[at]! << 8) | b[at + 1]!); // O: Offset Size + pad
  }
  const payload = at;
  if (at + 1 < b.length && b[at] === 0xff && b[at + 1] === 0x03) at += 2; // address/control (no ACFC)
  if (at >= b.length) return undefined;
  let protocol = b[at]!;
  if ((protocol & 1) === 0) {
    if (at + 1 >= b.length) return undefined;
    protocol = (protocol << 8) | b[at + 1]!;
    at += 2;
  } else at += 1; // PFC
  return { payload, ppp: at, protocol };
}

/** The target class of an LNS datagram. */
export function classify(b: Uint8Array): RoleTarget | undefined {
  if (b.length >= CONTROL_HEADER_LENGTH && (b[0]! & 0x80) !== 0) {
    if (b.length === CONTROL_HEADER_LENGTH) return 'ZLB';
    // Message Type AVP first (§4.1): its value at 12 + 6.
    const type = b.length >= 20 ? (b[18]! << 8) | b[19]! : -1;
    return CONTROL_NAMES[type];
  }
  const d = dataLayout(b);
  return d === undefined ? undefined : PPP_PROTOCOLS[d.protocol];
}

const isPpp = (op: RoleOp): op is PppMutation => op.op.startsWith('ppp-') || PPP_ONLY.has(op.op);
const PPP_ONLY = new Set(['option-length', 'unknown-option', 'value-size']);

/**
 * `bytes` (one datagram of our LNS) with `ops` applied: control messages are decoded, changed at
 * AVP and header level, re-encoded, then changed byte by byte; data messages get the PPP ops.
 * Ops that do not apply to the datagram are skipped. Returns the datagrams to send (0, 1 or 2).
 */
export function mutateOutgoing(bytes: Uint8Array, ops: readonly RoleOp[], random: SeededRandom): Uint8Array[] {
  if (ops.some((o) => o.op === 'drop')) return [];
  const twice = ops.some((o) => o.op === 'duplicate');
  let out = bytes;
  const l2tp = ops.filter((o): o is Mutation => o.op !== 'drop' && o.op !== 'duplicate' && !isPpp(o));
  const ppp = ops.filter(isPpp);
  if ((bytes[0]! & 0x80) !== 0) out = mutateControl(bytes, l2tp, random);
  else {
    if (ppp.length > 0) out = mutatePpp(bytes, ppp);
    out = byteLevel(out, l2tp);
  }
  return twice ? [out, out.slice()] : [out];
}

function mutateControl(bytes: Uint8Array, ms: readonly Mutation[], random: SeededRandom): Uint8Array {
  if (bytes.length < CONTROL_HEADER_LENGTH) return byteLevel(bytes, ms);
  const u16 = (at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
  let tunnelId = u16(4);
  let sessionId = u16(6);
  let ns = u16(8);
  let nr = u16(10);
  let out: Uint8Array = bytes.slice();
  if (bytes.length > CONTROL_HEADER_LENGTH) {
    const d = decodeControlMessage(bytes.subarray(CONTROL_HEADER_LENGTH));
    if (d.ok) {
      const avps: RawAvp[] = [...d.value.avps];
      let oversize = 0;
      for (const m of ms) {
        switch (m.op) {
          case 'drop-avp':
            if (avps.length > 0) avps.splice(m.index % avps.length, 1);
            break;
          case 'dup-avp':
            if (avps.length > 0) avps.splice(m.index % avps.length, 0, avps[m.index % avps.length]!);
            break;
          case 'swap-avps':
            if (avps.length > 1) {
              const i = m.i % avps.length;
              const j = m.j % avps.length;
              const t = avps[i]!;
              avps[i] = avps[j]!;
              avps[j] = t;
            }
            break;
          case 'unknown-avp':
            avps.push({ vendorId: m.vendorId, type: m.type, mandatory: m.mandatory, hidden: false, value: DEAD });
            break;
          case 'oversize':
            oversize = Math.max(oversize, Math.min(m.octets, 65_000));
            break;
          default:
            break;
        }
      }
      let size = CONTROL_HEADER_LENGTH + 8 + avps.reduce((n, a) => n + 6 + a.value.length, 0);
      while (size + 1023 <= oversize) {
        avps.push({ vendorId: 0x7fff, type: 1, mandatory: false, hidden: false, value: PAD_1017 });
        size += 1023;
      }
      for (const m of ms) {
        if (m.op === 'ns') ns = (ns + m.delta) & 0xffff;
        else if (m.op === 'nr') nr = (nr + m.delta) & 0xffff;
        else if (m.op === 'tunnel-id') tunnelId = m.value & 0xffff;
        else if (m.op === 'session-id') sessionId = m.value & 0xffff;
      }
      // Hidden AVPs (§4.3) need the secret; without one a "hidden" AVP is sent with a wrong one.
      const hide = ms.find((m) => m.op === 'hide-avp');
      if (hide !== undefined && avps.length > 0) {
        const i = hide.index % avps.length;
        if (avps[i]!.type !== 0 || avps[i]!.vendorId !== 0) avps[i] = { ...avps[i]!, hidden: true };
      }
      const hides = avps.some((a) => a.hidden);
      try {
        out = encodeControlPacket(
          { tunnelId, sessionId, ns, nr },
          { type: d.value.type, avps },
          hides ? { secret: WRONG_SECRET, random } : undefined,
        );
      } catch {
        // An AVP grew past 1023 octets by duplication of a large one: keep the clean bytes.
        out = bytes.slice();
      }
    }
  } else {
    for (const m of ms) {
      if (m.op === 'ns') ns = (ns + m.delta) & 0xffff;
      else if (m.op === 'nr') nr = (nr + m.delta) & 0xffff;
      else if (m.op === 'tunnel-id') tunnelId = m.value & 0xffff;
    }
    out[4] = tunnelId >> 8;
    out[5] = tunnelId & 0xff;
    out[8] = ns >> 8;
    out[9] = ns & 0xff;
    out[10] = nr >> 8;
    out[11] = nr & 0xff;
  }
  return byteLevel(out, ms);
}

/** The byte-level Mutations (avp-length, truncate, flip, version) on any datagram. */
function byteLevel(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let out = bytes;
  for (const m of ms) {
    switch (m.op) {
      case 'avp-length': {
        const at = avpOffset(out, m.index);
        if (at !== undefined) {
          const word = (out[at]! << 8) | out[at + 1]!;
          const length = ((word & 0x3ff) + m.delta) & 0x3ff;
          out[at] = ((word >> 8) & 0xfc) | (length >> 8);
          out[at + 1] = length & 0xff;
        }
        break;
      }
      case 'truncate':
        out = out.slice(0, Math.min(m.length, Math.max(0, out.length - 1)));
        break;
      case 'flip':
        if (out.length > 0) out[(m.bit >> 3) % out.length]! ^= 0x80 >> (m.bit & 7);
        break;
      case 'version':
        if (out.length > 1) out[1] = (out[1]! & 0xf0) | (m.value & 0x0f);
        break;
      default:
        break;
    }
  }
  return out;
}

function avpOffset(packet: Uint8Array, index: number): number | undefined {
  if ((packet[0]! & 0x80) === 0) return undefined;
  const starts: number[] = [];
  let at = CONTROL_HEADER_LENGTH;
  while (at + 6 <= packet.length) {
    const len = ((packet[at]! << 8) | packet[at + 1]!) & 0x3ff;
    starts.push(at);
    if (len < 6) break;
    at += len;
  }
  return starts.length === 0 ? undefined : starts[index % starts.length];
}

/** PPP ops on the data message `bytes`; the L2TP Length field (L bit) follows the new size. */
function mutatePpp(bytes: Uint8Array, ops: readonly PppMutation[]): Uint8Array {
  const d = dataLayout(bytes);
  if (d === undefined || d.ppp + 4 > bytes.length) return bytes;
  const head = bytes.subarray(0, d.ppp);
  let p = bytes.slice(d.ppp);
  const setLength = (n: number): void => {
    p[2] = (n >> 8) & 0xff;
    p[3] = n & 0xff;
  };
  const length = (): number => (p[2]! << 8) | p[3]!;
  for (const o of ops) {
    switch (o.op) {
      case 'ppp-length':
        setLength((length() + o.delta) & 0xffff);
        break;
      case 'ppp-code':
        p[0] = o.value & 0xff;
        break;
      case 'value-size':
        if (d.protocol === 0xc223 && (p[0] === 1 || p[0] === 2) && p.length > 4) p[4] = o.value & 0xff;
        break;
      case 'option-length': {
        if (p[0]! < 1 || p[0]! > 4 || d.protocol === 0xc223 || d.protocol === 0xc023) break;
        const starts: number[] = [];
        for (let at = 4; at + 2 <= p.length; ) {
          starts.push(at);
          const len = p[at + 1]!;
          if (len < 2) break;
          at += len;
        }
        if (starts.length > 0) p[starts[o.index % starts.length]! + 1] = o.value & 0xff;
        break;
      }
      case 'unknown-option': {
        const size = Math.max(0, Math.min(o.size, 253));
        const grown = new Uint8Array(p.length + 2 + size);
        grown.set(p);
        grown[p.length] = o.type & 0xff;
        grown[p.length + 1] = 2 + size;
        grown.fill(0xa5, p.length + 2);
        p = grown;
        setLength(Math.min(0xffff, length() + 2 + size));
        break;
      }
      case 'ppp-truncate':
        p = p.slice(0, Math.min(o.length, Math.max(0, p.length - 1)));
        break;
      case 'ppp-flip':
        if (p.length > 0) p[(o.bit >> 3) % p.length]! ^= 0x80 >> (o.bit & 7);
        break;
      case 'ppp-oversize': {
        const target = Math.min(Math.max(o.octets, p.length), 65_000);
        const grown = new Uint8Array(target);
        grown.set(p);
        grown.fill(0x5a, p.length);
        p = grown;
        if (p.length >= 4) setLength(Math.min(0xffff, p.length));
        break;
      }
    }
  }
  const out = new Uint8Array(head.length + p.length);
  out.set(head);
  out.set(p, head.length);
  if ((out[0]! & 0x40) !== 0 && out.length <= 0xffff) {
    out[2] = out.length >> 8;
    out[3] = out.length & 0xff;
  }
  return out;
}

const DEAD = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
const PAD_1017 = new Uint8Array(1017).fill(0x5a);
const WRONG_SECRET = new TextEncoder().encode('not-the-secret');

// --- The generator ---

/** Where a rule may wait, weighted: PPP configuration and authentication are the deep, parser-rich states. */
const TARGETS: readonly [RoleTarget, number][] = [
  ['SCCRP', 14],
  ['ICRP', 12],
  ['ZLB', 4],
  ['HELLO', 2],
  ['CDN', 4],
  ['StopCCN', 4],
  ['LCP', 18],
  ['CHAP', 14],
  ['PAP', 2],
  ['IPCP', 16],
  ['IPV6CP', 4],
  ['ANY', 6],
];

const PPP_TARGETS = new Set<RoleTarget>(['LCP', 'CHAP', 'PAP', 'IPCP', 'IPV6CP']);

function pick<T>(r: SeededRandom, weighted: readonly [T, number][]): T {
  let w = r.int(
    1,
    weighted.reduce((n, [, k]) => n + k, 0),
  );
  for (const [v, k] of weighted) {
    w -= k;
    if (w <= 0) return v;
  }
  return weighted[weighted.length - 1]![0];
}

/** One random PPP mutation. */
export function randomPppMutation(r: SeededRandom): PppMutation {
  switch (r.int(0, 7)) {
    case 0:
      return { op: 'ppp-length', delta: r.pick([1, 2, 4, 0xfffc, 0xffff, 0x1000]) };
    case 1:
      return { op: 'option-length', index: r.int(0, 7), value: r.pick([0, 1, 2, 3, 5, 255]) };
    case 2:
      return { op: 'unknown-option', type: r.pick([0, 0xff, 0x7f, r.int(0, 255)]), size: r.pick([0, 1, 4, 200]) };
    case 3:
      return { op: 'ppp-code', value: r.pick([0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 255]) };
    case 4:
      return { op: 'value-size', value: r.pick([0, 1, 17, 49, 200, 255]) };
    case 5:
      return { op: 'ppp-truncate', length: r.int(0, 12) };
    case 6:
      return { op: 'ppp-flip', bit: r.int(0, 8 * 40) };
    default:
      return { op: 'ppp-oversize', octets: r.pick([1500, 1501, 4096, 16_000]) };
  }
}

/** A case from `r` (seeded per case, so case N regenerates alone). */
export function generateLnsRoleCase(r: SeededRandom): LnsRoleCase {
  const family = r.chance(0.05) ? 'clean' : r.chance(0.2) ? 'loss' : PPP_FAMILY_CHANCE(r) ? 'ppp' : 'l2tp';
  if (family === 'clean') return { family, rules: [] };
  const rules: RoleRule[] = [];
  const count = r.int(1, 3);
  for (let i = 0; i < count; i++) {
    let target = pick(r, TARGETS);
    if (family === 'ppp' && !PPP_TARGETS.has(target)) target = r.pick(['LCP', 'CHAP', 'IPCP', 'IPV6CP']);
    const nth = r.chance(0.6) ? 0 : r.int(1, 4);
    const ops: RoleOp[] = [];
    if (family === 'loss') ops.push(r.chance(0.7) ? { op: 'drop' } : { op: 'duplicate' });
    else {
      const n = r.int(1, 2);
      for (let k = 0; k < n; k++) {
        ops.push(PPP_TARGETS.has(target) && r.chance(0.8) ? randomPppMutation(r) : randomMutation(r));
      }
    }
    rules.push({ target, nth, ops });
  }
  return { family, rules };
}

const PPP_FAMILY_CHANCE = (r: SeededRandom): boolean => r.chance(0.5);

// --- The mutating engine ---

/** What the mutating LNS saw of a call: states reached and rules fired, for the campaign's report. */
export interface RoleProgress {
  /** Kinds of datagram the LNS sent (SCCRP, LCP, CHAP, …), in first-seen order. */
  readonly sent: RoleTarget[];
  /** Deepest LNS event: tunnel-up < session-negotiating … < session-up; and teardown. */
  readonly events: string[];
  /** Rules that fired (index into the case's rules). */
  readonly fired: number[];
}

/**
 * An LnsEngine whose outgoing datagrams pass through the case's rules. The inner engine is told
 * nothing: a dropped or corrupted message is, to it, a message the network lost or broke, so its
 * own retransmission sends the clean one later (a corruption happens once, as on a real link).
 */
export class MutatingLns implements Engine<LnsEvent> {
  private readonly counts = new Map<RoleTarget, number>();
  private readonly out: Transmit[] = [];
  private readonly firedSet = new Set<number>();
  readonly progress: RoleProgress = { sent: [], events: [], fired: [] };
  /** While false the engine forwards datagrams untouched (a liveness call after the case). */
  enabled = true;

  constructor(
    readonly inner: LnsEngine,
    private rules: readonly RoleRule[],
    private readonly random: SeededRandom,
  ) {}

  /** Starts a new case on the same engine: counts and progress reset. */
  reset(rules: readonly RoleRule[]): void {
    this.rules = rules;
    this.counts.clear();
    this.firedSet.clear();
    this.out.length = 0;
    this.progress.sent.length = 0;
    this.progress.events.length = 0;
    this.progress.fired.length = 0;
  }

  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void {
    this.inner.handleDatagram(bytes, from, now);
  }

  handleTimeout(now: Instant): void {
    this.inner.handleTimeout(now);
  }

  pollTimeout(): Instant | undefined {
    return this.inner.pollTimeout();
  }

  pollEvent(): LnsEvent | undefined {
    const e = this.inner.pollEvent();
    if (e !== undefined && e.type !== 'log' && !this.progress.events.includes(e.type))
      this.progress.events.push(e.type);
    return e;
  }

  pollTransmit(): Transmit | undefined {
    for (;;) {
      const queued = this.out.shift();
      if (queued !== undefined) return queued;
      const t = this.inner.pollTransmit();
      if (t === undefined) return undefined;
      const kind = classify(t.bytes);
      if (kind !== undefined && !this.progress.sent.includes(kind)) this.progress.sent.push(kind);
      const ops = this.enabled ? this.opsFor(kind) : [];
      if (ops.length === 0) return t;
      for (const bytes of mutateOutgoing(t.bytes, ops, this.random)) this.out.push({ to: t.to, bytes });
    }
  }

  /** The ops of every rule that waits for this occurrence of `kind` (or of any datagram). */
  private opsFor(kind: RoleTarget | undefined): RoleOp[] {
    const ops: RoleOp[] = [];
    const nKind = kind === undefined ? -1 : (this.counts.get(kind) ?? 0);
    if (kind !== undefined) this.counts.set(kind, nKind + 1);
    const nAny = this.counts.get('ANY') ?? 0;
    this.counts.set('ANY', nAny + 1);
    this.rules.forEach((rule, i) => {
      if (this.firedSet.has(i)) return;
      const hit = rule.target === 'ANY' ? rule.nth === nAny : rule.target === kind && rule.nth === nKind;
      if (!hit) return;
      this.firedSet.add(i);
      this.progress.fired.push(i);
      ops.push(...rule.ops);
    });
    return ops;
  }
}
