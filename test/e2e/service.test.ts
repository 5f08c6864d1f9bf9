// Issue 12 item 8, running as a service: systemd-analyze accepts contrib/systemd/l2tp-ts.service;
// the LNS started with that unit's capabilities alone (uid 65534, the ambient and bounding sets
// the unit names, no root) serves a session in TUN mode inside a namespace; the OpenWrt init
// script parses; the OpenWrt firewall form's fw4 include loads with `nft -c -f` where fw4 puts it.
// Related: contrib/, src/cli/firewall.ts, test/support/netns.ts, test/e2e/tun.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firewallRules, OPENWRT_INCLUDE_MARKER } from '../../src/cli/firewall.js';
import { createLac, type LacClient } from '../../src/index.js';
import { labSkipReason, NetLab, tail, waitFor, which } from '../support/netns.js';

const ROOT = resolve(import.meta.dirname, '../..');
const UNIT = join(ROOT, 'contrib/systemd/l2tp-ts.service');
const BIN = join(ROOT, 'bin/l2tp-ts.js');

/** The values of `key=` lines of a unit file (several lines and space-separated words join). */
function unitValues(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .flatMap((l) => l.slice(key.length + 1).split(/\s+/))
    .filter((w) => w !== '');
}

describe('service files', () => {
  it.skipIf(!which('systemd-analyze'))('systemd-analyze verify accepts the unit', () => {
    const dir = join(ROOT, 'node_modules/.cache');
    mkdirSync(dir, { recursive: true });
    // verify checks that ExecStart exists: point it at this checkout's executable.
    const copy = join(dir, 'l2tp-ts.service');
    writeFileSync(copy, readFileSync(UNIT, 'utf8').replace('/usr/local/bin/l2tp-ts', BIN));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    const ours = r.stderr
      .split('\n')
      .filter((l) => l.includes('l2tp-ts.service'))
      .join('\n');
    expect(r.status, r.stderr).toBe(0);
    expect(ours).toBe('');
    // The unit names exactly the two capabilities the README documents.
    const text = readFileSync(UNIT, 'utf8');
    expect(unitValues(text, 'AmbientCapabilities')).toEqual(['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE']);
    expect(unitValues(text, 'CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE']);
    expect(unitValues(text, 'ExecReload')).toEqual(['/bin/kill', '-HUP', '$MAINPID']);
  });

  it('the OpenWrt init script is valid sh and reloads with SIGHUP', () => {
    const script = join(ROOT, 'contrib/openwrt/l2tp-ts.init');
    expect(spawnSync('sh', ['-n', script]).status).toBe(0);
    expect(readFileSync(script, 'utf8')).toMatch(/procd_send_signal l2tp-ts '\*' HUP/);
  });

  it.skipIf(!which('nft') || process.getuid?.() !== 0)(
    "firewall --form openwrt: the fw4 include loads inside fw4's input_wan chain (nft -c -f)",
    () => {
      const text = firewallRules({ form: 'openwrt' });
      const include = text.slice(text.indexOf(OPENWRT_INCLUDE_MARKER) + OPENWRT_INCLUDE_MARKER.length + 1);
      expect(include).toMatch(/^udp dport 1701 meta ipsec exists/);
      expect(text).toMatch(/option position 'chain-pre'\n\toption chain 'input_wan'/);
      const dir = join(ROOT, 'node_modules/.cache');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'l2tp-ipsec.nft'), include);
      // fw4 places a chain-pre include at the head of the chain, the way this wrapper does.
      writeFileSync(
        join(dir, 'fw4.nft'),
        `table inet fw4 {\n  chain input_wan {\n    include "${join(dir, 'l2tp-ipsec.nft')}"\n    reject\n  }\n}\n`,
      );
      execFileSync('nft', ['-c', '-f', join(dir, 'fw4.nft')]);
      // And a broken include is refused (the check can fail).
      writeFileSync(join(dir, 'l2tp-ipsec.nft'), 'udp dport 1701 meta ipsec maybe accept\n');
      expect(() => execFileSync('nft', ['-c', '-f', join(dir, 'fw4.nft')], { stdio: 'pipe' })).toThrow();
    },
  );
});

const skip =
  labSkipReason(['setpriv']) ??
  (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun') ??
  (spawnSync('setpriv', [
    '--reuid',
    '65534',
    '--regid',
    '65534',
    '--clear-groups',
    process.execPath,
    '-e',
    `require('fs').accessSync('${BIN}')`,
  ]).status === 0
    ? undefined
    : 'the checkout is not readable by uid 65534');

describe.skipIf(skip !== undefined)(
  `the LNS with the unit's capabilities alone${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let lab: NetLab;
    let lac: LacClient | undefined;
    afterAll(async () => {
      await lac?.close(500).catch(() => undefined);
      await lab?.destroy();
    }, 30_000);

    it('uid 65534 with CAP_NET_ADMIN + CAP_NET_BIND_SERVICE serves a TUN session on udp/1701', async () => {
      lab = new NetLab('sv');
      const lnsNs = lab.addNamespace();
      const lacNs = lab.addNamespace();
      lab.addVeth({ ns: lacNs, address: '10.203.79.1/24' }, { ns: lnsNs, address: '10.203.79.2/24' });
      // The files the service user owns, as the README says to install them.
      const home = join(lab.dir, 'svc');
      mkdirSync(join(home, 'run'), { recursive: true });
      chmodSync(lab.dir, 0o755);
      const config = join(home, 'lns.json');
      writeFileSync(config, JSON.stringify({ users: { alice: 's3cret' } }), { mode: 0o600 });
      for (const p of [home, join(home, 'run'), config]) chownSync(p, 65534, 65534);
      chmodSync(join(home, 'run'), 0o700);

      const caps = unitValues(readFileSync(UNIT, 'utf8'), 'AmbientCapabilities').map((c) =>
        c.replace(/^CAP_/, '').toLowerCase(),
      );
      const set = caps.map((c) => `+${c}`).join(',');
      // Debian's /dev/net/tun is 0666, the unit relies on that; a container's may be 0600. The LNS
      // gets a 0666 node of its own, bind-mounted in a private mount namespace (the host's stays).
      const tunNode = join(lab.dir, 'tun');
      execFileSync('mknod', ['-m', '0666', tunNode, 'c', '10', '200']);
      const argv = [
        'setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        `--inh-caps=-all,${set}`,
        `--ambient-caps=-all,${set}`,
        `--bounding-set=-all,${set}`,
        process.execPath,
        BIN,
        'lns',
        '--tun',
        '--json-config',
        config,
        '--listen',
        '10.203.79.2',
        '--port',
        '1701',
        '--control',
        join(home, 'run/control.sock'),
      ];
      const lns = lab.spawn('lns', lnsNs, 'unshare', [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$0" /dev/net/tun && exec "$@"',
        tunNode,
        ...argv,
      ]);
      await waitFor(
        'the LNS to listen',
        () => /listening on [\d.]+:1701 \(TUN mode\)/.test(tail(lns.log, 50)) || lns.exitCode !== undefined,
        20_000,
        () => tail(lns.log),
      );
      expect(lns.exitCode, tail(lns.log)).toBeUndefined();
      const status = readFileSync(`/proc/${lns.pid}/status`, 'utf8');
      void status; // the setpriv wrapper execs node: its PID is the LNS
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${lns.pid}/status`, 'utf8'))?.[1];
      expect(uid).toBe('65534');

      lac = await lab.withNetns(lacNs, () =>
        createLac({ server: { address: '10.203.79.2', port: 1701 }, user: 'alice', password: 's3cret' }),
      );
      const up = await lac.waitFor('session-up', undefined, 15_000);
      expect(up).toMatchObject({ address: '10.1.20.31', peerAddress: '10.1.20.30' });
      const [session] = lac.engine.sessions.values();
      expect(await lac.ping(session!, 5000)).toBeGreaterThanOrEqual(0);
      expect(lab.run(lnsNs, 'ip', ['-4', 'route', 'show']).stdout).toMatch(/10\.1\.20\.31 dev \S+/);
    }, 60_000);
  },
);
