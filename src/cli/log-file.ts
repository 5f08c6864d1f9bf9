// pppd's `logfile FILE` and `logfd N` for `l2tp-ts lns`: a second copy of the log, besides stdout
// (pppd: besides syslog). Rules:
// - opened once at start, synchronously, so a path that cannot be opened is a configuration error
//   (exit 2) and not a surprise later; `logfd N` must name an open descriptor the same way;
// - written through a WriteStream (the thread pool writes; the event loop never waits for a disk),
//   with at most MAX_LOG_BACKLOG_BYTES queued: a line beyond that is dropped and counted, and a
//   "dropped" line (in the log's form, text or JSON) says how many once the backlog has room
//   again — never an unbounded buffer;
// - a write error (ENOSPC, EIO, EPIPE on a descriptor) never stops the LNS: lines are dropped and
//   counted until reopen() succeeds, and the problem is reported once;
// - reopen() (SIGHUP, after logrotate renamed the file) opens the path anew and lets the old
//   stream finish into the renamed file; if the new open fails the old stream is kept.
// Related: logger.ts (stdout, stderr and this copy), lns.ts (SIGHUP), docs/CONFIG.md "Logs".
import { constants, createWriteStream, fstatSync, openSync, type WriteStream } from 'node:fs';
import { ConfigError } from '../lns/config/config-error.js';

/**
 * Queued bytes before lines are dropped: 1 MiB is ~5,000 debug lines, seconds of a debug flood,
 * while a stuck disk or a reader that went away can cost no more than that.
 */
export const MAX_LOG_BACKLOG_BYTES = 1 << 20;

/** Where the copy goes: a file appended to, or an inherited descriptor. */
export type LogTarget = { readonly path: string } | { readonly fd: number };

/** Mode of a log file we create: it holds user names and addresses (not world-readable). */
const LOG_FILE_MODE = 0o640;

/** The second copy of the log. */
export class LogFile {
  /** Lines not written: backlog full, or the file failing. */
  dropped = 0;
  private stream: WriteStream | undefined;
  /** Dropped since the last "dropped" line. */
  private unreported = 0;
  private failing = false;

  private constructor(
    private readonly target: LogTarget,
    /** Told once per failure (then once more after each reopen that fails again). */
    private readonly onProblem: (message: string) => void,
    private readonly maxBacklog: number,
    /** The line that says how many were dropped (in the log's form: text or JSON). */
    private readonly droppedLine: (count: number) => string,
  ) {}

  /** Opens the target now; throws ConfigError (exit 2) when it cannot be opened. */
  static open(
    target: LogTarget,
    onProblem: (message: string) => void,
    maxBacklog = MAX_LOG_BACKLOG_BYTES,
    droppedLine: (count: number) => string = (n) => `log: ${n} line(s) dropped (log file backlog full or failing)\n`,
  ): LogFile {
    const f = new LogFile(target, onProblem, maxBacklog, droppedLine);
    if ('path' in target) {
      f.stream = f.streamOn(
        openFile(target.path, (why) => new ConfigError(target.path, 0, `logfile: ${why}`)),
        true,
      );
    } else {
      try {
        fstatSync(target.fd);
      } catch (e) {
        throw new ConfigError(`fd ${target.fd}`, 0, `logfd ${target.fd}: not an open descriptor (${errorCode(e)})`);
      }
      f.stream = f.streamOn(target.fd, false);
    }
    return f;
  }

  /** Where the copy goes, for messages. */
  get name(): string {
    return 'path' in this.target ? this.target.path : `fd ${this.target.fd}`;
  }

  /** Bytes queued, not yet written. */
  get backlog(): number {
    return this.stream?.writableLength ?? 0;
  }

  /** Appends one line (with its newline); drops it when the backlog is full or the file failed. */
  write(line: string): void {
    const s = this.stream;
    if (s === undefined || s.writableLength >= this.maxBacklog) {
      this.dropped++;
      this.unreported++;
      return;
    }
    if (this.unreported > 0) {
      s.write(this.droppedLine(this.unreported));
      this.unreported = 0;
    }
    s.write(line);
  }

  /**
   * Opens the path anew (logrotate renamed it): new lines go to the new file, queued ones finish
   * into the old. Returns why it failed (the old stream stays), or undefined. No-op for a descriptor.
   */
  reopen(): string | undefined {
    if (!('path' in this.target)) return undefined;
    let fd: number;
    try {
      fd = openFile(this.target.path, (why) => new Error(why));
    } catch (e) {
      return (e as Error).message;
    }
    const old = this.stream;
    this.failing = false;
    this.stream = this.streamOn(fd, true);
    old?.end();
    return undefined;
  }

  /** Flushes what is queued and closes (a descriptor given by `logfd` stays open). */
  close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    if (s === undefined || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.once('finish', () => resolve());
      s.end();
    });
  }

  private streamOn(fd: number, autoClose: boolean): WriteStream {
    const s = createWriteStream('', { fd, autoClose, flags: 'a' });
    s.on('error', (e) => {
      if (this.stream === s) this.stream = undefined;
      if (this.failing) return;
      this.failing = true;
      this.onProblem(`log file ${this.name}: ${errorCode(e)}; lines are dropped until SIGHUP reopens it`);
    });
    return s;
  }
}

/** open(2) for appending, created with LOG_FILE_MODE; `fail` turns the reason into the error thrown. */
function openFile(path: string, fail: (why: string) => Error): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, LOG_FILE_MODE);
  } catch (e) {
    throw fail(`cannot open for appending (${errorCode(e)})`);
  }
}

function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}
