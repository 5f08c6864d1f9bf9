// Runs `l2tp-ts lns` inside a UmlLab with a temp copy of the seed's xl2tpd.conf, options.xl2tpd
// and chap-secrets, moved to 10.204.x.y (RFC 2661 LNS; RFC 1661/1994/2759 on the PPP side).
// Related: harness.ts, lns.test.ts, test/vectors/config/ (the seed files, from helper "config").
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRIDGE_IP, type HostProcess, type UmlLab } from './harness.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = join(REPO, 'bin', 'l2tp-ts.js');
const SEED_DIR = join(REPO, 'test', 'vectors', 'config');

/** The seed's `local ip` and `ip range`, moved from 10.1.20.x to the lab's 10.204.20.x. */
export const LNS_LOCAL_IP = '10.204.20.30';
export const LNS_RANGE_FIRST = '10.204.20.31';

/** The seed's own chap-secrets user (`username vpn secret 10.1.20.32`), its static address moved like the rest. */
export const SEED_STATIC_USER = { user: 'username', password: 'secret', address: '10.204.20.32' } as const;

/** PPP users added to the temp chap-secrets (the seed's own users are kept). */
export const USERS = { alice: 's3cret', bob: 'b0b-secret', carol: 'car0l-secret' } as const;

// Used only while test/vectors/config/ has no seed yet: the seed as DESIGN.md describes it
// (OpenWrt/Debian how-to shape: require MS-CHAPv2, refuse PAP, mtu/mru 1400, ms-dns,
// lcp-echo 5 s x 12, ip range 10.1.20.31-50, local ip 10.1.20.30).
const FALLBACK_SEED = {
  'xl2tpd.conf': `[global]
port = 1701
access control = no

[lns default]
ip range = 10.1.20.31-10.1.20.50
local ip = 10.1.20.30
require chap = yes
refuse pap = yes
require authentication = yes
name = l2tpserver
ppp debug = yes
pppoptfile = /etc/ppp/options.xl2tpd
length bit = yes
`,
  'options.xl2tpd': `ipcp-accept-local
ipcp-accept-remote
require-mschap-v2
ms-dns 8.8.8.8
noccp
auth
mtu 1400
mru 1400
nodefaultroute
debug
lcp-echo-interval 5
lcp-echo-failure 12
`,
  'chap-secrets': `# Secrets for authentication using CHAP
# client\tserver\tsecret\t\t\tIP addresses
`,
} as const;

type SeedFile = keyof typeof FALLBACK_SEED;

function seedText(name: SeedFile): { text: string; from: string } {
  const path = join(SEED_DIR, name);
  if (existsSync(path)) return { text: readFileSync(path, 'utf8'), from: path };
  return { text: FALLBACK_SEED[name], from: 'embedded fallback (DESIGN.md)' };
}

let helpCache: string | undefined;
/** `l2tp-ts lns --help` output ('' when the subcommand does not exist yet). */
export function lnsHelp(): string {
  if (helpCache === undefined) {
    const r = spawnSync(process.execPath, [CLI, 'lns', '--help'], { encoding: 'utf8', timeout: 30_000 });
    helpCache = r.status === 0 ? `${r.stdout}${r.stderr}` : '';
  }
  return helpCache;
}

/** Why `l2tp-ts lns` cannot be tested yet (undefined when `lns --help` works and offers --config). */
export function lnsSkipReason(): string | undefined {
  const help = lnsHelp();
  if (help === '') return '`l2tp-ts lns --help` fails: the lns command is not implemented yet';
  if (!help.includes('--config')) return '`l2tp-ts lns` has no --config option yet';
  return undefined;
}

/** How a scenario bends the seed. */
export interface LnsVariant {
  /** 'mschapv2' = the seed; 'chap' = require-chap instead of require-mschap-v2; 'pap' = PAP allowed too. */
  readonly auth?: 'mschapv2' | 'chap' | 'pap';
  /** Replaces `ip range` (e.g. one address, so a leaked lease shows at once). */
  readonly range?: string;
  /** Replaces lcp-echo-interval / lcp-echo-failure. */
  readonly lcpEcho?: readonly [number, number];
  /** Lines appended to the pppd options file (e.g. 'require-chap' beside the seed's MS-CHAPv2). */
  readonly extraOptions?: readonly string[];
  /** pppd's `plugin radius.so` with a radiusclient.conf and servers file for this server (on 127.0.0.1). */
  readonly radius?: { readonly authPort: number; readonly acctPort: number; readonly secret: string };
  /** `flow bit = yes` in [lns default]: data messages with Ns (RFC 2661 §5.4). */
  readonly flowBit?: boolean;
  /** `+ipv6` in the options file and `--ipv6-pool PREFIX` on l2tp-ts's command line (a /64 per session by RA). */
  readonly ipv6Pool?: string;
}

function setOption(text: string, key: string, line: string | undefined): string {
  const re = new RegExp(`^\\s*${key}\\b.*$`, 'm');
  if (re.test(text)) return text.replace(re, line ?? '');
  return line === undefined ? text : `${text.trimEnd()}\n${line}\n`;
}

function setConf(text: string, key: string, value: string): string {
  const re = new RegExp(`^(\\s*)${key}\\s*=.*$`, 'm');
  if (re.test(text)) return text.replace(re, `$1${key} = ${value}`);
  // into the [lns default] section (the seed has exactly one lns section)
  return text.replace(/^\[lns [^\]]*\]\s*$/m, (h) => `${h}\n${key} = ${value}`);
}

/** Writes the adapted seed into DIR and returns the paths (nothing outside DIR is read or written). */
export function writeLnsConfig(
  dir: string,
  v: LnsVariant,
  paths: { readonly pppoptfile?: string; readonly authFile?: string; readonly forXl2tpd?: boolean } = {},
): { conf: string; options: string; secrets: string; dns: string[]; sources: string[] } {
  mkdirSync(dir, { recursive: true });
  const conf = seedText('xl2tpd.conf');
  const opts = seedText('options.xl2tpd');
  const secrets = seedText('chap-secrets');
  const options = join(dir, 'options.xl2tpd');
  const secretsPath = join(dir, 'chap-secrets');
  let c = conf.text.replaceAll('10.1.20.', '10.204.20.');
  // xl2tpd's comments start with ';' and it rejects the seed's '# /etc/xl2tpd/xl2tpd.conf' line
  // (l2tp-ts accepts it, so its copy keeps it)
  if (paths.forXl2tpd === true) {
    c = c.replace(/^#.*\n/gm, '');
    // xl2tpd picks its kernel mode when l2tp_ppp loads; pppd then runs with the pppol2tp plugin,
    // has no tty options, and exits 2 on the seed's `lock`. Userspace mode runs pppd on a pty.
    c = c.replace(/^\[global\]\s*$/m, (h) => `${h}\nforce userspace = yes`);
  }
  c = setConf(c, 'pppoptfile', paths.pppoptfile ?? options);
  // the seed names /etc/xl2tpd/xl2tp-secrets (absent here); access control = no, no challenge
  const authFile = paths.authFile ?? join(dir, 'l2tp-secrets');
  c = setConf(c, 'auth file', authFile);
  if (paths.authFile === undefined)
    writeFileSync(authFile, '# them me secret (unused: no challenge)\n', { mode: 0o600 });
  if (v.range !== undefined) c = setConf(c, 'ip range', v.range);
  if (v.flowBit === true) c = setConf(c, 'flow bit', 'yes');
  if (v.auth === 'pap') {
    c = setConf(c, 'refuse pap', 'no');
    c = setConf(c, 'require pap', 'yes');
  }
  let o = opts.text.replaceAll('10.1.20.', '10.204.20.');
  if (v.auth === 'chap') o = setOption(o, 'require-mschap-v2', 'require-chap');
  if (v.auth === 'pap') o = `${o.trimEnd()}\nrequire-pap\n`;
  if (v.lcpEcho !== undefined) {
    o = setOption(o, 'lcp-echo-interval', `lcp-echo-interval ${v.lcpEcho[0]}`);
    o = setOption(o, 'lcp-echo-failure', `lcp-echo-failure ${v.lcpEcho[1]}`);
  }
  if (v.extraOptions !== undefined) o = `${o.trimEnd()}\n${v.extraOptions.join('\n')}\n`;
  if (v.ipv6Pool !== undefined) o = `${o.trimEnd()}\n+ipv6\n`;
  if (v.radius !== undefined) {
    // As an operator sets it up for pppd: the plugin in the options file, radcli's two files beside it.
    const conf = join(dir, 'radiusclient.conf');
    writeFileSync(
      conf,
      `authserver 127.0.0.1:${v.radius.authPort}\nacctserver 127.0.0.1:${v.radius.acctPort}\n` +
        `servers ${join(dir, 'servers')}\nradius_timeout 3\nradius_retries 2\nnas-identifier l2tp-ts-uml\n`,
      { mode: 0o600 },
    );
    writeFileSync(join(dir, 'servers'), `127.0.0.1 ${v.radius.secret}\n`, { mode: 0o600 });
    o = `${o.trimEnd()}\nplugin radius.so\nradius-config-file ${conf}\n`;
  }
  const s = `${secrets.text.replaceAll('10.1.20.', '10.204.20.').trimEnd()}\n${Object.entries(USERS)
    .map(([u, p]) => `"${u}"\t*\t"${p}"\t*`)
    .join('\n')}\n`;
  writeFileSync(join(dir, 'xl2tpd.conf'), c);
  writeFileSync(options, o);
  writeFileSync(secretsPath, s, { mode: 0o600 });
  // pppd checks PAP against pap-secrets: the same users there
  writeFileSync(join(dir, 'pap-secrets'), s, { mode: 0o600 });
  const dns = [...o.matchAll(/^\s*ms-dns\s+(\S+)/gm)].map((m) => m[1] ?? '');
  return {
    conf: join(dir, 'xl2tpd.conf'),
    options,
    secrets: secretsPath,
    dns,
    sources: [conf.from, opts.from, secrets.from],
  };
}

/**
 * Fills an LNS guest's private /etc/xl2tpd and /etc/ppp with the same adapted seed, for the real
 * xl2tpd + pppd (UmlLab.bootPppdLns): the reference that l2tp-ts lns replaces.
 */
export function configurePppdLns(v: LnsVariant, scratch: string): (etcXl2tpd: string, etcPpp: string) => void {
  return (etcXl2tpd, etcPpp) => {
    const cfg = writeLnsConfig(scratch, v, {
      pppoptfile: '/etc/ppp/options.xl2tpd',
      authFile: '/etc/xl2tpd/l2tp-secrets',
      forXl2tpd: true,
    });
    copyFileSync(cfg.conf, join(etcXl2tpd, 'xl2tpd.conf'));
    writeFileSync(
      join(etcPpp, 'options.xl2tpd'),
      `${readFileSync(cfg.options, 'utf8').trimEnd()}\nlogfile /srv/pppd.log\n`,
    );
    for (const f of ['chap-secrets', 'pap-secrets']) copyFileSync(join(scratch, f), join(etcPpp, f));
  };
}

/** A running `l2tp-ts lns` and how to ask it what it holds. */
export interface LnsUnderTest {
  readonly proc: HostProcess;
  readonly control: string | undefined;
  /** The ms-dns addresses of the options file: what usepeerdns must report. */
  readonly dns: readonly string[];
  /** `l2tp-ts ctl --json sessions` as text, or undefined when ctl is not available or fails. */
  listSessions(): string | undefined;
  /** `l2tp-ts ctl --json status` (tunnels, sessions, addressesInUse, …), or undefined. */
  status(): Record<string, unknown> | undefined;
}

/** Starts `l2tp-ts lns --config … --listen BRIDGE_IP` in the lab and waits for udp/1701. */
export async function startLns(lab: UmlLab, v: LnsVariant = {}): Promise<LnsUnderTest> {
  const cfg = writeLnsConfig(join(lab.dir, 'lns-config'), v);
  const help = lnsHelp();
  const args = [process.execPath, CLI, 'lns', '--config', cfg.conf, '--listen', BRIDGE_IP];
  if (help.includes('--chap-secrets')) args.push('--chap-secrets', cfg.secrets);
  const control = help.includes('--control') ? join(lab.dir, 'lns-control.sock') : undefined;
  if (control !== undefined) args.push('--control', control);
  if (v.ipv6Pool !== undefined) args.push('--ipv6-pool', v.ipv6Pool);
  // the resolved settings, for whoever reads the results of a failed run
  const check = spawnSync(args[0] ?? process.execPath, [...args.slice(1), '--check'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  writeFileSync(join(lab.dir, 'lns-settings.json'), `${check.stdout}${check.stderr}`);
  writeFileSync(join(lab.dir, 'lns.cmd'), `${args.join(' ')}\n# seed: ${cfg.sources.join(', ')}\n`);
  // Whatever the CLI reads from /etc/ppp by default (chap-secrets, options) is our temp copy: a
  // bind mount private to the mount namespace of `ip netns exec`; the host's /etc/ppp is untouched.
  const proc = lab.startHost('lns', [
    'sh',
    '-c',
    `mount --bind '${dirname(cfg.conf)}' /etc/ppp && exec "$@"`,
    'lns',
    ...args,
  ]);
  await lab.waitUdpListening(1701, 30_000, proc);
  return {
    proc,
    control,
    dns: cfg.dns,
    status: () => {
      if (control === undefined) return undefined;
      const r = spawnSync(process.execPath, [CLI, 'ctl', '--control', control, '--json', 'status'], {
        encoding: 'utf8',
        timeout: 15_000,
      });
      try {
        return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    },
    listSessions: () => {
      if (control === undefined) return undefined;
      const r = spawnSync(process.execPath, [CLI, 'ctl', '--control', control, '--json', 'sessions'], {
        encoding: 'utf8',
        timeout: 15_000,
      });
      return r.status === 0 ? r.stdout : undefined;
    },
  };
}
