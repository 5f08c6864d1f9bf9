// UDP receive/echo throughput of the two transports (node:dgram vs koffi recvmmsg/sendmmsg) on
// loopback, raw and through driveOverUdp. A sendmmsg flood in a second process is the load; the
// receiver is pinned to CPU 1, the sender to CPU 0. Related: io-common.ts, docs/BENCHMARKS.md "I/O".
//
//   node --import tsx bench/io-udp.bench.ts [--secs 3] [--runs 3] [--sizes 64,1400] [--modes raw,driver,echo]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Engine, PeerAddress, Transmit } from '../src/core/engine.js';
import type { Instant } from '../src/core/time.js';
import { driveOverUdp } from '../src/io/udp-driver.js';
import { openUdpTransport } from '../src/io/udp-open.js';
import type { UdpTransportKind } from '../src/io/udp-transport.js';
import { cpuSeconds, floodUdp, machineBusyJiffies, median } from './io-common.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const SELF = fileURLToPath(import.meta.url);

type Mode = 'raw' | 'driver' | 'echo';

/** Counts datagrams; in echo mode answers each one (a Transmit per datagram, like a real engine). */
class CountingEngine implements Engine<never> {
  count = 0;
  private out: Transmit[] = [];
  constructor(private readonly echo: boolean) {}
  handleDatagram(bytes: Uint8Array, from: PeerAddress, _now: Instant): void {
    this.count++;
    if (this.echo) this.out.push({ to: from, bytes });
  }
  handleTimeout(): void {}
  pollTransmit(): Transmit | undefined {
    return this.out.pop();
  }
  pollTimeout(): Instant | undefined {
    return undefined;
  }
  pollEvent(): never | undefined {
    return undefined;
  }
}

async function receiver(kind: UdpTransportKind, mode: Mode, secs: number): Promise<void> {
  let count = 0;
  let close: () => Promise<void>;
  let port: number;
  if (mode === 'raw') {
    const t = await openUdpTransport(kind, { address: '127.0.0.1', port: 0, onDatagram: () => void count++ });
    port = t.port;
    close = () => t.close();
  } else {
    const engine = new CountingEngine(mode === 'echo');
    const d = await driveOverUdp(engine, {
      address: '127.0.0.1',
      port: 0,
      transport: kind,
      onEvent: () => {},
      // The engine keeps nothing: no copy, as an LNS data path would configure it.
      copyDatagrams: mode !== 'echo',
    });
    port = d.port;
    Object.defineProperty(engine, 'count', { get: () => count, set: (v: number) => void (count = v) });
    close = () => d.close();
  }
  process.stdout.write(`port ${port}\n`);
  while (count === 0) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  const per: number[] = [];
  const cpus: number[] = [];
  for (let s = 0; s < secs; s++) {
    const c0 = count;
    const u0 = cpuSeconds();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const el = (performance.now() - t0) / 1000;
    per.push((count - c0) / el);
    cpus.push((100 * (cpuSeconds() - u0)) / el);
  }
  await close();
  process.stdout.write(`${JSON.stringify({ pps: median(per), cpu: median(cpus) })}\n`);
  process.exit(0);
}

interface RunResult {
  kind: UdpTransportKind;
  mode: Mode;
  size: number;
  pps: number;
  cpu: number;
  senderPps: number;
  foreign: number;
}

function runOnce(kind: UdpTransportKind, mode: Mode, size: number, secs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const j0 = machineBusyJiffies();
    const t0 = performance.now();
    const rx = spawn(
      'taskset',
      [
        '-c',
        '1',
        process.execPath,
        '--import',
        'tsx',
        SELF,
        '--role',
        'recv',
        '--kind',
        kind,
        '--mode',
        mode,
        '--secs',
        String(secs),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let tx: ReturnType<typeof spawn> | undefined;
    let txOut = '';
    let rxOut = '';
    rx.stdout.setEncoding('utf8');
    rx.stdout.on('data', (d: string) => {
      rxOut += d;
      const m = /^port (\d+)$/m.exec(rxOut);
      if (m && tx === undefined) {
        tx = spawn(
          'taskset',
          [
            '-c',
            '0',
            process.execPath,
            '--import',
            'tsx',
            SELF,
            '--role',
            'send',
            '--port',
            m[1]!,
            '--size',
            String(size),
            '--secs',
            String(secs + 2.5),
          ],
          {
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        tx.stdout!.setEncoding('utf8');
        tx.stdout!.on('data', (x: string) => void (txOut += x));
      }
    });
    const timer = setTimeout(
      () => {
        rx.kill();
        tx?.kill();
        reject(new Error('run timed out'));
      },
      (secs + 20) * 1000,
    );
    rx.on('exit', () => {
      const finish = (): void => {
        clearTimeout(timer);
        const el = (performance.now() - t0) / 1000;
        const line = rxOut.trim().split('\n').pop() ?? '{}';
        const r = JSON.parse(line) as { pps: number; cpu: number };
        const s = JSON.parse(txOut.trim() || '{"pps":0,"cpu":0}') as { pps: number; cpu: number };
        // Foreign CPU (% of one CPU): machine busy time minus what receiver and sender used
        // (approximated by their measured CPU % over the run).
        const busy = machineBusyJiffies() - j0;
        const foreign = Math.max(0, busy / el - r.cpu - s.cpu);
        resolve({ kind, mode, size, pps: r.pps, cpu: r.cpu, senderPps: s.pps, foreign });
      };
      if (tx === undefined || tx.exitCode !== null) finish();
      else tx.on('exit', finish);
    });
  });
}

async function main(): Promise<void> {
  const role = arg('role', 'main');
  const secs = Number(arg('secs', '3'));
  if (role === 'recv') return receiver(arg('kind', 'mmsg') as UdpTransportKind, arg('mode', 'raw') as Mode, secs);
  if (role === 'send') {
    const r = floodUdp({
      dst: '127.0.0.1',
      port: Number(arg('port', '0')),
      payload: new Uint8Array(Number(arg('size', '64'))).fill(0x78),
      secs,
    });
    process.stdout.write(`${JSON.stringify({ pps: r.pps, cpu: r.cpu })}\n`);
    return;
  }
  const runs = Number(arg('runs', '3'));
  const sizes = arg('sizes', '64,1400').split(',').map(Number);
  const modes = arg('modes', 'raw,driver,echo').split(',') as Mode[];
  console.log(
    `# io-udp: ${runs} runs x ${secs} s, receiver on CPU 1, sendmmsg flood on CPU 0; loadavg ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`,
  );
  console.log(
    '| mode | transport | size | rx pps (median) | rx CPU % | µs CPU / datagram | sender pps | foreign CPU % | runs |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const mode of modes) {
    for (const size of sizes) {
      for (const kind of ['dgram', 'mmsg'] as const) {
        const rs: RunResult[] = [];
        for (let i = 0; i < runs; i++) rs.push(await runOnce(kind, mode, size, secs));
        const f = (x: number) => `${Math.round(x / 1000)}k`;
        console.log(
          `| ${mode} | ${kind} | ${size} | ${f(median(rs.map((r) => r.pps)))} (${rs.map((r) => f(r.pps)).join(' ')}) | ${Math.round(median(rs.map((r) => r.cpu)))} | ${median(rs.map((r) => (r.cpu * 1e4) / Math.max(1, r.pps))).toFixed(2)} | ${f(median(rs.map((r) => r.senderPps)))} | ${Math.round(median(rs.map((r) => r.foreign)))} | ${runs} |`,
        );
      }
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
