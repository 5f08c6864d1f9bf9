// A small pcap/pcapng reader for test vectors: extracts IPv4 UDP payloads (L2TP: port 1701) from
// Ethernet (802.1Q tolerated), Linux cooked SLL/SLL2, raw IP and BSD loopback link types.
// Related: test/vectors/README.md (where the captures came from), test/l2tp/wire-golden.test.ts.

/** One UDP datagram found in a capture. `frame` is 1-based, as Wireshark numbers frames. */
export interface UdpRecord {
  readonly frame: number;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

const LINKTYPE_NULL = 0;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_RAW_ALT_12 = 12;
const LINKTYPE_RAW_ALT_14 = 14;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;

class CaptureFormatError extends Error {}

/** Reads every packet of a pcap or pcapng file as (frame number, link type, captured octets). */
export function readPackets(file: Uint8Array): { frame: number; linkType: number; data: Uint8Array }[] {
  if (file.length < 4) throw new CaptureFormatError('not a capture: too short');
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic === 0x0a0d0d0a) return readPcapng(file, dv);
  let little: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) little = false;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) little = true;
  else throw new CaptureFormatError(`not a pcap: magic ${magic.toString(16)}`);
  if (file.length < 24) throw new CaptureFormatError('truncated pcap header');
  const linkType = dv.getUint32(20, little) & 0x0fffffff;
  const out: { frame: number; linkType: number; data: Uint8Array }[] = [];
  let at = 24;
  let frame = 0;
  while (at + 16 <= file.length) {
    const incl = dv.getUint32(at + 8, little);
    at += 16;
    if (at + incl > file.length) throw new CaptureFormatError(`frame ${frame + 1} truncated`);
    out.push({ frame: ++frame, linkType, data: file.subarray(at, at + incl) });
    at += incl;
  }
  return out;
}

function readPcapng(file: Uint8Array, dv: DataView): { frame: number; linkType: number; data: Uint8Array }[] {
  const out: { frame: number; linkType: number; data: Uint8Array }[] = [];
  let little = true;
  let interfaces: number[] = [];
  let frame = 0;
  let at = 0;
  while (at + 12 <= file.length) {
    let type = dv.getUint32(at, little);
    if (type === 0x0a0d0d0a) {
      // Section Header Block: the byte-order magic decides endianness for the whole section.
      little = dv.getUint32(at + 8, true) === 0x1a2b3c4d;
      type = 0x0a0d0d0a;
      interfaces = [];
    }
    const length = dv.getUint32(at + 4, little);
    if (length < 12 || at + length > file.length) throw new CaptureFormatError('bad pcapng block length');
    if (type === 1) interfaces.push(dv.getUint16(at + 8, little));
    else if (type === 6) {
      const iface = dv.getUint32(at + 8, little);
      const captured = dv.getUint32(at + 20, little);
      out.push({ frame: ++frame, linkType: interfaces[iface] ?? -1, data: file.subarray(at + 28, at + 28 + captured) });
    } else if (type === 3) {
      const original = dv.getUint32(at + 8, little);
      const captured = Math.min(original, length - 16);
      out.push({ frame: ++frame, linkType: interfaces[0] ?? -1, data: file.subarray(at + 12, at + 12 + captured) });
    }
    at += length;
  }
  return out;
}

const ip4 = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

/** Offset of the network-layer header and its EtherType, or undefined for frames that are not IP. */
function networkLayer(linkType: number, d: Uint8Array): { at: number; etherType: number } | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (d.length < 14) return undefined;
      let at = 12;
      let etherType = be16(d, at);
      while ((etherType === 0x8100 || etherType === 0x88a8) && at + 6 <= d.length) {
        at += 4;
        etherType = be16(d, at);
      }
      return { at: at + 2, etherType };
    }
    case LINKTYPE_LINUX_SLL:
      return d.length < 16 ? undefined : { at: 16, etherType: be16(d, 14) };
    case LINKTYPE_LINUX_SLL2:
      return d.length < 20 ? undefined : { at: 20, etherType: be16(d, 0) };
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_ALT_12:
    case LINKTYPE_RAW_ALT_14:
    case LINKTYPE_IPV4:
      return d.length < 1 ? undefined : { at: 0, etherType: d[0]! >> 4 === 4 ? 0x0800 : 0x86dd };
    case LINKTYPE_NULL: {
      if (d.length < 4) return undefined;
      const family = d[0] === 0 ? be16(d, 2) : d[0]!; // either byte order; AF_INET is 2
      return { at: 4, etherType: family === 2 ? 0x0800 : 0 };
    }
    default:
      return undefined;
  }
}

/** Every unfragmented IPv4 UDP datagram in the capture (optionally only those to or from `port`). */
export function udpRecords(file: Uint8Array, port?: number): UdpRecord[] {
  const out: UdpRecord[] = [];
  for (const { frame, linkType, data } of readPackets(file)) {
    const net = networkLayer(linkType, data);
    if (net === undefined || net.etherType !== 0x0800) continue;
    const ip = net.at;
    if (ip + 20 > data.length || data[ip]! >> 4 !== 4) continue;
    const ihl = (data[ip]! & 0x0f) * 4;
    const totalLength = be16(data, ip + 2);
    const fragment = be16(data, ip + 6);
    if (data[ip + 9] !== 17 || (fragment & 0x3fff) !== 0) continue; // UDP, not a fragment
    const udp = ip + ihl;
    if (udp + 8 > data.length) continue;
    const srcPort = be16(data, udp);
    const dstPort = be16(data, udp + 2);
    if (port !== undefined && srcPort !== port && dstPort !== port) continue;
    const ipEnd = Math.min(ip + totalLength, data.length);
    const end = Math.min(udp + be16(data, udp + 4), ipEnd);
    if (end < udp + 8) continue;
    out.push({
      frame,
      src: ip4(data, ip + 12),
      dst: ip4(data, ip + 16),
      srcPort,
      dstPort,
      payload: new Uint8Array(data.subarray(udp + 8, end)), // a copy (Buffer.slice would be a view)
    });
  }
  return out;
}
