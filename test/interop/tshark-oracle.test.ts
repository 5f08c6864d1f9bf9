// The tshark oracle must flag what it is there to flag (no test that cannot fail): a pcap of one
// good SCCRQ and deliberately broken L2TP packets (RFC 2661 §3.1, §4.1, §6). Related: support/tshark.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/core/bytes.js';
import { type Dissection, dissect, tsharkAvailable, writeUdpPcap } from '../support/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'l2t-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MT_SCCRQ = '8008000000000001';
const PROTO = '8008000000020100';
const HOST = '80070000000774'; // Host Name "t"
const FRAMING = '800a0000000300000003';
const TID = '8008000000090005';

/** A control message: header (T L S, version 2) + AVPs; `sid` for the Session ID field. */
function control(avps: string, sid = 0): Uint8Array {
  const len = 12 + avps.length / 2;
  return fromHex(`c802${len.toString(16).padStart(4, '0')}0000${sid.toString(16).padStart(4, '0')}00000000${avps}`);
}

const PACKETS: { name: string; payload: Uint8Array }[] = [
  { name: 'good SCCRQ', payload: control(MT_SCCRQ + PROTO + HOST + FRAMING + TID) },
  { name: 'Host Name before Message Type', payload: control(HOST + MT_SCCRQ + PROTO + FRAMING + TID) },
  { name: 'SCCRQ without Assigned Tunnel ID', payload: control(MT_SCCRQ + PROTO + HOST + FRAMING) },
  { name: 'HELLO with Session ID 5', payload: control('8008000000000006', 5) },
  { name: 'AVP length 3', payload: control(`${MT_SCCRQ}8003000000`) },
  // Data message, PPP LCP Configure-Request claiming 20 octets but carrying 4.
  { name: 'truncated LCP', payload: fromHex('000200010001ff03c021010100140102') },
];

describe.skipIf(!tsharkAvailable())('tshark oracle self-test', () => {
  let d: Dissection;
  it('RFC2661-3.1: the good SCCRQ is clean and each broken packet is flagged', async () => {
    const pcap = join(dir, 'oracle.pcap');
    writeUdpPcap(
      pcap,
      PACKETS.map((p) => ({ src: '10.203.9.9', dst: '10.203.9.1', srcPort: 1701, dstPort: 1701, payload: p.payload })),
    );
    d = await dissect(pcap, { from: '10.203.9.9' });
    expect(d.packets).toHaveLength(PACKETS.length);
    const flagged = (n: number): string[] =>
      [...d.malformed, ...d.expertWarnings, ...d.rfcChecks].filter((f) => f.packet === n).map((f) => f.text);
    expect(flagged(1)).toEqual([]);
    expect(flagged(2).join()).toMatch(/not Message Type/);
    expect(flagged(3).join()).toMatch(/lacks required AVP type 9/);
    expect(flagged(4).join()).toMatch(/Session ID 5/);
    expect(d.malformed.map((f) => f.packet)).toEqual(expect.arrayContaining([5, 6]));
  });
});
