// Codecs of src/ppp/wire: frame view (ACFC/PFC), control packets, option cursor, pppd-style format.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/core/bytes.js';
import {
  decodeCpPacket,
  decodeOptions,
  encodeCpPacket,
  encodedLengthCpPacket,
  encodedLengthOptions,
  encodeOptions,
  OptionCursor,
} from '../../src/ppp/wire/cp-packet.js';
import { formatFrame, formatPacket } from '../../src/ppp/wire/format.js';
import { decodeFrame, encodeFrame, PppFrameView } from '../../src/ppp/wire/frame.js';
import { hex } from '../support/hex.js';
import { bitFlips, truncations } from '../support/truncations.js';
import { IPCP_CONFREQ_ZERO, L2TPNS_LCP_CONFREQ, MSCHAPV2_RESPONSE } from '../vectors/ppp.js';

const VECTORS = [L2TPNS_LCP_CONFREQ, IPCP_CONFREQ_ZERO, MSCHAPV2_RESPONSE].map(fromHex);

describe('frame', () => {
  it('RFC1662-3.1: FF 03 then a 2-octet protocol', () => {
    const v = new PppFrameView();
    expect(v.wrap(hex`ff 03 c0 21 01 02`)).toBeUndefined();
    expect(v.protocol).toBe(0xc021);
    expect(v.hasAddressControl).toBe(true);
    expect([...v.information]).toEqual([1, 2]);
  });
  it('RFC1661-6.6: ACFC — Address/Control absent', () => {
    const v = new PppFrameView();
    expect(v.wrap(hex`80 21 01`)).toBeUndefined();
    expect(v.protocol).toBe(0x8021);
    expect(v.hasAddressControl).toBe(false);
  });
  it('RFC1661-6.5: PFC — one-octet protocol (odd first octet)', () => {
    const v = new PppFrameView();
    expect(v.wrap(hex`ff 03 21 45 00`)).toBeUndefined();
    expect(v.protocol).toBe(0x21);
    expect([...v.information]).toEqual([0x45, 0]);
    expect(v.wrap(hex`21 45`)).toBeUndefined();
    expect(v.protocol).toBe(0x21);
  });
  it('RFC1661-2: a protocol whose low octet is even is refused; short frames are truncated', () => {
    expect(new PppFrameView().wrap(hex`ff 03 c0 20`)).toBe('bad-protocol');
    expect(new PppFrameView().wrap(hex`ff 03`)).toBe('truncated');
    expect(new PppFrameView().wrap(hex`ff 03 c0`)).toBe('truncated');
    expect(new PppFrameView().wrap(new Uint8Array(0))).toBe('truncated');
  });
  it('encodeFrame / decodeFrame round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fff }), fc.uint8Array({ maxLength: 64 }), (p, info) => {
        const protocol = ((p << 1) & 0xfe00) | ((p << 1) & 0xfe) | 1;
        const d = decodeFrame(encodeFrame(protocol, info));
        expect(d.ok && d.protocol === protocol && toHex(d.information) === toHex(info)).toBe(true);
      }),
      { seed: 0x5e1, numRuns: 500 },
    );
  });
});

describe('control packet', () => {
  it('RFC1661-5: octets past Length are padding and ignored', () => {
    const d = decodeCpPacket(hex`09 01 00 08 00 00 00 00 ff ff`);
    expect(d.ok && d.value.data.length).toBe(4);
  });
  it('RFC1661-5: Length below 4 or beyond the field is a fault value', () => {
    expect(decodeCpPacket(hex`01 01 00 03`)).toEqual({ ok: false, fault: { code: 'cp-bad-length', offset: 2 } });
    expect(decodeCpPacket(hex`01 01 00 09 00`)).toEqual({ ok: false, fault: { code: 'cp-bad-length', offset: 2 } });
    expect(decodeCpPacket(hex`01 01 00`)).toEqual({ ok: false, fault: { code: 'cp-truncated', offset: 0 } });
  });
  it('round-trip: decode(encode(p)) = p and encodedLength = bytes written', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 300 }),
        (code, id, data) => {
          const bytes = encodeCpPacket({ code, id, data });
          expect(bytes.length).toBe(encodedLengthCpPacket({ code, id, data }));
          const d = decodeCpPacket(bytes);
          expect(d.ok).toBe(true);
          if (d.ok)
            expect({ code: d.value.code, id: d.value.id, data: toHex(d.value.data) }).toEqual({
              code,
              id,
              data: toHex(data),
            });
        },
      ),
      { seed: 0x5e2, numRuns: 500 },
    );
  });
  it('options round-trip; encode(decode(b)) = b for the l2tpns vector', () => {
    const arb = fc.array(
      fc.record({ type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 40 }) }),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(arb, (options) => {
        const bytes = encodeOptions(options);
        expect(bytes.length).toBe(encodedLengthOptions(options));
        const d = decodeOptions(bytes);
        expect(d.ok).toBe(true);
        if (d.ok)
          expect(d.value.map((o) => [o.type, toHex(o.value)])).toEqual(options.map((o) => [o.type, toHex(o.value)]));
      }),
      { seed: 0x5e3, numRuns: 300 },
    );
    const packet = decodeCpPacket(fromHex(L2TPNS_LCP_CONFREQ).subarray(4));
    expect(packet.ok).toBe(true);
    if (!packet.ok) return;
    const options = decodeOptions(packet.value.data);
    expect(options.ok && options.value.map((o) => o.type)).toEqual([1, 3, 5, 17, 19]);
    if (options.ok) expect(toHex(encodeOptions(options.value))).toBe(toHex(packet.value.data));
  });
  it('RFC1661-6: the option cursor steps by the declared length and stops at Length < 2 or past the end', () => {
    const c = new OptionCursor(hex`07 02 01 04 05 dc 05 01 ff`);
    expect(c.next() && c.type).toBe(7);
    expect(c.next() && c.type).toBe(1);
    expect(c.next()).toBe(false);
    expect(c.error).toEqual({ code: 'option-bad-length', offset: 6 });
    const d = new OptionCursor(hex`01 04 05 dc 03 08 c2 23`);
    expect(d.next()).toBe(true);
    expect(d.next()).toBe(false);
    expect(d.error).toEqual({ code: 'option-bad-length', offset: 4 });
    const e = new OptionCursor(hex`01`);
    expect(e.next()).toBe(false);
    expect(e.error?.code).toBe('option-truncated');
  });
});

describe('decoders and the formatter never throw', () => {
  const all = (b: Uint8Array) => {
    const v = new PppFrameView();
    v.wrap(b);
    decodeFrame(b);
    decodeCpPacket(b);
    decodeOptions(b);
    expect(typeof formatFrame(b)).toBe('string');
    for (const p of [0xc021, 0x8021, 0x8057, 0xc223, 0xc023, 0x80fd, 0x0021, 0x1234])
      expect(typeof formatPacket(p, b)).toBe('string');
  };
  it('on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), all), { seed: 0x5e4, numRuns: 2000 });
  });
  it('on arbitrary LCP/IPCP/CHAP-shaped frames', () => {
    const shaped = fc
      .tuple(
        fc.constantFrom(0xc021, 0x8021, 0x8057, 0xc223, 0xc023),
        fc.integer({ min: 0, max: 15 }),
        fc.uint8Array({ maxLength: 80 }),
      )
      .map(([p, code, data]) => encodeFrame(p, encodeCpPacket({ code, id: 1, data })));
    fc.assert(fc.property(shaped, all), { seed: 0x5e5, numRuns: 2000 });
  });
  it('on every truncation and bit flip of the vectors', () => {
    for (const v of VECTORS) {
      for (const t of truncations(v)) all(t);
      for (const f of bitFlips(v)) all(f);
    }
  });
});

describe('pppd-style format', () => {
  const f = (h: string) => formatFrame(fromHex(h));
  it('LCP options, including ones pppd prints raw', () => {
    expect(f(L2TPNS_LCP_CONFREQ)).toBe(
      '[LCP ConfReq id=0x1 <mru 1462> <auth chap MD5> <magic 0x6b08b614> <mrru 1614> <endpoint [IP:10.201.99.1]>]',
    );
    expect(f('ff03c021 01010017 0104057803 05c22381 05061a2b3c4d 0702 0802')).toBe(
      '[LCP ConfReq id=0x1 <mru 1400> <auth chap MS-v2> <magic 0x1a2b3c4d> <pcomp> <accomp>]',
    );
    expect(f('ff03c021 0401000c 0206 00000000 1402')).toBe('[LCP ConfRej id=0x1 <asyncmap 0x0> < 14 02>]');
    expect(f('ff03c021 03020008 0304c023')).toBe('[LCP ConfNak id=0x2 <auth pap>]');
  });
  it('LCP Terminate, Echo, Code-Reject, Protocol-Reject', () => {
    expect(f('ff03c021 05020011 706b2d70726f626520646f6e65')).toBe('[LCP TermReq id=0x2 "pk-probe done"]');
    expect(f('ff03c021 06020004')).toBe('[LCP TermAck id=0x2]');
    expect(f('ff03c021 09410008 00000000')).toBe('[LCP EchoReq id=0x41 magic=0x0]');
    expect(f('ff03c021 0a41000a 6b08b614 0102')).toBe('[LCP EchoRep id=0x41 magic=0x6b08b614 01 02]');
    expect(f('ff03c021 08030008 80fd 0101')).toBe('[LCP ProtRej id=0x3 80 fd 01 01]');
    expect(f('ff03c021 20010004')).toBe('[LCP code=0x20 id=0x1]');
  });
  it('IPCP, IPv6CP', () => {
    expect(f(IPCP_CONFREQ_ZERO)).toBe('[IPCP ConfReq id=0x1 <addr 0.0.0.0> <ms-dns1 0.0.0.0> <ms-dns2 0.0.0.0>]');
    expect(f('ff038021 0302001c 03060a01141e 810608080808 8206c0a80001 02060 02d0f01'.replace(/ /g, ''))).toBe(
      '[IPCP ConfNak id=0x2 <addr 10.1.20.30> <ms-dns1 8.8.8.8> <ms-wins 192.168.0.1> <compress VJ 0f 01>]',
    );
    expect(f('ff038057 0101000e 010a 0211 22ff fe33 4455')).toBe(
      '[IPV6CP ConfReq id=0x1 <addr fe80::0211:22ff:fe33:4455>]',
    );
  });
  it('CHAP and PAP (passwords hidden)', () => {
    expect(f('ff03c223 01010017 10 000102030405060708090a0b0c0d0e0f 6c32')).toBe(
      '[CHAP Challenge id=0x1 <000102030405060708090a0b0c0d0e0f>, name = "l2"]',
    );
    expect(formatFrame(fromHex(MSCHAPV2_RESPONSE))).toMatch(/^\[CHAP Response id=0x5 <21402324.*>, name = "User"\]$/);
    expect(f('ff03c223 0401000c 453d363931205220')).toBe('[CHAP Failure id=0x1 "E=691 R "]');
    expect(f('ff03c023 0101000d 03626f62 0470617373')).toBe('[PAP AuthReq id=0x1 user="bob" password=<hidden>]');
    expect(f('ff03c023 02010009 04 6f6b2e0a')).toBe('[PAP AuthAck id=0x1 "ok.\\n"]');
    expect(f('ff03c023 03010005 00')).toBe('[PAP AuthNak id=0x1]');
  });
  it('other protocols and bad frames', () => {
    expect(f('ff038281 0101')).toBe('[MPLSCP 01 01]');
    expect(f('ff031235 ab')).toBe('[proto=0x1235 ab]');
    expect(f('ff03')).toBe('[bad frame: truncated]');
  });
});
