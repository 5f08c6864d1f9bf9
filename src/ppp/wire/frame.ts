// PPP frame in HDLC-like framing without flags/FCS, as carried in L2TP data messages
// (RFC 1661 §2, §6.5 PFC, §6.6 ACFC; RFC 1662 §3.1; RFC 2661 §5.1). Related: cp-packet.ts, ../link.ts.
import { u8, u16 } from '../../core/bytes.js';

/** RFC 1662 §3.1: the All-Stations Address octet. */
export const ADDRESS = 0xff;
/** RFC 1662 §3.1: the Unnumbered Information Control octet. */
export const CONTROL = 0x03;

/** Why bytes are not a PPP frame. Stable strings: they become counter labels. */
export type FrameError = 'truncated' | 'bad-protocol';

/**
 * A reusable zero-copy view of one PPP frame: the Address/Control octets may be present (FF 03)
 * or elided (ACFC), the Protocol field may be one octet (PFC). After `wrap()` returns undefined,
 * the getters cannot read out of bounds.
 */
export class PppFrameView {
  private bytes: Uint8Array = new Uint8Array(0);
  private infoAt = 0;
  /** The Protocol field value. */
  protocol = 0;
  /** True when the frame carried the FF 03 Address/Control octets. */
  hasAddressControl = false;

  /**
   * Re-points the view at `b`; returns why it is not a frame, or undefined. On 'bad-protocol' the
   * getters still describe the frame, so the link can Protocol-Reject it. A one-octet Protocol
   * field is accepted even when PFC was not negotiated (as pppd does), so `01 00` reads as 0x0001.
   */
  wrap(b: Uint8Array): FrameError | undefined {
    let at = 0;
    // RFC 1661 §6.6: with ACFC the FF 03 may be absent; no protocol starts with 0xFF (the
    // first octet of a protocol number is even), so FF means Address/Control.
    if (b.length >= 2 && u8(b, 0) === ADDRESS && u8(b, 1) === CONTROL) at = 2;
    this.hasAddressControl = at === 2;
    if (at >= b.length) return 'truncated';
    let protocol: number;
    // RFC 1661 §6.5: a compressed Protocol field is one octet whose low bit is 1.
    if ((u8(b, at) & 1) === 1) {
      protocol = u8(b, at);
      at += 1;
    } else {
      if (at + 2 > b.length) return 'truncated';
      protocol = u16(b, at);
      at += 2;
    }
    this.bytes = b;
    this.protocol = protocol;
    this.infoAt = at;
    // RFC 1661 §2: the least significant octet of a protocol number is odd (the most significant
    // is even by construction: an odd first octet is a compressed field); "Frames received which don't comply with these rules MUST be treated as having an
    // unrecognized Protocol."
    if ((protocol & 1) === 0) return 'bad-protocol';
    return undefined;
  }

  /** The Information field (plus any padding): a subarray, never a copy. */
  get information(): Uint8Array {
    return this.bytes.subarray(this.infoAt);
  }

  /** Offset of the Information field within the wrapped bytes. */
  get informationOffset(): number {
    return this.infoAt;
  }
}

/** One uncompressed frame `FF 03 protocol information`; the caller owns the result. */
export function encodeFrame(protocol: number, information: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + information.length);
  out[0] = ADDRESS;
  out[1] = CONTROL;
  out[2] = (protocol >>> 8) & 0xff;
  out[3] = protocol & 0xff;
  out.set(information, 4);
  return out;
}

/** Decodes a frame into `{protocol, information}` values, or a FrameError. */
export function decodeFrame(
  b: Uint8Array,
): { ok: true; protocol: number; information: Uint8Array } | { ok: false; error: FrameError } {
  const view = new PppFrameView();
  const error = view.wrap(b);
  if (error !== undefined) return { ok: false, error };
  return { ok: true, protocol: view.protocol, information: view.information };
}
