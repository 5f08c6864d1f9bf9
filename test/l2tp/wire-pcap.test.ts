// The test-vector reader (test/support/pcap.ts): every link type it claims, pcap and pcapng, so golden
// tests cannot pass by silently finding no packets.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { readPackets, udpRecords } from '../support/pcap.js';

const PAYLOAD = [0xc8, 0x02, 0x00, 0x0c, 0, 1, 0, 0, 0, 0, 0, 0];

/** IPv4 + UDP 10.0.0.1:1701 → 10.0.0.2:1701 around PAYLOAD; `fragment` sets the MF bit. */
function ipv4Udp(fragment = false): number[] {
  const udpLength = 8 + PAYLOAD.length;
  const total = 20 + udpLength;
  return [
    0x45,
    0,
    total >> 8,
    total & 0xff,
    0,
    0,
    fragment ? 0x20 : 0x40,
    0,
    64,
    17,
    0,
    0,
    10,
    0,
    0,
    1,
    10,
    0,
    0,
    2,
    0x06,
    0xa5,
    0x06,
    0xa5,
    udpLength >> 8,
    udpLength & 0xff,
    0,
    0,
    ...PAYLOAD,
  ];
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

/** A classic little-endian pcap with one packet per frame. */
function pcap(linkType: number, frames: number[][]): Uint8Array {
  const out = [...le32(0xa1b2c3d4), 2, 0, 4, 0, ...le32(0), ...le32(0), ...le32(65535), ...le32(linkType)];
  for (const f of frames) out.push(...le32(0), ...le32(0), ...le32(f.length), ...le32(f.length), ...f);
  return new Uint8Array(out);
}

function pcapng(linkType: number, frames: number[][]): Uint8Array {
  const block = (type: number, body: number[]): number[] => {
    while (body.length % 4 !== 0) body.push(0);
    const len = 12 + body.length;
    return [...le32(type), ...le32(len), ...body, ...le32(len)];
  };
  const out = [
    ...block(0x0a0d0d0a, [...le32(0x1a2b3c4d), 1, 0, 0, 0, ...le32(0xffffffff), ...le32(0xffffffff)]),
    ...block(1, [linkType & 0xff, linkType >> 8, 0, 0, ...le32(65535)]),
  ];
  for (const f of frames)
    out.push(...block(6, [...le32(0), ...le32(0), ...le32(0), ...le32(f.length), ...le32(f.length), ...f]));
  return new Uint8Array(out);
}

const ETHERNET = [...new Array(12).fill(0), 0x08, 0x00];
const VLAN = [...new Array(12).fill(0), 0x81, 0x00, 0x00, 0x05, 0x08, 0x00];
const SLL = [0, 0, 0, 1, 0, 6, ...new Array(8).fill(0), 0x08, 0x00];
const SLL2 = [0x08, 0x00, 0, 0, ...new Array(16).fill(0)];

describe('pcap reader', () => {
  const cases: [string, Uint8Array][] = [
    ['Ethernet', pcap(1, [[...ETHERNET, ...ipv4Udp()]])],
    ['Ethernet 802.1Q', pcap(1, [[...VLAN, ...ipv4Udp()]])],
    ['Linux SLL', pcap(113, [[...SLL, ...ipv4Udp()]])],
    ['Linux SLL2', pcap(276, [[...SLL2, ...ipv4Udp()]])],
    ['raw IP', pcap(101, [ipv4Udp()])],
    ['BSD loopback', pcap(0, [[2, 0, 0, 0, ...ipv4Udp()]])],
    ['pcapng Ethernet', pcapng(1, [[...ETHERNET, ...ipv4Udp()]])],
  ];
  for (const [name, file] of cases) {
    it(`extracts the UDP payload from ${name}`, () => {
      const records = udpRecords(file, 1701);
      expect(records.map((r) => [r.frame, r.src, r.dst, r.srcPort, r.dstPort, toHex(r.payload)])).toEqual([
        [1, '10.0.0.1', '10.0.0.2', 1701, 1701, toHex(new Uint8Array(PAYLOAD))],
      ]);
    });
  }

  it('skips IP fragments, other ports and non-IP frames, but numbers every frame', () => {
    const file = pcap(1, [
      [...ETHERNET.slice(0, 12), 0x08, 0x06, 1, 2],
      [...ETHERNET, ...ipv4Udp(true)],
      [...ETHERNET, ...ipv4Udp()],
    ]);
    expect(readPackets(file).length).toBe(3);
    expect(udpRecords(file, 1701).map((r) => r.frame)).toEqual([3]);
    expect(udpRecords(file, 53)).toEqual([]);
  });

  it('rejects what is not a capture', () => {
    expect(() => readPackets(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/not a pcap/);
  });
});
