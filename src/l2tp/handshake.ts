// Judging the control-connection handshake: Protocol Version 1.0 (§4.4.3) and tunnel
// authentication (§5.1.1). A refusal is the StopCCN reason; undefined means acceptable.
// Related: tunnel.ts (SCCRP, SCCCN), endpoint.ts (SCCRQ).
import type { Random } from '../core/random.js';
import { StopReason } from './reasons.js';
import type { DisconnectReason } from './types.js';
import { AvpType } from './wire/avp-catalogue.js';
import { avpBytes, avpU16, type ControlMessage } from './wire/message.js';
import { challengeResponse, verifyChallengeResponse } from './wire/tunnel-auth.js';

/** §4.4.3: the Protocol Version AVP says 1.0 (RFC 2661's only version). */
export function isVersion10(msg: ControlMessage): boolean {
  const version = avpBytes(msg, AvpType.ProtocolVersion);
  return version !== undefined && version[0] === 1 && version[1] === 0;
}

/**
 * §4.4.3 field values of an SCCRQ/SCCRP: Assigned Tunnel ID 0 is reserved and a Receive Window
 * Size of 0 would let the peer never send; both are refused with StopCCN 2/3.
 */
export function judgeFieldValues(msg: ControlMessage): DisconnectReason | undefined {
  if (avpU16(msg, AvpType.AssignedTunnelId) === 0) return StopReason.ZeroTunnelId;
  if (avpU16(msg, AvpType.ReceiveWindowSize) === 0) return StopReason.ZeroReceiveWindow;
  return undefined;
}

/** What judging an SCCRP or SCCCN needs from the tunnel. */
export interface HandshakeSecrets {
  readonly secret: Uint8Array | undefined;
  /** The Challenge we sent, if any. */
  readonly ourChallenge: Uint8Array | undefined;
  /** The Challenge the peer sent (in its SCCRQ or in this SCCRP), if any. */
  readonly peerChallenge: Uint8Array | undefined;
}

/** §5.1.1: our Challenge needs the right Response; a peer's Challenge needs a secret to answer. */
export function judgeAuthentication(msg: ControlMessage, s: HandshakeSecrets): DisconnectReason | undefined {
  if (s.ourChallenge !== undefined && s.secret !== undefined) {
    const response = avpBytes(msg, AvpType.ChallengeResponse);
    if (response === undefined) return StopReason.ChallengeResponseMissing;
    if (!verifyChallengeResponse(msg.type, s.secret, s.ourChallenge, response))
      return StopReason.ChallengeResponseMismatch;
  }
  if (s.peerChallenge !== undefined && s.secret === undefined) return StopReason.NoSecretForChallenge;
  return undefined;
}

/** An SCCRP in wait-ctl-reply: version 1.0, then §5.1.1 (the peer's Challenge is in this SCCRP). */
export function judgeSccrp(
  msg: ControlMessage,
  secret: Uint8Array | undefined,
  ourChallenge: Uint8Array | undefined,
): DisconnectReason | undefined {
  if (!isVersion10(msg)) return StopReason.NotVersion10;
  const bad = judgeFieldValues(msg);
  if (bad !== undefined) return bad;
  return judgeAuthentication(msg, { secret, ourChallenge, peerChallenge: avpBytes(msg, AvpType.Challenge) });
}

/**
 * The Challenges of one tunnel's authentication (§5.1.1): ours, sent in SCCRQ/SCCRP when
 * `challengePeer` and a secret are set, and the peer's, whose Response we send back.
 */
export class TunnelChallenges implements HandshakeSecrets {
  ourChallenge: Uint8Array | undefined;
  peerChallenge: Uint8Array | undefined;

  constructor(
    readonly secret: Uint8Array | undefined,
    private readonly challengePeer: boolean,
    private readonly random: Random,
  ) {}

  /** A fresh Challenge for our SCCRQ/SCCRP, or undefined when we do not authenticate the peer. */
  newChallenge(): Uint8Array | undefined {
    if (!this.challengePeer || this.secret === undefined) return undefined;
    this.ourChallenge = this.random.fill(new Uint8Array(16));
    return this.ourChallenge;
  }

  /** The Response to the peer's Challenge in a message of `type`, when it sent one and we have a secret. */
  responseTo(type: number): Uint8Array | undefined {
    if (this.peerChallenge === undefined || this.secret === undefined) return undefined;
    return challengeResponse(type, this.secret, this.peerChallenge);
  }
}
