// The --userspace IP responder: golden echo request/reply pairs, checksums checked by an
// independent RFC 1071 implementation, and never-throws on garbage. Related: src/lns/userspace-responder.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { respond } from '../../src/lns/userspace-responder.js';
import { hex } from '../support/hex.js';
import { bitFlips, truncations } from '../support/truncations.js';

// Hand-built packets (client 10.1.20.31 → LNS 10.1.20.30, the seed's addresses). Checksums were
// computed with a separate Python RFC 1071 implementation (struct.unpack + end-around carry).
const ICMP_ECHO_REQUEST = hex`4500003c 1c46 4000 4001 e23c 0a01141f 0a01141e
  0800 f3c8 1234 0001 101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f`;
const ICMP_ECHO_REPLY = hex`4500003c 1c46 4000 4001 e23c 0a01141e 0a01141f
  0000 fbc8 1234 0001 101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f`;
const UDP_ECHO_REQUEST = hex`45000021 1c46 4000 4011 e247 0a01141f 0a01141e  9c40 0007 000d e37b 68656c6c6f`;
const UDP_ECHO_REPLY = hex`45000021 1c46 4000 4011 e247 0a01141e 0a01141f  0007 9c40 000d e37b 68656c6c6f`;

const LNS = 0x0a01141e;
const isLocal = (a: number): boolean => a === LNS;

/** Independent RFC 1071 check: the one's-complement sum over a region including its checksum is 0xffff. */
function sumsToOnes(words: number[]): boolean {
  let s = 0;
  for (const w of words) s += w;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}
/** Rewrites the checksum at b[at, at+2) so that b[from, to) sums to ones. */
function fixChecksum(b: Uint8Array, from: number, to: number, at: number, extra: number[] = []): void {
  b[at] = 0;
  b[at + 1] = 0;
  let s = 0;
  for (const w of [...extra, ...words(b, from, to)]) s += w;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  b[at] = (~s >> 8) & 0xff;
  b[at + 1] = ~s & 0xff;
}
function words(b: Uint8Array, from = 0, to = b.length): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i += 2) out.push((b[i]! << 8) | (i + 1 < to ? b[i + 1]! : 0));
  return out;
}

describe('userspace responder', () => {
  it('RFC792: an echo request to the local address gets the golden echo reply', () => {
    const copy = ICMP_ECHO_REQUEST.slice();
    const reply = respond(ICMP_ECHO_REQUEST, isLocal);
    expect(reply).toEqual(ICMP_ECHO_REPLY);
    expect(ICMP_ECHO_REQUEST).toEqual(copy); // input untouched
    expect(sumsToOnes(words(reply!, 0, 20))).toBe(true); // IP header checksum
    expect(sumsToOnes(words(reply!, 20))).toBe(true); // ICMP checksum
  });

  it('RFC862: UDP to port 7 is echoed with ports and addresses swapped and a valid UDP checksum', () => {
    const reply = respond(UDP_ECHO_REQUEST, isLocal)!;
    expect(reply).toEqual(UDP_ECHO_REPLY);
    // RFC 768 pseudo header: src, dst, 0, 17, UDP length.
    const pseudo = [...words(reply, 12, 20), 17, reply.length - 20];
    expect(sumsToOnes([...pseudo, ...words(reply, 20)])).toBe(true);
  });

  it('RFC768: a request without UDP checksum (0) is answered with a computed one', () => {
    const req = UDP_ECHO_REQUEST.slice();
    req[26] = 0;
    req[27] = 0;
    expect(respond(req, isLocal)).toEqual(UDP_ECHO_REPLY);
  });

  it('answers requests with IP options, dropping the options from the reply', () => {
    // IHL 6 with one NOP-padded option word; header checksum recomputed by hand below.
    const req = new Uint8Array(ICMP_ECHO_REQUEST.length + 4);
    req.set(ICMP_ECHO_REQUEST.subarray(0, 20), 0);
    req.set([1, 1, 1, 0], 20);
    req.set(ICMP_ECHO_REQUEST.subarray(20), 24);
    req[0] = 0x46;
    req[3] = req.length;
    fixChecksum(req, 0, 24, 10);
    expect(respond(req, isLocal)).toEqual(ICMP_ECHO_REPLY);
  });

  it('ignores packets not for us, not echo, or to another UDP port', () => {
    expect(respond(ICMP_ECHO_REQUEST, () => false)).toBeUndefined();
    expect(respond(ICMP_ECHO_REPLY, (a) => a === 0x0a01141f)).toBeUndefined(); // a reply is not answered
    const otherPort = UDP_ECHO_REQUEST.slice();
    otherPort[23] = 9; // checksum now wrong too, but the port check alone must refuse it
    expect(respond(otherPort, isLocal)).toBeUndefined();
  });

  it('RFC791: ignores fragments and trailing bytes past Total Length do not change the reply', () => {
    const padded = new Uint8Array(ICMP_ECHO_REQUEST.length + 7);
    padded.set(ICMP_ECHO_REQUEST);
    expect(respond(padded, isLocal)).toEqual(ICMP_ECHO_REPLY);
    const frag = ICMP_ECHO_REQUEST.slice();
    frag[6] = 0x20; // MF set, DF clear; checksum made valid again so only the fragment rule refuses it
    fixChecksum(frag, 0, 20, 10);
    expect(respond(frag, isLocal)).toBeUndefined();
    frag[6] = 0x00;
    frag[7] = 0x08; // fragment offset 8
    fixChecksum(frag, 0, 20, 10);
    expect(respond(frag, isLocal)).toBeUndefined();
    frag[7] = 0x00;
    fixChecksum(frag, 0, 20, 10);
    expect(respond(frag, isLocal)).toBeDefined(); // the same packet unfragmented is answered
  });

  it('RFC1071: every single-bit flip and every truncation of the requests is refused, never thrown', () => {
    for (const v of [ICMP_ECHO_REQUEST, UDP_ECHO_REQUEST]) {
      for (const b of bitFlips(v)) expect(respond(b, () => true)).toBeUndefined();
      for (const b of truncations(v)) expect(respond(b, () => true)).toBeUndefined();
    }
  });

  it('RFC792: any well-formed echo request (random id, seq, data, source) gets a reply that echoes it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0x01000000, max: 0xdfffffff }).filter((a) => a >>> 24 !== 127),
        fc.uint8Array({ maxLength: 1400 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (src, data, ident, idSeq) => {
          const req = new Uint8Array(28 + data.length);
          req.set([0x45, 0, (req.length >> 8) & 0xff, req.length & 0xff, ident >> 8, ident & 0xff, 0x40, 0, 63, 1]);
          req.set([src >>> 24, (src >>> 16) & 255, (src >>> 8) & 255, src & 255, 10, 1, 20, 30], 12);
          req.set([8, 0, 0, 0, idSeq >>> 24, (idSeq >>> 16) & 255, (idSeq >>> 8) & 255, idSeq & 255], 20);
          req.set(data, 28);
          fixChecksum(req, 0, 20, 10);
          fixChecksum(req, 20, req.length, 22);
          const reply = respond(req, isLocal)!;
          expect(reply).toBeDefined();
          expect(reply.subarray(12, 16)).toEqual(req.subarray(16, 20));
          expect(reply.subarray(16, 20)).toEqual(req.subarray(12, 16));
          expect(reply[20]).toBe(0);
          expect(reply.subarray(24)).toEqual(req.subarray(24));
          expect(sumsToOnes(words(reply, 0, 20))).toBe(true);
          expect(sumsToOnes(words(reply, 20))).toBe(true);
        },
      ),
      { seed: 0x792, numRuns: 500 },
    );
  });

  it('never throws on random bytes, and any reply is a well-formed IPv4 packet with valid checksums', () => {
    const ipish = fc
      .tuple(fc.uint8Array({ minLength: 0, maxLength: 120 }), fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x00))
      .map(([b, first]) => {
        if (b.length > 0) b[0] = first;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(ipish, fc.uint8Array({ maxLength: 1500 })), (bytes) => {
        const reply = respond(bytes, () => true);
        if (reply === undefined) return;
        expect(reply[0]).toBe(0x45);
        expect((reply[2]! << 8) | reply[3]!).toBe(reply.length);
        expect(sumsToOnes(words(reply, 0, 20))).toBe(true);
      }),
      { seed: 0x5e4d, numRuns: 20_000 },
    );
  });
});
