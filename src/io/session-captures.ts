// `l2tp-ts ctl capture`: captures of one session or of one user's sessions for N seconds into a
// pcap file, next to (and independent of) `lns --pcap`. Bounded in number, duration and size; the
// file is created, never opened (O_EXCL, no symlink followed) and 0600, since it holds the
// CHAP/PAP exchange. Related: capture-selector.ts (which datagrams), pcap-writer.ts, create-lns.ts.
import { isAbsolute } from 'node:path';
import type { PeerAddress } from '../core/engine.js';
import type { SessionHandle } from '../l2tp/types.js';
import type { LnsEvent } from '../lns/lns.js';
import { CaptureSelector, type CaptureSessionRow } from './capture-selector.js';
import { PcapWriter } from './pcap-writer.js';
import type { DatagramTap } from './udp-driver.js';

/**
 * Captures at once. Each holds a file descriptor and a 64 KiB buffer, and while any runs every
 * datagram of the LNS pays a header read and a lookup: 8 is plenty for an operator looking at a
 * few users and keeps a forgotten script from piling up open files.
 */
export const MAX_CAPTURES = 8;
/** Longest capture, seconds: one that is forgotten still ends within the hour. */
export const MAX_CAPTURE_SECONDS = 3600;
/** Ended captures `ctl capture list` still shows (with why they ended). */
const KEPT_ENDED = 8;
/** Smallest size bound accepted: the file header and a few records. */
const MIN_CAPTURE_BYTES = 1024;

/** What a capture follows. */
export type CaptureTarget =
  | { readonly kind: 'session'; readonly tunnelId: number; readonly sessionId: number }
  | { readonly kind: 'user'; readonly user: string };

/** Why a capture ended: its time ran out, its size bound, `ctl capture stop`, its session ended, the LNS closed. */
export type CaptureEnd = 'time' | 'full' | 'stopped' | 'session-down' | 'closed';

/** One capture, as `ctl capture list` shows it. */
export interface CaptureInfo {
  readonly id: number;
  /** "session 3/7" or "user alice". */
  readonly target: string;
  readonly file: string;
  readonly seconds: number;
  readonly maxBytes: number;
  readonly packets: number;
  readonly bytes: number;
  /** 'running', or why it ended. */
  readonly state: 'running' | CaptureEnd;
}

/** Options of SessionCaptures. */
export interface SessionCapturesOptions {
  /** Our address and port, as written in the records. */
  readonly local: PeerAddress;
  /** The session of our (Tunnel ID, Session ID), O(1). */
  readonly lookup: (tunnelId: number, sessionId: number) => SessionHandle | undefined;
  /** The sessions that exist now, with their users if known (read once per user capture). */
  readonly sessions: () => Iterable<CaptureSessionRow>;
  /** Size bound of each capture and the largest one a request may ask for (default 100 MiB, as --pcap-max-mb). */
  readonly maxBytes?: number;
  /** The tap to install: the selector's while a capture runs, undefined when none does. */
  readonly onTap: (tap: DatagramTap | undefined) => void;
  readonly onStart?: (info: CaptureInfo) => void;
  readonly onEnd?: (info: CaptureInfo, reason: CaptureEnd) => void;
  /** Wall clock ms for the records (default Date.now). */
  readonly clock?: () => number;
}

/** A capture request (the `ctl capture` arguments, checked by start()). */
export interface CaptureRequest {
  readonly target: CaptureTarget;
  readonly seconds: number;
  /** An absolute path; the file must not exist. */
  readonly file: string;
  /** At most the LNS's bound; default it. */
  readonly maxBytes?: number;
}

interface Running {
  readonly id: number;
  readonly target: CaptureTarget;
  readonly file: string;
  readonly seconds: number;
  readonly maxBytes: number;
  readonly writer: PcapWriter;
  readonly timer: NodeJS.Timeout;
}

function targetText(t: CaptureTarget): string {
  return t.kind === 'session' ? `session ${t.tunnelId}/${t.sessionId}` : `user ${t.user}`;
}

/** The `ctl capture` captures of one LNS. */
export class SessionCaptures {
  private readonly selector: CaptureSelector;
  private readonly running = new Map<number, Running>();
  private readonly ended: CaptureInfo[] = [];
  private readonly maxBytes: number;
  private readonly tap: DatagramTap;
  private flushTimer: NodeJS.Timeout | undefined;
  private nextId = 1;

  constructor(private readonly opts: SessionCapturesOptions) {
    this.maxBytes = opts.maxBytes ?? 100 * 1024 * 1024;
    this.selector = new CaptureSelector(opts.local, opts.lookup, opts.clock ?? Date.now);
    const selector = this.selector;
    this.tap = (bytes, peer, direction) => selector.onDatagram(bytes, peer, direction);
  }

  /** Starts a capture; throws an Error whose message says why not (shown by `ctl`). */
  start(req: CaptureRequest): CaptureInfo {
    const { target, seconds, file } = req;
    if (this.running.size >= MAX_CAPTURES)
      throw new Error(`${MAX_CAPTURES} captures are running already (ctl capture stop ID ends one)`);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_CAPTURE_SECONDS)
      throw new Error(`capture seconds must be 1..${MAX_CAPTURE_SECONDS}, got ${String(seconds)}`);
    if (typeof file !== 'string' || !isAbsolute(file)) throw new Error('capture file must be an absolute path');
    const maxBytes = req.maxBytes ?? this.maxBytes;
    if (!Number.isInteger(maxBytes) || maxBytes < MIN_CAPTURE_BYTES || maxBytes > this.maxBytes)
      throw new Error(`capture size bound must be ${MIN_CAPTURE_BYTES}..${this.maxBytes} octets`);
    if (target.kind === 'user' && (typeof target.user !== 'string' || target.user === '' || target.user.length > 253))
      throw new Error('capture user must be a name of 1..253 characters');
    if (target.kind === 'session' && this.opts.lookup(target.tunnelId, target.sessionId) === undefined)
      throw new Error(`no session ${target.tunnelId}/${target.sessionId}`);
    const id = this.nextId;
    let writer: PcapWriter;
    try {
      writer = new PcapWriter(file, {
        maxBytes,
        exclusive: true,
        onFull: () => this.end(id, 'full'),
        ...(this.opts.clock !== undefined && { clock: this.opts.clock }),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ELOOP')
        throw new Error(`${file} exists: a capture never overwrites a file or follows a link`);
      throw new Error(`cannot create ${file}: ${code ?? String(e)}`);
    }
    this.nextId++;
    const timer = setTimeout(() => this.end(id, 'time'), seconds * 1000);
    timer.unref();
    const r: Running = { id, target, file, seconds, maxBytes, writer, timer };
    this.running.set(id, r);
    if (target.kind === 'session') this.selector.addSession(writer, target.tunnelId, target.sessionId);
    else this.selector.addUser(writer, target.user, this.opts.sessions());
    if (this.running.size === 1) {
      this.opts.onTap(this.tap);
      // Flushed once a second, so a reader (tshark -r, Wireshark) sees the file grow.
      this.flushTimer = setInterval(() => {
        for (const x of this.running.values()) x.writer.flush();
      }, 1000);
      this.flushTimer.unref();
    }
    const info = this.info(r, 'running');
    this.opts.onStart?.(info);
    return info;
  }

  /** Ends capture `id`, or every capture; returns the ids ended. */
  stop(id?: number): number[] {
    const ids = id === undefined ? [...this.running.keys()] : this.running.has(id) ? [id] : [];
    for (const x of ids) this.end(x, 'stopped');
    return ids;
  }

  /** Running captures, then the last few that ended. */
  list(): CaptureInfo[] {
    return [...[...this.running.values()].map((r) => this.info(r, 'running')), ...this.ended];
  }

  /** True while a capture runs. */
  get active(): boolean {
    return this.running.size > 0;
  }

  /** Every LNS event: users become known, sessions end (a session capture ends with its session). */
  observe(e: LnsEvent): void {
    if (this.running.size === 0) return;
    this.selector.onEvent(e);
    if (e.type !== 'session-down') return;
    for (const r of [...this.running.values()]) {
      if (r.target.kind === 'session' && r.target.tunnelId === e.tunnelId && r.target.sessionId === e.sessionId)
        this.end(r.id, 'session-down');
    }
  }

  /** Ends every capture (the LNS is closing). */
  close(): void {
    for (const id of [...this.running.keys()]) this.end(id, 'closed');
  }

  private end(id: number, reason: CaptureEnd): void {
    const r = this.running.get(id);
    if (r === undefined) return;
    this.running.delete(id);
    clearTimeout(r.timer);
    this.selector.remove(r.writer);
    r.writer.close();
    if (this.running.size === 0) {
      this.opts.onTap(undefined);
      clearInterval(this.flushTimer);
      this.flushTimer = undefined;
    }
    const info = this.info(r, reason);
    this.ended.unshift(info);
    this.ended.length = Math.min(this.ended.length, KEPT_ENDED);
    this.opts.onEnd?.(info, reason);
  }

  private info(r: Running, state: CaptureInfo['state']): CaptureInfo {
    return {
      id: r.id,
      target: targetText(r.target),
      file: r.file,
      seconds: r.seconds,
      maxBytes: r.maxBytes,
      packets: r.writer.packets,
      bytes: r.writer.bytes,
      state,
    };
  }
}
