// Result and Error Codes of StopCCN and CDN (RFC 2661 §4.4.2; later values per REFERENCES.md §4.3),
// and FAULT_REPLY: the one reviewed table mapping a decode fault to the Result/Error Code to answer with.
// Related: message.ts (FaultCode), format.ts.
import type { Fault, FaultCode } from './message.js';
import { MessageType } from './message-catalogue.js';

/** Result Code 0 is reserved (§4.4.2): what we report when a peer gave none or none was sent. */
export const NO_RESULT_CODE = 0;

/** StopCCN Result Codes (§4.4.2). */
export const StopCcnResult = {
  GeneralClear: 1,
  GeneralError: 2,
  ControlChannelExists: 3,
  NotAuthorized: 4,
  UnsupportedProtocolVersion: 5,
  ShuttingDown: 6,
  FsmError: 7,
} as const;

/** CDN Result Codes (§4.4.2). */
export const CdnResult = {
  LostCarrier: 1,
  GeneralError: 2,
  Administrative: 3,
  TemporaryNoFacilities: 4,
  PermanentNoFacilities: 5,
  InvalidDestination: 6,
  NoCarrier: 7,
  Busy: 8,
  NoDialTone: 9,
  NotEstablishedInTime: 10,
  NoFramingDetected: 11,
} as const;

/** General Error Codes carried after a Result Code of 2 (§4.4.2). */
export const ErrorCode = {
  NoError: 0,
  NoControlConnection: 1,
  BadLength: 2,
  BadValue: 3,
  InsufficientResources: 4,
  InvalidSessionId: 5,
  VendorSpecific: 6,
  TryAnother: 7,
  UnknownMandatoryAvp: 8,
} as const;

/** §4.4.2: with StopCCN Result 5 the Error Code field carries the highest version supported (1.0). */
export const HIGHEST_SUPPORTED_VERSION = 0x0100;

const STOPCCN_NAMES: readonly string[] = [
  'Reserved',
  'General request to clear control connection',
  'General error',
  'Control channel already exists',
  'Requester is not authorized to establish a control channel',
  'Protocol version not supported',
  'Requester is being shut down',
  'Finite State Machine error',
  'Mismatching CCDS value',
];

const CDN_NAMES: readonly string[] = [
  'Reserved',
  'Lost carrier',
  'General error',
  'Administrative',
  'No appropriate facilities (temporary)',
  'No appropriate facilities (permanent)',
  'Invalid destination',
  'No carrier detected',
  'Busy signal',
  'No dial tone',
  'Not established within time allotted by LAC',
  'No appropriate framing detected',
  'Mismatching SDS value',
  'Losing tie breaker',
  'Unsupported pseudowire type',
  'Sequencing required without valid L2-Specific Sublayer',
  'FSM error or timeout',
];

const ERROR_NAMES: readonly string[] = [
  'No general error',
  'No control connection exists yet for this LAC-LNS pair',
  'Length is wrong',
  'Field value out of range or reserved field non-zero',
  'Insufficient resources',
  'Session ID invalid in this context',
  'Vendor-specific error',
  'Try another',
  'Unknown AVP with the M bit set',
  'Try another directed',
  'Next hop unreachable',
  'Next hop busy',
  'TSA busy',
];

/** Human name of a Result Code in a StopCCN (message type 4) or CDN (14); `Result <n>` if unknown. */
export function resultCodeName(messageType: number, resultCode: number): string {
  const names = messageType === MessageType.CDN ? CDN_NAMES : STOPCCN_NAMES;
  return names[resultCode] ?? `Result ${resultCode}`;
}

/** Human name of a General Error Code; `Error <n>` if unknown. */
export function errorCodeName(errorCode: number): string {
  return ERROR_NAMES[errorCode] ?? `Error ${errorCode}`;
}

/** What to answer (StopCCN for tunnel scope, CDN for session scope) for a fault; Result 2 is "general error" in both. */
export interface FaultReply {
  readonly resultCode: number;
  readonly errorCode?: number;
}

/**
 * The wire reaction to each decode fault (§4.4.2 codes, one table to review). `drop`-scoped faults are
 * never answered; their entries say what would be sent if a caller chose to answer anyway.
 */
export const FAULT_REPLY: Readonly<Record<FaultCode, FaultReply>> = Object.freeze({
  'avp-truncated': { resultCode: 2, errorCode: ErrorCode.BadLength },
  'avp-bad-length': { resultCode: 2, errorCode: ErrorCode.BadLength },
  'missing-message-type': { resultCode: 2, errorCode: ErrorCode.BadValue },
  'bad-message-type': { resultCode: 2, errorCode: ErrorCode.BadLength },
  // §4.4.1: unknown Message Type with M=1 → clear the tunnel; no dedicated error code exists.
  'unknown-message-type': { resultCode: 2, errorCode: ErrorCode.BadValue },
  // §4.4.2 error 8: "unknown AVP with the M-bit set" (Error Message SHOULD name the attribute).
  'unknown-mandatory-avp': { resultCode: 2, errorCode: ErrorCode.UnknownMandatoryAvp },
  'missing-avp': { resultCode: 2, errorCode: ErrorCode.BadValue },
  'avp-bad-value-length': { resultCode: 2, errorCode: ErrorCode.BadLength },
  'hidden-avp-without-secret': { resultCode: 2, errorCode: ErrorCode.VendorSpecific },
  'hidden-avp-without-random-vector': { resultCode: 2, errorCode: ErrorCode.BadValue },
  'hidden-avp-bad-length': { resultCode: 2, errorCode: ErrorCode.BadLength },
});

/** The Result/Error Code and Error Message a StopCCN or CDN answering `fault` carries (FAULT_REPLY). */
export function faultReason(fault: Fault): FaultReply & { readonly message: string } {
  const reply = FAULT_REPLY[fault.code];
  return {
    resultCode: reply.resultCode,
    ...(reply.errorCode !== undefined ? { errorCode: reply.errorCode } : {}),
    message: describeFault(fault),
  };
}

/** An Error Message for the reply to `fault` (§4.4.2: it SHOULD name the attribute for error 8). */
export function describeFault(fault: Fault): string {
  if (fault.message !== undefined) return fault.message;
  return fault.avpType === undefined ? fault.code : `${fault.code} (AVP ${fault.avpType})`;
}
