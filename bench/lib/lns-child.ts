// Our LNS (createLns, userspace responder or, with L2TP_BENCH_TUN=1, a shared TUN device) as a separate process for the setup-rate and memory
// benchmarks: started pinned to one core (taskset) and driven over stdin with one-word commands.
// Related: bench/lib/procs.ts (starts it), src/io/create-lns.ts.
//
//   node --expose-gc --import tsx bench/lib/lns-child.ts ADDRESS PORT AUTH(mschapv2|chap) USER PASSWORD [RWS]
// stdin: "mem" → one JSON line {rss, heapUsed, external, arrayBuffers, sessions, cpuMs}; "heap FILE" →
// a heap snapshot; "prof-start" / "prof-stop FILE" → a CPU profile; "quit" → exit 0.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createInterface } from 'node:readline';
import { writeHeapSnapshot } from 'node:v8';
import { createLns } from '../../src/io/create-lns.js';

const [address = '127.0.0.1', port = '1701', auth = 'chap', user = 'alice', password = 's3cret', window = '4'] =
  process.argv.slice(2);
if (auth !== 'mschapv2' && auth !== 'chap') throw new Error(`auth: mschapv2 or chap, not ${auth}`);

const lns = await createLns({
  address,
  port: Number(port),
  users: { [user]: password },
  auth: [auth],
  // A /15 so 100,000+ sessions fit (issue 10: the pool hands out addresses without a table per
  // address); the local address sits outside it.
  pool: ['10.240.0.1-10.241.255.254'],
  localAddress: '10.242.0.1',
  dns: ['10.242.0.53'],
  // L2TP_BENCH_ECHO_S (bench/memory.ts --echo): pppd lcp-echo-interval, so idle sessions ping.
  ...(process.env.L2TP_BENCH_ECHO_S !== undefined && {
    echoIntervalMs: Number(process.env.L2TP_BENCH_ECHO_S) * 1000,
    echoFailure: 12,
  }),
  // One load generator address opens all the tunnels: lift the per-peer SCCRQ rate limit (50/s).
  // RWS: the Receive Window Size we advertise (default 4, as xl2tpd and l2tpns).
  // One load-generator address stands for many LACs: no per-peer tunnel rate or count bound (the
  // default 256 tunnels per peer counts the 31 s linger, which back-to-back 100-tunnel runs exceed).
  endpoint: {
    limits: { newTunnelsPerSecondPerPeer: 1_000_000, maxTunnelsPerPeer: 65_535 },
    receiveWindow: Number(window),
  },
  // L2TP_BENCH_TUN=1 (setup-rate --tun): one shared TUN device, a /32 route per session, instead
  // of the userspace responder (needs root; the child runs in the bench's namespace).
  ...(process.env.L2TP_BENCH_TUN === '1' && { tun: { name: 'l2tpbench%d' } }),
});

// Experiment only (BENCHMARKS.md, "what limits the rate"): L2TP_BENCH_ACK_DELAY_MS overrides the
// control channel's private ack delay (100 ms) of every new tunnel; not an engine option.
const ackDelay = process.env.L2TP_BENCH_ACK_DELAY_MS;
if (ackDelay !== undefined) {
  lns.on('tunnel-up', (e) => {
    const t = (lns.engine.endpoint as unknown as { byId: Map<number, { channel: { ackDelayMs: number } }> }).byId.get(
      e.tunnelId,
    );
    if (t) t.channel.ackDelayMs = Number(ackDelay);
  });
}

let sessions = 0;
lns.on('session-up', () => {
  sessions++;
});
lns.on('session-down', () => {
  sessions--;
});

const gc = (globalThis as { gc?: () => void }).gc;
const memory = (): string => {
  // CPU first, so the forced collections below are not charged to the load.
  const cpu = process.cpuUsage();
  if (gc) for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return JSON.stringify({
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    sessions,
    cpuMs: (cpu.user + cpu.system) / 1000,
    gc: gc !== undefined,
  });
};

// "prof-start" / "prof-stop FILE": a V8 CPU profile of the load phase only (not of the start-up).
const profile = {
  session: undefined as Session | undefined,
  start(): void {
    const s = new Session();
    s.connect();
    s.post('Profiler.enable', () => s.post('Profiler.start', () => process.stdout.write('{"profiling":true}\n')));
    this.session = s;
  },
  stop(file: string): void {
    const s = this.session;
    if (s === undefined) return;
    s.post('Profiler.stop', (err, r) => {
      if (!err) writeFileSync(file, JSON.stringify(r.profile));
      s.disconnect();
      process.stdout.write(`${JSON.stringify({ profile: err ? String(err) : file })}\n`);
    });
  },
};

process.stdout.write(`${JSON.stringify({ ready: true, port: lns.port, pid: process.pid })}\n`);
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'mem') process.stdout.write(`${memory()}\n`);
  else if (cmd === 'prof-start') profile.start();
  else if (cmd.startsWith('heap ')) {
    gc?.();
    process.stdout.write(`${JSON.stringify({ heap: writeHeapSnapshot(cmd.slice('heap '.length)) })}\n`);
  } else if (cmd.startsWith('prof-stop ')) profile.stop(cmd.slice('prof-stop '.length));
  else if (cmd === 'quit') {
    void lns.close(500).then(() => process.exit(0));
  }
});
// The parent went away (stdin closed): do not linger.
rl.on('close', () => {
  void lns.close(200).then(() => process.exit(0));
});
