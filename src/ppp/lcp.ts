// LCP option policy (RFC 1661 §6, RFC 1570; RFC 1994 §3 and RFC 2759 §2 for the CHAP algorithm):
// MRU, ACCM, Authentication-Protocol, Magic-Number (loop detection), PFC, ACFC; everything else is
// Configure-Rejected in order; plus LCP's own codes (§5.7–§5.9) through the extcode hook.
// The automaton lives in control-protocol.ts. Related: link.ts, echo.ts.
import { put16, put32, u16, u32 } from '../core/bytes.js';
import { Fifo } from '../core/fifo.js';
import type { Random } from '../core/random.js';
import type { State } from './automaton.js';
import type { ExtendedCode, Option, OptionPolicy, Verdict } from './option-policy.js';
import { CP_HEADER_LENGTH, u16Value, u32Value } from './wire/cp-packet.js';
import { CpCode, DEFAULT_MRU, LcpOption, MIN_MRU, PppProtocol } from './wire/protocol-numbers.js';

/** An authentication method as LCP sees it: protocol and, for CHAP, the algorithm. */
export interface AuthChoice {
  readonly protocol: number;
  readonly algorithm?: number;
}

/** The Authentication-Protocol option data for a method (RFC 1661 §6.2, RFC 1994 §3). */
export function authOptionData(m: AuthChoice): Uint8Array {
  const p = [(m.protocol >>> 8) & 0xff, m.protocol & 0xff];
  return new Uint8Array(m.algorithm === undefined ? p : [...p, m.algorithm & 0xff]);
}

/** What LCP's own codes tell the link, drained with `pollNotice` after every input. */
export type LcpNotice =
  /** RFC 1661 §5.7: the peer rejected a protocol other than LCP while Opened. */
  | { readonly type: 'protocol-rejected'; readonly protocol: number }
  /** An Echo-Reply while Opened that does not carry our own magic (a keepalive answer). */
  | { readonly type: 'echo-reply' };

const RXR: ExtendedCode = { event: 'rxr' };
const SILENT: ExtendedCode = { event: 'none' };
const SHORT_PROTOCOL_REJECT: ExtendedCode = { event: 'drop', reason: 'short-protocol-reject' };
const RXJ_PLUS: ExtendedCode = { event: 'rxj+' };
const RXJ_MINUS: ExtendedCode = { event: 'rxj-' };

/** Configuration of the LCP policy. */
export interface LcpPolicyOptions {
  readonly random: Random;
  /** Our MRU; requested only when it differs from 1500 (pppd). */
  readonly mru?: number;
  /** Methods we authenticate the peer with, in preference order (empty: we don't ask). */
  readonly authServers?: readonly AuthChoice[];
  /** Methods we can authenticate ourselves with, in preference order (empty: refuse). */
  readonly authClients?: readonly AuthChoice[];
}

/**
 * LCP option policy. The negotiated values (`peerMru`, `authServer`, `authClient`, `peerMagic`, …)
 * are valid after This-Layer-Up. `loops` counts Configure-Requests that carried our own magic.
 */
export class LcpPolicy implements OptionPolicy {
  readonly protocolName = 'LCP';
  private readonly random: Random;
  private readonly wantMru: number;
  private readonly servers: readonly AuthChoice[];
  private readonly clients: readonly AuthChoice[];
  private mru: number;
  private sendMru = true;
  private authIndex = 0;
  private authRefused = false;
  private sendMagic = true;
  /** Our Magic-Number (0 once the peer rejected the option). */
  magic = 0;
  /** The peer's MRU: our frames, Protocol-Reject and Code-Reject must fit it. */
  peerMru = DEFAULT_MRU;
  /** The peer's Magic-Number, if it sent one. */
  peerMagic: number | undefined;
  /** Index into authClients of the method the peer asked for and we acked. */
  authClient: number | undefined;
  /** The peer asked for PFC / ACFC and we acked (we may then compress; we never need to). */
  peerPfc = false;
  peerAcfc = false;
  /** Configure-Requests received carrying our own Magic-Number (RFC 1661 §6.4 loop detection). */
  loops = 0;
  private readonly notices = new Fifo<LcpNotice>();

  constructor(o: LcpPolicyOptions) {
    this.random = o.random;
    this.wantMru = o.mru ?? DEFAULT_MRU;
    this.mru = this.wantMru;
    this.servers = o.authServers ?? [];
    this.clients = o.authClients ?? [];
    this.magic = this.newMagic(0);
  }

  /** Index into authServers of the method the peer acked, or undefined (none asked, or refused). */
  get authServer(): number | undefined {
    return this.servers.length > 0 && !this.authRefused ? this.authIndex : undefined;
  }

  /** True when we require authentication but the peer refused every method we offered. */
  get peerRefusedAuth(): boolean {
    return this.servers.length > 0 && this.authRefused;
  }

  /** RFC 1661 §5.8: Echo-Request data, our Magic-Number (zero when not negotiated). */
  echoRequestData(): Uint8Array {
    const data = new Uint8Array(4);
    put32(data, 0, this.magic);
    return data;
  }

  /** RFC 1661 §5.7: Protocol-Reject data (the protocol, then the rejected information), cut to fit the peer's MRU. */
  protocolRejectData(protocol: number, info: Uint8Array): Uint8Array {
    const room = Math.max(0, this.peerMru - CP_HEADER_LENGTH - 2);
    const data = new Uint8Array(2 + Math.min(room, info.length));
    put16(data, 0, protocol);
    data.set(info.subarray(0, data.length - 2), 2);
    return data;
  }

  /** Next notice for the link. */
  pollNotice(): LcpNotice | undefined {
    return this.notices.shift();
  }

  /** RFC 1661 §5.7–§5.9 and RFC 1570: the codes only LCP has (pppd lcp_extcode). */
  extcode(code: number, _id: number, data: Uint8Array, state: State): ExtendedCode | undefined {
    switch (code) {
      case CpCode.ProtocolReject: {
        if (data.length < 2) return SHORT_PROTOCOL_REJECT;
        const protocol = u16(data, 0);
        // §5.7: a rejected LCP is catastrophic; any other protocol is permitted to be rejected.
        if (protocol === PppProtocol.Lcp) return RXJ_MINUS;
        if (state === 'opened') this.notices.push({ type: 'protocol-rejected', protocol });
        return RXJ_PLUS;
      }
      case CpCode.EchoRequest: {
        // The automaton answers ('ser') only when Opened.
        if (state !== 'opened') return RXR;
        // §5.8: Echo-Reply with our Magic-Number, then the request's data after its magic.
        const reply = new Uint8Array(Math.max(4, data.length));
        reply.set(data.subarray(4), 4);
        put32(reply, 0, this.magic);
        return { event: 'rxr', echoReply: reply };
      }
      case CpCode.EchoReply: {
        // pppd lcp_received_echo_reply: a reply with our own magic means a looped link; ignore it.
        const magic = data.length >= 4 ? u32(data, 0) : 0;
        if (state === 'opened' && (magic === 0 || magic !== this.magic)) this.notices.push({ type: 'echo-reply' });
        return RXR;
      }
      case CpCode.DiscardRequest:
        return RXR;
      case CpCode.Identification:
      case CpCode.TimeRemaining:
        // RFC 1570 §2: informational; a receiver that does not use them silently discards them.
        return SILENT;
      default:
        return undefined;
    }
  }

  onStart(): void {
    this.mru = this.wantMru;
    this.sendMru = true;
    this.authIndex = 0;
    this.authRefused = false;
    this.sendMagic = true;
    if (this.magic === 0) this.magic = this.newMagic(0);
    this.authClient = undefined;
    this.peerMagic = undefined;
    this.peerMru = DEFAULT_MRU;
    this.peerPfc = false;
    this.peerAcfc = false;
  }

  ourRequest(): readonly Option[] {
    const out: Option[] = [];
    // RFC 1661 §6.1: the default 1500 need not be negotiated (pppd asks only for other values).
    if (this.sendMru && this.mru !== DEFAULT_MRU) out.push({ type: LcpOption.Mru, value: u16Value(this.mru) });
    const server = this.authServer === undefined ? undefined : this.servers[this.authServer];
    if (server !== undefined) out.push({ type: LcpOption.AuthenticationProtocol, value: authOptionData(server) });
    if (this.sendMagic) out.push({ type: LcpOption.MagicNumber, value: u32Value(this.magic) });
    return out;
  }

  judgePeerRequest(options: readonly Option[], mustReject: boolean): Verdict {
    const rejected: Option[] = [];
    const naks: Option[] = [];
    const loopNaks: Option[] = [];
    let mru = DEFAULT_MRU;
    let magic: number | undefined;
    let authClient: number | undefined;
    let pfc = false;
    let acfc = false;
    for (const o of options) {
      const v = o.value;
      switch (o.type) {
        case LcpOption.Mru:
          if (v.length !== 2) rejected.push(o);
          else if (u16(v, 0) < MIN_MRU) naks.push({ type: o.type, value: u16Value(MIN_MRU) });
          else mru = u16(v, 0);
          break;
        case LcpOption.Accm:
          // RFC 1662 §7.1: meaningless on L2TP's synchronous framing, but harmless: accept.
          if (v.length !== 4) rejected.push(o);
          break;
        case LcpOption.AuthenticationProtocol: {
          if (v.length < 2 || this.clients.length === 0) {
            rejected.push(o);
            break;
          }
          const protocol = u16(v, 0);
          const algorithm = protocol === PppProtocol.Chap ? (v.length >= 3 ? v[2] : -1) : undefined;
          const index = this.clients.findIndex(
            (c) =>
              c.protocol === protocol &&
              (protocol !== PppProtocol.Chap || c.algorithm === algorithm) &&
              (protocol !== PppProtocol.Pap || v.length === 2),
          );
          if (index >= 0) authClient = index;
          else naks.push({ type: o.type, value: authOptionData(this.clients[0]!) });
          break;
        }
        case LcpOption.MagicNumber: {
          if (v.length !== 4) {
            rejected.push(o);
            break;
          }
          const peer = u32(v, 0);
          // RFC 1661 §6.4: zero is illegal and MUST be Nak'd; our own magic suggests a looped link.
          if (peer === 0 || (this.sendMagic && peer === this.magic)) {
            if (peer !== 0) this.loops++;
            // pppd: a looped magic is Nak'd even past Max-Failure, so the loop stays detectable.
            (peer !== 0 ? loopNaks : naks).push({ type: o.type, value: u32Value(this.newMagic(peer)) });
          } else {
            magic = peer;
          }
          break;
        }
        case LcpOption.Pfc:
          if (v.length !== 0) rejected.push(o);
          else pfc = true;
          break;
        case LcpOption.Acfc:
          if (v.length !== 0) rejected.push(o);
          else acfc = true;
          break;
        default:
          // MRRU (17), Endpoint-Discriminator (19), Callback, Quality-Protocol, …: not supported.
          rejected.push(o);
      }
    }
    if (rejected.length > 0) return { kind: 'reject', rejected };
    if (naks.length > 0) {
      if (mustReject) {
        const types = new Set(naks.map((n) => n.type));
        return { kind: 'reject', rejected: options.filter((o) => types.has(o.type)) };
      }
      return { kind: 'nak', suggestions: [...naks, ...loopNaks] };
    }
    if (loopNaks.length > 0) return { kind: 'nak', suggestions: loopNaks };
    this.peerMru = mru;
    this.peerMagic = magic;
    this.authClient = authClient;
    this.peerPfc = pfc;
    this.peerAcfc = acfc;
    return { kind: 'ack' };
  }

  onNak(suggestions: readonly Option[]): void {
    for (const o of suggestions) {
      const v = o.value;
      switch (o.type) {
        case LcpOption.Mru:
          // pppd lcp_nakci: take a smaller MRU, or any MRU when ours is the default.
          if (v.length === 2 && u16(v, 0) >= MIN_MRU && (u16(v, 0) <= this.wantMru || this.wantMru === DEFAULT_MRU)) {
            this.mru = u16(v, 0);
          }
          break;
        case LcpOption.AuthenticationProtocol: {
          if (this.servers.length === 0 || v.length < 2) break;
          const protocol = u16(v, 0);
          const algorithm = protocol === PppProtocol.Chap && v.length >= 3 ? v[2] : undefined;
          const index = this.servers.findIndex(
            (s) => s.protocol === protocol && (protocol !== PppProtocol.Chap || s.algorithm === algorithm),
          );
          // A method we allow: use it. Otherwise try our next preference; none left: the peer refuses.
          if (index >= 0 && index !== this.authIndex) this.authIndex = index;
          else if (this.authIndex + 1 < this.servers.length) this.authIndex++;
          else this.authRefused = true;
          break;
        }
        case LcpOption.MagicNumber:
          // RFC 1661 §6.4: on a Nak of our magic, choose a new random one (not the suggestion).
          if (v.length === 4) this.magic = this.newMagic(u32(v, 0));
          break;
      }
    }
  }

  onReject(rejected: readonly Option[]): void {
    for (const o of rejected) {
      if (o.type === LcpOption.Mru) this.sendMru = false;
      else if (o.type === LcpOption.AuthenticationProtocol) this.authRefused = true;
      else if (o.type === LcpOption.MagicNumber) {
        this.sendMagic = false;
        this.magic = 0;
      }
    }
  }

  onUp(): void {}

  onDown(): void {}

  /** A random non-zero magic different from `avoid` and from our current one. */
  private newMagic(avoid: number): number {
    const b = new Uint8Array(4);
    for (;;) {
      const m = u32(this.random.fill(b), 0);
      if (m !== 0 && m !== avoid && m !== this.magic) return m;
    }
  }
}
