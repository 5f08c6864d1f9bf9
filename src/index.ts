// The l2tp-ts library: createLns / createLac (engines on real UDP sockets), the sans-IO engines
// themselves, and the LNS configuration loaders. Related: README.md, src/io/create-lns.ts,
// src/io/create-lac.ts.

export type { AuthMethodName } from './chap/methods.js';
export type { Engine, PeerAddress, Transmit } from './core/engine.js';
export type { Random } from './core/random.js';
export type { Instant } from './core/time.js';
export { monotonicNow } from './io/clock.js';
export { type CreateLacOptions, createLac, type LacClient } from './io/create-lac.js';
export { type CreateLnsOptions, createLns, type LnsServer, SEED_LOCAL_IP, SEED_POOL } from './io/create-lns.js';
export { systemRandom } from './io/system-random.js';
export { Endpoint, type EndpointOptions, type L2tpEvent } from './l2tp/endpoint.js';
export { LacEngine, type LacEngineOptions, type LacEvent } from './lac/lac.js';
export { AddressPool, type AddressPoolOptions } from './lns/address-pool.js';
export * from './lns/config/index.js';
export { engineOptionsFromSettings, type ReloadableSecrets } from './lns/engine-options.js';
export {
  LnsEngine,
  type LnsEngineOptions,
  type LnsEvent,
  type SessionInfo,
} from './lns/lns.js';
export { type PppEvent, PppLink, type PppLinkOptions } from './ppp/link.js';
export type { PppSession, SessionCounters } from './session/ppp-over-l2tp.js';
