// TunDevice and createTunProvider against the real kernel, inside a network namespace this test
// creates: the TUN part runs in a child (`ip netns exec`, fixtures/tun-child.ts). Related: src/io/tun-device.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsSkipReason, removeNetns, runInNetns } from './fixtures/netns-child.js';

const NS = `l2tpts-io-${process.pid}`;
const skipReason = netnsSkipReason();

// biome-ignore lint/suspicious/noExplicitAny: the child's JSON report
let report: any;
let childError = '';

describe.skipIf(skipReason !== undefined)(
  `TUN device in netns ${NS}${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    beforeAll(() => {
      ({ report, error: childError } = runInNetns(NS, 'tun-child.ts'));
    }, 40_000);
    afterAll(() => removeNetns(NS));

    it('the child ran to the end', () => {
      expect(report, childError).toBeDefined();
      expect(report.name).toMatch(/^l2tpts\d+$/); // the kernel resolved the %d template
    });

    it('reads a packet the kernel routes into the device, at the headroom offset, overwriting headroom is safe', () => {
      expect(report.udpRead).toMatchObject({
        dst: '10.209.1.5',
        proto: 17,
        at: 16,
        length: 34,
        payload: 'to-tun',
        headroomOk: true,
      });
    });

    it('writes an ICMP echo request the kernel answers: the reply is read back from the device', () => {
      expect(report.icmpWritten).toBe(true);
      expect(report.icmpReply).toMatchObject({ src: '10.209.0.1', dst: '10.209.1.5', proto: 1, payload: 'pingme' });
    });

    it('drains many packets per readiness callback, and every written packet is delivered', () => {
      expect(report.bulk.written).toBe(150);
      expect(report.bulk.sunk).toBe(150);
      expect(report.bulkRead.packets).toBe(300);
      // Without the drain loop libuv would need one callback per packet.
      expect(report.bulkRead.batches).toBeLessThan(300);
    });

    it('a write the kernel refuses returns false and is counted', () => {
      expect(report.garbageWrite).toBe(false);
      expect(report.stats.writeDropped).toBe(1);
    });

    it('per-session mode makes ppp0, ppp1 … with pppd-style local/peer addresses and removes them', () => {
      expect(report.perSessionNames).toEqual(['ppp0', 'ppp1']);
      expect(report.perSessionRead).toEqual(['10.209.2.2', '10.209.2.3']);
      expect(report.perSessionGoneAfterRelease).toBe(true);
      expect(report.providerClosed).toBe(true);
    });

    it('close() removes the shared device', () => {
      expect(report.sharedGoneAfterClose).toBe(true);
    });
  },
);
