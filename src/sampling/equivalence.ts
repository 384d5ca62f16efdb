// The sampler law, as a pure predicate for the property library: with the same seed, a candidate
// sampler (e.g. cached) and the reference (naive: rerun the whole network per value) produce
// identical images, and their logits agree at every step to `tolerance` (|a − b| ≤ tol·max(1, |a|)).
//
// Both run in lockstep, each drawing from its own random streams (seeded alike), so a candidate that
// drifts is caught at the first step where its logits or its draws differ.

import type { AutoregressiveModel } from '../model.js';
import { drawValue } from './draw.js';
import { naiveSampler } from './naive.js';
import { makeSampler } from './registry.js';
import { imageRng } from './session.js';
import type { IncrementalSampler, SamplerFactory } from './types.js';

export interface EquivalenceOptions {
  readonly batch?: number; // default 2
  readonly seed?: number; // default 0
  readonly temperature?: number; // default 1
  /** Image completion: rows < keepRows are taken from `known` (default 0). */
  readonly keepRows?: number;
  readonly known?: readonly Uint8Array[];
  readonly tolerance?: number; // default 1e-4
}

export interface EquivalenceReport {
  readonly ok: boolean;
  readonly steps: number; // positions compared
  readonly maxLogitDiff: number;
  readonly imagesEqual: boolean;
  /** Where and how the first disagreement showed, or null. */
  readonly failure: string | null;
}

/** Run `candidate` against `reference` over whole images and report the first disagreement. */
export const compareSamplers = (
  model: AutoregressiveModel,
  reference: SamplerFactory,
  candidate: SamplerFactory,
  options: EquivalenceOptions = {},
): EquivalenceReport => {
  const { height: H, width: W, channels: C, levels: K } = model.spec;
  const B = options.batch ?? 2;
  const seed = options.seed ?? 0;
  const temperature = options.temperature ?? 1;
  const keepRows = options.keepRows ?? 0;
  const tol = options.tolerance ?? 1e-4;
  const runs: [IncrementalSampler, IncrementalSampler] = [reference(model, B), candidate(model, B)];
  const rngs = [0, 1].map(() => Array.from({ length: B }, (_, b) => imageRng(seed, b)));
  let steps = 0;
  let maxLogitDiff = 0;
  try {
    const values = [new Float32Array(B), new Float32Array(B)] as const;
    for (let i = 0; i < keepRows; i++)
      for (let j = 0; j < W; j++)
        for (let c = 0; c < C; c++) {
          for (let b = 0; b < B; b++) values[0][b] = options.known![b]![(i * W + j) * C + c]!;
          runs.forEach((s) => s.commit(i, j, c, values[0]));
        }
    for (let i = keepRows; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let c = 0; c < C; c++) {
          const la = runs[0].logitsAt(i, j, c);
          const lb = runs[1].logitsAt(i, j, c);
          steps++;
          for (let n = 0; n < la.length; n++) {
            const d = Math.abs(la[n]! - lb[n]!);
            if (!(d <= tol * Math.max(1, Math.abs(la[n]!)))) {
              const failure = `logits differ at (row ${i}, col ${j}, channel ${c}), image ${Math.floor(n / K)}, level ${n % K}: ${la[n]} vs ${lb[n]}`;
              return { ok: false, steps, maxLogitDiff: Math.max(maxLogitDiff, d), imagesEqual: false, failure };
            }
            if (d > maxLogitDiff) maxLogitDiff = d;
          }
          for (let b = 0; b < B; b++) {
            values[0][b] = drawValue(la, b * K, K, temperature, rngs[0]![b]!).value;
            values[1][b] = drawValue(lb, b * K, K, temperature, rngs[1]![b]!).value;
            if (values[0][b] !== values[1][b]) {
              const failure = `values differ at (row ${i}, col ${j}, channel ${c}), image ${b}: ${values[0][b]} vs ${values[1][b]}`;
              return { ok: false, steps, maxLogitDiff, imagesEqual: false, failure };
            }
          }
          runs[0].commit(i, j, c, values[0]);
          runs[1].commit(i, j, c, values[1]);
        }
    return { ok: true, steps, maxLogitDiff, imagesEqual: true, failure: null };
  } finally {
    runs.forEach((s) => s.dispose());
  }
};

/** The law for one model: its family's cached sampler agrees with rerunning the network. */
export const cachedMatchesNaive = (model: AutoregressiveModel, options: EquivalenceOptions = {}): EquivalenceReport =>
  compareSamplers(model, naiveSampler, (m, b) => makeSampler(m, b, true), options);

/** Predicate form for fast-check: true when the cached sampler agrees with the naive one. */
export const cachedSamplerAgrees = (model: AutoregressiveModel, options: EquivalenceOptions = {}): boolean =>
  cachedMatchesNaive(model, options).ok;

/**
 * A deliberately broken sampler for negative controls: it sees each committed value one step late
 * (channel c at a pixel does not see channel c − 1; with C = 1, a pixel does not see its left
 * neighbour). The law must reject it.
 */
export const laggedSampler =
  (inner: SamplerFactory): SamplerFactory =>
  (model, batch) => {
    const s = inner(model, batch);
    let pending: { i: number; j: number; c: number; values: Float32Array } | null = null;
    return {
      batch,
      kind: `lagged-${s.kind}`,
      logitsAt: (i, j, c) => s.logitsAt(i, j, c),
      commit: (i, j, c, values) => {
        if (pending) s.commit(pending.i, pending.j, pending.c, pending.values);
        pending = { i, j, c, values: Float32Array.from(values) };
      },
      dispose: () => s.dispose(),
    };
  };
