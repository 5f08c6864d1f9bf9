// The `l2tp-ts` command: parses the subcommand and hands over to its module.
// Exit codes (DESIGN.md): 0 ok, 1 runtime failure, 2 bad usage or bad config.

export const USAGE = `l2tp-ts — a user-space L2TPv2 + PPP stack (LNS, LAC, bench, fuzz)

Usage: l2tp-ts <command> [options]

Commands:
  lns        run an LNS (xl2tpd + pppd replacement)
  lac        run a LAC (client) against an LNS
  ctl        talk to a running LNS over its control socket
  firewall   print or apply the IPsec-only rule for udp/1701
  bench      tunnels x sessions load against any LNS
  fuzz       conformance fuzzer against any L2TP endpoint

Run 'l2tp-ts <command> --help' for the options of a command.
`;

/** Runs the CLI; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`l2tp-ts: unknown command '${command}' (not implemented yet: ${rest.length} args)\n\n${USAGE}`);
  return 2;
}
