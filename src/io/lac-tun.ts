// `lac --tun` (issue 13 item 5): the LAC's sessions on a TUN device, so the host's own traffic runs
// over L2TP, as pppd does for an xl2tpd client. Each session puts its IPCP address on the device
// (point-to-point, peer = the LNS-side address, like pppd without defaultroute) and routes its
// CIDRs into it; packets read from the device go to the session whose routes match the
// destination (longest prefix), packets from any session are written to the device.
// Addresses and routes are reference-counted: two sessions that share a route (or an address)
// cannot remove each other's; the last session to go takes them away.
// Related: tun-device.ts (the device, rtnetlink), create-lac.ts (the data path).

import { writeFileSync } from 'node:fs';
import type { PppSession } from '../session/ppp-over-l2tp.js';
import { TunDevice } from './tun-device.js';

/** Options of LacTun.open. */
export interface LacTunOptions {
  /** Interface name or template; default 'l2tpc%d'. */
  readonly name?: string;
  /** Routes through the tunnel; default: the LNS-side address as a /32 per session. */
  readonly routes?: readonly string[];
  /** Device MTU; default 1400 (the seed's mru). */
  readonly mtu?: number;
}

interface Route {
  readonly cidr: string;
  readonly network: number;
  readonly mask: number;
  readonly sessions: Map<string, PppSession>;
}

function parseCidr(cidr: string): { network: number; mask: number; length: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr);
  const parts = m?.slice(1, 5).map(Number) ?? [];
  const length = m?.[5] === undefined ? 32 : Number(m[5]);
  if (m === null || parts.some((p) => p > 255) || length > 32) throw new RangeError(`not an IPv4 CIDR: ${cidr}`);
  const mask = length === 0 ? 0 : (~0 << (32 - length)) >>> 0;
  const address = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  return { network: (address & mask) >>> 0, mask, length };
}

/** Checks `--route` values before anything is opened; throws RangeError on a bad one. */
export function checkRoutes(routes: readonly string[]): void {
  for (const r of routes) parseCidr(r);
}

/** The TUN device of a LAC with its per-session addresses and routes. */
export class LacTun {
  /** addresses[key] = sessions using "local peer" on the device. */
  private readonly addresses = new Map<string, Set<string>>();
  private readonly routes = new Map<string, Route>();
  /** Keyed by 'tunnelId/sessionId'. */
  private readonly bySession = new Map<string, { address: string; routes: string[] }>();

  private constructor(
    readonly device: TunDevice,
    private readonly configured: readonly string[] | undefined,
  ) {}

  /** Opens the device (needs CAP_NET_ADMIN) and sets it up. */
  static open(opts: LacTunOptions = {}): LacTun {
    if (opts.routes) checkRoutes(opts.routes);
    const mtu = opts.mtu ?? 1400;
    const device = TunDevice.open({ name: opts.name ?? 'l2tpc%d', mtu: Math.max(mtu, 1500) });
    try {
      // Sessions share the LNS-side peer address, so every address after the first is a
      // "secondary" of the first: without promote_secondaries the kernel deletes them all with it.
      writeFileSync(`/proc/sys/net/ipv4/conf/${device.name}/promote_secondaries`, '1');
      device.up(mtu);
    } catch (err) {
      device.close();
      throw err;
    }
    return new LacTun(device, opts.routes);
  }

  /** Starts reading: every packet is handed to `send` with the session its destination routes to. */
  start(send: (packet: Uint8Array, session: PppSession) => void, onBatchEnd: () => void): void {
    this.device.start((slot, at, length) => {
      const packet = slot.subarray(at, at + length);
      const session = this.route(packet);
      if (session !== undefined) send(packet, session);
    }, onBatchEnd);
  }

  /** The session for an IPv4 packet's destination (longest prefix), if any. */
  route(packet: Uint8Array): PppSession | undefined {
    if (packet.length < 20 || packet[0]! >> 4 !== 4) return undefined;
    const dst = ((packet[16]! << 24) | (packet[17]! << 16) | (packet[18]! << 8) | packet[19]!) >>> 0;
    let best: Route | undefined;
    for (const r of this.routes.values()) {
      if ((dst & r.mask) >>> 0 === r.network && r.sessions.size > 0 && (best === undefined || r.mask > best.mask)) {
        best = r;
      }
    }
    return best === undefined ? undefined : best.sessions.values().next().value;
  }

  /** A session's IPCP came up: its address on the device, its routes into it. */
  sessionUp(key: string, session: PppSession, local: string, peer: string): void {
    if (this.bySession.has(key)) return;
    const address = `${local} ${peer}`;
    let users = this.addresses.get(address);
    if (users === undefined) {
      this.device.setAddress(local, peer);
      users = new Set();
      this.addresses.set(address, users);
    }
    users.add(key);
    const cidrs = this.configured ?? [`${peer}/32`];
    for (const cidr of cidrs) {
      let r = this.routes.get(cidr);
      if (r === undefined) {
        const p = parseCidr(cidr);
        this.device.addRoute(cidr);
        r = { cidr, network: p.network, mask: p.mask, sessions: new Map() };
        this.routes.set(cidr, r);
      }
      r.sessions.set(key, session);
    }
    this.bySession.set(key, { address, routes: [...cidrs] });
  }

  /** A session went down: what only it used is removed. */
  sessionDown(key: string): void {
    const held = this.bySession.get(key);
    if (held === undefined) return;
    this.bySession.delete(key);
    for (const cidr of held.routes) {
      const r = this.routes.get(cidr);
      if (r === undefined) continue;
      r.sessions.delete(key);
      if (r.sessions.size === 0) {
        this.routes.delete(cidr);
        this.device.removeRoute(cidr);
      }
    }
    const users = this.addresses.get(held.address);
    users?.delete(key);
    if (users !== undefined && users.size === 0) {
      this.addresses.delete(held.address);
      const [local, peer] = held.address.split(' ');
      this.device.removeAddress(local!, peer);
    }
  }

  /** Writes a packet received from a session. */
  write(packet: Uint8Array): boolean {
    return this.device.write(packet);
  }

  /** Removes every address and route, then closes the device. */
  close(): void {
    for (const key of [...this.bySession.keys()]) this.sessionDown(key);
    this.device.close();
  }
}
