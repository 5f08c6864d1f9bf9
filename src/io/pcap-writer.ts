// A classic pcap file (the libpcap format tcpdump, tshark and Wireshark read) of the L2TP
// datagrams an LNS sends and receives: `l2tp-ts lns --pcap FILE`. Link type LINKTYPE_RAW (101, raw
// IP, the version nibble says which): each record is an IPv4 header + UDP header (written here, UDP
// checksum 0 as RFC 768 allows over IPv4) + the datagram, or for an IPv6 peer an IPv6 header + UDP
// header with its checksum (mandatory over IPv6, RFC 8200 §8.1), so tshark decodes udp/1701 as
// L2TP and the PPP inside it whichever family the LNS listens on.
// Bounded: after `maxBytes` the file is closed and capture stops (one notice through onFull);
// records are buffered and written in 64 KiB blocks, never one syscall per datagram.
// Related: udp-driver.ts (the tap), create-lns.ts, ../cli/lns.ts (--pcap, --pcap-max-mb).
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { put16 } from '../core/bytes.js';
import { parseIpv4, writeIpv4Header } from '../core/ipv4.js';
import { IPV6_HEADER_LENGTH, parseIpv6, upperLayerSum, writeIpv6Header } from '../core/ipv6.js';

/** LINKTYPE_RAW: raw IPv4 or IPv6 packets, no link header. */
const LINKTYPE_RAW = 101;
const UNSPECIFIED6 = new Uint8Array(16);
/** Longest record kept (snaplen): a whole datagram over any link this stack uses. */
const SNAPLEN = 65_535;
const BLOCK = 64 * 1024;

/** Options of a capture file. */
export interface PcapWriterOptions {
  /** Stop after this many bytes of file (default 100 MiB). */
  readonly maxBytes?: number;
  /** Called once when the bound is reached and the file has been closed. */
  readonly onFull?: () => void;
  /** Wall clock in ms for the record timestamps (default Date.now). */
  readonly clock?: () => number;
  /**
   * Create the file, never open an existing one (O_CREAT | O_EXCL | O_NOFOLLOW): an existing
   * file, or a symbolic link even to nowhere, fails with EEXIST/ELOOP instead of being
   * overwritten or followed. Default false (`--pcap FILE` truncates FILE, as tcpdump -w does).
   */
  readonly exclusive?: boolean;
}

/** Writes IPv4/UDP records to one pcap file; close() flushes. */
export class PcapWriter {
  private fd: number | undefined;
  private readonly buf = new Uint8Array(BLOCK);
  private used = 0;
  private written = 0;
  private readonly maxBytes: number;
  private readonly clock: () => number;
  private readonly onFull: (() => void) | undefined;
  /** Records written. */
  packets = 0;

  constructor(path: string, opts: PcapWriterOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 100 * 1024 * 1024;
    this.clock = opts.clock ?? Date.now;
    this.onFull = opts.onFull;
    // Created 0600: a capture holds the PPP exchange (PAP passwords, CHAP responses).
    const flags = opts.exclusive
      ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
      : 'w';
    this.fd = openSync(path, flags, 0o600);
    const h = new Uint8Array(24);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0xa1b2c3d4, true); // magic, microsecond timestamps, little-endian file
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setUint32(16, SNAPLEN, true);
    dv.setUint32(20, LINKTYPE_RAW, true);
    this.append(h);
  }

  /** True while records are accepted. */
  get open(): boolean {
    return this.fd !== undefined;
  }

  /** Octets of the file so far (written and buffered). */
  get bytes(): number {
    return this.written + this.used;
  }

  /**
   * One UDP datagram from src to dst, stamped `atMs` (default: the clock now). An IPv4 record when
   * either side is a dotted quad (the other, e.g. a dual-stack `::`, written as 0.0.0.0), else an
   * IPv6 record (addresses that are neither written as ::).
   */
  write(
    src: { address: string; port: number },
    dst: { address: string; port: number },
    payload: Uint8Array,
    atMs?: number,
  ): void {
    if (this.fd === undefined) return;
    const v4 = parseIpv4(src.address) !== undefined || parseIpv4(dst.address) !== undefined;
    const ipLength = v4 ? 20 : IPV6_HEADER_LENGTH;
    const headers = ipLength + 8;
    const len = Math.min(payload.length, SNAPLEN - headers);
    const recordBytes = 16 + headers + len;
    if (this.written + this.used + recordBytes > this.maxBytes) {
      this.close();
      this.onFull?.();
      return;
    }
    if (this.used + recordBytes > BLOCK) this.flush();
    const ms = atMs ?? this.clock();
    const rec = new Uint8Array(this.buf.buffer, this.used, recordBytes);
    const dv = new DataView(rec.buffer, rec.byteOffset, 16);
    dv.setUint32(0, Math.floor(ms / 1000), true);
    dv.setUint32(4, Math.floor((ms % 1000) * 1000), true);
    dv.setUint32(8, headers + len, true);
    dv.setUint32(12, headers + payload.length, true);
    const ip = rec.subarray(16, 16 + headers + len);
    if (v4) {
      writeIpv4Header(ip, {
        totalLength: Math.min(28 + payload.length, 0xffff),
        protocol: 17,
        source: parseIpv4(src.address) ?? 0,
        destination: parseIpv4(dst.address) ?? 0,
      });
    } else {
      writeIpv6Header(ip, {
        payloadLength: Math.min(8 + payload.length, 0xffff),
        nextHeader: 17,
        hopLimit: 64,
        source: parseIpv6(src.address) ?? UNSPECIFIED6,
        destination: parseIpv6(dst.address) ?? UNSPECIFIED6,
      });
    }
    const udp = ip.subarray(ipLength, headers);
    put16(udp, 0, src.port);
    put16(udp, 2, dst.port);
    put16(udp, 4, Math.min(8 + payload.length, 0xffff));
    put16(udp, 6, 0);
    ip.set(payload.subarray(0, len), headers);
    if (!v4 && len === payload.length) {
      // RFC 768 over IPv6: 0 is written as 0xffff (a computed 0 is sent as all ones).
      const sum = ~upperLayerSum(ip, headers + len, 17) & 0xffff;
      put16(udp, 6, sum === 0 ? 0xffff : sum);
    }
    this.used += recordBytes;
    this.packets++;
  }

  /** Writes the buffered records. */
  flush(): void {
    if (this.fd === undefined || this.used === 0) return;
    writeSync(this.fd, this.buf, 0, this.used);
    this.written += this.used;
    this.used = 0;
  }

  /** Flushes and closes; later writes are ignored. */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private append(bytes: Uint8Array): void {
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }
}
