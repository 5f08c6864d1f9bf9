// pppd's ip-up / ip-down through `l2tp-ts lns --tun` in a network namespace (issue 12 item 4): the
// scripts of the test run with pppd's arguments and environment (the interface is the shared TUN
// device), ip-down gets the counters, and a script that hangs is killed at its bound while its
// session carries traffic as if nothing happened; with `+ipv6`, ipv6-up / ipv6-down get the
// link-local addresses and the session's /64. Related: src/io/ppp-hooks.ts, test/io/ppp-hooks.test.ts.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLac } from '../../src/index.js';
import { type LabProcess, labSkipReason, type NetLab, tail, waitFor } from '../support/netns.js';
import { startTunLab } from './lab-lns.js';

const skip = labSkipReason([]) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
const LNS_IP = '10.203.78.2';
const LAC_IP = '10.203.78.1';

describe.skipIf(skip !== undefined)(
  `ip-up / ip-down with l2tp-ts lns --tun${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetLab;
    let lnsNs: string;
    let lacNs: string;
    let lns: LabProcess;
    let port: number;

    beforeAll(async () => {
      ({ lab, lnsNs, lacNs, lns, port } = await startTunLab({
        prefix: 'h',
        lnsIp: LNS_IP,
        lacIp: LAC_IP,
        config: {},
        args: ['--no-control'],
        beforeStart: async (l) => {
          const write = (name: string, body: string): string => {
            const f = join(l.dir, name);
            writeFileSync(f, `#!/bin/sh\n${body}\n`);
            chmodSync(f, 0o755);
            return f;
          };
          // bob's ip-up hangs: the LNS must kill it at hookTimeoutMs and serve bob all the same.
          const up = write(
            'ip-up',
            `[ "$PEERNAME" = bob ] && exec sleep 60\n{ echo "ARGS $*"; env | sort; } > "${l.dir}/up-$PEERNAME.txt"`,
          );
          const down = write('ip-down', `{ echo "ARGS $*"; env | sort; } > "${l.dir}/down-$PEERNAME.txt"`);
          const up6 = write('ipv6-up', `{ echo "ARGS $*"; env | sort; } > "${l.dir}/up6-$PEERNAME.txt"`);
          const down6 = write('ipv6-down', `echo "ARGS $*" > "${l.dir}/down6-$PEERNAME.txt"`);
          return {
            users: { alice: 'a-pw', bob: 'b-pw', carol: 'c-pw' },
            ipv6: true,
            ipv6Pool: '2001:db8:300::/48',
            ipUpScript: up,
            ipDownScript: down,
            ipv6UpScript: up6,
            ipv6DownScript: down6,
            ipparam: 'lab',
            hookTimeoutMs: 1000,
          };
        },
      }));
    }, 40_000);

    afterAll(async () => {
      await lab?.destroy();
    }, 30_000);

    it("ip-up and ip-down get pppd's arguments (interface = the shared TUN device) and environment, with the counters", async () => {
      const lac = await lab.withNetns(lacNs, () =>
        createLac({ server: { address: LNS_IP, port }, user: 'alice', password: 'a-pw' }),
      );
      const up = await lac.waitFor('session-up', undefined, 15_000);
      const upFile = join(lab.dir, 'up-alice.txt');
      await waitFor(
        'ip-up',
        () => existsSync(upFile) && readFileSync(upFile, 'utf8').includes('PATH='),
        10_000,
        () => tail(lns.log),
      );
      const text = readFileSync(upFile, 'utf8');
      const ifname = /^ARGS (\S+) l2tp 0 10\.1\.20\.30 (\S+) lab$/m.exec(text);
      expect(ifname, text).not.toBeNull();
      expect(ifname![2]).toBe(up.address);
      // The interface argument is the device the LNS routes the client through.
      expect(lab.run(lnsNs, 'ip', ['-4', 'route', 'show']).stdout).toContain(`${up.address} dev ${ifname![1]}`);
      expect(text).toMatch(/^PEERNAME=alice$/m);
      expect(text).toMatch(/^IPLOCAL=10\.1\.20\.30$/m);
      expect(text).toMatch(new RegExp(`^IPREMOTE=${up.address.replaceAll('.', '\\.')}$`, 'm'));
      expect(text).toMatch(/^DNS1=192\.168\.1\.1$/m);
      expect(text).toMatch(/^IPPARAM=lab$/m);
      expect(text).not.toMatch(/a-pw/);
      const [session] = lac.engine.sessions.values();
      expect(await lac.ping(session!, 5000)).toBeGreaterThanOrEqual(0);
      await lac.close();
      const downFile = join(lab.dir, 'down-alice.txt');
      await waitFor(
        'ip-down',
        () => existsSync(downFile) && readFileSync(downFile, 'utf8').includes('PATH='),
        10_000,
        () => tail(lns.log),
      );
      const downText = readFileSync(downFile, 'utf8');
      expect(downText).toContain(`ARGS ${ifname![1]} l2tp 0 10.1.20.30 ${up.address} lab`);
      expect(Number(/^BYTES_RCVD=(\d+)$/m.exec(downText)?.[1])).toBeGreaterThan(84); // the ping's IP packet
      expect(Number(/^BYTES_SENT=(\d+)$/m.exec(downText)?.[1])).toBeGreaterThan(84);
      expect(downText).toMatch(/^CONNECT_TIME=\d+$/m);
    }, 40_000);

    it('a hanging ip-up is killed at its bound (1 s) and logged; the session is unaffected', async () => {
      const lac = await lab.withNetns(lacNs, () =>
        createLac({ server: { address: LNS_IP, port }, user: 'bob', password: 'b-pw' }),
      );
      try {
        await lac.waitFor('session-up', undefined, 15_000);
        await waitFor(
          'the kill',
          () => /ip-up killed after \d+ ms/.test(tail(lns.log, 30)),
          10_000,
          () => tail(lns.log),
        );
        const [session] = lac.engine.sessions.values();
        expect(await lac.ping(session!, 5000)).toBeGreaterThanOrEqual(0);
        expect(lns.exitCode).toBeUndefined();
      } finally {
        await lac.close();
      }
    }, 40_000);

    it('with +ipv6: ipv6-up gets the link-local addresses (pppd) and the /64; ipv6-down runs when the session ends', async () => {
      const lac = await lab.withNetns(lacNs, () =>
        createLac({ server: { address: LNS_IP, port }, user: 'carol', password: 'c-pw', ipv6: true }),
      );
      const upFile = join(lab.dir, 'up6-carol.txt');
      let ifname: string;
      try {
        await lac.waitFor('ipv6-address', undefined, 15_000);
        await waitFor(
          'ipv6-up',
          () => existsSync(upFile) && readFileSync(upFile, 'utf8').includes('PATH='),
          10_000,
          () => tail(lns.log),
        );
        const text = readFileSync(upFile, 'utf8');
        const args = /^ARGS (\S+) l2tp 0 (fe80::\S+) (fe80::\S+) lab$/m.exec(text);
        expect(args, text).not.toBeNull();
        ifname = args![1]!;
        expect(text).toMatch(new RegExp(`^LLLOCAL=${args![2]}$`, 'm'));
        expect(text).toMatch(new RegExp(`^LLREMOTE=${args![3]}$`, 'm'));
        expect(text).toMatch(/^L2TP_IPV6_PREFIX=2001:db8:300:[0-9a-f:]*\/64$/m);
        expect(text).toMatch(/^PEERNAME=carol$/m);
        expect(text).not.toMatch(/c-pw/);
      } finally {
        await lac.close();
      }
      const downFile = join(lab.dir, 'down6-carol.txt');
      await waitFor(
        'ipv6-down',
        () => existsSync(downFile),
        10_000,
        () => tail(lns.log),
      );
      expect(readFileSync(downFile, 'utf8')).toMatch(
        new RegExp(`^ARGS ${ifname} l2tp 0 fe80::\\S+ fe80::\\S+ lab$`, 'm'),
      );
    }, 40_000);
  },
);
