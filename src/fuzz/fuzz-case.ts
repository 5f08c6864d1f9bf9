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
}

/** Parses a replay file; throws Error with what is wrong. */
export function parseSavedCase(text: string): SavedCase {
  const v = JSON.parse(text) as Partial<SavedCase>;
  if (v.format !== 'l2tp-ts-fuzz-case/1') throw new Error(`not an l2tp-ts fuzz case (format ${String(v.format)})`);
  if (v.case === undefined || !Array.isArray(v.case.steps)) throw new Error('fuzz case without steps');
  if (v.expect === undefined || typeof v.expect.kind !== 'string') throw new Error('fuzz case without expect.kind');
  return v as SavedCase;
}

/** Mutations of a step (none for repeat/data/garbage). */
export function mutationsOf(s: FuzzStep): readonly Mutation[] {
  return 'mutations' in s ? (s.mutations ?? []) : [];
}
