// `l2tp-ts lac --tun` (issue 13 item 5; root only): `l2tp-ts lns --tun` in one namespace, the
// `lac --tun` process in another. The session's IPCP address lands on the LAC's TUN device with
// a /32 route to the LNS-side address; ping works both ways, a TCP transfer of 4 MiB arrives with
// the same sha256, and after SIGTERM neither address nor route is left behind.
// Related: src/io/lac-tun.ts, src/cli/lac.ts, test/e2e/lab-lns.ts.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabProcess, labSkipReason, type NetLab, tail, waitFor } from '../support/netns.js';
import { BIN, startTunLab } from './lab-lns.js';

const skip = labSkipReason(['ping']) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
const LNS_IP = '10.203.79.2';
const LAC_IP = '10.203.79.1';
const DEVICE = 'l2tplt0';

const SERVER = `
const net = require('node:net'), crypto = require('node:crypto');
const srv = net.createServer((c) => {
  const h = crypto.createHash('sha256'); let n = 0;
  c.on('data', (d) => { h.update(d); n += d.length; });
  c.on('end', () => { console.log('received ' + n + ' ' + h.digest('hex')); c.end(); srv.close(); });
});
srv.listen(5201, process.argv[1], () => console.log('tcp listening'));`;
const CLIENT = `
const net = require('node:net'), crypto = require('node:crypto');
const data = crypto.randomBytes(4 << 20);
console.log('sent ' + data.length + ' ' + crypto.createHash('sha256').update(data).digest('hex'));
const c = net.connect(5201, process.argv[1], () => c.end(data));
c.on('close', () => process.exit(0));`;

describe.skipIf(skip !== undefined)(`l2tp-ts lac --tun${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let lnsNs: string;
  let lacNs: string;
  let lns: LabProcess;
  let port: number;
  let lac: LabProcess;
  let address = '';
  let peer = '';

  beforeAll(async () => {
    ({ lab, lnsNs, lacNs, lns, port } = await startTunLab({
      prefix: 'lt',
      lnsIp: LNS_IP,
      lacIp: LAC_IP,
      config: { users: { alice: 's3cret' } },
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

  it('puts the IPCP address on the device with a /32 route to the LNS-side address', () => {
    const addr = lab.run(lacNs, 'ip', ['-4', '-o', 'addr', 'show', 'dev', DEVICE]).stdout;
    expect(addr).toContain(`inet ${address} peer ${peer}/32`);
    const routes = lab.run(lacNs, 'ip', ['-4', '-o', 'route', 'show', 'dev', DEVICE]).stdout;
    expect(routes).toMatch(new RegExp(`^${peer.replaceAll('.', '\\.')} `, 'm'));
  });

  it('pings across in both directions', () => {
    const there = lab.run(lacNs, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', peer]);
    expect(there.status, there.stdout + there.stderr).toBe(0);
    const back = lab.run(lnsNs, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', address]);
    expect(back.status, back.stdout + back.stderr).toBe(0);
  });

  it('carries a 4 MiB TCP transfer intact (sha256 equal at both ends)', async () => {
    const server = lab.spawn('tcp-server', lnsNs, process.execPath, ['-e', SERVER, peer]);
    await waitFor(
      'the TCP server',
      () => tail(server.log).includes('tcp listening'),
      10_000,
      () => tail(server.log),
    );
    const client = lab.run(lacNs, process.execPath, ['-e', CLIENT, peer], 60_000);
    expect(client.status, client.stderr).toBe(0);
    const sent = client.stdout.match(/sent (\d+) ([0-9a-f]{64})/);
    await waitFor(
      'the server to hash',
      () => /received \d+/.test(tail(server.log)),
      30_000,
      () => tail(server.log),
    );
    const received = tail(server.log).match(/received (\d+) ([0-9a-f]{64})/);
    expect(sent?.[1]).toBe(String(4 << 20));
    expect(received?.[1]).toBe(sent?.[1]);
    expect(received?.[2]).toBe(sent?.[2]);
  }, 90_000);

  it('removes the address and the route when the session goes down', async () => {
    await lab.stop(lac, 'SIGTERM', 5000);
    expect(lac.exitCode).toBe(0);
    // The device goes with the process; its route and address must be gone from the namespace.
    expect(lab.run(lacNs, 'ip', ['-4', '-o', 'addr']).stdout).not.toContain(address);
    expect(lab.run(lacNs, 'ip', ['-4', 'route']).stdout).not.toContain(peer);
  }, 20_000);
});

describe.skipIf(skip !== undefined)(
  `lac --tun, two sessions sharing a route${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetLab;
    let lacNs: string;
    let lnsNs: string;
    let lac: LabProcess;
    let ctlSocket = '';
    const device = 'l2tplt1';
    const ROUTE = '10.77.0.0/16';

    const routeShown = (): boolean =>
      lab.run(lacNs, 'ip', ['-4', '-o', 'route', 'show', 'dev', device]).stdout.includes(ROUTE);
    const addressCount = (): number =>
      [...lab.run(lacNs, 'ip', ['-4', '-o', 'addr', 'show', 'dev', device]).stdout.matchAll(/inet /g)].length;
    const lnsSessions = (): { tunnelId: number; sessionId: number }[] => {
      const r = lab.run(lnsNs, process.execPath, [BIN, 'ctl', '--control', ctlSocket, '--json', 'sessions']);
      const parsed = JSON.parse(r.stdout) as unknown;
      return (Array.isArray(parsed) ? parsed : (parsed as { sessions: [] }).sessions) as {
        tunnelId: number;
        sessionId: number;
      }[];
    };

    beforeAll(async () => {
      let lns: LabProcess;
      let port: number;
      ({ lab, lnsNs, lacNs, lns, port } = await startTunLab({
        prefix: 'lr',
        lnsIp: '10.203.80.2',
        lacIp: '10.203.80.1',
        config: { users: { alice: 's3cret' } },
        args: (l) => {
          ctlSocket = `${l.dir}/ctl.sock`;
          return ['--control', ctlSocket];
        },
      }));
      lac = lab.spawn('lac', lacNs, process.execPath, [
        BIN,
        'lac',
        '--server',
        `10.203.80.2:${port}`,
        '--user',
        'alice',
        '--password',
        's3cret',
        '--sessions',
        '2',
        '--tun-name',
        device,
        '--route',
        ROUTE,
      ]);
      await waitFor(
        'two lac --tun sessions up',
        () => (tail(lac.log).match(/session \S+ up:/g) ?? []).length === 2 || lac.exitCode !== undefined,
        20_000,
        () => `${tail(lac.log)}\n${tail(lns.log)}`,
      );
      await waitFor(
        'both addresses on the device',
        () => addressCount() === 2,
        5000,
        () => tail(lac.log),
      );
    }, 60_000);

    afterAll(async () => {
      await lab?.destroy();
    }, 30_000);

    it('keeps the shared route until the last session using it goes down', async () => {
      expect(routeShown()).toBe(true);
      const [first, second] = lnsSessions();
      expect(second).toBeDefined();
      lab.run(lnsNs, process.execPath, [
        BIN,
        'ctl',
        '--control',
        ctlSocket,
        'disconnect',
        String(first!.tunnelId),
        String(first!.sessionId),
      ]);
      await waitFor(
        'one address left',
        () => addressCount() === 1,
        10_000,
        () => tail(lac.log),
      );
      expect(routeShown()).toBe(true);
      lab.run(lnsNs, process.execPath, [
        BIN,
        'ctl',
        '--control',
        ctlSocket,
        'disconnect',
        String(second!.tunnelId),
        String(second!.sessionId),
      ]);
      await waitFor(
        'no address left',
        () => addressCount() === 0,
        10_000,
        () => tail(lac.log),
      );
      expect(routeShown()).toBe(false);
      expect(lac.exitCode).toBeUndefined(); // still running: the removal came from the session, not the exit
    }, 40_000);
  },
);
