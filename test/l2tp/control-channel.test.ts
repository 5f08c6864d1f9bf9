// ControlChannel on virtual time: RFC 2661 §5.8 reliable delivery, Appendix A and B sequences.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ControlChannel, fullRetransmissionCycleMs } from '../../src/l2tp/control-channel.js';
import { L2tpHeaderView } from '../../src/l2tp/wire/header.js';
import { seededRandom } from '../support/seeded-random.js';

const view = new L2tpHeaderView();
/** A datagram as a value: {ns, nr, zlb, body[0..]} — the header fields the RFC's figures show. */
function seen(d: Uint8Array): { ns: number; nr: number; zlb: boolean; tag: number } {
  expect(view.wrap(d)).toBeUndefined();
  return { ns: view.ns, nr: view.nr, zlb: view.body.length === 0, tag: view.body[0] ?? -1 };
}
function drain(c: ControlChannel): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollDatagram(); d; d = c.pollDatagram()) out.push(d);
  return out;
}
function feed(c: ControlChannel, d: Uint8Array, now: number): void {
  expect(view.wrap(d)).toBeUndefined();
  c.handleMessage(view.ns, view.nr, view.sessionId, view.body.length === 0 ? undefined : view.body, now);
}
function delivered(c: ControlChannel): number[] {
  const out: number[] = [];
  for (let m = c.pollDelivered(); m; m = c.pollDelivered()) out.push(m.body[0]!);
  return out;
}
const msg = (tag: number): Uint8Array => new Uint8Array([tag, 8, 0, 0, 0, 0, 0, 1]);

describe('ControlChannel', () => {
  it('RFC2661-5.8: a ZLB sent while messages wait for window space carries the Ns of the first waiting one', () => {
    // Regression found against l2tpns (2 tunnels × 4 calls): the ZLB carried the next unassigned Ns.
    const a = new ControlChannel({}, 0);
    const b = new ControlChannel({}, 0);
    a.setPeerWindow(1);
    for (const tag of [1, 2, 3]) a.send(0, msg(tag), 0);
    const out = drain(a);
    expect(out.map((d) => seen(d).ns)).toEqual([0]); // window 1: only Ns 0 is on the wire
    expect(a.queued).toBe(2);
    b.send(0, msg(9), 0);
    feed(a, drain(b)[0]!, 10); // a owes b an ack, but has nothing it may send
    a.handleTimeout(500); // the ack delay has passed; the retransmission (1 s) has not
    const zlb = drain(a)
      .map(seen)
      .find((d) => d.zlb);
    expect(zlb).toMatchObject({ ns: 1, nr: 1 });
  });

  it('RFC2661-B.1: lock-step tunnel establishment carries the Ns/Nr of the figure, ending in a ZLB', () => {
    const a = new ControlChannel({}, 0);
    const b = new ControlChannel({}, 0);
    a.send(0, msg(1), 0); // SCCRQ
    const [sccrq] = drain(a);
    expect(seen(sccrq!)).toMatchObject({ ns: 0, nr: 0, zlb: false });
    feed(b, sccrq!, 10);
    expect(delivered(b)).toEqual([1]);
    b.send(0, msg(2), 10); // SCCRP piggybacks the ack
    const [sccrp] = drain(b);
    expect(seen(sccrp!)).toMatchObject({ ns: 0, nr: 1, zlb: false });
    feed(a, sccrp!, 20);
    a.send(0, msg(3), 20); // SCCCN
    const [scccn] = drain(a);
    expect(seen(scccn!)).toMatchObject({ ns: 1, nr: 1 });
    feed(b, scccn!, 30);
    expect(drain(b)).toEqual([]); // the ack is held to piggyback...
    b.handleTimeout(b.pollTimeout()!); // ...then goes as a ZLB
    const [zlb] = drain(b);
    expect(seen(zlb!)).toMatchObject({ ns: 1, nr: 2, zlb: true });
    feed(a, zlb!, 200);
    expect(a.outstanding).toBe(0);
    expect(b.outstanding).toBe(0);
  });

  it('RFC2661-B.2: a lost ICRP is retransmitted with its Ns; the duplicate ICRQ gets a ZLB with the next Ns', () => {
    // Start both sides after B.1: LAC sent Ns 0,1 and LNS sent Ns 0; LAC's next Ns is 2.
    const lac = new ControlChannel({ ackDelayMs: 100 }, 0);
    const lns = new ControlChannel({ ackDelayMs: 100 }, 0);
    lac.send(0, msg(1), 0);
    feed(lns, drain(lac)[0]!, 0);
    lns.send(0, msg(2), 0);
    feed(lac, drain(lns)[0]!, 0);
    lac.send(0, msg(3), 0);
    feed(lns, drain(lac)[0]!, 0);
    lns.handleTimeout(100);
    feed(lac, drain(lns)[0]!, 100);
    delivered(lac);
    delivered(lns);
    // B.2 proper, at t = 1000.
    lac.send(5, msg(10), 1000); // ICRQ
    const [icrq] = drain(lac);
    expect(seen(icrq!)).toMatchObject({ ns: 2, nr: 1 });
    feed(lns, icrq!, 1000);
    lns.send(0, msg(11), 1000); // ICRP: lost
    expect(seen(drain(lns)[0]!)).toMatchObject({ ns: 1, nr: 3 });
    lac.handleTimeout(2000); // LAC's timer fires first
    const [again] = drain(lac);
    expect(seen(again!)).toMatchObject({ ns: 2, nr: 1 });
    feed(lns, again!, 2000);
    expect(delivered(lns)).toEqual([10]); // delivered once only
    const [zlb] = drain(lns);
    expect(seen(zlb!)).toMatchObject({ ns: 2, nr: 3, zlb: true });
    feed(lac, zlb!, 2000);
    lns.handleTimeout(2000.5); // LNS's timer (armed at 1000 + 1000) fires
    const [icrp] = drain(lns);
    expect(seen(icrp!)).toMatchObject({ ns: 1, nr: 3 });
    feed(lac, icrp!, 2001);
    expect(delivered(lac)).toEqual([11]);
    lac.send(5, msg(12), 2001); // ICCN
    const [iccn] = drain(lac);
    expect(seen(iccn!)).toMatchObject({ ns: 3, nr: 2 });
    feed(lns, iccn!, 2002);
    lns.handleTimeout(2102);
    expect(seen(drain(lns)[0]!)).toMatchObject({ ns: 2, nr: 4, zlb: true });
  });

  it('RFC2661-5.8: retransmissions back off 1,2,4,8,8 s and the channel fails at 31 s', () => {
    const c = new ControlChannel({ helloIntervalMs: 0 }, 0);
    c.send(0, msg(1), 0);
    drain(c);
    const times: number[] = [];
    for (let t = c.pollTimeout(); t !== undefined; t = c.pollTimeout()) {
      c.handleTimeout(t);
      if (drain(c).length > 0) times.push(t);
    }
    expect(times).toEqual([1000, 3000, 7000, 15000, 23000]);
    expect(c.state).toBe('failed');
    expect(fullRetransmissionCycleMs()).toBe(31000);
  });

  it('retransmissions of many channels add up in one shared ControlStats (metrics read it in O(1))', () => {
    const stats = { retransmissions: 0 };
    const channels = [0, 1, 2].map(() => new ControlChannel({ helloIntervalMs: 0, stats }, 0));
    for (const c of channels) {
      c.send(0, msg(1), 0);
      drain(c);
      c.handleTimeout(1000);
      c.handleTimeout(3000);
    }
    expect(stats.retransmissions).toBe(6);
    // An acknowledged message is not retransmitted: nothing more is counted.
    const quiet = new ControlChannel({ helloIntervalMs: 0, stats }, 0);
    quiet.send(0, msg(1), 0);
    quiet.handleMessage(0, 1, 0, undefined, 10);
    quiet.handleTimeout(5000);
    expect(stats.retransmissions).toBe(6);
  });

  it('RFC2661-5.8: backoff is configurable (initial 500 ms, cap 2 s, 3 retries)', () => {
    const c = new ControlChannel({ helloIntervalMs: 0, initialMs: 500, capMs: 2000, maxRetries: 3 }, 0);
    c.send(0, msg(1), 0);
    drain(c);
    const times: number[] = [];
    let last = 0;
    for (let t = c.pollTimeout(); t !== undefined; t = c.pollTimeout()) {
      c.handleTimeout(t);
      last = t;
      if (drain(c).length > 0) times.push(t);
    }
    expect(times).toEqual([500, 1500, 3500]);
    expect(last).toBe(5500);
    expect(c.state).toBe('failed');
  });

  it('RFC2661-5.8: the retransmitted message carries the updated Nr', () => {
    const a = new ControlChannel({}, 0);
    const b = new ControlChannel({}, 0);
    a.send(0, msg(1), 0);
    drain(a); // lost
    b.send(0, msg(2), 0);
    feed(a, drain(b)[0]!, 10);
    a.handleTimeout(1000);
    expect(seen(drain(a)[0]!)).toMatchObject({ ns: 0, nr: 1 });
  });

  it('RFC2661-5.8: each duplicate is re-acked with one ZLB and never delivered twice', () => {
    const a = new ControlChannel({}, 0);
    const b = new ControlChannel({}, 0);
    a.send(0, msg(1), 0);
    const [d] = drain(a);
    feed(b, d!, 0);
    feed(b, d!, 1);
    feed(b, d!, 2);
    expect(delivered(b)).toEqual([1]);
    const out = drain(b).map(seen);
    expect(out).toEqual([
      { ns: 0, nr: 1, zlb: true, tag: -1 },
      { ns: 0, nr: 1, zlb: true, tag: -1 },
    ]);
    expect(b.duplicates).toBe(2);
  });

  it('RFC2661-5.8: a ZLB consumes no Ns and is never acknowledged', () => {
    const a = new ControlChannel({}, 0);
    const b = new ControlChannel({}, 0);
    a.send(0, msg(1), 0);
    feed(b, drain(a)[0]!, 0);
    b.handleTimeout(100);
    const [zlb] = drain(b);
    feed(a, zlb!, 110);
    expect(b.sendNs).toBe(0);
    expect(a.receiveNr).toBe(0);
    a.handleTimeout(500);
    expect(drain(a)).toEqual([]);
    expect(a.pollTimeout()).toBe(60_110); // only the HELLO timer remains
  });

  it('RFC2661-5.8: out-of-order messages inside the window are delivered in order; beyond it dropped', () => {
    const a = new ControlChannel({}, 0);
    const b = new ControlChannel({ receiveWindow: 3 }, 0);
    a.setPeerWindow(8);
    // Grow cwnd so a can send 4 at once: ack in lock-step first.
    for (let i = 0; i < 6; i++) {
      a.send(0, msg(100 + i), 0);
      for (const d of drain(a)) feed(b, d, 0);
      b.handleTimeout(b.pollTimeout()!);
      for (const d of drain(b)) feed(a, d, 0);
    }
    delivered(b);
    expect(a.congestionWindow).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < 4; i++) a.send(0, msg(i), 0);
    const ds = drain(a);
    expect(ds).toHaveLength(4);
    feed(b, ds[3]!, 1); // d = 3 ≥ window 3: dropped
    feed(b, ds[2]!, 1);
    feed(b, ds[1]!, 1);
    expect(delivered(b)).toEqual([]);
    feed(b, ds[0]!, 1);
    expect(delivered(b)).toEqual([0, 1, 2]);
    expect(b.discarded).toBe(1);
  });

  it("RFC2661-5.8: never more outstanding than the peer's Receive Window Size", () => {
    const a = new ControlChannel({}, 0);
    a.setPeerWindow(2);
    const b = new ControlChannel({}, 0);
    let max = 0;
    for (let i = 0; i < 20; i++) a.send(0, msg(i), 0);
    for (let t = 0; t < 40; t++) {
      for (const d of drain(a)) feed(b, d, t);
      max = Math.max(max, a.outstanding);
      b.handleTimeout(t + 100);
      for (const d of drain(b)) feed(a, d, t + 100);
    }
    expect(max).toBe(2);
    expect(delivered(b)).toEqual([...Array(20).keys()]);
  });

  it('RFC2661-A: CWND starts at 1, grows per ack, and drops to 1 on retransmission', () => {
    const a = new ControlChannel({}, 0);
    const b = new ControlChannel({}, 0);
    expect(a.congestionWindow).toBe(1);
    a.send(0, msg(1), 0);
    a.send(0, msg(2), 0);
    expect(a.outstanding).toBe(1); // cwnd 1
    feed(b, drain(a)[0]!, 0);
    b.handleTimeout(100);
    feed(a, drain(b)[0]!, 100);
    expect(a.congestionWindow).toBe(2);
    drain(a);
    a.handleTimeout(1100);
    expect(a.congestionWindow).toBe(1);
  });

  it('RFC2661-6.5: HELLO only after helloIntervalMs with nothing received; data arrivals count', () => {
    const a = new ControlChannel({ helloIntervalMs: 60_000 }, 0);
    a.noteReceived(50_000);
    a.handleTimeout(60_000);
    expect(drain(a)).toEqual([]);
    expect(a.pollTimeout()).toBe(110_000);
    a.handleTimeout(110_000);
    const [hello] = drain(a);
    expect(view.wrap(hello!)).toBeUndefined();
    expect([...view.body]).toEqual([0x80, 8, 0, 0, 0, 0, 0, 6]);
  });

  it('RFC2661-5.7: after linger() duplicates are still re-acked, and the state ends after a full cycle', () => {
    const a = new ControlChannel({}, 0);
    const b = new ControlChannel({}, 0);
    a.send(0, msg(4), 0); // StopCCN
    const [stop] = drain(a);
    a.linger(0);
    feed(b, stop!, 0);
    b.linger(0);
    delivered(b);
    b.handleTimeout(100);
    drain(b); // ZLB lost
    a.handleTimeout(1000);
    feed(b, drain(a)[0]!, 1000);
    expect(drain(b).map(seen)).toEqual([{ ns: 0, nr: 1, zlb: true, tag: -1 }]);
    expect(delivered(b)).toEqual([]);
    b.handleTimeout(30_999);
    expect(b.state).toBe('lingering');
    b.handleTimeout(31_000);
    expect(b.state).toBe('done');
    expect(b.pollTimeout()).toBeUndefined();
  });

  it('RFC3931-4.2: a message whose Nr acknowledges more than was sent is discarded', () => {
    const a = new ControlChannel({}, 0);
    a.handleMessage(0, 5, 0, msg(1), 0);
    expect(delivered(a)).toEqual([]);
    expect(a.discarded).toBe(1);
  });

  it('RFC2661-5.8: over a lossy, duplicating, reordering link every message arrives once, in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 40 }), (seed, lossPct) => {
        const rnd = seededRandom(seed);
        const a = new ControlChannel({ helloIntervalMs: 0 }, 0);
        const b = new ControlChannel({ helloIntervalMs: 0, maxRetries: 50 }, 0);
        const inflight: { at: number; to: ControlChannel; d: Uint8Array }[] = [];
        const got: number[] = [];
        const n = 30;
        for (let i = 0; i < n; i++) a.send(0, msg(i), 0);
        let now = 0;
        for (let step = 0; step < 5000 && got.length < n && a.state === 'open'; step++) {
          for (const [from, to] of [
            [a, b],
            [b, a],
          ] as const) {
            for (let d = from.pollDatagram(); d; d = from.pollDatagram()) {
              if (rnd.int(0, 99) < lossPct) continue;
              const copies = rnd.int(0, 9) === 0 ? 2 : 1;
              for (let k = 0; k < copies; k++) inflight.push({ at: now + rnd.int(1, 300), to, d });
            }
          }
          for (let m = b.pollDelivered(); m; m = b.pollDelivered()) got.push(m.body[0]!);
          const next = Math.min(
            ...inflight.map((x) => x.at),
            a.pollTimeout() ?? Number.POSITIVE_INFINITY,
            b.pollTimeout() ?? Number.POSITIVE_INFINITY,
          );
          if (!Number.isFinite(next)) break;
          now = next;
          for (const x of inflight.filter((x) => x.at <= now)) feed(x.to, x.d, now);
          inflight.splice(0, inflight.length, ...inflight.filter((x) => x.at > now));
          a.handleTimeout(now);
          b.handleTimeout(now);
        }
        for (let m = b.pollDelivered(); m; m = b.pollDelivered()) got.push(m.body[0]!);
        // Exactly-once, in-order: what arrived is a prefix of what was sent.
        expect(got).toEqual([...Array(got.length).keys()]);
        if (a.state === 'open') expect(got.length).toBe(n);
      }),
      { seed: 0x2661, numRuns: 150 },
    );
  });
});
