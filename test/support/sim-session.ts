// One LNS engine and one LAC engine on a SimNetwork with a session up (MS-CHAPv2, the seed's pool
// and local ip): the fixture of the data-path tests (session layer, admission, the userspace
// responder). Deterministic: fixed seeds, virtual time. Related: sim-network.ts, test/session/.
import { expect } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { LacEngine, type LacEngineOptions, type LacEvent } from '../../src/lac/lac.js';
import { AddressPool } from '../../src/lns/address-pool.js';
import { LnsEngine, type LnsEngineOptions, type LnsEvent } from '../../src/lns/lns.js';
import type { PppSession } from '../../src/session/ppp-over-l2tp.js';
import { seededRandom } from './seeded-random.js';
import { SimNetwork } from './sim-network.js';

export const SIM_LNS: PeerAddress = { address: '192.0.2.1', port: 1701 };
export const SIM_LAC: PeerAddress = { address: '198.51.100.1', port: 1701 };
export const SIM_LOCAL_IP = '10.1.20.30';

/** Brings a session up (alice / s3cret); `lns`/`lac` override engine options. */
export function simSessionUp(o: { lns?: Partial<LnsEngineOptions>; lac?: Partial<LacEngineOptions> } = {}): {
  net: SimNetwork;
  lns: LnsEngine;
  lnsEvents: LnsEvent[];
  lac: LacEngine;
  lacEvents: LacEvent[];
  lacSession: PppSession;
} {
  const net = new SimNetwork(3, { minDelayMs: 1, maxDelayMs: 3 });
  const lns = new LnsEngine({
    random: seededRandom(7),
    hostName: 'lns',
    auth: ['mschapv2'],
    users: (u) => (u === 'alice' ? { secret: 's3cret' } : undefined),
    pool: new AddressPool(['10.1.20.31-10.1.20.50'], { exclude: [SIM_LOCAL_IP] }),
    localAddress: SIM_LOCAL_IP,
    userspace: false,
    ...o.lns,
  });
  const lnsEvents: LnsEvent[] = net.attach(SIM_LNS, lns);
  const lac = new LacEngine({ random: seededRandom(11), server: SIM_LNS, user: 'alice', password: 's3cret', ...o.lac });
  const lacEvents: LacEvent[] = net.attach(SIM_LAC, lac);
  lac.start(net.now);
  const up = (): boolean =>
    lnsEvents.some((e) => e.type === 'session-up') && lacEvents.some((e) => e.type === 'session-up');
  expect(net.runUntil(up, 60_000)).toBe(true);
  return { net, lns, lnsEvents, lac, lacEvents, lacSession: [...lac.sessions.values()][0]! };
}
