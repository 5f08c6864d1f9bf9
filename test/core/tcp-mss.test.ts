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

/** An IPv6 TCP packet behind `ext` extension headers ([type, octets] each, octets a multiple of 8), checksum right. */
function tcp6Packet(o: { flags: number; options: number[]; ext?: [number, number][]; payload?: number }): {
  b: Uint8Array;
  tcp: number;
} {
  const optLen = Math.ceil(o.options.length / 4) * 4;
  const tcpLen = 20 + optLen + (o.payload ?? 0);
  const extLen = (o.ext ?? []).reduce((n, [, len]) => n + len, 0);
  const b = new Uint8Array(40 + extLen + tcpLen);
  b[0] = 0x60;
  b[4] = (extLen + tcpLen) >> 8;
  b[5] = (extLen + tcpLen) & 0xff;
  b[7] = 64;
  b.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 8);
  b.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 24);
  let p = 40;
  let nextAt = 6;
  for (const [type, len] of o.ext ?? []) {
    b[nextAt] = type;
    b[p + 1] = len / 8 - 1;
    nextAt = p;
    p += len;
  }
  b[nextAt] = 6;
  const t = p;
  b.set([0x30, 0x39, 0x01, 0xbb], t);
  b[t + 12] = ((20 + optLen) / 4) << 4;
  b[t + 13] = o.flags;
  b.set(o.options, t + 20);
  const sum = tcp6Checksum(b, t);
  b[t + 16] = sum >> 8;
  b[t + 17] = sum & 0xff;
  return { b, tcp: t };
}

function tcp6Checksum(b: Uint8Array, t: number): number {
  const copy = b.slice();
  copy[t + 16] = 0;
  copy[t + 17] = 0;
  const len = copy.length - t;
  const pseudo = new Uint8Array([...copy.subarray(8, 40), 0, 0, len >> 8, len & 0xff, 0, 0, 0, 6]);
  const s = onesComplementSum(copy, t, copy.length, onesComplementSum(pseudo, 0, pseudo.length));
  return ~s & 0xffff;
}

function mss6Of(b: Uint8Array, t: number): number | undefined {
  for (let p = t + 20; p < t + (b[t + 12]! >> 4) * 4; ) {
    if (b[p] === 0) return undefined;
    if (b[p] === 1) {
      p++;
      continue;
    }
    if (b[p] === 2) return (b[p + 2]! << 8) | b[p + 3]!;
    p += b[p + 1]!;
  }
  return undefined;
}

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

  it('IPv6 (RFC 8200 §5: MSS = MTU − 60): a SYN behind hop-by-hop and destination options is clamped to 1340 at MTU 1400', () => {
    for (const ext of [
      [],
      [[0, 8]],
      [
        [0, 8],
        [60, 16],
      ],
      [[43, 24]],
    ] as [number, number][][]) {
      const { b, tcp } = tcp6Packet({ flags: SYN | ACK, options: [2, 4, 0x05, 0xa0, 1, 1, 4, 2], ext });
      expect(clampMss(b, 0, b.length, mssForMtu(1400), 20)).toBe(true);
      expect(mss6Of(b, tcp)).toBe(1340);
      expect((b[tcp + 16]! << 8) | b[tcp + 17]!).toBe(tcp6Checksum(b, tcp));
    }
  });

  it('IPv6 left alone: a Fragment header, an unknown header, 9 extension headers, a truncated chain, no SYN', () => {
    const nine = Array.from({ length: 9 }, () => [60, 8]) as [number, number][];
    const cases = [
      tcp6Packet({ flags: SYN, options: [2, 4, 0x05, 0xa0], ext: [[44, 8]] }).b,
      tcp6Packet({ flags: SYN, options: [2, 4, 0x05, 0xa0], ext: [[135, 8]] }).b,
      tcp6Packet({ flags: SYN, options: [2, 4, 0x05, 0xa0], ext: nine }).b,
      tcp6Packet({ flags: ACK, options: [2, 4, 0x05, 0xa0] }).b,
    ];
    const truncated = tcp6Packet({ flags: SYN, options: [2, 4, 0x05, 0xa0], ext: [[0, 8]] }).b;
    truncated[41] = 200; // hop-by-hop length runs past the packet
    for (const p of [...cases, truncated]) {
      const before = p.slice();
      expect(clampMss(p, 0, p.length, 1360, 20)).toBe(false);
      expect(p).toEqual(before);
    }
  });

  it('property: IPv6 SYNs with any MSS and padding come out at min(MSS, limit − 20) with a valid checksum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 108, max: 1480 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        (value, mss, nops, exts) => {
          const { b, tcp } = tcp6Packet({
            flags: SYN,
            options: [...Array(nops).fill(1), 2, 4, value >> 8, value & 0xff],
            ext: Array.from({ length: exts }, () => [60, 8]) as [number, number][],
          });
          expect(clampMss(b, 0, b.length, mss, 20)).toBe(value > mss - 20);
          expect(mss6Of(b, tcp)).toBe(Math.min(value, mss - 20));
          expect((b[tcp + 16]! << 8) | b[tcp + 17]!).toBe(tcp6Checksum(b, tcp));
        },
      ),
    );
  });
});
