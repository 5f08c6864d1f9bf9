// Public API of src/ppp: the PPP link (RFC 1661 phases, LCP, IPCP, IPv6CP), the authentication
// interfaces src/chap implements, and the wire codecs. Related: link.ts, auth-phase.ts, docs/PPP.md.
export type { AuthEngine, AuthOffer, AuthOutcome } from '../core/auth-engine.js';
export { type AuthPacket, AuthPhase, type AuthResult } from './auth-phase.js';
export { type Action, Automaton, type Cell, EVENTS, type Event, STATES, type State, TRANSITIONS } from './automaton.js';
export { ControlProtocol, type ControlProtocolOptions, type CpEvent } from './control-protocol.js';
export { EchoKeepalive } from './echo.js';
export { IpcpPolicy } from './ipcp.js';
export { formatInterfaceId, Ipv6cpPolicy } from './ipv6cp.js';
export { type AuthChoice, authOptionData, type LcpNotice, LcpPolicy } from './lcp.js';
export { PppLink, type PppLinkOptions } from './link.js';
export { LinkDownCause, type Phase, type PppEvent } from './link-events.js';
export { type NetworkOutput, NetworkPhase, type NetworkPhaseOptions, type NetworkUp } from './network-phase.js';
export type { ExtendedCode, OptionPolicy, Verdict } from './option-policy.js';
export {
  type CpFault,
  type CpPacket,
  decodeCpPacket,
  decodeOptions,
  encodeCpPacket,
  encodeOptions,
  type Option,
  OptionCursor,
} from './wire/cp-packet.js';
export { formatFrame, formatPacket } from './wire/format.js';
export { decodeFrame, encodeFrame, type FrameError, PppFrameView } from './wire/frame.js';
export { CpCode, IpcpOption, LcpOption, PppProtocol } from './wire/protocol-numbers.js';
