// The control messages a tunnel (and the endpoint, refusing an SCCRQ) builds: the SCCRQ/SCCRP
// capability AVPs (§6.1, §6.2), StopCCN (§6.4), a CDN refusing a call (§6.13), and encoding with
// every hideable AVP hidden (§4.3). Related: tunnel.ts, endpoint.ts, wire/message.ts.
import type { Random } from '../core/random.js';
import type { DisconnectReason } from './types.js';
import { AVPS, AvpType } from './wire/avp-catalogue.js';
import {
  type ControlMessage,
  encodeControlMessage,
  makeBytesAvp,
  makeResultCodeAvp,
  makeStringAvp,
  makeU16Avp,
  makeU32Avp,
  type RawAvp,
} from './wire/message.js';
import { MessageType } from './wire/message-catalogue.js';

/** Smallest hidden subformat (Original Length + value + padding) we send, §4.3. */
const HIDDEN_MIN = 16;

/** What the capability AVPs of our SCCRQ/SCCRP say about us. */
export interface Capabilities {
  readonly hostName: string;
  readonly receiveWindow: number;
  readonly vendorName?: string;
  readonly firmwareRevision?: number;
}

/** §6.1/§6.2: Protocol Version 1.0, Host Name, Framing (sync + async), Bearer, our Tunnel ID, window. */
function capabilityAvps(us: Capabilities, tunnelId: number): RawAvp[] {
  const avps: RawAvp[] = [
    makeBytesAvp(AvpType.ProtocolVersion, new Uint8Array([1, 0])),
    makeStringAvp(AvpType.HostName, us.hostName),
    makeU32Avp(AvpType.FramingCapabilities, 3),
    makeU32Avp(AvpType.BearerCapabilities, 0),
    makeU16Avp(AvpType.AssignedTunnelId, tunnelId),
    makeU16Avp(AvpType.ReceiveWindowSize, us.receiveWindow),
  ];
  if (us.firmwareRevision !== undefined) avps.push(makeU16Avp(AvpType.FirmwareRevision, us.firmwareRevision));
  if (us.vendorName !== undefined) avps.push(makeStringAvp(AvpType.VendorName, us.vendorName));
  return avps;
}

/** §6.1 SCCRQ: capabilities, our Tie Breaker (§4.4.3), and a Challenge when we authenticate the peer. */
export function sccrqMessage(
  us: Capabilities,
  tunnelId: number,
  tieBreaker: Uint8Array,
  challenge: Uint8Array | undefined,
): ControlMessage {
  const avps = capabilityAvps(us, tunnelId);
  avps.push(makeBytesAvp(AvpType.TieBreaker, tieBreaker));
  if (challenge !== undefined) avps.push(makeBytesAvp(AvpType.Challenge, challenge));
  return { type: MessageType.SCCRQ, avps };
}

/** §6.2 SCCRP: capabilities, our Challenge, and the Response to the peer's Challenge (§5.1.1). */
export function sccrpMessage(
  us: Capabilities,
  tunnelId: number,
  challenge: Uint8Array | undefined,
  response: Uint8Array | undefined,
): ControlMessage {
  const avps = capabilityAvps(us, tunnelId);
  if (challenge !== undefined) avps.push(makeBytesAvp(AvpType.Challenge, challenge));
  if (response !== undefined) avps.push(makeBytesAvp(AvpType.ChallengeResponse, response));
  return { type: MessageType.SCCRP, avps };
}

/** §6.3 SCCCN: the Response to the peer's Challenge, if it sent one. */
export function scccnMessage(response: Uint8Array | undefined): ControlMessage {
  return {
    type: MessageType.SCCCN,
    avps: response === undefined ? [] : [makeBytesAvp(AvpType.ChallengeResponse, response)],
  };
}

/** §6.4: Assigned Tunnel ID (ours; 0 when we hold no tunnel) and Result Code are required. */
export function stopCcnMessage(tunnelId: number, r: DisconnectReason): ControlMessage {
  return {
    type: MessageType.StopCCN,
    avps: [
      makeU16Avp(AvpType.AssignedTunnelId, tunnelId),
      makeResultCodeAvp(AvpType.ResultCode, r.resultCode, r.errorCode, r.message),
    ],
  };
}

/** §6.13: a CDN refusing a call we hold no session for (our Assigned Session ID is 0). */
export function refusalCdnMessage(r: DisconnectReason): ControlMessage {
  return {
    type: MessageType.CDN,
    avps: [
      makeResultCodeAvp(AvpType.ResultCode, r.resultCode, r.errorCode, r.message),
      makeU16Avp(AvpType.AssignedSessionId, 0),
    ],
  };
}

/** Encodes `msg` hiding every AVP §4.4 allows (§4.3), with random padding. */
export function encodeHidden(msg: ControlMessage, secret: Uint8Array, random: Random): Uint8Array {
  const avps = msg.avps.map((a) => {
    if (a.vendorId !== 0 || !AVPS.get(a.type)?.mayHide) return a;
    // §4.3: padding hides the true length. At least one MD5 block (16 octets) of hidden subformat:
    // l2tpns also refuses shorter hidden AVPs ("Short hidden AVP").
    const pad = Math.max(0, HIDDEN_MIN - 2 - a.value.length);
    return { ...a, hidden: true, padding: random.fill(new Uint8Array(pad)) };
  });
  return encodeControlMessage({ ...msg, avps }, { secret, random });
}
