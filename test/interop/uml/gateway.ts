// The seed's L2TP/IPsec gateway in UML (RFC 3193: L2TP in ESP transport mode, udp/1701 only under
// IPsec): guest A runs `l2tp-ts lns` + firewall + strongSwan, guest B an xl2tpd/pppd/strongSwan client.
// Related: gateway.test.ts, guest/gateway-*.sh, harness.ts (UmlLab: netns, bridge, cleanup by PID).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AvpType } from '../../../src/l2tp/wire/avp-catalogue.js';
import {
  encodeControlPacket,
  makeBytesAvp,
  makeStringAvp,
  makeU16Avp,
  makeU32Avp,
} from '../../../src/l2tp/wire/message.js';
import { MessageType } from '../../../src/l2tp/wire/message-catalogue.js';
import {
  type HostProcess,
  type LacResult,
  parseLacResult,
  REPO_ROOT,
  type UmlLab,
  umlBootArgs,
  umlSkipReason,
} from './harness.js';
import { configurePppdLns, lnsSkipReason, USERS } from './lns-under-test.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = REPO_ROOT;
const CLI = join(REPO, 'bin', 'l2tp-ts.js');
const GUEST_SCRIPTS = join(HERE, 'guest');

/** The IKE daemon on both guests: strongSwan (charon, swanctl) or Libreswan (pluto). */
export type IkeKind = 'strongswan' | 'libreswan';

/**
 * The private Libreswan tree (`apt-get download libreswan` + `dpkg -x`, done by .ci/run):
 * Debian's libreswan conflicts with strongswan as a package, so it is never installed; the guests
 * run pluto from here (they see the host's / read-only). L2TP_TS_LIBRESWAN_ROOT overrides it.
 */
export const LIBRESWAN_ROOT = process.env.L2TP_TS_LIBRESWAN_ROOT ?? join(REPO, '.cache', 'libreswan', 'root');

/** Guest A (the gateway) and guest B (the client) on the lab bridge (the host side is BRIDGE_IP). */
export const GATEWAY_IP = '10.204.0.2';
export const CLIENT_IP = '10.204.0.11';
/** The IPsec pre-shared key both sides use (RFC 3193 §5: IKE with a PSK, as built-in clients do). */
export const PSK = 'l2tp-ts-uml-gateway-psk';
/** The client's PPP user (from the temp chap-secrets that lns-under-test adds to the seed's). */
export const PPP_USER = 'alice';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the gateway scenario cannot run here (undefined when it can): UML, the LNS, strongSwan, iptables-legacy, tshark. */
export function gatewaySkipReason(kind: IkeKind = 'strongswan'): string | undefined {
  const uml = umlSkipReason();
  if (uml !== undefined) return uml;
  if (kind === 'libreswan') {
    for (const f of [
      'usr/libexec/ipsec/pluto',
      'usr/libexec/ipsec/addconn',
      'usr/libexec/ipsec/whack',
      'usr/bin/certutil',
    ]) {
      if (!existsSync(join(LIBRESWAN_ROOT, f)))
        return `private Libreswan tree missing (${join(LIBRESWAN_ROOT, f)}; .ci/run makes it)`;
    }
  } else if (!existsSync('/usr/lib/ipsec/charon'))
    return 'strongSwan charon missing (apt-get install strongswan-charon)';
  for (const cmd of [...(kind === 'strongswan' ? ['swanctl'] : []), 'iptables-legacy', 'tshark', 'node']) {
    if (!which(cmd)) return `${cmd} not installed (the guests run the host's binaries)`;
  }
  if (!existsSync('/usr/lib/uml/modules')) return 'UML kernel modules missing (/usr/lib/uml/modules)';
  return lnsSkipReason();
}

/** A UML guest started through UmlLab.startHost, so the lab kills it by PID on dispose. */
export class ScriptGuest {
  constructor(
    readonly name: string,
    /** Host dir mounted on the guest's /srv. */
    readonly dir: string,
    readonly proc: HostProcess,
    readonly address: string,
    readonly bootedAt: number,
  ) {}

  get running(): boolean {
    return this.proc.exitCode === undefined;
  }

  /** Resolves true once /srv/FILE exists; false on timeout or when the guest powered off first. */
  async waitFile(file: string, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    const path = join(this.dir, file);
    while (Date.now() < end) {
      if (existsSync(path)) return true;
      if (!this.running) return existsSync(path);
      await sleep(100);
    }
    return false;
  }

  /** Creates the marker /srv/FILE (go, stop, release, query). */
  touch(file: string): void {
    writeFileSync(join(this.dir, file), '');
  }

  /** A file the guest wrote, '' when absent. */
  file(name: string): string {
    try {
      return readFileSync(join(this.dir, name), 'utf8');
    } catch {
      return '';
    }
  }

  /** KEY=value lines of /srv/result (repeated keys accumulate), with the guest's exit code. */
  result(): LacResult {
    return parseLacResult(
      this.file('result'),
      this.file('rc').trim() || undefined,
      existsSync(join(this.dir, 'watchdog')),
    );
  }

  /** Waits for power-off up to timeoutMs; then the lab stops it (SIGTERM, SIGKILL, its session). */
  async finish(lab: UmlLab, timeoutMs: number): Promise<void> {
    await within(this.proc.exited, timeoutMs);
    if (this.running) await lab.stopHost(this.proc, 'SIGTERM', 1000);
  }
}

function bindDir(gdir: string, target: string): string {
  const d = join(gdir, 'bind', target.replace(/^\//, '').replaceAll('/', '%'));
  mkdirSync(d, { recursive: true });
  return d;
}

/** Boots guest/init.sh as PID 1 of a UML guest on a new tap `tap` bridged to br0; `script` runs as /srv/guest.sh. */
function bootScriptGuest(
  lab: UmlLab,
  o: {
    readonly name: string;
    readonly address: string;
    readonly tap: string;
    readonly mem: string;
    readonly maxS: number;
    readonly script: string;
    readonly env: Readonly<Record<string, string | number>>;
  },
): ScriptGuest {
  const gdir = join(lab.dir, o.name);
  mkdirSync(gdir, { recursive: true });
  const env = { NET_DEV: 'vec0', NET_ADDR: `${o.address}/24`, GUEST_SCRIPTS, ...o.env };
  writeFileSync(
    join(gdir, 'env'),
    `${Object.entries(env)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n')}\n`,
  );
  writeFileSync(join(gdir, 'guest.sh'), `. /srv/env\n. ${join(GUEST_SCRIPTS, o.script)}\n`);
  lab.ip('tuntap', 'add', 'dev', o.tap, 'mode', 'tap');
  lab.ip('link', 'set', o.tap, 'master', 'br0');
  lab.ip('link', 'set', o.tap, 'up');
  const state = join(lab.dir, '.umlstate');
  mkdirSync(state, { recursive: true });
  const proc = lab.startHost(
    `${o.name}.console`,
    umlBootArgs({ umid: `${lab.ns}-${o.name}`, state, mem: o.mem, gdir, maxS: o.maxS, name: o.name, tap: o.tap }),
  );
  return new ScriptGuest(o.name, gdir, proc, o.address, Date.now());
}

// Read by charon and swanctl through STRONGSWAN_CONF: the host's plugin list, a log file in
// /srv, and no routes (transport mode between two hosts on one link).
const STRONGSWAN_CONF = `# private strongswan.conf of a UML guest (the host's /etc/strongswan.conf is unused)
include /etc/strongswan.d/*.conf
charon {
    load_modular = yes
    plugins {
        include /etc/strongswan.d/charon/*.conf
    }
    install_routes = no
    install_virtual_ip = no
    filelog {
        ipsec {
            path = /srv/charon.log
            time_format = %T
            default = 1
            ike = 2
            knl = 2
            cfg = 2
            flush_line = yes
        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
}
`;

/** What `l2tp-ts ipsec-config` printed for the gateway and where it says the text goes. */
export interface PrintedIpsecConfig {
  readonly kind: IkeKind;
  readonly argv: readonly string[];
  readonly text: string;
  /** The path from the first printed `# ----- PATH (mode …)` header. */
  readonly path: string;
  /** Every printed file: its path and its text (the header line included), as printed. */
  readonly files: readonly { readonly path: string; readonly text: string }[];
}

/** Runs `l2tp-ts ipsec-config --kind KIND --psk PSK --left GATEWAY_IP --right %any` and returns its stdout unchanged. */
export function printIpsecConfig(kind: IkeKind = 'strongswan'): PrintedIpsecConfig {
  const argv = ['ipsec-config', '--kind', kind, '--psk', PSK, '--left', GATEWAY_IP, '--right', '%any'];
  const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`l2tp-ts ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  const files = r.stdout
    .split(/^(?=# -+ \/)/m)
    .map((text) => ({ path: /^# -+ (\/\S+)/.exec(text)?.[1] ?? '', text }))
    .filter((f) => f.path !== '');
  return { kind, argv, text: r.stdout, path: files[0]?.path ?? '', files };
}

// pluto's private ipsec.conf / ipsec.secrets (the host's /etc/ipsec.conf is strongSwan's): they
// include the printed files from the guest's private /etc/ipsec.d, where the CLI says they go.
const LIBRESWAN_CONF = `# private ipsec.conf of a UML guest (read by pluto --config and addconn --config)
config setup
    logfile=/srv/pluto.log
    logtime=yes
    plutodebug=none
    dnssec-enable=no
    uniqueids=no
    # what the printed conn's notes ask for: Libreswan 4 drops IKEv1 by default
    ikev1-policy=accept
include /etc/ipsec.d/*.conf
`;
const LIBRESWAN_SECRETS = 'include /etc/ipsec.d/*.secrets\n';

/** Writes the private Libreswan files of a guest: /srv/ipsec/{ipsec.conf,ipsec.secrets} and /etc/ipsec.d/NAME.* */
function writeLibreswan(gdir: string, files: readonly { readonly path: string; readonly text: string }[]): void {
  const d = bindDir(gdir, '/etc/ipsec.d');
  for (const f of files) {
    if (!f.path.startsWith('/etc/ipsec.d/')) throw new Error(`unexpected ipsec-config target '${f.path}'`);
    writeFileSync(join(d, f.path.slice('/etc/ipsec.d/'.length)), f.text, { mode: 0o600 });
  }
  mkdirSync(join(gdir, 'ipsec'), { recursive: true });
  writeFileSync(join(gdir, 'ipsec', 'ipsec.conf'), LIBRESWAN_CONF);
  writeFileSync(join(gdir, 'ipsec', 'ipsec.secrets'), LIBRESWAN_SECRETS, { mode: 0o600 });
}

/**
 * Boots guest A: the seed config (xl2tpd.conf, options.xl2tpd, chap-secrets via configurePppdLns,
 * 10.1.20.x moved to 10.204.20.x) in its private /etc/xl2tpd and /etc/ppp, the printed swanctl
 * file verbatim in its private /etc/swanctl/conf.d; guest/gateway-lns.sh does the rest.
 */
export function bootGateway(
  lab: UmlLab,
  ipsec: PrintedIpsecConfig,
  o: { mem?: string; maxS?: number } = {},
): ScriptGuest {
  const gdir = join(lab.dir, 'gateway');
  mkdirSync(gdir, { recursive: true });
  const x = bindDir(gdir, '/etc/xl2tpd');
  const p = bindDir(gdir, '/etc/ppp');
  writeFileSync(join(x, 'l2tp-secrets'), '# them me secret (unused: no tunnel challenge)\n', { mode: 0o600 });
  writeFileSync(join(p, 'options'), '# private /etc/ppp/options of the UML gateway guest\n');
  configurePppdLns({}, join(lab.dir, 'gateway-seed'))(x, p);
  if (ipsec.kind === 'libreswan') writeLibreswan(gdir, ipsec.files);
  else {
    if (!ipsec.path.startsWith('/etc/swanctl/conf.d/'))
      throw new Error(`unexpected ipsec-config target '${ipsec.path}'`);
    const confD = bindDir(gdir, '/etc/swanctl/conf.d');
    writeFileSync(join(confD, ipsec.path.slice('/etc/swanctl/conf.d/'.length)), ipsec.text, { mode: 0o600 });
    mkdirSync(join(gdir, 'ipsec'), { recursive: true });
    writeFileSync(join(gdir, 'ipsec', 'strongswan.conf'), STRONGSWAN_CONF);
  }
  const maxS = o.maxS ?? 150;
  return bootScriptGuest(lab, {
    name: 'gateway',
    address: GATEWAY_IP,
    tap: 'gwtap1',
    mem: o.mem ?? '256M',
    maxS,
    script: 'gateway-lns.sh',
    env: { REPO, MAX_S: maxS - 15, IKE: ipsec.kind, LSW_ROOT: LIBRESWAN_ROOT },
  });
}

/**
 * Boots guest B: xl2tpd (LAC) + pppd answering MS-CHAPv2 only (the classic client options file),
 * strongSwan with the same PSK proposing what Windows' L2TP/IPsec client proposes: IKEv1 main
 * mode, ESP transport for udp/1701 ↔ udp/1701. It waits for go().
 */
export function bootClient(
  lab: UmlLab,
  o: { mem?: string; holdS?: number; pppWaitS?: number; kind?: IkeKind } = {},
): ScriptGuest {
  const kind = o.kind ?? 'strongswan';
  const gdir = join(lab.dir, 'client');
  mkdirSync(gdir, { recursive: true });
  const x = bindDir(gdir, '/etc/xl2tpd');
  writeFileSync(
    join(x, 'xl2tpd.conf'),
    [
      '[global]',
      'port = 1701',
      'access control = no',
      'auth file = /etc/xl2tpd/l2tp-secrets',
      'force userspace = yes',
      'debug avp = yes',
      'debug network = yes',
      'debug state = yes',
      'debug tunnel = yes',
      '',
      '[lac gw]',
      `lns = ${GATEWAY_IP}`,
      `name = ${PPP_USER}`,
      'hostname = uml-client',
      'ppp debug = yes',
      'pppoptfile = /etc/ppp/options.l2tpd.client',
      'length bit = yes',
      'redial = no',
      '',
    ].join('\n'),
  );
  writeFileSync(join(x, 'l2tp-secrets'), '* * unused\n', { mode: 0o600 });
  const p = bindDir(gdir, '/etc/ppp');
  writeFileSync(join(p, 'options'), '# private /etc/ppp/options of the UML client guest\n');
  // refuse-*: the client answers MS-CHAPv2 only (RFC 2759); noauth: it does not ask the LNS to authenticate
  writeFileSync(
    join(p, 'options.l2tpd.client'),
    [
      'ipcp-accept-local',
      'ipcp-accept-remote',
      'refuse-pap',
      'refuse-chap',
      'refuse-mschap',
      'refuse-eap',
      'noccp',
      'noauth',
      'mtu 1410',
      'mru 1410',
      'noipdefault',
      'usepeerdns',
      'lcp-echo-interval 10',
      'lcp-echo-failure 4',
      `name ${PPP_USER}`,
      'debug',
      'logfile /srv/pppd.log',
      '',
    ].join('\n'),
  );
  writeFileSync(join(p, 'chap-secrets'), `"${PPP_USER}"\t*\t"${USERS.alice}"\t*\n`, { mode: 0o600 });
  for (const script of ['ip-up', 'ip-down']) {
    copyFileSync(join(GUEST_SCRIPTS, script), join(p, script));
    chmodSync(join(p, script), 0o755);
  }
  if (kind === 'libreswan') writeLibreswan(gdir, libreswanClientFiles());
  else writeStrongswanClient(gdir);
  const holdS = o.holdS ?? 20;
  const pppWaitS = o.pppWaitS ?? 30;
  return bootScriptGuest(lab, {
    name: 'client',
    address: CLIENT_IP,
    tap: 'gwtap2',
    mem: o.mem ?? '128M',
    maxS: 120 + 30 + pppWaitS + holdS,
    script: 'gateway-client.sh',
    env: { PPP_WAIT: pppWaitS, HOLD: holdS, IKE: kind, LSW_ROOT: LIBRESWAN_ROOT },
  });
}

/** The client's Libreswan conn `gw`, as the seed's how-to client has it: IKEv1 PSK, ESP transport for udp/1701. */
function libreswanClientFiles(): { path: string; text: string }[] {
  return [
    {
      path: '/etc/ipsec.d/l2tp-client.conf',
      text: [
        '# UML client: IKEv1 PSK, ESP transport mode for udp/1701 only (RFC 3193)',
        'conn gw',
        '    authby=secret',
        '    ikev2=no',
        '    type=transport',
        `    left=${CLIENT_IP}`,
        '    leftprotoport=17/1701',
        `    right=${GATEWAY_IP}`,
        '    rightprotoport=17/1701',
        '    ike=aes256-sha2_256-modp2048',
        '    esp=aes256-sha2_256',
        '    pfs=no',
        '    auto=add',
        '',
      ].join('\n'),
    },
    { path: '/etc/ipsec.d/l2tp-client.secrets', text: `${CLIENT_IP} ${GATEWAY_IP} : PSK "${PSK}"\n` },
  ];
}

function writeStrongswanClient(gdir: string): void {
  const confD = bindDir(gdir, '/etc/swanctl/conf.d');
  writeFileSync(
    join(confD, 'l2tp-client.conf'),
    `# UML client: IKEv1 PSK, ESP transport mode for udp/1701 only (RFC 3193)
connections {
    gw {
        version = 1
        local_addrs = ${CLIENT_IP}
        remote_addrs = ${GATEWAY_IP}
        proposals = aes256-sha256-modp2048
        local {
            auth = psk
        }
        remote {
            auth = psk
        }
        children {
            l2tp {
                mode = transport
                local_ts = dynamic[udp/1701]
                remote_ts = dynamic[udp/1701]
                esp_proposals = aes256-sha256
                start_action = none
            }
        }
    }
}
secrets {
    ike-gw {
        secret = "${PSK}"
    }
}
`,
    { mode: 0o600 },
  );
  mkdirSync(join(gdir, 'ipsec'), { recursive: true });
  writeFileSync(join(gdir, 'ipsec', 'strongswan.conf'), STRONGSWAN_CONF);
}

/** Starts tcpdump on br0 for IKE, ESP and L2TP (`udp or esp`) into DIR/wire.pcap; resolves once it listens. */
export async function startWireCapture(lab: UmlLab): Promise<{ pcap: string; proc: HostProcess }> {
  const pcap = join(lab.dir, 'wire.pcap');
  const proc = lab.startHost('tcpdump', [
    'tcpdump',
    '-i',
    'br0',
    '-s',
    '0',
    '-U',
    '--immediate-mode',
    '-n',
    '-w',
    pcap,
    'udp or esp',
  ]);
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    if (readFileSync(proc.log, 'utf8').includes('listening on')) return { pcap, proc };
    await sleep(50);
  }
  throw new Error(`tcpdump did not start: ${readFileSync(proc.log, 'utf8')}`);
}

/** A well-formed SCCRQ (RFC 2661 §6.1: Protocol Version, Host Name, Framing Capabilities, Assigned Tunnel ID). */
export function plainSccrq(): Uint8Array {
  return encodeControlPacket(
    { tunnelId: 0, sessionId: 0, ns: 0, nr: 0 },
    {
      type: MessageType.SCCRQ,
      avps: [
        makeBytesAvp(AvpType.ProtocolVersion, Uint8Array.of(1, 0)),
        makeStringAvp(AvpType.HostName, 'plain-probe'),
        makeU32Avp(AvpType.FramingCapabilities, 3),
        makeU16Avp(AvpType.AssignedTunnelId, 4242),
      ],
    },
  );
}

// Runs inside the netns: sends the datagram COUNT times 400 ms apart, then listens WAIT ms.
const PROBE_SCRIPT = `
const dgram = require('node:dgram');
const [hex, host, count, wait] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
let replies = 0, sent = 0;
s.on('message', () => { replies++; });
s.bind(0, () => {
  const buf = Buffer.from(hex, 'hex');
  const send = () => { s.send(buf, 1701, host, () => { sent++; }); };
  for (let i = 0; i < Number(count); i++) setTimeout(send, i * 400);
  setTimeout(() => { console.log(JSON.stringify({ sent, replies })); s.close(); }, Number(count) * 400 + Number(wait));
});
`;

/** Sends plain (no IPsec) SCCRQs from the bridge address to host:1701; returns how many went out and how many answers came back. */
export function sendPlainSccrq(
  lab: UmlLab,
  host: string,
  count: number,
  waitMs: number,
): { sent: number; replies: number } {
  const hex = Buffer.from(plainSccrq()).toString('hex');
  const out = lab.exec([process.execPath, '-e', PROBE_SCRIPT, hex, host, String(count), String(waitMs)], 30_000);
  try {
    return JSON.parse(out.trim()) as { sent: number; replies: number };
  } catch {
    throw new Error(`plain probe printed '${out}'`);
  }
}

/** One ESP SA as `ip xfrm state` prints it (enough for Wireshark's esp_sa table). */
export interface EspSa {
  readonly src: string;
  readonly dst: string;
  readonly spi: string;
  readonly encKey: string;
  readonly encAlg: string;
  readonly authKey: string;
  readonly authAlg: string;
  readonly authBits: number;
}

/** Parses `ip xfrm state` output (the keys are shown: the SAs are ours, in a throwaway guest). */
export function parseXfrmState(text: string): EspSa[] {
  const out: EspSa[] = [];
  for (const block of text.split(/^(?=src )/m)) {
    const head = /^src (\S+) dst (\S+)/.exec(block);
    const spi = /proto esp spi (0x[0-9a-f]+)/.exec(block);
    const enc = /enc (\S+) (0x[0-9a-f]+)/.exec(block);
    const auth = /auth-trunc (\S+) (0x[0-9a-f]+) (\d+)/.exec(block);
    if (head === null || spi === null || enc === null || auth === null) continue;
    out.push({
      src: head[1] ?? '',
      dst: head[2] ?? '',
      spi: spi[1] ?? '',
      encAlg: enc[1] ?? '',
      encKey: enc[2] ?? '',
      authAlg: auth[1] ?? '',
      authKey: auth[2] ?? '',
      authBits: Number(auth[3]),
    });
  }
  return out;
}

function espSaOption(sa: EspSa): string {
  const enc = sa.encAlg === 'cbc(aes)' ? 'AES-CBC [RFC3602]' : 'NULL';
  const auth =
    sa.authAlg === 'hmac(sha256)' && sa.authBits === 128
      ? 'HMAC-SHA-256-128 [RFC4868]'
      : sa.authAlg === 'hmac(sha1)' && sa.authBits === 96
        ? 'HMAC-SHA-1-96 [RFC2404]'
        : 'NULL';
  return `uat:esp_sa:"IPv4","${sa.src}","${sa.dst}","${sa.spi}","${enc}","${sa.encKey}","${auth}","${sa.authKey}"`;
}

/** One packet of the capture as tshark sees it, ESP decrypted with the SA keys when given. */
export interface WirePacket {
  readonly number: number;
  readonly src: string;
  readonly dst: string;
  /** The ESP SPI when the packet travelled in ESP. */
  readonly spi: string | undefined;
  readonly isIke: boolean;
  /** Clear (not in ESP) UDP to or from port 1701. */
  readonly clearL2tp: boolean;
  /** L2TP was dissected (clear, or inside decrypted ESP). */
  readonly l2tp: boolean;
  readonly malformed: boolean;
  readonly info: string;
}

/** Every packet of `pcap`, with ESP decrypted by tshark (esp_sa table) from `sas`; also written to OUT. */
export function readWire(pcap: string, sas: readonly EspSa[], out: string): WirePacket[] {
  const args = [
    '-n',
    '-r',
    pcap,
    '-o',
    'esp.enable_encryption_decode:TRUE',
    '-o',
    'esp.enable_authentication_check:TRUE',
    ...sas.flatMap((sa) => ['-o', espSaOption(sa)]),
    '-T',
    'fields',
    '-E',
    'separator=\t',
    '-e',
    'frame.number',
    '-e',
    'ip.src',
    '-e',
    'ip.dst',
    '-e',
    'esp.spi',
    '-e',
    'isakmp',
    '-e',
    'udp.port',
    '-e',
    'l2tp',
    '-e',
    '_ws.malformed',
    '-e',
    '_ws.col.Info',
  ];
  const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const packets: WirePacket[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const [num, src, dst, spi, ike, ports, l2tp, malformed, info] = line.split('\t');
    const inEsp = (spi ?? '') !== '';
    // udp.port lists the outer ports first; inside ESP the first UDP header is the inner one
    const has1701 = (ports ?? '').split(',').includes('1701');
    packets.push({
      number: Number(num),
      src: src ?? '',
      dst: dst ?? '',
      spi: inEsp ? spi : undefined,
      isIke: (ike ?? '') !== '',
      clearL2tp: !inEsp && has1701,
      l2tp: (l2tp ?? '') !== '',
      malformed: (malformed ?? '') !== '',
      info: info ?? '',
    });
  }
  writeFileSync(
    out,
    packets
      .map(
        (p) =>
          `${String(p.number).padStart(4)} ${p.src.padEnd(12)} > ${p.dst.padEnd(12)} ${(p.spi ? `esp:${p.spi}` : 'clear').padEnd(16)} ${p.info}`,
      )
      .join('\n'),
  );
  return packets;
}

/** One row of `iptables -L -n -v -x`: packet counter, target, and the rest of the line. */
export interface IptablesRule {
  readonly chain: string;
  readonly pkts: number;
  readonly target: string;
  readonly line: string;
}

/** Parses `iptables-legacy -L -n -v -x` output into rows per chain. */
export function parseIptables(text: string): IptablesRule[] {
  const rules: IptablesRule[] = [];
  let chain = '';
  for (const line of text.split('\n')) {
    const head = /^Chain (\S+)/.exec(line);
    if (head !== null) {
      chain = head[1] ?? '';
      continue;
    }
    const row = /^\s*(\d+)\s+\d+\s+(\S+)\s/.exec(line);
    if (row !== null) rules.push({ chain, pkts: Number(row[1]), target: row[2] ?? '', line: line.trim() });
  }
  return rules;
}
