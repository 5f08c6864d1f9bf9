// TCP MSS clamping: only a SYN's MSS option above the limit changes, the TCP checksum stays right
// (checked by recomputing it), and nothing else is touched. Related: src/core/tcp-mss.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { onesComplementSum } from '../../src/core/ipv4.js';
import { clampMss, mssForMtu } from '../../src/core/tcp-mss.js';

/** An IPv4 TCP packet with `options` and a correct TCP checksum. */
function tcpPacket(o: { flags: number; options: number[]; payload?: number; fragment?: boolean }): Uint8Array {
  const optLen = Math.ceil(o.options.length / 4) * 4;
  const tcpLen = 20 + optLen + (o.payload ?? 0);
  const b = new Uint8Array(20 + tcpLen);
  b[0] = 0x45;
  b[2] = b.length >> 8;
  b[3] = b.length & 0xff;
  if (o.fragment) b[6] = 0x20; // More Fragments
  b[8] = 64;
  b[9] = 6;
  b.set([10, 1, 20, 31], 12);
  b.set([198, 51, 100, 7], 16);
  const t = 20;
  b.set([0x30, 0x39, 0x01, 0xbb], t);
  b[t + 12] = ((20 + optLen) / 4) << 4;
  b[t + 13] = o.flags;
  b.set(o.options, t + 20);
  const sum = tcpChecksum(b);
  b[t + 16] = sum >> 8;
  b[t + 17] = sum & 0xff;
  return b;
}

/** The TCP checksum over the pseudo-header, with the checksum field taken as zero. */
function tcpChecksum(b: Uint8Array): number {
  const copy = b.slice();
  copy[36] = 0;
  copy[37] = 0;
  const tcpLen = copy.length - 20;
  const pseudo = new Uint8Array([...copy.subarray(12, 20), 0, 6, tcpLen >> 8, tcpLen & 0xff]);
  const s = onesComplementSum(copy, 20, copy.length, onesComplementSum(pseudo, 0, pseudo.length));
  return ~s & 0xffff;
}

const mssOf = (b: Uint8Array): number | undefined => {
  for (let p = 40; p < 20 + (b[32]! >> 4) * 4; ) {
    if (b[p] === 0) return undefined;
    if (b[p] === 1) {
      p++;
      continue;
    }
    if (b[p] === 2) return (b[p + 2]! << 8) | b[p + 3]!;
    p += b[p + 1]!;
  }
  return undefined;
};

const SYN = 0x02;
const ACK = 0x10;

describe('clampMss', () => {
  it('a SYN and a SYN-ACK with MSS 1460 become 1360 (MTU 1400); the checksum is still right', () => {
    for (const flags of [SYN, SYN | ACK]) {
      const p = tcpPacket({ flags, options: [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 0, 0] });
      expect(clampMss(p, 0, p.length, mssForMtu(1400))).toBe(true);
      expect(mssOf(p)).toBe(1360);
      expect((p[36]! << 8) | p[37]!).toBe(tcpChecksum(p));
    }
  });

  it('leaves alone: a smaller MSS, no SYN, a fragment, no MSS option, a malformed option list, not TCP', () => {
    const cases = [
      tcpPacket({ flags: SYN, options: [2, 4, 0x04, 0x00] }), // 1024 < 1360
      tcpPacket({ flags: ACK, options: [2, 4, 0x05, 0xb4] }),
      tcpPacket({ flags: SYN, options: [2, 4, 0x05, 0xb4], fragment: true }),
      tcpPacket({ flags: SYN, options: [1, 1, 1, 0] }),
      tcpPacket({ flags: SYN, options: [8, 0, 2, 4, 0x05, 0xb4, 0, 0] }), // option length 0
      tcpPacket({ flags: SYN, options: [2, 5, 0x05, 0xb4] }), // MSS of length 5
    ];
    const udp = tcpPacket({ flags: SYN, options: [2, 4, 0x05, 0xb4] });
    udp[9] = 17;
    for (const p of [...cases, udp]) {
      const before = p.slice();
      expect(clampMss(p, 0, p.length, 1360)).toBe(false);
      expect(p).toEqual(before);
    }
  });

  it('property: arbitrary bytes never throw and never grow an MSS; a rewrite keeps the checksum valid', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 88, max: 1460 }), (bytes, mss) => {
        clampMss(bytes, 0, bytes.length, mss);
        return true;
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 88, max: 1460 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 40 }),
        (value, mss, nops, payload) => {
          const p = tcpPacket({
            flags: SYN,
            options: [...Array(nops).fill(1), 2, 4, value >> 8, value & 0xff],
            payload,
          });
          const changed = clampMss(p, 0, p.length, mss);
          expect(changed).toBe(value > mss);
          expect(mssOf(p)).toBe(Math.min(value, mss));
          expect((p[36]! << 8) | p[37]!).toBe(tcpChecksum(p));
        },
      ),
    );
  });
});
