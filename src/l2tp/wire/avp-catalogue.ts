// The L2TPv2 AVP catalogue as data: type → name, value kind, M bit, may-hide, value length bounds.
// RFC 2661 §4.4 (+ RFC 3145 for AVP 46); later IETF numbers are names only (REFERENCES.md §4.2).
// Related: message-catalogue.ts (which AVPs each message carries), message.ts (the generic decoder).

/** Attribute Types of the AVPs this implementation understands (Vendor ID 0). */
export const AvpType = {
  MessageType: 0,
  ResultCode: 1,
  ProtocolVersion: 2,
  FramingCapabilities: 3,
  BearerCapabilities: 4,
  TieBreaker: 5,
  FirmwareRevision: 6,
  HostName: 7,
  VendorName: 8,
  AssignedTunnelId: 9,
  ReceiveWindowSize: 10,
  Challenge: 11,
  Q931CauseCode: 12,
  ChallengeResponse: 13,
  AssignedSessionId: 14,
  CallSerialNumber: 15,
  MinimumBps: 16,
  MaximumBps: 17,
  BearerType: 18,
  FramingType: 19,
  CalledNumber: 21,
  CallingNumber: 22,
  SubAddress: 23,
  TxConnectSpeed: 24,
  PhysicalChannelId: 25,
  InitialReceivedLcpConfReq: 26,
  LastSentLcpConfReq: 27,
  LastReceivedLcpConfReq: 28,
  ProxyAuthenType: 29,
  ProxyAuthenName: 30,
  ProxyAuthenChallenge: 31,
  ProxyAuthenId: 32,
  ProxyAuthenResponse: 33,
  CallErrors: 34,
  Accm: 35,
  RandomVector: 36,
  PrivateGroupId: 37,
  RxConnectSpeed: 38,
  SequencingRequired: 39,
  PppDisconnectCauseCode: 46,
} as const;

/** One of the AvpType values. */
export type AvpTypeValue = (typeof AvpType)[keyof typeof AvpType];

/**
 * How a value is laid out (drives the formatter, the accessors and the fuzz generator):
 * fixed-size integers, text, opaque octets, or one of the structured AVPs of §4.4.
 */
export type AvpValueKind =
  | 'u16'
  | 'u32'
  | 'bits32' // Framing/Bearer Capabilities and Types: A/S/D bit masks
  | 'string' // printable text (Host Name, numbers, names)
  | 'bytes' // opaque (Challenge, LCP CONFREQs, Random Vector…)
  | 'empty' // Sequencing Required
  | 'message-type'
  | 'result-code' // Result(2) [Error(2) [Message]]
  | 'protocol-version' // Ver(1) Rev(1)
  | 'q931-cause' // Cause(2) Msg(1) [Advisory]
  | 'call-errors' // Reserved(2) + six u32 counters
  | 'accm' // Reserved(2) Send(4) Receive(4)
  | 'ppp-disconnect-cause'; // RFC 3145: Code(2) Protocol(2) Direction(1) [Message]

/** What the catalogue knows about one AVP (Vendor ID 0). Lengths are of the value, before hiding. */
export interface AvpSpec {
  readonly type: number;
  /** The RFC's name without spaces, as in `AvpType` (also the formatter's label). */
  readonly name: string;
  readonly kind: AvpValueKind;
  /** The M bit this implementation sends (the "M" column of RFC 2661 §4.4). */
  readonly mandatory: boolean;
  /** False where §4.4 says the AVP MUST NOT be hidden. */
  readonly mayHide: boolean;
  readonly minLength: number;
  readonly maxLength: number;
  /** RFC and section that defines it. */
  readonly rfc: string;
}

/** Largest AVP value: the 10-bit Length field (≤ 1023) minus the 6-octet AVP header (§4.1). */
export const MAX_AVP_VALUE_LENGTH = 1023 - 6;

const ANY = MAX_AVP_VALUE_LENGTH;

function spec(
  type: number,
  name: string,
  kind: AvpValueKind,
  mandatory: boolean,
  mayHide: boolean,
  minLength: number,
  maxLength: number,
  rfc: string,
): [number, AvpSpec] {
  return [type, Object.freeze({ type, name, kind, mandatory, mayHide, minLength, maxLength, rfc })];
}

/**
 * Every AVP RFC 2661 (+ RFC 3145) defines, keyed by Attribute Type. Membership means "recognized":
 * a Vendor ID 0 AVP whose type is absent here is unrecognized and obeys its M bit (§4.1).
 */
export const AVPS: ReadonlyMap<number, AvpSpec> = new Map<number, AvpSpec>([
  spec(0, 'MessageType', 'message-type', true, false, 2, 2, '2661 §4.4.1'),
  // §4.4.2: Result Code alone (2), with Error Code (4), or with an Error Message (4+n); 3 is malformed.
  spec(1, 'ResultCode', 'result-code', true, false, 2, ANY, '2661 §4.4.2'),
  spec(2, 'ProtocolVersion', 'protocol-version', true, false, 2, 2, '2661 §4.4.3'),
  spec(3, 'FramingCapabilities', 'bits32', true, true, 4, 4, '2661 §4.4.3'),
  spec(4, 'BearerCapabilities', 'bits32', true, true, 4, 4, '2661 §4.4.3'),
  spec(5, 'TieBreaker', 'bytes', false, false, 8, 8, '2661 §4.4.3'),
  spec(6, 'FirmwareRevision', 'u16', false, true, 2, 2, '2661 §4.4.3'),
  spec(7, 'HostName', 'string', true, false, 1, ANY, '2661 §4.4.3'),
  spec(8, 'VendorName', 'string', false, true, 0, ANY, '2661 §4.4.3'),
  spec(9, 'AssignedTunnelId', 'u16', true, true, 2, 2, '2661 §4.4.3'),
  spec(10, 'ReceiveWindowSize', 'u16', true, false, 2, 2, '2661 §4.4.3'),
  spec(11, 'Challenge', 'bytes', true, true, 1, ANY, '2661 §4.4.3'),
  spec(12, 'Q931CauseCode', 'q931-cause', true, false, 3, ANY, '2661 §4.4.3'),
  spec(13, 'ChallengeResponse', 'bytes', true, true, 16, 16, '2661 §4.4.3'),
  spec(14, 'AssignedSessionId', 'u16', true, true, 2, 2, '2661 §4.4.4'),
  spec(15, 'CallSerialNumber', 'u32', true, true, 4, 4, '2661 §4.4.4'),
  spec(16, 'MinimumBps', 'u32', true, true, 4, 4, '2661 §4.4.4'),
  spec(17, 'MaximumBps', 'u32', true, true, 4, 4, '2661 §4.4.4'),
  spec(18, 'BearerType', 'bits32', true, true, 4, 4, '2661 §4.4.4'),
  spec(19, 'FramingType', 'bits32', true, true, 4, 4, '2661 §4.4.4'),
  spec(21, 'CalledNumber', 'string', true, true, 0, ANY, '2661 §4.4.4'),
  spec(22, 'CallingNumber', 'string', true, true, 0, ANY, '2661 §4.4.4'),
  spec(23, 'SubAddress', 'string', true, true, 0, ANY, '2661 §4.4.4'),
  spec(24, 'TxConnectSpeed', 'u32', true, true, 4, 4, '2661 §4.4.5'),
  spec(25, 'PhysicalChannelId', 'u32', false, true, 4, 4, '2661 §4.4.4'),
  spec(26, 'InitialReceivedLcpConfReq', 'bytes', false, true, 0, ANY, '2661 §4.4.5'),
  spec(27, 'LastSentLcpConfReq', 'bytes', false, true, 0, ANY, '2661 §4.4.5'),
  spec(28, 'LastReceivedLcpConfReq', 'bytes', false, true, 0, ANY, '2661 §4.4.5'),
  spec(29, 'ProxyAuthenType', 'u16', false, true, 2, 2, '2661 §4.4.5'),
  spec(30, 'ProxyAuthenName', 'string', false, true, 0, ANY, '2661 §4.4.5'),
  spec(31, 'ProxyAuthenChallenge', 'bytes', false, true, 0, ANY, '2661 §4.4.5'),
  spec(32, 'ProxyAuthenId', 'u16', false, true, 2, 2, '2661 §4.4.5'),
  spec(33, 'ProxyAuthenResponse', 'bytes', false, true, 0, ANY, '2661 §4.4.5'),
  spec(34, 'CallErrors', 'call-errors', true, true, 26, 26, '2661 §4.4.6'),
  spec(35, 'Accm', 'accm', true, true, 10, 10, '2661 §4.4.6'),
  spec(36, 'RandomVector', 'bytes', true, false, 0, ANY, '2661 §4.4.7'),
  spec(37, 'PrivateGroupId', 'bytes', false, true, 0, ANY, '2661 §4.4.5'),
  spec(38, 'RxConnectSpeed', 'u32', false, true, 4, 4, '2661 §4.4.5'),
  spec(39, 'SequencingRequired', 'empty', true, false, 0, 0, '2661 §4.4.5'),
  // RFC 3145 §3: "MUST NOT be marked Mandatory"; informational only.
  spec(46, 'PppDisconnectCauseCode', 'ppp-disconnect-cause', false, true, 5, ANY, '3145 §3'),
]);

/**
 * Names of IETF AVPs a v2 peer may still meet (L2TPv3 and extensions, Wireshark's names). They are
 * NOT recognized: the decoder obeys their M bit; only the formatter uses these names.
 */
export const LATER_AVP_NAMES: ReadonlyMap<number, string> = new Map([
  [58, 'ExtendedVendorId'],
  [59, 'MessageDigest'],
  [60, 'RouterId'],
  [61, 'AssignedControlConnectionId'],
  [62, 'PseudowireCapabilityList'],
  [63, 'LocalSessionId'],
  [64, 'RemoteSessionId'],
  [65, 'AssignedCookie'],
  [66, 'RemoteEndId'],
  [68, 'PseudowireType'],
  [69, 'L2SpecificSublayer'],
  [70, 'DataSequencing'],
  [71, 'CircuitStatus'],
  [72, 'PreferredLanguage'],
  [73, 'ControlMessageAuthenticationNonce'],
  [74, 'TxConnectSpeedV3'],
  [75, 'RxConnectSpeedV3'],
  [76, 'FailoverCapability'],
  [77, 'TunnelRecovery'],
  [78, 'SuggestedControlSequence'],
  [79, 'FailoverSessionState'],
  [80, 'MulticastCapability'],
  [81, 'NewOutgoingSessions'],
  [82, 'NewOutgoingSessionsAcknowledgement'],
  [83, 'WithdrawOutgoingSessions'],
  [84, 'MulticastPacketsPriority'],
  [97, 'ConnectSpeedUpdate'],
  [98, 'ConnectSpeedUpdateEnable'],
]);

/** The formatter's label for an AVP: the catalogue name, a later IETF name, or `Avp<type>`/`Vendor<id>:<type>`. */
export function avpName(vendorId: number, type: number): string {
  if (vendorId !== 0) return `Vendor${vendorId}:${type}`;
  return AVPS.get(type)?.name ?? LATER_AVP_NAMES.get(type) ?? `Avp${type}`;
}

/** True when `length` octets is a valid (clear) value length for a recognized AVP. */
export function isValidAvpValueLength(s: AvpSpec, length: number): boolean {
  if (length < s.minLength || length > s.maxLength) return false;
  // §4.4.2: a Result Code value is 2, 4 or 4+n octets; 3 cannot be parsed.
  if (s.kind === 'result-code' && length === 3) return false;
  return true;
}
