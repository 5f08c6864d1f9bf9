// One PPP link: the phases of RFC 1661 §3.2 (Dead → Establish → Authenticate → Network → Terminate)
// driving LCP, the Authenticate phase, IPCP and IPv6CP. Sans-IO: handle*/poll*, timers as data.
// Related: control-protocol.ts (one automaton per protocol), lcp.ts, ipcp.ts, ipv6cp.ts, auth-phase.ts, echo.ts.

import type { AuthOffer } from '../core/auth-engine.js';
import { Fifo } from '../core/fifo.js';
import type { Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { TimerTable } from '../core/timer-table.js';
import { AuthPhase } from './auth-phase.js';
import { ControlProtocol, type CpEvent } from './control-protocol.js';
import { EchoKeepalive } from './echo.js';
import { formatIpv4, IpcpPolicy } from './ipcp.js';
import { formatInterfaceId, Ipv6cpPolicy } from './ipv6cp.js';
import { type LcpNotice, LcpPolicy } from './lcp.js';
import { CP_HEADER_LENGTH } from './wire/cp-packet.js';
import { formatPacket } from './wire/format.js';
import { encodeFrame, PppFrameView } from './wire/frame.js';
import { CpCode, PppProtocol } from './wire/protocol-numbers.js';

/** Link phases of RFC 1661 §3.2. */
export type Phase = 'dead' | 'establish' | 'authenticate' | 'network' | 'terminate';

/** Configuration of one link (defaults follow pppd). */
export interface PppLinkOptions {
  readonly role: 'lns' | 'lac';
  readonly random: Random;
  /** Our MRU (default 1500). */
  readonly mru?: number;
  /** Methods we authenticate the peer with, in preference order; empty: noauth. */
  readonly authServers?: readonly AuthOffer[];
  /** Methods we can authenticate ourselves with, in preference order. */
  readonly authClients?: readonly AuthOffer[];
  /** LNS: called once on entering the Network phase; undefined → link down, RFC 3145 cause 20. */
  readonly assignAddress?: (user: string | undefined) => { local: string; peer: string } | undefined;
  /** LNS: ms-dns / ms-wins handed out (RFC 1877). */
  readonly dns?: readonly string[];
  readonly nbns?: readonly string[];
  /** LAC: the address requested (default 0.0.0.0). */
  readonly localAddress?: string;
  /** Run IPv6CP too (RFC 5072). */
  readonly ipv6?: boolean;
  /** RFC 1661 §4.6 timer and counters (3000 ms, 10, 2, 5). */
  readonly restartMs?: number;
  readonly maxConfigure?: number;
  readonly maxTerminate?: number;
  readonly maxFailure?: number;
  /** LCP echo keepalive (pppd lcp-echo-interval/-failure); 0 or absent: off. */
  readonly echoIntervalMs?: number;
  readonly echoFailure?: number;
  /** Limit on the Authenticate phase (default 30000 ms): RFC 3145 cause 13 when exceeded. */
  readonly authTimeoutMs?: number;
  /** Protocols answered with Protocol-Reject even if known (e.g. CCP 0x80fd for nomppe/noccp). */
  readonly rejectProtocols?: readonly number[];
  /** Emit pppd-style 'log' events for every control packet sent and received. */
  readonly debug?: boolean;
  /** Configure-Requests carrying our own magic before declaring a loop (pppd lcp-loopbackfail, 10). */
  readonly loopbackFail?: number;
}

/** What a link reports. */
export type PppEvent =
  | { readonly type: 'phase'; readonly phase: Phase }
  | { readonly type: 'auth-succeeded'; readonly user: string; readonly protocol: string }
  | { readonly type: 'auth-failed'; readonly user?: string; readonly reason: string }
  | {
      readonly type: 'link-up';
      readonly localAddress: string;
      readonly peerAddress: string;
      readonly dns: string[];
      readonly nbns: string[];
      readonly user?: string;
      readonly ipv6?: { localId: string; peerId: string };
    }
  | { readonly type: 'link-down'; readonly reason: string; readonly cause: number; readonly direction: 1 | 2 }
  | { readonly type: 'ip'; readonly packet: Uint8Array }
  | { readonly type: 'log'; readonly text: string };

const NONE: readonly never[] = [];
/** Automaton states in which a control protocol has finished (or never started). */
const FINISHED: ReadonlySet<string> = new Set(['initial', 'starting', 'closed', 'stopped']);
const NONE_NUMBERS: readonly number[] = [];

interface Down {
  reason: string;
  cause: number;
  direction: 1 | 2;
}

/** The deadlines of a link: each part's next deadline, copied in before every poll. */
type LinkTimer = 'lcp' | 'ipcp' | 'ipv6cp' | 'auth' | 'echo';

/** RFC 3145 §3 disconnect cause codes the link reports. */
export const DisconnectCause = {
  None: 0,
  Admin: 1,
  Normal: 3,
  LcpTimeout: 5,
  Loopback: 7,
  EchoTimeout: 8,
  AuthTimeout: 13,
  AuthProtocolUnacceptable: 15,
  AuthFailed: 16,
  NcpTimeout: 17,
  NoNcp: 18,
  NoAddress: 20,
} as const;

/**
 * One PPP link (RFC 1661). Inputs: `open`, `close`, `lowerDown`, `handleFrame`, `handleTimeout`;
 * outputs drained with `pollFrame`, `pollTimeout`, `pollEvent` after every input. No NCP packet is
 * sent and no IP is accepted before authentication succeeds. Remote input never throws.
 */
export class PppLink {
  private readonly o: PppLinkOptions;
  private readonly lcpPolicy: LcpPolicy;
  private readonly lcp: ControlProtocol;
  private ipcpPolicy: IpcpPolicy | undefined;
  private ipcp: ControlProtocol | undefined;
  private ipv6cpPolicy: Ipv6cpPolicy | undefined;
  private ipv6cp: ControlProtocol | undefined;
  private readonly echo: EchoKeepalive;
  private auth: AuthPhase | undefined;
  private readonly timers = new TimerTable<LinkTimer>();
  private readonly frames = new Fifo<Uint8Array>();
  private readonly events = new Fifo<PppEvent>();
  private readonly view = new PppFrameView();
  private readonly rejectProtocols: readonly number[];
  private down: Down | undefined;
  private downReported = false;
  private assigned: { local: string; peer: string } | undefined;
  private user: string | undefined;
  private currentPhase: Phase = 'dead';
  private echoId = 0;
  /** Frames dropped (malformed, or not allowed in the current phase). */
  droppedFrames = 0;

  constructor(opts: PppLinkOptions) {
    this.o = opts;
    this.lcpPolicy = new LcpPolicy({
      random: opts.random,
      mru: opts.mru,
      authServers: opts.authServers ?? NONE,
      authClients: opts.authClients ?? NONE,
    });
    this.lcp = new ControlProtocol(PppProtocol.Lcp, this.lcpPolicy, {
      restartMs: opts.restartMs,
      maxConfigure: opts.maxConfigure,
      maxTerminate: opts.maxTerminate,
      maxFailure: opts.maxFailure,
    });
    this.echo = new EchoKeepalive(opts.echoIntervalMs ?? 0, opts.echoFailure ?? 0);
    this.rejectProtocols = opts.rejectProtocols ?? NONE_NUMBERS;
  }

  /** The current RFC 1661 §3.2 phase. */
  get phase(): Phase {
    return this.currentPhase;
  }

  /** True while IPCP is Opened: IPv4 frames may flow both ways. */
  get ipUp(): boolean {
    return this.ipcp?.state === 'opened' && this.currentPhase === 'network';
  }

  /** Lower layer up plus administrative Open: LCP starts negotiating. */
  open(now: Instant): void {
    if (this.currentPhase !== 'dead' || this.downReported) return;
    this.setPhase('establish');
    this.lcp.open(now);
    this.lcp.up(now);
    this.pump(now);
  }

  /** Administrative Close: LCP Terminate-Request, then Dead (RFC 3145 cause 3, local). */
  close(reason: string, now: Instant): void {
    if (this.currentPhase === 'dead') return;
    this.setDown(reason, DisconnectCause.Normal, 2);
    this.lcp.close(reason, now);
    this.pump(now);
  }

  /** The lower layer (L2TP session) is gone: Dead at once, no packets sent. */
  lowerDown(now: Instant): void {
    if (this.downReported) return;
    this.setDown('lower layer down', DisconnectCause.None, 1);
    this.lcp.down(now);
    this.pump(now);
    this.finish();
  }

  /** One received PPP frame (`[FF 03] protocol information`; ACFC and PFC tolerated). */
  handleFrame(frame: Uint8Array, now: Instant): void {
    const view = this.view;
    if (view.wrap(frame) !== undefined) {
      this.droppedFrames++;
      return;
    }
    const protocol = view.protocol;
    const info = view.information;
    if (protocol === PppProtocol.Ipv4) {
      if (this.ipUp) this.events.push({ type: 'ip', packet: info });
      else this.droppedFrames++;
      return;
    }
    if (this.o.debug === true) this.log('rcvd', protocol, info);
    if (protocol === PppProtocol.Lcp) {
      if (this.lcp.state === 'initial' || this.lcp.state === 'starting') {
        this.droppedFrames++;
        return;
      }
      this.lcp.handlePacket(info, now);
      this.pump(now);
      this.checkLoop(now);
      return;
    }
    // RFC 1661 §3.4: non-LCP packets before LCP is Opened are silently discarded.
    if (this.lcp.state !== 'opened') {
      this.droppedFrames++;
      return;
    }
    if (protocol === PppProtocol.Chap || protocol === PppProtocol.Pap) {
      this.handleAuth(protocol, info, now);
      return;
    }
    // RFC 1661 §3.5: until authentication completes, only LCP, LQR and authentication packets.
    if (this.currentPhase === 'authenticate' || this.currentPhase === 'establish') {
      this.droppedFrames++;
      if (this.currentPhase === 'authenticate' && protocol >= 0x8000 && protocol < 0xc000) {
        this.auth?.repeatAnswer(now);
        this.pump(now);
      }
      return;
    }
    if (protocol === PppProtocol.Lqr || protocol === PppProtocol.Padding) return;
    if (!this.rejectProtocols.includes(protocol)) {
      if (protocol === PppProtocol.Ipcp && this.ipcp !== undefined) {
        this.ipcp.handlePacket(info, now);
        this.pump(now);
        return;
      }
      if (protocol === PppProtocol.Ipv6cp && this.ipv6cp !== undefined) {
        this.ipv6cp.handlePacket(info, now);
        this.pump(now);
        return;
      }
      if (protocol === PppProtocol.Ipv6 && this.ipv6cp?.state === 'opened') {
        this.events.push({ type: 'ip', packet: info });
        return;
      }
      if (protocol === PppProtocol.Ipcp || protocol === PppProtocol.Ipv4) {
        this.droppedFrames++;
        return;
      }
    }
    if (this.currentPhase === 'network') this.protocolReject(protocol, info, now);
  }

  /** Call when `pollTimeout()` is due. Each part rechecks its own deadline, so a stale entry is harmless. */
  handleTimeout(now: Instant): void {
    this.syncTimers();
    const t = this.timers;
    if (t.fire('lcp', now)) this.lcp.handleTimeout(now);
    if (t.fire('ipcp', now)) this.ipcp?.handleTimeout(now);
    if (t.fire('ipv6cp', now)) this.ipv6cp?.handleTimeout(now);
    if (t.fire('auth', now) && this.auth?.handleTimeout(now) === true) {
      this.fail('authentication timed out', DisconnectCause.AuthTimeout, now);
    }
    if (t.fire('echo', now)) this.handleEchoTimeout(now);
    this.pump(now);
  }

  /** Next frame to send (`FF 03 protocol information`); the caller owns it. */
  pollFrame(): Uint8Array | undefined {
    return this.frames.shift();
  }

  /** Earliest deadline at which handleTimeout must be called. */
  pollTimeout(): Instant | undefined {
    this.syncTimers();
    return this.timers.next();
  }

  /** Next event. */
  pollEvent(): PppEvent | undefined {
    return this.events.shift();
  }

  /** Copies each part's next deadline into the table. */
  private syncTimers(): void {
    const t = this.timers;
    t.set('lcp', this.lcp.pollTimeout());
    t.set('ipcp', this.ipcp?.pollTimeout());
    t.set('ipv6cp', this.ipv6cp?.pollTimeout());
    t.set('auth', this.auth?.pollTimeout());
    t.set('echo', this.echo.pollTimeout());
  }

  /** pppd lcp-echo-interval / lcp-echo-failure. */
  private handleEchoTimeout(now: Instant): void {
    const action = this.echo.handleTimeout(now);
    if (action === 'fail') {
      this.fail(`peer not responding to ${this.echo.pending} echo-requests`, DisconnectCause.EchoTimeout, now);
    } else if (action === 'send' && this.lcp.state === 'opened') {
      const data = new Uint8Array(4);
      const m = this.lcpPolicy.magic;
      data[0] = m >>> 24;
      data[1] = (m >>> 16) & 0xff;
      data[2] = (m >>> 8) & 0xff;
      data[3] = m & 0xff;
      this.lcp.send(CpCode.EchoRequest, data, this.echoId);
      this.echoId = (this.echoId + 1) & 0xff;
    }
  }

  private counters() {
    const o = this.o;
    return {
      restartMs: o.restartMs,
      maxConfigure: o.maxConfigure,
      maxTerminate: o.maxTerminate,
      maxFailure: o.maxFailure,
    };
  }

  private setPhase(phase: Phase): void {
    if (phase === this.currentPhase) return;
    this.currentPhase = phase;
    this.events.push({ type: 'phase', phase });
  }

  /** Records why the link goes down (first reason wins). */
  private setDown(reason: string, cause: number, direction: 1 | 2): void {
    if (this.down === undefined) this.down = { reason, cause, direction };
  }

  /** A local decision to end the link: LCP Terminate-Request, cause reported at Dead. */
  private fail(reason: string, cause: number, now: Instant): void {
    this.setDown(reason, cause, 2);
    this.lcp.close(reason, now);
    this.pump(now);
  }

  private finish(): void {
    this.echo.stop();
    this.auth = undefined;
    this.setPhase('dead');
    if (!this.downReported) {
      this.downReported = true;
      const d = this.down ?? { reason: 'link terminated', cause: DisconnectCause.None, direction: 2 };
      this.events.push({ type: 'link-down', reason: d.reason, cause: d.cause, direction: d.direction });
    }
  }

  /** Drains every engine's packets and events until nothing moves. */
  private pump(now: Instant): void {
    for (let progress = true; progress; ) {
      progress = false;
      // Packets first, so logs show a Configure-Ack before the This-Layer-Up it caused.
      progress = this.drainCp(this.lcp) || progress;
      for (let e = this.lcp.pollEvent(); e !== undefined; e = this.lcp.pollEvent()) {
        progress = true;
        this.onLcpEvent(e, now);
      }
      for (let n = this.lcpPolicy.pollNotice(); n !== undefined; n = this.lcpPolicy.pollNotice()) {
        progress = true;
        this.onLcpNotice(n, now);
      }
      if (this.ipcp !== undefined) {
        progress = this.drainCp(this.ipcp) || progress;
        for (let e = this.ipcp.pollEvent(); e !== undefined; e = this.ipcp.pollEvent()) {
          progress = true;
          this.onNcpEvent(this.ipcp, e, now);
        }
      }
      if (this.ipv6cp !== undefined) {
        progress = this.drainCp(this.ipv6cp) || progress;
        for (let e = this.ipv6cp.pollEvent(); e !== undefined; e = this.ipv6cp.pollEvent()) {
          progress = true;
          this.onNcpEvent(this.ipv6cp, e, now);
        }
      }
      progress = this.drainAuth(now) || progress;
    }
  }

  private drainCp(cp: ControlProtocol): boolean {
    let any = false;
    for (let p = cp.pollPacket(); p !== undefined; p = cp.pollPacket()) {
      any = true;
      this.sendPacket(cp.protocol, p);
    }
    return any;
  }

  private sendPacket(protocol: number, info: Uint8Array): void {
    if (this.o.debug === true) this.log('sent', protocol, info);
    this.frames.push(encodeFrame(protocol, info));
  }

  private log(direction: 'sent' | 'rcvd', protocol: number, info: Uint8Array): void {
    this.events.push({ type: 'log', text: `${direction} ${formatPacket(protocol, info)}` });
  }

  private onLcpEvent(e: CpEvent, now: Instant): void {
    switch (e.type) {
      case 'this-layer-up':
        this.onLcpUp(now);
        return;
      case 'this-layer-down':
        // RFC 1661 §3.7: a Terminate-Request from the peer; say so when the link is finished.
        if (e.cause === 'rtr') this.setDown('peer requested termination', DisconnectCause.Normal, 1);
        this.echo.stop();
        this.ncpDown(now);
        this.auth = undefined;
        this.setPhase(this.lcp.state === 'closing' || this.lcp.state === 'stopping' ? 'terminate' : 'establish');
        return;
      case 'this-layer-finished':
        if (e.cause === 'to-') this.setDown('LCP negotiation timed out', DisconnectCause.LcpTimeout, 2);
        else if (e.cause === 'rxj-') this.setDown('peer rejected LCP', DisconnectCause.None, 1);
        // Dead is final for this link object: move Stopped to Closed so late packets get Terminate-Ack.
        this.finish();
        this.lcp.fire('close', now);
        return;
      default:
        return;
    }
  }

  private onLcpNotice(n: LcpNotice, now: Instant): void {
    if (n.type === 'echo-reply') {
      this.echo.onReply();
    } else if (n.protocol === PppProtocol.Ipcp) {
      this.ipcp?.fire('rxj-', now);
    } else if (n.protocol === PppProtocol.Ipv6cp) {
      this.ipv6cp?.fire('rxj-', now);
    } else if (this.auth?.speaks(n.protocol) === true) {
      this.fail('peer rejected the authentication protocol', DisconnectCause.AuthProtocolUnacceptable, now);
    }
  }

  private onLcpUp(now: Instant): void {
    this.echo.start(now);
    if (this.lcpPolicy.peerRefusedAuth) {
      this.fail('peer refused to authenticate', DisconnectCause.AuthProtocolUnacceptable, now);
      return;
    }
    const serverIndex = this.lcpPolicy.authServer;
    const clientIndex = this.lcpPolicy.authClient;
    const serverMethod = serverIndex === undefined ? undefined : this.o.authServers?.[serverIndex];
    const clientMethod = clientIndex === undefined ? undefined : this.o.authClients?.[clientIndex];
    if (serverMethod === undefined && clientMethod === undefined) {
      this.enterNetwork(now);
      return;
    }
    this.setPhase('authenticate');
    const o = this.o;
    this.auth = new AuthPhase(
      serverMethod,
      clientMethod,
      { limitMs: o.authTimeoutMs ?? 30_000, repeatMs: o.restartMs ?? 3000 },
      now,
    );
  }

  private handleAuth(protocol: number, info: Uint8Array, now: Instant): void {
    if (this.auth?.handlePacket(protocol, info, now) !== true) {
      this.droppedFrames++;
      return;
    }
    this.pump(now);
  }

  private drainAuth(now: Instant): boolean {
    const auth = this.auth;
    if (auth === undefined) return false;
    let any = false;
    for (let p = auth.pollPacket(); p !== undefined; p = auth.pollPacket()) {
      any = true;
      this.sendPacket(p.protocol, p.info);
    }
    const r = auth.pollResult();
    if (r === undefined) return any;
    if (!r.ok) {
      this.events.push({ type: 'auth-failed', user: r.user, reason: r.reason });
      this.fail(`authentication failed: ${r.reason}`, DisconnectCause.AuthFailed, now);
      return true;
    }
    this.user = r.user;
    this.events.push({ type: 'auth-succeeded', user: r.user, protocol: r.label });
    this.enterNetwork(now);
    return true;
  }

  private enterNetwork(now: Instant): void {
    const o = this.o;
    if (o.role === 'lns' && this.assigned === undefined) {
      this.assigned = o.assignAddress?.(this.user);
      if (this.assigned === undefined) {
        this.fail('no address available for the peer', DisconnectCause.NoAddress, now);
        return;
      }
    }
    this.setPhase('network');
    if (this.ipcp === undefined) {
      this.ipcpPolicy = new IpcpPolicy({
        role: o.role,
        local: this.assigned?.local,
        peer: this.assigned?.peer,
        dns: o.dns,
        nbns: o.nbns,
        localAddress: o.localAddress,
      });
      this.ipcp = new ControlProtocol(PppProtocol.Ipcp, this.ipcpPolicy, this.counters());
      this.ipcp.open(now);
    }
    this.ipcp.up(now);
    if (o.ipv6 === true) {
      if (this.ipv6cp === undefined) {
        this.ipv6cpPolicy = new Ipv6cpPolicy(o.random);
        this.ipv6cp = new ControlProtocol(PppProtocol.Ipv6cp, this.ipv6cpPolicy, this.counters());
        this.ipv6cp.open(now);
      }
      this.ipv6cp.up(now);
    }
  }

  private ncpDown(now: Instant): void {
    this.ipcp?.down(now);
    this.ipv6cp?.down(now);
  }

  private onNcpEvent(cp: ControlProtocol, e: CpEvent, now: Instant): void {
    if (e.type === 'this-layer-up' && cp === this.ipcp && this.ipcpPolicy !== undefined) {
      const p = this.ipcpPolicy;
      const v6 = this.ipv6cp?.state === 'opened' && this.ipv6cpPolicy !== undefined ? this.ipv6cpPolicy : undefined;
      this.events.push({
        type: 'link-up',
        localAddress: formatIpv4(p.localAddress),
        peerAddress: formatIpv4(p.peerAddress),
        dns: p.dns,
        nbns: p.nbns,
        user: this.user,
        ...(v6 && { ipv6: { localId: formatInterfaceId(v6.localId), peerId: formatInterfaceId(v6.peerId) } }),
      });
    } else if (e.type === 'this-layer-finished' && this.currentPhase === 'network') {
      // pppd np_finished: with no network protocol left, the link has no purpose.
      // The other NCP may still be negotiating (a ProtRej of IPv6CP often precedes IPCP's Ack).
      const other = cp === this.ipcp ? this.ipv6cp : this.ipcp;
      const otherAlive = other !== undefined && !FINISHED.has(other.state);
      if (!otherAlive) {
        const timedOut = e.cause === 'to-';
        this.fail(
          timedOut ? `${cp.policy.protocolName} negotiation timed out` : 'no network protocols running',
          timedOut ? DisconnectCause.NcpTimeout : DisconnectCause.NoNcp,
          now,
        );
      }
    }
  }

  /** RFC 1661 §5.7: Protocol-Reject, cut to fit the peer's MRU. */
  private protocolReject(protocol: number, info: Uint8Array, now: Instant): void {
    const room = Math.max(0, this.lcpPolicy.peerMru - CP_HEADER_LENGTH - 2);
    const data = new Uint8Array(2 + Math.min(room, info.length));
    data[0] = protocol >>> 8;
    data[1] = protocol & 0xff;
    data.set(info.subarray(0, data.length - 2), 2);
    this.lcp.send(CpCode.ProtocolReject, data);
    this.pump(now);
  }

  private checkLoop(now: Instant): void {
    if (this.lcpPolicy.loops >= (this.o.loopbackFail ?? 10) && this.down === undefined) {
      this.fail('serial line is looped back', DisconnectCause.Loopback, now);
    }
  }
}
