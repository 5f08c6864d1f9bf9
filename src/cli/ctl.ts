// `l2tp-ts ctl`: asks a running LNS over its control socket: status, sessions, tunnels, disconnect,
// capture (of one session or user into a pcap file).
import { resolve } from 'node:path';
import { formatHostPort } from '../core/peer-address.js';
import { controlRequest, defaultControlPath, requireControlPath } from '../io/control-socket.js';
import { formatFlags, parseArgs, UsageError } from './args.js';

const FLAGS = {
  control: {
    kind: 'string',
    help: `control socket (default ${defaultControlPath() ?? 'none: set XDG_RUNTIME_DIR or HOME'})`,
    valueName: 'PATH',
  },
  json: { kind: 'boolean', help: 'print the raw JSON reply' },
  timeout: { kind: 'int', help: 'seconds to wait for the answer (default 5)', min: 1 },
  'max-kb': {
    kind: 'int',
    help: "capture: stop at this file size (default and most: the LNS's --pcap-max-mb)",
    min: 1,
    valueName: 'KB',
  },
} as const;

export const CTL_HELP = `Usage: l2tp-ts ctl [--control PATH] [--json] COMMAND

Commands:
  status                          counts: tunnels, sessions, addresses in use, dropped datagrams
  sessions                        who is connected: ids, peer, user, address, state, uptime, traffic, drops
  tunnels                         tunnels: ids, peer, host name, state, sessions
  disconnect TUNNEL [SESSION]     clear a session (CDN) or a whole tunnel (StopCCN)
  capture session TUNNEL/SESSION SECONDS FILE
  capture user NAME SECONDS FILE  capture that session's datagrams (or the user's sessions',
                                  new ones from their ICCN on) for SECONDS (at most 3600) into
                                  FILE, a new pcap file (never overwritten, mode 0600: it holds
                                  the CHAP/PAP exchange); at most 8 at once; prints the capture id
  capture stop [ID]               end capture ID (default: all)
  capture list                    running captures and the last ones that ended, with why

Options:
${formatFlags(FLAGS)}
`;

interface SessionRow {
  tunnelId: number;
  sessionId: number;
  peer: { address: string; port: number };
  user?: string;
  address?: string;
  state: string;
  uptimeMs: number;
  counters: { rxPackets: number; rxBytes: number; txPackets: number; txBytes: number };
  /** Refused by data-path admission, per reason (spoofed-source, foreign-peer, …). */
  dropped?: Record<string, number>;
}

/** "spoofed-source=3,foreign-peer=1" for the reasons that counted anything, or "-". */
function droppedText(dropped: Record<string, number> | undefined): string {
  const parts = Object.entries(dropped ?? {})
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason}=${n}`);
  return parts.length === 0 ? '-' : parts.join(',');
}

/** Runs `l2tp-ts ctl`; returns the exit code. */
export async function runCtl(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.help) {
    process.stdout.write(CTL_HELP);
    return 0;
  }
  const [cmd, ...rest] = a._;
  if (cmd === undefined) throw new UsageError('a command is needed: status, sessions, tunnels, disconnect, capture');
  const args: Record<string, unknown> = {};
  if (cmd === 'disconnect') {
    const [tunnel, session] = rest.map(Number);
    if (tunnel === undefined || !Number.isInteger(tunnel)) throw new UsageError('disconnect TUNNEL [SESSION]');
    args.tunnel = tunnel;
    if (session !== undefined) {
      if (!Number.isInteger(session)) throw new UsageError('disconnect TUNNEL [SESSION]');
      args.session = session;
    }
  } else if (cmd === 'capture') {
    Object.assign(args, captureArgs(rest, a['max-kb']));
  } else if (!['status', 'sessions', 'tunnels'].includes(cmd)) {
    throw new UsageError(`unknown command '${cmd}'`);
  } else if (rest.length > 0) {
    throw new UsageError(`'${cmd}' takes no arguments`);
  }
  const result = await controlRequest(requireControlPath(a.control), { cmd, args }, (a.timeout ?? 5) * 1000);
  if (cmd === 'capture' && !a.json) {
    process.stdout.write(captureText(args.action as string, result));
    return 0;
  }
  if (a.json || (cmd !== 'sessions' && cmd !== 'tunnels')) {
    process.stdout.write(`${JSON.stringify(result, null, a.json ? 0 : 2)}\n`);
    return 0;
  }
  if (cmd === 'sessions') {
    const rows = result as SessionRow[];
    process.stdout.write(
      'TUNNEL SESSION PEER                  USER             ADDRESS          STATE        UPTIME  RX(pkt/B)       TX(pkt/B)       DROPPED\n',
    );
    for (const r of rows) {
      process.stdout.write(
        `${String(r.tunnelId).padEnd(7)}${String(r.sessionId).padEnd(8)}${formatHostPort(r.peer.address, r.peer.port).padEnd(23)}${(r.user ?? '-').padEnd(17)}${(r.address ?? '-').padEnd(17)}${r.state.padEnd(13)}${`${Math.round(r.uptimeMs / 1000)}s`.padEnd(8)}${`${r.counters.rxPackets}/${r.counters.rxBytes}`.padEnd(16)}${`${r.counters.txPackets}/${r.counters.txBytes}`.padEnd(16)}${droppedText(r.dropped)}\n`,
      );
    }
    return 0;
  }
  for (const t of result as {
    tunnelId: number;
    peer: { address: string; port: number };
    peerHostName?: string;
    state: string;
    sessions: number;
  }[]) {
    process.stdout.write(
      `tunnel ${t.tunnelId} peer ${formatHostPort(t.peer.address, t.peer.port)} host ${t.peerHostName ?? '-'} state ${t.state} sessions ${t.sessions}\n`,
    );
  }
  return 0;
}

const CAPTURE_USAGE =
  'capture session TUNNEL/SESSION SECONDS FILE | capture user NAME SECONDS FILE | capture stop [ID] | capture list';

/** The request of `ctl capture …`; FILE is made absolute here (the LNS has another working directory). */
function captureArgs(rest: readonly string[], maxKb: number | undefined): Record<string, unknown> {
  const [action, ...more] = rest;
  if (action === 'list' && more.length === 0) return { action: 'list' };
  if (action === 'stop' && more.length <= 1) {
    if (more[0] === undefined) return { action: 'stop' };
    const id = Number(more[0]);
    if (!Number.isInteger(id) || id < 1) throw new UsageError(`capture stop: '${more[0]}' is not a capture id`);
    return { action: 'stop', id };
  }
  if ((action === 'session' || action === 'user') && more.length === 3) {
    const [which, secondsText, file] = more as [string, string, string];
    if (action === 'session' && !/^\d+\/\d+$/.test(which))
      throw new UsageError(`capture session: '${which}' is not TUNNEL/SESSION`);
    const seconds = Number(secondsText);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600)
      throw new UsageError(`capture: SECONDS must be 1..3600, got '${secondsText}'`);
    return {
      action: 'start',
      [action]: which,
      seconds,
      file: resolve(file),
      ...(maxKb !== undefined && { maxBytes: maxKb * 1024 }),
    };
  }
  throw new UsageError(CAPTURE_USAGE);
}

interface CaptureRow {
  id: number;
  target: string;
  file: string;
  seconds: number;
  maxBytes: number;
  packets: number;
  bytes: number;
  state: string;
}

function captureText(action: string, result: unknown): string {
  if (action === 'start') {
    const c = result as CaptureRow;
    return `capture ${c.id}: ${c.target} for ${c.seconds} s into ${c.file} (at most ${c.maxBytes} octets)\n`;
  }
  if (action === 'stop') return `stopped: ${(result as { stopped: number[] }).stopped.join(' ') || 'none'}\n`;
  const rows = result as CaptureRow[];
  return rows
    .map(
      (c) =>
        `capture ${c.id} ${c.state.padEnd(12)} ${c.target} ${c.packets} packets ${c.bytes}/${c.maxBytes} octets ${c.file}\n`,
    )
    .join('');
}
