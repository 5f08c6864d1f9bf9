// Issue 12 item 1: `l2tp-ts lns --metrics HOST:PORT` serves Prometheus text that promtool accepts,
// with l2tp_ts_sessions ≥ 1 during a session and authentication failures by cause; the scrape
// of 10,000 sessions is as large as the scrape of 10 (no per-session series).
// Related: src/io/metrics.ts, src/cli/lns.ts, test/e2e/cli-process.ts.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { LnsServer } from '../../src/io/create-lns.js';
import { LnsMetrics, MAX_LABEL_VALUES } from '../../src/io/metrics.js';
import { cleanupProcesses, runLac, spawnCli, startLns } from './cli-process.js';

afterEach(cleanupProcesses);

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

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
    expect(text).toMatch(/^l2tp_ts_process_resident_memory_bytes \d+/m);
    expect(text).not.toMatch(/alice|s3cret|wrong/);
    if (PROMTOOL) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    }
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  }, 40_000);

  it('refuses a --metrics value that is not HOST:PORT (exit 2)', async () => {
    const p = spawnCli(['lns', '--userspace', '--port', '0', '--no-control', '--metrics', '9101']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(/--metrics '9101' is not HOST:PORT/);
  });
});

describe('LnsMetrics', () => {
  /** A server stand-in: only what the metrics read (status) is real. */
  function fakeServer(sessions: () => number): LnsServer {
    const status = () => ({
      tunnels: 1,
      sessions: sessions(),
      addressesInUse: sessions(),
      poolSize: 65_000,
      dropped: { 'unknown-session': 3 },
    });
    return { engine: { status } } as unknown as LnsServer;
  }

  async function scrapeWith(n: number): Promise<string> {
    let live = 0;
    const m = new LnsMetrics(
      fakeServer(() => live),
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
    return m.registry.metrics();
  }

  it('10,000 sessions scrape to the same series as 10; drop reasons are bounded', async () => {
    const small = await scrapeWith(10);
    const large = await scrapeWith(10_000);
    const series = (t: string) =>
      t
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.replace(/ [\d.e+-]+$/, ''));
    expect(series(large)).toEqual(series(small));
    expect(value(large, 'l2tp_ts_sessions{state="up"}')).toBe(10_000);
    expect(value(large, 'l2tp_ts_datagrams_dropped_total{reason="other"}')).toBe(1000 - MAX_LABEL_VALUES);
    expect(value(large, 'l2tp_ts_datagrams_dropped_total{reason="unknown-session"}')).toBe(3);
    expect(large).not.toMatch(/user\d/);
  });
});
