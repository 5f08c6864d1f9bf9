// Issue 12 item 2: `l2tp-ts lns --pcap FILE` writes every L2TP datagram it sends and receives as
// classic pcap; tshark decodes a whole session from it (L2TP control, LCP, CHAP, IPCP, the ICMP
// of a ping) with nothing malformed, and --pcap-max-mb bounds the file.
// Related: src/io/pcap-writer.ts, src/io/udp-driver.ts (tap), test/support/tshark.ts.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { upperLayerSum } from '../../src/core/ipv6.js';
import { PcapWriter } from '../../src/io/pcap-writer.js';
import { readPackets } from '../support/pcap.js';
import { dissect, formatFlags, tsharkAvailable } from '../support/tshark.js';
import { cleanupProcesses, runLac, startLns, tempDir } from './cli-process.js';

afterEach(cleanupProcesses);

describe('lns --pcap', () => {
  it.skipIf(!tsharkAvailable())(
    'a whole session in the capture: tshark sees L2TP, LCP, CHAP, IPCP and ICMP, nothing malformed',
    async () => {
      const dir = tempDir();
      const pcap = join(dir, 'lns.pcap');
      const lns = await startLns(['--userspace', '--user', 'alice:s3cret', '--pcap', pcap], dir);
      const r = await runLac(lns.port, ['--user', 'alice', '--password', 's3cret', '--ping']);
      expect(r.code, r.stderr).toBe(0);
      process.kill(lns.proc.pid, 'SIGTERM');
      expect(await lns.proc.exited).toBe(0);
      expect(statSync(pcap).mode & 0o777).toBe(0o600);

      const d = await dissect(pcap, { ports: [lns.port] });
      expect(formatFlags(d)).toBe('');
      const info = d.packets.map((p) => p.info).join('\n');
      for (const proto of [
        /SCCRQ|Start_Control_Request/i,
        /ICRQ|Incoming_Call_Request/i,
        /LCP/,
        /CHAP/,
        /IPCP/,
        /ICMP|Echo \(ping\)/,
      ])
        expect(info).toMatch(proto);
      // Both directions, with the LNS's bound port on one side of every datagram.
      expect(d.packets.every((p) => p.srcPort === lns.port || p.dstPort === lns.port)).toBe(true);
      expect(d.packets.some((p) => p.srcPort === lns.port) && d.packets.some((p) => p.dstPort === lns.port)).toBe(true);
    },
    40_000,
  );

  it('the size bound holds: the writer stops at maxBytes and says so once', () => {
    const dir = tempDir();
    const file = join(dir, 'small.pcap');
    let full = 0;
    const w = new PcapWriter(file, { maxBytes: 10_000, onFull: () => full++, clock: () => 0 });
    const peer = { address: '10.0.0.1', port: 1701 };
    for (let i = 0; i < 1000; i++) w.write(peer, peer, new Uint8Array(100));
    w.close();
    expect(full).toBe(1);
    expect(statSync(file).size).toBeLessThanOrEqual(10_000);
    expect(w.packets).toBe(Math.floor((10_000 - 24) / (16 + 28 + 100)));
  });

  it('IPv6 peers get IPv6 records (link type 101) with a valid UDP checksum; IPv4 peers IPv4 records', () => {
    const file = join(tempDir(), 'v6.pcap');
    const w = new PcapWriter(file, { clock: () => 1_000 });
    const payload = Uint8Array.from({ length: 37 }, (_, i) => i * 7);
    w.write({ address: '2001:db8::1', port: 1701 }, { address: '2001:db8::2', port: 40_000 }, payload);
    w.write({ address: '10.0.0.1', port: 1701 }, { address: '10.0.0.2', port: 1701 }, payload);
    w.close();
    const [six, four] = readPackets(readFileSync(file));
    expect(six!.linkType).toBe(101);
    const d = six!.data;
    expect(d.length).toBe(40 + 8 + 37);
    expect(d[0]! >> 4).toBe(6);
    expect((d[4]! << 8) | d[5]!).toBe(8 + 37); // payload length
    expect(d[6]).toBe(17);
    expect(Buffer.from(d.subarray(8, 24)).toString('hex')).toBe('20010db8000000000000000000000001');
    expect((d[40]! << 8) | d[41]!).toBe(1701);
    expect((d[42]! << 8) | d[43]!).toBe(40_000);
    expect((d[46]! << 8) | d[47]!).not.toBe(0); // mandatory over IPv6
    expect(upperLayerSum(d, d.length, 17)).toBe(0xffff); // sums to all ones with the checksum in
    expect(Buffer.from(d.subarray(48)).equals(Buffer.from(payload))).toBe(true);
    expect(four!.data[0]! >> 4).toBe(4);
    expect(four!.data.length).toBe(20 + 8 + 37);
  });
});
