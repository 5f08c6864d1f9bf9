// IPCP option policy (RFC 1332 §3; RFC 1877 DNS/NBNS): the LNS hands out addresses and DNS in
// Configure-Naks; the LAC asks for 0.0.0.0 and takes what the Naks say. Related: control-protocol.ts, link.ts.
import { u32 } from '../core/bytes.js';
import { formatIpv4, parseIpv4 } from '../core/ipv4.js';
import type { Option, OptionPolicy, Verdict } from './option-policy.js';
import { u32Value } from './wire/cp-packet.js';
import { IpcpOption } from './wire/protocol-numbers.js';

const NO_SERVERS: readonly number[] = Object.freeze([]);
/** Server lists already converted: every link of an owner gets the same list (issue 10). */
const converted = new WeakMap<readonly string[], readonly number[]>();

const NO_NAMES: readonly string[] = Object.freeze([]);
/** The first two servers of each shared list, formatted once (every session reports them). */
const formatted = new WeakMap<readonly number[], readonly string[]>();

/** The servers of `servers` an LNS hands out (the first two), as text, one shared array per list. */
function handedOut(servers: readonly number[]): readonly string[] {
  if (servers.length === 0) return NO_NAMES;
  let names = formatted.get(servers);
  if (names === undefined) {
    names = Object.freeze(servers.slice(0, 2).map(formatIpv4));
    formatted.set(servers, names);
  }
  return names;
}

/** The addresses of `list` as numbers (unparseable ones left out), one shared array per list. */
function toNumbers(list: readonly string[] | undefined): readonly number[] {
  if (list === undefined || list.length === 0) return NO_SERVERS;
  let numbers = converted.get(list);
  if (numbers === undefined) {
    numbers = Object.freeze(list.map(parseIpv4).filter((n): n is number => n !== undefined));
    converted.set(list, numbers);
  }
  return numbers;
}

/** Configuration of the IPCP policy. */
export interface IpcpPolicyOptions {
  readonly role: 'lns' | 'lac';
  /** LNS: our address and the one we assign. */
  readonly local?: string;
  readonly peer?: string;
  /** LNS: ms-dns / ms-wins values handed out (first two of each are used). */
  readonly dns?: readonly string[];
  readonly nbns?: readonly string[];
  /** LAC: the address we ask for (default 0.0.0.0 = "please assign"). */
  readonly localAddress?: string;
}

const NO_ASKING: ReadonlyMap<number, number> = new Map();

/** RFC 1877 options, primary/secondary DNS and NBNS, with their index in the dns/nbns lists. */
const SERVER_OPTIONS: ReadonlyMap<number, { kind: 'dns' | 'nbns'; index: number }> = new Map([
  [IpcpOption.PrimaryDns, { kind: 'dns', index: 0 }],
  [IpcpOption.SecondaryDns, { kind: 'dns', index: 1 }],
  [IpcpOption.PrimaryNbns, { kind: 'nbns', index: 0 }],
  [IpcpOption.SecondaryNbns, { kind: 'nbns', index: 1 }],
]);

/** IPCP option policy for either role; negotiated addresses are valid after This-Layer-Up. */
export class IpcpPolicy implements OptionPolicy {
  readonly protocolName = 'IPCP';
  private readonly role: 'lns' | 'lac';
  private readonly dnsServers: readonly number[];
  private readonly nbnsServers: readonly number[];
  private readonly wantLocal: number;
  /** Our address (LNS: configured; LAC: what we asked for, updated by Naks). */
  localAddress: number;
  /** The peer's address (LNS: assigned; LAC: what the LNS announced). */
  peerAddress: number;
  /** LAC: which of the four RFC 1877 options we still ask for, and the values we hold (LNS: none). */
  private readonly asking: Map<number, number> | undefined;
  private sendAddress = true;

  constructor(o: IpcpPolicyOptions) {
    this.role = o.role;
    if (o.role === 'lac') this.asking = new Map();
    this.dnsServers = toNumbers(o.dns);
    this.nbnsServers = toNumbers(o.nbns);
    this.wantLocal = parseIpv4(o.role === 'lns' ? (o.local ?? '0.0.0.0') : (o.localAddress ?? '0.0.0.0')) ?? 0;
    this.localAddress = this.wantLocal;
    this.peerAddress = o.role === 'lns' ? (parseIpv4(o.peer ?? '0.0.0.0') ?? 0) : 0;
    this.onStart();
  }

  /** DNS servers in force: what we hand out (LNS: one shared list) or were given (LAC). */
  get dns(): readonly string[] {
    if (this.role === 'lns') return handedOut(this.dnsServers);
    return [IpcpOption.PrimaryDns, IpcpOption.SecondaryDns]
      .map((t) => this.asking?.get(t))
      .filter((n): n is number => n !== undefined && n !== 0)
      .map(formatIpv4);
  }

  /** NBNS servers in force. */
  get nbns(): readonly string[] {
    return this.role === 'lns' ? handedOut(this.nbnsServers) : NO_NAMES;
  }

  onStart(): void {
    this.sendAddress = true;
    const asking = this.asking;
    if (asking !== undefined) {
      this.localAddress = this.wantLocal;
      asking.clear();
      // RFC 1877: ask for DNS with 0.0.0.0; the LNS Naks with its servers or Rejects.
      asking.set(IpcpOption.PrimaryDns, 0);
      asking.set(IpcpOption.SecondaryDns, 0);
    }
  }

  ourRequest(): readonly Option[] {
    const out: Option[] = [];
    if (this.sendAddress) out.push({ type: IpcpOption.IpAddress, value: u32Value(this.localAddress) });
    for (const [type, value] of this.asking ?? NO_ASKING) out.push({ type, value: u32Value(value) });
    return out;
  }

  judgePeerRequest(options: readonly Option[], mustReject: boolean): Verdict {
    const rejected: Option[] = [];
    const naks: Option[] = [];
    let sawAddress = false;
    let peerAddress = this.peerAddress;
    for (const o of options) {
      const v = o.value;
      if (o.type === IpcpOption.IpAddress && v.length === 4) {
        sawAddress = true;
        const asked = u32(v, 0);
        if (this.role === 'lns') {
          // RFC 1332 §3.3: the peer asks 0.0.0.0 (or something else): Nak with the assigned address.
          if (asked !== this.peerAddress) naks.push({ type: o.type, value: u32Value(this.peerAddress) });
        } else if (asked === 0) {
          rejected.push(o); // We have no address to give the LNS.
        } else {
          peerAddress = asked;
        }
        continue;
      }
      const server = SERVER_OPTIONS.get(o.type);
      if (server !== undefined && v.length === 4 && this.role === 'lns') {
        const list = server.kind === 'dns' ? this.dnsServers : this.nbnsServers;
        const ours = list[server.index];
        // RFC 1877 §1: Nak with the value when asked; Reject when we have none.
        if (ours === undefined) rejected.push(o);
        else if (u32(v, 0) !== ours) naks.push({ type: o.type, value: u32Value(ours) });
        continue;
      }
      // IP-Addresses (1, deprecated), IP-Compression-Protocol (2, VJ: not implemented), unknown.
      rejected.push(o);
    }
    // pppd ipcp_reqci: a peer that did not ask for an address is told the one it gets.
    if (this.role === 'lns' && !sawAddress && rejected.length === 0 && !mustReject) {
      naks.push({ type: IpcpOption.IpAddress, value: u32Value(this.peerAddress) });
    }
    if (rejected.length > 0) return { kind: 'reject', rejected };
    if (naks.length > 0) {
      if (mustReject) {
        const types = new Set(naks.map((n) => n.type));
        return { kind: 'reject', rejected: options.filter((o) => types.has(o.type)) };
      }
      return { kind: 'nak', suggestions: naks };
    }
    this.peerAddress = peerAddress;
    return { kind: 'ack' };
  }

  onNak(suggestions: readonly Option[]): void {
    for (const o of suggestions) {
      if (o.value.length !== 4) continue;
      const v = u32(o.value, 0);
      if (o.type === IpcpOption.IpAddress) {
        // LAC: the LNS assigns our address. LNS: our configured address stands.
        if (this.role === 'lac' && v !== 0) this.localAddress = v;
      } else if (this.asking?.has(o.type) === true) {
        this.asking.set(o.type, v);
      }
    }
  }

  onReject(rejected: readonly Option[]): void {
    for (const o of rejected) {
      if (o.type === IpcpOption.IpAddress) this.sendAddress = false;
      else this.asking?.delete(o.type);
    }
  }

  onUp(): void {}

  onDown(): void {}
}
