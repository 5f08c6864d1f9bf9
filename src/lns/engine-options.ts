// LnsSettings (the resolved xl2tpd.conf + pppd options + chap-secrets) → the LNS engine's options.
// Kept apart so SIGHUP can swap the users and tunnel secrets without touching live sessions.
// Related: config/settings.ts, lns.ts.
import type { PeerAddress } from '../core/engine.js';
import type { Random } from '../core/random.js';
import { AddressPool } from './address-pool.js';
import { type LnsSettings, lacAllowed, lookupUser, tunnelSecretFor } from './config/settings.js';
import type { LnsEngineOptions } from './lns.js';

/** What SIGHUP may replace: the users and the tunnel secrets. */
export interface ReloadableSecrets {
  settings: LnsSettings;
}

/**
 * Engine options from settings. Users and tunnel secrets are read through `live` on every lookup,
 * so replacing `live.settings` (SIGHUP) takes effect for the next login and the next tunnel.
 */
export function engineOptionsFromSettings(
  live: ReloadableSecrets,
  random: Random,
  pool: AddressPool = AddressPool.fromSettings(live.settings),
): LnsEngineOptions {
  const s = live.settings;
  const encoder = new TextEncoder();
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
        const secret = tunnelSecretFor(live.settings, peerHostName ?? '*');
        return secret === undefined ? undefined : encoder.encode(secret);
      },
      ...(s.accessControl && { acceptTunnel: (peer: PeerAddress) => lacAllowed(live.settings, peer.address) }),
    },
    auth: s.authRequired ? s.authMethods : [],
    users: (name) => lookupUser(live.settings, name),
    pool,
    localAddress: s.localAddress,
    ...(s.localRanges.length > 0 && { localPool: new AddressPool(s.localRanges) }),
    ...(s.mssClamp !== undefined && { mssClamp: s.mssClamp }),
    ...(Object.keys(s.namedPools).length > 0 && {
      namedPools: new Map(
        Object.entries(s.namedPools).map(([name, ranges]) => [
          name,
          new AddressPool(ranges, { exclude: [s.localAddress] }),
        ]),
      ),
    }),
    dns: s.dns,
    nbns: s.wins,
    mtu: s.mtu,
    mru: s.mru,
    echoIntervalMs: s.echoIntervalMs,
    echoFailure: s.echoFailure,
    restartMs: s.restartMs,
    maxConfigure: s.maxConfigure,
    maxTerminate: s.maxTerminate,
    maxFailure: s.maxFailure,
    chapRestartMs: s.chapRestartMs,
    papTimeoutMs: s.papTimeoutMs,
    ipv6: s.ipv6,
    ...(s.ipv6Pool !== undefined && { ipv6Pool: s.ipv6Pool }),
    pppDebug: s.pppDebug,
    l2tpDebug: s.debug,
    // xl2tpd `exclusive` restricts nothing (xl2tpd parses it and never acts on it): not passed on.
    // One session per user is its own option, off by default.
    singleSession: s.singleSession,
    networkPhaseTimeoutMs: s.networkPhaseTimeoutMs,
    // pppd idle / maxconnect, in seconds (0: off).
    idleTimeoutMs: s.idleSeconds * 1000,
    maxConnectMs: s.maxConnectSeconds * 1000,
    authThrottle: { maxFailures: s.authFailureLimit, windowMs: s.authFailureWindowMs, blockMs: s.authBlockMs },
    rejectCcp: s.rejectCcp,
    dataLengthBit: s.dataLengthBit,
    sequencing: s.sequencing,
  };
}
