// The fuzz loop: generate case N from (seed, N), run it, judge it, shrink any failure on fresh
// targets to a minimal case, and hand it out as a replayable SavedCase. Also replays saved cases.
// Related: generate.ts, conversation.ts (oracles), shrink.ts, src/cli/fuzz.ts (the command).
import { seededRandom } from '../core/seeded-random.js';
import { runCase } from './conversation.js';
import type { Finding, FuzzCase, SavedCase, WireRecord } from './fuzz-case.js';
import { generateCase } from './generate.js';
import { shrinkCase } from './shrink.js';
import type { FuzzTarget, FuzzTargetFactory } from './target.js';

/** Options of a fuzz run. */
export interface FuzzOptions {
  /** A fresh target per call (in-process: a new engine; UDP: the same remote, new sockets). */
  readonly factory: FuzzTargetFactory;
  readonly seed: number;
  /** Stop after this many cases (default: unbounded, then `durationMs` must be set). */
  readonly cases?: number;
  /** Stop after this much wall-clock time; needs `clock`. */
  readonly durationMs?: number;
  /** Wall-clock milliseconds (injected: the fuzz layer reads no clock itself). */
  readonly clock?: () => number;
  readonly secret?: Uint8Array;
  /** See RunOptions.livenessThrough. */
  readonly livenessThrough?: 'icrp' | 'iccn';
  readonly shrinkBudget?: number;
  /** Stop after this many distinct findings (default 5). */
  readonly maxFindings?: number;
  readonly onProgress?: (p: { readonly done: number; readonly findings: number }) => void;
  readonly onFinding?: (f: SavedCase) => void | Promise<void>;
}

/** What a run did. */
export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly cases: number;
  readonly findings: readonly SavedCase[];
  /** Cases per family, for the summary. */
  readonly families: Readonly<Record<string, number>>;
}

/** A case's own seed, derived from the run seed and the case index (so case N replays alone). */
export function caseSeed(runSeed: number, index: number): number {
  return (Math.imul(runSeed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

/** The Random a case's run uses (separate from its generator's, so a shrunk case keeps its IDs). */
export const runRandom = (seed: number, index: number) => seededRandom(caseSeed(seed, index) ^ 0x5bd1e995);

/** Runs cases until `cases`/`durationMs`/`maxFindings` says stop. */
export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  if (o.cases === undefined && (o.durationMs === undefined || o.clock === undefined)) {
    throw new RangeError('fuzz: give cases, or durationMs with a clock');
  }
  const started = o.clock?.() ?? 0;
  const findings: SavedCase[] = [];
  const seen = new Set<string>();
  const families: Record<string, number> = {};
  let target: FuzzTarget = await o.factory();
  let done = 0;
  const secretOpt = runExtras(o);
  for (let index = 0; ; index++) {
    if (o.cases !== undefined && done >= o.cases) break;
    if (o.durationMs !== undefined && o.clock !== undefined && o.clock() - started >= o.durationMs) break;
    if (findings.length >= (o.maxFindings ?? 5)) break;
    const c = generateCase(seededRandom(caseSeed(o.seed, index)));
    families[c.family] = (families[c.family] ?? 0) + 1;
    const r = await runCase(target, c, { random: runRandom(o.seed, index), ...secretOpt });
    done++;
    o.onProgress?.({ done, findings: findings.length });
    if (r.finding === undefined) continue;
    await target.close();
    const key = `${r.finding.kind}:${r.finding.message.replace(/\d+/g, 'N').slice(0, 80)}`;
    if (!seen.has(key)) {
      seen.add(key);
      const saved = await minimize(o, target.description, index, c, r.finding);
      findings.push(saved);
      await o.onFinding?.(saved);
    }
    target = await o.factory();
  }
  await target.close();
  return { target: target.description, seed: o.seed, cases: done, findings, families };
}

/** The RunOptions a FuzzOptions carries besides the Random. */
function runExtras(o: Pick<FuzzOptions, 'secret' | 'livenessThrough'>) {
  return {
    ...(o.secret !== undefined ? { secret: o.secret } : {}),
    ...(o.livenessThrough !== undefined ? { livenessThrough: o.livenessThrough } : {}),
  };
}

/** Shrinks a failing case on fresh targets (same finding kind) and packs it as a SavedCase. */
async function minimize(
  o: FuzzOptions,
  description: string,
  index: number,
  c: FuzzCase,
  f: Finding,
): Promise<SavedCase> {
  const secretOpt = runExtras(o);
  let salt = 0;
  const attempt = async (cand: FuzzCase) => {
    const t = await o.factory();
    // Fresh Tunnel/Session IDs per attempt: a real peer still holds the earlier attempts' tunnels and
    // would take a repeated (address, Assigned Tunnel ID) for a retransmission.
    const random =
      salt++ === 0 ? runRandom(o.seed, index) : seededRandom(caseSeed(o.seed, index) ^ (salt * 0x27d4eb2f));
    try {
      return await runCase(t, cand, { random, ...secretOpt });
    } finally {
      await t.close();
    }
  };
  const alone = await attempt(c);
  let best = c;
  let finding = f;
  let note: string | undefined;
  if (alone.finding?.kind === f.kind) {
    best = await shrinkCase(c, async (cand) => (await attempt(cand)).finding?.kind === f.kind, o.shrinkBudget ?? 400);
  } else {
    note = 'does not reproduce on a fresh target (depends on earlier cases); saved unshrunk';
  }
  const final = await attempt(best);
  if (final.finding !== undefined && final.finding.kind === f.kind) finding = final.finding;
  return {
    format: 'l2tp-ts-fuzz-case/1',
    target: description,
    seed: o.seed,
    caseIndex: index,
    ...(o.secret !== undefined ? { secret: new TextDecoder().decode(o.secret) } : {}),
    expect: note === undefined ? finding : { ...finding, message: `${finding.message} [${note}]` },
    case: best,
    wire: final.wire,
  };
}

/** Replays a saved case on a fresh target; returns the finding it produced now (undefined: it passes). */
export async function replay(
  factory: FuzzTargetFactory,
  saved: SavedCase,
  extras: Pick<FuzzOptions, 'livenessThrough'> = {},
): Promise<{ finding?: Finding; reproduced: boolean; wire: SavedCase['wire'] }> {
  const t = await factory();
  try {
    const secret = saved.secret !== undefined ? { secret: new TextEncoder().encode(saved.secret) } : {};
    const r = await runCase(t, saved.case, { random: runRandom(saved.seed, saved.caseIndex), ...secret, ...extras });
    return {
      ...(r.finding !== undefined ? { finding: r.finding } : {}),
      reproduced: r.finding?.kind === saved.expect.kind,
      wire: r.wire,
    };
  } finally {
    await t.close();
  }
}

/** One line per datagram of a saved case, for humans. */
export function describeWire(saved: Pick<SavedCase, 'wire'>): string {
  return saved.wire
    .map(
      (w) =>
        `${w.dir === 'sent' ? '→' : '←'} [${w.step}] ${w.summary}  ${w.hex.length > 96 ? `${w.hex.slice(0, 96)}…` : w.hex}`,
    )
    .join('\n');
}

/**
 * Per step, the replies' message kinds (the summary's first word: SCCRP, ZLB, StopCCN…) recorded vs
 * now; one line per step that differs. Header values (tunnel ids, Ns/Nr) differ run to run, kinds must not.
 */
export function compareReplies(recorded: readonly WireRecord[], now: readonly WireRecord[]): string[] {
  const kinds = (w: readonly WireRecord[]): Map<number, string[]> => {
    const m = new Map<number, string[]>();
    for (const r of w) {
      if (r.dir !== 'received') continue;
      const list = m.get(r.step) ?? [];
      list.push(r.summary.replace(/^liveness: /, '').split(' ')[0] ?? '?');
      m.set(r.step, list);
    }
    return m;
  };
  const a = kinds(recorded);
  const b = kinds(now);
  const steps = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  const out: string[] = [];
  for (const step of steps) {
    const was = (a.get(step) ?? []).join(' ') || '(nothing)';
    const is = (b.get(step) ?? []).join(' ') || '(nothing)';
    if (was !== is) out.push(`step ${step}: recorded ${was}, now ${is}`);
  }
  return out;
}
