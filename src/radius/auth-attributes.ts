// The attributes that carry a PPP authentication to RADIUS and back: PAP (RFC 2865 §5.2), CHAP-MD5
// (§5.3, §5.40) and MS-CHAPv2 (RFC 2548 §2.3.2 MS-CHAP2-Response, §2.3.3 MS-CHAP2-Success, §2.1.5
// MS-CHAP-Error), and the NAS attributes every Access-Request carries (issue 11).
// Related: client.ts (sends them), src/chap (computes the responses).
import { L2tpUsageError } from '../core/engine.js';
import type { AccessRequest } from './client.js';
import { chapPasswordAttribute } from './wire/authenticators.js';
import { Attr, FramedProtocol, MsAttr, NasPortType, ServiceType, VENDOR_MICROSOFT } from './wire/dictionary.js';
import type { RadiusAttribute } from './wire/packet.js';
import { findAttribute, makeAttribute } from './wire/values.js';

/** Who is asking: the NAS attributes of every Access-Request (and of accounting). */
export interface NasIdentity {
  /** NAS-Identifier (radcli `nas-identifier`); at least this or `nasIpAddress` (RFC 2865 §4.1). */
  readonly nasIdentifier?: string;
  readonly nasIpAddress?: string;
  /** NAS-Port: the L2TP session's number on this LNS. */
  readonly nasPort?: number;
  /** The LAC's Calling Number AVP, else the peer's address. */
  readonly callingStationId?: string;
  readonly calledStationId?: string;
  readonly acctSessionId?: string;
}

/**
 * NAS-Identifier / NAS-IP-Address, NAS-Port, NAS-Port-Type Virtual, Service-Type Framed-User,
 * Framed-Protocol PPP, Calling-/Called-Station-Id and Acct-Session-Id, as pppd's radius plugin sends them.
 */
export function nasAttributes(nas: NasIdentity): RadiusAttribute[] {
  if (nas.nasIdentifier === undefined && nas.nasIpAddress === undefined) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_NAS', 'RFC 2865 §4.1: NAS-Identifier or NAS-IP-Address is required');
  }
  const out: RadiusAttribute[] = [];
  if (nas.nasIdentifier !== undefined) out.push(makeAttribute(Attr.NasIdentifier, nas.nasIdentifier));
  if (nas.nasIpAddress !== undefined) out.push(makeAttribute(Attr.NasIpAddress, nas.nasIpAddress));
  if (nas.nasPort !== undefined) out.push(makeAttribute(Attr.NasPort, nas.nasPort));
  out.push(makeAttribute(Attr.NasPortType, NasPortType.Virtual));
  out.push(makeAttribute(Attr.ServiceType, ServiceType.Framed));
  out.push(makeAttribute(Attr.FramedProtocol, FramedProtocol.Ppp));
  if (nas.callingStationId !== undefined) out.push(makeAttribute(Attr.CallingStationId, nas.callingStationId));
  if (nas.calledStationId !== undefined) out.push(makeAttribute(Attr.CalledStationId, nas.calledStationId));
  if (nas.acctSessionId !== undefined) out.push(makeAttribute(Attr.AcctSessionId, nas.acctSessionId));
  return out;
}

/** PAP: User-Name plus the password, which the client hides per server (RFC 2865 §5.2). */
export function papRequest(user: string, password: Uint8Array | string, nas: NasIdentity): AccessRequest {
  return { attributes: [makeAttribute(Attr.UserName, user), ...nasAttributes(nas)], password };
}

/**
 * CHAP-MD5: CHAP-Password = CHAP Identifier ‖ Response (§5.3) and CHAP-Challenge (§5.40; always sent,
 * as pppd does, even for a 16-octet challenge that could travel as the Request Authenticator).
 */
export function chapMd5Request(
  user: string,
  chapIdentifier: number,
  challenge: Uint8Array,
  response: Uint8Array,
  nas: NasIdentity,
): AccessRequest {
  return {
    attributes: [
      makeAttribute(Attr.UserName, user),
      chapPasswordAttribute(chapIdentifier, response),
      makeAttribute(Attr.ChapChallenge, challenge),
      ...nasAttributes(nas),
    ],
  };
}

/**
 * MS-CHAPv2: MS-CHAP-Challenge (the 16-octet Authenticator Challenge) and MS-CHAP2-Response
 * (RFC 2548 §2.3.2: Ident, Flags, Peer-Challenge(16), Reserved(8), Response(24): 50 octets).
 */
export function msChapV2Request(
  user: string,
  chapIdentifier: number,
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  ntResponse: Uint8Array,
  nas: NasIdentity,
  flags = 0,
): AccessRequest {
  if (authenticatorChallenge.length !== 16 || peerChallenge.length !== 16 || ntResponse.length !== 24) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_MSCHAP', 'MS-CHAPv2 needs 16-octet challenges and a 24-octet response');
  }
  if ((chapIdentifier & 0xff) !== chapIdentifier || (flags & 0xff) !== flags) {
    throw new L2tpUsageError('ERR_L2TP_RADIUS_MSCHAP', 'identifier and flags are octets');
  }
  const response = new Uint8Array(50);
  response[0] = chapIdentifier;
  response[1] = flags;
  response.set(peerChallenge, 2);
  response.set(ntResponse, 26);
  return {
    attributes: [
      makeAttribute(Attr.UserName, user),
      makeAttribute(MsAttr.ChapChallenge, authenticatorChallenge, VENDOR_MICROSOFT),
      makeAttribute(MsAttr.Chap2Response, response, VENDOR_MICROSOFT),
      ...nasAttributes(nas),
    ],
  };
}

const latin1 = new TextDecoder('latin1');

/**
 * RFC 2548 §2.3.3 / §2.1.5: what an MS-CHAPv2 reply says for the PPP Success or Failure message — the
 * text after the Ident octet of MS-CHAP2-Success ("S=<40 hex>", handed to the client, which verifies
 * it) or of MS-CHAP-Error ("E=691 R=0 …"). Undefined fields when absent or shorter than 2 octets.
 */
export function msChapV2Outcome(attrs: readonly RadiusAttribute[]): {
  readonly success?: string;
  readonly error?: string;
} {
  const text = (type: number): string | undefined => {
    const v = findAttribute(attrs, type, VENDOR_MICROSOFT)?.value;
    return v === undefined || v.length < 2 ? undefined : latin1.decode(v.subarray(1));
  };
  const success = text(MsAttr.Chap2Success);
  const error = text(MsAttr.ChapError);
  return { ...(success === undefined ? {} : { success }), ...(error === undefined ? {} : { error }) };
}
