// Data-path admission end to end (root only, issue 9): `l2tp-ts lns --tun` in a network namespace
// and a LAC (createLac, in-process) in a second one. A real session's packets with a spoofed
// source never reach the TUN device (watched with tcpdump on the device and with its kernel
// counters), and a second UDP socket sending data messages with the session's Tunnel and Session
// IDs changes nothing: no packet forwarded, counted as foreign-peer in `ctl sessions`.
// Related: test/e2e/tun.test.ts (the same lab), src/session/ppp-over-l2tp.ts (admission).
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIcmpEcho, IcmpType, parseIpv4 } from '../../src/core/ipv4.js';
import { createLac, type LacClient } from '../../src/index.js';
import { writeDataHeader } from '../../src/l2tp/wire/header.js';
import type { PppSession } from '../../src/session/ppp-over-l2tp.js';
import { labSkipReason, type NetLab, sleep, tail, waitFor } from '../support/netns.js';
import { startTunLab } from './lab-lns.js';

const BIN = resolve(import.meta.dirname, '../../bin/l2tp-ts.js');
const skip = labSkipReason(['tcpdump']) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
const LNS_IP = '10.203.78.2';
const LAC_IP = '10.203.78.1';
const SPOOFED = '10.1.20.44';

const echo = (src: string, dst: string, seq: number): Uint8Array =>
  buildIcmpEcho({
    type: IcmpType.echoRequest,
    source: parseIpv4(src)!,
    destination: parseIpv4(dst)!,
    identifier: 0x7777,
    sequence: seq,
    data: new Uint8Array(16),
  });

/** A data message for `session`'s peer (the LNS) carrying `info` as PPP protocol `protocol`. */
function dataMessage(session: PppSession, info: Uint8Array, protocol = 0x0021): Uint8Array {
  const buf = new Uint8Array(16 + 4 + info.length);
  buf.set([0xff, 0x03, protocol >> 8, protocol & 0xff], 16);
  buf.set(info, 20);
  const h = session.handle;
  return buf.subarray(writeDataHeader(buf, 16, buf.length, h.peerTunnelId, h.peerSessionId, {}));
}

describe.skipIf(skip !== undefined)(
  `data-path admission through a TUN device${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetLab;
    let lnsNs: string;
    let lacNs: string;
    let port: number;
    let lac: LacClient | undefined;

    beforeAll(async () => {
      ({ lab, lnsNs, lacNs, port } = await startTunLab({
        prefix: 'a',
        lnsIp: LNS_IP,
        lacIp: LAC_IP,
        config: { users: { alice: 's3cret' } },
        args: (l) => ['--control', join(l.dir, 'ctl.sock')],
      }));
    }, 40_000);

    afterAll(async () => {
      await lac?.close(500).catch(() => undefined);
      await lab?.destroy();
    }, 30_000);

    /** Packets the kernel received from the TUN device (= packets the LNS wrote into it). */
    const tunRx = (dev: string): number =>
      Number(lab.run(lnsNs, 'cat', [`/sys/class/net/${dev}/statistics/rx_packets`]).stdout.trim());

    const ctlSessions = (): { dropped: Record<string, number>; state: string }[] => {
      const r = lab.run(lnsNs, process.execPath, [
        BIN,
        'ctl',
        '--control',
        join(lab.dir, 'ctl.sock'),
        '--json',
        'sessions',
      ]);
      return JSON.parse(r.stdout);
    };

    it('spoofed sources never reach the TUN device; a second socket with the right IDs changes nothing', async () => {
      lac = await lab.withNetns(lacNs, () =>
        createLac({ server: { address: LNS_IP, port }, user: 'alice', password: 's3cret' }),
      );
      const up = await lac.waitFor('session-up', undefined, 15_000);
      const own = up.address;
      const [session] = lac.engine.sessions.values();
      const dev = /\d+: (l2tpts\S*?)[:@]/.exec(lab.run(lnsNs, 'ip', ['-o', 'link', 'show']).stdout)?.[1];
      expect(dev, lab.run(lnsNs, 'ip', ['-o', 'link', 'show']).stdout).toBeDefined();

      // tcpdump on the device: every packet the LNS writes into it (-Q in) whose source is not the
      // session's own address.
      const dump = lab.spawn('tcpdump', lnsNs, 'tcpdump', [
        '-i',
        dev!,
        '-Q',
        'in',
        '-n',
        '-l',
        '-U',
        `not src host ${own}`,
      ]);
      await waitFor(
        'tcpdump to listen',
        () => /listening on/.test(tail(dump.log)),
        10_000,
        () => tail(dump.log),
      );

      const before = tunRx(dev!);
      // Spoofed: another pool address, the LNS's own, an Internet address.
      for (const [i, src] of [SPOOFED, '10.1.20.30', '8.8.8.8'].entries()) {
        for (let k = 0; k < 5; k++) expect(lac.sendIp(session!, echo(src, '10.1.20.30', i * 10 + k))).toBe(true);
      }
      await sleep(500);
      expect(tunRx(dev!)).toBe(before);

      // A second UDP socket on the LAC's host sends the session's IDs: valid IP from the session's
      // own address, then an LCP Terminate-Request (RFC 1661 §5.5) that would end the session.
      const intruder = await lab.withNetns(lacNs, async () => {
        const s = createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, LAC_IP, () => r()));
        return s;
      });
      const send = (b: Uint8Array) => new Promise<void>((r) => intruder.send(b, port, LNS_IP, () => r()));
      for (let k = 0; k < 10; k++) await send(dataMessage(session!, echo(own, '10.1.20.30', 100 + k)));
      await send(dataMessage(session!, Uint8Array.of(0x05, 0x42, 0x00, 0x04), 0xc021));
      await sleep(500);
      intruder.close();
      expect(tunRx(dev!)).toBe(before);

      // The real session still works and its packets do reach the device.
      expect(await lac.ping(session!, 5000)).toBeGreaterThanOrEqual(0);
      expect(tunRx(dev!)).toBeGreaterThan(before);

      const [row] = ctlSessions();
      expect(row).toMatchObject({ state: 'up' });
      expect(row!.dropped).toMatchObject({ 'spoofed-source': 15, 'foreign-peer': 11 });

      await lab.stop(dump, 'SIGINT', 3000);
      const seen = tail(dump.log, 200)
        .split('\n')
        .filter((l) => /^\d\d:\d\d:\d\d/.test(l));
      expect(seen, tail(dump.log, 200)).toEqual([]);
      expect(tail(dump.log, 200)).toMatch(/^0 packets captured/m);
    }, 60_000);
  },
);
