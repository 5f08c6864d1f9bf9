// Deliberately broken in-process targets: each one breaks one RFC 2661 rule the fuzzer's oracles
// check, so the tests can prove the fuzzer finds (and shrinks) real failures. Related: in-process.ts.

import { put16, u16 } from '../../src/core/bytes.js';
import type { Engine, PeerAddress, Transmit } from '../../src/core/engine.js';
import { InProcessTarget } from '../../src/fuzz/in-process.js';
import type { FuzzTargetFactory } from '../../src/fuzz/target.js';
import { Endpoint } from '../../src/l2tp/endpoint.js';
import { seededRandom } from '../support/seeded-random.js';

/** Wraps an Endpoint; `onIn` may throw (a crash), `onOut` may rewrite what it sends. */
class Wrapped implements Engine<unknown> {
  constructor(
    readonly inner: Endpoint,
    private readonly onIn: (bytes: Uint8Array) => void = () => {},
    private readonly onOut: (bytes: Uint8Array) => Uint8Array = (b) => b,
    private readonly mapIn: (bytes: Uint8Array, from: PeerAddress) => [Uint8Array, PeerAddress] | undefined = (
      b,
      f,
    ) => [b, f],
    private readonly mapTo: (to: PeerAddress) => PeerAddress = (t) => t,
  ) {}
  handleDatagram(bytes: Uint8Array, from: PeerAddress, now: number): void {
    this.onIn(bytes);
    const m = this.mapIn(bytes, from);
    if (m !== undefined) this.inner.handleDatagram(m[0], m[1], now);
  }
  handleTimeout(now: number): void {
    this.inner.handleTimeout(now);
  }
  pollTransmit(): Transmit | undefined {
    const t = this.inner.pollTransmit();
    return t === undefined ? undefined : { to: this.mapTo(t.to), bytes: this.onOut(t.bytes) };
  }
  pollTimeout(): number | undefined {
    return this.inner.pollTimeout();
  }
  pollEvent(): unknown {
    return this.inner.pollEvent();
  }
}

function factory(
  onIn?: (b: Uint8Array) => void,
  onOut?: (b: Uint8Array) => Uint8Array,
  mapIn?: (b: Uint8Array, from: PeerAddress) => [Uint8Array, PeerAddress] | undefined,
  mapTo?: (to: PeerAddress) => PeerAddress,
): FuzzTargetFactory {
  return async () => {
    const endpoint = new Endpoint({ role: 'lns', hostName: 'broken', random: seededRandom(5) });
    return new InProcessTarget(
      { engine: new Wrapped(endpoint, onIn, onOut, mapIn, mapTo), endpoint },
      'broken Endpoint',
    );
  };
}

/** The AVP headers (vendor, type, M) of a control datagram, by walking the lengths. */
function avpHeaders(b: Uint8Array): { vendor: number; type: number; m: boolean }[] {
  const out: { vendor: number; type: number; m: boolean }[] = [];
  if (b.length < 12 || (b[0]! & 0x80) === 0) return out;
  for (let at = 12; at + 6 <= b.length; ) {
    const word = u16(b, at);
    out.push({ vendor: u16(b, at + 2), type: u16(b, at + 4), m: (word & 0x8000) !== 0 });
    const len = word & 0x3ff;
    if (len < 6) break;
    at += len;
  }
  return out;
}

/** Throws on any control datagram carrying an unknown vendor-0 AVP with M=0 (a parser bug). */
export const crashesOnUnknownAvp = (): FuzzTargetFactory =>
  factory((b) => {
    if (avpHeaders(b).some((a) => a.vendor === 0 && a.type >= 0x7f00 && !a.m)) throw new Error('boom: unknown AVP');
  });

/** Sends StopCCN/CDN Error Code 6 where §4.4.2 wants 8 (unknown mandatory AVP). */
export const wrongErrorCode = (): FuzzTargetFactory =>
  factory(undefined, (b) => {
    const out = b.slice();
    const avps = avpHeaders(out);
    // The Result Code AVP (type 1) with an Error Code: rewrite 8 → 6.
    for (let at = 12, i = 0; i < avps.length; i++) {
      const len = u16(out, at) & 0x3ff;
      if (avps[i]!.vendor === 0 && avps[i]!.type === 1 && len >= 10 && u16(out, at + 8) === 8) put16(out, at + 8, 6);
      at += len;
    }
    return out;
  });

/** Acknowledges one message too many (Nr + 1 on every control message it sends). */
export const overAcks = (): FuzzTargetFactory =>
  factory(undefined, (b) => {
    if (b.length < 12 || (b[0]! & 0x80) === 0) return b;
    const out = b.slice();
    put16(out, 10, (u16(out, 10) + 1) & 0xffff);
    return out;
  });

/** Ignores the Ver field (§3.1 says to discard any version but 2): processes Ver 0/1/3… as version 2. */
export const ignoresVersion = (): FuzzTargetFactory =>
  factory(undefined, undefined, (b, from) => {
    if (b.length < 2 || (b[1]! & 0x0f) === 2) return [b, from];
    const fixed = b.slice();
    fixed[1] = (fixed[1]! & 0xf0) | 2;
    return [fixed, from];
  });

/** Drops every message carrying an unknown M=0 AVP (§4.1 says to ignore the AVP, not the message). */
export const dropsUnknownOptionalAvp = (): FuzzTargetFactory =>
  factory(undefined, undefined, (b, from) =>
    avpHeaders(b).some((a) => a.vendor === 0 && a.type >= 0x7f00 && !a.m) ? undefined : [b, from],
  );

/**
 * Takes a byte-identical second SCCRQ for a new call from another port (as if it keyed pending
 * tunnels by something that changes on retransmission), so the duplicate opens a second tunnel.
 */
export const duplicateSccrqOpensTunnel = (): FuzzTargetFactory => async () => {
  const seen = new Set<string>(); // per target: every fresh target starts clean
  return factory(
    undefined,
    undefined,
    (b, from) => {
      const isSccrq = b.length >= 20 && (b[0]! & 0x80) !== 0 && u16(b, 4) === 0 && u16(b, 18) === 1;
      if (!isSccrq) return [b, from];
      const key = `${from.address}:${from.port}:${[...b].join(',')}`;
      if (!seen.has(key)) {
        seen.add(key);
        return [b, from];
      }
      return [b, { address: from.address, port: from.port + 30_000 }];
    },
    (to) => (to.port >= 40_000 ? { address: to.address, port: to.port - 30_000 } : to),
  )();
};
