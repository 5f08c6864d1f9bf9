// One PPP link: the phases of RFC 1661 §3.2 (Dead → Establish → Authenticate → Network → Terminate)
// driving LCP, the Authenticate phase and the Network phase. Sans-IO: handle*/poll*, timers as data.
// Related: control-protocol.ts, lcp.ts, auth-phase.ts, network-phase.ts, link-events.ts, echo.ts.

import type { AuthVerdict } from '../core/auth-engine.js';
import { Fifo } from '../core/fifo.js';
import type { Instant } from '../core/time.js';
import { AuthPhase } from './auth-phase.js';
import { ControlProtocol, type CpEvent } from './control-protocol.js';
import { EchoKeepalive } from './echo.js';
import { type LcpNotice, LcpPolicy } from './lcp.js';
import { LinkDownCause, type Phase, type PppEvent } from './link-events.js';
import { type NetworkOutput, NetworkPhase } from './network-phase.js';
import { formatPacket } from './wire/format.js';
import { encodeFrame, PppFrameView } from './wire/frame.js';
import { CpCode, PppProtocol } from './wire/protocol-numbers.js';

export { LinkDownCause, type Phase, type PppEvent } from './link-events.js';

import type { PppLinkOptions } from './link-options.js';

export type { PppLinkOptions };

const NONE: readonly never[] = [];

/** Why the link goes down, kept until Dead reports it. */
type Down = Omit<Extract<PppEvent, { type: 'link-down' }>, 'type'>;

/**
 * One view for every link: it is wrapped and read at the top of handleFrame and not used after
 * (a view per link would keep each link's last frame alive, issue 10).
 */
const VIEW = new PppFrameView();

/** The earlier of two optional instants. */
function earlier(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  return a === undefined ? b : b === undefined || a <= b ? a : b;
}

/** True when the optional deadline `at` is due at `now`. */
function due(at: Instant | undefined, now: Instant): boolean {
  return at !== undefined && at <= now;
}

/**
 * One PPP link (RFC 1661). Inputs: `open`, `close`, `lowerDown`, `handleFrame`, `handleTimeout`;
 * outputs drained with `pollFrame`, `pollTimeout`, `pollEvent` after every input. No NCP packet is
 * sent and no IP is accepted before authentication succeeds. Remote input never throws.
 *
 * Memory (issue 10): `opts` is kept by reference, not copied, so an owner with many links passes
 * one options object to all of them (the LNS does); the owner's callbacks receive `tag` (the
 * owner's key for this link) instead of being a closure per link; the link holds no closure and
 * no timer table of its own (its deadline is the earliest of its parts', computed on demand).
 */
export class PppLink {
  private readonly o: PppLinkOptions;
  private readonly lcpPolicy: LcpPolicy;
  private readonly lcp: ControlProtocol;
  private network: NetworkPhase<PppLink> | undefined;
  private readonly echo: EchoKeepalive;
  private auth: AuthPhase | undefined;
  private readonly frames = new Fifo<Uint8Array>();
  private readonly events = new Fifo<PppEvent>();
  private down: Down | undefined;
  private downReported = false;
  private user: string | undefined;
  private currentPhase: Phase = 'dead';
  /** Frames dropped (malformed, or not allowed in the current phase). */
  droppedFrames = 0;

  /**
   * `opts` is read, never copied or changed (share one object among links); `tag` is handed back
   * to its callbacks (assignAddress, AuthOffer.create) so that they can tell the links apart.
   */
  constructor(
    opts: PppLinkOptions,
    readonly tag = 0,
  ) {
    this.o = opts;
    this.lcpPolicy = new LcpPolicy({
      random: opts.random,
      mru: opts.mru,
      authServers: opts.authServers ?? NONE,
      authClients: opts.authClients ?? NONE,
    });
    // The options carry the RFC 1661 §4.6 timer and counters, the same for LCP and the NCPs.
    this.lcp = new ControlProtocol(PppProtocol.Lcp, this.lcpPolicy, opts);
    this.echo = new EchoKeepalive(opts.echoIntervalMs ?? 0, opts.echoFailure ?? 0);
  }

  /** The current RFC 1661 §3.2 phase. */
  get phase(): Phase {
    return this.currentPhase;
  }

  /** The MRU the peer asked for and we acked (1500 until LCP says otherwise): no frame we send may exceed it. */
  get peerMru(): number {
    return this.lcpPolicy.peerMru;
  }

  /** True while IPCP is Opened: IPv4 frames may flow both ways. */
  get ipUp(): boolean {
    return this.network?.ipv4Up === true && this.currentPhase === 'network';
  }

  /** True while IPv6CP is Opened: IPv6 frames (0x0057) may flow both ways. */
  get ipv6Up(): boolean {
    return this.network?.ipv6Up === true && this.currentPhase === 'network';
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
    this.setDown(reason, LinkDownCause.Normal, 2);
    this.lcp.close(reason, now);
    this.pump(now);
  }

  /** The verdict of an external checker on the 'auth-verify' this link reported (RADIUS). */
  completeAuth(verdict: AuthVerdict, now: Instant): void {
    this.auth?.completeVerify(verdict, now);
    this.pump(now);
  }

  /** The lower layer (L2TP session) is gone: Dead at once, no packets sent. */
  lowerDown(now: Instant): void {
    if (this.downReported) return;
    this.setDown('lower layer down', LinkDownCause.None, 1);
    this.lcp.down(now);
    this.pump(now);
    this.finish();
  }

  /** One received PPP frame (`[FF 03] protocol information`; ACFC and PFC tolerated). */
  handleFrame(frame: Uint8Array, now: Instant): void {
    const view = VIEW;
    const error = view.wrap(frame);
    const protocol = view.protocol;
    const info = view.information;
    if (error === 'bad-protocol') {
      // RFC 1661 §2: a Protocol field that breaks the odd/even rule is an unrecognized Protocol.
      if (!this.rejectUnknown(protocol, info, now)) this.droppedFrames++;
      return;
    }
    if (error !== undefined) {
      this.droppedFrames++;
      return;
    }
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
      if (this.auth?.handlePacket(protocol, info, now) === true) this.pump(now);
      else this.droppedFrames++;
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
    if (!(this.o.rejectProtocols ?? NONE).includes(protocol)) {
      if (this.network?.handlePacket(protocol, info, now) === true) {
        this.pump(now);
        return;
      }
      if (protocol === PppProtocol.Ipv6 && this.network?.ipv6Up === true) {
        this.events.push({ type: 'ip', packet: info });
        return;
      }
      if (protocol === PppProtocol.Ipcp) {
        this.droppedFrames++;
        return;
      }
    }
    this.rejectUnknown(protocol, info, now);
  }

  /** RFC 1661 §5.7: Protocol-Reject (LCP Opened, Network phase), cut to fit the peer's MRU. */
  private rejectUnknown(protocol: number, info: Uint8Array, now: Instant): boolean {
    if (this.lcp.state !== 'opened' || this.currentPhase !== 'network') return false;
    this.lcp.send(CpCode.ProtocolReject, this.lcpPolicy.protocolRejectData(protocol, info));
    this.pump(now);
    return true;
  }

  /** Call when `pollTimeout()` is due. Each part whose own deadline is due runs (in this order). */
  handleTimeout(now: Instant): void {
    const lcpDue = due(this.lcp.pollTimeout(), now);
    const networkDue = due(this.network?.pollTimeout(), now);
    const authDue = due(this.auth?.pollTimeout(), now);
    const echoDue = due(this.echo.pollTimeout(), now);
    if (lcpDue) this.lcp.handleTimeout(now);
    if (networkDue) this.network?.handleTimeout(now);
    if (authDue && this.auth?.handleTimeout(now) === true) {
      this.fail('authentication timed out', LinkDownCause.AuthTimeout, now);
    }
    if (echoDue) this.handleEchoTimeout(now);
    this.pump(now);
  }

  /** Next frame to send (`FF 03 protocol information`); the caller owns it. */
  pollFrame(): Uint8Array | undefined {
    return this.frames.shift();
  }

  /** Earliest deadline at which handleTimeout must be called: the earliest of the parts'. */
  pollTimeout(): Instant | undefined {
    const a = earlier(this.lcp.pollTimeout(), this.network?.pollTimeout());
    return earlier(earlier(a, this.auth?.pollTimeout()), this.echo.pollTimeout());
  }

  /** Next event. */
  pollEvent(): PppEvent | undefined {
    return this.events.shift();
  }

  /** pppd lcp-echo-interval / lcp-echo-failure. */
  private handleEchoTimeout(now: Instant): void {
    const action = this.echo.handleTimeout(now);
    if (action === 'fail') {
      this.fail(`peer not responding to ${this.echo.pending} echo-requests`, LinkDownCause.EchoTimeout, now);
    } else if (action === 'send' && this.lcp.state === 'opened') {
      this.lcp.send(CpCode.EchoRequest, this.lcpPolicy.echoRequestData(), this.echo.takeIdentifier());
    }
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
      const d = this.down ?? { reason: 'link terminated', cause: LinkDownCause.None, direction: 2 };
      this.events.push({ type: 'link-down', reason: d.reason, cause: d.cause, direction: d.direction });
    }
  }

  /** Drains every engine's packets and events until nothing moves. */
  private pump(now: Instant): void {
    for (let progress = true; progress; ) {
      progress = false;
      // Packets first, so logs show a Configure-Ack before the This-Layer-Up it caused.
      for (let p = this.lcp.pollPacket(); p !== undefined; p = this.lcp.pollPacket()) {
        progress = true;
        this.sendPacket(PppProtocol.Lcp, p);
      }
      for (let e = this.lcp.pollEvent(); e !== undefined; e = this.lcp.pollEvent()) {
        progress = true;
        this.onLcpEvent(e, now);
      }
      for (let n = this.lcpPolicy.pollNotice(); n !== undefined; n = this.lcpPolicy.pollNotice()) {
        progress = true;
        this.onLcpNotice(n, now);
      }
      if (this.network !== undefined) progress = this.network.drain(now) || progress;
      progress = this.drainAuth(now) || progress;
    }
  }

  /** What the Network phase reports back: one object for every link (the link is its `owner`). */
  private static readonly networkOutput: NetworkOutput<PppLink> = {
    send: (link, protocol, info) => link.sendPacket(protocol, info),
    up: (link, u) =>
      link.events.push({
        type: 'link-up',
        localAddress: u.localAddress,
        peerAddress: u.peerAddress,
        dns: u.dns,
        nbns: u.nbns,
        user: link.user,
        ...(u.ipv6 && { ipv6: u.ipv6 }),
      }),
    ipv6Up: (link, ids) => link.events.push({ type: 'ipv6-up', localId: ids.localId, peerId: ids.peerId }),
    ipv6Down: (link) => link.events.push({ type: 'ipv6-down' }),
    finished: (link, protocolName, timedOut, now) => {
      // pppd np_finished: with no network protocol left, the link has no purpose.
      if (link.currentPhase !== 'network') return;
      link.fail(
        timedOut ? `${protocolName} negotiation timed out` : 'no network protocols running',
        timedOut ? LinkDownCause.NcpTimeout : LinkDownCause.NoNcp,
        now,
      );
    },
  };

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
        if (e.cause === 'rtr') this.setDown('peer requested termination', LinkDownCause.Normal, 1);
        this.echo.stop();
        this.network?.down(now);
        this.auth = undefined;
        this.setPhase(this.lcp.state === 'closing' || this.lcp.state === 'stopping' ? 'terminate' : 'establish');
        return;
      case 'this-layer-finished':
        if (e.cause === 'to-') this.setDown('LCP negotiation timed out', LinkDownCause.LcpTimeout, 2);
        else if (e.cause === 'rxj-') this.setDown('peer rejected LCP', LinkDownCause.None, 1);
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
    } else if (this.network?.protocolRejected(n.protocol, now) === true) {
      // RFC 1661 §5.7: the NCP finishes (RXJ-); the link goes on while another NCP runs.
    } else if (this.auth?.speaks(n.protocol) === true) {
      this.fail('peer rejected the authentication protocol', LinkDownCause.AuthProtocolUnacceptable, now);
    }
  }

  private onLcpUp(now: Instant): void {
    this.echo.start(now);
    if (this.lcpPolicy.peerRefusedAuth) {
      this.fail('peer refused to authenticate', LinkDownCause.AuthProtocolUnacceptable, now);
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
      o.authTimeoutMs ?? 30_000,
      o.restartMs ?? 3000,
      this.tag,
      now,
    );
  }

  private drainAuth(now: Instant): boolean {
    const auth = this.auth;
    if (auth === undefined) return false;
    let any = false;
    for (let p = auth.pollPacket(); p !== undefined; p = auth.pollPacket()) {
      any = true;
      this.sendPacket(p.protocol, p.info);
    }
    for (let v = auth.pollVerify(); v !== undefined; v = auth.pollVerify()) {
      any = true;
      this.events.push({ type: 'auth-verify', request: v });
    }
    const r = auth.pollResult();
    if (r === undefined) return any;
    if (!r.ok) {
      this.events.push({ type: 'auth-failed', user: r.user, reason: r.reason });
      this.fail(`authentication failed: ${r.reason}`, LinkDownCause.AuthFailed, now);
      return true;
    }
    this.user = r.user;
    this.events.push({ type: 'auth-succeeded', user: r.user, protocol: r.label });
    this.enterNetwork(now);
    return true;
  }

  /**
   * The Network phase: on the first entry the LNS asks for the link's addresses and the NCPs are
   * made (the addresses then live in IPCP only); later entries (LCP renegotiated) reuse them.
   */
  private enterNetwork(now: Instant): void {
    if (this.network === undefined) {
      const o = this.o;
      let a: ReturnType<NonNullable<PppLinkOptions['assignAddress']>>;
      if (o.role === 'lns') {
        a = o.assignAddress?.(this.user, this.tag);
        if (a === undefined) {
          this.fail('no address available for the peer', LinkDownCause.NoAddress, now);
          return;
        }
      }
      this.network = new NetworkPhase(
        {
          role: o.role,
          random: o.random,
          assigned: a,
          dns: a?.dns ?? o.dns,
          nbns: a?.nbns ?? o.nbns,
          localAddress: o.localAddress,
          ipv6: o.ipv6,
          counters: o,
        },
        this,
        PppLink.networkOutput,
        now,
      );
    }
    this.setPhase('network');
    this.network.up(now);
  }

  private checkLoop(now: Instant): void {
    if (this.lcpPolicy.loops >= (this.o.loopbackFail ?? 10) && this.down === undefined) {
      this.fail('serial line is looped back', LinkDownCause.Loopback, now);
    }
  }
}
