// The seeded case generator: clean RFC 2661 exchanges (§5.1 tunnel, §5.2 incoming call) from the
// catalogue-driven builders, then mutations of them (AVP drops/duplicates/reorders, unknown M=1/M=0
// AVPs, hidden AVPs with wrong secrets, bad lengths, out-of-window Ns/Nr, duplicated and reordered
// messages, truncations, bit flips, data for unknown sessions, oversized messages, raw garbage).
import { toHex } from '../core/bytes.js';
import type { SeededRandom } from '../core/seeded-random.js';
import { CANONICAL, type FuzzCase, type FuzzStep, type MessageStepKind, type Mutation } from './fuzz-case.js';

type Rnd = SeededRandom;

/** Case families and their weights. */
const FAMILIES: readonly [string, number][] = [
  ['clean', 5],
  ['unknown-avp', 20],
  ['mutate', 35],
  ['retransmit', 10],
  ['chaos', 30],
];

/** One random mutation (any layer). */
export function randomMutation(r: Rnd): Mutation {
  switch (r.int(0, 14)) {
    case 0:
      return { op: 'drop-avp', index: r.int(0, 15) };
    case 1:
      return { op: 'dup-avp', index: r.int(0, 15) };
    case 2:
      return { op: 'swap-avps', i: r.int(0, 15), j: r.int(0, 15) };
    case 3:
    case 4:
      return unknownAvp(r, r.chance(0.5));
    case 5:
      return { op: 'hide-avp', index: r.int(0, 15), wrongSecret: r.chance(0.5) };
    case 6:
      return { op: 'oversize', octets: r.pick([1500, 4096, 16_384, 65_000]) };
    case 7:
      return { op: 'ns', delta: r.pick([1, 2, 4, 5, 100, 0x7fff, 0x8000, 0xffff]) };
    case 8:
      return { op: 'nr', delta: r.pick([1, 2, 100, 0x8000, 0xffff]) };
    case 9:
      return { op: 'tunnel-id', value: r.int(0, 0xffff) };
    case 10:
      return { op: 'session-id', value: r.int(0, 0xffff) };
    case 11:
      return { op: 'avp-length', index: r.int(0, 15), delta: r.pick([1, 2, 5, 0x3ff, 0x3fe, 0x3fa, 0x200]) };
    case 12:
      return { op: 'truncate', length: r.int(0, 80) };
    case 13:
      return { op: 'flip', bit: r.int(0, 8 * 80) };
    default:
      return { op: 'version', value: r.pick([0, 1, 3, 15]) };
  }
}

function unknownAvp(r: Rnd, mandatory: boolean): Mutation {
  // Vendor 0 types far above any RFC's, or a private-enterprise vendor nobody implements.
  return r.chance(0.7)
    ? { op: 'unknown-avp', vendorId: 0, type: 0x7f00 + r.int(0, 0xff), mandatory }
    : { op: 'unknown-avp', vendorId: 0xfff0 + r.int(0, 0xe), type: r.int(0, 0x7fff), mandatory };
}

function garbage(r: Rnd): FuzzStep {
  const bytes = r.fill(new Uint8Array(r.int(0, 64)));
  // Mostly a version the RFC says to discard (§3.1), so the no-reply oracle applies.
  if (bytes.length > 1 && r.chance(0.7)) bytes[1] = (bytes[1]! & 0xf0) | r.pick([0, 1, 3, 4, 15]);
  return { kind: 'garbage', hex: toHex(bytes) };
}

/** PPP protocols an LNS session speaks (RFC 1661 LCP, 1332 IPCP, 5072 IPv6CP, 1994 CHAP, 1334 PAP, IPv4). */
const PPP_PROTOCOLS = [0xc021, 0x8021, 0x8057, 0xc223, 0xc023, 0x0021, 0x80fd, 0x0057, 0x1234];

/** A PPP frame (FF 03, protocol, a code/id/length packet with random options) on the live session. */
function pppStep(r: Rnd): FuzzStep {
  const body = r.fill(new Uint8Array(r.int(0, 40)));
  const code = r.int(1, 14);
  const len = r.chance(0.8) ? 4 + body.length : r.int(0, 0xffff);
  const head = [0xff, 0x03, ...(r.chance(0.9) ? [] : [0xff]), 0, 0, code, r.int(0, 255), len >> 8, len & 0xff];
  const proto = r.pick(PPP_PROTOCOLS);
  const at = head.length === 8 ? 2 : 3;
  head[at] = proto >> 8;
  head[at + 1] = proto & 0xff;
  return { kind: 'data', sessionId: -1, payloadHex: toHex(new Uint8Array([...head, ...body])) };
}

function dataStep(r: Rnd): FuzzStep {
  if (r.chance(0.5)) return pppStep(r);
  const payload = r.chance(0.5) ? 'ff03c021010100040000' : toHex(r.fill(new Uint8Array(r.int(0, 40))));
  return r.chance(0.5)
    ? { kind: 'data', sessionId: r.int(1, 0xffff), payloadHex: payload }
    : { kind: 'data', tunnelId: r.int(1, 0xffff), sessionId: r.int(0, 0xffff), payloadHex: payload };
}

function mutated(kind: MessageStepKind, r: Rnd, n: number): FuzzStep {
  const mutations: Mutation[] = [];
  for (let i = 0; i < n; i++) mutations.push(randomMutation(r));
  return { kind, mutations };
}

/** A case from `r` (seeded per case, so case N can be regenerated alone). */
export function generateCase(r: Rnd): FuzzCase {
  let w = r.int(
    1,
    FAMILIES.reduce((n, [, k]) => n + k, 0),
  );
  let family = 'chaos';
  for (const [name, k] of FAMILIES) {
    w -= k;
    if (w <= 0) {
      family = name;
      break;
    }
  }
  const steps: FuzzStep[] = [];
  switch (family) {
    case 'clean':
      for (const k of CANONICAL) steps.push({ kind: k });
      break;
    case 'unknown-avp': {
      const at = r.int(0, 3);
      const mandatory = r.chance(0.5);
      for (let k = 0; k < at; k++) steps.push({ kind: CANONICAL[k]! });
      const ms: Mutation[] = [unknownAvp(r, mandatory)];
      if (r.chance(0.3)) ms.push(unknownAvp(r, false));
      if (r.chance(0.3)) ms.push({ op: 'hide-avp', index: r.int(0, 15), wrongSecret: false });
      steps.push({ kind: CANONICAL[at]!, mutations: ms });
      for (let k = at + 1; k < CANONICAL.length; k++) steps.push({ kind: CANONICAL[k]! });
      break;
    }
    case 'mutate': {
      const n = r.int(1, CANONICAL.length);
      for (let k = 0; k < n; k++) steps.push({ kind: CANONICAL[k]! });
      const count = r.int(1, 3);
      for (let k = 0; k < count; k++) {
        const i = r.int(0, n - 1);
        const s = steps[i] as { kind: MessageStepKind; mutations?: Mutation[] };
        steps[i] = { kind: s.kind, mutations: [...(s.mutations ?? []), randomMutation(r)] };
      }
      break;
    }
    case 'retransmit': {
      const n = r.int(2, CANONICAL.length);
      for (let k = 0; k < n; k++) {
        steps.push({ kind: CANONICAL[k]! });
        if (r.chance(0.4)) steps.push({ kind: 'repeat' });
      }
      if (r.chance(0.5)) {
        // Reorder: swap two neighbours (a late message overtaken by the next one).
        const i = r.int(0, steps.length - 2);
        const t = steps[i]!;
        steps[i] = steps[i + 1]!;
        steps[i + 1] = t;
      }
      break;
    }
    default: {
      // Usually from inside a tunnel, so later steps reach the tunnel and session automata.
      if (r.chance(0.6)) steps.push({ kind: 'SCCRQ' }, { kind: 'SCCCN' });
      if (r.chance(0.4)) {
        steps.push({ kind: 'ICRQ' }, { kind: 'ICCN' });
        // PPP on the live session: LCP/IPCP/auth packets with random options reach the LNS's PPP.
        for (let k = r.int(0, 5); k > 0; k--) steps.push(pppStep(r));
      }
      const n = r.int(1, 10);
      for (let k = 0; k < n; k++) {
        const p = r.int(0, 9);
        if (p < 2) steps.push(garbage(r));
        else if (p < 3) steps.push(dataStep(r));
        else if (p < 4) steps.push({ kind: 'repeat' });
        else steps.push(mutated(r.pick(CANONICAL), r, r.int(0, 2)));
      }
      break;
    }
  }
  return { family, steps };
}
