// xl2tpd 1.3.18 as a real LNS or LAC inside a NetLab namespace (RFC 2661 control plane; its pppd
// cannot run here: no /dev/ppp, so every call ends in a CDN right after ICCN).
// Related: test/support/netns.ts, test/interop/xl2tpd-*.test.ts.
import { closeSync, constants, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type LabProcess, type NetLab, tail, waitFor } from '../netns.js';

/** A running xl2tpd and its control pipe (`-C`, a private path: pitfall 8 of the peer kit). */
export interface Xl2tpd {
  readonly proc: LabProcess;
  /** The generated xl2tpd.conf text (for failure messages). */
  readonly config: string;
  readonly controlPipe: string;
  /** Writes one command line into the control pipe ('c NAME' dials a [lac NAME], 'd NAME' disconnects it). */
  control(command: string): void;
  /** The log so far (xl2tpd -D with every debug switch). */
  log(lines?: number): string;
}

/** An [lns secure]-style section for one peer address: tunnel challenge + hidden bit. */
export interface Xl2tpdSecureLns {
  /** The LAC address this section applies to (`lac =`). */
  readonly lac: string;
  readonly hostName: string;
}

/** Options for {@link startXl2tpdLns}. */
export interface Xl2tpdLnsOptions {
  readonly ns: string;
  /** `listen-addr`; all addresses when absent. */
  readonly listenAddress?: string;
  /** Host Name AVP of [lns default] (`hostname =`, pitfall 9). */
  readonly hostName: string;
  /** Tunnel secret for every peer (l2tp-secrets `* * SECRET`). */
  readonly secret: string;
  /** Optional [lns secure] section: `challenge = yes`, `hidden bit = yes`. */
  readonly secure?: Xl2tpdSecureLns;
}

/** One [lac NAME] section. */
export interface Xl2tpdLacSection {
  readonly name: string;
  /** The LNS address (`lns =`). */
  readonly lns: string;
  readonly hostName: string;
  readonly challenge?: boolean;
  readonly hidden?: boolean;
}

/** Options for {@link startXl2tpdLac}. */
export interface Xl2tpdLacOptions {
  readonly ns: string;
  /** Tunnel secret (used when a section has `challenge`, or when the LNS challenges). */
  readonly secret: string;
  readonly sections: readonly Xl2tpdLacSection[];
}

const GLOBAL_DEBUG = ['debug avp = yes', 'debug network = yes', 'debug state = yes', 'debug tunnel = yes'];

/** Starts xl2tpd as an LNS in `opts.ns`; resolves once it listens on udp/1701. */
export async function startXl2tpdLns(lab: NetLab, opts: Xl2tpdLnsOptions): Promise<Xl2tpd> {
  const d = join(lab.dir, `xl2tpd-lns-${opts.ns}`);
  mkdirSync(d, { recursive: true });
  const options = join(d, 'options.xl2tpd');
  writeFileSync(
    options,
    ['require-mschap-v2', 'refuse-pap', 'mtu 1400', 'mru 1400', 'debug', `logfile ${join(d, 'pppd.log')}`, ''].join(
      '\n',
    ),
  );
  const section = (name: string, hostName: string, extra: string[]): string[] => [
    `[lns ${name}]`,
    ...extra,
    'ip range = 10.203.200.10-10.203.200.20',
    'local ip = 10.203.200.1',
    'require chap = yes',
    'refuse pap = yes',
    'require authentication = yes',
    `name = ${hostName}`,
    `hostname = ${hostName}`,
    'ppp debug = yes',
    `pppoptfile = ${options}`,
    'length bit = yes',
    '',
  ];
  const config = [
    '[global]',
    ...(opts.listenAddress === undefined ? [] : [`listen-addr = ${opts.listenAddress}`]),
    'port = 1701',
    `auth file = ${join(d, 'l2tp-secrets')}`,
    'access control = no',
    ...GLOBAL_DEBUG,
    '',
    ...section('default', opts.hostName, []),
    ...(opts.secure
      ? section('secure', opts.secure.hostName, [`lac = ${opts.secure.lac}`, 'challenge = yes', 'hidden bit = yes'])
      : []),
  ].join('\n');
  return start(lab, opts.ns, d, config, opts.secret, 'xl2tpd-lns');
}

/** Starts xl2tpd as a LAC in `opts.ns` (no call yet: dial with `control('c NAME')`). */
export async function startXl2tpdLac(lab: NetLab, opts: Xl2tpdLacOptions): Promise<Xl2tpd> {
  const d = join(lab.dir, `xl2tpd-lac-${opts.ns}`);
  mkdirSync(d, { recursive: true });
  const options = join(d, 'options.lac');
  writeFileSync(
    options,
    [
      'name alice',
      'password s3cret',
      'noauth',
      'refuse-pap',
      'mtu 1400',
      'mru 1400',
      'debug',
      `logfile ${join(d, 'pppd.log')}`,
      '',
    ].join('\n'),
  );
  const config = [
    '[global]',
    'port = 1701',
    `auth file = ${join(d, 'l2tp-secrets')}`,
    'access control = no',
    ...GLOBAL_DEBUG,
    '',
    ...opts.sections.flatMap((s) => [
      `[lac ${s.name}]`,
      `lns = ${s.lns}`,
      'name = alice',
      `hostname = ${s.hostName}`,
      'ppp debug = yes',
      `pppoptfile = ${options}`,
      'length bit = yes',
      `challenge = ${s.challenge ? 'yes' : 'no'}`,
      `hidden bit = ${s.hidden ? 'yes' : 'no'}`,
      // A redial would open a second call behind the test's back.
      'redial = no',
      '',
    ]),
  ].join('\n');
  return start(lab, opts.ns, d, config, opts.secret, 'xl2tpd-lac');
}

async function start(
  lab: NetLab,
  ns: string,
  d: string,
  config: string,
  secret: string,
  name: string,
): Promise<Xl2tpd> {
  const conf = join(d, 'xl2tpd.conf');
  const secrets = join(d, 'l2tp-secrets');
  const controlPipe = join(d, 'l2tp-control');
  writeFileSync(conf, config);
  writeFileSync(secrets, `* * ${secret}\n`, { mode: 0o600 });
  const proc = lab.spawn(name, ns, 'xl2tpd', [
    '-D',
    '-c',
    conf,
    '-s',
    secrets,
    '-p',
    join(d, 'xl2tpd.pid'),
    '-C',
    controlPipe,
  ]);
  const log = (lines = 40): string => tail(proc.log, lines);
  await waitFor(
    `${name} to listen on udp/1701 and open its control pipe`,
    () => {
      if (proc.exitCode !== undefined) throw new Error(`${name} exited (${proc.exitCode}):\n${log()}`);
      return existsSync(controlPipe) && statSync(controlPipe).isFIFO() && lab.udpListening(ns, 1701);
    },
    10_000,
    log,
  );
  return {
    proc,
    config,
    controlPipe,
    log,
    control(command: string): void {
      // Non-blocking open: xl2tpd holds the FIFO open for reading, so this never waits.
      const fd = openSync(controlPipe, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(fd, `${command}\n`);
      } finally {
        closeSync(fd);
      }
    },
  };
}
