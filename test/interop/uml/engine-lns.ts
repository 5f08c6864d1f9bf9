// Stand-in for `l2tp-ts lns` until the CLI exists: createLns() (src/io) in userspace mode with the
// seed's settings passed as JSON (argv[2]); one JSON line per LnsEvent on stdout; SIGTERM closes
// every tunnel (StopCCN, RFC 2661 §5.7) and exits 0. Related: lns.test.ts, src/io/create-lns.ts.
import { createLns } from '../../../src/io/create-lns.js';
import type { AuthMethod } from '../../../src/lns/lns.js';

/** What lns.test.ts passes (the seed's values, adapted per scenario). */
export interface EngineLnsConfig {
  readonly address: string;
  readonly pool: readonly string[];
  readonly localAddress: string;
  readonly dns: readonly string[];
  readonly auth: readonly AuthMethod[];
  readonly users: Readonly<Record<string, string>>;
  readonly mtu: number;
  readonly echoIntervalMs: number;
  readonly echoFailure: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as EngineLnsConfig;
const server = await createLns({
  address: cfg.address,
  port: 1701,
  pool: cfg.pool,
  localAddress: cfg.localAddress,
  dns: cfg.dns,
  auth: cfg.auth,
  users: cfg.users,
  mtu: cfg.mtu,
  mru: cfg.mtu,
  echoIntervalMs: cfg.echoIntervalMs,
  echoFailure: cfg.echoFailure,
  rejectCcp: true,
  pppDebug: true,
});
server.on('*', (e) => {
  process.stdout.write(`${JSON.stringify({ t: Date.now(), ...e })}\n`);
});
process.stdout.write(`engine-lns listening on ${server.address}:${server.port}\n`);
let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  void server.close(3000).then(() => process.exit(0));
});
