// PPP protocol numbers, control-packet codes and option types as data (RFC 1661 §2, §5, §6;
// RFC 1332, 1877, 5072, 1994, 1334, 1570). One source of truth for the codecs, policies and format.ts.
// Related: frame.ts, cp-packet.ts, format.ts.

/** PPP Protocol field values this stack knows by name (RFC 1661 §2, IANA ppp-numbers). */
export const PppProtocol = {
  Padding: 0x0001,
  Ipv4: 0x0021,
  VjCompressedTcp: 0x002d,
  VjUncompressedTcp: 0x002f,
  Ipv6: 0x0057,
  CompressedDatagram: 0x00fd,
  Ipcp: 0x8021,
  Ipv6cp: 0x8057,
  Ccp: 0x80fd,
  Mplscp: 0x8281,
  Lcp: 0xc021,
  Pap: 0xc023,
  Lqr: 0xc025,
  Chap: 0xc223,
} as const;

/** Short protocol names as pppd prints them ("LCP", "IPCP", "CHAP", …). */
export const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0001, 'Padding'],
  [0x0021, 'IP'],
  [0x002d, 'VJC_COMP'],
  [0x002f, 'VJC_UNCOMP'],
  [0x0057, 'IPv6'],
  [0x00fd, 'CompData'],
  [0x8021, 'IPCP'],
  [0x8057, 'IPV6CP'],
  [0x80fd, 'CCP'],
  [0x8281, 'MPLSCP'],
  [0xc021, 'LCP'],
  [0xc023, 'PAP'],
  [0xc025, 'LQR'],
  [0xc223, 'CHAP'],
]);

/** Control-packet codes (RFC 1661 §5; 12/13 from RFC 1570). NCPs use 1–7 only. */
export const CpCode = {
  ConfigureRequest: 1,
  ConfigureAck: 2,
  ConfigureNak: 3,
  ConfigureReject: 4,
  TerminateRequest: 5,
  TerminateAck: 6,
  CodeReject: 7,
  ProtocolReject: 8,
  EchoRequest: 9,
  EchoReply: 10,
  DiscardRequest: 11,
  Identification: 12,
  TimeRemaining: 13,
} as const;

/** pppd's abbreviations of the codes (fsm.c `code_names`, lcp.c). */
export const CP_CODE_NAMES: readonly string[] = [
  '',
  'ConfReq',
  'ConfAck',
  'ConfNak',
  'ConfRej',
  'TermReq',
  'TermAck',
  'CodeRej',
  'ProtRej',
  'EchoReq',
  'EchoRep',
  'DiscReq',
  'Ident',
  'TimeRem',
];

/** LCP Configuration Options (RFC 1661 §6, RFC 1570, RFC 1990). */
export const LcpOption = {
  Mru: 1,
  Accm: 2,
  AuthenticationProtocol: 3,
  QualityProtocol: 4,
  MagicNumber: 5,
  Pfc: 7,
  Acfc: 8,
  FcsAlternatives: 9,
  SelfDescribingPadding: 10,
  Callback: 13,
  CompoundFrames: 15,
  Mrru: 17,
  ShortSequenceNumber: 18,
  EndpointDiscriminator: 19,
} as const;

/** IPCP Configuration Options (RFC 1332 §3, RFC 1877 §1). */
export const IpcpOption = {
  IpAddresses: 1,
  IpCompressionProtocol: 2,
  IpAddress: 3,
  PrimaryDns: 129,
  PrimaryNbns: 130,
  SecondaryDns: 131,
  SecondaryNbns: 132,
} as const;

/** IPv6CP Configuration Options (RFC 5072 §4). */
export const Ipv6cpOption = { InterfaceIdentifier: 1 } as const;

/** CHAP Algorithm octets of the Authentication-Protocol option (RFC 1994 §3, RFC 2759 §2). */
export const ChapAlgorithm = { Md5: 0x05, MsChapV1: 0x80, MsChapV2: 0x81 } as const;

/** The lowest MRU we accept from a peer before Nak'ing (pppd MINMRU). */
export const MIN_MRU = 128;
/** RFC 1661 §6.1: the default MRU. */
export const DEFAULT_MRU = 1500;
