// `l2tp-ts ipsec-config`: the IPsec side of L2TP/IPsec (RFC 3193 §4-5): ESP transport mode for
// udp/1701 only, PSK authentication, for Libreswan (ipsec.conf conn) or strongSwan (swanctl.conf).
// Pure text builders plus a testable entry point. Related: firewall.ts, docs/CONFIG.md.
import { formatFlags, parseArgs, UsageError } from './args.js';
import type { CommandIo } from './firewall.js';

/** What to generate. */
export interface IpsecConfigOptions {
  readonly kind: 'libreswan' | 'strongswan';
  /** Pre-shared key; a placeholder is written when absent. */
  readonly psk?: string;
  /** Our address (Libreswan `left`, strongSwan `local_addrs`); default %defaultroute / %any. */
  readonly left?: string;
  /** Peer address; default %any (road warriors). */
  readonly right?: string;
  /** L2TP port (default 1701). */
  readonly port?: number;
  /** Connection name (default l2tp-ts). */
  readonly name?: string;
  /** IKE version: 1 (default: what built-in Windows/macOS/iOS/Android L2TP clients speak) or 2. */
  readonly ikeVersion?: 1 | 2;
}

/** One file to write. */
export interface IpsecFile {
  readonly path: string;
  readonly text: string;
  /** Contains the PSK: write it mode 0600. */
  readonly secret: boolean;
}

const PLACEHOLDER = 'CHANGE-THIS-PRE-SHARED-KEY';

/**
 * What changed in Libreswan since the classic L2TP/IPsec how-tos (Openswan/Libreswan 3.x) were
 * written, printed with the conn so a reader who copies the old `config setup` knows what to drop.
 * Checked against Libreswan 4.10 (Debian 12), whose pluto loads this conn in test/interop/uml/gateway.test.ts.
 */
export const LIBRESWAN_CHANGES: readonly string[] = [
  '# Since the old how-tos (Openswan / Libreswan 3.x) were written:',
  '#   IKEv1 is refused unless config setup in /etc/ipsec.conf says ikev1-policy=accept',
  '#   (Libreswan 4 defaults to drop: "global ikev1-policy does not allow IKEv1 connections").',
  '#   protostack=netkey is now protostack=xfrm, the default: leave it out of config setup.',
  '#   nat_traversal=yes is obsolete (NAT-T is always on): drop it.',
  '#   virtual_private= is only needed with rightsubnet=vhost:%priv, which this conn does not use.',
  '#   no ike=/esp= line: the defaults (AES, SHA2, MODP2048) are what current clients offer.',
];

/** The configuration files for `kind`, each with its usual path. */
export function ipsecConfig(o: IpsecConfigOptions): IpsecFile[] {
  const name = o.name ?? 'l2tp-ts';
  const port = o.port ?? 1701;
  const psk = quote(o.psk ?? PLACEHOLDER);
  const ike = o.ikeVersion ?? 1;
  if (o.kind === 'libreswan') {
    const conn = [
      `# l2tp-ts: L2TP/IPsec (RFC 3193), ESP transport mode for udp/${port} only, PSK.`,
      `# IKEv${ike}${ike === 1 ? ' main mode: what built-in L2TP/IPsec clients speak (Libreswan 5: keyexchange=ikev1, and IKEv1 must be built in)' : ''}.`,
      ...LIBRESWAN_CHANGES,
      `conn ${name}`,
      '    authby=secret',
      `    ikev2=${ike === 2 ? 'yes' : 'no'}`,
      '    type=transport',
      `    left=${o.left ?? '%defaultroute'}`,
      `    leftprotoport=17/${port}`,
      `    right=${o.right ?? '%any'}`,
      // Clients behind NAT or with a random source port (macOS) do not use 1701 as source.
      '    rightprotoport=17/%any',
      '    pfs=no',
      '    rekey=no',
      '    keyingtries=5',
      '    dpddelay=30',
      '    dpdtimeout=120',
      '    dpdaction=clear',
      '    auto=add',
      '',
    ].join('\n');
    const secrets = [
      `# l2tp-ts: PSK for conn ${name} (chmod 600)`,
      `${o.left && !o.left.startsWith('%') ? o.left : '%any'} ${o.right && !o.right.startsWith('%') ? o.right : '%any'} : PSK ${psk}`,
      '',
    ].join('\n');
    return [
      { path: `/etc/ipsec.d/${name}.conf`, text: conn, secret: false },
      { path: `/etc/ipsec.d/${name}.secrets`, text: secrets, secret: true },
    ];
  }
  const addr = (a: string | undefined) => (a === undefined || a.startsWith('%') ? '%any' : a);
  const text = [
    `# l2tp-ts: L2TP/IPsec (RFC 3193), ESP transport mode for udp/${port} only, PSK (chmod 600: holds the key).`,
    ike === 1
      ? '# version = 1: IKEv1 main mode, what built-in Windows/macOS/iOS/Android L2TP clients speak.'
      : '# version = 2: IKEv2 (only for clients that do L2TP over IKEv2, e.g. strongSwan/Libreswan peers).',
    'connections {',
    `    ${name} {`,
    `        version = ${ike}`,
    `        local_addrs = ${addr(o.left)}`,
    `        remote_addrs = ${addr(o.right)}`,
    // Old clients still offer SHA-1/MODP-1024; `default` keeps strongSwan's modern set too.
    '        proposals = aes256-sha256-modp2048,aes128-sha256-modp2048,aes256-sha1-modp1024,aes128-sha1-modp1024,default',
    '        dpd_delay = 30s',
    '        local {',
    '            auth = psk',
    '        }',
    '        remote {',
    '            auth = psk',
    '        }',
    '        children {',
    `            ${name} {`,
    '                mode = transport',
    `                local_ts = dynamic[udp/${port}]`,
    '                remote_ts = dynamic[udp]',
    '                esp_proposals = aes256-sha256,aes128-sha256,aes256-sha1,aes128-sha1,default',
    '                start_action = none',
    '                dpd_action = clear',
    '            }',
    '        }',
    '    }',
    '}',
    'secrets {',
    `    ike-${name} {`,
    `        secret = ${psk}`,
    '    }',
    '}',
    '',
  ].join('\n');
  return [{ path: `/etc/swanctl/conf.d/${name}.conf`, text, secret: true }];
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const FLAGS = {
  kind: { kind: 'string', help: 'libreswan or strongswan (default strongswan)', choices: ['libreswan', 'strongswan'] },
  libreswan: { kind: 'boolean', help: 'the same as --kind libreswan' },
  psk: { kind: 'string', help: 'pre-shared key (default: a placeholder to replace)', valueName: 'KEY' },
  left: { kind: 'string', help: 'our public address (default %defaultroute / %any)', valueName: 'ADDR' },
  right: { kind: 'string', help: 'peer address (default %any)', valueName: 'ADDR' },
  port: { kind: 'int', help: 'L2TP port (default 1701)', min: 1, max: 65535 },
  name: { kind: 'string', help: 'connection name (default l2tp-ts)', valueName: 'NAME' },
  ikev2: { kind: 'boolean', help: 'IKEv2 instead of IKEv1' },
} as const;

/** `l2tp-ts ipsec-config [--libreswan] [--kind libreswan|strongswan] [--psk KEY] …`: prints the files; resolves to the exit code. */
export async function runIpsecConfigCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<typeof FLAGS>>;
  try {
    parsed = parseArgs(argv, FLAGS);
    if (parsed._.length > 0) throw new UsageError(`unexpected argument '${parsed._[0]}'`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`l2tp-ts ipsec-config: ${e.message}\n${IPSEC_CONFIG_HELP}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(IPSEC_CONFIG_HELP);
    return 0;
  }
  const files = ipsecConfig({
    kind: (parsed.libreswan ? 'libreswan' : (parsed.kind ?? 'strongswan')) as IpsecConfigOptions['kind'],
    ...(parsed.psk !== undefined && { psk: parsed.psk }),
    ...(parsed.left !== undefined && { left: parsed.left }),
    ...(parsed.right !== undefined && { right: parsed.right }),
    ...(parsed.port !== undefined && { port: parsed.port }),
    ...(parsed.name !== undefined && { name: parsed.name }),
    ikeVersion: parsed.ikev2 ? 2 : 1,
  });
  if (parsed.psk === undefined) io.stderr(`l2tp-ts ipsec-config: no --psk given; replace ${PLACEHOLDER}\n`);
  io.stdout(files.map((f) => `# ----- ${f.path}${f.secret ? ' (mode 0600)' : ''}\n${f.text}`).join('\n'));
  return 0;
}

/** --help text of `l2tp-ts ipsec-config`. */
export const IPSEC_CONFIG_HELP = `Usage: l2tp-ts ipsec-config [options]

Prints the IPsec configuration that protects L2TP: ESP transport mode for udp/1701 only, PSK
authentication (Libreswan ipsec.conf conn or strongSwan swanctl.conf). Pair it with
\`l2tp-ts firewall\` so plain udp/1701 is dropped.

${formatFlags(FLAGS)}
`;
