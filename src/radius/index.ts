// RADIUS for the LNS: the codec (wire/) and the sans-IO client engine. RFC 2865, 2866, 2869, 3579, 5176, 2548.
// Related: src/io/radius-transport.ts (the UDP driver), src/lns/config/radius-conf.ts (radiusclient.conf).
//
// The API the integration calls:
//  - `new RadiusClient({ authServers, acctServers, random, timeoutMs, retries, acceptUnsignedReplies })`:
//    an Engine (handleDatagram / handleTimeout / pollTransmit / pollTimeout / pollEvent) that never
//    reads a clock; `authenticate(request, now)` and `account(attributes, now)` return a RequestId and
//    exactly one event per request ends it: access-accept | access-reject | access-challenge |
//    accounting-response | timeout | refused. `cancel(requestId)` forgets one (session gone).
//  - Request builders: `papRequest`, `chapMd5Request`, `msChapV2Request` (each with `NasIdentity`),
//    `nasAttributes` for accounting; `msChapV2Outcome(attributes)` gives the S= / E= text for PPP.
//  - Reply attributes: `getIpaddr(attrs, Attr.FramedIpAddress)`, `getInteger(attrs, Attr.SessionTimeout)`,
//    `getIpaddr(attrs, MsAttr.PrimaryDnsServer, VENDOR_MICROSOFT)`, `findAll(attrs, Attr.Class)`, …;
//    accounting attributes with `makeAttribute(type, value)` and `splitGigawords(octets)`.
//  - Server side (DAE, RFC 5176): `DaeServer` (dae-server.ts: checks a Disconnect-/CoA-Request and
//    answers it; the LNS acts through a callback); the codec's `decodePacket`, `verifyRequest`,
//    `encodeResponse`, `ErrorCause`.
//  - Text for logs: `formatPacket`.
// BlastRADIUS (CVE-2024-3596): every request carries a Message-Authenticator as its first attribute;
// a reply without one is dropped unless `acceptUnsignedReplies`, a reply with a wrong one always is.

export {
  chapMd5Request,
  msChapV2Outcome,
  msChapV2Request,
  type NasIdentity,
  nasAttributes,
  papRequest,
} from './auth-attributes.js';
export {
  type AccessRequest,
  RadiusClient,
  type RadiusClientEvent,
  type RadiusClientOptions,
  type RadiusServer,
  type ReplyDropReason,
  type RequestId,
} from './client.js';
export {
  type DaeClient,
  type DaeDropReason,
  type DaeOutcome,
  type DaeRequest,
  type DaeResult,
  DaeServer,
  type DaeServerOptions,
  type SessionSelector,
} from './dae-server.js';
export {
  chapPasswordAttribute,
  encodeRequest,
  encodeResponse,
  hideUserPassword,
  type Secret,
  unhideUserPassword,
  verifyReply,
  verifyRequest,
} from './wire/authenticators.js';
export {
  AcctAuthentic,
  AcctStatusType,
  AcctTerminateCause,
  ATTRIBUTES,
  Attr,
  attributeSpec,
  CODES,
  Code,
  ErrorCause,
  FramedProtocol,
  MsAttr,
  NasPortType,
  ServiceType,
  VENDOR_MICROSOFT,
} from './wire/dictionary.js';
export { formatAttribute, formatPacket } from './wire/format.js';
export {
  type Decoded,
  type DecodedPacket,
  decodePacket,
  type Fault,
  type FaultCode,
  type RadiusAttribute,
  type RadiusPacket,
} from './wire/packet.js';
export {
  findAll,
  findAttribute,
  getInteger,
  getIpaddr,
  getOctets,
  getText,
  joinGigawords,
  makeAttribute,
  replyMessage,
  splitGigawords,
} from './wire/values.js';
