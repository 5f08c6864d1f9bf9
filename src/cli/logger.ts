// Where the log of `l2tp-ts lns` goes, and in which form. Rules:
// - two forms of one record (log-events.ts): `text`, the pppd-like line, and `json`, one object per
//   line made by pino (time as ISO 8601, level as its name, `event`, the event's fields, `msg` = the
//   text line); docs/LOGS.md documents the fields;
// - each event has its stream (LOG_EVENTS): events on stdout, warnings and notices on stderr, in
//   either form; a `logfile`/`logfd` copy (log-file.ts) gets every line of both, in the same form;
// - stdout and stderr are written through sonic-boom (pino.destination's stream, asynchronous; used
//   directly so that the text form does not load pino, ~50 ms of start-up here and far more in a
//   UML guest, as prom-client): the thread pool writes, the event loop never waits for a reader.
//   sonic-boom retries EAGAIN (a full pipe:
//   Node makes the standard pipes non-blocking) every 100 ms, and holds at most
//   MAX_LOG_BACKLOG_BYTES: beyond it a line is dropped and counted, and a `log-dropped` line says how
//   many once there is room — never an unbounded buffer (sonic-boom's own default is unbounded);
// - EPIPE (the reader went away) or any other write error ends that stream only: its lines are
//   dropped and counted, the problem is reported once (on stderr, or only to the log file when
//   stderr itself failed), and the LNS serves on — the log file still gets every line;
// - close() lets queued lines out for a bounded time, then gives up (a reader that never reads
//   cannot hold the exit).
// Related: log-events.ts (the catalogue), log-file.ts, lns.ts, docs/LOGS.md.
import sonicBoom, { type SonicBoom } from 'sonic-boom';
import { type FieldsOf, LOG_EVENTS, type LogEventName, type LogRecord, logRecord } from './log-events.js';
import { LogFile, type LogTarget, MAX_LOG_BACKLOG_BYTES } from './log-file.js';
import { MAX_LOGGED_TEXT } from './log-text.js';

export type LogFormat = 'text' | 'json';

/** Somewhere lines go: stdout, stderr (StdStream) or, in tests, an array. */
export interface LineSink {
  write(line: string): void;
  /** Resolves once every line written so far is out (or after `timeoutMs`). */
  drain?(timeoutMs: number): Promise<void>;
  close?(timeoutMs: number): Promise<void>;
}

/** Longest `text` field (a debug dump), in characters: as the text form's debug lines. */
const MAX_DUMP_TEXT = 4096;

/** How long close() waits for queued lines to be written, ms (then they are given up). */
export const LOG_CLOSE_MS = 2000;

/**
 * Formats records in one form. JSON: pino (loaded only then) writes the object into a capture (one
 * call, one line); string fields are cut to the text form's bound (MAX_LOGGED_TEXT; `text` to
 * MAX_DUMP_TEXT).
 */
export async function lineFormatter(format: LogFormat): Promise<(r: LogRecord) => string> {
  if (format === 'text') return (r) => `${r.text}\n`;
  const { pino } = await import('pino');
  let captured = '';
  const json = pino(
    {
      level: 'debug',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    {
      write: (s: string) => {
        captured = s;
      },
    },
  );
  return (r) => {
    const fields: Record<string, unknown> = { event: r.event };
    for (const [k, v] of Object.entries(r.fields)) {
      if (v !== undefined) fields[k] = bounded(v, k === 'text' ? MAX_DUMP_TEXT : MAX_LOGGED_TEXT);
    }
    json[LOG_EVENTS[r.event].level](fields, r.text);
    const line = captured;
    captured = '';
    // JSON keeps U+2028/U+2029 raw, and some line readers (Python's splitlines, old JavaScript)
    // split on them: as \u escapes the line stays one line for every reader. Inside JSON they
    // can only stand in strings, so the escape is exact.
    return SEPARATORS.test(line) ? line.replace(SEPARATORS_G, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : line;
  };
}

const SEPARATORS = /[\u2028\u2029]/;
const SEPARATORS_G = /[\u2028\u2029]/g;

/** `v` with every string (at any depth) cut to `max` characters plus `…`. */
function bounded(v: unknown, max: number): unknown {
  if (typeof v === 'string') return v.length > max ? `${v.slice(0, max)}…` : v;
  if (Array.isArray(v)) return v.map((x) => bounded(x, max));
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bounded(x, max)]));
  }
  return v;
}

/** The LNS's log: records to stdout/stderr and the log file, in one form. */
export class Logger {
  private constructor(
    private readonly line: (r: LogRecord) => string,
    private readonly stdout: LineSink,
    private readonly stderr: LineSink,
    private readonly file: LogFile | undefined,
  ) {}

  /**
   * Opens the log: the `logfile`/`logfd` copy now (a ConfigError when it cannot be: exit 2).
   * `stdout` and `stderr` replace the process's streams (tests).
   */
  static async open(options: {
    readonly format: LogFormat;
    readonly file?: LogTarget;
    readonly stdout?: LineSink;
    readonly stderr?: LineSink;
    readonly maxBacklog?: number;
  }): Promise<Logger> {
    const maxBacklog = options.maxBacklog ?? MAX_LOG_BACKLOG_BYTES;
    const line = await lineFormatter(options.format);
    const droppedLine = (where: string) => (n: number) =>
      line(logRecord('log-dropped', { dropped: n }, `log: ${n} line(s) dropped (${where} backlog full or failing)`));
    // Problems are told once, where they can still be read: a failing stdout or log file on
    // stderr (and the file), a failing stderr in the file only.
    let logger: Logger | undefined;
    const problem = (m: string) => logger?.log(warning(m));
    const file = options.file && LogFile.open(options.file, problem, maxBacklog, droppedLine('log file'));
    const stdout =
      options.stdout ?? new StdStream(1, maxBacklog, droppedLine('stdout'), (m) => problem(`stdout: ${m}`));
    const stderr =
      options.stderr ??
      new StdStream(2, maxBacklog, droppedLine('stderr'), (m) => file?.write(line(warning(`stderr: ${m}`))));
    logger = new Logger(line, stdout, stderr, file);
    return logger;
  }

  /** Writes one record to its stream and to the log file. */
  log(r: LogRecord): void {
    const line = this.line(r);
    (LOG_EVENTS[r.event].stream === 'stderr' ? this.stderr : this.stdout).write(line);
    this.file?.write(line);
  }

  /** Writes one event, its fields checked against the catalogue. */
  event<N extends LogEventName>(event: N, fields: FieldsOf<N>, text: string): void {
    this.log(logRecord(event, fields, text));
  }

  /** The log file's name (path or `fd N`), if there is one. */
  get fileName(): string | undefined {
    return this.file?.name;
  }

  /** Reopens the log file (SIGHUP after logrotate); why it failed, or undefined. */
  reopen(): string | undefined {
    return this.file?.reopen();
  }

  /**
   * Resolves once stdout and stderr have written what they were given (at most `timeoutMs`): the
   * start warnings are out before the LNS says it listens, as when they were written synchronously.
   */
  async drain(timeoutMs = LOG_CLOSE_MS): Promise<void> {
    await Promise.all([this.stdout.drain?.(timeoutMs), this.stderr.drain?.(timeoutMs)]);
  }

  /** Lets queued lines out (at most `timeoutMs` for stdout and stderr) and closes the log file. */
  async close(timeoutMs = LOG_CLOSE_MS): Promise<void> {
    await Promise.all([this.stdout.close?.(timeoutMs), this.stderr.close?.(timeoutMs), this.file?.close()]);
  }
}

function warning(m: string): LogRecord {
  return logRecord('warning', {}, `warning: ${m}`);
}

/** stdout or stderr through sonic-boom, bounded, never throwing, never stopping the LNS. */
class StdStream implements LineSink {
  /** Lines not written: backlog full, or the stream failed. */
  dropped = 0;
  private readonly out: SonicBoom;
  private unreported = 0;
  private lastDropped = false;
  /** A write failed (EPIPE…) or close() ended it: nothing more is written. */
  private ended = false;
  private failed = false;
  /** close() timed out: an EAGAIN retry gives up (and ends the stream) instead of waiting on. */
  private givingUp = false;
  /** Lines taken and not yet written (sonic-boom says 'drain' when it has written all). */
  private busy = false;

  constructor(
    fd: number,
    maxBacklog: number,
    private readonly droppedLine: (n: number) => string,
    private readonly onProblem: (message: string) => void,
  ) {
    // CommonJS: module.exports is the class, with itself as its `SonicBoom` property (Node finds no
    // named export in it, so the default import, then the property).
    this.out = new sonicBoom.SonicBoom({ fd, sync: false, maxLength: maxBacklog, retryEAGAIN: () => !this.givingUp });
    this.out.on('drop', () => {
      this.lastDropped = true;
    });
    this.out.on('error', (e: NodeJS.ErrnoException) => this.fail(e));
    this.out.on('drain', () => {
      this.busy = false;
    });
  }

  drain(timeoutMs: number): Promise<void> {
    if (!this.busy || this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.out.off('drain', done);
        this.out.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.out.once('drain', done);
      this.out.once('error', done);
    });
  }

  write(line: string): void {
    if (this.ended) {
      this.dropped++;
      return;
    }
    if (this.unreported > 0 && this.put(this.droppedLine(this.unreported))) this.unreported = 0;
    if (!this.put(line)) {
      this.dropped++;
      this.unreported++;
    }
  }

  close(timeoutMs: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.givingUp = true;
        resolve();
      }, timeoutMs);
      timer.unref();
      this.out.once('close', done);
      this.out.once('error', done);
      this.out.end();
    });
  }

  /** True when sonic-boom took the line (false: beyond the backlog bound). */
  private put(s: string): boolean {
    this.lastDropped = false;
    this.out.write(s);
    if (this.lastDropped) return false;
    this.busy = true;
    return true;
  }

  /**
   * EPIPE, EBADF, EIO, or EAGAIN after close() gave up. sonic-boom would write the failed chunk
   * again at the next line; the stream is ended instead (destroy; fd 1 and 2 stay open for the
   * last messages of the process).
   */
  private fail(e: NodeJS.ErrnoException): void {
    if (this.failed) return;
    this.failed = true;
    const wasEnded = this.ended;
    this.ended = true;
    try {
      this.out.destroy();
    } catch {
      // already destroyed
    }
    if (!wasEnded) this.onProblem(`${e.code ?? String(e)}; its log lines are dropped from now on`);
  }
}
