// LnsSettings (the resolved xl2tpd.conf + pppd options + chap-secrets) → the LNS engine's options.
// Kept apart so SIGHUP can swap the users and tunnel secrets without touching live sessions.
// Related: config/settings.ts, lns.ts.
import type { PeerAddress } from '../core/engine.js';
import type { Random } from '../core/random.js';
import { AddressPool } from './address-pool.js';
import { applyRangeRules, inRanges } from './config/ipv4.js';
import { lookupTunnelSecret } from './config/l2tp-secrets.js';
import { type LnsSettings, lookupUser } from './config/settings.js';
import type { LnsEngineOptions } from './lns.js';

/** What SIGHUP may replace: the users and the tunnel secrets. */
export interface ReloadableSecrets {
  settings: LnsSettings;
}

/** The address pool of `settings`: its ranges, minus the local address and every static address. */
export function poolFromSettings(settings: LnsSettings): AddressPool {
  const statics = [...settings.users.values()].flatMap((u) => (u.staticAddress ? [u.staticAddress] : []));
  return new AddressPool(settings.assignIp ? settings.poolRanges : [], {
    exclude: [settings.localAddress],
    reserve: statics,
  });
}

/**
 * Engine options from settings. Users and tunnel secrets are read through `live` on every lookup,
 * so replacing `live.settings` (SIGHUP) takes effect for the next login and the next tunnel.
 */
export function engineOptionsFromSettings(
  live: ReloadableSecrets,
  random: Random,
  pool: AddressPool = poolFromSettings(live.settings),
): LnsEngineOptions {
  const s = live.settings;
  const encoder = new TextEncoder();
  const allowed = s.accessControl ? applyRangeRules(s.lacAccess) : undefined;
  return {
    random,
    hostName: s.hostName,
    chapName: s.authName,
    endpoint: {
      challengePeer: s.challenge,
      hideAvps: s.hideAvps,
      receiveWindow: s.receiveWindow,
      retransmit: { maxRetries: s.maxRetries, ...(s.retransmitCapMs !== undefined && { capMs: s.retransmitCapMs }) },
      tunnelSecret: (_peer: PeerAddress, peerHostName: string | undefined) => {
        const secret = lookupTunnelSecret(live.settings.tunnelSecrets, live.settings.hostName, peerHostName ?? '*');
        return secret === undefined ? undefined : encoder.encode(secret);
      },
      ...(allowed !== undefined && { acceptTunnel: (peer: PeerAddress) => inRanges(peer.address, allowed) }),
    },
    auth: s.authRequired ? s.authMethods : [],
    users: (name) => lookupUser(live.settings, name),
    pool,
    localAddress: s.localAddress,
    dns: s.dns,
    nbns: s.wins,
    mtu: s.mtu,
    mru: s.mru,
    echoIntervalMs: s.echoIntervalMs,
    echoFailure: s.echoFailure,
    ipv6: s.ipv6,
    pppDebug: s.pppDebug,
    exclusive: s.exclusive,
    rejectCcp: s.rejectCcp,
    dataLengthBit: s.dataLengthBit,
  };
}
