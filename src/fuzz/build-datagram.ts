// Turns one symbolic fuzz step into datagram bytes: the LAC side's RFC 2661 §6 messages with their
// required AVPs, then the step's AVP-, header- and byte-level mutations (§3.1 header, §4.1 AVP
// format, §4.3 hiding). Related: fuzz-case.ts (steps), conversation.ts (supplies IDs and Ns/Nr).
import type { Random } from '../core/random.js';
import { AvpType } from '../l2tp/wire/avp-catalogue.js';
import { CONTROL_HEADER_LENGTH, writeDataHeader } from '../l2tp/wire/header.js';
import {
  type ControlMessage,
  encodeControlPacket,
  makeBytesAvp,
  makeResultCodeAvp,
  makeStringAvp,
  makeU16Avp,
  makeU32Avp,
  type RawAvp,
} from '../l2tp/wire/message.js';
import { MessageType } from '../l2tp/wire/message-catalogue.js';
import { challengeResponse } from '../l2tp/wire/tunnel-auth.js';
import type { MessageStepKind, Mutation } from './fuzz-case.js';

/** What the conversation knows when a message is built. */
export interface BuildContext {
  readonly ourTunnelId: number;
  readonly peerTunnelId: number;
  readonly ourSessionId: number;
  readonly peerSessionId: number;
  readonly ns: number;
  readonly nr: number;
  /** The target's Challenge from its SCCRP (§4.4.3), answered in the SCCCN when a secret is known. */
  readonly challenge?: Uint8Array;
  readonly secret?: Uint8Array;
  readonly random: Random;
}

const WRONG_SECRET = new TextEncoder().encode('not-the-secret');

/** The clean message of `kind` (header IDs and AVPs as an RFC 2661 LAC sends them). */
export function cleanMessage(
  kind: MessageStepKind,
  c: BuildContext,
): { msg: ControlMessage; tunnelId: number; sessionId: number } {
  const A = AvpType;
  switch (kind) {
    case 'SCCRQ':
      return {
        tunnelId: 0,
        sessionId: 0,
        msg: {
          type: MessageType.SCCRQ,
          avps: [
            makeU16Avp(A.ProtocolVersion, 0x0100),
            makeStringAvp(A.HostName, 'l2tp-ts-fuzz'),
            makeU32Avp(A.FramingCapabilities, 3),
            makeU32Avp(A.BearerCapabilities, 0),
            makeU16Avp(A.FirmwareRevision, 1),
            makeStringAvp(A.VendorName, 'l2tp-ts'),
            makeU16Avp(A.AssignedTunnelId, c.ourTunnelId),
            makeU16Avp(A.ReceiveWindowSize, 4),
          ],
        },
      };
    case 'SCCCN': {
      const avps: RawAvp[] = [];
      if (c.challenge !== undefined && c.secret !== undefined) {
        avps.push(makeBytesAvp(A.ChallengeResponse, challengeResponse(MessageType.SCCCN, c.secret, c.challenge)));
      }
      return { tunnelId: c.peerTunnelId, sessionId: 0, msg: { type: MessageType.SCCCN, avps } };
    }
    case 'HELLO':
      return { tunnelId: c.peerTunnelId, sessionId: 0, msg: { type: MessageType.HELLO, avps: [] } };
    case 'ICRQ':
      return {
        tunnelId: c.peerTunnelId,
        sessionId: 0,
        msg: {
          type: MessageType.ICRQ,
          avps: [
            makeU16Avp(A.AssignedSessionId, c.ourSessionId),
            makeU32Avp(A.CallSerialNumber, c.ourSessionId),
            makeU32Avp(A.BearerType, 0),
          ],
        },
      };
    case 'ICCN':
      return {
        tunnelId: c.peerTunnelId,
        sessionId: c.peerSessionId,
        msg: {
          type: MessageType.ICCN,
          avps: [makeU32Avp(A.TxConnectSpeed, 10_000_000), makeU32Avp(A.FramingType, 1)],
        },
      };
    case 'CDN':
      return {
        tunnelId: c.peerTunnelId,
        sessionId: c.peerSessionId,
        msg: {
          type: MessageType.CDN,
          avps: [makeResultCodeAvp(A.ResultCode, 3), makeU16Avp(A.AssignedSessionId, c.ourSessionId)],
        },
      };
    case 'StopCCN':
      return {
        tunnelId: c.peerTunnelId,
        sessionId: 0,
        msg: {
          type: MessageType.StopCCN,
          avps: [makeU16Avp(A.AssignedTunnelId, c.ourTunnelId), makeResultCodeAvp(A.ResultCode, 1)],
        },
      };
  }
}

/** The wire bytes of a message step: the clean message with `mutations` applied in order of layer. */
export function buildMessage(kind: MessageStepKind, mutations: readonly Mutation[], c: BuildContext): Uint8Array {
  const clean = cleanMessage(kind, c);
  const avps = [...clean.msg.avps];
  let tunnelId = clean.tunnelId;
  let sessionId = clean.sessionId;
  let ns = c.ns;
  let nr = c.nr;
  let wrongSecret = false;
  let oversize = 0;
  // AVP level.
  for (const m of mutations) {
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
        avps.push({
          vendorId: m.vendorId,
          type: m.type,
          mandatory: m.mandatory,
          hidden: false,
          value: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
        });
        break;
      case 'hide-avp':
        if (avps.length > 0) {
          const i = m.index % avps.length;
          avps[i] = { ...avps[i]!, hidden: true };
          if (m.wrongSecret) wrongSecret = true;
        }
        break;
      case 'oversize':
        oversize = Math.max(oversize, m.octets);
        break;
      case 'ns':
        ns = (ns + m.delta) & 0xffff;
        break;
      case 'nr':
        nr = (nr + m.delta) & 0xffff;
        break;
      case 'tunnel-id':
        tunnelId = m.value & 0xffff;
        break;
      case 'session-id':
        sessionId = m.value & 0xffff;
        break;
      default:
        break;
    }
  }
  if (oversize > 0) {
    // M=0 private-vendor AVPs of the largest size (§4.1: Length is 10 bits) until the message is big.
    let size = CONTROL_HEADER_LENGTH + 8 + avps.reduce((n, a) => n + 6 + a.value.length, 0);
    const limit = Math.min(oversize, 65_000);
    while (size + 1023 <= limit) {
      avps.push({ vendorId: 0x7fff, type: 1, mandatory: false, hidden: false, value: new Uint8Array(1017).fill(0x5a) });
      size += 1023;
    }
  }
  const hides = avps.some((a) => a.hidden);
  if (hides && !wrongSecret && c.secret === undefined) wrongSecret = true;
  let bytes = encodeControlPacket(
    { tunnelId, sessionId, ns, nr },
    { type: clean.msg.type, avps },
    hides ? { secret: wrongSecret ? WRONG_SECRET : c.secret!, random: c.random } : undefined,
  );
  // Byte level.
  for (const m of mutations) {
    switch (m.op) {
      case 'avp-length': {
        const at = avpOffset(bytes, m.index);
        if (at !== undefined) {
          const word = (bytes[at]! << 8) | bytes[at + 1]!;
          const length = ((word & 0x3ff) + m.delta) & 0x3ff;
          bytes[at] = (word >> 8) & 0xfc;
          bytes[at]! |= length >> 8;
          bytes[at + 1] = length & 0xff;
        }
        break;
      }
      case 'truncate':
        bytes = bytes.slice(0, Math.min(m.length, Math.max(0, bytes.length - 1)));
        break;
      case 'flip':
        if (bytes.length > 0) bytes[(m.bit >> 3) % bytes.length]! ^= 0x80 >> (m.bit & 7);
        break;
      case 'version':
        if (bytes.length > 1) bytes[1] = (bytes[1]! & 0xf0) | (m.value & 0x0f);
        break;
      default:
        break;
    }
  }
  return bytes;
}

/** Offset of the `index`-th AVP header (modulo the AVP count) in a control packet, by walking the lengths. */
function avpOffset(packet: Uint8Array, index: number): number | undefined {
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

/** A data message (§3.1, T=0) with an LCP-looking payload, to a given tunnel and session. */
export function buildDataMessage(tunnelId: number, sessionId: number, payload: Uint8Array): Uint8Array {
  const header = 6;
  const out = new Uint8Array(header + payload.length);
  out.set(payload, header);
  writeDataHeader(out, header, out.length, tunnelId, sessionId);
  return out;
}
