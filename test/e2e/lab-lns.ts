// `l2tp-ts lns` as a process inside a NetLab namespace, for the end-to-end tests that need a
// real TUN device or a namespace's firewall: spawn (optionally behind a wrapper such as setpriv),
// wait for its "listening on" line, and return the process and its UDP port.
// Related: test/support/netns.ts (the lab), test/e2e/tun*.test.ts, datapath-admission.test.ts.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type LabProcess, NetLab, tail, waitFor } from '../support/netns.js';

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
  const re = new RegExp(`listening on (?:[\\d.]+|\\[[0-9a-f:.]+\\]):(\\d+) \\(${opts.mode ?? 'TUN'} mode\\)`);
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

/** A TUN-mode lab: the LNS's namespace and the LAC's, one veth between them, the LNS running. */
export interface TunLab {
  readonly lab: NetLab;
  readonly lnsNs: string;
  readonly lacNs: string;
  readonly lns: LabProcess;
  /** The LNS's UDP port. */
  readonly port: number;
}

/**
 * Creates NetLab(`prefix`) with two namespaces joined by a veth (LAC_IP/24 ↔ LNS_IP/24), writes
 * `config` as the LNS's JSON config and starts `l2tp-ts lns --tun` on LNS_IP, an ephemeral port
 * and `args` (e.g. '--no-control'). `beforeStart` runs in between (e.g. FreeRADIUS in the LNS's
 * namespace) and may return a config to use instead.
 */
export async function startTunLab(o: {
  readonly prefix: string;
  readonly lnsIp: string;
  readonly lacIp: string;
  readonly config: object;
  /** Extra arguments, or a function of the lab (e.g. a control socket in `lab.dir`). */
  readonly args?: readonly string[] | ((lab: NetLab) => readonly string[]);
  readonly beforeStart?: (lab: NetLab, lnsNs: string) => Promise<object | undefined>;
}): Promise<TunLab> {
  const lab = new NetLab(o.prefix);
  try {
    const lnsNs = lab.addNamespace();
    const lacNs = lab.addNamespace();
    lab.addVeth({ ns: lacNs, address: `${o.lacIp}/24` }, { ns: lnsNs, address: `${o.lnsIp}/24` });
    const config = (await o.beforeStart?.(lab, lnsNs)) ?? o.config;
    const file = join(lab.dir, 'lns.json');
    writeFileSync(file, JSON.stringify(config));
    const { proc, port } = await startLabLns(lab, lnsNs, [
      '--tun',
      '--json-config',
      file,
      '--listen',
      o.lnsIp,
      '--port',
      '0',
      ...(typeof o.args === 'function' ? o.args(lab) : (o.args ?? [])),
    ]);
    return { lab, lnsNs, lacNs, lns: proc, port };
  } catch (err) {
    await lab.destroy();
    throw err;
  }
}
