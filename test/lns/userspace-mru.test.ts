// The --userspace responder never sends the peer a frame larger than the MRU it acked (RFC 1661
// §6.1): an echo reply that does not fit is fragmented (RFC 791 §3.2) and the fragments reassemble
// to the reply. Drives a real LNS and LAC (MRU 1400) over the SimNetwork.
// Related: src/lns/userspace-responder.ts (respondWithin), src/lns/lns.ts (answerIp).
import { describe, expect, it } from 'vitest';
import { buildIcmpEcho, IcmpType, internetChecksum, parseIpv4 } from '../../src/core/ipv4.js';
import { L2tpHeaderView } from '../../src/l2tp/wire/header.js';
import type { LnsEngine } from '../../src/lns/lns.js';
import { respond, respondWithin } from '../../src/lns/userspace-responder.js';
import { SIM_LAC as LAC, SIM_LOCAL_IP as LOCAL_IP, simSessionUp } from '../support/sim-session.js';

function sessionUp(mru: number) {
  return simSessionUp({ lns: { userspace: true }, lac: { mru } });
}

/** An echo request of `size` octets of ICMP data from the LAC's address to the LNS. */
function bigEcho(source: string, size: number, df: boolean): Uint8Array {
  const p = buildIcmpEcho({
    type: IcmpType.echoRequest,
    source: parseIpv4(source)!,
    destination: parseIpv4(LOCAL_IP)!,
    identifier: 7,
    sequence: 1,
    data: new Uint8Array(size).map((_, i) => i & 0xff),
  });
  if (df) {
    p[6] = 0x40;
    p[10] = 0;
    p[11] = 0;
    const c = internetChecksum(p, 0, 20);
    p[10] = c >>> 8;
    p[11] = c & 0xff;
  }
  return p;
}

/** The PPP frames (FF 03 protocol information) of the LNS's data messages. */
function framesOut(lns: LnsEngine): Uint8Array[] {
  const view = new L2tpHeaderView();
  const out: Uint8Array[] = [];
  for (let d = lns.pollTransmit(); d !== undefined; d = lns.pollTransmit()) {
    if (view.wrap(d.bytes) === undefined && !view.isControl) out.push(view.body.slice());
  }
  return out;
}

/** RFC 791 reassembly of fragments of one datagram (20-octet headers). */
function reassemble(fragments: Uint8Array[]): Uint8Array {
  const parts = fragments.map((f) => ({ offset: (((f[6]! & 0x1f) << 8) | f[7]!) * 8, data: f.subarray(20) }));
  const length = Math.max(...parts.map((p) => p.offset + p.data.length));
  const out = new Uint8Array(20 + length);
  out.set(fragments[0]!.subarray(0, 20));
  for (const p of parts) out.set(p.data, 20 + p.offset);
  return out;
}

describe('userspace responder: the peer MRU', () => {
  for (const df of [false, true]) {
    it(`RFC1661-6.1: MRU 1400 acked, a 1472-octet echo (DF ${df ? 'set' : 'clear'}) is answered in fragments that fit`, () => {
      const { net, lns, lac, lacSession } = sessionUp(1400);
      const request = bigEcho(lacSession.localAddress!, 1472, df);
      expect(request.length).toBe(1500);
      framesOut(lns);
      expect(lac.sendIp(lacSession, request)).toBe(true);
      const datagram = lac.pollTransmit()!;
      lns.handleDatagram(datagram.bytes, LAC, net.now);
      const frames = framesOut(lns);
      expect(frames.length).toBeGreaterThan(1);
      for (const f of frames) {
        expect(f.length - 4).toBeLessThanOrEqual(1400); // PPP Information field within the MRU
        expect([f[2], f[3]]).toEqual([0x00, 0x21]);
      }
      const fragments = frames.map((f) => f.subarray(4));
      for (const [i, f] of fragments.entries()) {
        expect(internetChecksum(f, 0, 20)).toBe(0); // header checksum verifies
        const more = (f[6]! & 0x20) !== 0;
        expect(more).toBe(i < fragments.length - 1);
        expect(f[6]! & 0x40).toBe(0); // DF cleared: we are the originating host
        if (more) expect((f.length - 20) % 8).toBe(0);
      }
      const whole = reassemble(fragments);
      const expected = respond(request, (a) => a === parseIpv4(LOCAL_IP))!;
      // The same datagram apart from the flags/offset word (and so the header checksum).
      expect(whole.subarray(20)).toEqual(expected.subarray(20));
      expect(whole.subarray(12, 20)).toEqual(expected.subarray(12, 20));
    });
  }

  it('a reply that fits is one datagram, byte for byte what respond gives; an MRU below 28 gives nothing', () => {
    const request = bigEcho('10.1.20.31', 100, true);
    const local = (a: number): boolean => a === parseIpv4(LOCAL_IP);
    expect(respondWithin(request, local, 1500)).toEqual([respond(request, local)]);
    expect(respondWithin(request, local, 27)).toEqual([]);
    expect(respondWithin(request, (a) => a === 0, 1500)).toEqual([]);
  });
});
