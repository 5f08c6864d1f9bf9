// The replay file as hostile input (parseSavedCase names the first bad field, never lets a bad
// value through to the driver) and compareReplies, the per-step reply kinds `--replay` prints.
// Related: src/fuzz/fuzz-case.ts, src/fuzz/fuzzer.ts, src/cli/fuzz.ts (replayFile).
import { describe, expect, it } from 'vitest';
import { parseSavedCase, type SavedCase, type WireRecord } from '../../src/fuzz/fuzz-case.js';
import { compareReplies } from '../../src/fuzz/fuzzer.js';

const GOOD: SavedCase = {
  format: 'l2tp-ts-fuzz-case/1',
  target: 'xl2tpd udp 10.0.0.1:1701',
  seed: 0x1701,
  caseIndex: 3,
  expect: { kind: 'teardown-result', step: 1, message: 'StopCCN 2/6' },
  case: {
    family: 'unknown-avp',
    steps: [
      { kind: 'SCCRQ' },
      { kind: 'SCCCN', mutations: [{ op: 'unknown-avp', vendorId: 0, type: 0x7f11, mandatory: true }] },
      { kind: 'repeat' },
      { kind: 'data', sessionId: -1, payloadHex: 'ff03c021' },
      { kind: 'garbage', hex: '00' },
    ],
  },
  wire: [{ dir: 'sent', step: 0, hex: 'c802', summary: 'SCCRQ tid=0' }],
  liveness: 'icrp',
  peer: { name: 'xl2tpd', version: '1.3.18-1', clause: 'RFC 2661 §4.4.2' },
};

/** GOOD with `change` applied (a path into the object and the value to put there; undefined deletes). */
function variant(path: readonly (string | number)[], value: unknown): string {
  const v = structuredClone(GOOD) as unknown as Record<string | number, unknown>;
  let at = v;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return JSON.stringify(v);
}

describe('parseSavedCase', () => {
  it('a well-formed case with liveness and peer comes back as it was written', () => {
    expect(parseSavedCase(JSON.stringify(GOOD))).toEqual(GOOD);
  });

  it('liveness and peer are optional', () => {
    const c = parseSavedCase(variant(['peer'], undefined));
    expect(c.peer).toBeUndefined();
    expect(parseSavedCase(variant(['liveness'], undefined)).liveness).toBeUndefined();
  });

  const BAD: [string, string, RegExp][] = [
    ['not JSON', '{"format":', /^not JSON: /],
    ['JSON null', 'null', /not a JSON object/],
    ['a JSON array', '[]', /not a JSON object/],
    ['another format', variant(['format'], 'pcap'), /format pcap/],
    ['liveness outside its two values', variant(['liveness'], 'sccrp'), /liveness must be "iccn" or "icrp"/],
    ['peer as a string', variant(['peer'], 'xl2tpd 1.3.18'), /peer must be an object/],
    ['peer without a version', variant(['peer', 'version'], undefined), /peer\.version must be a non-empty string/],
    ['peer with an empty clause', variant(['peer', 'clause'], ''), /peer\.clause must be a non-empty string/],
    ['peer name a number', variant(['peer', 'name'], 7), /peer\.name must be a non-empty string/],
    ['no steps', variant(['case', 'steps'], undefined), /without steps/],
    [
      'a step kind the driver cannot build',
      variant(['case', 'steps', 1, 'kind'], 'WEN'),
      /case\.steps\[1\]\.kind "WEN"/,
    ],
    ['a step that is no object', variant(['case', 'steps', 0], 'SCCRQ'), /case\.steps\[0\] must be an object/],
    [
      'a mutation op that does not exist',
      variant(['case', 'steps', 1, 'mutations', 0, 'op'], 'explode'),
      /mutations\[0\]\.op "explode" is not a mutation/,
    ],
    [
      'an unknown AVP type past 16 bits (§4.1)',
      variant(['case', 'steps', 1, 'mutations', 0, 'type'], 0x1_0000),
      /mutations\[0\]\.type must be an integer 0\.\.65535/,
    ],
    [
      'a mandatory flag that is no boolean',
      variant(['case', 'steps', 1, 'mutations', 0, 'mandatory'], 'yes'),
      /mutations\[0\]\.mandatory must be true or false/,
    ],
    [
      'a data step without payload',
      variant(['case', 'steps', 3, 'payloadHex'], undefined),
      /payloadHex must be a string/,
    ],
    ['a data step to session -2', variant(['case', 'steps', 3, 'sessionId'], -2), /sessionId must be an integer ≥ -1/],
    ['a garbage step without hex', variant(['case', 'steps', 4, 'hex'], undefined), /steps\[4\]\.hex must be a string/],
    ['no expect.kind', variant(['expect', 'kind'], undefined), /without expect\.kind/],
    ['an expect.kind no oracle reports', variant(['expect', 'kind'], 'meltdown'), /expect\.kind "meltdown"/],
    ['a fractional seed', variant(['seed'], 1.5), /seed must be an integer/],
    ['a negative case index', variant(['caseIndex'], -1), /caseIndex must be an integer/],
    ['a secret that is no string', variant(['secret'], 42), /secret must be a string/],
    ['wire that is no array', variant(['wire'], {}), /wire must be an array/],
    ['a wire summary that is no string', variant(['wire', 0, 'summary'], null), /wire\[0\]\.summary must be a string/],
    ['wire hex that is not hex', variant(['wire', 0, 'hex'], 'c8zz'), /wire\[0\]\.hex must be a hex string/],
    ['a wire direction other than sent/received', variant(['wire', 0, 'dir'], 'up'), /wire\[0\]\.dir/],
  ];
  for (const [what, text, message] of BAD) {
    it(`rejects ${what} with an error naming it`, () => {
      expect(() => parseSavedCase(text)).toThrow(message);
    });
  }
});

const rec = (dir: WireRecord['dir'], step: number, summary: string): WireRecord => ({ dir, step, hex: '', summary });

describe('compareReplies', () => {
  it('the same reply kinds per step with other header values: no difference', () => {
    const was = [
      rec('sent', 0, 'SCCRQ tid=0'),
      rec('received', 0, 'SCCRP tid=41 ns=0 nr=1'),
      rec('received', 1, 'ZLB tid=41'),
    ];
    const now = [
      rec('sent', 0, 'SCCRQ tid=0'),
      rec('received', 0, 'SCCRP tid=977 ns=0 nr=1'),
      rec('received', 1, 'ZLB tid=977'),
    ];
    expect(compareReplies(was, now)).toEqual([]);
  });

  it('one line per step whose kinds differ, "(nothing)" for a step that got no reply', () => {
    const was = [
      rec('received', 0, 'SCCRP tid=1'),
      rec('received', 1, 'ZLB tid=1'),
      rec('received', 1, 'StopCCN tid=1 <ResultCode 2/6>'),
    ];
    const now = [rec('received', 0, 'SCCRP tid=2'), rec('received', 2, 'ZLB tid=2')];
    expect(compareReplies(was, now)).toEqual([
      'step 1: recorded ZLB StopCCN, now (nothing)',
      'step 2: recorded (nothing), now ZLB',
    ]);
  });

  it('sent datagrams are not compared; liveness replies (step -2) are, without their prefix', () => {
    const was = [rec('sent', 0, 'SCCRQ a'), rec('received', -2, 'liveness: SCCRP tid=1')];
    const now = [rec('sent', 0, 'HELLO b'), rec('received', -2, 'liveness: StopCCN tid=1')];
    expect(compareReplies(was, now)).toEqual(['step -2: recorded SCCRP, now StopCCN']);
  });
});
