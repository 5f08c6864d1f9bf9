// The control channel of `l2tp-ts ctl`: a Unix stream socket carrying one JSON object per line.
// Request `{"cmd": "...", "args": {...}}`, reply `{"ok": true, "result": ...}` or
// `{"ok": false, "error": "..."}`. Related: src/cli/ctl.ts (client), src/cli/lns.ts (server).
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';

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
      | 'ERR_L2TP_CONTROL_PROTOCOL',
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

/** A request or reply line longer than this closes the connection (a peer cannot make us buffer forever). */
const MAX_LINE = 1 << 20;

/** `/run/l2tp-ts/control.sock` for root, else `$XDG_RUNTIME_DIR/l2tp-ts.sock`, else `/tmp/l2tp-ts-$UID.sock`. */
export function defaultControlPath(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? -1): string {
  if (uid === 0) return '/run/l2tp-ts/control.sock';
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg !== undefined && xdg !== '') return join(xdg, 'l2tp-ts.sock');
  return `/tmp/l2tp-ts-${uid}.sock`;
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
 * Listens on `path` (mode 0600; parent created 0700 when missing) and answers each request line
 * with `handler`. A stale socket file left by a dead server is removed; a live one is refused
 * with ERR_L2TP_CONTROL_IN_USE, and a non-socket file with ERR_L2TP_CONTROL_NOT_SOCKET.
 */
export async function serveControl(path: string, handler: ControlHandler): Promise<ControlServer> {
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket())
      throw new ControlError('ERR_L2TP_CONTROL_NOT_SOCKET', `${path} exists and is not a socket`);
    if (await isLive(path)) throw new ControlError('ERR_L2TP_CONTROL_IN_USE', `another server is listening on ${path}`);
    unlinkSync(path);
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
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
