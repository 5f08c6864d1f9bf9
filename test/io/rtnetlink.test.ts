// RtNetlink (src/io/rtnetlink.ts) against the real kernel, inside a network namespace this test
// creates: the netlink part runs in a child (`ip netns exec`, fixtures/rtnetlink-child.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsSkipReason, removeNetns, runInNetns } from './fixtures/netns-child.js';

const NS = `l2tpts-nl-${process.pid}`;
const skipReason = netnsSkipReason();

// biome-ignore lint/suspicious/noExplicitAny: the child's JSON report
let report: any;
let childError = '';

describe.skipIf(skipReason !== undefined)(
  `rtnetlink in netns ${NS}${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    beforeAll(() => {
      ({ report, error: childError } = runInNetns(NS, 'rtnetlink-child.ts'));
    }, 40_000);
    afterAll(() => removeNetns(NS));

    it('sets the link up with its mtu and adds addresses, as ip link set / ip addr add do', () => {
      expect(report, childError).toBeDefined();
      expect(report.link).toMatch(/UP/);
      expect(report.link).toMatch(/mtu 1280/);
      expect(report.addr).toMatch(/inet 10\.210\.0\.1\/32/);
      expect(report.peerAddr).toMatch(/inet 10\.210\.0\.1 peer 10\.210\.2\.2\/32/);
      expect(report.peerAddrGone).not.toMatch(/10\.210\.0\.1/);
    });

    it('route changes take effect in the order written: 500 deletions each followed by a re-addition leave the route', () => {
      expect(report.routes.trim().split('\n')).toEqual([expect.stringMatching(/^10\.210\.1\.5 scope link/)]);
      expect(report.stats.requests).toBeGreaterThan(1000);
    });

    it('a refusal names the errno and the equivalent ip command; removals of what is gone are quiet', () => {
      expect(report.delMissing).toMatch(/^3 ip route del 10\.210\.1\.99\/32 dev nltest\d+ failed: ESRCH/);
      expect(report.addTwice).toMatch(/^17 ip addr add 10\.210\.0\.1\/32 dev nltest\d+ failed: EEXIST/);
      expect(report.noDevice).toMatch(/^19 .*nosuchdev0.*ENODEV/);
      expect(report.removeMissing).toBeUndefined();
    });
  },
);
