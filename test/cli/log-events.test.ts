// Issue 12 item 3, the formatter of `lns --log-format json` (src/cli/log-events.ts, logger.ts):
// docs/LOGS.md is the catalogue's (generated tables), every LnsEvent type comes out as one JSON
// line with its documented fields and msg = the text line, peer-controlled strings stay one valid
// JSON string (newline, quotes, U+2028, 64 KiB), records go to their stream and to the log file,
// and the log file's "dropped" note is JSON in JSON mode.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { withLogTables } from '../../scripts/gen-logs-doc.js';
import {
  LNS_EVENT_FIELDS,
  LOG_EVENTS,
  LOG_FIELDS,
  type LogRecord,
  lnsEventRecord,
  logRecord,
} from '../../src/cli/log-events.js';
import { type LineSink, Logger, lineFormatter } from '../../src/cli/logger.js';
import type { LnsEvent } from '../../src/lns/lns.js';
import { COMMON_FIELDS, checkLogLine } from '../support/log-schema.js';

const peer = { address: '192.0.2.7', port: 1701 };

/** At least one of every LnsEvent type (the mapped type makes a missing one a compile error). */
const SAMPLES: { [T in LnsEvent['type']]: Extract<LnsEvent, { type: T }>[] } = {
  'tunnel-up': [{ type: 'tunnel-up', tunnelId: 5, peer, peerHostName: 'lac1' }],
  'tunnel-down': [
    { type: 'tunnel-down', tunnelId: 5, peer, resultCode: 1, initiator: 'local' },
    { type: 'tunnel-down', tunnelId: 5, peer, resultCode: 2, errorCode: 6, message: 'bye', initiator: 'peer' },
  ],
  'session-started': [{ type: 'session-started', tunnelId: 5, sessionId: 9, peer }],
  'session-up': [
    {
      type: 'session-up',
      tunnelId: 5,
      sessionId: 9,
      peer,
      user: 'alice',
      address: '10.1.20.31',
      localAddress: '10.1.20.30',
      dns: ['192.168.1.1'],
    },
    {
      type: 'session-up',
      tunnelId: 5,
      sessionId: 9,
      peer,
      address: '10.1.20.31',
      localAddress: '10.1.20.30',
      dns: [],
      routes: ['192.0.2.0/28'],
    },
  ],
  'session-down': [
    { type: 'session-down', tunnelId: 5, sessionId: 9, reason: 'lower layer down' },
    {
      type: 'session-down',
      tunnelId: 5,
      sessionId: 9,
      user: 'alice',
      address: '10.1.20.31',
      reason: 'CDN',
      resultCode: 3,
      counters: { rxPackets: 1, rxBytes: 84, txPackets: 2, txBytes: 168 },
    },
  ],
  'session-ipv6-up': [
    {
      type: 'session-ipv6-up',
      tunnelId: 5,
      sessionId: 9,
      prefix: '2001:db8:100:1::/64',
      localLinkLocal: 'fe80::1',
      peerLinkLocal: 'fe80::2',
    },
    { type: 'session-ipv6-up', tunnelId: 5, sessionId: 9, localLinkLocal: 'fe80::1', peerLinkLocal: 'fe80::2' },
  ],
  'session-ipv6-down': [
    { type: 'session-ipv6-down', tunnelId: 5, sessionId: 9, prefix: '2001:db8:100:1::/64' },
    { type: 'session-ipv6-down', tunnelId: 5, sessionId: 9 },
  ],
  'auth-failed': [
    { type: 'auth-failed', tunnelId: 5, sessionId: 9, reason: 'no response' },
    { type: 'auth-failed', tunnelId: 5, sessionId: 9, user: 'mallory', reason: 'E=691' },
  ],
  'auth-blocked': [
    { type: 'auth-blocked', kind: 'user', value: 'mallory', failures: 5, forMs: 60_000 },
    { type: 'auth-blocked', kind: 'address', value: '192.0.2.7', failures: 5, forMs: 60_000 },
  ],
  'pool-exhausted': [
    { type: 'pool-exhausted', tunnelId: 5, sessionId: 9, user: 'alice' },
    { type: 'pool-exhausted', tunnelId: 5, sessionId: 9, pool: 'local' },
    { type: 'pool-exhausted', tunnelId: 5, sessionId: 9, user: 'alice', pool: 'gold', unknown: true },
    { type: 'pool-exhausted', tunnelId: 5, sessionId: 9, user: 'alice', pool: 'gold' },
  ],
  log: [{ type: 'log', tunnelId: 5, sessionId: 9, text: 'rcvd [LCP ConfReq id=0x1 <mru 1400>]' }],
  'l2tp-debug': [{ type: 'l2tp-debug', kind: 'state', text: 'tunnel 5: idle -rx-sccrq-> wait-ctl-conn' }],
  'datagram-dropped': [{ type: 'datagram-dropped', reason: 'runt', peer }],
};
const ALL_SAMPLES: LnsEvent[] = Object.values(SAMPLES).flat();

const json = await lineFormatter('json');
const text = await lineFormatter('text');

describe('docs/LOGS.md', () => {
  it('has the tables of LOG_EVENTS and LOG_FIELDS (regenerate: node --import tsx scripts/gen-logs-doc.ts)', () => {
    const doc = readFileSync(new URL('../../docs/LOGS.md', import.meta.url), 'utf8');
    expect(doc).toBe(withLogTables(doc));
  });

  it('every field an event lists is described, every described field is used, none takes a common name', () => {
    const used = new Set(Object.values(LOG_EVENTS).flatMap((s) => s.fields.map((f: string) => f.replace(/\?$/, ''))));
    expect([...used].filter((f) => !(f in LOG_FIELDS))).toEqual([]);
    expect(Object.keys(LOG_FIELDS).filter((f) => !used.has(f))).toEqual([]);
    expect([...used].filter((f) => (COMMON_FIELDS as readonly string[]).includes(f))).toEqual([]);
  });
});

describe('the LnsEvent formatter', () => {
  it('turns every engine event type into one documented JSON line whose msg is the text line', () => {
    const seen = new Set<string>();
    for (const e of ALL_SAMPLES) {
      const r = lnsEventRecord(e, true);
      if (e.type === 'datagram-dropped') {
        expect(r).toBeUndefined(); // summarised into datagrams-dropped, never one line each
        continue;
      }
      expect(r, e.type).toBeDefined();
      const line = json(r!);
      expect(line.endsWith('\n') && line.indexOf('\n') === line.length - 1, line).toBe(true);
      const { obj, problems } = checkLogLine(line);
      expect(problems).toEqual([]);
      expect(`${obj.msg}\n`).toBe(text(r!));
      seen.add(String(obj.event));
    }
    expect([...seen].sort()).toEqual(
      [
        'tunnel-up',
        'tunnel-down',
        'session-started',
        'session-up',
        'session-down',
        'session-ipv6-up',
        'session-ipv6-down',
        'auth-failed',
        'auth-blocked',
        'pool-exhausted',
        'ppp-debug',
        'l2tp-debug',
      ].sort(),
    );
  });

  it('keeps the text lines of before (pppd-like)', () => {
    const lines = ALL_SAMPLES.map((e) => lnsEventRecord(e, true)?.text);
    expect(lines).toEqual([
      'tunnel 5 up from 192.0.2.7:1701 (host lac1)',
      'tunnel 5 down (local): result 1',
      'tunnel 5 down (peer): result 2/6 bye',
      'session 5/9 call established from 192.0.2.7:1701',
      'session 5/9 up: user alice address 10.1.20.31 (local 10.1.20.30)',
      'session 5/9 up: user - address 10.1.20.31 (local 10.1.20.30)',
      'session 5/9 down: user - address - lower layer down',
      'session 5/9 down: user alice address 10.1.20.31 CDN',
      'session 5/9 ipv6 up: prefix 2001:db8:100:1::/64 link-local fe80::2 (local fe80::1)',
      'session 5/9 ipv6 up: prefix - link-local fe80::2 (local fe80::1)',
      'session 5/9 ipv6 down: prefix 2001:db8:100:1::/64',
      'session 5/9 ipv6 down: prefix -',
      'session 5/9 authentication failed for ?: no response',
      'session 5/9 authentication failed for mallory: E=691',
      'authentication refused for 60 s for user mallory after 5 failures',
      'authentication refused for 60 s for address 192.0.2.7 after 5 failures',
      'session 5/9 no address for alice: pool exhausted or address in use',
      'session 5/9 refused: local ip range exhausted',
      'session 5/9 no address for alice: Framed-Pool gold is not configured (namedPools)',
      'session 5/9 no address for alice: pool gold exhausted',
      '[5/9] rcvd [LCP ConfReq id=0x1 <mru 1400>]',
      'tunnel 5: idle -rx-sccrq-> wait-ctl-conn',
      undefined,
    ]);
  });

  it('names fields as documented: resultMessage, blockedKind/blocked, debugKey, ppp-debug; no engine type field', () => {
    const obj = (e: LnsEvent) => JSON.parse(json(lnsEventRecord(e, true)!)) as Record<string, unknown>;
    expect(obj(SAMPLES['tunnel-down'][1]!)).toMatchObject({ resultMessage: 'bye', errorCode: 6 });
    expect(obj(SAMPLES['auth-blocked'][1]!)).toMatchObject({ blockedKind: 'address', blocked: '192.0.2.7' });
    expect(obj(SAMPLES['l2tp-debug'][0]!)).toMatchObject({ event: 'l2tp-debug', debugKey: 'state' });
    expect(obj(SAMPLES.log[0]!)).toMatchObject({ event: 'ppp-debug', level: 'debug' });
    expect(obj(SAMPLES['session-up'][0]!)).toMatchObject({ level: 'info', peer, dns: ['192.168.1.1'] });
    for (const e of ALL_SAMPLES.filter((x) => x.type !== 'datagram-dropped')) {
      const o = obj(e);
      expect(o).not.toHaveProperty('type');
      expect(o).not.toHaveProperty('message');
      expect(o).not.toHaveProperty('kind');
    }
  });

  it('logs exactly the engine keys LNS_EVENT_FIELDS maps, under the names it gives; every key is in some sample', () => {
    const keysSeen = new Set<string>();
    for (const e of ALL_SAMPLES) {
      const map = LNS_EVENT_FIELDS[e.type] as Record<string, string | null>;
      const expected = Object.entries(e)
        .filter(([k, v]) => k !== 'type' && v !== undefined && map[k] !== null)
        .map(([k]) => map[k]);
      for (const k of Object.keys(e)) keysSeen.add(`${e.type}.${k}`);
      const r = lnsEventRecord(e, true);
      const logged = r === undefined ? [] : Object.keys(r.fields).filter((k) => r.fields[k as never] !== undefined);
      expect(logged.sort(), e.type).toEqual(expected.sort());
    }
    const mapped = Object.entries(LNS_EVENT_FIELDS).flatMap(([t, m]) => Object.keys(m).map((k) => `${t}.${k}`));
    expect(mapped.filter((k) => !keysSeen.has(k))).toEqual([]);
  });

  it('ppp debug off: no ppp-debug line', () => {
    expect(lnsEventRecord(SAMPLES.log[0]!, false)).toBeUndefined();
  });
});

describe('peer-controlled strings in JSON lines', () => {
  it('a Host Name with a newline, a user name with quotes and U+2028: one line, valid JSON, the value intact', () => {
    const host = 'evil\nsession 9/9 up: user admin address 10.9.9.9 (local 10.1.20.30)';
    const user = 'al"ice\\", "level":"fatal';
    const r1 = lnsEventRecord({ type: 'tunnel-up', tunnelId: 1, peer, peerHostName: host }, false)!;
    const r2 = lnsEventRecord({ type: 'auth-failed', tunnelId: 1, sessionId: 2, user, reason: 'x\u2028y' }, false)!;
    for (const [r, field, value] of [
      [r1, 'peerHostName', host],
      [r2, 'user', user],
    ] as const) {
      const line = json(r);
      expect(line.split('\n')).toHaveLength(2); // the object, then the empty rest after its newline
      expect(line).not.toMatch(/[\u2028\u2029]/);
      const { obj, problems } = checkLogLine(line);
      expect(problems).toEqual([]);
      expect(obj[field]).toBe(value);
    }
    expect(JSON.parse(json(r2)).level).toBe('warn');
    expect(JSON.parse(json(r2)).reason).toBe('x\u2028y');
    expect(JSON.parse(json(r1)).msg).toBe(
      'tunnel 1 up from 192.0.2.7:1701 (host evil\\x0asession 9/9 up: user admin address 10.9.9.9 (local 10.1.20.30))',
    );
  });

  it('a 64 KiB Host Name is cut to 256 characters, a debug dump to 4096; printf-like text is not interpreted', () => {
    const r = lnsEventRecord({ type: 'tunnel-up', tunnelId: 1, peer, peerHostName: 'x'.repeat(65_535) }, false)!;
    expect(JSON.parse(json(r)).peerHostName).toBe(`${'x'.repeat(256)}…`);
    const d = lnsEventRecord({ type: 'log', tunnelId: 1, sessionId: 2, text: 'y'.repeat(10_000) }, true)!;
    expect(JSON.parse(json(d)).text).toBe(`${'y'.repeat(4096)}…`);
    const f = lnsEventRecord(
      { type: 'auth-failed', tunnelId: 1, sessionId: 2, user: '%s%d%j%%', reason: '%o' },
      false,
    )!;
    expect(JSON.parse(json(f))).toMatchObject({
      user: '%s%d%j%%',
      msg: 'session 1/2 authentication failed for %s%d%j%%: %o',
    });
  });

  it('property: any user name and Host Name give one line of valid JSON carrying the documented fields', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 300 }),
        (u, h) => {
          for (const e of [
            { type: 'tunnel-up', tunnelId: 1, peer, peerHostName: h },
            { type: 'auth-failed', tunnelId: 1, sessionId: 2, user: u, reason: h },
          ] as LnsEvent[]) {
            const line = json(lnsEventRecord(e, false)!);
            expect(line.indexOf('\n')).toBe(line.length - 1);
            expect(line).not.toMatch(/[\r\u2028\u2029]/);
            expect(checkLogLine(line).problems).toEqual([]);
          }
        },
      ),
      { seed: 0x1012, numRuns: 500 },
    );
  });
});

/** A sink that keeps its lines. */
function memory(): LineSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (l) => void lines.push(l) };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('Logger', () => {
  it('writes events to stdout, warnings to stderr, both to the log file, in the same form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2tp-ts-logger-'));
    dirs.push(dir);
    const path = join(dir, 'lns.log');
    const [stdout, stderr] = [memory(), memory()];
    const logger = await Logger.open({ format: 'json', file: { path }, stdout, stderr });
    logger.event('warning', { file: '/etc/ppp/options', line: 3 }, 'warning: /etc/ppp/options:3: unknown key');
    logger.event('stopping', { signal: 'SIGTERM' }, 'SIGTERM: sending StopCCN to every peer');
    await logger.close();
    expect(stderr.lines.map((l) => JSON.parse(l).event)).toEqual(['warning']);
    expect(stdout.lines.map((l) => JSON.parse(l).event)).toEqual(['stopping']);
    expect(readFileSync(path, 'utf8')).toBe(stderr.lines[0]! + stdout.lines[0]!);
    expect(JSON.parse(stderr.lines[0]!)).toMatchObject({ level: 'warn', file: '/etc/ppp/options', line: 3 });
  });

  it('the text form writes the text line and nothing else', async () => {
    const [stdout, stderr] = [memory(), memory()];
    const logger = await Logger.open({ format: 'text', stdout, stderr });
    logger.log(logRecord('stopping', { signal: 'SIGINT' }, 'SIGINT: sending StopCCN to every peer'));
    logger.log(logRecord('notice', {}, 'notice: exclusive = yes restricts nothing'));
    await logger.close();
    expect(stdout.lines).toEqual(['SIGINT: sending StopCCN to every peer\n']);
    expect(stderr.lines).toEqual(['notice: exclusive = yes restricts nothing\n']);
  });

  it("beyond the log file's backlog, the dropped-lines note is a JSON log-dropped line in JSON mode", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2tp-ts-logger-'));
    dirs.push(dir);
    const path = join(dir, 'lns.log');
    const logger = await Logger.open({
      format: 'json',
      file: { path },
      stdout: memory(),
      stderr: memory(),
      maxBacklog: 2000,
    });
    const r: LogRecord = logRecord('stopping', { signal: 'x'.repeat(200) }, 'y'.repeat(200));
    for (let i = 0; i < 100; i++) logger.log(r); // synchronously: nothing is written meanwhile
    for (let i = 0; i < 500 && readFileSync(path, 'utf8').split('\n').length < 3; i++) {
      await new Promise((res) => setTimeout(res, 10));
    }
    logger.log(logRecord('stopping', { signal: 'SIGTERM' }, 'after'));
    await logger.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    for (const l of lines) expect(checkLogLine(l).problems).toEqual([]);
    const note = lines.map((l) => JSON.parse(l)).find((o) => o.event === 'log-dropped');
    expect(note).toMatchObject({ level: 'warn', dropped: expect.any(Number) });
    expect(note.dropped).toBeGreaterThan(0);
    expect(JSON.parse(lines.at(-1)!).msg).toBe('after');
  });

  it('the text form does not load pino (start-up time: seconds in a UML guest); the JSON form does', () => {
    const script = (format: string) => `
      import { createRequire } from 'node:module';
      const { Logger } = await import('./src/cli/logger.ts');
      const sink = { write() {} };
      await (await Logger.open({ format: '${format}', stdout: sink, stderr: sink })).close();
      const cache = Object.keys(createRequire(import.meta.url).cache);
      console.log(cache.some((k) => k.includes('/node_modules/pino/')));`;
    const run = (format: string) =>
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(format)], {
        cwd: new URL('../..', import.meta.url),
        encoding: 'utf8',
      }).trim();
    expect(run('text')).toBe('false');
    expect(run('json')).toBe('true');
  });
});
