// Issue 12 item 1: `l2tp-ts lns --metrics HOST:PORT` serves Prometheus text that promtool accepts,
// with l2tp_ts_sessions ≥ 1 during a session and authentication failures by cause; the scrape
// of 10,000 sessions is as large as the scrape of 10 (no per-session series).
// Related: src/io/metrics.ts, src/cli/lns.ts, test/e2e/cli-process.ts.
import { spawnSync } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LnsServer } from '../../src/io/create-lns.js';
import { LnsMetrics, MAX_LABEL_VALUES } from '../../src/io/metrics.js';
import { cleanupProcesses, runLac, spawnCli, startLns, tempDir } from './cli-process.js';

afterEach(cleanupProcesses);

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

/** A TCP port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function scrape(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/text\/plain; version=0\.0\.4/);
  return r.text();
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('lns --metrics', () => {
  it('a live scrape passes promtool and counts the session, the setup and an auth failure', async () => {
    const lns = await startLns(['--userspace', '--user', 'alice:s3cret', '--metrics', '127.0.0.1:0']);
    const port = Number((await lns.proc.waitFor(/metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
    const lac = spawnCli([
      'lac',
      '--server',
      `127.0.0.1:${lns.port}`,
      '--user',
      'alice',
      '--password',
      's3cret',
      '--hold',
      '30',
    ]);
    await lac.waitFor(/session \d+\/\d+ up/);
    const bad = await runLac(lns.port, ['--user', 'alice', '--password', 'wrong']);
    expect(bad.code).toBe(1);

    const text = await scrape(port);
    expect(value(text, 'l2tp_ts_sessions{state="up"}')).toBe(1);
    expect(value(text, 'l2tp_ts_tunnels{state="established"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'l2tp_ts_session_setups_total{result="up"}')).toBe(1);
    expect(value(text, 'l2tp_ts_session_setups_total{result="auth-failed"}')).toBe(1);
    expect(value(text, 'l2tp_ts_session_setup_seconds_count')).toBe(1);
    expect(value(text, 'l2tp_ts_pool_addresses{use="in-use"}')).toBe(1);
    expect(text).toMatch(/^l2tp_ts_auth_failures_total\{cause="[a-z-]+"\} 1$/m);
    // LCP, CHAP and IPCP of both sessions went through the data path counters, both ways.
    expect(value(text, 'l2tp_ts_session_packets_total{direction="in"}')).toBeGreaterThanOrEqual(6);
    expect(value(text, 'l2tp_ts_session_packets_total{direction="out"}')).toBeGreaterThanOrEqual(6);
    expect(value(text, 'l2tp_ts_session_bytes_total{direction="in"}')).toBeGreaterThan(60);
    expect(value(text, 'l2tp_ts_session_bytes_total{direction="out"}')).toBeGreaterThan(60);
    expect(value(text, 'l2tp_ts_control_retransmissions_total')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^l2tp_ts_process_resident_memory_bytes \d+/m);
    expect(text).not.toMatch(/alice|s3cret|wrong/);
    if (PROMTOOL) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    }
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  }, 40_000);

  it('the JSON config `metrics` key serves the same; --metrics wins; a bad value is exit 2', async () => {
    const free = await freePort();
    const dir = tempDir({
      'lns.json': JSON.stringify({ metrics: `127.0.0.1:${free}`, users: { alice: 's3cret' } }),
      'bad.json': JSON.stringify({ metrics: 'nine-one-oh-one' }),
    });
    const fromJson = await startLns(['--userspace', '--json-config', join(dir, 'lns.json')]);
    await fromJson.proc.waitFor(new RegExp(`metrics at http://127\\.0\\.0\\.1:${free}/metrics`));
    expect(value(await scrape(free), 'l2tp_ts_sessions{state="up"}')).toBe(0);

    const flag = await startLns(['--userspace', '--json-config', join(dir, 'lns.json'), '--metrics', '127.0.0.1:0']);
    const port = Number((await flag.proc.waitFor(/metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
    expect(port).not.toBe(free);

    const bad = spawnCli(['lns', '--userspace', '--port', '0', '--no-control', '--json-config', join(dir, 'bad.json')]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/\$\.metrics: expected "HOST:PORT"/);
  }, 30_000);

  it('refuses a --metrics value that is not HOST:PORT (exit 2)', async () => {
    const p = spawnCli(['lns', '--userspace', '--port', '0', '--no-control', '--metrics', '9101']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(/--metrics '9101' is not HOST:PORT/);
  });
});

describe('LnsMetrics', () => {
  /**
   * A server stand-in with only the O(1) counters() real; the engine's table walks (status(),
   * sessions(), the endpoint's tunnels) throw, so a scrape that touched them would fail. `calls`
   * counts the work a scrape does.
   */
  function fakeServer(sessions: () => number, calls: { counters: number }): LnsServer {
    const walk = () => {
      throw new Error('a scrape must not walk the session or tunnel tables');
    };
    const counters = () => {
      calls.counters++;
      return {
        sessions: sessions(),
        addressesInUse: sessions(),
        poolSize: 65_000,
        halfOpenTunnels: 2,
        dropped: { 'unknown-session': 3 },
        traffic: { rxPackets: 10, rxBytes: 1000, txPackets: 20, txBytes: 3000 },
        controlRetransmissions: 7,
      };
    };
    return {
      engine: {
        counters,
        status: walk,
        sessions: walk,
        get endpoint() {
          return walk();
        },
      },
      on: () => undefined,
      onRadiusEvent: () => undefined,
    } as unknown as LnsServer;
  }

  async function scrapeWith(n: number): Promise<{ text: string; counterCalls: number }> {
    let live = 0;
    const calls = { counters: 0 };
    const m = new LnsMetrics(
      fakeServer(() => live, calls),
      { processMetrics: false, now: () => 0 },
    );
    m.observe({ type: 'tunnel-up', tunnelId: 1 } as never);
    for (let i = 0; i < n; i++) {
      m.observe({ type: 'session-started', tunnelId: 1, sessionId: i, peer: { address: '10.0.0.1', port: 1701 } });
      m.observe({
        type: 'session-up',
        tunnelId: 1,
        sessionId: i,
        user: `user${i}`,
        address: '10.0.0.2',
        localAddress: '10.0.0.1',
        dns: [],
        peer: { address: '10.0.0.1', port: 1701 },
      });
      live++;
    }
    // A peer that invents a new drop reason per datagram does not grow the scrape without bound.
    for (let i = 0; i < 1000; i++)
      m.observe({ type: 'datagram-dropped', reason: `garbage-${i}`, peer: { address: '10.0.0.9', port: i } });
    const server = { address: '10.0.0.5', port: 1812 };
    m.observeRadius({ type: 'access-accept', requestId: 1, server, attributes: [], elapsedMs: 40 });
    m.observeRadius({ type: 'accounting-response', requestId: 2, server, elapsedMs: 3 });
    m.observeRadius({ type: 'timeout', requestId: 3 });
    m.observeRadius({ type: 'server-down', server });
    for (let i = 0; i < 100; i++)
      m.observeRadius({ type: 'reply-dropped', from: server, reason: `junk-${i}` as never });
    const before = calls.counters;
    const text = await m.registry.metrics();
    return { text, counterCalls: calls.counters - before };
  }

  it('10,000 sessions scrape to the same series, with the same work, as 10; label values are bounded', async () => {
    const small = await scrapeWith(10);
    const large = await scrapeWith(10_000);
    const series = (t: string) =>
      t
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.replace(/ [\d.e+-]+$/, ''));
    expect(series(large.text)).toEqual(series(small.text));
    // The work of a scrape: a fixed number of O(1) counters() reads, whatever the session count.
    expect(large.counterCalls).toBe(small.counterCalls);
    expect(large.counterCalls).toBeLessThanOrEqual(10);
    const t = large.text;
    expect(value(t, 'l2tp_ts_sessions{state="up"}')).toBe(10_000);
    expect(value(t, 'l2tp_ts_tunnels{state="established"}')).toBe(1);
    expect(value(t, 'l2tp_ts_tunnels{state="setup"}')).toBe(2);
    expect(value(t, 'l2tp_ts_datagrams_dropped_total{reason="other"}')).toBe(1000 - MAX_LABEL_VALUES);
    expect(value(t, 'l2tp_ts_datagrams_dropped_total{reason="unknown-session"}')).toBe(3);
    expect(value(t, 'l2tp_ts_control_retransmissions_total')).toBe(7);
    expect(value(t, 'l2tp_ts_session_packets_total{direction="in"}')).toBe(10);
    expect(value(t, 'l2tp_ts_session_packets_total{direction="out"}')).toBe(20);
    expect(value(t, 'l2tp_ts_session_bytes_total{direction="in"}')).toBe(1000);
    expect(value(t, 'l2tp_ts_session_bytes_total{direction="out"}')).toBe(3000);
    expect(value(t, 'l2tp_ts_radius_request_seconds_count{kind="auth"}')).toBe(1);
    expect(value(t, 'l2tp_ts_radius_request_seconds_bucket{le="0.05",kind="auth"}')).toBe(1);
    expect(value(t, 'l2tp_ts_radius_request_seconds_bucket{le="0.025",kind="auth"}')).toBe(0);
    expect(value(t, 'l2tp_ts_radius_request_seconds_count{kind="acct"}')).toBe(1);
    expect(value(t, 'l2tp_ts_radius_timeouts_total')).toBe(1);
    expect(value(t, 'l2tp_ts_radius_server_down_total')).toBe(1);
    expect(value(t, 'l2tp_ts_radius_replies_dropped_total{reason="other"}')).toBe(100 - MAX_LABEL_VALUES);
    expect(t).not.toMatch(/user\d/);
    if (PROMTOOL) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: t, encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    }
  });

  it('engine totals only grow the counters: a second scrape adds what grew, nothing twice', async () => {
    const calls = { counters: 0 };
    let retransmissions = 5;
    const server = fakeServer(() => 0, calls);
    const engine = server.engine as unknown as { counters: () => Record<string, unknown> };
    const base = engine.counters;
    engine.counters = () => ({ ...base(), controlRetransmissions: retransmissions });
    const m = new LnsMetrics(server, { processMetrics: false, now: () => 0 });
    expect(value(await m.registry.metrics(), 'l2tp_ts_control_retransmissions_total')).toBe(5);
    expect(value(await m.registry.metrics(), 'l2tp_ts_control_retransmissions_total')).toBe(5);
    retransmissions = 9;
    expect(value(await m.registry.metrics(), 'l2tp_ts_control_retransmissions_total')).toBe(9);
  });
});
