// `lns --tun-offload` (issue 13 item 1; root only): the LNS's TUN device opened with IFF_VNET_HDR
// and TSO4/TSO6/CSUM, `lac --tun` in another namespace. TCP sent from the LNS side reaches the
// TUN device as 64 KiB super-segments, which the LNS cuts to the link MTU: 8 MiB must arrive with
// the same sha256, and `ctl status` must show that super-segments were read and cut (so the test
// fails if the kernel never handed any over). The other direction carries 4 MiB intact too, with
// trains of segments coalesced into GSO writes (counted in `ctl status`). Related: src/core/tcp-segment.ts, src/io/tun-device.ts.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabProcess, labSkipReason, type NetLab, tail, waitFor } from '../support/netns.js';
import { BIN, startTunLab } from './lab-lns.js';

const skip = labSkipReason([]) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
const LNS_IP = '10.203.91.2';
const LAC_IP = '10.203.91.1';
const DEVICE = 'tsolac0';

const SERVER = `
const net = require('node:net'), crypto = require('node:crypto');
const srv = net.createServer((c) => {
  const h = crypto.createHash('sha256'); let n = 0;
  c.on('data', (d) => { h.update(d); n += d.length; });
  c.on('end', () => { console.log('received ' + n + ' ' + h.digest('hex')); c.end(); srv.close(); });
});
srv.listen(Number(process.argv[2]), process.argv[1], () => console.log('tcp listening'));`;
const CLIENT = `
const net = require('node:net'), crypto = require('node:crypto');
const data = crypto.randomBytes(Number(process.argv[3]));
console.log('sent ' + data.length + ' ' + crypto.createHash('sha256').update(data).digest('hex'));
const c = net.connect(Number(process.argv[2]), process.argv[1], () => c.end(data));
c.on('close', () => process.exit(0));`;

interface TunCounters {
  offload: boolean;
  read: number;
  superSegments: number;
  segments: number;
  offloadFaults: number;
  writeDropped: number;
  coalescedWrites: number;
  coalescedPackets: number;
}

describe.skipIf(skip !== undefined)(`lns --tun-offload${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let lnsNs: string;
  let lacNs: string;
  let lns: LabProcess;
  let lac: LabProcess;
  let ctlSocket = '';
  let address = '';
  let peer = '';

  const tunStatus = (): TunCounters => {
    const r = lab.run(lnsNs, process.execPath, [BIN, 'ctl', '--control', ctlSocket, '--json', 'status']);
    return (JSON.parse(r.stdout) as { tun: TunCounters }).tun;
  };

  /** Sends `bytes` from `fromNs` to a server listening on `to` in `toNs`; returns both ends' lines. */
  const transfer = async (fromNs: string, toNs: string, to: string, port: number, bytes: number) => {
    const server = lab.spawn(`tcp-server-${port}`, toNs, process.execPath, ['-e', SERVER, to, String(port)]);
    await waitFor(
      'the TCP server',
      () => tail(server.log).includes('tcp listening'),
      10_000,
      () => tail(server.log),
    );
    const client = lab.run(fromNs, process.execPath, ['-e', CLIENT, to, String(port), String(bytes)], 90_000);
    expect(client.status, client.stderr).toBe(0);
    await waitFor(
      'the server to hash',
      () => /received \d+/.test(tail(server.log)),
      60_000,
      () => `${tail(server.log)}\n${tail(lns.log)}`,
    );
    return {
      sent: client.stdout.match(/sent (\d+) ([0-9a-f]{64})/),
      received: tail(server.log).match(/received (\d+) ([0-9a-f]{64})/),
    };
  };

  beforeAll(async () => {
    let port: number;
    ({ lab, lnsNs, lacNs, lns, port } = await startTunLab({
      prefix: 'ts', // tso: TUN offload
      lnsIp: LNS_IP,
      lacIp: LAC_IP,
      config: { users: { alice: 's3cret' } },
      args: (l) => {
        ctlSocket = `${l.dir}/ctl.sock`;
        return ['--tun-offload', '--control', ctlSocket];
      },
    }));
    lac = lab.spawn('lac', lacNs, process.execPath, [
      BIN,
      'lac',
      '--server',
      `${LNS_IP}:${port}`,
      '--user',
      'alice',
      '--password',
      's3cret',
      '--tun-name',
      DEVICE,
    ]);
    await waitFor(
      'the lac --tun session to come up',
      () => /session \S+ up: (\S+) peer (\S+)/.test(tail(lac.log)) || lac.exitCode !== undefined,
      20_000,
      () => `${tail(lac.log)}\n${tail(lns.log)}`,
    );
    const m = tail(lac.log).match(/session \S+ up: (\S+) peer (\S+)/);
    if (m === null) throw new Error(`lac --tun did not come up:\n${tail(lac.log)}`);
    [, address, peer] = m as unknown as [string, string, string];
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 30_000);

  it('cuts the super-segments it reads: 8 MiB from the LNS side arrive intact', async () => {
    const before = tunStatus();
    expect(before.offload).toBe(true);
    // Logged once at start (the listening line, text or JSON).
    expect(tail(lns.log)).toMatch(/TUN offloads on|"tunOffload":true/);
    const { sent, received } = await transfer(lnsNs, lacNs, address, 5301, 8 << 20);
    expect(sent?.[1]).toBe(String(8 << 20));
    expect(received?.[1]).toBe(sent?.[1]);
    expect(received?.[2]).toBe(sent?.[2]);
    const after = tunStatus();
    expect(after.superSegments - before.superSegments).toBeGreaterThan(0);
    expect(after.segments - before.segments).toBeGreaterThan(after.superSegments - before.superSegments);
    expect(after.offloadFaults).toBe(0);
  }, 120_000);

  it('coalesces what it writes: 4 MiB from the LAC side arrive intact through GSO writes', async () => {
    const before = tunStatus();
    const { sent, received } = await transfer(lacNs, lnsNs, peer, 5302, 4 << 20);
    expect(sent?.[1]).toBe(String(4 << 20));
    expect(received?.[1]).toBe(sent?.[1]);
    expect(received?.[2]).toBe(sent?.[2]);
    const after = tunStatus();
    expect(after.writeDropped).toBe(0);
    // Trains of one flow went to the kernel as super-segments (several packets per write).
    expect(after.coalescedWrites - before.coalescedWrites).toBeGreaterThan(0);
    expect(after.coalescedPackets - before.coalescedPackets).toBeGreaterThan(
      2 * (after.coalescedWrites - before.coalescedWrites) - 1,
    );
  }, 120_000);
});
