// The kernel side of the LNS's IPv6 (issue 12 item 5): each session's /64 routed into the TUN
// device while its IPv6CP is open (`ip -6 route replace PREFIX dev TUN`), removed when IPv6CP or
// the session goes. The shared device also carries the LNS's own address <pool>::1/128, where
// sessions reach the LNS. Link-local destinations are not routed: the shared device is one link
// for every session, so the kernel's fe80:: packets name no session (the engine answers ICMPv6
// echo to its link-local addresses itself). Related: create-lns.ts, tun-device.ts, ../lns/ipv6-sessions.ts.
import type { LnsEvent } from '../lns/lns.js';
import { sessionKey } from '../session/session-key.js';
import type { TunDevice } from './tun-device.js';

/** Routes of the sessions' /64s, driven by the LNS's events. */
export class Ipv6Routes {
  private readonly routed = new Map<number, { device: TunDevice; prefix: string }>();

  /** `deviceOf(key)`: the device the session's packets go to (shared, or its own ppp%d). */
  constructor(private readonly deviceOf: (key: number) => TunDevice | undefined) {}

  /** Applies one LNS event; throws what rtnetlink threw (the caller reports it). */
  onEvent(e: LnsEvent): void {
    if (e.type === 'session-ipv6-up' && e.prefix !== undefined) {
      const key = sessionKey(e.tunnelId, e.sessionId);
      const device = this.deviceOf(key);
      if (device === undefined) return;
      this.remove(key);
      device.addRoute(e.prefix);
      this.routed.set(key, { device, prefix: e.prefix });
    } else if (e.type === 'session-ipv6-down' || e.type === 'session-down') {
      this.remove(sessionKey(e.tunnelId, e.sessionId));
    }
  }

  private remove(key: number): void {
    const r = this.routed.get(key);
    if (r === undefined) return;
    this.routed.delete(key);
    r.device.removeRoute(r.prefix);
  }
}
