// Which datagrams a tunnel takes from where (issue 9: a tunnel's peer is pinned). The peer's
// address never changes. Its port follows the peer only until the handshake has its first reply
// (RFC 2661 §8.1: the peer may answer from another port); after that it is pinned, and a control
// message from another port is dropped before the control channel sees it — so a blind sweep of
// tunnel IDs × Ns from a second port moves, acks and tears down nothing. NAT rebinding: a new port
// of the same address is followed only when the pinned port has been silent longer than
// `rebindSilenceMs` (the HELLO interval: a live peer is heard at least that often) and the datagram
// is a valid control message that is next in sequence and acks only what we sent.
// Also here: a body is decoded once, before sequencing (garbage consumes no Ns), and a large
// message out of order is not parked in the reorder buffer.
// Related: tunnel.ts (handleControl), control-channel.ts, docs/CONFORMANCE.md.
import type { PeerAddress } from '../core/engine.js';
import { serialDiff } from '../core/serial.js';
import type { Instant } from '../core/time.js';
import { type ControlMessage, type Decoded, decodeControlMessage } from './wire/message.js';

/** A received control message as the channel carries it: decoded once, before sequencing. */
export interface Inbound {
  readonly decoded: Decoded<ControlMessage>;
  readonly bytes: Uint8Array;
}

/**
 * Largest message kept in the reorder buffer while an earlier Ns is missing. Real control messages
 * are far smaller (an ICCN with proxy LCP and authentication AVPs is under 1 KiB); without a cap a
 * peer could park 15 datagrams of 64 KiB per tunnel there. A larger one out of order is discarded
 * (§5.8 allows it: the peer retransmits); in order, or a duplicate (acked), it is handled as always.
 */
export const MAX_REORDERED_BODY = 2048;

/** Where the channel stands: what the rebinding rule compares against. */
export interface ChannelPosition {
  /** The Ns we expect next. */
  readonly receiveNr: number;
  /** The Ns of our next new message. */
  readonly sendNs: number;
}

/** The outcome of admit(): the message to hand to the channel, or why it was dropped. */
export type Admission =
  | { readonly ok: true; readonly inbound: Inbound | undefined }
  | { readonly ok: false; readonly reason: string };

/** The tunnel's peer address and port, and the rule for changing the port. */
export class PeerBinding {
  /** When the pinned peer was last heard (control or data). */
  private lastHeardAt: Instant;

  constructor(
    public peer: PeerAddress,
    private readonly rebindSilenceMs: number,
    now: Instant,
  ) {
    this.lastHeardAt = now;
  }

  /** Data arrived from the pinned peer: it is alive. */
  noteHeard(now: Instant): void {
    this.lastHeardAt = now;
  }

  /**
   * Judges one control datagram. `pinned`: the handshake has its first reply; `closing`: no
   * rebinding any more. `decoded`: the body already decoded (the endpoint's SCCRQ).
   */
  admit(
    from: PeerAddress,
    ns: number,
    nr: number,
    body: Uint8Array,
    secret: Uint8Array | undefined,
    decoded: Decoded<ControlMessage> | undefined,
    state: { readonly pinned: boolean; readonly closing: boolean; readonly channel: ChannelPosition },
    now: Instant,
  ): Admission {
    if (from.address !== this.peer.address) return { ok: false, reason: 'foreign-address' };
    let inbound: Inbound | undefined; // undefined: a ZLB
    if (body.length > 0) {
      const d = decoded ?? decodeControlMessage(body, secret === undefined ? undefined : { secret });
      // A body that is not a control message at all must not consume an Ns or move Nr: were it
      // sequenced, the peer's real message with that Ns would later be taken for a duplicate.
      if (!d.ok && d.fault.scope === 'drop') return { ok: false, reason: `garbage-${d.fault.code}` };
      inbound = { decoded: d, bytes: body };
    }
    if (from.port !== this.peer.port) {
      const silent = now - this.lastHeardAt > this.rebindSilenceMs;
      if (state.pinned && (state.closing || !silent || !isNextValid(ns, nr, inbound, state.channel))) {
        return { ok: false, reason: 'foreign-port' };
      }
      // A permitted rebinding, or (not pinned yet) the first reply from the port the peer chose.
      if (isNextValid(ns, nr, inbound, state.channel)) this.peer = from;
    }
    if (from.port === this.peer.port) this.lastHeardAt = now;
    if (inbound !== undefined && body.length > MAX_REORDERED_BODY && serialDiff(ns, state.channel.receiveNr) > 0) {
      return { ok: false, reason: 'reorder-too-large' };
    }
    return { ok: true, inbound };
  }
}

/** A decodable control message whose Ns is the one we expect next and whose Nr acks only what we sent. */
function isNextValid(ns: number, nr: number, inbound: Inbound | undefined, channel: ChannelPosition): boolean {
  if (inbound === undefined || !inbound.decoded.ok) return false;
  return ns === channel.receiveNr && serialDiff(nr, channel.sendNs) <= 0;
}
