// TCP over a real L2TP session (issue 13): iperf3 client behind `l2tp-ts lac --tun`, server
// behind the LNS, l2tp-ts vs l2tpns with the same LAC in the same run; 1 and 4 streams, both
// directions; Mbit/s (iperf3's receiver figure) and the LNS's CPU (utime+stime over the run).
//
//   node --import tsx bench/tcp-lac-tun.ts [--targets ours,offload,l2tpns] [--secs 3]
//
// `offload` is l2tp-ts with `lns --tun-offload` (TUN TSO: super-segments cut in the LNS).
//
// Everything runs under nice -n 10 (a shared machine); the load average is printed with the table.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LabProcess, NetLab, tail, waitFor } from '../test/support/netns.js';
import { startL2tpns } from '../test/support/peers/l2tpns.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/l2tp-ts.js');
const SECS = Number(arg('secs', '3'));
const NICE = ['nice', '-n', '10'];

interface Target {
  readonly name: string;
  readonly lnsNs: string;
  readonly lacNs: string;
  readonly lnsPid: number;
  /** The LNS-side session address (where iperf3 -s listens). */
  readonly server: string;
}

const cpuTicks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};

async function startLac(lab: NetLab, lacNs: string, lnsIp: string, extra: string[], name: string): Promise<string> {
  const lac = lab.spawn(`lac-${name}`, lacNs, NICE[0]!, [
    ...NICE.slice(1),
    process.execPath,
    BIN,
    'lac',
    '--server',
    `${lnsIp}:1701`,
    '--user',
    'alice',
    '--password',
    's3cret',
    '--tun-name',
    `bt${name.slice(0, 4)}0`,
    ...extra,
  ]);
  await waitFor(
    'lac --tun up',
    () => /session \S+ up:/.test(tail(lac.log)) || lac.exitCode !== undefined,
    20_000,
    () => tail(lac.log),
  );
  const m = tail(lac.log).match(/session \S+ up: \S+ peer (\S+)/);
  if (m === null) throw new Error(`lac --tun did not come up:\n${tail(lac.log)}`);
  return m[1]!;
}

async function ours(lab: NetLab, offload = false): Promise<Target> {
  const lnsNs = lab.addNamespace();
  const lacNs = lab.addNamespace();
  const net = offload ? '10.211.2' : '10.211.1';
  lab.addVeth({ ns: lacNs, address: `${net}.2/24` }, { ns: lnsNs, address: `${net}.1/24` });
  const config = join(lab.dir, 'lns.json');
  writeFileSync(config, JSON.stringify({ users: { alice: 's3cret' }, pppDebug: false }));
  const lns: LabProcess = lab.spawn(offload ? 'lns-offload' : 'lns', lnsNs, NICE[0]!, [
    ...NICE.slice(1),
    process.execPath,
    BIN,
    'lns',
    '--tun',
    '--json-config',
    config,
    '--listen',
    `${net}.1`,
    '--port',
    '1701',
    '--no-control',
    ...(offload ? ['--tun-offload'] : []),
  ]);
  await waitFor(
    'lns',
    () => /listening on/.test(tail(lns.log)) || lns.exitCode !== undefined,
    20_000,
    () => tail(lns.log),
  );
  const server = await startLac(lab, lacNs, `${net}.1`, [], offload ? 'offl' : 'ours');
  return { name: offload ? 'l2tp-ts --tun-offload' : 'l2tp-ts', lnsNs, lacNs, lnsPid: lns.pid, server };
}

async function theirs(lab: NetLab): Promise<Target> {
  const lnsNs = lab.addNamespace();
  const lacNs = lab.addNamespace();
  lab.addVeth({ ns: lacNs, address: '10.211.4.2/24' }, { ns: lnsNs, address: '10.211.4.1/24' });
  const l2tpns = await startL2tpns(lab, {
    ns: lnsNs,
    bindAddress: '10.211.4.1',
    secret: 'tcpsecret',
    tunAddress: '10.211.99.1',
    pool: '10.211.100.0/24',
    debug: 0,
  });
  const server = await startLac(lab, lacNs, '10.211.4.1', ['--auth', 'chap', '--secret', 'tcpsecret'], 'l2tpns');
  return { name: 'l2tpns', lnsNs, lacNs, lnsPid: l2tpns.proc.pid, server };
}

function iperf(lab: NetLab, t: Target, streams: number, reverse: boolean): { mbps: number; cpu: number } {
  const srv = lab.spawn(`iperf-${t.name}-${streams}${reverse ? 'R' : ''}`, t.lnsNs, 'iperf3', [
    '-s',
    '-1',
    '-B',
    t.server,
  ]);
  spawnSync('sleep', ['0.5']);
  const before = cpuTicks(t.lnsPid);
  const r = lab.run(
    t.lacNs,
    NICE[0]!,
    [
      ...NICE.slice(1),
      'iperf3',
      '-c',
      t.server,
      '-t',
      String(SECS),
      '-P',
      String(streams),
      '-J',
      ...(reverse ? ['-R'] : []),
    ],
    (SECS + 20) * 1000,
  );
  const cpu = (cpuTicks(t.lnsPid) - before) / 100 / SECS;
  void srv;
  const json = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
  return { mbps: json.end.sum_received.bits_per_second / 1e6, cpu };
}

async function main(): Promise<void> {
  const lab = new NetLab('bt');
  try {
    const wanted = arg('targets', 'ours,l2tpns').split(',');
    const targets: Target[] = [];
    if (wanted.includes('ours')) targets.push(await ours(lab));
    if (wanted.includes('offload')) targets.push(await ours(lab, true));
    if (wanted.includes('l2tpns')) targets.push(await theirs(lab));
    console.log(
      `load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log('| LNS | streams | direction | Mbit/s | LNS CPU (cores) |');
    console.log('|---|---|---|---|---|');
    for (const streams of [1, 4]) {
      for (const reverse of [false, true]) {
        for (const t of targets) {
          const { mbps, cpu } = iperf(lab, t, streams, reverse);
          const dir = reverse ? 'LNS → LAC' : 'LAC → LNS';
          console.log(`| ${t.name} | ${streams} | ${dir} | ${mbps.toFixed(0)} | ${cpu.toFixed(2)} |`);
        }
      }
    }
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await lab.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
