// The L2TPv2 control message catalogue as data: type → name, scope, RFC section, required/optional AVPs.
// RFC 2661 §3.2 and §6 (later types: names only, REFERENCES.md §4.1).
// Related: avp-catalogue.ts, message.ts (decoder checks `required`), format.ts.
import { AvpType as A } from './avp-catalogue.js';

/** Message Type AVP values RFC 2661 defines (§3.2). */
export const MessageType = {
  SCCRQ: 1,
  SCCRP: 2,
  SCCCN: 3,
  StopCCN: 4,
  HELLO: 6,
  OCRQ: 7,
  OCRP: 8,
  OCCN: 9,
  ICRQ: 10,
  ICRP: 11,
  ICCN: 12,
  CDN: 14,
  WEN: 15,
  SLI: 16,
} as const;

/** One of the MessageType values. */
export type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];

/**
 * What §6 says about one message. `scope` is what a fault in it takes down: the tunnel (control
 * connection messages) or the session (call management messages), answered by StopCCN or CDN.
 * `required` excludes the Message Type AVP itself (always first, always required).
 */
export interface MessageSpec {
  readonly type: number;
  readonly name: string;
  readonly scope: 'tunnel' | 'session';
  readonly rfc: string;
  readonly required: readonly number[];
  readonly optional: readonly number[];
}

function msg(
  type: number,
  name: string,
  scope: 'tunnel' | 'session',
  rfc: string,
  required: readonly number[],
  optional: readonly number[],
): [number, MessageSpec] {
  // §4.3: Random Vector may appear in any message, before the hidden AVPs it applies to.
  const opt = optional.includes(A.RandomVector) ? optional : [...optional, A.RandomVector];
  return [
    type,
    Object.freeze({ type, name, scope, rfc, required: Object.freeze([...required]), optional: Object.freeze(opt) }),
  ];
}

/** Every message type RFC 2661 defines. Membership means "recognized"; others obey the Message Type M bit. */
export const MESSAGES: ReadonlyMap<number, MessageSpec> = new Map<number, MessageSpec>([
  msg(
    1,
    'SCCRQ',
    'tunnel',
    '2661 §6.1',
    [A.ProtocolVersion, A.HostName, A.FramingCapabilities, A.AssignedTunnelId],
    [A.BearerCapabilities, A.ReceiveWindowSize, A.Challenge, A.TieBreaker, A.FirmwareRevision, A.VendorName],
  ),
  msg(
    2,
    'SCCRP',
    'tunnel',
    '2661 §6.2',
    [A.ProtocolVersion, A.FramingCapabilities, A.HostName, A.AssignedTunnelId],
    [A.BearerCapabilities, A.FirmwareRevision, A.VendorName, A.ReceiveWindowSize, A.Challenge, A.ChallengeResponse],
  ),
  msg(3, 'SCCCN', 'tunnel', '2661 §6.3', [], [A.ChallengeResponse]),
  msg(4, 'StopCCN', 'tunnel', '2661 §6.4', [A.AssignedTunnelId, A.ResultCode], []),
  msg(6, 'HELLO', 'tunnel', '2661 §6.5', [], []),
  msg(
    7,
    'OCRQ',
    'session',
    '2661 §6.9',
    [A.AssignedSessionId, A.CallSerialNumber, A.MinimumBps, A.MaximumBps, A.BearerType, A.FramingType, A.CalledNumber],
    [A.SubAddress],
  ),
  msg(8, 'OCRP', 'session', '2661 §6.10', [A.AssignedSessionId], [A.PhysicalChannelId]),
  msg(9, 'OCCN', 'session', '2661 §6.11', [A.TxConnectSpeed, A.FramingType], [A.RxConnectSpeed, A.SequencingRequired]),
  msg(
    10,
    'ICRQ',
    'session',
    '2661 §6.6',
    [A.AssignedSessionId, A.CallSerialNumber],
    [A.BearerType, A.PhysicalChannelId, A.CallingNumber, A.CalledNumber, A.SubAddress],
  ),
  msg(11, 'ICRP', 'session', '2661 §6.7', [A.AssignedSessionId], []),
  msg(
    12,
    'ICCN',
    'session',
    '2661 §6.8',
    [A.TxConnectSpeed, A.FramingType],
    [
      A.InitialReceivedLcpConfReq,
      A.LastSentLcpConfReq,
      A.LastReceivedLcpConfReq,
      A.ProxyAuthenType,
      A.ProxyAuthenName,
      A.ProxyAuthenChallenge,
      A.ProxyAuthenId,
      A.ProxyAuthenResponse,
      A.PrivateGroupId,
      A.RxConnectSpeed,
      A.SequencingRequired,
    ],
  ),
  msg(
    14,
    'CDN',
    'session',
    '2661 §6.12',
    [A.ResultCode, A.AssignedSessionId],
    [A.Q931CauseCode, A.PppDisconnectCauseCode],
  ),
  msg(15, 'WEN', 'session', '2661 §6.13', [A.CallErrors], []),
  msg(16, 'SLI', 'session', '2661 §6.14', [A.Accm], []),
]);

/** Later message types (not recognized by an L2TPv2 implementation; names for the formatter only). */
export const LATER_MESSAGE_NAMES: ReadonlyMap<number, string> = new Map([
  [17, 'MDMST'],
  [18, 'SRRQ'],
  [19, 'SRRP'],
  [20, 'ACK'],
  [21, 'FSQ'],
  [22, 'FSR'],
  [23, 'MSRQ'],
  [24, 'MSRP'],
  [25, 'MSE'],
  [26, 'MSI'],
  [27, 'MSEN'],
  [28, 'CSUN'],
  [29, 'CSURQ'],
]);

/** The formatter's name for a message type: catalogue name, later IETF name, or `Message<type>`. */
export function messageName(type: number): string {
  return MESSAGES.get(type)?.name ?? LATER_MESSAGE_NAMES.get(type) ?? `Message${type}`;
}
