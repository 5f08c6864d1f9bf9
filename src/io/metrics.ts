// Prometheus metrics of a running LNS (`l2tp-ts lns --metrics HOST:PORT`), through prom-client:
// the ecosystem's maintained client, which also brings the process metrics. A scrape costs O(1)
// in the number of sessions: gauges read counts the engine keeps (status()) or that the event
// stream below maintains, all O(1) (LnsEngine.counters(), never sessions() or status(), which walk
// tables); there are no per-session labels (a label per session makes every
// scrape as large as the session table, which accel-ppp's SNMP/Prometheus users learned the hard
// way). Every label value a peer could influence is bounded: at most MAX_LABEL_VALUES distinct
// values per label, the rest counted as 'other'.
// Related: create-lns.ts (the server and its events), ../cli/lns.ts (the flag), docs/METRICS.md.
import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { LnsEvent } from '../lns/lns.js';
import type { RadiusClientEvent } from '../radius/index.js';
import { monotonicNow } from './clock.js';
import type { LnsServer } from './create-lns.js';

/** Distinct values one label may take before new ones count as 'other' (bounds the scrape size). */
export const MAX_LABEL_VALUES = 32;

/** Setup latency buckets, seconds: LCP + authentication + IPCP over a LAN to a slow RADIUS path. */
const SETUP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * RADIUS request latency buckets, seconds: a LAN server answers in milliseconds; radcli's default
 * timeout is 3-10 s per try, so a request that needed a retransmission or a failover lands high.
 */
const RADIUS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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
  private readonly radiusDropReasons = new LabelSet();
  /** The last value of each engine total a counter follows (see follow()). */
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;

  private readonly setups: Counter<'result'>;
  private readonly authFailures: Counter<'cause'>;
  private readonly setupSeconds: Histogram;
  private readonly dropped: Counter<'reason'>;
  private readonly sessionsDown: Counter<'reason'>;
  private readonly radiusSeconds: Histogram<'kind'>;
  private readonly radiusTimeouts: Counter;
  private readonly radiusServerDown: Counter;
  private readonly radiusDropped: Counter<'reason'>;

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
      help: 'L2TP tunnels, by state (setup: SCCRQ answered, no SCCCN yet)',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'established' }, self.upTunnels.size);
        this.set({ state: 'setup' }, server.engine.counters().halfOpenTunnels);
      },
    });
    new Gauge({
      name: 'l2tp_ts_sessions',
      help: 'Sessions, by state (setup: call or PPP negotiation in progress; up: IPCP opened)',
      labelNames: ['state'],
      registers,
      collect() {
        const total = server.engine.counters().sessions;
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
        const c = server.engine.counters();
        this.set({ use: 'in-use' }, c.addressesInUse);
        this.set({ use: 'size' }, c.poolSize);
      },
    });
    new Counter({
      name: 'l2tp_ts_control_retransmissions_total',
      help: 'L2TP control messages sent again after a retransmission timeout (RFC 2661 5.8), all tunnels',
      registers,
      collect() {
        self.follow(this, 'retransmissions', {}, server.engine.counters().controlRetransmissions);
      },
    });
    new Counter({
      name: 'l2tp_ts_session_packets_total',
      help: 'PPP frames in L2TP data messages of all sessions, by direction (in: from peers)',
      labelNames: ['direction'],
      registers,
      collect() {
        const t = server.engine.counters().traffic;
        self.follow(this, 'rx-packets', { direction: 'in' }, t.rxPackets);
        self.follow(this, 'tx-packets', { direction: 'out' }, t.txPackets);
      },
    });
    new Counter({
      name: 'l2tp_ts_session_bytes_total',
      help: 'Octets of those PPP frames (PPP header included), by direction',
      labelNames: ['direction'],
      registers,
      collect() {
        const t = server.engine.counters().traffic;
        self.follow(this, 'rx-bytes', { direction: 'in' }, t.rxBytes);
        self.follow(this, 'tx-bytes', { direction: 'out' }, t.txBytes);
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
    this.radiusSeconds = new Histogram({
      name: 'l2tp_ts_radius_request_seconds',
      help: 'RADIUS requests from submission to the reply, retransmissions and failover included, by kind (auth, acct)',
      labelNames: ['kind'],
      buckets: RADIUS_BUCKETS,
      registers,
    });
    this.radiusTimeouts = new Counter({
      name: 'l2tp_ts_radius_timeouts_total',
      help: 'Authentication requests that no RADIUS server answered (every server, every retry)',
      registers,
    });
    this.radiusServerDown = new Counter({
      name: 'l2tp_ts_radius_server_down_total',
      help: 'Times a RADIUS server let a request time out and was marked down',
      registers,
    });
    this.radiusDropped = new Counter({
      name: 'l2tp_ts_radius_replies_dropped_total',
      help: 'RADIUS replies dropped (unknown server or identifier, bad authenticator, malformed), by reason',
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

  /** Subscribes to the server's events; returns the unsubscribe function (of the LNS events). */
  attach(): () => void {
    const listener = (e: LnsEvent) => this.observe(e);
    this.server.on('*', listener);
    let attached = true;
    this.server.onRadiusEvent((e) => {
      if (attached) this.observeRadius(e);
    });
    return () => {
      attached = false;
      this.server.off('*', listener as never);
    };
  }

  /** One RADIUS client event. */
  observeRadius(e: RadiusClientEvent): void {
    switch (e.type) {
      case 'access-accept':
      case 'access-reject':
      case 'access-challenge':
        this.radiusSeconds.observe({ kind: 'auth' }, e.elapsedMs / 1000);
        return;
      case 'accounting-response':
        this.radiusSeconds.observe({ kind: 'acct' }, e.elapsedMs / 1000);
        return;
      case 'timeout':
        this.radiusTimeouts.inc();
        return;
      case 'server-down':
        this.radiusServerDown.inc();
        return;
      case 'reply-dropped':
        this.radiusDropped.inc({ reason: this.radiusDropReasons.value(e.reason) });
        return;
      default:
        return;
    }
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
    // These reasons are the data path's own fixed keys: always their own series.
    for (const [reason, n] of Object.entries(this.server.engine.counters().dropped)) {
      this.follow(this.dropped, `drop:${reason}`, { reason }, n);
    }
  }

  /** Makes `counter{labels}` follow an engine total that only grows: adds what grew since the last scrape. */
  private follow<L extends string>(
    counter: Counter<L>,
    key: string,
    labels: Partial<Record<L, string>>,
    total: number,
  ): void {
    const seen = this.seen.get(key) ?? 0;
    if (total > seen) counter.inc(labels, total - seen);
    else if (seen === 0) counter.inc(labels, 0); // the series exists from the first scrape on
    this.seen.set(key, total);
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
