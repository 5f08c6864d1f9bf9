// Control message codec: catalogues, every fault of the decoder, accessors, builders, formatter.
// RFC 2661 §3.2, §4.1, §4.4, §6.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { L2tpUsageError } from '../../src/core/engine.js';
import { AvpCursor } from '../../src/l2tp/wire/avp.js';
import { AVPS, AvpType, avpName } from '../../src/l2tp/wire/avp-catalogue.js';
import { formatControlMessage, formatFault } from '../../src/l2tp/wire/format.js';
import { L2tpHeaderView } from '../../src/l2tp/wire/header.js';
import {
  avpBytes,
  avpString,
  avpU16,
  avpU32,
  type ControlMessage,
  decodeControlMessage,
  decodeResultCode,
  encodeControlMessage,
  encodeControlPacket,
  encodedLengthControlMessage,
  type Fault,
  makeBytesAvp,
  makeEmptyAvp,
  makeResultCodeAvp,
  makeStringAvp,
  makeU16Avp,
  makeU32Avp,
  resultCodeOf,
} from '../../src/l2tp/wire/message.js';
import { MESSAGES, MessageType, messageName } from '../../src/l2tp/wire/message-catalogue.js';
import { FAULT_REPLY, resultCodeName } from '../../src/l2tp/wire/result-codes.js';
import { hex } from '../support/hex.js';

const HELLO = hex`80 08 00 00 00 00 00 06`;
const ICRQ_REQUIRED = hex`80 08 00 00 00 0E 00 05 80 0A 00 00 00 0F 00 00 00 01`;
const icrq = (...avps: Uint8Array[]): Uint8Array =>
  new Uint8Array([...hex`80 08 00 00 00 00 00 0A`, ...ICRQ_REQUIRED, ...avps.flatMap((a) => [...a])]);
const hello = (...avps: Uint8Array[]): Uint8Array => new Uint8Array([...HELLO, ...avps.flatMap((a) => [...a])]);

function faultOf(body: Uint8Array): Fault | undefined {
  const d = decodeControlMessage(body);
  return d.ok ? undefined : d.fault;
}

describe('catalogues', () => {
  it('RFC2661-4.4: every AvpType constant names its catalogue row', () => {
    for (const [name, type] of Object.entries(AvpType)) expect(AVPS.get(type)?.name).toBe(name);
    expect(AVPS.size).toBe(Object.keys(AvpType).length);
  });

  it('RFC2661-6: every MessageType constant has a catalogue row, and every AVP a message lists is catalogued', () => {
    for (const [name, type] of Object.entries(MessageType)) expect(MESSAGES.get(type)?.name).toBe(name);
    for (const spec of MESSAGES.values()) {
      for (const t of [...spec.required, ...spec.optional]) expect(AVPS.has(t), `${spec.name} lists ${t}`).toBe(true);
      expect(spec.optional).toContain(AvpType.RandomVector);
    }
  });

  it('RFC2661-4.4: AVPs that MUST NOT be hidden are marked so; RFC3145: PPP Disconnect Cause is never mandatory', () => {
    const neverHidden = [...AVPS.values()].filter((s) => !s.mayHide).map((s) => s.name);
    expect(neverHidden).toEqual([
      'MessageType',
      'ResultCode',
      'ProtocolVersion',
      'TieBreaker',
      'HostName',
      'ReceiveWindowSize',
      'Q931CauseCode',
      'RandomVector',
      'SequencingRequired',
    ]);
    expect(AVPS.get(AvpType.PppDisconnectCauseCode)?.mandatory).toBe(false);
  });

  it('names later message types and AVPs for the formatter', () => {
    expect([messageName(20), messageName(29), messageName(99)]).toEqual(['ACK', 'CSURQ', 'Message99']);
    expect([avpName(0, 61), avpName(0, 20), avpName(311, 7)]).toEqual([
      'AssignedControlConnectionId',
      'Avp20',
      'Vendor311:7',
    ]);
  });
});

describe('AvpCursor', () => {
  it('RFC2661-4.1: steps by the declared length, understood or not, and stops at a malformed AVP', () => {
    const c = new AvpCursor(hello(hex`00 07 00 09 00 63 AA`, hex`00 06 00 00 00 05`, hex`00 05`));
    const seen: number[] = [];
    while (c.next()) seen.push(c.type);
    expect(seen).toEqual([0, 99, 5]);
    expect(c.error).toBe('avp-truncated');
    expect(c.next()).toBe(false);
  });
});

describe('decodeControlMessage faults', () => {
  it('RFC2661-4.4.1: the Message Type AVP must come first and be 2 octets', () => {
    expect(faultOf(new Uint8Array(0))).toEqual({ code: 'missing-message-type', scope: 'drop' });
    expect(faultOf(hex`80 08 00 00 00 09 00 06`)).toEqual({ code: 'missing-message-type', scope: 'drop' });
    expect(faultOf(hex`80 08 01 37 00 00 00 06`)).toEqual({ code: 'missing-message-type', scope: 'drop' }); // vendor 311
    expect(faultOf(hex`80 09 00 00 00 00 00 06 00`)).toEqual({ code: 'bad-message-type', scope: 'drop' });
    expect(faultOf(hex`C0 08 00 00 00 00 00 06`)).toEqual({ code: 'bad-message-type', scope: 'drop' });
    expect(faultOf(hex`84 08 00 00 00 00 00 06`)).toEqual({ code: 'bad-message-type', scope: 'drop' });
  });

  it('RFC2661-4.4.1: an unknown Message Type with M=1 clears the tunnel; with M=0 it is dropped', () => {
    expect(faultOf(hex`80 08 00 00 00 00 00 63`)).toEqual({ code: 'unknown-message-type', scope: 'tunnel' });
    expect(faultOf(hex`80 08 00 00 00 00 00 14`)).toEqual({ code: 'unknown-message-type', scope: 'tunnel' }); // 20 ACK (v3)
    expect(faultOf(hex`00 08 00 00 00 00 00 63`)).toEqual({ code: 'unknown-message-type', scope: 'drop' });
    expect(faultOf(hex`80 08 00 00 00 00 00 05`)).toEqual({ code: 'unknown-message-type', scope: 'tunnel' }); // reserved
  });

  it('RFC2661-4.1: an unrecognized AVP with M=1 takes down the tunnel or the session (error code 8)', () => {
    expect(faultOf(hello(hex`80 06 00 00 00 63`))).toEqual({
      code: 'unknown-mandatory-avp',
      scope: 'tunnel',
      avpType: 99,
    });
    expect(faultOf(icrq(hex`80 07 00 00 00 14 00`))).toEqual({
      code: 'unknown-mandatory-avp',
      scope: 'session',
      avpType: 20,
    });
    expect(faultOf(hello(hex`80 06 01 37 00 07`))).toEqual({
      code: 'unknown-mandatory-avp',
      scope: 'tunnel',
      avpType: 7,
    });
    expect(FAULT_REPLY['unknown-mandatory-avp']).toEqual({ resultCode: 2, errorCode: 8 });
  });

  it('RFC2661-4.1: an unrecognized AVP with M=0 is ignored', () => {
    const d = decodeControlMessage(icrq(hex`00 07 00 00 00 63 01`, hex`00 06 01 37 00 07`));
    expect(d.ok && d.value.avps.map((a) => a.type)).toEqual([14, 15]);
  });

  it('RFC2661-4.1: reserved bits set make a known AVP unrecognized (fatal with M=1, ignored with M=0)', () => {
    expect(faultOf(icrq(hex`A0 0A 00 00 00 12 00 00 00 01`))).toEqual({
      code: 'unknown-mandatory-avp',
      scope: 'session',
      avpType: 18,
    });
    const d = decodeControlMessage(icrq(hex`20 0A 00 00 00 19 00 00 00 01`));
    expect(d.ok && d.value.avps.map((a) => a.type)).toEqual([14, 15]);
  });

  it('RFC2661-6: a missing required AVP is a fault in the message scope', () => {
    expect(faultOf(hex`80 08 00 00 00 00 00 0A 80 08 00 00 00 0E 00 05`)).toEqual({
      code: 'missing-avp',
      scope: 'session',
      avpType: AvpType.CallSerialNumber,
    });
    expect(faultOf(hex`80 08 00 00 00 00 00 04 80 08 00 00 00 09 00 05`)).toEqual({
      code: 'missing-avp',
      scope: 'tunnel',
      avpType: AvpType.ResultCode,
    });
    // PPP Disconnect Cause (46) is optional in a CDN; Call Errors (34) is required in a WEN.
    expect(faultOf(hex`80 08 00 00 00 00 00 0F`)).toEqual({ code: 'missing-avp', scope: 'session', avpType: 34 });
  });

  it('RFC2661-4.4: a value length the catalogue forbids is a fault with M=1 and ignored with M=0', () => {
    expect(faultOf(icrq(hex`80 07 00 00 00 12 00`))).toEqual({
      code: 'avp-bad-value-length',
      scope: 'session',
      avpType: 18,
    });
    expect(faultOf(hello(hex`80 09 00 00 00 01 00 01 00`))).toEqual({
      code: 'avp-bad-value-length',
      scope: 'tunnel',
      avpType: 1, // §4.4.2: a 3-octet Result Code cannot be parsed
    });
    expect(faultOf(hello(hex`80 06 00 00 00 07`))).toEqual({
      code: 'avp-bad-value-length',
      scope: 'tunnel',
      avpType: 7,
    });
    const d = decodeControlMessage(icrq(hex`00 07 00 00 00 19 00`));
    expect(d.ok && d.value.avps.length).toBe(2);
  });

  it('RFC2661-4.1: a truncated AVP, a Length under 6 or past the end drops the message', () => {
    expect(faultOf(hello(hex`80 06 00`))).toEqual({ code: 'avp-truncated', scope: 'drop' });
    expect(faultOf(hello(hex`80 05 00 00 00 07`))).toEqual({ code: 'avp-bad-length', scope: 'drop' });
    expect(faultOf(hello(hex`80 0A 00 00 00 07 41`))).toEqual({ code: 'avp-bad-length', scope: 'drop' });
    expect(faultOf(hex`80 08 00 00 00 00`)).toEqual({ code: 'avp-bad-length', scope: 'drop' });
  });

  it('faults are frozen values; those without an AVP type are shared', () => {
    const a = decodeControlMessage(hex`80 08 00 00 00 00 00 63`);
    const b = decodeControlMessage(hex`80 08 00 00 00 00 00 64`);
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
    const c = decodeControlMessage(hello(hex`80 06 00 00 00 63`));
    expect(!c.ok && Object.isFrozen(c.fault)).toBe(true);
    for (const code of Object.keys(FAULT_REPLY)) expect(FAULT_REPLY[code as Fault['code']].resultCode).toBe(2);
  });
});

describe('encode', () => {
  const sccrq: ControlMessage = {
    type: MessageType.SCCRQ,
    avps: [
      makeU16Avp(AvpType.ProtocolVersion, 0x0100),
      makeStringAvp(AvpType.HostName, 'lac1'),
      makeU32Avp(AvpType.FramingCapabilities, 3),
      makeU16Avp(AvpType.AssignedTunnelId, 5),
      makeU16Avp(AvpType.FirmwareRevision, 0x0690),
    ],
  };

  it('RFC2661-4.1: writes Message Type first, M bits from the catalogue, reserved bits zero', () => {
    expect(toHex(encodeControlMessage(sccrq))).toBe(
      '8008000000000001' +
        '8008000000020100' +
        '800a000000076c616331' +
        '800a0000000300000003' +
        '8008000000090005' +
        '0008000000060690',
    );
    expect(encodedLengthControlMessage(sccrq)).toBe(encodeControlMessage(sccrq).length);
  });

  it('RFC2661-3.1: encodeControlPacket writes the 12-octet header with the whole Length', () => {
    const p = encodeControlPacket({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 }, sccrq);
    const view = new L2tpHeaderView();
    expect(view.wrap(p)).toBeUndefined();
    expect([view.isControl, view.messageEnd, p.length, view.tunnelId, view.ns]).toEqual([
      true,
      p.length,
      12 + 52,
      0,
      0,
    ]);
    const d = decodeControlMessage(view.body);
    expect(d.ok && d.value).toEqual({ ...sccrq, messageTypeMandatory: true });
  });

  it('keeps a Message Type M bit of 0 as received', () => {
    const body = hex`00 08 00 00 00 00 00 06`;
    const d = decodeControlMessage(body);
    expect(d.ok && toHex(encodeControlMessage(d.value))).toBe(toHex(body));
  });

  it('RFC2661-4.1: refuses local misuse with L2tpUsageError (AVP over 1023 octets, bad values)', () => {
    const big = { type: MessageType.HELLO, avps: [makeBytesAvp(AvpType.Challenge, new Uint8Array(1017))] };
    expect(encodeControlMessage(big).length).toBe(8 + 1023);
    expect(() => makeBytesAvp(AvpType.Challenge, new Uint8Array(1018))).toThrow(L2tpUsageError);
    const tooBig = {
      type: MessageType.HELLO,
      avps: [{ vendorId: 0, type: 11, mandatory: true, hidden: false, value: new Uint8Array(1018) }],
    };
    expect(() => encodeControlMessage(tooBig)).toThrow(L2tpUsageError);
    expect(() => makeU16Avp(AvpType.AssignedTunnelId, 0x10000)).toThrow(L2tpUsageError);
    expect(() => makeU32Avp(AvpType.CallSerialNumber, -1)).toThrow(L2tpUsageError);
    expect(() => makeResultCodeAvp(AvpType.ResultCode, 1.5)).toThrow(L2tpUsageError);
  });
});

describe('accessors and builders', () => {
  const msg: ControlMessage = {
    type: MessageType.StopCCN,
    avps: [
      makeU16Avp(AvpType.AssignedTunnelId, 77),
      makeResultCodeAvp(AvpType.ResultCode, 2, 6, 'bad secret'),
      makeStringAvp(AvpType.HostName, 'héllo'),
      makeU32Avp(AvpType.TxConnectSpeed, 0xfffffffe),
      makeBytesAvp(AvpType.Challenge, hex`01 02 03`),
      makeEmptyAvp(AvpType.SequencingRequired),
      makeU16Avp(7, 1, { vendorId: 311 }),
    ],
  };

  it('read values and return undefined when absent or of the wrong size', () => {
    expect(avpU16(msg, AvpType.AssignedTunnelId)).toBe(77);
    expect(avpU32(msg, AvpType.TxConnectSpeed)).toBe(0xfffffffe);
    expect(avpString(msg, AvpType.HostName)).toBe('héllo'); // Vendor 311 type 7 is not Host Name
    expect(toHex(avpBytes(msg, AvpType.Challenge)!)).toBe('010203');
    expect(avpU16(msg, AvpType.TxConnectSpeed)).toBeUndefined();
    expect(avpU32(msg, AvpType.AssignedTunnelId)).toBeUndefined();
    expect(avpU16(msg, AvpType.AssignedSessionId)).toBeUndefined();
    expect(avpString(msg, AvpType.VendorName)).toBeUndefined();
    expect(resultCodeOf(msg)).toEqual({ resultCode: 2, errorCode: 6, message: 'bad secret' });
  });

  it('RFC2661-4.4.2: Result Code values are 2, 4 or 4+n octets', () => {
    expect(toHex(makeResultCodeAvp(1, 1).value)).toBe('0001');
    expect(toHex(makeResultCodeAvp(1, 2, 8).value)).toBe('00020008');
    expect(toHex(makeResultCodeAvp(1, 1, undefined, 'x').value)).toBe('0001000078');
    expect(decodeResultCode(hex`00 01 00`)).toBeUndefined();
    expect(decodeResultCode(hex`00 01`)).toEqual({ resultCode: 1 });
    expect(resultCodeName(MessageType.StopCCN, 6)).toBe('Requester is being shut down');
    expect(resultCodeName(MessageType.CDN, 3)).toBe('Administrative');
  });

  it('RFC2661-4.4: the M bit defaults from the catalogue (M=0 for unknown types and other vendors)', () => {
    const m = (a: { mandatory: boolean }): boolean => a.mandatory;
    expect(m(makeStringAvp(AvpType.HostName, 'x'))).toBe(true);
    expect(m(makeU16Avp(AvpType.FirmwareRevision, 1))).toBe(false);
    expect(m(makeBytesAvp(AvpType.TieBreaker, new Uint8Array(8)))).toBe(false);
    expect(m(makeBytesAvp(AvpType.PppDisconnectCauseCode, new Uint8Array(5)))).toBe(false);
    expect(m(makeEmptyAvp(99))).toBe(false);
    expect(m(makeU16Avp(AvpType.AssignedTunnelId, 1, { vendorId: 9 }))).toBe(false);
    expect(m(makeU16Avp(AvpType.FirmwareRevision, 1, { mandatory: true }))).toBe(true);
  });
});

describe('formatControlMessage', () => {
  it('prints one line with names, decoded values, and marks for hidden and unusual M bits', () => {
    const msg: ControlMessage = {
      type: MessageType.CDN,
      avps: [
        makeResultCodeAvp(AvpType.ResultCode, 3, 0, 'admin "quote"'),
        makeU16Avp(AvpType.AssignedSessionId, 4660, { hidden: true }),
        makeBytesAvp(AvpType.Q931CauseCode, hex`00 10 05`),
        makeBytesAvp(AvpType.PppDisconnectCauseCode, hex`00 03 c0 21 02 62 79 65`),
        makeEmptyAvp(AvpType.SequencingRequired, { mandatory: false }),
        makeBytesAvp(7, hex`ff 00`, { vendorId: 311 }),
        makeBytesAvp(AvpType.Accm, hex`00 00 ff ff ff ff 00 00 00 00`),
      ],
    };
    expect(formatControlMessage(msg, { tunnelId: 1, sessionId: 2, ns: 3, nr: 4 })).toBe(
      'CDN tid=1 sid=2 ns=3 nr=4 <ResultCode 3/0 "admin \\"quote\\""> <AssignedSessionId(H) 4660> ' +
        '<Q931CauseCode cause=16 msg=5> <PppDisconnectCauseCode code=3 proto=0xc021 dir=2 "bye"> ' +
        '<SequencingRequired(!M)> <Vendor311:7 ff00> <Accm send=0xffffffff recv=0x00000000>',
    );
  });

  it('falls back to hex for values that do not fit their kind, and never throws', () => {
    const odd: ControlMessage = {
      type: 250,
      avps: [makeBytesAvp(AvpType.AssignedTunnelId, hex`01 02 03`), makeBytesAvp(AvpType.CallErrors, hex`01`)],
    };
    expect(formatControlMessage(odd)).toBe('Message250 <AssignedTunnelId 010203> <CallErrors 01>');
    expect(formatFault({ code: 'missing-avp', scope: 'tunnel', avpType: 7 })).toBe(
      'missing-avp scope=tunnel avp=HostName',
    );
  });
});
