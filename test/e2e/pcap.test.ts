// Issue 12 item 2: `l2tp-ts lns --pcap FILE` writes every L2TP datagram it sends and receives as
// classic pcap; tshark decodes a whole session from it (L2TP control, LCP, CHAP, IPCP, the ICMP
// of a ping) with nothing malformed, and --pcap-max-mb bounds the file.
// Related: src/io/pcap-writer.ts, src/io/udp-driver.ts (tap), test/support/tshark.ts.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/io/pcap-writer.js';
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
});
