// The control channel of `l2tp-ts ctl`: a Unix stream socket carrying one JSON object per line.
// Request `{"cmd": "...", "args": {...}}`, reply `{"ok": true, "result": ...}` or
// `{"ok": false, "error": "..."}`. Related: src/cli/ctl.ts (client), src/cli/lns.ts (server).
//
// Who may ask (issue 9, "local surface"): the socket lives in a directory nobody else can write
// (created 0700), is created under umask 0177 so it is never connectable by others even for an
// instant, and every connection's peer uid is read with SO_PEERCRED and must be root or the LNS's
// own uid. Any one of the three would stop another local user; the three together also hold when
// an operator points --control into a shared directory.
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { loadLibc } from './libc.js';

/** One control request. */
export interface ControlRequest {
  readonly cmd: string;
  readonly args: Record<string, unknown>;
}

/** Answers one request; a throw (or rejection) becomes `{ok: false, error: message}`. */
export type ControlHandler = (req: ControlRequest) => Promise<unknown> | unknown;

/** A listening control server. */
export interface ControlServer {
  readonly path: string;
  /** Stops listening, ends open connections and removes the socket file. */
  close(): Promise<void>;
}

/** Thrown by serveControl/controlRequest; `code` is permanent, the message may change. */
export class ControlError extends Error {
  constructor(
    readonly code:
      | 'ERR_L2TP_CONTROL_IN_USE'
      | 'ERR_L2TP_CONTROL_NOT_SOCKET'
      | 'ERR_L2TP_CONTROL_TIMEOUT'
      | 'ERR_L2TP_CONTROL_REMOTE'
      | 'ERR_L2TP_CONTROL_PROTOCOL'
      | 'ERR_L2TP_CONTROL_UNSAFE_DIR'
      | 'ERR_L2TP_CONTROL_NO_PATH',
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

/** A request or reply line longer than this closes the connection (a peer cannot make us buffer forever). */
const MAX_LINE = 1 << 20;

/**
 * Where `lns` listens and `ctl` connects without --control, always inside a directory only its
 * owner can enter: `/run/l2tp-ts/control.sock` for root, `$XDG_RUNTIME_DIR/l2tp-ts/control.sock`
 * (the per-user runtime directory, 0700 by definition), else `$HOME/.l2tp-ts/control.sock`.
 * Undefined when none of them exists: a predictable path in a shared directory (/tmp) could be
 * squatted by another user, so there is no such fallback.
 */
export function defaultControlPath(
  env: NodeJS.ProcessEnv = process.env,
  uid = process.getuid?.() ?? -1,
): string | undefined {
  if (uid === 0) return '/run/l2tp-ts/control.sock';
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg?.startsWith('/')) return join(xdg, 'l2tp-ts', 'control.sock');
  const home = env['HOME'];
  if (home?.startsWith('/') && home !== '/') return join(home, '.l2tp-ts', 'control.sock');
  return undefined;
}

/** defaultControlPath(), or ERR_L2TP_CONTROL_NO_PATH saying what to do. */
export function requireControlPath(explicit: string | undefined): string {
  const path = explicit ?? defaultControlPath();
  if (path === undefined)
    throw new ControlError(
      'ERR_L2TP_CONTROL_NO_PATH',
      'no private directory for the control socket (set XDG_RUNTIME_DIR or HOME, or give --control PATH)',
    );
  return path;
}

/**
 * Creates `dir` (0700) when missing; refuses one that another user could write into: a symlink,
 * not a directory, owned by someone other than us or root, or group/world-writable without the
 * sticky bit. A directory of ours that others may enter is tightened to 0700 when `tighten`.
 */
function prepareDirectory(dir: string, tighten: boolean): void {
  const me = process.getuid?.() ?? 0;
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const unsafe = (why: string) => new ControlError('ERR_L2TP_CONTROL_UNSAFE_DIR', `${dir}: ${why}`);
  if (!st.isDirectory()) throw unsafe('not a directory (a symbolic link is refused too)');
  if (st.uid !== me && st.uid !== 0) throw unsafe(`owned by uid ${st.uid}, not by us (${me}) or root`);
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
    throw unsafe(`writable by other users (mode ${(st.mode & 0o7777).toString(8)}) and not sticky`);
  if (tighten && st.uid === me && (st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** SOL_SOCKET / SO_PEERCRED (asm-generic/socket.h); struct ucred is { pid, uid, gid }, 3 × 4 octets. */
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

/**
 * The uid of the process at the other end of a Unix socket (SO_PEERCRED), or undefined where it
 * cannot be read (no koffi / not Linux): then the directory and the socket mode are the only guard.
 */
function peerUid(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  try {
    const libc = loadLibc();
    const block = libc.alloc(16);
    try {
      block.view.setUint32(12, 12, true);
      if (libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, block.base, block.base + 12) !== 0) return undefined;
      return block.view.getUint32(4, true);
    } finally {
      block.free();
    }
  } catch {
    return undefined;
  }
}

/** Options of serveControl. */
export interface ServeControlOptions {
  /** Uids allowed to connect besides root (default: our own). */
  readonly allowedUids?: readonly number[];
  /** The path is the default one: its directory is ours alone and is tightened to 0700. */
  readonly privateDirectory?: boolean;
  /** A connection was refused (for one log line). */
  readonly onRefused?: (uid: number) => void;
}

/** Splits a stream into lines; false from onLine or an over-long line ends the stream. */
function lineReader(socket: Socket, onLine: (line: string) => void): void {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim() !== '') onLine(line);
    }
    if (pending.length > MAX_LINE) socket.destroy();
  });
}

/** True when something accepts connections on `path` (a live server, not a stale file). */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Listens on `path` (mode 0600, created so under umask 0177; parent checked by prepareDirectory)
 * and answers each request line with `handler`, for connections from root or `allowedUids` only.
 * A stale socket file left by a dead server is removed; a live one is refused with
 * ERR_L2TP_CONTROL_IN_USE, and a non-socket file with ERR_L2TP_CONTROL_NOT_SOCKET.
 */
export async function serveControl(
  path: string,
  handler: ControlHandler,
  options: ServeControlOptions = {},
): Promise<ControlServer> {
  prepareDirectory(dirname(path), options.privateDirectory ?? false);
  const allowed = new Set([0, ...(options.allowedUids ?? [process.getuid?.() ?? 0])]);
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket())
      throw new ControlError('ERR_L2TP_CONTROL_NOT_SOCKET', `${path} exists and is not a socket`);
    if (await isLive(path)) throw new ControlError('ERR_L2TP_CONTROL_IN_USE', `another server is listening on ${path}`);
    unlinkSync(path);
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const uid = peerUid(socket);
    if (uid !== undefined && !allowed.has(uid)) {
      options.onRefused?.(uid);
      socket.on('error', () => socket.destroy());
      socket.resume();
      socket.end(`${JSON.stringify({ ok: false, error: `permission denied for uid ${uid}` })}\n`);
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // Replies go out in request order even when handlers finish out of order.
    let chain = Promise.resolve();
    lineReader(socket, (line) => {
      const answer = answerLine(line, handler);
      chain = chain.then(async () => {
        const reply = await answer;
        if (!socket.destroyed) socket.write(`${reply}\n`);
      });
    });
  });
  // The socket file is born 0600: no window between listen() and chmod() for another user. The
  // bind happens synchronously inside listen(), so the umask is ours for that call only.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
  chmodSync(path, 0o600);
  let closed = false;
  return {
    path,
    close(): Promise<void> {
      if (closed) return Promise.resolve();
      closed = true;
      for (const s of sockets) s.destroy();
      // net.Server removes its Unix socket file on close.
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function answerLine(line: string, handler: ControlHandler): Promise<string> {
  let req: ControlRequest;
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v !== 'object' || v === null || typeof (v as { cmd?: unknown }).cmd !== 'string') {
      return JSON.stringify({ ok: false, error: 'bad request: expected {"cmd": string, "args": object}' });
    }
    const args = (v as { args?: unknown }).args;
    req = {
      cmd: (v as { cmd: string }).cmd,
      args: typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {},
    };
  } catch {
    return JSON.stringify({ ok: false, error: 'bad request: not JSON' });
  }
  try {
    const result = await handler(req);
    return JSON.stringify({ ok: true, result: result ?? null });
  } catch (err) {
    return JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * Sends one request to the server at `path` and resolves with its `result`. Rejects with the
 * connect error (ENOENT/ECONNREFUSED: no server), ControlError ERR_L2TP_CONTROL_REMOTE (the
 * handler failed; message = its error), ERR_L2TP_CONTROL_TIMEOUT or ERR_L2TP_CONTROL_PROTOCOL.
 */
export function controlRequest(
  path: string,
  req: { cmd: string; args?: Record<string, unknown> },
  timeoutMs = 5000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new ControlError('ERR_L2TP_CONTROL_TIMEOUT', `no reply from ${path} within ${timeoutMs} ms`)),
        ),
      timeoutMs,
    );
    socket.once('error', (err) => finish(() => reject(err)));
    socket.once('close', () =>
      finish(() =>
        reject(new ControlError('ERR_L2TP_CONTROL_PROTOCOL', `${path} closed the connection without a reply`)),
      ),
    );
    socket.once('connect', () => socket.write(`${JSON.stringify({ cmd: req.cmd, args: req.args ?? {} })}\n`));
    lineReader(socket, (line) => {
      let reply: { ok?: unknown; result?: unknown; error?: unknown };
      try {
        reply = JSON.parse(line) as typeof reply;
      } catch {
        finish(() => reject(new ControlError('ERR_L2TP_CONTROL_PROTOCOL', 'reply is not JSON')));
        return;
      }
      if (reply.ok === true) finish(() => resolve(reply.result));
      else finish(() => reject(new ControlError('ERR_L2TP_CONTROL_REMOTE', String(reply.error ?? 'request failed'))));
    });
  });
}
