// IPv6CP option policy (RFC 5072 §4.1): a random non-zero Interface-Identifier each side; a zero or
// colliding identifier from the peer is Nak'd with a fresh one. Related: control-protocol.ts, link.ts.
import type { Random } from '../core/random.js';
import type { Option, OptionPolicy, Verdict } from './option-policy.js';
import { Ipv6cpOption } from './wire/protocol-numbers.js';

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Interface identifier as pppd prints it (xxxx:xxxx:xxxx:xxxx). */
export function formatInterfaceId(b: Uint8Array): string {
  const g: string[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) g.push(((b[i]! << 8) | b[i + 1]!).toString(16).padStart(4, '0'));
  return g.join(':');
}

/** IPv6CP option policy; identifiers are valid after This-Layer-Up. */
export class Ipv6cpPolicy implements OptionPolicy {
  readonly protocolName = 'IPv6CP';
  /** Our interface identifier (8 octets). */
  localId: Uint8Array;
  /** The peer's interface identifier. */
  peerId: Uint8Array = new Uint8Array(8);
  private sendId = true;

  constructor(private readonly random: Random) {
    this.localId = this.fresh(undefined);
  }

  ourRequest(): readonly Option[] {
    return this.sendId ? [{ type: Ipv6cpOption.InterfaceIdentifier, value: this.localId }] : [];
  }

  judgePeerRequest(options: readonly Option[], mustReject: boolean): Verdict {
    const rejected: Option[] = [];
    const naks: Option[] = [];
    let peerId: Uint8Array | undefined;
    for (const o of options) {
      if (o.type === Ipv6cpOption.InterfaceIdentifier && o.value.length === 8) {
        // RFC 5072 §4.1: zero, or equal to ours, MUST be Nak'd with a new non-zero, different value.
        if (isZero(o.value) || same(o.value, this.localId)) {
          if (mustReject) rejected.push(o);
          else naks.push({ type: o.type, value: this.fresh(o.value) });
        } else {
          peerId = o.value.slice();
        }
      } else {
        rejected.push(o);
      }
    }
    if (rejected.length > 0) return { kind: 'reject', rejected };
    if (naks.length > 0) return { kind: 'nak', suggestions: naks };
    if (peerId !== undefined) this.peerId = peerId;
    return { kind: 'ack' };
  }

  onNak(suggestions: readonly Option[]): void {
    for (const o of suggestions) {
      if (o.type !== Ipv6cpOption.InterfaceIdentifier || o.value.length !== 8) continue;
      // RFC 5072 §4.1: take the suggestion unless it is zero or collides with the peer's.
      this.localId = isZero(o.value) || same(o.value, this.peerId) ? this.fresh(o.value) : o.value.slice();
    }
  }

  onReject(rejected: readonly Option[]): void {
    if (rejected.some((o) => o.type === Ipv6cpOption.InterfaceIdentifier)) this.sendId = false;
  }

  onUp(): void {}

  onDown(): void {}

  private fresh(avoid: Uint8Array | undefined): Uint8Array {
    for (;;) {
      const id = this.random.fill(new Uint8Array(8));
      if (!isZero(id) && (avoid === undefined || !same(id, avoid)) && !same(id, this.peerId)) return id;
    }
  }
}
