// What the LNS says at start when a setup is unsafe as it stands: plain udp/1701 reachable from
// outside with no IPsec-policy rule in front of it (RFC 3193 §5: L2TP/IPsec MUST be protected;
// without the rule PPP and MS-CHAPv2 cross the network in clear), a TUN gateway that lets anyone
// in without authentication, secrets files other users can read (pppd's check, auth.c), and
// passwords in argv. Pure text checks plus one probe of the ruleset; the LNS command prints them.
// Related: lns.ts (the LNS command), firewall.ts (the rules these checks look for).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

/**
 * True when `ruleset` (the output of `nft list ruleset` or `iptables-save`) has a rule that ties
 * udp/`port` to an IPsec policy: nft `meta ipsec exists` / `ipsec in`, iptables `-m policy --pol ipsec`,
 * on one line with `dport PORT` (or a set containing PORT).
 */
export function ipsecPolicyCovers(ruleset: string, port: number): boolean {
  const dport = new RegExp(`dport\\s+(?:${port}\\b|\\{[^}]*\\b${port}\\b[^}]*\\})`);
  return ruleset.split('\n').some((line) => /\bipsec\b/.test(line) && dport.test(line));
}

/** Runs a ruleset lister; undefined when the program is missing, fails or takes over 2 s. */
function listRules(program: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(program, args, { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/**
 * 'covered' when nftables or iptables holds an IPsec-policy rule for udp/`port`, 'missing' when a
 * ruleset could be read and has none, 'unknown' when neither could be read (not root, no tools).
 */
export function probeIpsecPolicy(port: number): 'covered' | 'missing' | 'unknown' {
  const sets = [listRules('nft', ['list', 'ruleset']), listRules('iptables-save', [])];
  if (sets.some((s) => s !== undefined && ipsecPolicyCovers(s, port))) return 'covered';
  return sets.some((s) => s !== undefined) ? 'missing' : 'unknown';
}

/** True for 127.0.0.0/8, ::1 and the v4-mapped loopback: only local processes can reach it. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address) || address === 'localhost';
}

/** pppd's warning (auth.c check_access) when a secrets file has group or world access; undefined otherwise. */
export function secretsFileWarning(file: string): string | undefined {
  try {
    const mode = statSync(file).mode;
    return (mode & 0o077) !== 0 ? `Warning - secret file ${file} has world and/or group access` : undefined;
  } catch {
    return undefined; // missing files are reported by the loader
  }
}

/** The warnings for a start; each is one line. */
export function startWarnings(o: {
  listenAddress: string;
  port: number;
  tunMode: boolean;
  authRequired: boolean;
  argvUsers: number;
  secretsFiles: readonly string[];
  probe?: (port: number) => 'covered' | 'missing' | 'unknown';
}): string[] {
  const out: string[] = [];
  for (const f of o.secretsFiles) {
    const w = secretsFileWarning(f);
    if (w !== undefined) out.push(w);
  }
  if (o.argvUsers > 0) {
    out.push(
      '--user puts passwords on the command line, which every local user can read (ps, /proc/PID/cmdline); ' +
        'use chap-secrets (--chap-secrets FILE), a JSON config (--json-config FILE) or L2TP_TS_USERS',
    );
  }
  if (o.tunMode && !o.authRequired) {
    out.push(
      '!!! TUN mode with no authentication required (noauth): ANY peer that reaches this port gets an ' +
        'address and a route into this host; remove noauth or add require-mschap-v2 to the pppd options',
    );
  }
  if (!isLoopback(o.listenAddress)) {
    const state = (o.probe ?? probeIpsecPolicy)(o.port);
    if (state !== 'covered') {
      out.push(
        `udp/${o.port} is reachable on ${o.listenAddress} and ${state === 'missing' ? 'no' : 'no readable'} ` +
          'firewall rule admits it only under IPsec: L2TP, PPP and MS-CHAPv2 would cross the network in ' +
          `clear; run 'l2tp-ts firewall --apply${o.port === 1701 ? '' : ` --port ${o.port}`}' (RFC 3193 §5)`,
      );
    }
  }
  return out;
}
