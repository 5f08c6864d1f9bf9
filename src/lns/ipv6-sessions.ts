// The LNS's IPv6 side of its sessions (issue 12 item 5), sans-IO: when IPv6CP opens, the session
// gets a /64 from the IPv6 pool (if one is configured; else link-local only) and an unsolicited
// Router Advertisement announcing it (RFC 4861 §6.2.4); Router Solicitations are answered
// (§6.2.6) and RAs repeated every `raIntervalMs` (§6.2.4, MaxRtrAdvInterval 600 s) so that the
// peer's default route (router lifetime 1800 s) never lapses; ICMPv6 echo to our link-local
// address fe80::<our interface identifier> is answered here, on every mode, since no kernel holds
// that address (one per session). Packets with link-scope destinations never leave the LNS.
// Bounds: one timer and one /64 per session with IPv6CP open (sessions are bounded elsewhere);
// at most one solicited RA per session per MIN_DELAY_BETWEEN_RAS (§6.2.6, 3 s) however many
// solicitations arrive, so a peer cannot turn its solicitations into more than a trickle of RAs.
// (The unsolicited RA at IPv6CP up does not count: it may cross the peer's last IPv6CP packet and
// be dropped there, RFC 1661 §3.6, and the peer's first solicitation must then be answered.)
// Routing note (shared TUN): the kernel sees one link for every session, so a link-local
// destination it writes to the device names no session; TUN → session goes by global /64 only.
// Related: ipv6-prefixes.ts, router-advert.ts, lns.ts, ../session/ipv6-admission.ts.
import { DeadlineHeap } from '../core/deadline-heap.js';
import {
  Icmpv6Type,
  Ipv6Field,
  icmpv6EchoReply,
  interfaceIdFromText,
  linkLocalOf,
  parseIcmpv6,
  sameOctets,
} from '../core/ipv6.js';
import type { Instant } from '../core/time.js';
import type { PppSession } from '../session/ppp-over-l2tp.js';
import { Ipv6Prefixes } from './ipv6-prefixes.js';
import { buildRouterAdvert, isRouterSolicitation, type RouterAdvertTimes } from './router-advert.js';

/** §10 MaxRtrAdvInterval default: an unsolicited RA per session this often. */
export const DEFAULT_RA_INTERVAL_MS = 600_000;
/** §10 MIN_DELAY_BETWEEN_RAS: solicitations inside this window after an RA get no second one. */
export const MIN_DELAY_BETWEEN_RAS_MS = 3_000;

/** Options of Ipv6Sessions. */
export interface Ipv6SessionsOptions {
  /** The /64 pool (JSON `ipv6Pool`), e.g. "2001:db8:100::/48"; absent: link-local only. */
  readonly pool?: string;
  /** Link MTU for the RA's MTU option (pppd `mtu`); absent: no option. */
  readonly mtu?: number;
  readonly raIntervalMs?: number;
  readonly times?: RouterAdvertTimes;
}

interface State {
  readonly session: PppSession;
  /** fe80::<our interface identifier>. */
  readonly linkLocal: Uint8Array;
  /** When the last solicited RA went (the rate limit applies to these, §6.2.6). */
  lastSolicitedAt: Instant;
}

/** The IPv6 state of an LNS's sessions. */
export class Ipv6Sessions {
  readonly prefixes: Ipv6Prefixes<PppSession> | undefined;
  /** Solicitations not answered (inside MIN_DELAY_BETWEEN_RAS of the previous RA). */
  rsIgnored = 0;
  private readonly states = new Map<number, State>();
  private readonly timers = new DeadlineHeap<number>();
  private readonly interval: number;

  constructor(private readonly o: Ipv6SessionsOptions) {
    this.prefixes = o.pool === undefined ? undefined : new Ipv6Prefixes<PppSession>(o.pool);
    this.interval = Math.max(MIN_DELAY_BETWEEN_RAS_MS, o.raIntervalMs ?? DEFAULT_RA_INTERVAL_MS);
  }

  /** The LNS's own global address (<pool>::1), if a pool is configured. */
  get localAddress(): Uint8Array | undefined {
    return this.prefixes?.localAddress;
  }

  /**
   * IPv6CP opened on `session` with our identifier `localId`: its /64 (session.ipv6Prefix, when the
   * pool has one) and the unsolicited RA to send it now.
   */
  up(session: PppSession, localId: string, now: Instant): Uint8Array {
    const linkLocal = linkLocalOf(interfaceIdFromText(localId));
    const prefix = this.prefixes?.allocate(session);
    if (prefix !== undefined) session.ipv6Prefix = prefix;
    this.states.set(session.key, { session, linkLocal, lastSolicitedAt: Number.NEGATIVE_INFINITY });
    this.timers.set(session.key, now + this.interval);
    return this.advert(session, linkLocal);
  }

  /** IPv6CP went down or the session closed: its /64 goes back to the pool. */
  down(session: PppSession): void {
    this.prefixes?.release(session);
    session.ipv6Prefix = undefined;
    if (this.states.get(session.key)?.session === session) {
      this.states.delete(session.key);
      this.timers.set(session.key, undefined);
    }
  }

  /** The session holding the global IPv6 destination at b[at + 24…] (TUN → session). */
  route(b: Uint8Array, at: number): PppSession | undefined {
    return this.prefixes?.lookup(b, at + Ipv6Field.destination);
  }

  /** True when the address at b[at…] is ours for `session`: fe80::<our id> or the LNS's global address. */
  isLocal(session: PppSession, b: Uint8Array, at: number): boolean {
    const s = this.states.get(session.key);
    if (s !== undefined && sameOctets(b, at, s.linkLocal, 0, 16)) return true;
    const g = this.localAddress;
    return g !== undefined && sameOctets(b, at, g, 0, 16);
  }

  /**
   * A packet from `session` whose destination is link-scope (they stop here): the reply to send
   * back (an RA for a valid Router Solicitation, an echo reply for an echo to our link-local
   * address) or undefined (nothing to answer, or an RA was sent less than 3 s ago).
   */
  answerLinkScope(session: PppSession, packet: Uint8Array, now: Instant): Uint8Array | undefined {
    const s = this.states.get(session.key);
    if (s === undefined) return undefined;
    const m = parseIcmpv6(packet);
    if (m?.type === Icmpv6Type.routerSolicitation && isRouterSolicitation(packet)) {
      if (now < s.lastSolicitedAt + MIN_DELAY_BETWEEN_RAS_MS) {
        this.rsIgnored++;
        return undefined;
      }
      s.lastSolicitedAt = now;
      this.timers.set(session.key, now + this.interval);
      return this.advert(session, s.linkLocal);
    }
    return icmpv6EchoReply(packet, (b, at) => sameOctets(b, at, s.linkLocal, 0, 16));
  }

  /** The earliest periodic RA. */
  pollTimeout(): Instant | undefined {
    return this.timers.peek();
  }

  /** Periodic RAs due at `now`: each is handed to `send` with its session. */
  handleTimeout(now: Instant, send: (session: PppSession, packet: Uint8Array) => void): void {
    for (const key of this.timers.popDue(now)) {
      const s = this.states.get(key);
      if (s === undefined) continue;
      this.timers.set(key, now + this.interval);
      send(s.session, this.advert(s.session, s.linkLocal));
    }
  }

  private advert(session: PppSession, linkLocal: Uint8Array): Uint8Array {
    return buildRouterAdvert({
      source: linkLocal,
      ...(session.ipv6Prefix !== undefined && { prefix: session.ipv6Prefix }),
      ...(this.o.mtu !== undefined && { mtu: this.o.mtu }),
      ...(this.o.times !== undefined && { times: this.o.times }),
    });
  }
}
