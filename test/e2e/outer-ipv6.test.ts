// L2TP over IPv6 (issue 12 item 5, the outer transport): `l2tp-ts lns --listen ::1` serves
// `l2tp-ts lac --server [::1]:PORT` end to end (tunnel, LCP, MS-CHAPv2, IPCP, a ping through the
// session), `--listen ::` is dual-stack and serves an IPv4 LAC beside an IPv6 one, peers are
// logged as [v6]:port, and --pcap writes IPv6 records tshark decodes as L2TP. As root, the same
// across a veth between two namespaces with only IPv6 on the outside: the LNS in TUN mode, the
// LAC's ping answered by the LNS namespace's kernel through the TUN device.
// Related: src/io/udp-batch.ts, src/io/udp-dgram.ts (AF_INET6 sockets), src/core/peer-address.ts,
// src/io/pcap-writer.ts (IPv6 records), test/io/udp-batch.test.ts (the sockets alone).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labSkipReason, NetLab, tail, waitFor } from '../support/netns.js';
import { readPackets } from '../support/pcap.js';
import { dissect, formatFlags, tsharkAvailable } from '../support/tshark.js';
import { cleanupProcesses, type LacSummary, runLac, startLns, tempDir } from './cli-process.js';
import { BIN, startLabLns } from './lab-lns.js';

/** True when the loopback has ::1 (an `ipv6.disable=1` kernel or a namespace without it has none). */
const v6Loopback = (): boolean => {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8')
      .split('\n')
      .some((l) => l.startsWith('00000000000000000000000000000001'));
  } catch {
    return false;
  }
};
const noV6 = v6Loopback() ? undefined : 'no IPv6 loopback';

describe.skipIf(noV6 !== undefined)(`L2TP over IPv6 on loopback${noV6 ? ` (skipped: ${noV6})` : ''}`, () => {
  afterEach(cleanupProcesses);

  it('lns --listen ::1 serves lac --server [::1]:PORT: session up, ping through it, peer logged as [::1]:port, an IPv6 capture', async () => {
    const dir = tempDir();
    const pcap = join(dir, 'lns.pcap');
    const lns = await startLns(['--listen', '::1', '--userspace', '--user', 'alice:s3cret', '--pcap', pcap], dir);
    expect(lns.proc.stdout() + lns.proc.stderr()).toContain(`listening on [::1]:${lns.port} (userspace mode)`);
    const r = await runLac(`[::1]:${lns.port}`, ['--user', 'alice', '--password', 's3cret', '--ping']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary?.sessions).toHaveLength(1);
    expect(r.summary?.sessions[0]).toMatchObject({ auth: 'mschapv2', pingOk: true });
    await lns.proc.waitFor(/tunnel \d+ up from \[::1\]:\d+/);
    const listed = (await lns.ctl('tunnels')) as { peer: string }[] | { tunnels: { peer: string }[] };
    expect(JSON.stringify(listed)).toMatch(/\[::1\]:\d+|"::1"/);
    process.kill(lns.proc.pid, 'SIGTERM');
    expect(await lns.proc.exited).toBe(0);

    // Every record is raw IPv6 (version 6, next header UDP, ::1 both ways) with the LNS's port on one side.
    const packets = readPackets(readFileSync(pcap));
    expect(packets.length).toBeGreaterThan(10);
    for (const { linkType, data } of packets) {
      expect(linkType).toBe(101);
      expect(data[0]! >> 4).toBe(6);
      expect(data[6]).toBe(17);
      const ports = [(data[40]! << 8) | data[41]!, (data[42]! << 8) | data[43]!];
      expect(ports).toContain(lns.port);
    }
    if (tsharkAvailable()) {
      const d = await dissect(pcap, { ports: [lns.port] });
      expect(formatFlags(d)).toBe('');
      const info = d.packets.map((p) => p.info).join('\n');
      for (const proto of [/SCCRQ|Start_Control_Request/i, /LCP/, /CHAP/, /IPCP/, /ICMP|Echo \(ping\)/])
        expect(info).toMatch(proto);
    }
  }, 40_000);

  it('lns --listen :: is dual-stack: an IPv4 LAC (peer logged as a dotted quad) and an IPv6 LAC at once', async () => {
    const lns = await startLns(['--listen', '::', '--userspace', '--user', 'alice:s3cret']);
    expect(lns.proc.stdout() + lns.proc.stderr()).toContain(`listening on [::]:${lns.port}`);
    const [v4, v6] = await Promise.all([
      // --hold: both sessions up at once (each holds a pool address while the other comes up).
      runLac(`127.0.0.1:${lns.port}`, ['--user', 'alice', '--password', 's3cret', '--ping', '--hold', '3']),
      runLac(`[::1]:${lns.port}`, ['--user', 'alice', '--password', 's3cret', '--ping', '--hold', '3']),
    ]);
    expect(v4.code, v4.stderr).toBe(0);
    expect(v6.code, v6.stderr).toBe(0);
    expect(v4.summary?.sessions[0]?.pingOk).toBe(true);
    expect(v6.summary?.sessions[0]?.pingOk).toBe(true);
    // Two distinct pool addresses: two sessions side by side, one per address family.
    expect(v4.summary?.sessions[0]?.address).not.toBe(v6.summary?.sessions[0]?.address);
    const log = lns.proc.stdout() + lns.proc.stderr();
    expect(log).toMatch(/tunnel \d+ up from 127\.0\.0\.1:\d+/); // not ::ffff:127.0.0.1
    expect(log).toMatch(/tunnel \d+ up from \[::1\]:\d+/);
    expect(log).not.toContain('::ffff:');
  }, 40_000);

  it('bad addresses are usage errors, not crashes', async () => {
    const dir = tempDir();
    const { runCli } = await import('./cli-process.js');
    const lns = await runCli(['lns', '--listen', 'fe80::zz', '--port', '0', '--control', join(dir, 'c.sock')], 10_000);
    expect(lns.code).toBe(2);
    expect(lns.stderr).toMatch(/--listen.*fe80::zz/);
    const lac = await runCli(['lac', '--server', '[::1', '--user', 'a', '--password', 'b', '--timeout', '2'], 10_000);
    expect(lac.code).toBe(2);
    expect(lac.stderr).toMatch(/\[::1/);
  }, 30_000);
});

const LNS6 = 'fd00:203:84::2';
const LAC6 = 'fd00:203:84::1';
const labSkip = labSkipReason(['ping']) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun') ?? noV6;

describe.skipIf(labSkip !== undefined)(
  `L2TP over IPv6 between namespaces, LNS in TUN mode${labSkip ? ` (skipped: ${labSkip})` : ''}`,
  () => {
    let lab: NetLab;
    let lnsNs: string;
    let lacNs: string;

    beforeAll(() => {
      lab = new NetLab('oi');
      lnsNs = lab.addNamespace();
      lacNs = lab.addNamespace();
      // IPv4 on the veth only because addVeth wants one; the LNS listens on IPv6 alone.
      const { ifA, ifB } = lab.addVeth(
        { ns: lacNs, address: '10.203.84.1/24' },
        { ns: lnsNs, address: '10.203.84.2/24' },
      );
      // nodad: usable at once (duplicate address detection would keep it tentative, unbindable, ~1 s).
      for (const [ns, ifc, addr] of [
        [lacNs, ifA, LAC6],
        [lnsNs, ifB, LNS6],
      ] as const) {
        const r = lab.run(ns, 'ip', ['-6', 'addr', 'add', `${addr}/64`, 'dev', ifc, 'nodad']);
        if (r.status !== 0) throw new Error(`ip -6 addr add ${addr}: ${r.stderr}`);
      }
    });

    afterAll(async () => {
      await lab?.destroy();
    }, 30_000);

    it('lac --server [fd00:…]:PORT from the other namespace: session up over IPv6, ping answered through the TUN device', async () => {
      const { proc: lns, port } = await startLabLns(lab, lnsNs, [
        '--tun',
        '--listen',
        '::',
        '--port',
        '0',
        '--no-control',
        '--user',
        'alice:s3cret',
      ]);
      const lac = lab.spawn('lac', lacNs, process.execPath, [
        BIN,
        'lac',
        '--server',
        `[${LNS6}]:${port}`,
        '--user',
        'alice',
        '--password',
        's3cret',
        '--ping',
        '--json',
        '--timeout',
        '10',
      ]);
      const code = await Promise.race([
        lac.exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 25_000)),
      ]);
      if (code === 'timeout') await lab.stop(lac, 'SIGKILL', 1000);
      expect(code, tail(lac.log) + tail(lns.log)).toBe(0);
      const json = tail(lac.log, 200)
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      const summary = JSON.parse(json ?? '{}') as LacSummary;
      expect(summary.sessions[0]).toMatchObject({ pingOk: true });
      await waitFor(
        'the LNS to log the IPv6 peer',
        () => /tunnel \d+ up from \[fd00:203:84::1\]:\d+/.test(tail(lns.log, 200)),
        5000,
        () => tail(lns.log),
      );
      // Nothing of it went over IPv4 on the veth: the LNS socket's only peer was the IPv6 one.
      expect(tail(lns.log, 500)).not.toMatch(/from 10\.203\.84\./);
      await lab.stop(lns);
    }, 60_000);
  },
);
