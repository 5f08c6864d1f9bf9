// The L2TP dump formatter (xl2tpd `debug avp` / `debug packet` / `debug network`): golden lines,
// peer text escaped, hidden AVPs never unhidden, secret-derived values never shown, bounds.
import { describe, expect, it } from 'vitest';
import {
  datagramSummary,
  describeControlDatagram,
  hexDump,
  MAX_AVPS_SHOWN,
  MAX_PACKET_DUMP,
} from '../../src/l2tp/describe.js';
import { AvpType } from '../../src/l2tp/wire/avp-catalogue.js';
import {
  type ControlMessage,
  encodeControlPacket,
  makeBytesAvp,
  makeEmptyAvp,
  makeResultCodeAvp,
  makeStringAvp,
  makeU16Avp,
  makeU32Avp,
} from '../../src/l2tp/wire/message.js';
import { MessageType } from '../../src/l2tp/wire/message-catalogue.js';
import { seededRandom } from '../support/seeded-random.js';

/** A data message: no L, S or O bits, Tunnel ID 5, Session ID 9, an LCP frame. */
const DATA = Uint8Array.of(0x00, 0x02, 0, 5, 0, 9, 0xff, 0x03, 0xc0, 0x21);
const SECRET = new TextEncoder().encode('tunnel-secret');
const header = (tunnelId: number, sessionId: number, ns: number, nr: number) => ({ tunnelId, sessionId, ns, nr });
const packet = (h: ReturnType<typeof header>, msg: ControlMessage) =>
  encodeControlPacket(h, msg, { secret: SECRET, random: seededRandom(7) });

const sccrq = (hostName: string): ControlMessage => ({
  type: MessageType.SCCRQ,
  avps: [
    makeBytesAvp(AvpType.ProtocolVersion, Uint8Array.of(1, 0)),
    makeU32Avp(AvpType.FramingCapabilities, 3),
    makeStringAvp(AvpType.HostName, hostName),
    makeU16Avp(AvpType.AssignedTunnelId, 5),
    makeU16Avp(AvpType.ReceiveWindowSize, 4),
    makeBytesAvp(AvpType.Challenge, Uint8Array.of(0xde, 0xad, 0xbe, 0xef)),
  ],
});

describe('describeControlDatagram', () => {
  it('SCCRQ: header fields and every AVP, pppd style', () => {
    expect(describeControlDatagram(packet(header(0, 0, 0, 0), sccrq('lac1')))).toBe(
      '[L2TP SCCRQ tid=0 sid=0 ns=0 nr=0 <ProtocolVersion 1.0> <FramingCapabilities 0x00000003> ' +
        '<HostName "lac1"> <AssignedTunnelId 5> <ReceiveWindowSize 4> <Challenge deadbeef>]',
    );
  });

  it('a Host Name with a newline, a quote and a backslash comes out escaped: no forged line', () => {
    const line = describeControlDatagram(packet(header(0, 0, 0, 0), sccrq('lac\n1 "x"\\')))!;
    expect(line).toContain('<HostName "lac\\x0a1 \\"x\\"\\\\">');
    expect([...line].every((c) => (c >= ' ' && c <= '~') || c === '…')).toBe(true);
  });

  it('SCCRP: the Challenge Response is never shown, only named', () => {
    const msg: ControlMessage = {
      type: MessageType.SCCRP,
      avps: [
        makeBytesAvp(AvpType.ProtocolVersion, Uint8Array.of(1, 0)),
        makeStringAvp(AvpType.HostName, 'lns'),
        makeU16Avp(AvpType.AssignedTunnelId, 77),
        makeBytesAvp(AvpType.ChallengeResponse, new Uint8Array(16).fill(0xab)),
      ],
    };
    const line = describeControlDatagram(packet(header(5, 0, 0, 1), msg))!;
    expect(line).toBe(
      '[L2TP SCCRP tid=5 sid=0 ns=0 nr=1 <ProtocolVersion 1.0> <HostName "lns"> <AssignedTunnelId 77> <ChallengeResponse …>]',
    );
  });

  it('ICRQ with hidden AVPs: shown as hidden with their length, never unhidden', () => {
    const msg: ControlMessage = {
      type: MessageType.ICRQ,
      avps: [
        makeU16Avp(AvpType.AssignedSessionId, 4242, { hidden: true }),
        makeU32Avp(AvpType.CallSerialNumber, 9),
        makeStringAvp(AvpType.CallingNumber, 'secret-number', { hidden: true }),
      ],
    };
    const line = describeControlDatagram(packet(header(77, 0, 1, 1), msg))!;
    expect(line).toMatch(
      /^\[L2TP ICRQ tid=77 sid=0 ns=1 nr=1 <RandomVector [0-9a-f]{32}> <AssignedSessionId \(hidden, 4 octets\)> <CallSerialNumber 9> <CallingNumber \(hidden, 15 octets\)>\]$/,
    );
    expect(line).not.toContain('4242');
    expect(line).not.toContain('secret-number');
  });

  it('ZLB and StopCCN', () => {
    const zlb = new Uint8Array(12);
    zlb.set([0xc8, 0x02, 0x00, 0x0c, 0x00, 0x05, 0x00, 0x00, 0x00, 0x03, 0x00, 0x04]);
    expect(describeControlDatagram(zlb)).toBe('[L2TP ZLB tid=5 sid=0 ns=3 nr=4]');
    const stop: ControlMessage = {
      type: MessageType.StopCCN,
      avps: [makeU16Avp(AvpType.AssignedTunnelId, 77), makeResultCodeAvp(AvpType.ResultCode, 6, 0, 'bye\r\n')],
    };
    expect(describeControlDatagram(packet(header(5, 0, 2, 3), stop))).toBe(
      '[L2TP StopCCN tid=5 sid=0 ns=2 nr=3 <AssignedTunnelId 77> <ResultCode 6/0 "bye\\x0d\\x0a">]',
    );
    expect(describeControlDatagram(packet(header(5, 0, 2, 3), stop), false)).toBe(
      '[L2TP StopCCN tid=5 sid=0 ns=2 nr=3]',
    );
  });

  it('malformed and odd datagrams are dumped too, never thrown on', () => {
    const good = packet(header(5, 0, 0, 0), {
      type: MessageType.HELLO,
      avps: [makeEmptyAvp(AvpType.SequencingRequired)],
    });
    const bad = good.slice();
    bad[bad.length - 5] = 0x7f; // the second AVP's Length now runs past the end
    expect(describeControlDatagram(bad)).toBe(
      '[L2TP HELLO tid=5 sid=0 ns=0 nr=0 <malformed: avp-bad-length at octet 8>]',
    );
    expect(describeControlDatagram(Uint8Array.of(1, 2))).toBe('[L2TP bad header: truncated]');
    const data = DATA;
    expect(describeControlDatagram(data)).toBeUndefined();
  });

  it(`shows at most ${MAX_AVPS_SHOWN} AVPs and counts the rest`, () => {
    const avps = Array.from({ length: MAX_AVPS_SHOWN + 10 }, () => makeEmptyAvp(99, { mandatory: false }));
    const line = describeControlDatagram(packet(header(5, 0, 0, 0), { type: MessageType.HELLO, avps }))!;
    expect(line.split('<Avp99>').length - 1).toBe(MAX_AVPS_SHOWN);
    expect(line).toContain('…(10 more AVPs)]');
  });
});

describe('hexDump', () => {
  it('hex pairs, the Challenge Response value masked', () => {
    const msg: ControlMessage = {
      type: MessageType.SCCCN,
      avps: [makeBytesAvp(AvpType.ChallengeResponse, new Uint8Array(16).fill(0xab))],
    };
    const dump = hexDump(packet(header(5, 0, 1, 1), msg));
    expect(dump.startsWith('c8 02 00 2a 00 05 00 00 00 01 00 01 80 08 00 00 00 00 00 03 80 16 00 00 00 0d ')).toBe(
      true,
    );
    expect(dump.endsWith(` ${Array(16).fill('**').join(' ')}`)).toBe(true);
    expect(dump).not.toContain('ab');
  });

  it(`stops at ${MAX_PACKET_DUMP} octets and says how many are left`, () => {
    const dump = hexDump(new Uint8Array(MAX_PACKET_DUMP + 100));
    expect(dump.split(' ').length).toBe(MAX_PACKET_DUMP + 1);
    expect(dump.endsWith('…(+100)')).toBe(true);
  });
});

describe('datagramSummary', () => {
  it('kind and ids, as xl2tpd debug network', () => {
    expect(datagramSummary(packet(header(5, 0, 1, 2), sccrq('x')))).toBe('control tid=5 sid=0 ns=1 nr=2');
    const data = DATA;
    expect(datagramSummary(data)).toBe('data tid=5 sid=9');
    expect(datagramSummary(new Uint8Array(3))).toBe('not L2TPv2 (truncated)');
  });
});
