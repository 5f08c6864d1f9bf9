// Golden vectors from real peers: every L2TP datagram of every capture in test/vectors (provenance in
// test/vectors/README.md) parses, every control message decodes and re-encodes to the captured octets.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { AvpType } from '../../src/l2tp/wire/avp-catalogue.js';
import { formatControlMessage } from '../../src/l2tp/wire/format.js';
import { CONTROL_HEADER_LENGTH, L2tpHeaderView, writeControlHeader } from '../../src/l2tp/wire/header.js';
import {
  avpBytes,
  type ControlMessage,
  decodeControlMessage,
  encodeControlMessage,
  encodeControlPacket,
  resultCodeOf,
} from '../../src/l2tp/wire/message.js';
import { MessageType, messageName } from '../../src/l2tp/wire/message-catalogue.js';
import { challengeResponse, verifyChallengeResponse } from '../../src/l2tp/wire/tunnel-auth.js';
import { type UdpRecord, udpRecords } from '../support/pcap.js';

const SECRET = new TextEncoder().encode('pksecret'); // the peers kit's tunnel secret (REPORT.md)

function capture(name: string): UdpRecord[] {
  return udpRecords(readFileSync(new URL(`../vectors/${name}`, import.meta.url)), 1701);
}

/** Expected per capture: datagrams on port 1701, control messages with AVPs, ZLBs, data messages, hidden AVPs. */
const CAPTURES: Record<string, { udp: number; control: number; zlb: number; data: number; hidden: number }> = {
  'xl2tpd-lns.pcap': { udp: 58, control: 35, zlb: 20, data: 3, hidden: 5 },
  'l2tpns-lns.pcap': { udp: 263, control: 66, zlb: 31, data: 166, hidden: 9 },
  'xl2tpd-lac-l2tpns.pcap': { udp: 26, control: 16, zlb: 8, data: 2, hidden: 0 },
  'xl2tpd-lac-xl2tpd.pcap': { udp: 45, control: 24, zlb: 21, data: 0, hidden: 0 },
  'uml-xl2tpd-pppd-mschapv2.pcap': { udp: 50, control: 7, zlb: 4, data: 39, hidden: 0 },
  'uml-l2tpns-reference-chap.pcap': { udp: 36, control: 7, zlb: 3, data: 26, hidden: 0 },
};

describe('golden captures', () => {
  for (const [name, expected] of Object.entries(CAPTURES)) {
    it(`RFC2661-3.1/4.1: every datagram of ${name} parses; control messages decode and re-encode byte-identically`, () => {
      const view = new L2tpHeaderView();
      const records = capture(name);
      const counts = { udp: records.length, control: 0, zlb: 0, data: 0, hidden: 0 };
      for (const r of records) {
        const where = `${name} frame ${r.frame}`;
        expect(view.wrap(r.payload), where).toBeUndefined();
        if (!view.isControl) {
          counts.data++;
          expect(view.sessionId, where).not.toBe(0);
          expect(view.body.length, where).toBeGreaterThan(0);
          continue;
        }
        if (view.body.length === 0) {
          counts.zlb++;
          continue;
        }
        counts.control++;
        const before = toHex(r.payload);
        const decoded = decodeControlMessage(view.body, { secret: SECRET });
        if (!decoded.ok) throw new Error(`${where}: ${JSON.stringify(decoded.fault)}`);
        expect(toHex(r.payload), `${where}: decoding must not mutate its input`).toBe(before);
        const msg = decoded.value;
        counts.hidden += msg.avps.filter((a) => a.hidden).length;

        // Header + encodeControlMessage reproduce the captured datagram exactly.
        const body = encodeControlMessage(msg, { secret: SECRET });
        const rebuilt = new Uint8Array(CONTROL_HEADER_LENGTH + body.length);
        writeControlHeader(rebuilt, 0, rebuilt.length, view.tunnelId, view.sessionId, view.ns, view.nr);
        rebuilt.set(body, CONTROL_HEADER_LENGTH);
        expect(toHex(rebuilt), where).toBe(toHex(r.payload.subarray(0, view.messageEnd)));
        const packet = encodeControlPacket(view, msg, { secret: SECRET });
        expect(toHex(packet), where).toBe(toHex(rebuilt));

        const line = formatControlMessage(msg, view);
        expect(line.startsWith(`${messageName(msg.type)} tid=${view.tunnelId} sid=${view.sessionId}`), where).toBe(
          true,
        );
      }
      expect(counts).toEqual({ ...expected, udp: expected.udp });
    });
  }

  it('formats a captured SCCRP as one line (xl2tpd-lns.pcap frame 2)', () => {
    const r = capture('xl2tpd-lns.pcap').find((x) => x.frame === 2)!;
    const view = new L2tpHeaderView();
    expect(view.wrap(r.payload)).toBeUndefined();
    const d = decodeControlMessage(view.body);
    expect(d.ok && formatControlMessage(d.value, view)).toBe(
      'SCCRP tid=16027 sid=0 ns=0 nr=1 <ProtocolVersion 1.0> <FramingCapabilities 0x00000003> ' +
        '<BearerCapabilities 0x00000000> <FirmwareRevision 1680> <HostName "pk-xl2tpd"> ' +
        '<VendorName "xelerance.com"> <AssignedTunnelId 34151> <ReceiveWindowSize 4>',
    );
  });
});

function controlMessages(name: string): Map<number, ControlMessage> {
  const view = new L2tpHeaderView();
  const out = new Map<number, ControlMessage>();
  for (const r of capture(name)) {
    if (view.wrap(r.payload) !== undefined || !view.isControl || view.body.length === 0) continue;
    const d = decodeControlMessage(view.body, { secret: SECRET });
    if (d.ok) out.set(r.frame, d.value);
  }
  return out;
}

describe('hidden AVPs and tunnel authentication in captures (xl2tpd-lns.pcap, [lns secure])', () => {
  const msgs = controlMessages('xl2tpd-lns.pcap');

  it('RFC2661-4.3: the ICRQ of frame 49 carries hidden Assigned Session ID 100 and Call Serial Number 1', () => {
    const icrq = msgs.get(49)!;
    expect(icrq.type).toBe(MessageType.ICRQ);
    const sid = icrq.avps.find((a) => a.type === AvpType.AssignedSessionId)!;
    expect(sid.hidden).toBe(true);
    expect(toHex(sid.value)).toBe('0064');
    expect(sid.padding?.length).toBe(12); // 16-octet hidden value: 2 (length) + 2 (value) + 12 padding
    const serial = icrq.avps.find((a) => a.type === AvpType.CallSerialNumber)!;
    expect([serial.hidden, toHex(serial.value)]).toEqual([true, '00000001']);
  });

  it('RFC2661-4.3: a hidden AVP without the secret is a fault, not a guess', () => {
    const r = capture('xl2tpd-lns.pcap').find((x) => x.frame === 49)!;
    const view = new L2tpHeaderView();
    view.wrap(r.payload);
    const d = decodeControlMessage(view.body);
    expect(d.ok ? undefined : d.fault).toEqual({ code: 'hidden-avp-without-secret', scope: 'session', avpType: 14 });
    const wrong = decodeControlMessage(view.body, { secret: new TextEncoder().encode('not-the-secret') });
    expect(wrong.ok).toBe(false);
  });

  it('RFC2661-4.4.3: xl2tpd answers the probe Challenge with MD5(2 ‖ secret ‖ challenge) (frames 19 → 20)', () => {
    const challenge = avpBytes(msgs.get(19)!, AvpType.Challenge)!;
    const response = avpBytes(msgs.get(20)!, AvpType.ChallengeResponse)!;
    expect(toHex(challengeResponse(MessageType.SCCRP, SECRET, challenge))).toBe(toHex(response));
    expect(verifyChallengeResponse(MessageType.SCCRP, SECRET, challenge, response)).toBe(true);
  });

  it('RFC2661-4.4.3: the SCCCN answers the SCCRP Challenge with ID 3 (frames 24 → 25)', () => {
    const challenge = avpBytes(msgs.get(24)!, AvpType.Challenge)!;
    const response = avpBytes(msgs.get(25)!, AvpType.ChallengeResponse)!;
    expect(verifyChallengeResponse(MessageType.SCCCN, SECRET, challenge, response)).toBe(true);
    expect(verifyChallengeResponse(MessageType.SCCRP, SECRET, challenge, response)).toBe(false);
  });

  it('RFC2661-4.4.2: the wrong-secret probe is refused with StopCCN 2/6 (frames 38 → 39 → 42)', () => {
    const challenge = avpBytes(msgs.get(38)!, AvpType.Challenge)!;
    const response = avpBytes(msgs.get(39)!, AvpType.ChallengeResponse)!;
    expect(verifyChallengeResponse(MessageType.SCCCN, SECRET, challenge, response)).toBe(false);
    expect(resultCodeOf(msgs.get(42)!)).toEqual({
      resultCode: 2,
      errorCode: 6,
      message: 'Invalid challenge authentication',
    });
  });
});

describe('deliberately broken packets (oracle-bad-examples.pcap)', () => {
  it('RFC2661-3.1/4.1/6.1: each is refused with its fault, none throws', () => {
    const view = new L2tpHeaderView();
    const outcome = capture('oracle-bad-examples.pcap').map((r) => {
      const e = view.wrap(r.payload);
      if (e !== undefined) return `${r.frame}:${e}`;
      if (!view.isControl) return `${r.frame}:data`;
      const d = decodeControlMessage(view.body);
      return d.ok
        ? `${r.frame}:${messageName(d.value.type)}`
        : `${r.frame}:${d.fault.code}/${d.fault.scope}/${d.fault.avpType ?? '-'}`;
    });
    expect(outcome).toEqual([
      '1:missing-avp/tunnel/7', // SCCRQ without Host Name
      '2:bad-length', // Length past the datagram
      '3:avp-bad-length/drop/-', // AVP Length 3 < 6
      '4:avp-bad-length/drop/-', // AVP Length past the message
      '5:unknown-message-type/tunnel/-', // Message Type 99 with M=1
      '6:truncated',
      '7:data',
      '8:SCCRQ',
    ]);
  });
});
