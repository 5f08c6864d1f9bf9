// Which datagrams a `ctl capture` takes (src/io/capture-selector.ts): received ones by our IDs,
// sent ones by the peer's, tunnel-level ones never; a user's new session from its ICCN, kept
// while its user is unknown and written or dropped when the user is known; bounded.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/engine.js';
import { CaptureSelector, MAX_PENDING_BYTES, MAX_PENDING_SESSIONS } from '../../src/io/capture-selector.js';
import type { SessionHandle } from '../../src/l2tp/types.js';
import { writeControlHeader, writeDataHeader } from '../../src/l2tp/wire/header.js';
import { sessionKey } from '../../src/session/session-key.js';

const LOCAL = { address: '10.0.0.1', port: 1701 };
const PEER_A = { address: '192.0.2.1', port: 1701 };
const PEER_B = { address: '192.0.2.2', port: 1701 };

/** A session: our (tunnel, session) and the peer's. */
function handle(tunnelId: number, sessionId: number, peerTunnelId: number, peerSessionId: number, peer: PeerAddress) {
  return { tunnelId, sessionId, peerTunnelId, peerSessionId, peer } as SessionHandle;
}

/** A data message with one marker octet after a PPP IP header. */
function data(tunnelId: number, sessionId: number, mark: number): Uint8Array {
  const b = new Uint8Array(6 + 5);
  b.set([0xff, 0x03, 0x00, 0x21, mark], 6);
  writeDataHeader(b, 6, b.length, tunnelId, sessionId);
  return b;
}

/** A control message of `type` (the Message Type AVP only). */
function control(tunnelId: number, sessionId: number, type: number): Uint8Array {
  const b = new Uint8Array(12 + 8);
  writeControlHeader(b, 0, b.length, tunnelId, sessionId, 0, 0);
  b.set([0x80, 0x08, 0, 0, 0, 0, 0, type], 12);
  return b;
}
const ICCN = 12;
const CDN = 14;

/** A sink that records what it was given: direction and the marker (or message type). */
class Sink {
  readonly seen: string[] = [];
  write(src: PeerAddress, _dst: PeerAddress, bytes: Uint8Array): void {
    this.seen.push(`${src === LOCAL || src.address === LOCAL.address ? 'out' : 'in'}:${bytes.at(-1)}`);
  }
}

function setup(...handles: SessionHandle[]) {
  const table = new Map(handles.map((h) => [sessionKey(h.tunnelId, h.sessionId), h]));
  const selector = new CaptureSelector(
    LOCAL,
    (t, s) => table.get(sessionKey(t, s)),
    () => 0,
  );
  return { selector, table };
}

const up = (tunnelId: number, sessionId: number, user?: string) =>
  ({ type: 'session-up', tunnelId, sessionId, user }) as never;

describe('CaptureSelector', () => {
  it("a session capture takes received datagrams by our IDs and sent ones by the peer's, nothing of other sessions", () => {
    const a = handle(1, 10, 100, 1000, PEER_A);
    const b = handle(1, 11, 100, 1001, PEER_A);
    const { selector } = setup(a, b);
    const sink = new Sink();
    expect(selector.addSession(sink, 1, 10)).toBe(true);
    selector.onDatagram(data(1, 10, 1), PEER_A, 'in');
    selector.onDatagram(data(100, 1000, 2), PEER_A, 'out');
    selector.onDatagram(data(1, 11, 3), PEER_A, 'in'); // the other session
    selector.onDatagram(data(100, 1001, 4), PEER_A, 'out');
    selector.onDatagram(control(1, 0, 6), PEER_A, 'in'); // HELLO: tunnel level
    selector.onDatagram(control(100, 0, 0), PEER_A, 'out');
    // The same peer IDs towards another peer are another peer's session.
    selector.onDatagram(data(100, 1000, 5), PEER_B, 'out');
    selector.onDatagram(control(1, 10, CDN), PEER_A, 'in');
    selector.onDatagram(new Uint8Array([1, 2, 3]), PEER_A, 'in'); // not L2TP
    expect(sink.seen).toEqual(['in:1', 'out:2', `in:${CDN}`]);
    expect(selector.addSession(new Sink(), 9, 9)).toBe(false);
  });

  it("a user's new session is kept from its ICCN and written once the user is known; another user's is dropped", () => {
    const alice = handle(1, 10, 100, 1000, PEER_A);
    const bob = handle(2, 20, 200, 2000, PEER_B);
    const { selector } = setup(alice, bob);
    const sink = new Sink();
    selector.addUser(sink, 'alice', []);
    for (const [h, peer] of [
      [alice, PEER_A],
      [bob, PEER_B],
    ] as const) {
      selector.onDatagram(data(h.tunnelId, h.sessionId, 1), peer, 'in'); // before the ICCN: not followed
      selector.onDatagram(control(h.tunnelId, h.sessionId, ICCN), peer, 'in');
      selector.onDatagram(data(h.peerTunnelId, h.peerSessionId, 2), peer, 'out'); // LCP, CHAP …
      selector.onDatagram(data(h.tunnelId, h.sessionId, 3), peer, 'in');
    }
    expect(selector.pendingSessions).toBe(2);
    expect(sink.seen).toEqual([]);
    selector.onEvent(up(2, 20, 'bob'));
    expect(selector.tracked).toBe(1);
    selector.onEvent(up(1, 10, 'alice'));
    expect(sink.seen).toEqual([`in:${ICCN}`, 'out:2', 'in:3']);
    expect(selector.pendingSessions).toBe(0);
    // Now followed directly; bob's datagrams never.
    selector.onDatagram(data(1, 10, 4), PEER_A, 'in');
    selector.onDatagram(data(2, 20, 5), PEER_B, 'in');
    selector.onDatagram(control(2, 20, ICCN), PEER_B, 'in'); // a late duplicate ICCN of bob
    selector.onEvent({ type: 'session-down', tunnelId: 1, sessionId: 10, reason: 'x' } as never);
    selector.onDatagram(data(1, 10, 6), PEER_A, 'in');
    expect(sink.seen).toEqual([`in:${ICCN}`, 'out:2', 'in:3', 'in:4']);
  });

  it("a failed login of the user is captured too; sessions that existed before are the user's from now on", () => {
    const old = handle(1, 10, 100, 1000, PEER_A);
    const other = handle(1, 11, 100, 1001, PEER_A);
    const failing = handle(1, 12, 100, 1002, PEER_A);
    const { selector } = setup(old, other, failing);
    const sink = new Sink();
    selector.addUser(sink, 'alice', [
      { tunnelId: 1, sessionId: 10, user: 'alice' },
      { tunnelId: 1, sessionId: 11, user: 'bob' },
    ]);
    selector.onDatagram(data(1, 10, 1), PEER_A, 'in');
    selector.onDatagram(data(1, 11, 2), PEER_A, 'in');
    selector.onDatagram(control(1, 12, ICCN), PEER_A, 'in');
    selector.onDatagram(data(100, 1002, 3), PEER_A, 'out');
    selector.onEvent({ type: 'auth-failed', tunnelId: 1, sessionId: 12, user: 'alice', reason: 'wrong' } as never);
    expect(sink.seen).toEqual(['in:1', `in:${ICCN}`, 'out:3']);
  });

  it('bounds: pending sessions and the octets kept for each; the oldest pending is forgotten first', () => {
    const handles = Array.from({ length: MAX_PENDING_SESSIONS + 1 }, (_, i) => handle(1, i + 1, 100, i + 1, PEER_A));
    const { selector } = setup(...handles);
    const sink = new Sink();
    selector.addUser(sink, 'alice', []);
    for (const h of handles) selector.onDatagram(control(1, h.sessionId, ICCN), PEER_A, 'in');
    expect(selector.pendingSessions).toBe(MAX_PENDING_SESSIONS);
    // Session 1, the oldest, was forgotten: when it proves to be alice's it is followed from session-up on.
    selector.onEvent(up(1, 1, 'alice'));
    selector.onDatagram(data(1, 1, 7), PEER_A, 'in');
    expect(sink.seen).toEqual(['in:7']);
    // A pending session keeps at most MAX_PENDING_BYTES.
    const last = handles.at(-1)!;
    const big = new Uint8Array(1000);
    big.set(data(1, last.sessionId, 9).subarray(0, 6));
    const n = Math.ceil((2 * MAX_PENDING_BYTES) / big.length);
    for (let i = 0; i < n; i++) selector.onDatagram(big, PEER_A, 'in');
    expect(selector.pendingOmitted).toBeGreaterThan(n / 2 - 2);
    selector.onEvent(up(1, last.sessionId, 'alice'));
    const kept = sink.seen.length - 1;
    expect(kept).toBeLessThanOrEqual(Math.floor(MAX_PENDING_BYTES / big.length) + 1);
    expect(kept).toBeGreaterThan(10);
  });

  it('removing the last user capture forgets every pending session and what it kept', () => {
    const a = handle(1, 10, 100, 1000, PEER_A);
    const { selector } = setup(a);
    const sink = new Sink();
    selector.addUser(sink, 'alice', []);
    selector.onDatagram(control(1, 10, ICCN), PEER_A, 'in');
    expect(selector.tracked).toBe(1);
    selector.remove(sink);
    expect(selector.tracked).toBe(0);
    expect(selector.pendingSessions).toBe(0);
    selector.onDatagram(control(1, 10, ICCN), PEER_A, 'in'); // no user capture: nothing followed
    expect(selector.tracked).toBe(0);
  });
});
