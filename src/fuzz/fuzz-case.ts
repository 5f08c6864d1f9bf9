// A fuzz case as a plain JSON-able value: a sequence of symbolic steps (a message of the LAC side of
// an RFC 2661 §5.1/§5.2 exchange plus mutations, a duplicate, a data message or raw garbage).
// Header fields are resolved against the live conversation, so a case replays against any target.
// Related: generate.ts (makes cases), conversation.ts (runs them), shrink.ts (minimizes them).

/** The LAC-side messages the driver knows how to build (RFC 2661 §6). */
export type MessageStepKind = 'SCCRQ' | 'SCCCN' | 'HELLO' | 'ICRQ' | 'ICCN' | 'CDN' | 'StopCCN';

/** The canonical order of a clean tunnel + session setup and teardown. */
export const CANONICAL: readonly MessageStepKind[] = ['SCCRQ', 'SCCCN', 'ICRQ', 'ICCN', 'HELLO', 'CDN', 'StopCCN'];

/** One change to a message: AVP-level (before encoding), header-level, or byte-level (after encoding). */
export type Mutation =
  | { readonly op: 'drop-avp'; readonly index: number }
  | { readonly op: 'dup-avp'; readonly index: number }
  | { readonly op: 'swap-avps'; readonly i: number; readonly j: number }
  /** An AVP the RFC does not define (vendor 0 type ≥ 0x7f00, or a private vendor). */
  | { readonly op: 'unknown-avp'; readonly type: number; readonly vendorId: number; readonly mandatory: boolean }
  /** Hide AVP `index` (§4.3) with the right secret, or a wrong one. */
  | { readonly op: 'hide-avp'; readonly index: number; readonly wrongSecret: boolean }
  /** Unknown M=0 AVPs until the message is about `octets` long. */
  | { readonly op: 'oversize'; readonly octets: number }
  | { readonly op: 'ns'; readonly delta: number }
  | { readonly op: 'nr'; readonly delta: number }
  | { readonly op: 'tunnel-id'; readonly value: number }
  | { readonly op: 'session-id'; readonly value: number }
  /** Adds `delta` to the Length field of the AVP at wire position `index` (0 = Message Type). */
  | { readonly op: 'avp-length'; readonly index: number; readonly delta: number }
  | { readonly op: 'truncate'; readonly length: number }
  | { readonly op: 'flip'; readonly bit: number }
  | { readonly op: 'version'; readonly value: number };

/** One datagram of a case. */
export type FuzzStep =
  | { readonly kind: MessageStepKind; readonly mutations?: readonly Mutation[] }
  /** The previous datagram again, byte for byte (a retransmission or a duplicate). */
  | { readonly kind: 'repeat' }
  /** A data message; an absent Tunnel ID means the live tunnel, Session ID -1 the live session (PPP fuzzing). */
  | { readonly kind: 'data'; readonly tunnelId?: number; readonly sessionId: number; readonly payloadHex: string }
  | { readonly kind: 'garbage'; readonly hex: string };

/** A case: its steps and where it came from. */
export interface FuzzCase {
  readonly family: string;
  readonly steps: readonly FuzzStep[];
}

/** The kinds of failure the oracles report; a shrink keeps the kind. */
export type FindingKind =
  | 'crash' // the in-process target threw, or its internal-error guard tripped
  | 'liveness' // a fresh normal tunnel + session setup failed after the case
  | 'leak' // in-process: tunnels or sessions remained after teardown and quiet time
  | 'reply-malformed' // a reply does not parse or decode (Message Type first, required AVPs)
  | 'reply-tunnel-id' // a reply addressed to a Tunnel ID we never assigned
  | 'nr-ack' // Nr acknowledges a message we never sent (§5.8)
  | 'second-tunnel' // a retransmitted SCCRQ got an SCCRP with another Assigned Tunnel ID (§5.8)
  | 'teardown-result' // unknown M=1 AVP: no StopCCN/CDN, or not Result 2 / Error 8 (§4.1, §4.4.2)
  | 'not-ignored' // unknown M=0 AVP (or a correctly hidden one) was not ignored (§4.1)
  | 'garbage-reply'; // a reply to a datagram the RFC says to discard (§3.1)

/** One failure: what, at which step, in words. */
export interface Finding {
  readonly kind: FindingKind;
  readonly step: number;
  readonly message: string;
}

/** A datagram on the wire during a run, for the replay file. */
export interface WireRecord {
  readonly dir: 'sent' | 'received';
  readonly step: number;
  readonly hex: string;
  readonly summary: string;
}

/** The replay file (`--replay FILE`): the case, the finding it reproduces, and the datagrams as seen. */
export interface SavedCase {
  readonly format: 'l2tp-ts-fuzz-case/1';
  readonly target: string;
  readonly seed: number;
  readonly caseIndex: number;
  readonly secret?: string;
  readonly expect: Finding;
  readonly case: FuzzCase;
  readonly wire: readonly WireRecord[];
  /** Regression vectors only: 'open' while the bug reproduces, 'fixed' once it must not. */
  readonly status?: 'open' | 'fixed';
  /** Regression vectors only: where the bug is (file:line) and why it is one. */
  readonly bug?: string;
  /** How far the after-case setup was checked when recorded ('icrp' for an LNS whose PPP cannot start). */
  readonly liveness?: 'iccn' | 'icrp';
  /** Peer cases (test/fuzz/cases/): the peer and version the case was recorded against, and the RFC clause. */
  readonly peer?: { readonly name: string; readonly version: string; readonly clause: string };
}

const STEP_KINDS = new Set<string>([...CANONICAL, 'repeat', 'data', 'garbage']);
const FINDING_KINDS = new Set<string>([
  'crash',
  'liveness',
  'leak',
  'reply-malformed',
  'reply-tunnel-id',
  'nr-ack',
  'second-tunnel',
  'teardown-result',
  'not-ignored',
  'garbage-reply',
]);

/**
 * Parses a replay file; throws Error naming the first field that is wrong. A case file comes from
 * anywhere (a bug report, a download), so every field the replay reads is checked here: nothing
 * later may meet a missing step list, a step kind the driver cannot build or a summary that is no
 * string.
 */
export function parseSavedCase(text: string): SavedCase {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(v)) throw new Error('not an l2tp-ts fuzz case (not a JSON object)');
  if (v.format !== 'l2tp-ts-fuzz-case/1') throw new Error(`not an l2tp-ts fuzz case (format ${String(v.format)})`);
  need(typeof v.target === 'string', 'target must be a string');
  need(isU32(v.seed), 'seed must be an integer 0..2^32-1');
  need(isU32(v.caseIndex), 'caseIndex must be an integer 0..2^32-1');
  need(v.secret === undefined || typeof v.secret === 'string', 'secret must be a string');
  if (!isObject(v.expect) || typeof v.expect.kind !== 'string') throw new Error('fuzz case without expect.kind');
  need(FINDING_KINDS.has(v.expect.kind), `expect.kind ${JSON.stringify(v.expect.kind)} is not a finding kind`);
  need(Number.isInteger(v.expect.step), 'expect.step must be an integer');
  need(typeof v.expect.message === 'string', 'expect.message must be a string');
  if (!isObject(v.case) || !Array.isArray(v.case.steps)) throw new Error('fuzz case without steps');
  need(typeof v.case.family === 'string', 'case.family must be a string');
  for (const [i, s] of (v.case.steps as unknown[]).entries()) checkStep(s, `case.steps[${i}]`);
  need(Array.isArray(v.wire), 'wire must be an array');
  for (const [i, w] of (v.wire as unknown[]).entries()) {
    const at = `wire[${i}]`;
    need(isObject(w), `${at} must be an object`);
    const r = w as Record<string, unknown>;
    need(r.dir === 'sent' || r.dir === 'received', `${at}.dir must be "sent" or "received"`);
    need(Number.isInteger(r.step), `${at}.step must be an integer`);
    need(typeof r.hex === 'string' && /^[0-9a-fA-F]*$/.test(r.hex), `${at}.hex must be a hex string`);
    need(typeof r.summary === 'string', `${at}.summary must be a string`);
  }
  need(v.status === undefined || v.status === 'open' || v.status === 'fixed', 'status must be "open" or "fixed"');
  need(v.bug === undefined || typeof v.bug === 'string', 'bug must be a string');
  need(v.liveness === undefined || v.liveness === 'iccn' || v.liveness === 'icrp', 'liveness must be "iccn" or "icrp"');
  if (v.peer !== undefined) {
    need(isObject(v.peer), 'peer must be an object {name, version, clause}');
    const p = v.peer as Record<string, unknown>;
    for (const k of ['name', 'version', 'clause'] as const) {
      need(typeof p[k] === 'string' && p[k] !== '', `peer.${k} must be a non-empty string`);
    }
  }
  return v as unknown as SavedCase;
}

/** One step: a kind the driver builds, and the fields that kind reads. */
function checkStep(s: unknown, at: string): void {
  need(isObject(s), `${at} must be an object`);
  const step = s as Record<string, unknown>;
  const kind = step.kind;
  need(typeof kind === 'string' && STEP_KINDS.has(kind), `${at}.kind ${JSON.stringify(kind)} is not a step kind`);
  if (kind === 'data') {
    need(
      Number.isInteger(step.sessionId) && (step.sessionId as number) >= -1,
      `${at}.sessionId must be an integer ≥ -1`,
    );
    need(step.tunnelId === undefined || isU16(step.tunnelId), `${at}.tunnelId must be an integer 0..65535`);
    need(typeof step.payloadHex === 'string', `${at}.payloadHex must be a string`);
  } else if (kind === 'garbage') {
    need(typeof step.hex === 'string', `${at}.hex must be a string`);
  } else if (kind !== 'repeat' && step.mutations !== undefined) {
    need(Array.isArray(step.mutations), `${at}.mutations must be an array`);
    for (const [j, m] of (step.mutations as unknown[]).entries()) checkMutation(m, `${at}.mutations[${j}]`);
  }
}

/**
 * Each mutation's fields and their ranges: indexes and bit positions are non-negative (the builder
 * takes them modulo the AVP count or the length), deltas may be negative, and an unknown AVP's
 * Attribute Type and Vendor ID are 16 bits (RFC 2661 §4.1).
 */
const MUTATION_FIELDS: Record<Mutation['op'], Record<string, 'u16' | 'index' | 'delta' | 'boolean'>> = {
  'drop-avp': { index: 'index' },
  'dup-avp': { index: 'index' },
  'swap-avps': { i: 'index', j: 'index' },
  'unknown-avp': { type: 'u16', vendorId: 'u16', mandatory: 'boolean' },
  'hide-avp': { index: 'index', wrongSecret: 'boolean' },
  oversize: { octets: 'index' },
  ns: { delta: 'delta' },
  nr: { delta: 'delta' },
  'tunnel-id': { value: 'u16' },
  'session-id': { value: 'u16' },
  'avp-length': { index: 'index', delta: 'delta' },
  truncate: { length: 'index' },
  flip: { bit: 'index' },
  version: { value: 'u16' },
};

const FIELD_RULES = {
  boolean: { ok: (x: unknown) => typeof x === 'boolean', says: 'true or false' },
  u16: { ok: isU16, says: 'an integer 0..65535' },
  index: { ok: isU32, says: 'an integer 0..2^32-1' },
  delta: {
    ok: (x: unknown) => Number.isInteger(x) && Math.abs(x as number) <= 0xffff,
    says: 'an integer -65535..65535',
  },
} as const;

function checkMutation(m: unknown, at: string): void {
  need(isObject(m) && typeof m.op === 'string', `${at} must be an object with an op`);
  const fields = Object.hasOwn(MUTATION_FIELDS, m.op) ? MUTATION_FIELDS[m.op as Mutation['op']] : undefined;
  if (fields === undefined) throw new Error(`${at}.op ${JSON.stringify(m.op)} is not a mutation`);
  for (const [k, rule] of Object.entries(fields)) {
    need(FIELD_RULES[rule].ok(m[k]), `${at}.${k} must be ${FIELD_RULES[rule].says}`);
  }
}

function need(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(what);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isU32(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff_ffff;
}
function isU16(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;
}

/** Mutations of a step (none for repeat/data/garbage). */
export function mutationsOf(s: FuzzStep): readonly Mutation[] {
  return 'mutations' in s ? (s.mutations ?? []) : [];
}
