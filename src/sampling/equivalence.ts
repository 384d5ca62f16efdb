// The sampler law, as a pure predicate for the property library: with the same seed, a candidate
// sampler (e.g. cached) and the reference (naive: rerun the whole network per value) produce
// identical images, and the head block each step computes (channel c's features) agrees at every step
// to `tolerance` (|a − b| ≤ tol·max(1, |a|)). Both walk the family's sampling order.
//
// Both run in lockstep, each drawing from its own random streams (seeded alike), so a candidate that
// drifts is caught at the first step where its logits or its draws differ.

import type { AutoregressiveModel } from '../model.js';
import { naiveSampler } from './naive.js';
import { positionOf } from './order.js';
import { imageRng, samplerFor, samplingOrderOf } from './session.js';
import type { IncrementalSampler, SamplerFactory } from './types.js';

export interface EquivalenceOptions {
  readonly batch?: number; // default 2
  readonly seed?: number; // default 0
  readonly temperature?: number; // default 1
  /** Image completion: rows < keepRows are taken from `known` (default 0). */
  readonly keepRows?: number;
  readonly known?: readonly Uint8Array[];
  readonly tolerance?: number; // default 1e-4
  /** One class per image of the batch, for a class-conditional model. */
  readonly labels?: Int32Array;
}

export interface EquivalenceReport {
  readonly ok: boolean;
  readonly steps: number; // positions compared
  readonly maxHeadDiff: number;
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
  const { width: W, channels: C } = model.spec;
  const F = model.likelihood.featuresPerChannel;
  const P = C * F;
  const B = options.batch ?? 2;
  const seed = options.seed ?? 0;
  const temperature = options.temperature ?? 1;
  const keepRows = options.keepRows ?? 0;
  const tol = options.tolerance ?? 1e-4;
  const runs: [IncrementalSampler, IncrementalSampler] = [reference(model, B, options.labels), candidate(model, B, options.labels)];
  const rngs = [0, 1].map(() => Array.from({ length: B }, (_, b) => imageRng(seed, b)));
  const images = [0, 1].map(() => Array.from({ length: B }, (_, b) => Uint8Array.from(options.known?.[b] ?? new Uint8Array(model.spec.height * W * C))));
  let steps = 0;
  let maxHeadDiff = 0;
  try {
    const values = [new Float32Array(B), new Float32Array(B)] as const;
    for (const q of samplingOrderOf(model)) {
      const { i, j, c } = positionOf(model.spec, q);
      if (i < keepRows) {
        for (let b = 0; b < B; b++) values[0][b] = options.known![b]![q]!;
        runs.forEach((s) => s.commit(i, j, c, values[0]));
        continue;
      }
      const ha = runs[0].headAt(i, j, c);
      const hb = runs[1].headAt(i, j, c);
      steps++;
      for (let b = 0; b < B; b++)
        for (let f = c * F; f < (c + 1) * F; f++) {
          const [x, y] = [ha[b * P + f]!, hb[b * P + f]!];
          const d = Math.abs(x - y);
          if (!(d <= tol * Math.max(1, Math.abs(x)))) {
            const failure = `heads differ at (row ${i}, col ${j}, channel ${c}), image ${b}, feature ${f}: ${x} vs ${y}`;
            return { ok: false, steps, maxHeadDiff: Math.max(maxHeadDiff, d), imagesEqual: false, failure };
          }
          if (d > maxHeadDiff) maxHeadDiff = d;
        }
      for (let b = 0; b < B; b++) {
        for (const r of [0, 1] as const) {
          values[r][b] = model.likelihood.draw(r === 0 ? ha : hb, b * P, c, images[r]![b]!, q - c, temperature, rngs[r]![b]!).value;
          images[r]![b]![q] = values[r][b]!;
        }
        if (values[0][b] !== values[1][b]) {
          const failure = `values differ at (row ${i}, col ${j}, channel ${c}), image ${b}: ${values[0][b]} vs ${values[1][b]}`;
          return { ok: false, steps, maxHeadDiff, imagesEqual: false, failure };
        }
      }
      runs[0].commit(i, j, c, values[0]);
      runs[1].commit(i, j, c, values[1]);
    }
    return { ok: true, steps, maxHeadDiff, imagesEqual: true, failure: null };
  } finally {
    runs.forEach((s) => s.dispose());
  }
};

/** The law for one model: its family's cached sampler agrees with rerunning the network. */
export const cachedMatchesNaive = (model: AutoregressiveModel, options: EquivalenceOptions = {}): EquivalenceReport =>
  compareSamplers(model, naiveSampler, samplerFor(model, true), options);

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
  (model, batch, labels) => {
    const s = inner(model, batch, labels);
    let pending: { i: number; j: number; c: number; values: Float32Array } | null = null;
    return {
      batch,
      kind: `lagged-${s.kind}`,
      headAt: (i, j, c) => s.headAt(i, j, c),
      commit: (i, j, c, values) => {
        if (pending) s.commit(pending.i, pending.j, pending.c, pending.values);
        pending = { i, j, c, values: Float32Array.from(values) };
      },
      dispose: () => s.dispose(),
    };
  };
