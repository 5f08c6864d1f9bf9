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

const h16 = (n: number): string => n.toString(16).padStart(4, '0');

/** A control message: header (T L S, version 2) + AVPs. */
function control(avps: string, sid = 0, tid = 0, ns = 0, nr = 0): Uint8Array {
  return fromHex(`c802${h16(12 + avps.length / 2)}${h16(tid)}${h16(sid)}${h16(ns)}${h16(nr)}${avps}`);
}
const HELLO = '8008000000000006';

const US = '10.203.9.9';
const PEER = '10.203.9.1';
const PACKETS: { name: string; payload: Uint8Array; src?: string }[] = [
  { name: 'good SCCRQ', payload: control(MT_SCCRQ + PROTO + HOST + FRAMING + TID) },
  { name: 'Host Name before Message Type', payload: control(HOST + MT_SCCRQ + PROTO + FRAMING + TID) },
  { name: 'SCCRQ without Assigned Tunnel ID', payload: control(MT_SCCRQ + PROTO + HOST + FRAMING) },
  { name: 'HELLO with Session ID 5', payload: control('8008000000000006', 5) },
  { name: 'AVP length 3', payload: control(`${MT_SCCRQ}8003000000`) },
  // Data message, PPP LCP Configure-Request claiming 20 octets but carrying 4.
  { name: 'truncated LCP', payload: fromHex('000200010001ff03c021010100140102') },
  // RFC 2661 §5.8: the peer's SCCRP pairs its Tunnel ID 7 with ours (9); our HELLO Ns=3 to it is
  // acknowledged by a ZLB with Nr=4, then sent again.
  {
    name: 'peer SCCRP',
    payload: control(`8008000000000002${PROTO}${HOST}${FRAMING}8008000000090007`, 0, 9, 0, 1),
    src: PEER,
  },
  { name: 'HELLO', payload: control(HELLO, 0, 7, 3, 2) },
  { name: 'peer ZLB acking it', payload: control('', 0, 9, 2, 4), src: PEER },
  { name: 'HELLO retransmitted after the ack', payload: control(HELLO, 0, 7, 3, 2) },
  // A ZLB claiming Ns=6 while Ns=4 and 5 are still to come.
  { name: 'ZLB ahead', payload: control('', 0, 7, 6, 2) },
  { name: 'HELLO Ns=4', payload: control(HELLO, 0, 7, 4, 2) },
  { name: 'HELLO Ns=5', payload: control(HELLO, 0, 7, 5, 2) },
  { name: 'ZLB right', payload: control('', 0, 7, 6, 2) },
  { name: 'HELLO Ns=6', payload: control(HELLO, 0, 7, 6, 2) },
];

describe.skipIf(!tsharkAvailable())('tshark oracle self-test', () => {
  let d: Dissection;
  it('RFC2661-3.1: the good SCCRQ is clean and each broken packet is flagged (incl. RFC2661-5.8 retransmission after ack)', async () => {
    const pcap = join(dir, 'oracle.pcap');
    writeUdpPcap(
      pcap,
      PACKETS.map((p) => ({
        src: p.src ?? US,
        dst: p.src === PEER ? US : PEER,
        srcPort: 1701,
        dstPort: 1701,
        payload: p.payload,
      })),
    );
    d = await dissect(pcap, { from: US });
    expect(d.packets).toHaveLength(PACKETS.length);
    const flagged = (n: number): string[] =>
      [...d.malformed, ...d.expertWarnings, ...d.rfcChecks].filter((f) => f.packet === n).map((f) => f.text);
    expect(flagged(1)).toEqual([]);
    expect(flagged(2).join()).toMatch(/not Message Type/);
    expect(flagged(3).join()).toMatch(/lacks required AVP type 9/);
    expect(flagged(4).join()).toMatch(/Session ID 5/);
    expect(d.malformed.map((f) => f.packet)).toEqual(expect.arrayContaining([5, 6]));
    expect(flagged(8)).toEqual([]);
    // Packets 2-4 repeat Ns=0 of packet 1 with no ack in between: not flagged as late retransmissions.
    expect(flagged(2).join()).not.toMatch(/retransmitted/);
    expect(flagged(10).join()).toMatch(/retransmitted Ns=3/);
    expect(flagged(11).join()).toMatch(/ZLB with Ns=6 sent before our message Ns=4/);
    expect(flagged(14)).toEqual([]);
  });
});
