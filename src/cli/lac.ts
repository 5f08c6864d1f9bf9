// `l2tp-ts lac`: dial an LNS, bring up T tunnels × N sessions with full PPP, optionally ping
// through each, print what came up, and exit 0 only when everything did.

import type { AuthMethodName } from '../chap/methods.js';
import { formatHostPort } from '../core/peer-address.js';
import { monotonicNow } from '../io/clock.js';
import { createLac } from '../io/create-lac.js';
import { checkRoutes } from '../io/lac-tun.js';
import type { LacEvent } from '../lac/lac.js';
import { DIAL_FLAGS, dialCredentials, formatFlags, parseArgs, parseHostPort, UsageError } from './args.js';

const FLAGS = {
  ...DIAL_FLAGS,
  secret: { kind: 'string', help: 'L2TP tunnel secret (tunnel authentication and hidden AVPs)' },
  hidden: { kind: 'boolean', help: 'hide AVPs (needs --secret)' },
  sequencing: {
    kind: 'boolean',
    help: 'ask for sequenced data (Sequencing Required in ICCN): both sides send Ns on every data message (RFC 2661 §5.4)',
  },
  tunnels: { kind: 'int', help: 'tunnels to open (default 1)', min: 1, max: 10000 },
  sessions: { kind: 'int', help: 'sessions per tunnel (default 1)', min: 1, max: 65535 },
  ping: { kind: 'boolean', help: 'ping the IPCP peer address through every session' },
  hold: { kind: 'int', help: 'keep the sessions up this many seconds before hanging up', min: 0, valueName: 'SECONDS' },
  timeout: { kind: 'int', help: 'give up after this many seconds (default 30)', min: 1, valueName: 'SECONDS' },
  'host-name': { kind: 'string', help: 'Host Name AVP (default l2tp-ts-lac)' },
  tun: {
    kind: 'boolean',
    help: "root: put each session's address on a TUN device and route through the tunnel, so the host's own traffic runs over L2TP (like pppd for an xl2tpd client); implies holding the sessions until SIGINT/SIGTERM unless --hold is given",
  },
  'tun-name': {
    kind: 'string',
    help: 'TUN interface name or template (default l2tpc%d); implies --tun',
    valueName: 'NAME',
  },
  route: {
    kind: 'list',
    help: 'with --tun: route CIDR through the tunnel (repeatable; default: the LNS-side address as a /32, like pppd without defaultroute)',
    valueName: 'CIDR',
  },
  json: { kind: 'boolean', help: 'print one JSON object instead of lines' },
  debug: { kind: 'boolean', help: 'print pppd-style packet lines' },
} as const;

export const LAC_HELP = `Usage: l2tp-ts lac --server HOST[:PORT] --user U --password P [options]

Opens tunnels and sessions to an LNS with full LCP, authentication and IPCP.
Exit code 0 only when every session came up (and pinged, with --ping).

Options:
${formatFlags(FLAGS)}
`;

/** Output of one session in --json. */
interface SessionResult {
  tunnelId: number;
  sessionId: number;
  auth?: string;
  address?: string;
  peerAddress?: string;
  dns: readonly string[];
  pingOk?: boolean;
  setupMs?: number;
  error?: string;
}

/** Runs `l2tp-ts lac`; returns the exit code. */
export async function runLac(argv: readonly string[], out = process.stdout, err = process.stderr): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  if (a.help) {
    out.write(LAC_HELP);
    return 0;
  }
  if (a._.length > 0) throw new UsageError(`unexpected argument '${a._[0]}'`);
  const { server: serverText, fallbackServers, user, password } = dialCredentials(a);
  if (a.hidden && a.secret === undefined) throw new UsageError('--hidden needs --secret');
  const server = parseHostPort(serverText, 1701);
  const tunnels = a.tunnels ?? 1;
  const perTunnel = a.sessions ?? 1;
  const total = tunnels * perTunnel;
  const secret = a.secret === undefined ? undefined : new TextEncoder().encode(a.secret);
  const useTun = a.tun === true || a['tun-name'] !== undefined;
  if (a.route !== undefined && !useTun) throw new UsageError('--route needs --tun');
  try {
    checkRoutes(a.route ?? []);
  } catch (e) {
    throw new UsageError(`--route: ${(e as Error).message}`);
  }

  const lac = await createLac({
    server,
    fallbackServers: fallbackServers.map((s) => parseHostPort(s, 1701)),
    user,
    password,
    auth: a.auth === undefined ? undefined : [a.auth as AuthMethodName],
    hostName: a['host-name'],
    tunnels,
    sessionsPerTunnel: perTunnel,
    pppDebug: a.debug,
    sequencing: a.sequencing === true,
    endpoint: {
      tunnelSecret: secret === undefined ? undefined : () => secret,
      challengePeer: secret !== undefined,
      hideAvps: a.hidden === true,
    },
    tun: useTun ? { name: a['tun-name'], routes: a.route } : undefined,
  });
  if (lac.tun !== undefined && !a.json) out.write(`tun ${lac.tun.device.name} open\n`);
  const results = new Map<string, SessionResult>();
  const key = (e: { tunnelId: number; sessionId: number }): string => `${e.tunnelId}/${e.sessionId}`;
  let failures = 0;
  let tunnelsDown = 0;
  const errors: string[] = [];
  const say = (line: string): void => {
    if (!a.json) out.write(`${line}\n`);
  };
  lac.on('*', (e: LacEvent) => {
    switch (e.type) {
      case 'tunnel-up':
        say(`tunnel ${e.tunnelId} up to ${formatHostPort(e.peer.address, e.peer.port)}`);
        break;
      case 'tunnel-redirected':
        say(
          `tunnel ${e.tunnelId} refused by ${formatHostPort(e.from.address, e.from.port)} (2/7 try another): tunnel ${e.newTunnelId} to ${formatHostPort(e.to.address, e.to.port)}`,
        );
        break;
      case 'tunnel-down':
        tunnelsDown++;
        // A tunnel refused or lost before its calls were placed fails all of them.
        if (![...results.values()].some((r) => r.tunnelId === e.tunnelId)) {
          failures += perTunnel;
          errors.push(
            `tunnel ${e.tunnelId}: result ${e.resultCode}${e.errorCode ? `/${e.errorCode}` : ''} ${e.message ?? ''}`.trim(),
          );
        }
        say(
          `tunnel ${e.tunnelId} down: result ${e.resultCode}${e.errorCode ? `/${e.errorCode}` : ''} ${e.message ?? ''}`,
        );
        break;
      case 'session-up':
        results.set(key(e), {
          tunnelId: e.tunnelId,
          sessionId: e.sessionId,
          auth: e.auth,
          address: e.address,
          peerAddress: e.peerAddress,
          dns: e.dns,
          setupMs: Math.round(e.setupMs),
        });
        say(
          `session ${key(e)} up: ${e.address} peer ${e.peerAddress} dns [${e.dns.join(' ')}] auth ${e.auth ?? 'none'} in ${Math.round(e.setupMs)} ms`,
        );
        break;
      case 'auth-failed':
        failures++;
        results.set(key(e), {
          tunnelId: e.tunnelId,
          sessionId: e.sessionId,
          dns: [],
          error: `auth failed: ${e.reason}`,
        });
        say(`session ${key(e)} authentication failed: ${e.reason}`);
        break;
      case 'session-down': {
        const r = results.get(key(e));
        if (r === undefined) {
          failures++;
          results.set(key(e), { tunnelId: e.tunnelId, sessionId: e.sessionId, dns: [], error: e.reason });
        }
        say(`session ${key(e)} down: ${e.reason}`);
        break;
      }
      case 'log':
        if (a.debug) err.write(`[${key(e)}] ${e.text}\n`);
        break;
      default:
        break;
    }
  });

  const deadline = monotonicNow() + (a.timeout ?? 30) * 1000;
  const upCount = (): number => [...results.values()].filter((r) => r.address !== undefined).length;
  while (monotonicNow() < deadline && upCount() + failures < total) {
    await new Promise((r) => setTimeout(r, 20));
    if (tunnelsDown >= tunnels) break; // every tunnel failed or was cleared: nothing more will come up
  }
  if (a.ping) {
    await Promise.all(
      [...lac.engine.sessions.values()].map(async (s) => {
        const r = results.get(key(s.handle));
        if (r?.address === undefined) return;
        try {
          await lac.ping(s, 3000);
          r.pingOk = true;
        } catch {
          r.pingOk = false;
        }
        say(`session ${key(s.handle)} ping ${r.pingOk ? 'ok' : 'failed'}`);
      }),
    );
  }
  // Hold the sessions, but not past the moment the LNS has cleared every tunnel (StopCCN).
  // --tun without --hold: hold until SIGINT/SIGTERM, as pppd would.
  const holdUntil = monotonicNow() + (a.hold ?? (useTun ? Number.POSITIVE_INFINITY : 0)) * 1000;
  let signalled = false;
  const onSignal = (): void => {
    signalled = true;
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  while (monotonicNow() < holdUntil && tunnelsDown < tunnels && !signalled) {
    await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, holdUntil - monotonicNow()))));
  }
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  await lac.close();

  const sessions = [...results.values()].sort((x, y) => x.tunnelId - y.tunnelId || x.sessionId - y.sessionId);
  const ok =
    sessions.filter((s) => s.address !== undefined).length === total &&
    (!a.ping || sessions.every((s) => s.pingOk === true));
  if (a.json) out.write(`${JSON.stringify({ ok, sessions, ...(errors.length > 0 && { errors }) })}\n`);
  else say(ok ? `all ${total} sessions up` : `${upCount()} of ${total} sessions up`);
  return ok ? 0 : 1;
}
