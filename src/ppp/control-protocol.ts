// One control protocol (LCP, IPCP or IPv6CP): packet codec + RFC 1661 §4 automaton + option policy,
// with the Restart timer, Max-Configure, Max-Terminate and Max-Failure counters of §4.6.
// Related: automaton.ts (the table), option-policy.ts, lcp.ts / ipcp.ts / ipv6cp.ts (policies), link.ts.
import { Fifo } from '../core/fifo.js';
import { utf8Octets } from '../core/text.js';
import type { Instant } from '../core/time.js';
import { type Action, Automaton, type Cell, type Event, type State, TIMER_STATES } from './automaton.js';
import type { OptionPolicy, Verdict } from './option-policy.js';
import {
  CP_HEADER_LENGTH,
  decodeCpPacket,
  decodeOptions,
  encodeCpPacket,
  encodeOptions,
  type Option,
} from './wire/cp-packet.js';
import { CpCode } from './wire/protocol-numbers.js';

/** Counters and timer of RFC 1661 §4.6 (pppd defaults: 3 s, 10, 2, 5). */
export interface ControlProtocolOptions {
  readonly restartMs?: number;
  readonly maxConfigure?: number;
  readonly maxTerminate?: number;
  readonly maxFailure?: number;
  /** The peer's MRU for cutting Code-Reject when the policy has none (default 1500). */
  readonly peerMru?: number;
}

/** What a control protocol reports to the link (drained after every call). */
export type CpEvent =
  | { readonly type: 'this-layer-up' }
  /** `cause`: the §4.3 event whose cell went down ('rtr': the peer asked to terminate). */
  | { readonly type: 'this-layer-down'; readonly cause: Event }
  | { readonly type: 'this-layer-started' }
  /** `cause`: the §4.3 event whose cell finished ('to-': Max-Configure/Terminate, 'rxj-': rejected). */
  | { readonly type: 'this-layer-finished'; readonly cause: Event }
  | { readonly type: 'ignored-event'; readonly event: Event; readonly state: State }
  | { readonly type: 'dropped'; readonly reason: string };

/** The packet being answered while an event's actions run. */
interface Current {
  code: number;
  id: number;
  data: Uint8Array;
  verdict: Verdict | undefined;
  raw: Uint8Array;
  /** Set by the policy's extcode for an Echo-Request: the data 'ser' answers with. */
  echoReply: Uint8Array | undefined;
}

const EMPTY = new Uint8Array(0);
/** `current` outside handlePacket (never written: handlePacket makes its own). */
const NO_PACKET: Current = Object.freeze({
  code: 0,
  id: 0,
  data: EMPTY,
  verdict: undefined,
  raw: EMPTY,
  echoReply: undefined,
}) as Current;

/**
 * A sans-IO control protocol. Inputs: `up`/`down`/`open`/`close` (RFC 1661 §4.3 administrative and
 * lower-layer events), `handlePacket` (an Information field), `handleTimeout`. Outputs: `pollPacket`
 * (Information fields to send under `protocol`), `pollTimeout`, `pollEvent`. Remote input never throws.
 */
export class ControlProtocol extends Automaton {
  private readonly packets = new Fifo<Uint8Array>();
  private readonly events = new Fifo<CpEvent>();
  private readonly restartMs: number;
  private readonly maxConfigure: number;
  private readonly maxTerminate: number;
  private readonly maxFailure: number;
  private restartCount = 0;
  private failures = 0;
  private timerAt: Instant | undefined;
  private nextId = 1;
  private reqId = -1;
  private reqData: Uint8Array = EMPTY;
  private seenAck = false;
  /** The packet being answered; NO_PACKET between packets, so no received frame stays referenced. */
  private current: Current = NO_PACKET;
  private now: Instant = 0;
  /** The event whose cell is running: the cause This-Layer-Down/Finished report. */
  private firing: Event = 'up';
  private terminateReason: Uint8Array = EMPTY;
  /** Packets dropped as malformed or unmatched (diagnostics). */
  dropped = 0;

  constructor(
    readonly protocol: number,
    readonly policy: OptionPolicy,
    private readonly opts: ControlProtocolOptions = {},
  ) {
    super();
    this.restartMs = opts.restartMs ?? 3000;
    this.maxConfigure = opts.maxConfigure ?? 10;
    this.maxTerminate = opts.maxTerminate ?? 2;
    this.maxFailure = opts.maxFailure ?? 5;
  }

  /** Lower layer is ready (§4.3 Up). */
  up(now: Instant): void {
    this.fire('up', now);
  }

  /** Lower layer is gone (§4.3 Down). */
  down(now: Instant): void {
    this.fire('down', now);
  }

  /** Administrative Open (§4.3). */
  open(now: Instant): void {
    this.fire('open', now);
  }

  /** Administrative Close (§4.3); `reason` goes into the Terminate-Request data. */
  close(reason: string, now: Instant): void {
    this.terminateReason = utf8Octets(reason);
    this.fire('close', now);
  }

  /** Fires a raw §4.3 event (tests, and Protocol-Reject of an NCP → RXJ-). */
  fire(event: Event, now: Instant): void {
    this.now = now;
    this.firing = event;
    this.step(event);
    // §4.6: the Restart timer runs only in Closing, Stopping, Req-Sent, Ack-Rcvd and Ack-Sent.
    if (!TIMER_STATES.has(this.state)) this.timerAt = undefined;
  }

  /** One received packet (the PPP Information field). Malformed or unmatched packets are dropped. */
  handlePacket(info: Uint8Array, now: Instant): void {
    this.receive(info, now);
    // The packet (a view of the received datagram) and its verdict are not kept past the call.
    this.current = NO_PACKET;
  }

  private receive(info: Uint8Array, now: Instant): void {
    const decoded = decodeCpPacket(info);
    if (!decoded.ok) {
      this.drop(decoded.fault.code);
      return;
    }
    const { code, id, data } = decoded.value;
    const packetBytes = info.subarray(0, CP_HEADER_LENGTH + data.length);
    this.current = { code, id, data, verdict: undefined, raw: packetBytes, echoReply: undefined };
    switch (code) {
      case CpCode.ConfigureRequest: {
        const options = decodeOptions(data);
        if (!options.ok) {
          this.drop(options.fault.code);
          return;
        }
        const mustReject = this.failures >= this.maxFailure;
        // §4.6 Max-Failure: the policy Rejects what it would have Nak'd once `mustReject` is set.
        const verdict = this.policy.judgePeerRequest(options.value, mustReject);
        this.current.verdict = verdict;
        this.fire(verdict.kind === 'ack' ? 'rcr+' : 'rcr-', now);
        return;
      }
      case CpCode.ConfigureAck:
      case CpCode.ConfigureNak:
      case CpCode.ConfigureReject: {
        // §5.2–§5.4: the Identifier must match our last Configure-Request, else silently discard.
        if (this.negotiating() && (id !== this.reqId || this.seenAck)) {
          this.drop('unmatched-id');
          return;
        }
        if (code === CpCode.ConfigureAck) {
          // §5.2: the acknowledged options MUST exactly match what we sent.
          if (this.negotiating() && !sameBytes(data, this.reqData)) {
            this.drop('ack-mismatch');
            return;
          }
          if (this.negotiating()) this.acknowledged();
          this.fire('rca', now);
          return;
        }
        const options = decodeOptions(data);
        if (!options.ok) {
          this.drop(options.fault.code);
          return;
        }
        if (this.negotiating()) {
          this.acknowledged();
          if (code === CpCode.ConfigureNak) this.policy.onNak(options.value);
          else this.policy.onReject(options.value);
        }
        this.fire('rcn', now);
        return;
      }
      case CpCode.TerminateRequest: {
        this.fire('rtr', now);
        return;
      }
      case CpCode.TerminateAck: {
        this.fire('rta', now);
        return;
      }
      case CpCode.CodeReject: {
        // §5.6: a rejected code the protocol cannot work without (1–7) is catastrophic (RXJ-).
        const rejected = data.length >= 1 ? data[0]! : 0;
        this.fire(rejected >= 1 && rejected <= 7 ? 'rxj-' : 'rxj+', now);
        return;
      }
      default:
        this.handleExtendedCode(code, id, data, now);
        return;
    }
  }

  /** Codes beyond 1–7 go to the policy (pppd extcode); what it does not know is Code-Rejected (§5.6, RUC). */
  private handleExtendedCode(code: number, id: number, data: Uint8Array, now: Instant): void {
    const ext = this.policy.extcode?.(code, id, data, this.state);
    if (ext === undefined) {
      this.fire('ruc', now);
      return;
    }
    switch (ext.event) {
      case 'none':
        return;
      case 'drop':
        this.drop(ext.reason);
        return;
      case 'rxr':
        this.current.echoReply = ext.echoReply;
        this.fire('rxr', now);
        return;
      default:
        this.fire(ext.event, now);
    }
  }

  /** Calls this when `pollTimeout()` is due. */
  handleTimeout(now: Instant): void {
    if (this.timerAt === undefined || this.timerAt > now) return;
    this.timerAt = undefined;
    // §4.6: TO+ while the Restart counter is positive, TO- once it has expired.
    this.fire(this.restartCount > 0 ? 'to+' : 'to-', now);
  }

  /** Next Information field to send under `protocol`; the caller owns it. */
  pollPacket(): Uint8Array | undefined {
    return this.packets.shift();
  }

  /** Deadline of the Restart timer, if it runs. */
  pollTimeout(): Instant | undefined {
    return this.timerAt;
  }

  /** Next event for the link. */
  pollEvent(): CpEvent | undefined {
    return this.events.shift();
  }

  /** Queues a packet of this protocol that the automaton does not produce (LCP Echo-Request, Protocol-Reject). */
  send(code: number, data: Uint8Array, id?: number): number {
    const packetId = id ?? this.takeId();
    this.packets.push(encodeCpPacket({ code, id: packetId, data }));
    return packetId;
  }

  private negotiating(): boolean {
    const s = this.state;
    return s === 'req-sent' || s === 'ack-rcvd' || s === 'ack-sent' || s === 'opened';
  }

  /**
   * Our Configure-Request was answered: later Ack/Nak/Rejects with its Identifier are unmatched,
   * so its options are not needed again (the next Configure-Request encodes its own).
   */
  private acknowledged(): void {
    this.seenAck = true;
    this.reqData = EMPTY;
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xff;
    return id;
  }

  private drop(reason: string): void {
    this.dropped++;
    this.events.push({ type: 'dropped', reason });
  }

  protected ignored(event: Event, state: State): void {
    this.events.push({ type: 'ignored-event', event, state });
  }

  protected perform(action: Action, cell: Cell): void {
    switch (action) {
      case 'tlu':
        this.policy.onUp();
        this.events.push({ type: 'this-layer-up' });
        return;
      case 'tld':
        this.policy.onDown();
        this.events.push({ type: 'this-layer-down', cause: this.firing });
        return;
      case 'tls':
        this.events.push({ type: 'this-layer-started' });
        return;
      case 'tlf':
        this.events.push({ type: 'this-layer-finished', cause: this.firing });
        return;
      case 'irc': {
        // §4.4: Max-Terminate when a Terminate-Request follows, Max-Configure otherwise.
        const terminating = cell.includes('str');
        this.restartCount = terminating ? this.maxTerminate : this.maxConfigure;
        const s = this.state;
        if (!terminating && cell.includes('scr') && s !== 'req-sent' && s !== 'ack-rcvd' && s !== 'ack-sent') {
          this.failures = 0;
          this.policy.onStart?.();
        }
        return;
      }
      case 'zrc':
        // §4.4: zero the counter but run the timer, so one Restart time passes before Finished.
        this.restartCount = 0;
        this.timerAt = this.now + this.restartMs;
        return;
      case 'scr': {
        const id = this.takeId();
        this.reqId = id;
        this.reqData = encodeOptions(this.policy.ourRequest());
        this.seenAck = false;
        this.packets.push(encodeCpPacket({ code: CpCode.ConfigureRequest, id, data: this.reqData }));
        this.restartCount--;
        this.timerAt = this.now + this.restartMs;
        return;
      }
      case 'sca':
        // §5.2: the Ack carries the received options unchanged.
        this.failures = 0;
        this.packets.push(encodeCpPacket({ code: CpCode.ConfigureAck, id: this.current.id, data: this.current.data }));
        return;
      case 'scn': {
        const v = this.current.verdict;
        if (v === undefined || v.kind === 'ack') return;
        if (v.kind === 'nak') {
          this.failures++;
          this.packets.push(
            encodeCpPacket({ code: CpCode.ConfigureNak, id: this.current.id, data: encodeOptions(v.suggestions) }),
          );
        } else {
          this.packets.push(
            encodeCpPacket({ code: CpCode.ConfigureReject, id: this.current.id, data: encodeOptions(v.rejected) }),
          );
        }
        return;
      }
      case 'str': {
        this.packets.push(
          encodeCpPacket({ code: CpCode.TerminateRequest, id: this.takeId(), data: this.terminateReason }),
        );
        this.restartCount--;
        this.timerAt = this.now + this.restartMs;
        return;
      }
      case 'sta':
        this.packets.push(encodeCpPacket({ code: CpCode.TerminateAck, id: this.current.id, data: EMPTY }));
        return;
      case 'scj': {
        // §5.6: the rejected packet, cut so the Code-Reject fits the peer's MRU.
        const max = (this.policy.peerMru ?? this.opts.peerMru ?? 1500) - CP_HEADER_LENGTH;
        const rejected = this.current.raw.subarray(0, Math.max(0, max));
        this.packets.push(encodeCpPacket({ code: CpCode.CodeReject, id: this.takeId(), data: rejected }));
        return;
      }
      case 'ser': {
        // §4.4: RXR also covers Echo-Reply and Discard-Request; only an Echo-Request is answered.
        const data = this.current.echoReply;
        if (data === undefined) return;
        this.packets.push(encodeCpPacket({ code: CpCode.EchoReply, id: this.current.id, data }));
        return;
      }
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type { Option };
