// The RADIUS dictionary as data: packet codes, attribute types with their value kinds, the Microsoft
// vendor attributes, and the enumerated values. RFC 2865 §3/§5, RFC 2866 §4/§5, RFC 2869 §5,
// RFC 5176 §2/§3.5, RFC 2548 §2. Related: packet.ts (generic codec), values.ts (typed values).

/** RFC 2865 §3, RFC 2866 §3, RFC 5176 §2: the Code field. */
export const Code = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  DisconnectRequest: 40,
  DisconnectAck: 41,
  DisconnectNak: 42,
  CoaRequest: 43,
  CoaAck: 44,
  CoaNak: 45,
} as const;

/**
 * How each code's Authenticator field is made (the one fact the signing code needs):
 * - `random`: Access-Request / Status-Server, a 16-octet nonce (RFC 2865 §3 Request Authenticator);
 * - `request-md5`: MD5(header with zero Authenticator ‖ attributes ‖ secret) (RFC 2866 §3, RFC 5176 §2.3);
 * - `response-md5`: MD5(header with the request's Authenticator ‖ attributes ‖ secret) (RFC 2865 §3).
 */
export type AuthenticatorKind = 'random' | 'request-md5' | 'response-md5';

/** What the codec knows about one packet code. `replies` lists the codes that may answer a request. */
export interface CodeSpec {
  readonly code: number;
  readonly name: string;
  readonly authenticator: AuthenticatorKind;
  readonly replies?: readonly number[];
}

/** One row per code; the formatter and the client read it. */
export const CODES: ReadonlyMap<number, CodeSpec> = new Map(
  (
    [
      { code: 1, name: 'Access-Request', authenticator: 'random', replies: [2, 3, 11] },
      { code: 2, name: 'Access-Accept', authenticator: 'response-md5' },
      { code: 3, name: 'Access-Reject', authenticator: 'response-md5' },
      { code: 4, name: 'Accounting-Request', authenticator: 'request-md5', replies: [5] },
      { code: 5, name: 'Accounting-Response', authenticator: 'response-md5' },
      { code: 11, name: 'Access-Challenge', authenticator: 'response-md5' },
      // RFC 5997 §3: Status-Server is answered like an Access-Request.
      { code: 12, name: 'Status-Server', authenticator: 'random', replies: [2] },
      { code: 40, name: 'Disconnect-Request', authenticator: 'request-md5', replies: [41, 42] },
      { code: 41, name: 'Disconnect-ACK', authenticator: 'response-md5' },
      { code: 42, name: 'Disconnect-NAK', authenticator: 'response-md5' },
      { code: 43, name: 'CoA-Request', authenticator: 'request-md5', replies: [44, 45] },
      { code: 44, name: 'CoA-ACK', authenticator: 'response-md5' },
      { code: 45, name: 'CoA-NAK', authenticator: 'response-md5' },
    ] satisfies CodeSpec[]
  ).map((c) => [c.code, c]),
);

/** Standard attribute types (RFC 2865 §5, RFC 2866 §5, RFC 2869 §5, RFC 5176 §3.5). */
export const Attr = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  NasPort: 5,
  ServiceType: 6,
  FramedProtocol: 7,
  FramedIpAddress: 8,
  FramedIpNetmask: 9,
  FramedRouting: 10,
  FilterId: 11,
  FramedMtu: 12,
  FramedCompression: 13,
  ReplyMessage: 18,
  FramedRoute: 22,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  IdleTimeout: 28,
  TerminationAction: 29,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  AcctStatusType: 40,
  AcctDelayTime: 41,
  AcctInputOctets: 42,
  AcctOutputOctets: 43,
  AcctSessionId: 44,
  AcctAuthentic: 45,
  AcctSessionTime: 46,
  AcctInputPackets: 47,
  AcctOutputPackets: 48,
  AcctTerminateCause: 49,
  AcctMultiSessionId: 50,
  AcctLinkCount: 51,
  AcctInputGigawords: 52,
  AcctOutputGigawords: 53,
  EventTimestamp: 55,
  ChapChallenge: 60,
  NasPortType: 61,
  PortLimit: 62,
  ConnectInfo: 77,
  EapMessage: 79,
  MessageAuthenticator: 80,
  AcctInterimInterval: 85,
  NasPortId: 87,
  FramedPool: 88,
  ErrorCause: 101,
} as const;

/** RFC 2548 §2: Microsoft's Vendor-Id in a Vendor-Specific attribute. */
export const VENDOR_MICROSOFT = 311;

/** RFC 2548 §2.1–§2.4: Microsoft vendor types (the ones the LNS sends or reads, plus MPPE keys). */
export const MsAttr = {
  ChapResponse: 1,
  ChapError: 2,
  ChapDomain: 10,
  ChapChallenge: 11,
  ChapMppeKeys: 12,
  MppeSendKey: 16,
  MppeRecvKey: 17,
  MppeEncryptionPolicy: 7,
  MppeEncryptionTypes: 8,
  Chap2Response: 25,
  Chap2Success: 26,
  PrimaryDnsServer: 28,
  SecondaryDnsServer: 29,
  PrimaryNbnsServer: 30,
  SecondaryNbnsServer: 31,
} as const;

/**
 * RFC 2865 §5 data types: `text` (UTF-8, 1-253), `string` (octets, 1-253), `ipaddr` / `integer` / `date`
 * (exactly 4 octets), `vsa` (Vendor-Id + vendor attributes, §5.26). `integer` attributes with an
 * `values` table are enumerations.
 */
export type ValueKind = 'text' | 'string' | 'ipaddr' | 'integer' | 'date' | 'vsa';

/** What the dictionary knows about one attribute. `length` overrides the kind's bounds (e.g. exactly 16). */
export interface AttributeSpec {
  readonly vendorId: number;
  readonly type: number;
  /** The FreeRADIUS dictionary name (also the formatter's label). */
  readonly name: string;
  readonly kind: ValueKind;
  /** Exact value length when the RFC fixes one (User-Password: a multiple of 16, see packet.ts). */
  readonly length?: number;
  /** Enumerated names of an `integer` attribute. */
  readonly values?: Readonly<Record<number, string>>;
}

/** RFC 2865 §5.6 Service-Type values used here. */
export const ServiceType = { Login: 1, Framed: 2, AuthenticateOnly: 8, AuthorizeOnly: 17 } as const;
/** RFC 2865 §5.7 Framed-Protocol. */
export const FramedProtocol = { Ppp: 1, Slip: 2 } as const;
/** RFC 2865 §5.41 NAS-Port-Type values used here (Virtual: an L2TP session). */
export const NasPortType = { Async: 0, Sync: 1, Isdn: 2, Virtual: 5, Ethernet: 15 } as const;
/** RFC 2866 §5.1 Acct-Status-Type (RFC 2866 §5.1 adds Accounting-On/Off as 7/8). */
export const AcctStatusType = { Start: 1, Stop: 2, InterimUpdate: 3, AccountingOn: 7, AccountingOff: 8 } as const;
/** RFC 2866 §5.6 Acct-Authentic. */
export const AcctAuthentic = { Radius: 1, Local: 2, Remote: 3 } as const;

/** RFC 2866 §5.10 Acct-Terminate-Cause. */
export const AcctTerminateCause = {
  UserRequest: 1,
  LostCarrier: 2,
  LostService: 3,
  IdleTimeout: 4,
  SessionTimeout: 5,
  AdminReset: 6,
  AdminReboot: 7,
  PortError: 8,
  NasError: 9,
  NasRequest: 10,
  NasReboot: 11,
  PortUnneeded: 12,
  PortPreempted: 13,
  PortSuspended: 14,
  ServiceUnavailable: 15,
  Callback: 16,
  UserError: 17,
  HostRequest: 18,
} as const;

/** RFC 5176 §3.5 Error-Cause. */
export const ErrorCause = {
  ResidualSessionContextRemoved: 201,
  InvalidEapPacket: 202,
  UnsupportedAttribute: 401,
  MissingAttribute: 402,
  NasIdentificationMismatch: 403,
  InvalidRequest: 404,
  UnsupportedService: 405,
  UnsupportedExtension: 406,
  InvalidAttributeValue: 407,
  AdministrativelyProhibited: 501,
  RequestNotRoutable: 502,
  SessionContextNotFound: 503,
  SessionContextNotRemovable: 504,
  OtherProxyProcessingError: 505,
  ResourcesUnavailable: 506,
  RequestInitiated: 507,
  MultipleSessionSelectionUnsupported: 508,
} as const;

/** `{ UserRequest: 1 }` → `{ 1: 'User-Request' }` (FreeRADIUS spelling). */
function names(table: Record<string, number>, special: Record<string, string> = {}): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(table)) out[v] = special[k] ?? k.replace(/(?<=[a-z])(?=[A-Z])/g, '-');
  return out;
}

const S = (type: number, name: string, kind: ValueKind, extra?: Partial<AttributeSpec>): AttributeSpec => ({
  vendorId: 0,
  type,
  name,
  kind,
  ...extra,
});
const MS = (type: number, name: string, kind: ValueKind): AttributeSpec => ({
  vendorId: VENDOR_MICROSOFT,
  type,
  name,
  kind,
});

/** Every attribute the codec names, standard (vendorId 0) and Microsoft (311). */
export const ATTRIBUTES: readonly AttributeSpec[] = [
  S(1, 'User-Name', 'text'),
  S(2, 'User-Password', 'string'),
  S(3, 'CHAP-Password', 'string', { length: 17 }),
  S(4, 'NAS-IP-Address', 'ipaddr'),
  S(5, 'NAS-Port', 'integer'),
  S(6, 'Service-Type', 'integer', { values: names(ServiceType, { Framed: 'Framed-User' }) }),
  S(7, 'Framed-Protocol', 'integer', { values: names(FramedProtocol, { Ppp: 'PPP', Slip: 'SLIP' }) }),
  S(8, 'Framed-IP-Address', 'ipaddr'),
  S(9, 'Framed-IP-Netmask', 'ipaddr'),
  S(10, 'Framed-Routing', 'integer'),
  S(11, 'Filter-Id', 'text'),
  S(12, 'Framed-MTU', 'integer'),
  S(13, 'Framed-Compression', 'integer'),
  S(18, 'Reply-Message', 'text'),
  S(22, 'Framed-Route', 'text'),
  S(24, 'State', 'string'),
  S(25, 'Class', 'string'),
  S(26, 'Vendor-Specific', 'vsa'),
  S(27, 'Session-Timeout', 'integer'),
  S(28, 'Idle-Timeout', 'integer'),
  S(29, 'Termination-Action', 'integer'),
  S(30, 'Called-Station-Id', 'text'),
  S(31, 'Calling-Station-Id', 'text'),
  S(32, 'NAS-Identifier', 'text'),
  S(33, 'Proxy-State', 'string'),
  S(40, 'Acct-Status-Type', 'integer', {
    values: names(AcctStatusType, { AccountingOn: 'Accounting-On', AccountingOff: 'Accounting-Off' }),
  }),
  S(41, 'Acct-Delay-Time', 'integer'),
  S(42, 'Acct-Input-Octets', 'integer'),
  S(43, 'Acct-Output-Octets', 'integer'),
  S(44, 'Acct-Session-Id', 'text'),
  S(45, 'Acct-Authentic', 'integer', { values: names(AcctAuthentic, { Radius: 'RADIUS' }) }),
  S(46, 'Acct-Session-Time', 'integer'),
  S(47, 'Acct-Input-Packets', 'integer'),
  S(48, 'Acct-Output-Packets', 'integer'),
  S(49, 'Acct-Terminate-Cause', 'integer', {
    values: names(AcctTerminateCause, { NasError: 'NAS-Error', NasRequest: 'NAS-Request', NasReboot: 'NAS-Reboot' }),
  }),
  S(50, 'Acct-Multi-Session-Id', 'text'),
  S(51, 'Acct-Link-Count', 'integer'),
  S(52, 'Acct-Input-Gigawords', 'integer'),
  S(53, 'Acct-Output-Gigawords', 'integer'),
  S(55, 'Event-Timestamp', 'date'),
  S(60, 'CHAP-Challenge', 'string'),
  S(61, 'NAS-Port-Type', 'integer', { values: names(NasPortType) }),
  S(62, 'Port-Limit', 'integer'),
  S(77, 'Connect-Info', 'text'),
  S(79, 'EAP-Message', 'string'),
  S(80, 'Message-Authenticator', 'string', { length: 16 }),
  S(85, 'Acct-Interim-Interval', 'integer'),
  S(87, 'NAS-Port-Id', 'text'),
  S(88, 'Framed-Pool', 'text'),
  S(101, 'Error-Cause', 'integer', { values: names(ErrorCause, { InvalidEapPacket: 'Invalid-EAP-Packet' }) }),
  MS(1, 'MS-CHAP-Response', 'string'),
  MS(2, 'MS-CHAP-Error', 'string'),
  MS(7, 'MS-MPPE-Encryption-Policy', 'integer'),
  MS(8, 'MS-MPPE-Encryption-Types', 'integer'),
  MS(10, 'MS-CHAP-Domain', 'string'),
  MS(11, 'MS-CHAP-Challenge', 'string'),
  MS(12, 'MS-CHAP-MPPE-Keys', 'string'),
  MS(16, 'MS-MPPE-Send-Key', 'string'),
  MS(17, 'MS-MPPE-Recv-Key', 'string'),
  MS(25, 'MS-CHAP2-Response', 'string'),
  MS(26, 'MS-CHAP2-Success', 'string'),
  MS(28, 'MS-Primary-DNS-Server', 'ipaddr'),
  MS(29, 'MS-Secondary-DNS-Server', 'ipaddr'),
  MS(30, 'MS-Primary-NBNS-Server', 'ipaddr'),
  MS(31, 'MS-Secondary-NBNS-Server', 'ipaddr'),
];

const BY_KEY = new Map<number, AttributeSpec>(ATTRIBUTES.map((a) => [a.vendorId * 256 + a.type, a]));

/** The dictionary entry of (vendorId, type), or undefined for an attribute it does not name. */
export function attributeSpec(vendorId: number, type: number): AttributeSpec | undefined {
  return BY_KEY.get(vendorId * 256 + type);
}

/** Value-length bounds of a kind (RFC 2865 §5: 4 for ipaddr/integer/date; 1..253 otherwise). */
export function isValidValueLength(spec: AttributeSpec, length: number): boolean {
  if (spec.length !== undefined) return length === spec.length;
  switch (spec.kind) {
    case 'ipaddr':
    case 'integer':
    case 'date':
      return length === 4;
    case 'vsa':
      return length >= 5;
    default:
      return length >= 1 && length <= 253;
  }
}
