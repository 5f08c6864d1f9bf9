// LCP echo keepalive (RFC 1661 §5.8; pppd lcp-echo-interval / lcp-echo-failure), timers as data.
// After `failure` unanswered Echo-Requests the link is down (RFC 3145 cause 8). Related: lcp.ts, link.ts.
import type { Instant } from '../core/time.js';

/** What the keepalive wants done at a deadline. */
export type EchoAction = 'send' | 'fail' | undefined;

/** Echo-Request schedule and the count of unanswered requests; sans-IO. */
export class EchoKeepalive {
  private nextAt: Instant | undefined;
  /** Echo-Requests sent and not answered. */
  pending = 0;
  private identifier = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly failure: number,
  ) {}

  /** True when keepalives are configured (interval > 0). */
  get enabled(): boolean {
    return this.intervalMs > 0;
  }

  /** LCP reached Opened: first request one interval from now. */
  start(now: Instant): void {
    this.pending = 0;
    this.nextAt = this.enabled ? now + this.intervalMs : undefined;
  }

  /** LCP left Opened. */
  stop(): void {
    this.nextAt = undefined;
    this.pending = 0;
  }

  /** An Echo-Reply arrived (pppd: any reply not carrying our own magic clears the count). */
  onReply(): void {
    this.pending = 0;
  }

  /** The Identifier of the next Echo-Request sent (RFC 1661 §5.8: a new one for each request). */
  takeIdentifier(): number {
    const id = this.identifier;
    this.identifier = (id + 1) & 0xff;
    return id;
  }

  /** The deadline, if running. */
  pollTimeout(): Instant | undefined {
    return this.nextAt;
  }

  /** 'send' an Echo-Request now, 'fail' the link (pppd: `failure` requests unanswered), or nothing. */
  handleTimeout(now: Instant): EchoAction {
    if (this.nextAt === undefined || this.nextAt > now) return undefined;
    if (this.failure > 0 && this.pending >= this.failure) {
      this.nextAt = undefined;
      return 'fail';
    }
    this.pending++;
    this.nextAt = now + this.intervalMs;
    return 'send';
  }
}
