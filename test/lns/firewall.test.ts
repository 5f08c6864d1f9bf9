// `l2tp-ts firewall` / `ipsec-config`: the rule text carries the IPsec-policy rule (RFC 3193), the
// entry points parse their flags, and --apply really loads the rules into a network namespace we
// create (skipped with a reason when not root or nft/ip are missing).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CommandIo, firewallRules, iptablesCommands, runFirewallCommand } from '../../src/cli/firewall.js';
import { ipsecConfig, runIpsecConfigCommand } from '../../src/cli/ipsec-config.js';

function capture(exec?: CommandIo['exec']): CommandIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(s: string) {
      io.out += s;
    },
    stderr(s: string) {
      io.err += s;
    },
    ...(exec && { exec }),
  };
  return io;
}

/** Runs `program args` inside network namespace `ns`, as CommandIo.exec: the rules land there, not on the host. */
function inNetns(ns: string): NonNullable<CommandIo['exec']> {
  return async (program, args, input) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, program, ...args], { input: input ?? '', encoding: 'utf8' });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  };
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const isRoot = process.getuid?.() === 0;
const netnsReason = !isRoot ? 'not root' : !has('nft') ? 'nft missing' : !has('ip') ? 'ip missing' : undefined;

describe('firewallRules', () => {
  it('RFC3193: nft accepts udp/1701 only with meta ipsec exists, then drops plain udp/1701', () => {
    const text = firewallRules({ form: 'nft' });
    const rule = text.indexOf('udp dport 1701 meta ipsec exists accept');
    const drop = text.indexOf('udp dport 1701 counter drop');
    expect(rule).toBeGreaterThan(0);
    expect(drop).toBeGreaterThan(rule);
    for (const s of ['meta l4proto esp accept', 'meta l4proto ah accept', 'udp dport { 500, 4500 } accept']) {
      expect(text).toContain(s);
    }
    expect(text).toContain('table inet l2tp_ts {');
    expect(firewallRules({ form: 'nft', port: 1702, name: 't' })).toContain('udp dport 1702 meta ipsec exists accept');
  });

  it('RFC3193: iptables accepts --pol ipsec udp/1701 before the DROP of plain udp/1701', () => {
    const text = firewallRules({ form: 'iptables' });
    const accept = text.indexOf('-m policy --dir in --pol ipsec -p udp --dport 1701 -j ACCEPT');
    const drop = text.indexOf('-p udp --dport 1701 -j DROP');
    expect(accept).toBeGreaterThan(0);
    expect(drop).toBeGreaterThan(accept);
    expect(text).toContain('iptables -A L2TP_TS -p esp -j ACCEPT');
    expect(text).toContain('iptables -C INPUT -j L2TP_TS 2>/dev/null || iptables -I INPUT 1 -j L2TP_TS');
    expect(firewallRules({ form: 'iptables-legacy' })).toContain('iptables-legacy -A L2TP_TS -p ah -j ACCEPT');
    expect(iptablesCommands({ form: 'iptables' }).every((c) => c.program === 'iptables')).toBe(true);
  });
});

describe('runFirewallCommand', () => {
  it('prints the nft rules by default and the iptables script with --form', async () => {
    const io = capture();
    expect(await runFirewallCommand([], io)).toBe(0);
    expect(io.out).toBe(firewallRules({ form: 'nft' }));
    const io2 = capture();
    expect(await runFirewallCommand(['--form', 'iptables', '--port', '1702'], io2)).toBe(0);
    expect(io2.out).toContain('--dport 1702 -j DROP');
  });

  it('exits 2 on bad usage, with the help', async () => {
    const io = capture();
    expect(await runFirewallCommand(['--form', 'pf'], io)).toBe(2);
    expect(io.err).toContain("--form: 'pf' is not one of nft, iptables, iptables-legacy");
    expect(await runFirewallCommand(['--apply', '--remove'], capture())).toBe(2);
    expect(await runFirewallCommand(['--port', '0'], capture())).toBe(2);
  });

  it('--apply feeds the nft text to `nft -f -` through the injected exec; a failure exits 1', async () => {
    const calls: { program: string; args: readonly string[]; input?: string }[] = [];
    const io = capture(async (program, args, input) => {
      calls.push({ program, args, ...(input !== undefined && { input }) });
      return { code: 0, stdout: '', stderr: '' };
    });
    expect(await runFirewallCommand(['--apply'], io)).toBe(0);
    expect(calls).toEqual([{ program: 'nft', args: ['-f', '-'], input: firewallRules({ form: 'nft' }) }]);
    const failing = capture(async () => ({ code: 1, stdout: '', stderr: 'Error: syntax error' }));
    expect(await runFirewallCommand(['--apply'], failing)).toBe(1);
    expect(failing.err).toContain('Error: syntax error');
  });

  it('--apply with iptables skips the INPUT jump when -C finds it', async () => {
    const calls: string[] = [];
    const io = capture(async (program, args) => {
      calls.push(`${program} ${args.join(' ')}`);
      return { code: args[0] === '-C' ? 0 : 0, stdout: '', stderr: '' };
    });
    expect(await runFirewallCommand(['--apply', '--form', 'iptables'], io)).toBe(0);
    expect(calls).toContain('iptables -C INPUT -j L2TP_TS');
    expect(calls).not.toContain('iptables -I INPUT 1 -j L2TP_TS');
  });

  it.skipIf(netnsReason !== undefined)(
    `--apply loads the nft rules into a fresh network namespace (${netnsReason ?? 'root + nft'})`,
    async () => {
      const ns = `l2tpts-fw-${process.pid}`;
      expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
      try {
        const io = capture(inNetns(ns));
        expect(await runFirewallCommand(['--apply'], io)).toBe(0);
        expect(await runFirewallCommand(['--apply'], io)).toBe(0); // idempotent
        const listed = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
        expect(listed).toContain('udp dport 1701 meta ipsec exists accept');
        expect(listed.match(/table inet l2tp_ts/g)).toHaveLength(1);
        expect(await runFirewallCommand(['--remove'], io)).toBe(0);
        const after = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
        expect(after).not.toContain('l2tp_ts');
      } finally {
        spawnSync('ip', ['netns', 'delete', ns]);
      }
    },
  );

  it.skipIf(netnsReason !== undefined || !has('iptables'))(
    `--apply --form iptables loads the chain into a fresh network namespace (${netnsReason ?? 'root + iptables'})`,
    async () => {
      const ns = `l2tpts-fw-ipt-${process.pid}`;
      expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
      try {
        const io = capture(inNetns(ns));
        expect(await runFirewallCommand(['--apply', '--form', 'iptables'], io)).toBe(0);
        expect(await runFirewallCommand(['--apply', '--form', 'iptables'], io)).toBe(0);
        const rules = spawnSync('ip', ['netns', 'exec', ns, 'iptables', '-S'], { encoding: 'utf8' }).stdout;
        expect(rules).toContain('-A L2TP_TS -p udp -m policy --dir in --pol ipsec -m udp --dport 1701 -j ACCEPT');
        expect(rules.match(/-A INPUT -j L2TP_TS/g)).toHaveLength(1);
      } finally {
        spawnSync('ip', ['netns', 'delete', ns]);
      }
    },
  );
});

describe('ipsecConfig', () => {
  it('RFC3193: Libreswan conn is transport mode for udp/1701 with a PSK', () => {
    const [conn, secrets] = ipsecConfig({ kind: 'libreswan', psk: 's3cret', left: '192.0.2.1' });
    expect(conn!.path).toBe('/etc/ipsec.d/l2tp-ts.conf');
    for (const line of ['type=transport', 'leftprotoport=17/1701', 'rightprotoport=17/%any', 'authby=secret']) {
      expect(conn!.text).toContain(`    ${line}\n`);
    }
    expect(conn!.text).toContain('left=192.0.2.1');
    expect(conn!.text).toContain('ikev2=no');
    expect(secrets).toEqual({
      path: '/etc/ipsec.d/l2tp-ts.secrets',
      text: '# l2tp-ts: PSK for conn l2tp-ts (chmod 600)\n192.0.2.1 %any : PSK "s3cret"\n',
      secret: true,
    });
  });

  it('RFC3193: strongSwan swanctl.conf is transport mode for udp/1701, IKEv1 by default, IKEv2 on request', () => {
    const [file] = ipsecConfig({ kind: 'strongswan', psk: 'a"b' });
    expect(file!.path).toBe('/etc/swanctl/conf.d/l2tp-ts.conf');
    for (const s of [
      'version = 1',
      'mode = transport',
      'local_ts = dynamic[udp/1701]',
      'auth = psk',
      'secret = "a\\"b"',
    ]) {
      expect(file!.text).toContain(s);
    }
    expect(ipsecConfig({ kind: 'strongswan', ikeVersion: 2 })[0]!.text).toContain('version = 2');
    // Balanced braces: swanctl.conf is a tree.
    expect(file!.text.split('{').length).toBe(file!.text.split('}').length);
  });

  it('runIpsecConfigCommand prints the files, warns without --psk, exits 2 on bad usage', async () => {
    const io = capture();
    expect(await runIpsecConfigCommand(['--kind', 'libreswan'], io)).toBe(0);
    expect(io.out).toContain('# ----- /etc/ipsec.d/l2tp-ts.secrets (mode 0600)');
    expect(io.err).toContain('no --psk given');
    const io2 = capture();
    expect(await runIpsecConfigCommand(['--psk', 'k', '--ikev2'], io2)).toBe(0);
    expect([io2.out.includes('version = 2'), io2.err]).toEqual([true, '']);
    expect(await runIpsecConfigCommand(['--kind', 'racoon'], capture())).toBe(2);
  });

  it('--libreswan is --kind libreswan, and the conn says what changed since the old how-tos', async () => {
    const io = capture();
    expect(await runIpsecConfigCommand(['--libreswan', '--psk', 'k'], io)).toBe(0);
    expect(io.out).toContain('# ----- /etc/ipsec.d/l2tp-ts.conf\n');
    // Libreswan 4 drops IKEv1 by default; the how-tos' protostack=netkey is xfrm today
    expect(io.out).toContain('ikev1-policy=accept');
    expect(io.out).toContain('protostack=netkey is now protostack=xfrm');
    // the notes are comments: no config setup keyword leaks into the conn file
    expect(io.out).not.toMatch(/^\s*(protostack|nat_traversal|ikev1-policy)=/m);
  });
});

const CHARON = '/usr/lib/ipsec/charon';
const charonReason = !isRoot
  ? 'not root'
  : !existsSync(CHARON) || !has('swanctl')
    ? 'strongSwan charon/swanctl missing'
    : undefined;

describe('ipsecConfig against a real strongSwan', () => {
  it.skipIf(charonReason !== undefined)(
    `charon loads the generated swanctl.conf: IKEv1, transport mode, udp/1701 (${charonReason ?? 'charon in a netns'})`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'l2tpts-swan-'));
      const ns = `l2tpts-swan-${process.pid}`;
      const vici = `unix://${dir}/charon.vici`;
      // A private strongswan.conf: own vici socket and IKE ports, nothing of the host's /etc/ipsec.
      writeFileSync(
        join(dir, 'strongswan.conf'),
        `charon {\n load_modular = yes\n plugins {\n  include /etc/strongswan.d/charon/*.conf\n  vici {\n   socket = ${vici}\n  }\n }\n install_routes = no\n port = 15500\n port_nat_t = 15501\n}\n`,
      );
      writeFileSync(join(dir, 'swanctl.conf'), ipsecConfig({ kind: 'strongswan', psk: 'test-psk' })[0]!.text);
      const env = { ...process.env, STRONGSWAN_CONF: join(dir, 'strongswan.conf') };
      expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
      const charon = spawn('ip', ['netns', 'exec', ns, CHARON], { env, stdio: 'ignore' });
      try {
        for (let i = 0; i < 100 && !existsSync(`${dir}/charon.vici`); i++) await new Promise((r) => setTimeout(r, 50));
        const swanctl = (...args: string[]) =>
          spawnSync('ip', ['netns', 'exec', ns, 'swanctl', ...args, '--uri', vici], { env, encoding: 'utf8' });
        const load = swanctl('--load-all', '--file', join(dir, 'swanctl.conf'));
        expect(load.status, load.stdout + load.stderr).toBe(0);
        expect(load.stdout).toContain("loaded connection 'l2tp-ts'");
        expect(load.stdout).toContain("loaded ike secret 'ike-l2tp-ts'");
        const conns = swanctl('--list-conns').stdout;
        expect(conns).toContain('l2tp-ts: IKEv1');
        expect(conns).toContain('TRANSPORT');
        expect(conns).toMatch(/local: +dynamic\[udp\/(l2f|1701)\]/);
      } finally {
        charon.kill('SIGTERM');
        await new Promise((r) => charon.once('exit', r));
        spawnSync('ip', ['netns', 'delete', ns]);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
