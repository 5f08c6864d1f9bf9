// Every cell of the RFC 1661 §4.1 state transition table, checked twice: the Automaton against an
// independent transcription of the RFC's printed table, and the ControlProtocol engine driven from
// bytes, whose packets and events must be the cell's actions. Related: src/ppp/automaton.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Action,
  Automaton,
  EVENTS,
  type Event,
  STATES,
  type State,
  TRANSITIONS,
} from '../../src/ppp/automaton.js';
import { ControlProtocol } from '../../src/ppp/control-protocol.js';
import { LcpPolicy } from '../../src/ppp/lcp.js';
import type { ExtendedCode, Option, OptionPolicy, Verdict } from '../../src/ppp/option-policy.js';
import { decodeCpPacket, encodeCpPacket, encodeOptions } from '../../src/ppp/wire/cp-packet.js';
import { seededRandom } from '../support/seeded-random.js';

// RFC 1661 §4.1, copied as printed ("-" = cannot occur; r/p/x footnotes dropped).
const RFC_TABLE_LEFT = `
 Up    |    2     irc,scr/6     -         -         -         -
 Down  |    -         -         0       tls/1       0         1
 Open  |  tls/1       1     irc,scr/6     3r        5r        5r
 Close |    0       tlf/0       2         2         4         4
  TO+  |    -         -         -         -       str/4     str/5
  TO-  |    -         -         -         -       tlf/2     tlf/3
 RCR+  |    -         -       sta/2 irc,scr,sca/8   4         5
 RCR-  |    -         -       sta/2 irc,scr,scn/6   4         5
 RCA   |    -         -       sta/2     sta/3       4         5
 RCN   |    -         -       sta/2     sta/3       4         5
 RTR   |    -         -       sta/2     sta/3     sta/4     sta/5
 RTA   |    -         -         2         3       tlf/2     tlf/3
 RUC   |    -         -       scj/2     scj/3     scj/4     scj/5
 RXJ+  |    -         -         2         3         4         5
 RXJ-  |    -         -       tlf/2     tlf/3     tlf/2     tlf/3
 RXR   |    -         -         2         3         4         5`;
const RFC_TABLE_RIGHT = `
 Up    |    -         -         -           -
 Down  |    1         1         1         tld/1
 Open  |    6         7         8           9r
 Close |irc,str/4 irc,str/4 irc,str/4 tld,irc,str/4
  TO+  |  scr/6     scr/6     scr/8         -
  TO-  |  tlf/3p    tlf/3p    tlf/3p        -
 RCR+  |  sca/8   sca,tlu/9   sca/8   tld,scr,sca/8
 RCR-  |  scn/6     scn/7     scn/6   tld,scr,scn/6
 RCA   |  irc/7     scr/6x  irc,tlu/9   tld,scr/6x
 RCN   |irc,scr/6   scr/6x  irc,scr/8   tld,scr/6x
 RTR   |  sta/6     sta/6     sta/6   tld,zrc,sta/5
 RTA   |    6         6         8       tld,scr/6
 RUC   |  scj/6     scj/7     scj/8       scj/9
 RXJ+  |    6         6         8           9
 RXJ-  |  tlf/3     tlf/3     tlf/3   tld,irc,str/5
 RXR   |    6         7         8         ser/9`;

type Expected = { next: State; actions: Action[] } | undefined;

function parseRfcTable(): Map<string, Expected> {
  const cells = new Map<string, Expected>();
  for (const [text, firstState] of [
    [RFC_TABLE_LEFT, 0],
    [RFC_TABLE_RIGHT, 6],
  ] as const) {
    for (const line of text.trim().split('\n')) {
      const [name, rest] = line.split('|') as [string, string];
      const event = name.trim().toLowerCase() as Event;
      rest
        .trim()
        .split(/\s+/)
        .forEach((token, i) => {
          const state = STATES[firstState + i]!;
          if (token === '-') {
            cells.set(`${event}/${state}`, undefined);
            return;
          }
          const m = /^(?:([a-z,]+)\/)?(\d)[rpx]?$/.exec(token);
          if (m === null) throw new Error(`bad token ${token}`);
          const actions = (m[1] ?? '').split(',').filter(Boolean) as Action[];
          cells.set(`${event}/${state}`, { next: STATES[Number(m[2])]!, actions });
        });
    }
  }
  return cells;
}

const RFC = parseRfcTable();

describe('RFC1661-4.1: the automaton table', () => {
  it('the transcription covers 16 events x 10 states', () => {
    expect(RFC.size).toBe(160);
    expect(EVENTS.length).toBe(16);
    expect(STATES.length).toBe(10);
  });

  for (const event of EVENTS) {
    for (const state of STATES) {
      const expected = RFC.get(`${event}/${state}`);
      it(`RFC1661-4.1: ${event} in ${state} → ${expected === undefined ? '- (ignored)' : `${expected.actions.join(',') || 'no action'}/${expected.next}`}`, () => {
        const performed: Action[] = [];
        const ignored: string[] = [];
        const a = new (class extends Automaton {
          protected perform(action: Action): void {
            performed.push(action);
          }
          protected ignored(e: string, s: string): void {
            ignored.push(`${e}/${s}`);
          }
        })();
        a.state = state;
        a.step(event);
        if (expected === undefined) {
          expect(ignored).toEqual([`${event}/${state}`]);
          expect(performed).toEqual([]);
          expect(a.state).toBe(state);
          expect(TRANSITIONS[event][state]).toBeUndefined();
        } else {
          expect(ignored).toEqual([]);
          expect(performed).toEqual(expected.actions);
          expect(a.state).toBe(expected.next);
        }
      });
    }
  }
});

// ---- the engine, from bytes ----

/** Acks any request without option 99; Naks (suggesting 99=1) one that carries it. */
class TestPolicy implements OptionPolicy {
  readonly protocolName = 'LCP' as const;
  naks = 0;
  rejects = 0;
  ups = 0;
  downs = 0;
  ourRequest(): readonly Option[] {
    return [{ type: 1, value: new Uint8Array([0x05, 0x78]) }];
  }
  judgePeerRequest(options: readonly Option[], mustReject: boolean): Verdict {
    const bad = options.filter((o) => o.type === 99);
    if (bad.length === 0) return { kind: 'ack' };
    if (mustReject) return { kind: 'reject', rejected: bad };
    return { kind: 'nak', suggestions: [{ type: 99, value: new Uint8Array([1]) }] };
  }
  onNak(): void {
    this.naks++;
  }
  onReject(): void {
    this.rejects++;
  }
  onUp(): void {
    this.ups++;
  }
  onDown(): void {
    this.downs++;
  }
}

/** TestPolicy plus LCP's own codes (Protocol-Reject, Echo, Discard) with a fixed magic and peer MRU. */
class TestLcpPolicy extends TestPolicy {
  private readonly lcp = new LcpPolicy({ random: seededRandom(1) });
  constructor(
    magic: number,
    readonly peerMru: number,
  ) {
    super();
    this.lcp.magic = magic;
  }
  extcode(code: number, id: number, data: Uint8Array, state: State): ExtendedCode | undefined {
    return this.lcp.extcode(code, id, data, state);
  }
}

/** Raw events that put a fresh engine into each state. */
const PATH: Record<State, Event[]> = {
  initial: [],
  starting: ['open'],
  closed: ['up'],
  stopped: ['up', 'open', 'to-'],
  closing: ['up', 'open', 'close'],
  stopping: ['up', 'open', 'close', 'open'],
  'req-sent': ['up', 'open'],
  'ack-rcvd': ['up', 'open', 'rca'],
  'ack-sent': ['up', 'open', 'rcr+'],
  opened: ['up', 'open', 'rca', 'rcr+'],
};

const CODE_OF: Partial<Record<Action, number[]>> = {
  scr: [1],
  sca: [2],
  scn: [3],
  str: [5],
  sta: [6],
  scj: [7],
  ser: [10],
};
const EVENT_OF: Partial<Record<Action, string>> = {
  tlu: 'this-layer-up',
  tld: 'this-layer-down',
  tls: 'this-layer-started',
  tlf: 'this-layer-finished',
};

function engineIn(state: State): { cp: ControlProtocol; lastReq: { id: number; data: Uint8Array } | undefined } {
  const cp = new ControlProtocol(0xc021, new TestLcpPolicy(0x01020304, 1500));
  for (const e of PATH[state]) cp.fire(e, 0);
  expect(cp.state).toBe(state);
  let lastReq: { id: number; data: Uint8Array } | undefined;
  for (let p = cp.pollPacket(); p !== undefined; p = cp.pollPacket()) {
    const d = decodeCpPacket(p);
    if (d.ok && d.value.code === 1) lastReq = { id: d.value.id, data: d.value.data.slice() };
  }
  while (cp.pollEvent() !== undefined);
  return { cp, lastReq };
}

/** Delivers `event` the way the wire would (packets) where it can; timer and administrative events directly. */
function deliver(cp: ControlProtocol, event: Event, lastReq: { id: number; data: Uint8Array } | undefined): unknown {
  const id = lastReq?.id ?? 0x42;
  const packet = (code: number, pid: number, data: Uint8Array) =>
    cp.handlePacket(encodeCpPacket({ code, id: pid, data }), 1);
  switch (event) {
    case 'up':
      return cp.up(1);
    case 'down':
      return cp.down(1);
    case 'open':
      return cp.open(1);
    case 'close':
      return cp.close('bye', 1);
    case 'to+':
    case 'to-':
      return cp.fire(event, 1);
    case 'rcr+':
      return packet(1, 0x21, encodeOptions([{ type: 1, value: new Uint8Array([5, 0xdc]) }]));
    case 'rcr-':
      return packet(1, 0x22, encodeOptions([{ type: 99, value: new Uint8Array([0]) }]));
    case 'rca':
      return packet(2, id, lastReq?.data ?? new Uint8Array(0));
    case 'rcn':
      return packet(3, id, encodeOptions([{ type: 1, value: new Uint8Array([5, 0xdc]) }]));
    case 'rtr':
      return packet(5, 0x23, new Uint8Array(0));
    case 'rta':
      return packet(6, 0x24, new Uint8Array(0));
    case 'ruc':
      return packet(0x20, 0x25, new Uint8Array([1, 2, 3]));
    case 'rxj+':
      return packet(7, 0x26, encodeCpPacket({ code: 9, id: 1, data: new Uint8Array(4) }));
    case 'rxj-':
      return packet(7, 0x27, encodeCpPacket({ code: 1, id: 1, data: new Uint8Array(0) }));
    case 'rxr':
      return packet(9, 0x28, new Uint8Array([0, 0, 0, 0, 0xaa]));
  }
}

describe('RFC1661-4.1: the ControlProtocol engine performs each cell from bytes', () => {
  for (const event of EVENTS) {
    for (const state of STATES) {
      const expected = RFC.get(`${event}/${state}`);
      it(`RFC1661-4.1: engine ${event} in ${state}`, () => {
        const { cp, lastReq } = engineIn(state);
        deliver(cp, event, lastReq);
        const codes: number[] = [];
        for (let p = cp.pollPacket(); p !== undefined; p = cp.pollPacket()) codes.push(p[0]!);
        const events: string[] = [];
        for (let e = cp.pollEvent(); e !== undefined; e = cp.pollEvent()) events.push(e.type);
        if (expected === undefined) {
          expect(cp.state).toBe(state);
          expect(codes).toEqual([]);
          expect(events.filter((e) => e !== 'echo-request')).toEqual(['ignored-event']);
          return;
        }
        expect(cp.state).toBe(expected.next);
        expect(codes).toEqual(expected.actions.flatMap((a) => CODE_OF[a] ?? []));
        expect(events.filter((e) => e.startsWith('this-layer'))).toEqual(
          expected.actions.flatMap((a) => (EVENT_OF[a] ? [EVENT_OF[a]] : [])),
        );
      });
    }
  }
});

describe('RFC1661-4.6: Restart timer and counters', () => {
  const run = (cp: ControlProtocol, until: number) => {
    const sent: { at: number; code: number }[] = [];
    const events: string[] = [];
    let now = 0;
    for (;;) {
      for (let p = cp.pollPacket(); p !== undefined; p = cp.pollPacket()) sent.push({ at: now, code: p[0]! });
      for (let e = cp.pollEvent(); e !== undefined; e = cp.pollEvent()) events.push(e.type);
      const t = cp.pollTimeout();
      if (t === undefined || t > until) break;
      now = t;
      cp.handleTimeout(now);
    }
    return { sent, events, now };
  };

  it('RFC1661-4.6: Max-Configure Configure-Requests, one Restart time apart, then This-Layer-Finished', () => {
    const cp = new ControlProtocol(0xc021, new TestPolicy(), { restartMs: 3000, maxConfigure: 10 });
    cp.open(0);
    cp.up(0);
    const { sent, events, now } = run(cp, 100_000);
    expect(sent.map((s) => s.code)).toEqual(Array(10).fill(1));
    expect(sent.map((s) => s.at)).toEqual([0, 3000, 6000, 9000, 12000, 15000, 18000, 21000, 24000, 27000]);
    expect(events).toContain('this-layer-finished');
    expect(now).toBe(30000);
    expect(cp.state).toBe('stopped');
  });

  it('RFC1661-4.6: Max-Terminate Terminate-Requests, then Closed', () => {
    const cp = engineIn('opened').cp;
    cp.close('admin', 0);
    const { sent } = run(cp, 100_000);
    expect(sent.map((s) => s.code)).toEqual([5, 5]);
    expect(cp.state).toBe('closed');
  });

  it('RFC1661-4.4: zrc — after a Terminate-Request in Opened, wait one Restart time, send nothing, then Stopped', () => {
    const cp = engineIn('opened').cp;
    cp.handlePacket(encodeCpPacket({ code: 5, id: 9, data: new Uint8Array(0) }), 0);
    const { sent, events, now } = run(cp, 100_000);
    expect(sent.map((s) => s.code)).toEqual([6]);
    expect(events).toEqual(['this-layer-down', 'this-layer-finished']);
    expect(now).toBe(3000);
    expect(cp.state).toBe('stopped');
  });

  it('RFC1661-4.6: after Max-Failure Configure-Naks the same option is Configure-Rejected', () => {
    const cp = engineIn('req-sent').cp;
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      cp.handlePacket(
        encodeCpPacket({ code: 1, id: i, data: encodeOptions([{ type: 99, value: new Uint8Array([0]) }]) }),
        0,
      );
      for (let p = cp.pollPacket(); p !== undefined; p = cp.pollPacket()) codes.push(p[0]!);
    }
    expect(codes).toEqual([3, 3, 3, 3, 3, 4, 4]);
  });

  it('RFC1661-5.2: a Configure-Ack with the wrong Identifier or different options is silently discarded', () => {
    const { cp, lastReq } = engineIn('req-sent');
    cp.handlePacket(encodeCpPacket({ code: 2, id: (lastReq!.id + 1) & 0xff, data: lastReq!.data }), 0);
    cp.handlePacket(encodeCpPacket({ code: 2, id: lastReq!.id, data: new Uint8Array([1, 4, 5, 0]) }), 0);
    expect(cp.state).toBe('req-sent');
    cp.handlePacket(encodeCpPacket({ code: 2, id: lastReq!.id, data: lastReq!.data }), 0);
    expect(cp.state).toBe('ack-rcvd');
  });

  it('RFC1661-5.3/5.4: a Configure-Nak or Configure-Reject with the wrong Identifier is silently discarded', () => {
    for (const code of [3, 4]) {
      const { cp, lastReq } = engineIn('req-sent');
      while (cp.pollPacket() !== undefined);
      cp.handlePacket(encodeCpPacket({ code, id: (lastReq!.id + 1) & 0xff, data: lastReq!.data }), 0);
      expect(cp.state).toBe('req-sent');
      expect(cp.pollPacket()).toBeUndefined();
      cp.handlePacket(encodeCpPacket({ code, id: lastReq!.id, data: lastReq!.data }), 0);
      expect(cp.pollPacket()?.[0]).toBe(1); // the matching one is acted on: a new Configure-Request
    }
  });

  it('RFC1661-5.6: Code-Reject carries the rejected packet, cut to the peer MRU', () => {
    const cp = new ControlProtocol(0xc021, new TestLcpPolicy(0, 64));
    cp.fire('up', 0);
    cp.fire('open', 0);
    while (cp.pollPacket() !== undefined);
    cp.handlePacket(encodeCpPacket({ code: 0x30, id: 7, data: new Uint8Array(200).fill(0xab) }), 0);
    const reply = cp.pollPacket()!;
    expect(reply[0]).toBe(7);
    expect(reply.length).toBe(64);
    expect([...reply.subarray(4, 8)]).toEqual([0x30, 7, 0, 204]);
  });

  it('RFC1661-5.8: Echo-Reply carries our magic and the request data', () => {
    const cp = engineIn('opened').cp;
    cp.handlePacket(encodeCpPacket({ code: 9, id: 0x33, data: new Uint8Array([9, 9, 9, 9, 0xde, 0xad]) }), 0);
    expect([...cp.pollPacket()!]).toEqual([10, 0x33, 0, 10, 1, 2, 3, 4, 0xde, 0xad]);
  });

  it('RFC1570: Identification and Time-Remaining are tolerated silently', () => {
    const cp = engineIn('opened').cp;
    cp.handlePacket(encodeCpPacket({ code: 12, id: 1, data: new Uint8Array([0, 0, 0, 0, 0x41]) }), 0);
    cp.handlePacket(encodeCpPacket({ code: 13, id: 2, data: new Uint8Array(8) }), 0);
    expect(cp.pollPacket()).toBeUndefined();
    expect(cp.pollEvent()).toBeUndefined();
    expect(cp.state).toBe('opened');
  });

  it('RFC1661-5: NCPs Code-Reject the LCP-only codes', () => {
    const cp = new ControlProtocol(0x8021, new TestPolicy());
    for (const e of PATH.opened) cp.fire(e, 0);
    while (cp.pollPacket() !== undefined);
    cp.handlePacket(encodeCpPacket({ code: 9, id: 1, data: new Uint8Array(4) }), 0);
    expect(cp.pollPacket()?.[0]).toBe(7);
  });
});

describe('the engine after garbage', () => {
  /** Runs two engines against each other (no loss) until both are Opened or 120 s pass. */
  function converge(a: ControlProtocol, b: ControlProtocol, start: number): boolean {
    let now = start;
    for (let i = 0; i < 10_000 && !(a.state === 'opened' && b.state === 'opened'); i++) {
      let moved = false;
      for (let p = a.pollPacket(); p !== undefined; p = a.pollPacket()) {
        moved = true;
        b.handlePacket(p, now);
      }
      for (let p = b.pollPacket(); p !== undefined; p = b.pollPacket()) {
        moved = true;
        a.handlePacket(p, now);
      }
      if (!moved) {
        const t = [a.pollTimeout(), b.pollTimeout()].filter((x): x is number => x !== undefined);
        if (t.length === 0 || Math.min(...t) > start + 120_000) break;
        now = Math.min(...t);
        a.handleTimeout(now);
        b.handleTimeout(now);
      }
    }
    return a.state === 'opened' && b.state === 'opened';
  }

  it('RFC1661-4: garbage in any state never throws, and a normal negotiation with a fresh peer completes afterwards', () => {
    const packet = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc
        .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 24 }))
        .map(([code, id, data]) => encodeCpPacket({ code, id, data })),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...STATES.filter((s) => s !== 'initial' && s !== 'starting')),
        fc.array(packet, { maxLength: 20 }),
        (state, garbage) => {
          const { cp: a } = engineIn(state);
          for (const g of garbage) a.handlePacket(g, 0);
          while (a.pollPacket() !== undefined);
          // A closed engine needs an administrative Open; every other state recovers from the peer's requests.
          if (a.state === 'closed' || a.state === 'closing') a.open(0);
          const b = new ControlProtocol(0xc021, new TestLcpPolicy(7, 1500));
          b.open(0);
          b.up(0);
          expect(converge(a, b, 0)).toBe(true);
        },
      ),
      { seed: 0x4661, numRuns: 400 },
    );
  });
});
