// Test fixture: a hand-driven L2TP peer on a SimNetwork. It sends exactly the control datagrams a
// test builds (any Tunnel ID, Ns, Nr, port) and records what it receives, so hostile peers (never
// acking, sweeping ports, flooding ICRQs) can be written without an Endpoint's good manners.
import type { Engine, PeerAddress, Transmit } from '../../src/core/engine.js';
import type { Instant } from '../../src/core/time.js';
import { AvpType } from '../../src/l2tp/wire/avp-catalogue.js';
import { L2tpHeaderView } from '../../src/l2tp/wire/header.js';
import {
  type ControlMessage,
  decodeControlMessage,
  encodeControlPacket,
  makeBytesAvp,
  makeResultCodeAvp,
  makeStringAvp,
  makeU16Avp,
  makeU32Avp,
} from '../../src/l2tp/wire/message.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';

/** One received datagram, header parsed (and the message decoded when it has a body). */
export interface Received {
  readonly from: PeerAddress;
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly ns: number;
  readonly nr: number;
  readonly message?: ControlMessage;
  readonly at: Instant;
}

/** Builds control messages with the AVPs RFC 2661 §6 requires. */
export const build = {
  sccrq(assignedTunnelId: number, opts: { rws?: number } = {}): ControlMessage {
    return {
      type: MessageType.SCCRQ,
      avps: [
        makeBytesAvp(AvpType.ProtocolVersion, new Uint8Array([1, 0])),
        makeStringAvp(AvpType.HostName, 'raw'),
        makeU32Avp(AvpType.FramingCapabilities, 3),
        makeU16Avp(AvpType.AssignedTunnelId, assignedTunnelId),
        ...(opts.rws === undefined ? [] : [makeU16Avp(AvpType.ReceiveWindowSize, opts.rws)]),
      ],
    };
  },
  scccn(): ControlMessage {
    return { type: MessageType.SCCCN, avps: [] };
  },
  hello(): ControlMessage {
    return { type: MessageType.HELLO, avps: [] };
  },
  stopccn(assignedTunnelId: number): ControlMessage {
    return {
      type: MessageType.StopCCN,
      avps: [makeU16Avp(AvpType.AssignedTunnelId, assignedTunnelId), makeResultCodeAvp(AvpType.ResultCode, 1)],
    };
  },
  icrq(assignedSessionId: number): ControlMessage {
    return {
      type: MessageType.ICRQ,
      avps: [makeU16Avp(AvpType.AssignedSessionId, assignedSessionId), makeU32Avp(AvpType.CallSerialNumber, 1)],
    };
  },
};

/** A peer whose every datagram is written by the test. */
export class RawPeer implements Engine<never> {
  readonly received: Received[] = [];
  /** Called for every datagram received (after it is recorded). */
  onReceive: ((r: Received) => void) | undefined;
  private readonly out: Transmit[] = [];
  private readonly view = new L2tpHeaderView();

  constructor(
    readonly address: PeerAddress,
    /** Keep only the last N received datagrams (a million-message flood must not grow memory). */
    private readonly keep = Number.POSITIVE_INFINITY,
  ) {}

  /** Queues a control message with the given header fields. */
  send(to: PeerAddress, tunnelId: number, sessionId: number, ns: number, nr: number, msg?: ControlMessage): void {
    const bytes = msg === undefined ? zlb(tunnelId, ns, nr) : encodeControlPacket({ tunnelId, sessionId, ns, nr }, msg);
    this.out.push({ to, bytes });
  }

  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: Instant): void {
    const v = this.view;
    if (v.wrap(bytes) !== undefined || !v.isControl) return;
    const d = v.body.length > 0 ? decodeControlMessage(v.body) : undefined;
    const r: Received = {
      from,
      tunnelId: v.tunnelId,
      sessionId: v.sessionId,
      ns: v.ns,
      nr: v.nr,
      ...(d?.ok ? { message: d.value } : {}),
      at: now,
    };
    this.received.push(r);
    if (this.received.length > this.keep) this.received.splice(0, this.received.length - this.keep);
    this.onReceive?.(r);
  }
  handleTimeout(): void {}
  pollTransmit(): Transmit | undefined {
    return this.out.shift();
  }
  pollTimeout(): Instant | undefined {
    return undefined;
  }
  pollEvent(): never | undefined {
    return undefined;
  }
}

function zlb(tunnelId: number, ns: number, nr: number): Uint8Array {
  const b = new Uint8Array(12);
  b[0] = 0xc8;
  b[1] = 0x02;
  b[3] = 12;
  b[4] = tunnelId >> 8;
  b[5] = tunnelId & 0xff;
  b[8] = ns >> 8;
  b[9] = ns & 0xff;
  b[10] = nr >> 8;
  b[11] = nr & 0xff;
  return b;
}

/** The Result Code and Error Code of a received StopCCN/CDN, as "result/error". */
export function resultOf(m: ControlMessage | undefined): string | undefined {
  const a = m?.avps.find((x) => x.type === AvpType.ResultCode);
  if (a === undefined) return undefined;
  const v = a.value;
  return v.length >= 4 ? `${(v[0]! << 8) | v[1]!}/${(v[2]! << 8) | v[3]!}` : `${(v[0]! << 8) | v[1]!}`;
}
