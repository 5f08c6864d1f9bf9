// `l2tp-ts lns` as a process inside a NetLab namespace, for the end-to-end tests that need a
// real TUN device or a namespace's firewall: spawn (optionally behind a wrapper such as setpriv),
// wait for its "listening on" line, and return the process and its UDP port.
// Related: test/support/netns.ts (the lab), test/e2e/tun*.test.ts, datapath-admission.test.ts.
import { resolve } from 'node:path';
import { type LabProcess, type NetLab, tail, waitFor } from '../support/netns.js';

/** bin/l2tp-ts.js of this checkout. */
export const BIN = resolve(import.meta.dirname, '../../bin/l2tp-ts.js');

/**
 * Starts `[...wrap] node BIN lns ...args` in `ns` and waits (20 s) for it to listen; throws with
 * its log when it exits or never listens. `mode`: the "(… mode)" the listening line must name.
 */
export async function startLabLns(
  lab: NetLab,
  ns: string,
  args: readonly string[],
  opts: { wrap?: readonly string[]; mode?: 'TUN' | 'userspace'; name?: string } = {},
): Promise<{ proc: LabProcess; port: number }> {
  const argv = [process.execPath, BIN, 'lns', ...args];
  const [cmd, ...rest] = [...(opts.wrap ?? []), ...argv];
  // `name`: its log file (<lab dir>/<name>.log), one per LNS when a lab runs several.
  const proc = lab.spawn(opts.name ?? 'lns', ns, cmd!, rest);
  const re = new RegExp(`listening on [\\d.]+:(\\d+) \\(${opts.mode ?? 'TUN'} mode\\)`);
  const listening = (): RegExpMatchArray | null => tail(proc.log, 50).match(re);
  await waitFor(
    'the LNS to listen',
    () => listening() !== null || proc.exitCode !== undefined,
    20_000,
    () => tail(proc.log),
  );
  const m = listening();
  if (m === null) throw new Error(`the LNS did not start:\n${tail(proc.log)}`);
  return { proc, port: Number(m[1]) };
}
