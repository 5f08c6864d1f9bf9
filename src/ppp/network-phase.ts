// The Network phase of one link (RFC 1661 §3.6): IPCP (RFC 1332) and, when asked, IPv6CP (RFC 5072),
// created on the first entry and kept across LCP renegotiations like pppd's NCP automata.
// Related: link.ts (the phases), ipcp.ts, ipv6cp.ts, control-protocol.ts.
import { formatIpv4 } from '../core/ipv4.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { ControlProtocol, type ControlProtocolOptions, type CpEvent } from './control-protocol.js';
import { IpcpPolicy } from './ipcp.js';
import { formatInterfaceId, Ipv6cpPolicy } from './ipv6cp.js';
import { PppProtocol } from './wire/protocol-numbers.js';

/** Automaton states in which a control protocol has finished (or never started). */
const FINISHED: ReadonlySet<string> = new Set(['initial', 'starting', 'closed', 'stopped']);

/** Configuration of the network protocols. */
export interface NetworkPhaseOptions {
  readonly role: 'lns' | 'lac';
  readonly random: Random;
  /** LNS: the addresses assigned for this link. */
  readonly assigned?: { readonly local: string; readonly peer: string };
  readonly dns?: readonly string[];
  readonly nbns?: readonly string[];
  /** LAC: the address requested. */
  readonly localAddress?: string;
  readonly ipv6?: boolean;
  /** RFC 1661 §4.6 timer and counters for each NCP. */
  readonly counters: ControlProtocolOptions;
}

/** IPCP reached Opened: the addresses (and IPv6 interface identifiers, if IPv6CP is Opened). */
export interface NetworkUp {
  readonly localAddress: string;
  readonly peerAddress: string;
  readonly dns: readonly string[];
  readonly nbns: readonly string[];
  readonly ipv6?: { localId: string; peerId: string };
}

/**
 * Where the Network phase sends its packets and reports, synchronously while `drain` runs. One
 * object serves every link: each call names the phase's `owner` (no closures per link, issue 10).
 */
export interface NetworkOutput<O> {
  send(owner: O, protocol: number, info: Uint8Array): void;
  up(owner: O, up: NetworkUp): void;
  /** IPv6CP reached Opened (RFC 5072), before or after IPCP: the two interface identifiers. */
  ipv6Up(owner: O, ids: { localId: string; peerId: string }): void;
  /** IPv6CP left Opened. */
  ipv6Down(owner: O): void;
  /** pppd np_finished: no network protocol is left running; `timedOut` names the one that ran out. */
  finished(owner: O, protocolName: string, timedOut: boolean, now: Instant): void;
}

/** IPCP and IPv6CP of one link, sans-IO; the link drains them with `drain` after every input. */
export class NetworkPhase<O> {
  private readonly ipcpPolicy: IpcpPolicy;
  private readonly ipcp: ControlProtocol;
  private readonly ipv6cpPolicy: Ipv6cpPolicy | undefined;
  private readonly ipv6cp: ControlProtocol | undefined;

  /** Creates the NCPs and gives them the administrative Open; `o` is not kept. */
  constructor(
    o: NetworkPhaseOptions,
    private readonly owner: O,
    private readonly out: NetworkOutput<O>,
    now: Instant,
  ) {
    this.ipcpPolicy = new IpcpPolicy({
      role: o.role,
      local: o.assigned?.local,
      peer: o.assigned?.peer,
      dns: o.dns,
      nbns: o.nbns,
      localAddress: o.localAddress,
    });
    this.ipcp = new ControlProtocol(PppProtocol.Ipcp, this.ipcpPolicy, o.counters);
    this.ipcp.open(now);
    if (o.ipv6 === true) {
      this.ipv6cpPolicy = new Ipv6cpPolicy(o.random);
      this.ipv6cp = new ControlProtocol(PppProtocol.Ipv6cp, this.ipv6cpPolicy, o.counters);
      this.ipv6cp.open(now);
    }
  }

  /** True while IPCP is Opened. */
  get ipv4Up(): boolean {
    return this.ipcp.state === 'opened';
  }

  /** True while IPv6CP is Opened. */
  get ipv6Up(): boolean {
    return this.ipv6cp?.state === 'opened';
  }

  /** The link entered the Network phase (§4.3 Up for each NCP). */
  up(now: Instant): void {
    this.ipcp.up(now);
    this.ipv6cp?.up(now);
  }

  /** LCP left Opened (§4.3 Down for each NCP). */
  down(now: Instant): void {
    this.ipcp.down(now);
    this.ipv6cp?.down(now);
  }

  /** One IPCP or IPv6CP packet; false for any other protocol (or IPv6CP when not running). */
  handlePacket(protocol: number, info: Uint8Array, now: Instant): boolean {
    const cp = this.cpOf(protocol);
    if (cp === undefined) return false;
    cp.handlePacket(info, now);
    return true;
  }

  /** RFC 1661 §5.7: the peer Protocol-Rejected `protocol`; true when it was one of ours (RXJ-). */
  protocolRejected(protocol: number, now: Instant): boolean {
    const cp = this.cpOf(protocol);
    cp?.fire('rxj-', now);
    return cp !== undefined;
  }

  /** Call when `pollTimeout()` is due. */
  handleTimeout(now: Instant): void {
    this.ipcp.handleTimeout(now);
    this.ipv6cp?.handleTimeout(now);
  }

  /** The earlier Restart timer of the two NCPs. */
  pollTimeout(): Instant | undefined {
    const a = this.ipcp.pollTimeout();
    const b = this.ipv6cp?.pollTimeout();
    return a === undefined ? b : b === undefined || a <= b ? a : b;
  }

  /** Sends every queued packet and reports every event; true when anything moved. */
  drain(now: Instant): boolean {
    let any = this.drainOne(this.ipcp, now);
    if (this.ipv6cp !== undefined) any = this.drainOne(this.ipv6cp, now) || any;
    return any;
  }

  private cpOf(protocol: number): ControlProtocol | undefined {
    return protocol === PppProtocol.Ipcp ? this.ipcp : protocol === PppProtocol.Ipv6cp ? this.ipv6cp : undefined;
  }

  private drainOne(cp: ControlProtocol, now: Instant): boolean {
    let any = false;
    for (let p = cp.pollPacket(); p !== undefined; p = cp.pollPacket()) {
      any = true;
      this.out.send(this.owner, cp.protocol, p);
    }
    for (let e = cp.pollEvent(); e !== undefined; e = cp.pollEvent()) {
      any = true;
      this.onEvent(cp, e, now);
    }
    return any;
  }

  private onEvent(cp: ControlProtocol, e: CpEvent, now: Instant): void {
    if (e.type === 'this-layer-up' && cp === this.ipcp) {
      const p = this.ipcpPolicy;
      const v6 = this.ipv6cp?.state === 'opened' ? this.ipv6cpPolicy : undefined;
      this.out.up(this.owner, {
        localAddress: formatIpv4(p.localAddress),
        peerAddress: formatIpv4(p.peerAddress),
        dns: p.dns,
        nbns: p.nbns,
        ...(v6 && { ipv6: { localId: formatInterfaceId(v6.localId), peerId: formatInterfaceId(v6.peerId) } }),
      });
    } else if (e.type === 'this-layer-up' && cp === this.ipv6cp && this.ipv6cpPolicy !== undefined) {
      const v6 = this.ipv6cpPolicy;
      this.out.ipv6Up(this.owner, { localId: formatInterfaceId(v6.localId), peerId: formatInterfaceId(v6.peerId) });
    } else if (e.type === 'this-layer-down' && cp === this.ipv6cp) {
      this.out.ipv6Down(this.owner);
    } else if (e.type === 'this-layer-finished') {
      // The other NCP may still be negotiating (a ProtRej of IPv6CP often precedes IPCP's Ack).
      const other = cp === this.ipcp ? this.ipv6cp : this.ipcp;
      if (other === undefined || FINISHED.has(other.state)) {
        this.out.finished(this.owner, cp.policy.protocolName, e.cause === 'to-', now);
      }
    }
  }
}
