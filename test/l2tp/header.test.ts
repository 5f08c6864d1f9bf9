import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataHeaderLength, L2tpHeaderView, writeControlHeader, writeDataHeader } from '../../src/l2tp/wire/header.js';
import { hex } from '../support/hex.js';
import { bitFlips, truncations } from '../support/truncations.js';

// go-l2tp's HELLO vector (STYLE.md C.2): control, tid=1, sid=0, ns=1, nr=1, 8-octet body.
const HELLO = hex`c8 02 00 14 00 01 00 00 00 01 00 01 80 08 00 00 00 00 00 06`;

describe('L2tpHeaderView', () => {
  const view = new L2tpHeaderView();

  it('RFC2661-3.1: reads a control header', () => {
    expect(view.wrap(HELLO)).toBeUndefined();
    expect(view.isControl).toBe(true);
    expect([view.tunnelId, view.sessionId, view.ns, view.nr]).toEqual([1, 0, 1, 1]);
    expect(view.body.length).toBe(8);
  });

  it('RFC2661-3.1: control messages need L and S, and must not carry O', () => {
    expect(view.wrap(hex`c0 02 00 0c 00 01 00 00 00 01 00 01`)).toBe('control-needs-l-and-s');
    expect(view.wrap(hex`ca 02 00 0e 00 01 00 00 00 01 00 01 00 00`)).toBe('control-has-offset');
    expect(view.wrap(hex`c8 03 00 0c 00 01 00 00 00 01 00 01`)).toBe('bad-version');
    expect(view.wrap(hex`c8 02 00 20 00 01 00 00 00 01 00 01`)).toBe('bad-length');
  });

  it('ignores octets past the Length field (parse is liberal)', () => {
    const padded = new Uint8Array([...HELLO, 1, 2, 3]);
    expect(view.wrap(padded)).toBeUndefined();
    expect(view.body.length).toBe(8);
  });

  it('never throws on prefixes, bit flips and random bytes', () => {
    for (const b of truncations(HELLO)) expect(() => view.wrap(b)).not.toThrow();
    for (const b of bitFlips(HELLO)) {
      if (view.wrap(b) === undefined) expect(view.bodyOffset).toBeLessThanOrEqual(view.messageEnd);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const err = view.wrap(b);
        if (err === undefined) expect(view.messageEnd).toBeLessThanOrEqual(b.length);
      }),
      { seed: 0x12c4, numRuns: 20_000 },
    );
  });

  it('writes a control header that reads back', () => {
    const b = new Uint8Array(12);
    writeControlHeader(b, 0, 12, 0x1234, 0, 7, 9);
    expect(view.wrap(b)).toBeUndefined();
    expect([view.isControl, view.tunnelId, view.ns, view.nr, view.body.length]).toEqual([true, 0x1234, 7, 9, 0]);
  });

  it('data headers round-trip with every combination of L, S and O', () => {
    fc.assert(
      fc.property(
        fc.record({
          tid: fc.integer({ min: 0, max: 0xffff }),
          sid: fc.integer({ min: 0, max: 0xffff }),
          length: fc.boolean(),
          ns: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
          offset: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
          payload: fc.uint8Array({ maxLength: 40 }),
        }),
        ({ tid, sid, length, ns, offset, payload }) => {
          const opts = { length, ns, offset };
          const headroom = dataHeaderLength(opts) + 3;
          const b = new Uint8Array(0xa5).fill(0xa5).subarray(0, headroom + payload.length);
          b.set(payload, headroom);
          const start = writeDataHeader(b, headroom, headroom + payload.length, tid, sid, opts);
          expect(start).toBe(3);
          expect(view.wrap(b.subarray(start))).toBeUndefined();
          expect(view.isControl).toBe(false);
          expect([view.tunnelId, view.sessionId, view.ns]).toEqual([tid, sid, ns ?? -1]);
          expect(view.body).toEqual(payload);
        },
      ),
      { seed: 7, numRuns: 2000 },
    );
  });
});
