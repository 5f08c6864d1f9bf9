// What the peer fuzz tests share: a fuzz target whose sockets live in the fuzzer's namespace, a
// bounded run whose findings are printed (a peer's deviations are reported, not failed), and a
// fixed set of targeted probes. Used by l2tpns-fuzz.test.ts and xl2tpd-fuzz.test.ts.
import { expect } from 'vitest';
import { runCase } from '../../src/fuzz/conversation.js';
import type { FuzzStep } from '../../src/fuzz/fuzz-case.js';
import { describeWire, fuzz, replay } from '../../src/fuzz/fuzzer.js';
import type { FuzzTarget, FuzzTargetFactory } from '../../src/fuzz/target.js';
import { UdpTarget } from '../../src/io/udp-fuzz-target.js';
import type { NetLab } from '../support/netns.js';
import { seededRandom } from '../support/seeded-random.js';

/** Options both helpers take: how far liveness goes (xl2tpd's pppd cannot run: 'icrp'), the tunnel secret. */
export interface PeerFuzzOptions {
  readonly livenessThrough: 'iccn' | 'icrp';
  readonly secret?: Uint8Array;
}

/** Targets at `host`:1701 whose sockets are created inside namespace `ns`. */
export function targetInNamespace(lab: NetLab, ns: string, host: string, label: string): FuzzTargetFactory {
  return async (): Promise<FuzzTarget> => {
    const inner = new UdpTarget({ host, port: 1701, quietMs: 100 });
    return {
      description: `${label} ${inner.description}`,
      quietMs: inner.quietMs,
      connect: () => lab.withNetns(ns, () => inner.connect()),
      close: () => inner.close(),
    };
  };
}

/** A bounded fuzz run: prints the findings, asserts cases ran and the first finding replays. */
export async function boundedPeerFuzz(
  label: string,
  factory: FuzzTargetFactory,
  durationMs: number,
  o: PeerFuzzOptions,
): Promise<void> {
  const started = Date.now();
  const r = await fuzz({
    factory,
    seed: 0x1701,
    durationMs,
    clock: () => Date.now(),
    livenessThrough: o.livenessThrough,
    ...(o.secret !== undefined && { secret: o.secret }),
    maxFindings: 4,
    shrinkBudget: 12,
  });
  const lines = [`${label}: ${r.cases} cases in ${Date.now() - started} ms, ${r.findings.length} finding(s)`];
  for (const f of r.findings) {
    lines.push(`  ${f.expect.kind} (case ${f.caseIndex}, ${f.case.steps.length} steps): ${f.expect.message}`);
    lines.push(`    case: ${JSON.stringify(f.case.steps)}`);
    lines.push(describeWire(f).replace(/^/gm, '    '));
  }
  console.info(lines.join('\n'));
  expect(r.cases).toBeGreaterThan(2);
  // A finding is a value the harness can replay (it may not reproduce: a real peer keeps state).
  for (const f of r.findings.slice(0, 1)) {
    const again = await replay(factory, f, { livenessThrough: o.livenessThrough });
    expect(again.wire.length).toBeGreaterThan(0);
  }
}

/** One known-interesting case each. */
export const PEER_PROBES: Record<string, FuzzStep[]> = {
  'HELLO with Ver 15 in sequence (§3.1 discard)': [
    { kind: 'SCCRQ' },
    { kind: 'SCCCN' },
    { kind: 'HELLO', mutations: [{ op: 'version', value: 15 }] },
  ],
  'SCCCN with an unknown M=1 AVP (§4.1, 2/8)': [
    { kind: 'SCCRQ' },
    { kind: 'SCCCN', mutations: [{ op: 'unknown-avp', vendorId: 0, type: 0x7f11, mandatory: true }] },
  ],
  'ICRQ with an unknown M=0 AVP (§4.1 ignore)': [
    { kind: 'SCCRQ' },
    { kind: 'SCCCN' },
    { kind: 'ICRQ', mutations: [{ op: 'unknown-avp', vendorId: 0, type: 0x7f12, mandatory: false }] },
  ],
  'retransmitted SCCRQ (§5.8)': [{ kind: 'SCCRQ' }, { kind: 'repeat' }, { kind: 'repeat' }],
  'data message for an unknown session': [
    { kind: 'SCCRQ' },
    { kind: 'SCCCN' },
    { kind: 'data', sessionId: 0x4242, payloadHex: 'ff03c021010100040000' },
  ],
  'SCCRQ with Ns 5 (out of order first message)': [{ kind: 'SCCRQ', mutations: [{ op: 'ns', delta: 5 }] }],
};

/** Runs every probe against a fresh target and prints what the peer did. */
export async function runPeerProbes(label: string, factory: FuzzTargetFactory, o: PeerFuzzOptions): Promise<void> {
  const lines: string[] = [`${label} targeted probes:`];
  let k = 0;
  for (const [name, steps] of Object.entries(PEER_PROBES)) {
    const t = await factory();
    const r = await runCase(
      t,
      { family: 'probe', steps },
      {
        random: seededRandom(0x7000 + k++),
        livenessThrough: o.livenessThrough,
        ...(o.secret !== undefined && { secret: o.secret }),
      },
    );
    await t.close();
    expect(r.wire.some((w) => w.dir === 'sent')).toBe(true);
    lines.push(`  ${name}: ${r.finding ? `${r.finding.kind}: ${r.finding.message}` : 'conforms'}`);
  }
  console.info(lines.join('\n'));
}
