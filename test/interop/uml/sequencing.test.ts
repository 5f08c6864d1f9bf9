// RFC 2661 §5.4 data sequencing between `l2tp-ts lns` and real xl2tpd + pppd LACs in UML guests,
// with tshark reading the S bit off the bridge capture:
// - our LNS with `flow bit = yes` sends Ns on every data message; the guest's kernel L2TP data
//   path (xl2tpd in kernel mode, l2tp_ppp) is a LAC that honours §5.4 and begins sending Ns too;
//   PPP comes up and a ping passes both ways through the sequenced session;
// - xl2tpd's userspace data path (the seed's client) takes our sequenced data but never begins
//   sending Ns itself: it breaks §5.4's "MUST begin"; the session works all the same;
// - xl2tpd's own `flow bit = yes` in a [lac] section is inert: its ICCN carries no Sequencing
//   Required (xl2tpd 1.3.18 control.c has the AVP commented out: "We don't have sequencing code").
// Related: lns.test.ts (the scenarios without sequencing), harness.ts, src/session/data-sequencer.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DissectedPacket, dissect, tsharkAvailable } from '../../support/tshark.js';
import { acquireUmlLock, BRIDGE_IP, type LacResult, UmlLab, umlSkipReason } from './harness.js';
import { LNS_LOCAL_IP, lnsSkipReason, startLns } from './lns-under-test.js';

const skip = umlSkipReason() ?? lnsSkipReason() ?? (tsharkAvailable() ? undefined : 'tshark not installed');
const AVP_SEQUENCING_REQUIRED = 39;
const MESSAGE_ICCN = 12;

const dataOf = (packets: readonly DissectedPacket[], fromUs: boolean): DissectedPacket[] =>
  packets.filter((p) => p.l2tp !== undefined && !p.l2tp.control && (p.src === BRIDGE_IP) === fromUs);

function expectUp(r: LacResult): void {
  const why = `rc=${r.rc} pppd: ${r.pppdLines.join(' | ')}`;
  expect(r.pppUp, why).toBe(true);
  expect(r.remoteIp, why).toBe(LNS_LOCAL_IP);
  expect(r.ping, why).toBe('ok');
}

let release: (() => void) | undefined;
beforeAll(async () => {
  if (skip === undefined) release = await acquireUmlLock(300_000);
}, 310_000);
afterAll(() => release?.());

describe.skipIf(skip !== undefined)(`RFC 2661 §5.4 with UML xl2tpd LACs${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let lab: UmlLab | undefined;
  afterEach(async () => {
    const l = lab;
    lab = undefined;
    if (l === undefined) return;
    try {
      await l.stopCapture();
    } finally {
      await l.dispose();
    }
  }, 40_000);

  it('RFC2661-5.4: flow bit = yes → our data carries Ns; the kernel LAC MUST begin sending Ns; data passes both ways', async () => {
    lab = await UmlLab.create({ scenario: 'l2tp-ts-flow-bit-kernel' });
    const lns = await startLns(lab, { flowBit: true });
    const r = await lab.bootLac({ lnsIp: BRIDGE_IP, name: 'lac1', auth: 'mschapv2', kernel: true }).finish(60_000);
    const status = lns.status();
    expectUp(r);
    await lab.stopCapture();
    const { packets } = await dissect(lab.pcap);
    const ours = dataOf(packets, true);
    const theirs = dataOf(packets, false);
    expect(ours.length).toBeGreaterThan(5);
    // Every data message we sent had the S bit (tshark shows Ns only then), numbered from 0 up.
    expect(ours.filter((p) => p.l2tp?.ns === undefined)).toEqual([]);
    expect(ours[0]!.l2tp!.ns).toBe(0);
    // The guest's kernel began sending Ns once ours arrived, and kept them (its ping among them).
    const firstSequenced = theirs.findIndex((p) => p.l2tp?.ns !== undefined);
    expect(firstSequenced, theirs.map((p) => p.info).join('\n')).toBeGreaterThanOrEqual(0);
    const after = theirs.slice(firstSequenced);
    expect(after.filter((p) => p.l2tp?.ns === undefined)).toEqual([]);
    expect(after.some((p) => p.icmp?.type === 8)).toBe(true); // the guest's echo request, sequenced
    expect(ours.some((p) => p.icmp?.type === 0)).toBe(true); // our echo reply, sequenced
    // Nothing of the guest's was judged a duplicate or stale on the way in.
    if (status !== undefined) expect(JSON.stringify(status)).not.toMatch(/"data-(duplicate|stale)":[1-9]/);
  }, 120_000);

  it('flow bit = yes with the userspace xl2tpd LAC (the seed client): PPP over our sequenced data comes up and pings', async () => {
    lab = await UmlLab.create({ scenario: 'l2tp-ts-flow-bit-userspace' });
    await startLns(lab, { flowBit: true });
    const r = await lab.bootLac({ lnsIp: BRIDGE_IP, name: 'lac1', auth: 'mschapv2' }).finish(60_000);
    expectUp(r);
    await lab.stopCapture();
    const { packets } = await dissect(lab.pcap);
    expect(dataOf(packets, true).filter((p) => p.l2tp?.ns === undefined)).toEqual([]);
    // xl2tpd 1.3.18's userspace data path is no §5.4 LAC: it never begins sending Ns (it has "no
    // sequencing code"); our LNS takes its unsequenced data all the same (PPP up, ping ok).
    const theirs = dataOf(packets, false);
    expect(theirs.length).toBeGreaterThan(5);
    expect(theirs.filter((p) => p.l2tp?.ns !== undefined)).toEqual([]);
  }, 120_000);

  it("xl2tpd's own flow bit = yes ([lac] section) asks for nothing: no Sequencing Required in its ICCN, no Ns on its data", async () => {
    lab = await UmlLab.create({ scenario: 'l2tp-ts-xl2tpd-lac-flow-bit' });
    await startLns(lab, {});
    const r = await lab
      .bootLac({ lnsIp: BRIDGE_IP, name: 'lac1', auth: 'mschapv2', extraLacConf: ['flow bit = yes'] })
      .finish(60_000);
    expectUp(r);
    await lab.stopCapture();
    const { packets } = await dissect(lab.pcap);
    const iccn = packets.find((p) => p.l2tp?.messageType === MESSAGE_ICCN);
    expect(iccn, 'the guest sent an ICCN').toBeDefined();
    expect(iccn!.l2tp!.avpTypes).not.toContain(AVP_SEQUENCING_REQUIRED);
    expect(dataOf(packets, false).filter((p) => p.l2tp?.ns !== undefined)).toEqual([]);
    expect(dataOf(packets, true).filter((p) => p.l2tp?.ns !== undefined)).toEqual([]);
  }, 120_000);
});
