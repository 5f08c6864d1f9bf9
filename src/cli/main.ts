// The `l2tp-ts` command: parses the subcommand and hands over to its module.
// Exit codes (DESIGN.md): 0 ok, 1 runtime failure, 2 bad usage or bad config.
import { spawn } from 'node:child_process';
import { UsageError } from './args.js';

export const USAGE = `l2tp-ts — a user-space L2TPv2 + PPP stack

Usage: l2tp-ts <command> [options]

Commands:
  lns           run an LNS (drop-in for xl2tpd + pppd; reads xl2tpd.conf, pppd options, chap-secrets)
  lac           dial an LNS: tunnels x sessions with full PPP, optional ping, --json summary
  ctl           talk to a running LNS: status, sessions, tunnels, disconnect
  firewall      print or apply the rules that accept udp/1701 only under IPsec policy
  ipsec-config  print the Libreswan or strongSwan transport-mode connection for udp/1701
  bench         tunnels x sessions with full negotiation against any LNS: setup rate, latency
  fuzz          conformance fuzzer against any L2TP endpoint (or in-process), shrinks failures

Run 'l2tp-ts <command> --help' for the options of a command.
Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad configuration.
`;

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  lns: async () => (await import('./lns.js')).runLns,
  lac: async () => (await import('./lac.js')).runLac,
  ctl: async () => (await import('./ctl.js')).runCtl,
  bench: async () => (await import('./bench.js')).runBench,
  fuzz: async () => (await import('./fuzz.js')).runFuzz,
  firewall: async () => {
    const { runFirewallCommand } = await import('./firewall.js');
    return (argv) => runFirewallCommand(argv, processIo());
  },
  'ipsec-config': async () => {
    const { runIpsecConfigCommand } = await import('./ipsec-config.js');
    return (argv) => runIpsecConfigCommand(argv, processIo());
  },
};

/** Runs the CLI; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? process.stderr : process.stdout).write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write('l2tp-ts 0.1.0\n');
    return 0;
  }
  const load = COMMANDS[command];
  if (load === undefined) {
    process.stderr.write(`l2tp-ts: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`l2tp-ts ${command}: ${e.message}\nRun 'l2tp-ts ${command} --help' for the options.\n`);
      return 2;
    }
    if (isConfigError(e)) {
      process.stderr.write(`l2tp-ts ${command}: ${String(e)}\n`);
      return 2;
    }
    process.stderr.write(`l2tp-ts ${command}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

function isConfigError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ERR_L2TP_CONFIG';
}

/** The process's stdout/stderr, and `exec` for `--apply`, for commands that take an injected io. */
function processIo() {
  return {
    stdout: (s: string) => void process.stdout.write(s),
    stderr: (s: string) => void process.stderr.write(s),
    exec: (program: string, args: readonly string[], input?: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        // No input: no stdin pipe (writing to one whose reader already exited raised EPIPE).
        const child = spawn(program, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (d) => (stdout += d));
        child.stderr?.on('data', (d) => (stderr += d));
        child.on('error', (e) => resolve({ code: 127, stdout, stderr: `${stderr}${e.message}\n` }));
        child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
        if (child.stdin) {
          child.stdin.on('error', () => undefined); // the exit code and stderr tell what went wrong
          child.stdin.end(input);
        }
      }),
  };
}
