// The defects docs/FINDINGS.md lists, one shrunk case each under test/fuzz/cases/, replayed two
// ways: against the real peer it was found in (when installed), where the behaviour as found must
// still reproduce, so a fixed peer shows up here as a failing test; and against our own LNS
// in-process, where it must not.
// Related: src/fuzz/fuzzer.ts (replay), xl2tpd-fuzz.test.ts and l2tpns-fuzz.test.ts (the campaigns).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSavedCase, type SavedCase } from '../../src/fuzz/fuzz-case.js';
import { compareReplies, describeWire, replay } from '../../src/fuzz/fuzzer.js';
import { lnsEngineTargetFactory } from '../../src/fuzz/in-process.js';
import type { FuzzTargetFactory } from '../../src/fuzz/target.js';
import { UdpTarget } from '../../src/io/udp-fuzz-target.js';
import { labSkipReason, NetLab } from '../support/netns.js';
import { startL2tpns } from '../support/peers/l2tpns.js';
import { startXl2tpdLns } from '../support/peers/xl2tpd.js';
import { seededRandom } from '../support/seeded-random.js';

const DIR = join(import.meta.dirname, 'cases');
const FINDINGS = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'FINDINGS.md'), 'utf8');
const CASES: readonly { file: string; saved: SavedCase }[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, saved: parseSavedCase(readFileSync(join(DIR, file), 'utf8')) }));
const casesOf = (peer: string) => CASES.filter((c) => c.saved.peer?.name === peer);

/**
 * Quiet time that ends one step's replies. 100 ms as in the campaigns, except where the defect
 * lives in a race: l2tpns parses octets past the datagram from its one receive buffer, which its
 * own cluster heartbeat on lo overwrites every 0.2 s, so the second datagram must follow quickly.
 */
const QUIET_MS: Readonly<Record<string, number>> = { 'l2tpns-length-past-datagram.json': 10 };
/** A real peer runs its own timers; a case gets this many tries before "no longer reproduces". */
const TRIES = 5;

/** A finding's message without the IDs the peer picks (they differ from run to run). */
const normalize = (m: string | undefined) => m?.replace(/(Assigned(?:Tunnel|Session)Id) \d+/g, '$1 N');

/** The version dpkg says is installed, for the failure message. */
function installedVersion(pkg: string): string {
  try {
    // "xl2tpd\t1.3.18-1"
    return execFileSync('dpkg-query', ['-W', pkg], { encoding: 'utf8' }).trim().split('\t')[1] ?? 'unknown version';
  } catch {
    return 'unknown version';
  }
}

/** Replays every case of `peer` against the running peer; each must reproduce as recorded. */
function replaysAsFound(peer: string, factory: (quietMs: number) => FuzzTargetFactory): void {
  for (const { file, saved } of casesOf(peer)) {
    it(`${file}: ${saved.peer?.clause}, ${saved.expect.kind} still reproduces`, async () => {
      let r: Awaited<ReturnType<typeof replay>> | undefined;
      for (
        let k = 0;
        k < TRIES && !(r?.reproduced && normalize(r.finding?.message) === normalize(saved.expect.message));
        k++
      ) {
        r = await replay(factory(QUIET_MS[file] ?? 100), saved, { livenessThrough: saved.liveness ?? 'iccn' });
      }
      const why =
        `${peer} ${installedVersion(peer)} no longer behaves as recorded against ${saved.peer?.version} ` +
        `(${saved.peer?.clause}). If the peer was fixed, update docs/FINDINGS.md and test/fuzz/cases/${file}.\n` +
        `now: ${r?.finding ? `${r.finding.kind}: ${r.finding.message}` : 'no finding'}\n` +
        `${compareReplies(saved.wire, r?.wire ?? []).join('\n')}\n${describeWire(r ?? { wire: [] })}`;
      expect(r?.reproduced, why).toBe(true);
      expect(normalize(r?.finding?.message), why).toBe(normalize(saved.expect.message));
    }, 60_000);
  }
}

/** A target at `host`:1701 whose sockets live in namespace `ns`. */
function inNamespace(lab: NetLab, ns: string, host: string, label: string) {
  return (quietMs: number): FuzzTargetFactory =>
    async () => {
      const inner = new UdpTarget({ host, port: 1701, quietMs });
      return {
        description: `${label} ${inner.description}`,
        quietMs,
        connect: () => lab.withNetns(ns, () => inner.connect()),
        close: () => inner.close(),
      };
    };
}

describe('peer findings: the case files', () => {
  it('found cases for both peers', () => {
    expect(casesOf('xl2tpd').length).toBeGreaterThan(0);
    expect(casesOf('l2tpns').length).toBeGreaterThan(0);
  });

  for (const { file, saved } of CASES) {
    it(`${file} names peer, version and clause, and docs/FINDINGS.md lists it with its replay command`, () => {
      expect(saved.peer?.name).toMatch(/^(xl2tpd|l2tpns)$/);
      expect(saved.peer?.version).toMatch(/^\d/);
      expect(saved.peer?.clause).toMatch(/^RFC 2661 §/);
      expect(FINDINGS).toContain(`--replay test/fuzz/cases/${file}`);
    });
  }
});

describe('peer findings against our own LNS (in-process): none reproduces', () => {
  for (const { file, saved } of CASES) {
    it(`${file} (${saved.peer?.name} ${saved.peer?.clause})`, async () => {
      let k = 0;
      const factory = lnsEngineTargetFactory({ random: () => seededRandom(0x2661 + k++) });
      const r = await replay(factory, saved, { livenessThrough: 'iccn' });
      expect(r.reproduced).toBe(false);
      expect(r.finding, describeWire(r)).toBeUndefined();
    });
  }
});

const xl2tpdSkip = labSkipReason(['xl2tpd', 'ss']);
describe.skipIf(xl2tpdSkip !== undefined)(
  `peer findings against xl2tpd${xl2tpdSkip ? ` (skipped: ${xl2tpdSkip})` : ''}: each still reproduces`,
  () => {
    let lab: NetLab;
    let factory: (quietMs: number) => FuzzTargetFactory = () => {
      throw new Error('xl2tpd did not start');
    };

    beforeAll(async () => {
      lab = new NetLab('fx');
      const nsLns = lab.addNamespace();
      const nsFuzz = lab.addNamespace();
      lab.addVeth({ ns: nsLns, address: '10.203.68.1/24' }, { ns: nsFuzz, address: '10.203.68.2/24' });
      await startXl2tpdLns(lab, { ns: nsLns, hostName: 'x-lns', secret: 'unused-by-default-section' });
      factory = inNamespace(lab, nsFuzz, '10.203.68.1', 'xl2tpd');
    }, 30_000);

    afterAll(async () => {
      await lab?.destroy();
    });

    replaysAsFound('xl2tpd', (q) => factory(q));
  },
);

const l2tpnsSkip = labSkipReason(['l2tpns', 'freeradius', 'ss', 'mount']);
describe.skipIf(l2tpnsSkip !== undefined)(
  `peer findings against l2tpns${l2tpnsSkip ? ` (skipped: ${l2tpnsSkip})` : ''}: each still reproduces`,
  () => {
    let lab: NetLab;
    let factory: (quietMs: number) => FuzzTargetFactory = () => {
      throw new Error('l2tpns did not start');
    };

    beforeAll(async () => {
      lab = new NetLab('fl');
      const nsLns = lab.addNamespace();
      const nsFuzz = lab.addNamespace();
      lab.addVeth({ ns: nsLns, address: '10.203.69.1/24' }, { ns: nsFuzz, address: '10.203.69.2/24' });
      await startL2tpns(lab, {
        ns: nsLns,
        bindAddress: '10.203.69.1',
        secret: 'fl-nsecret',
        tunAddress: '10.203.69.129',
        pool: '10.203.70.0/24',
        hostName: 'n-lns',
      });
      factory = inNamespace(lab, nsFuzz, '10.203.69.1', 'l2tpns');
    }, 30_000);

    afterAll(async () => {
      await lab?.destroy();
    });

    replaysAsFound('l2tpns', (q) => factory(q));
  },
);
