// The reference LNS for the UML harness: l2tpns (user-space PPP over TUN) authenticating through
// FreeRADIUS, both inside the lab's netns. It needs none of l2tp-ts's code (RFC 2661, RFC 1994).
// Related: harness.ts, reference.test.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { l2tpnsStartupConfig, writeRaddb } from '../../support/peers/l2tpns-config.js';
import type { HostProcess, UmlLab } from './harness.js';
import { BRIDGE_IP } from './harness.js';

/** l2tpns's TUN address (the IPCP peer address the guests ping) and its pool. */
export const L2TPNS_TUN_IP = '10.204.99.1';
export const L2TPNS_POOL = '10.204.100.0/24';
export const L2TPNS_DNS = ['10.204.99.53', '10.204.99.54'] as const;
const RADIUS_SECRET = 'umlradsecret';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Why the reference LNS cannot run here (undefined when it can). */
export function referenceSkipReason(): string | undefined {
  for (const bin of ['/usr/sbin/l2tpns', '/usr/sbin/freeradius']) {
    if (!existsSync(bin)) return `${bin} missing (apt-get install l2tpns freeradius)`;
  }
  if (!existsSync('/etc/l2tpns')) return '/etc/l2tpns missing (l2tpns reads fixed paths there)';
  return undefined;
}

/** FreeRADIUS on 127.0.0.1:1812/1813 inside the netns, one user with a cleartext password. */
export async function startFreeRadius(lab: UmlLab, user: string, password: string): Promise<HostProcess> {
  const d = join(lab.dir, 'raddb');
  writeRaddb(d, { secret: RADIUS_SECRET, user, password });
  const p = lab.startHost('freeradius', ['freeradius', '-X', '-d', d]);
  await lab.waitUdpListening(1812, 15_000, p);
  return p;
}

/**
 * l2tpns bound to BRIDGE_IP:1701, TUN l2tun0, pool L2TPNS_POOL, RADIUS on 127.0.0.1; resolves
 * once it answers (it must first win its cluster master election, ~2 s with these timers).
 */
export async function startL2tpns(lab: UmlLab): Promise<HostProcess> {
  const etc = join(lab.dir, 'etc-l2tpns');
  mkdirSync(etc, { recursive: true });
  const log = join(lab.dir, 'l2tpns-debug.log');
  writeFileSync(
    join(etc, 'startup-config'),
    l2tpnsStartupConfig({
      logFile: log,
      pidFile: join(lab.dir, 'l2tpns.pid'),
      secret: 'unused',
      dns: L2TPNS_DNS,
      radiusSecret: RADIUS_SECRET,
      bindAddress: BRIDGE_IP,
      tunAddress: L2TPNS_TUN_IP,
      tunName: 'l2tun0',
    }),
  );
  writeFileSync(join(etc, 'ip_pool'), `${L2TPNS_POOL}\n`);
  writeFileSync(join(etc, 'users'), '');
  // l2tpns reads /etc/l2tpns/{ip_pool,users} from fixed paths: bind a private dir over it in the
  // mount namespace `ip netns exec` creates. It kill(0)s its process group on exit: the lab
  // starts it in its own session.
  const p = lab.startHost('l2tpns', [
    'sh',
    '-c',
    `mount --bind '${etc}' /etc/l2tpns && exec l2tpns -c /etc/l2tpns/startup-config -h lab-l2tpns`,
  ]);
  await lab.waitUdpListening(1701, 15_000, p);
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    if (existsSync(log) && readFileSync(log, 'utf8').includes('I am declaring myself the master')) return p;
    if (p.exitCode !== undefined) break;
    await sleep(100);
  }
  throw new Error('l2tpns never became cluster master (it answers nothing until then)');
}
