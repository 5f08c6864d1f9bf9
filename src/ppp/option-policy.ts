// What differs between LCP, IPCP and IPv6CP is the options, never the automaton (pppd fsm_callbacks;
// RFC 1661 §5.1–§5.4 say how a Configure-Request is answered). Related: automaton.ts, control-protocol.ts.
import type { State } from './automaton.js';
import type { Option } from './wire/cp-packet.js';

export type { Option } from './wire/cp-packet.js';

/** How a peer's Configure-Request is answered (RFC 1661 §5.2–§5.4). */
export type Verdict =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak'; readonly suggestions: readonly Option[] }
  | { readonly kind: 'reject'; readonly rejected: readonly Option[] };

/**
 * What a received code outside Configure/Terminate/Code-Reject (1–7) means to the automaton
 * (pppd fsm_callbacks.extcode): a §4.3 event to fire, with the Echo-Reply data that 'ser' sends;
 * 'none' to discard silently; 'drop' to count it as malformed.
 */
export type ExtendedCode =
  | { readonly event: 'rxj+' | 'rxj-' }
  | { readonly event: 'rxr'; readonly echoReply?: Uint8Array }
  | { readonly event: 'none' }
  | { readonly event: 'drop'; readonly reason: string };

/** The per-protocol option policy a ControlProtocol engine drives. */
export interface OptionPolicy {
  readonly protocolName: 'LCP' | 'IPCP' | 'IPv6CP';
  /** Options for our next Configure-Request. */
  ourRequest(): readonly Option[];
  /**
   * Judge the peer's Configure-Request. `mustReject` is set after Max-Failure Naks (RFC 1661 §4.6):
   * the policy must then Reject what it would have Nak'd (a looped Magic-Number excepted).
   * Called once per received request; an 'ack' verdict commits the peer's values.
   */
  judgePeerRequest(options: readonly Option[], mustReject: boolean): Verdict;
  /** The peer Nak'd our request: adjust what we ask for next time. */
  onNak(suggestions: readonly Option[]): void;
  /** The peer Rejected options of our request: stop asking for them. */
  onReject(rejected: readonly Option[]): void;
  /** This-Layer-Up: the values acked both ways are now in force. */
  onUp(): void;
  /** This-Layer-Down. */
  onDown(): void;
  /** A fresh negotiation begins (irc + scr from a non-negotiating state): reset to our wishes. */
  onStart?(): void;
  /**
   * Codes only this protocol has (LCP: RFC 1661 §5.7–§5.9, RFC 1570), judged in `state` before the
   * automaton runs; undefined (or no hook): an unknown code, answered with Code-Reject (§5.6).
   */
  extcode?(code: number, id: number, data: Uint8Array, state: State): ExtendedCode | undefined;
  /** The largest Information field the peer accepts, read when a Code-Reject is cut (LCP: its MRU). */
  readonly peerMru?: number;
}
