// The reasons our StopCCNs and CDNs carry, named once (RFC 2661 §4.4.2 Result and Error Codes):
// the tunnel, the session, the handshake judgements and the endpoint's SCCRQ refusals.
// Related: wire/result-codes.ts (the code catalogue), types.ts (DisconnectReason).
import type { DisconnectReason } from './types.js';
import { type ControlMessage, resultCodeOf } from './wire/message.js';
import { CdnResult, ErrorCode, HIGHEST_SUPPORTED_VERSION, NO_RESULT_CODE, StopCcnResult } from './wire/result-codes.js';

const stop = (resultCode: number, errorCode: number, message: string): DisconnectReason =>
  Object.freeze({ resultCode, errorCode, message });

/** StopCCN reasons (§4.4.2 StopCCN Result Codes). */
export const StopReason = {
  /** No StopCCN was sent (a lost §4.4.3 tie break drops our request quietly). */
  None: Object.freeze({ resultCode: NO_RESULT_CODE }) as DisconnectReason,
  /** Local close without a reason given. */
  Clear: Object.freeze({ resultCode: StopCcnResult.GeneralClear }) as DisconnectReason,
  /** A fault without a FAULT_REPLY entry to name. */
  GeneralError: Object.freeze({ resultCode: StopCcnResult.GeneralError }) as DisconnectReason,
  /** §7.2: an unexpected message in this state. */
  FsmError: stop(StopCcnResult.FsmError, ErrorCode.NoError, 'FSM error'),
  /** Sessions cleared because their tunnel is abandoned. */
  TunnelGone: Object.freeze({ resultCode: StopCcnResult.GeneralError, message: 'tunnel gone' }) as DisconnectReason,
  /** An engine bug took the tunnel down (error 6: implementation-specific). */
  internalError: (message: string): DisconnectReason =>
    Object.freeze({ resultCode: StopCcnResult.GeneralError, errorCode: ErrorCode.VendorSpecific, message }),
  /** §5.8: retries exhausted. */
  PeerUnreachable: stop(StopCcnResult.GeneralError, ErrorCode.NoError, 'Peer unreachable'),
  /** §4.4.3: an SCCRP/SCCRQ that is not version 1.0 (tunnel: no version in the Error Code). */
  NotVersion10: stop(StopCcnResult.UnsupportedProtocolVersion, ErrorCode.NoError, 'Protocol version 1.0 required'),
  /** §4.4.2: for an SCCRQ the Error Code carries the highest version we support. */
  SccrqNotVersion10: stop(
    StopCcnResult.UnsupportedProtocolVersion,
    HIGHEST_SUPPORTED_VERSION,
    'Protocol version 1.0 required',
  ),
  /** §5.1.1 refusals. */
  ChallengeResponseMissing: stop(StopCcnResult.NotAuthorized, ErrorCode.NoError, 'Challenge Response missing'),
  ChallengeResponseMismatch: stop(StopCcnResult.NotAuthorized, ErrorCode.NoError, 'Challenge Response mismatch'),
  NoSecretForChallenge: stop(
    StopCcnResult.NotAuthorized,
    ErrorCode.NoError,
    'Challenge received but no secret configured',
  ),
  NoSecretForPeer: stop(StopCcnResult.NotAuthorized, ErrorCode.NoError, 'No secret for this peer'),
  NotAuthorized: stop(StopCcnResult.NotAuthorized, ErrorCode.NoError, 'Not authorized'),
  /** Endpoint limits on new tunnels. */
  TooManyNewTunnels: stop(StopCcnResult.GeneralError, ErrorCode.InsufficientResources, 'Too many new tunnels'),
  /**
   * The node is at capacity (limits.maxTunnels, or limits.maxSessions already held): §4.4.2 error
   * 7 "try another", so a LAC that knows other LNSes moves on (docs/SCALE-OUT.md).
   */
  TunnelLimit: stop(StopCcnResult.GeneralError, ErrorCode.TryAnother, 'At capacity (tunnel limit): try another LNS'),
  SessionCapacity: stop(
    StopCcnResult.GeneralError,
    ErrorCode.TryAnother,
    'At capacity (session limit): try another LNS',
  ),
  /** limits.maxTunnelsPerPeer: this address holds as many tunnels as it may. */
  TunnelsPerPeerLimit: stop(
    StopCcnResult.GeneralError,
    ErrorCode.InsufficientResources,
    'Too many tunnels from this address',
  ),
  /** limits.maxHalfOpenTunnels: the oldest half-open tunnel gave way to a newer SCCRQ. */
  HalfOpenEvicted: stop(StopCcnResult.GeneralError, ErrorCode.InsufficientResources, 'Too many half-open tunnels'),
  /** limits.maxQueuedMessages: the peer does not ack and the queue of messages for it is full. */
  QueueOverflow: stop(StopCcnResult.GeneralError, ErrorCode.InsufficientResources, 'Control queue full'),
  /** tunnelSetupTimeoutMs: SCCRQ/SCCRP answered, the handshake never finished. */
  SetupTimeout: stop(StopCcnResult.GeneralError, ErrorCode.NoError, 'Tunnel not established in time'),
  /** §4.4.3: an SCCRQ/SCCRP whose Receive Window Size is 0 (error 3: value out of range). */
  ZeroReceiveWindow: stop(StopCcnResult.GeneralError, ErrorCode.BadValue, 'Receive Window Size 0 is invalid'),
  /** §4.4.3: an SCCRQ/SCCRP whose Assigned Tunnel ID is 0 (reserved; error 3). */
  ZeroTunnelId: stop(StopCcnResult.GeneralError, ErrorCode.BadValue, 'Assigned Tunnel ID 0 is reserved'),
} as const;

/** CDN reasons (§4.4.2 CDN Result Codes). */
export const CdnReason = {
  /** Local disconnect without a reason given. */
  Administrative: Object.freeze({ resultCode: CdnResult.Administrative }) as DisconnectReason,
  /** A fault without a FAULT_REPLY entry to name. */
  GeneralError: Object.freeze({ resultCode: CdnResult.GeneralError }) as DisconnectReason,
  /** §7.4: an unexpected call message in this state. */
  FsmError: stop(CdnResult.GeneralError, ErrorCode.NoError, 'FSM error'),
  /** §7.4/§7.5: ICRQ to a LAC or OCRQ to an LNS. */
  WrongDirection: stop(CdnResult.GeneralError, ErrorCode.NoError, 'Wrong direction for this call type'),
  /** §4.4.2 CDN 4 "lack of appropriate facilities (temporary)", error 4 "insufficient resources". */
  SessionLimit: stop(CdnResult.TemporaryNoFacilities, ErrorCode.InsufficientResources, 'Session limit reached'),
  /** limits.maxSessions (the whole node) reached: CDN 2/7 "try another" (§4.4.2), as for a new tunnel. */
  AtCapacity: stop(CdnResult.GeneralError, ErrorCode.TryAnother, 'At capacity (session limit): try another LNS'),
  /** limits.maxCallsInSetupPerTunnel: Result 2, Error 4 "insufficient resources". */
  CallsInSetupPerTunnel: stop(CdnResult.GeneralError, ErrorCode.InsufficientResources, 'Too many calls in setup'),
  /** limits.maxCallsInSetupPerPeer: the same, counted over every tunnel of the peer's address. */
  CallsInSetupPerPeer: stop(
    CdnResult.GeneralError,
    ErrorCode.InsufficientResources,
    'Too many calls in setup from this address',
  ),
  /** callSetupTimeoutMs: the call did not reach ICCN/ICRP/OCRP/OCCN in time. */
  SetupTimeout: stop(CdnResult.GeneralError, ErrorCode.NoError, 'Call not connected in time'),
  /** §4.4.3: Assigned Session ID 0 is reserved (error 3: reserved value). */
  ZeroSessionId: stop(CdnResult.GeneralError, ErrorCode.BadValue, 'Assigned Session ID 0 is reserved'),
} as const;

/** The reason a peer's StopCCN or CDN gives (its Result Code AVP; Result 0 when absent). */
export function peerReason(msg: ControlMessage | undefined): DisconnectReason {
  const rc = msg === undefined ? undefined : resultCodeOf(msg);
  return {
    resultCode: rc?.resultCode ?? NO_RESULT_CODE,
    ...(rc?.errorCode !== undefined ? { errorCode: rc.errorCode } : {}),
    ...(rc?.message !== undefined ? { message: rc.message } : {}),
  };
}
