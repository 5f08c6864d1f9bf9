// The per-second samples and CPS summary of `l2tp-ts bench` from up/fail times, and the latency
// percentiles beside them. Related: src/lac/setup-samples.ts, src/lac/load-scheduler.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentiles } from '../../src/lac/load-scheduler.js';
import { setupSamples } from '../../src/lac/setup-samples.js';

describe('setupSamples', () => {
  it('counts each second (t−1, t], cumulative up/failed/pending, and cps over full seconds only', () => {
    const r = setupSamples({
      requested: 10,
      startedAt: 100,
      endedAt: 3600, // 3.5 s: three full seconds and a partial one
      upAt: [100, 600, 1100, 1300, 1350, 2100, 3200, 3500],
      failedAt: [2500],
    });
    expect(r.samples).toEqual([
      // 100 (the start itself) and 600 are in second 1; 1100 = start + 1 s exactly is still second 1.
      { t: 1, up: 3, pending: 7, failed: 0, cps: 3 },
      { t: 2, up: 6, pending: 4, failed: 0, cps: 3 },
      { t: 3, up: 6, pending: 3, failed: 1, cps: 0 },
      // The partial last half second: t is the elapsed time, cps not scaled, and not in the summary.
      { t: 3.5, up: 8, pending: 1, failed: 1, cps: 2 },
    ]);
    expect(r.cps).toEqual({ min: 0, avg: 2, max: 3 });
  });

  it('a run of whole seconds has no partial sample; an up at the very end is in the last second', () => {
    const r = setupSamples({ requested: 2, startedAt: 0, endedAt: 2000, upAt: [2000, 500], failedAt: [] });
    expect(r.samples.map((s) => [s.t, s.cps])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(r.cps).toEqual({ min: 1, avg: 1, max: 1 });
  });

  it('a run shorter than a second: one partial sample, cps summary = up ÷ elapsed seconds', () => {
    const r = setupSamples({ requested: 5, startedAt: 0, endedAt: 250, upAt: [100, 200, 250], failedAt: [50] });
    expect(r.samples).toEqual([{ t: 0.25, up: 3, pending: 1, failed: 1, cps: 3 }]);
    expect(r.cps).toEqual({ min: 12, avg: 12, max: 12 });
  });

  it('a run of no time: one sample at t = 0 with the final counters; nothing up gives cps 0', () => {
    expect(setupSamples({ requested: 3, startedAt: 7, endedAt: 7, upAt: [], failedAt: [7, 7, 7] })).toEqual({
      samples: [{ t: 0, up: 0, pending: 0, failed: 3, cps: 0 }],
      cps: { min: 0, avg: 0, max: 0 },
    });
  });

  it('failedCount: several sessions failing at one time (a refused tunnel) count as that many', () => {
    const r = setupSamples({
      requested: 300,
      startedAt: 0,
      endedAt: 1500,
      upAt: [10],
      failedAt: [20, 1200],
      failedCount: [100, 199],
    });
    expect(r.samples).toEqual([
      { t: 1, up: 1, pending: 199, failed: 100, cps: 1 },
      { t: 1.5, up: 1, pending: 0, failed: 299, cps: 0 },
    ]);
  });

  it('an event after endedAt extends the run rather than being lost', () => {
    const r = setupSamples({ requested: 1, startedAt: 0, endedAt: 900, upAt: [1400], failedAt: [] });
    expect(r.samples.at(-1)).toEqual({ t: 1.4, up: 1, pending: 0, failed: 0, cps: 1 });
  });

  it('property: Σ cps = ups, the last sample holds the totals, up never falls, min ≤ avg ≤ max', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 300 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 100 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 50 }),
        (startedAt, ups, fails, runMs, spare) => {
          const upAt = ups.map((x) => startedAt + x);
          const failedAt = fails.map((x) => startedAt + x);
          const requested = ups.length + fails.length + spare;
          const { samples, cps } = setupSamples({ requested, startedAt, endedAt: startedAt + runMs, upAt, failedAt });
          expect(samples.reduce((a, s) => a + s.cps, 0)).toBe(ups.length);
          expect(samples.at(-1)).toMatchObject({ up: ups.length, failed: fails.length, pending: spare });
          for (let i = 1; i < samples.length; i++) {
            expect(samples[i]!.up).toBeGreaterThanOrEqual(samples[i - 1]!.up);
            expect(samples[i]!.t).toBeGreaterThan(samples[i - 1]!.t);
          }
          // Every sample but a partial last one sits on a whole second.
          for (const s of samples.slice(0, -1)) expect(Number.isInteger(s.t)).toBe(true);
          expect(cps.min).toBeLessThanOrEqual(cps.avg + 1e-9);
          expect(cps.avg).toBeLessThanOrEqual(cps.max + 1e-9);
          const full = samples.filter((s) => Number.isInteger(s.t) && s.t > 0);
          if (full.length > 0) expect(cps.max).toBe(Math.max(...full.map((s) => s.cps)));
        },
      ),
      { seed: 0x14b1, numRuns: 500 },
    );
  });
});

describe('percentiles (setup latency)', () => {
  it('nearest rank: p50/p90/p99/max of 1..100 ms', () => {
    const r = percentiles(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(r).toMatchObject({ n: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
    expect(percentiles([])).toMatchObject({ n: 0, p50: 0, max: 0 });
  });

  it('property: p50 ≤ p90 ≤ p99 ≤ max, each one of the values', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), (v) => {
        const p = percentiles(v);
        expect(p.p50).toBeLessThanOrEqual(p.p90);
        expect(p.p90).toBeLessThanOrEqual(p.p99);
        expect(p.p99).toBeLessThanOrEqual(p.max);
        for (const x of [p.p50, p.p90, p.p99, p.max]) expect(v).toContain(x);
      }),
      { seed: 0x14b2, numRuns: 300 },
    );
  });
});
