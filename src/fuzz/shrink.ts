// Shrinking a failing case to a minimal one that still fails the same way: delta debugging
// (Zeller's ddmin) over the steps, then over each step's mutations and raw bytes.
// Related: fuzzer.ts (calls it with a fresh target per attempt), fuzz-case.ts.
import type { FuzzCase, FuzzStep } from './fuzz-case.js';

/** Does this candidate still fail the same way? */
export type Reproduces = (c: FuzzCase) => Promise<boolean>;

/** The smallest case found within `budget` attempts that still reproduces (the input if none does). */
export async function shrinkCase(c: FuzzCase, reproduces: Reproduces, budget = 400): Promise<FuzzCase> {
  let best = c;
  let attempts = 0;
  const attempt = async (steps: readonly FuzzStep[]): Promise<boolean> => {
    if (attempts >= budget) return false;
    attempts++;
    const candidate = { family: best.family, steps };
    if (await reproduces(candidate)) {
      best = candidate;
      return true;
    }
    return false;
  };
  // No steps at all: the target fails the liveness/health oracles on its own.
  if (best.steps.length > 0 && (await attempt([]))) return best;
  let progress = true;
  while (progress && attempts < budget) {
    progress = false;
    // ddmin over steps: drop chunks, large first.
    for (let size = best.steps.length >> 1 || 1; size >= 1; size >>= 1) {
      for (let at = 0; at < best.steps.length; ) {
        const steps = [...best.steps.slice(0, at), ...best.steps.slice(at + size)];
        if (await attempt(steps)) progress = true;
        else at += size;
      }
      if (size === 1) break;
    }
    // Each step: fewer mutations, shorter raw bytes.
    for (let i = 0; i < best.steps.length; i++) {
      for (const simpler of simplerSteps(best.steps[i]!)) {
        const steps = best.steps.slice();
        steps[i] = simpler;
        if (await attempt(steps)) {
          progress = true;
          break;
        }
      }
    }
  }
  return best;
}

/** Simpler variants of one step, simplest first. */
function simplerSteps(s: FuzzStep): FuzzStep[] {
  const out: FuzzStep[] = [];
  if (s.kind === 'garbage') {
    const n = s.hex.length >> 1;
    if (n > 0)
      out.push(
        { kind: 'garbage', hex: s.hex.slice(0, (n >> 1) * 2) },
        { kind: 'garbage', hex: s.hex.slice(0, (n - 1) * 2) },
      );
    return out;
  }
  if (s.kind === 'data') {
    if (s.payloadHex.length > 0) out.push({ ...s, payloadHex: '' });
    return out;
  }
  if (s.kind === 'repeat') return out;
  const ms = s.mutations ?? [];
  if (ms.length === 0) return out;
  for (let i = 0; i < ms.length; i++) out.push({ kind: s.kind, mutations: [...ms.slice(0, i), ...ms.slice(i + 1)] });
  return out;
}
