// `l2tp-ts firewall`: the rule set that lets L2TP in only under IPsec (RFC 3193 §5: L2TP/IPsec
// MUST be protected; plain udp/1701 would carry PPP and MS-CHAPv2 in clear). Pure text builders
// plus a testable entry point. Related: ipsec-config.ts, docs/CONFIG.md, DESIGN.md (IPsec).
import { formatFlags, parseArgs, UsageError } from './args.js';

/** Which firewall front end to write for. */
export type FirewallForm = 'nft' | 'iptables' | 'iptables-legacy' | 'openwrt';

/** Where the OpenWrt form's fw4 include goes (the UCI `config include` names this path). */
export const OPENWRT_INCLUDE_PATH = '/etc/l2tp-ts/l2tp-ipsec.nft';
/** The line that separates the two files of the OpenWrt form. */
export const OPENWRT_INCLUDE_MARKER = `# ---- ${OPENWRT_INCLUDE_PATH} ----`;

/** What to open: the L2TP port (udp, default 1701) and the name of our own table/chain. */
export interface FirewallOptions {
  readonly form: FirewallForm;
  readonly port?: number;
  /** nft table (inet family) or iptables chain; default `l2tp_ts` / `L2TP_TS`. */
  readonly name?: string;
}

/** One command for iptables: argv after the program; `mayFail` for "create if missing". */
export interface FirewallCommand {
  readonly program: string;
  readonly args: readonly string[];
  readonly mayFail?: boolean;
  /** Run only when this check command fails (iptables -C … then -I …). */
  readonly unless?: readonly string[];
}

/** The injected side of the command: output and, for --apply, a process runner. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  exec?(
    program: string,
    args: readonly string[],
    input?: string,
  ): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>;
}

/**
 * The rules: accept ESP (IP 50) and AH (51), IKE udp/500 and NAT-T udp/4500, udp/PORT only when it
 * arrived under an IPsec policy (nft `meta ipsec exists`, iptables `-m policy --dir in --pol ipsec`),
 * and drop every other udp/PORT. nft: one self-contained `inet` table, replaced atomically by
 * `nft -f`. iptables: a shell script that fills our own chain and jumps to it from INPUT once.
 */
export function firewallRules(opts: FirewallOptions): string {
  const port = opts.port ?? 1701;
  if (opts.form === 'openwrt') return openwrtRules(port);
  if (opts.form === 'nft') {
    const table = opts.name ?? 'l2tp_ts';
    // "table …; delete table …" first: makes the file idempotent on nft < 1.0.8 (no `destroy`).
    return [
      `# l2tp-ts: L2TP (udp/${port}) only under IPsec. Load with: nft -f FILE`,
      `table inet ${table}`,
      `delete table inet ${table}`,
      `table inet ${table} {`,
      '  chain input {',
      // Priority filter - 10: runs before the distribution's own input chain.
      '    type filter hook input priority filter - 10; policy accept;',
      '    meta l4proto esp accept comment "IPsec ESP (IP protocol 50)"',
      '    meta l4proto ah accept comment "IPsec AH (IP protocol 51)"',
      '    udp dport { 500, 4500 } accept comment "IKE and NAT-T"',
      `    udp dport ${port} meta ipsec exists accept comment "L2TP decapsulated from ESP"`,
      `    udp dport ${port} counter drop comment "plain L2TP: refused"`,
      '  }',
      '}',
      '',
    ].join('\n');
  }
  const lines = [
    '#!/bin/sh',
    `# l2tp-ts: L2TP (udp/${port}) only under IPsec (${opts.form}).`,
    'set -e',
    ...iptablesCommands(opts).map(renderShell),
    '',
  ];
  return lines.join('\n');
}

/**
 * The OpenWrt how-to's firewall in fw4's own terms: UCI sections to append to /etc/config/firewall
 * (ESP, AH, IKE and NAT-T from wan; a `vpn` zone for the l2tp-ts TUN devices with forwardings
 * to and from lan and to wan), and an nftables include that fw4 inserts at the head of its
 * `input_wan` chain: udp/PORT accepted only under an IPsec policy, plain udp/PORT dropped. UCI
 * rules cannot match an IPsec policy, which is why the include exists. fw4's wan input policy is
 * REJECT, so without the include L2TP would not get in at all; with it, only under ESP.
 */
function openwrtRules(port: number): string {
  const rule = (name: string, opts: readonly string[]) => [
    'config rule',
    `\toption name '${name}'`,
    "\toption src 'wan'",
    ...opts.map((o) => `\t${o}`),
    "\toption target 'ACCEPT'",
    '',
  ];
  return [
    `# l2tp-ts: L2TP (udp/${port}) only under IPsec, for OpenWrt's fw4.`,
    '# ---- append to /etc/config/firewall, then: fw4 reload (or /etc/init.d/firewall reload) ----',
    ...rule('Allow-IPsec-ESP', ["option proto 'esp'"]),
    ...rule('Allow-IPsec-AH', ["option proto 'ah'"]),
    ...rule('Allow-IPsec-IKE', ["option proto 'udp'", "option dest_port '500 4500'"]),
    'config include',
    "\toption type 'nftables'",
    `\toption path '${OPENWRT_INCLUDE_PATH}'`,
    "\toption position 'chain-pre'",
    "\toption chain 'input_wan'",
    '',
    'config zone',
    "\toption name 'vpn'",
    "\toption input 'ACCEPT'",
    "\toption output 'ACCEPT'",
    "\toption forward 'ACCEPT'",
    "\tlist device 'l2tpts+'",
    "\tlist device 'ppp+'",
    '',
    ...[
      ['vpn', 'lan'],
      ['lan', 'vpn'],
      ['vpn', 'wan'],
    ].flatMap(([src, dest]) => ['config forwarding', `\toption src '${src}'`, `\toption dest '${dest}'`, '']),
    OPENWRT_INCLUDE_MARKER,
    `udp dport ${port} meta ipsec exists counter accept comment "L2TP decapsulated from ESP"`,
    `udp dport ${port} counter drop comment "plain L2TP: refused"`,
    '',
  ].join('\n');
}

/** The iptables form as commands (what --apply runs and the script prints). */
export function iptablesCommands(opts: FirewallOptions): FirewallCommand[] {
  const program = opts.form === 'iptables-legacy' ? 'iptables-legacy' : 'iptables';
  const chain = opts.name ?? 'L2TP_TS';
  const port = String(opts.port ?? 1701);
  const rule = (...args: string[]): FirewallCommand => ({ program, args: ['-A', chain, ...args] });
  return [
    { program, args: ['-N', chain], mayFail: true },
    { program, args: ['-F', chain] },
    rule('-p', 'esp', '-j', 'ACCEPT'),
    rule('-p', 'ah', '-j', 'ACCEPT'),
    rule('-p', 'udp', '--dport', '500', '-j', 'ACCEPT'),
    rule('-p', 'udp', '--dport', '4500', '-j', 'ACCEPT'),
    rule('-m', 'policy', '--dir', 'in', '--pol', 'ipsec', '-p', 'udp', '--dport', port, '-j', 'ACCEPT'),
    rule('-p', 'udp', '--dport', port, '-j', 'DROP'),
    { program, args: ['-I', 'INPUT', '1', '-j', chain], unless: ['-C', 'INPUT', '-j', chain] },
  ];
}

/** Undo: the nft table, or the jump and the chain. */
export function firewallRemoval(opts: FirewallOptions): FirewallCommand[] {
  if (opts.form === 'nft') return [{ program: 'nft', args: ['delete', 'table', 'inet', opts.name ?? 'l2tp_ts'] }];
  const program = opts.form === 'iptables-legacy' ? 'iptables-legacy' : 'iptables';
  const chain = opts.name ?? 'L2TP_TS';
  return [
    { program, args: ['-D', 'INPUT', '-j', chain], mayFail: true },
    { program, args: ['-F', chain], mayFail: true },
    { program, args: ['-X', chain], mayFail: true },
  ];
}

function renderShell(c: FirewallCommand): string {
  const line = `${c.program} ${c.args.join(' ')}`;
  if (c.unless) return `${c.program} ${c.unless.join(' ')} 2>/dev/null || ${line}`;
  return c.mayFail ? `${line} 2>/dev/null || true` : line;
}

const FLAGS = {
  form: {
    kind: 'string',
    help: 'nft (default), iptables, iptables-legacy, or openwrt (UCI + fw4 include; print only)',
    choices: ['nft', 'iptables', 'iptables-legacy', 'openwrt'],
    valueName: 'FORM',
  },
  port: { kind: 'int', help: 'L2TP port (default 1701)', min: 1, max: 65535 },
  name: { kind: 'string', help: 'nft table / iptables chain name (default l2tp_ts / L2TP_TS)', valueName: 'NAME' },
  apply: { kind: 'boolean', help: 'load the rules now (nft -f - or iptables), instead of printing them' },
  remove: { kind: 'boolean', help: 'remove the rules loaded by --apply' },
} as const;

/** `l2tp-ts firewall [--form nft|iptables|iptables-legacy] [--port N] [--apply|--remove]`; resolves to the exit code. */
export async function runFirewallCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<typeof FLAGS>>;
  try {
    parsed = parseArgs(argv, FLAGS);
    if (parsed._.length > 0) throw new UsageError(`unexpected argument '${parsed._[0]}'`);
    if (parsed.apply && parsed.remove) throw new UsageError('--apply and --remove exclude each other');
    if (parsed.form === 'openwrt' && (parsed.apply || parsed.remove))
      throw new UsageError('--form openwrt only prints: append it to /etc/config/firewall and reload fw4');
    // The name goes into nft/iptables commands and an nft script: letters, digits, _ and - only,
    // and short enough for an iptables chain (28 characters).
    if (parsed.name !== undefined && !/^[A-Za-z0-9_-]{1,28}$/.test(parsed.name))
      throw new UsageError('--name takes 1-28 of A-Z a-z 0-9 _ -');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`l2tp-ts firewall: ${e.message}\n${FIREWALL_HELP}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(FIREWALL_HELP);
    return 0;
  }
  const opts: FirewallOptions = {
    form: (parsed.form ?? 'nft') as FirewallForm,
    ...(parsed.port !== undefined && { port: parsed.port }),
    ...(parsed.name !== undefined && { name: parsed.name }),
  };
  if (!parsed.apply && !parsed.remove) {
    io.stdout(firewallRules(opts));
    return 0;
  }
  if (io.exec === undefined) {
    io.stderr('l2tp-ts firewall: --apply/--remove need a process runner\n');
    return 1;
  }
  const commands: FirewallCommand[] = parsed.remove
    ? firewallRemoval(opts)
    : opts.form === 'nft'
      ? [{ program: 'nft', args: ['-f', '-'] }]
      : iptablesCommands(opts);
  for (const c of commands) {
    if (c.unless) {
      const check = await io.exec(c.program, c.unless);
      if (check.code === 0) continue;
    }
    const input = c.program === 'nft' && c.args[0] === '-f' ? firewallRules(opts) : undefined;
    const r = await io.exec(c.program, c.args, input);
    if (r.code !== 0 && !c.mayFail) {
      io.stderr(`l2tp-ts firewall: ${c.program} ${c.args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}\n`);
      return 1;
    }
  }
  io.stdout(
    parsed.remove ? `l2tp-ts firewall: ${opts.form} rules removed\n` : `l2tp-ts firewall: ${opts.form} rules loaded\n`,
  );
  return 0;
}

/** --help text of `l2tp-ts firewall`. */
export const FIREWALL_HELP = `Usage: l2tp-ts firewall [options]

Prints (or loads) firewall rules that accept ESP, AH, IKE (udp/500, udp/4500) and L2TP only when
it arrived under an IPsec policy; plain udp/1701 is dropped (RFC 3193: L2TP/IPsec).

${formatFlags(FLAGS)}
`;
