// Prometheus metrics of a running LNS (`l2tp-ts lns --metrics HOST:PORT`), through prom-client:
// the ecosystem's maintained client, which also brings the process metrics. A scrape costs O(1)
// in the number of sessions: gauges read counts the engine keeps (status()) or that the event
// stream below maintains; there are no per-session labels (a label per session makes every
// scrape as large as the session table, which accel-ppp's SNMP/Prometheus users learned the hard
// way). Every label value a peer could influence is bounded: at most MAX_LABEL_VALUES distinct
// values per label, the rest counted as 'other'.
// Related: create-lns.ts (the server and its events), ../cli/lns.ts (the flag), docs/METRICS.md.
import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { LnsEvent } from '../lns/lns.js';
import { monotonicNow } from './clock.js';
import type { LnsServer } from './create-lns.js';

/** Distinct values one label may take before new ones count as 'other' (bounds the scrape size). */
export const MAX_LABEL_VALUES = 32;

/** Setup latency buckets, seconds: LCP + authentication + IPCP over a LAN to a slow RADIUS path. */
const SETUP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A label-value guard: known values pass, a bounded number of new ones are admitted, then 'other'. */
class LabelSet {
  private readonly seen = new Set<string>();
  value(raw: string): string {
    const v = raw.replace(/[^A-Za-z0-9_.:-]+/g, '-').slice(0, 48) || 'none';
    if (this.seen.has(v)) return v;
    if (this.seen.size >= MAX_LABEL_VALUES) return 'other';
    this.seen.add(v);
    return v;
  }
}

/** An authentication failure's cause, without the user name a reason may carry. */
export function authFailureCause(reason: string): string {
  const r = reason.toLowerCase();
  if (r.includes('unknown user') || r.includes('no secret') || r.includes('not found')) return 'unknown-user';
  if (r.includes('timeout') || r.includes('timed out')) return 'timeout';
  if (r.includes('refused') || r.includes('reject')) return 'refused';
  if (r.includes('password') || r.includes('response') || r.includes('mismatch') || r.includes('wrong'))
    return 'bad-credentials';
  return 'other';
}

/** The registry of one LNS; `attach` feeds it from the server's events. */
export class LnsMetrics {
  readonly registry = new Registry();
  private readonly upSessions = new Set<string>();
  private readonly upTunnels = new Set<number>();
  private readonly started = new Map<string, number>();
  private readonly dropReasons = new LabelSet();
  private readonly downReasons = new LabelSet();
  private readonly dataDropsSeen = new Map<string, number>();
  private readonly now: () => number;

  private readonly setups: Counter<'result'>;
  private readonly authFailures: Counter<'cause'>;
  private readonly setupSeconds: Histogram;
  private readonly dropped: Counter<'reason'>;
  private readonly sessionsDown: Counter<'reason'>;

  constructor(
    private readonly server: LnsServer,
    opts: { processMetrics?: boolean; now?: () => number } = {},
  ) {
    const registers = [this.registry];
    const self = this;
    const now = opts.now ?? monotonicNow;
    this.now = now;
    new Gauge({
      name: 'l2tp_ts_tunnels',
      help: 'L2TP tunnels, by state (setup: SCCRQ seen, not yet established)',
      labelNames: ['state'],
      registers,
      collect() {
        const total = server.engine.status().tunnels;
        this.set({ state: 'established' }, self.upTunnels.size);
        this.set({ state: 'setup' }, Math.max(0, total - self.upTunnels.size));
      },
    });
    new Gauge({
      name: 'l2tp_ts_sessions',
      help: 'Sessions, by state (setup: call or PPP negotiation in progress; up: IPCP opened)',
      labelNames: ['state'],
      registers,
      collect() {
        const total = server.engine.status().sessions;
        this.set({ state: 'up' }, self.upSessions.size);
        this.set({ state: 'setup' }, Math.max(0, total - self.upSessions.size));
      },
    });
    new Gauge({
      name: 'l2tp_ts_pool_addresses',
      help: 'Addresses of the pool, by use',
      labelNames: ['use'],
      registers,
      collect() {
        const s = server.engine.status();
        this.set({ use: 'in-use' }, s.addressesInUse);
        this.set({ use: 'size' }, s.poolSize);
      },
    });
    this.setups = new Counter({
      name: 'l2tp_ts_session_setups_total',
      help: 'Session setups by result (up, auth-failed, pool-exhausted, cleared: ended before IPCP)',
      labelNames: ['result'],
      registers,
    });
    this.authFailures = new Counter({
      name: 'l2tp_ts_auth_failures_total',
      help: 'Authentication failures by cause',
      labelNames: ['cause'],
      registers,
    });
    this.setupSeconds = new Histogram({
      name: 'l2tp_ts_session_setup_seconds',
      help: 'From the call (ICRQ/ICCN) to IPCP up',
      buckets: SETUP_BUCKETS,
      registers,
    });
    this.dropped = new Counter({
      name: 'l2tp_ts_datagrams_dropped_total',
      help: 'Datagrams dropped, by reason (control path events and the data path counters of ctl status)',
      labelNames: ['reason'],
      registers,
      collect() {
        self.collectDataDrops();
      },
    });
    this.sessionsDown = new Counter({
      name: 'l2tp_ts_sessions_down_total',
      help: 'Sessions ended, by reason',
      labelNames: ['reason'],
      registers,
    });
    if (opts.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'l2tp_ts_' });
      // prom-client's three "_total" gauges fail `promtool check metrics` (a _total suffix is for
      // counters); the same numbers remain, by type, in nodejs_active_{handles,requests,resources}.
      for (const kind of ['handles', 'requests', 'resources']) {
        this.registry.removeSingleMetric(`l2tp_ts_nodejs_active_${kind}_total`);
      }
    }
  }

  /** Subscribes to the server's events; returns the unsubscribe function. */
  attach(): () => void {
    const listener = (e: LnsEvent) => this.observe(e);
    this.server.on('*', listener);
    return () => this.server.off('*', listener as never);
  }

  /** One engine event. */
  observe(e: LnsEvent): void {
    switch (e.type) {
      case 'tunnel-up':
        this.upTunnels.add(e.tunnelId);
        return;
      case 'tunnel-down':
        this.upTunnels.delete(e.tunnelId);
        return;
      case 'session-started':
        this.started.set(`${e.tunnelId}/${e.sessionId}`, this.now());
        return;
      case 'session-up': {
        const key = `${e.tunnelId}/${e.sessionId}`;
        this.upSessions.add(key);
        const t0 = this.started.get(key);
        this.started.delete(key);
        if (t0 !== undefined) this.setupSeconds.observe((this.now() - t0) / 1000);
        this.setups.inc({ result: 'up' });
        return;
      }
      case 'session-down': {
        const key = `${e.tunnelId}/${e.sessionId}`;
        if (!this.upSessions.delete(key)) this.setups.inc({ result: 'cleared' });
        this.started.delete(key);
        // "authentication failed: MS-CHAPv2: wrong response" → its category, before the first ':'.
        this.sessionsDown.inc({ reason: this.downReasons.value(e.reason.split(':')[0]!.trim()) });
        return;
      }
      case 'auth-failed':
        this.setups.inc({ result: 'auth-failed' });
        this.authFailures.inc({ cause: authFailureCause(e.reason) });
        return;
      case 'pool-exhausted':
        this.setups.inc({ result: 'pool-exhausted' });
        return;
      case 'datagram-dropped':
        this.dropped.inc({ reason: this.dropReasons.value(e.reason) });
        return;
      case 'log':
        return;
    }
  }

  /** The data path counts its drops itself (ctl status `dropped`): add what grew since the last scrape. */
  private collectDataDrops(): void {
    const counts = this.server.engine.status().dropped as Record<string, number>;
    for (const [reason, n] of Object.entries(counts)) {
      const seen = this.dataDropsSeen.get(reason) ?? 0;
      // These reasons are the data path's own fixed keys: always their own series.
      if (n > seen) this.dropped.inc({ reason }, n - seen);
      this.dataDropsSeen.set(reason, n);
    }
  }
}

/** A listening /metrics endpoint. */
export interface MetricsServer {
  readonly address: string;
  readonly port: number;
  readonly metrics: LnsMetrics;
  close(): Promise<void>;
}

/** Serves `GET /metrics` (Prometheus text format) on host:port; everything else is 404. */
export async function serveMetrics(server: LnsServer, host: string, port: number): Promise<MetricsServer> {
  const metrics = new LnsMetrics(server);
  const detach = metrics.attach();
  const http: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(e)}\n`),
    );
  });
  // A scraper that holds connections open must not pin memory: short timeouts, few connections.
  http.headersTimeout = 5000;
  http.requestTimeout = 10_000;
  http.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const bound = http.address();
  const actual = typeof bound === 'object' && bound !== null ? bound.port : port;
  return {
    address: host,
    port: actual,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        detach();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
