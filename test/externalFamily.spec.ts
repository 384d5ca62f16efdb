// A family from outside: defined entirely in this file — spec codec, preset, network, and a
// likelihood of its own (a discretized Gaussian over the K levels, which no file of the project
// knows) — registered through the public API only, then trained, evaluated, checkpointed and
// reloaded, sampled, and put through every law of the property library. A broken twin (it peeks at
// the value it predicts) must fail the laws: the negative control.

import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as io from 'io-ts';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  baseSpecFields,
  bindModel,
  decodeSpec,
  defaultOptimizer,
  disposeAll,
  epochs,
  evaluationStream,
  familyNames,
  fromCheckpoint,
  initModel,
  initTrainState,
  loadCheckpoint,
  registerFamily,
  registerLikelihood,
  sampleImages,
  saveCheckpoint,
  strictType,
  tf,
  toCheckpoint,
  train,
  type ImageSet,
  type Likelihood,
  type ModelFamily,
} from '../index.js';
import { checkAll, failures } from '../props/index.js';

// ── its likelihood: p(k) ∝ exp(−(k − μ)² / 2s²) over the levels, μ = the head's one feature ──────

const gaussianLevels = (levels: number, spread: number): Likelihood => {
  const ks = () => tf.range(0, levels); //                                                   [K]
  const logProbs = (head: tf.Tensor4D) =>
    tf.tidy(() => {
      const [b, h, w] = head.shape;
      const mu = tf.reshape(head, [b, h, w, 1, 1]); //                                      [B, H, W, 1, 1]
      const energy = tf.div(tf.square(tf.sub(ks(), mu)), -2 * spread * spread); //         [B, H, W, 1, K]
      return tf.logSoftmax(energy) as tf.Tensor5D; //                                        [B, H, W, 1, K]
    });
  return {
    kind: 'gaussian-levels',
    featuresPerChannel: 1,
    temperatureMeaning: 'the spread is multiplied by the temperature; 0 takes the nearest level',
    nll: (head, x) =>
      tf.tidy(() => {
        const picked = tf.mul(logProbs(head), tf.oneHot(tf.cast(x, 'int32'), levels)); //   [B, H, W, 1, K]
        return tf.neg(tf.sum(picked, [1, 2, 3, 4])) as tf.Tensor1D; //                       [B]
      }),
    logProbs,
    draw: (head, offset, _c, _pixel, _at, temperature, rng) => {
      const mu = head[offset]!;
      const u = rng.uniform();
      const p = Array.from({ length: levels }, (_, k) => Math.exp(-((k - mu) ** 2) / (2 * spread * spread)));
      const z = p.reduce((a, v) => a + v, 0);
      const nearest = Math.min(levels - 1, Math.max(0, Math.round(mu)));
      if (!(temperature > 0)) return { value: nearest, probability: p[nearest]! / z };
      const pt = p.map((v) => v ** (1 / (temperature * temperature)));
      let r = u * pt.reduce((a, v) => a + v, 0);
      for (let k = 0; k < levels; k++) if ((r -= pt[k]!) < 0) return { value: k, probability: p[k]! / z };
      return { value: levels - 1, probability: p[levels - 1]! / z };
    },
  };
};

registerLikelihood({
  kind: 'gaussian-levels',
  summary: 'a discretized Gaussian over the levels (test only)',
  check: (spec, shape) => [
    ...(shape.channels !== 1 ? [`likelihood: 'gaussian-levels' models one channel, found ${shape.channels}`] : []),
    ...(typeof spec.spread === 'number' && spec.spread > 0 ? [] : [`likelihood.spread: expected a number > 0, found ${JSON.stringify(spec.spread)}`]),
  ],
  make: (spec, shape) => gaussianLevels(shape.levels, spec.spread as number),
});

// ── its family: μ(i, j) = a · x(i, j−1) + b, from the pixel to the left ─────────────────────────

const LeftNeighbourCodec = strictType({ family: io.literal('left-neighbour'), ...baseSpecFields, peek: io.boolean }, 'LeftNeighbourSpec');
type LeftNeighbourSpec = io.TypeOf<typeof LeftNeighbourCodec>;

const leftNeighbour: ModelFamily<LeftNeighbourSpec> = {
  family: 'left-neighbour',
  label: 'Left neighbour',
  summary: 'each value from the pixel to its left (test only)',
  codec: LeftNeighbourCodec,
  rules: (s) => (s.channels === 1 ? [] : [`channels: expected 1, found ${s.channels}`]),
  presets: {
    tiny: (img) => ({ family: 'left-neighbour', ...img, likelihood: { kind: 'gaussian-levels', spread: 1.5 }, peek: false }),
  },
  shapes: () => ({ a: [1], b: [1] }),
  init: () => ({ a: tf.tensor1d([0.2]), b: tf.tensor1d([0.5]) }),
  forward: (s, params, x) =>
    tf.tidy(() => {
      const [b, h, w, c] = x.shape;
      const left = tf.pad(tf.slice(x, [0, 0, 0, 0], [b, h, w - 1, c]), [[0, 0], [0, 0], [1, 0], [0, 0]]); // [B, H, W, 1]
      const seen = s.peek ? x : left; //                                                                      [B, H, W, 1]
      return tf.add(tf.mul(seen, params.a!), params.b!) as tf.Tensor4D; //                                   [B, H, W, 1]  μ
    }),
};

registerFamily(leftNeighbour);

const shape = { height: 3, width: 4, channels: 1 as const, levels: 4 };
const spec = leftNeighbour.presets.tiny!(shape);
/** Rows that drift right: each value is its left neighbour + 1, so μ = x_left + 1 is learnable. */
const set: ImageSet = {
  name: 'ramps',
  shape,
  records: Array.from({ length: 64 }, (_, n) => ({
    index: n,
    pixels: Uint8Array.from({ length: 12 }, (_, q) => Math.min(3, (q % 4) + (n % 2))),
  })),
};
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('a family defined outside the project', () => {
  it('is registered: its specs decode (unknown keys and likelihood rules included)', () => {
    expect(familyNames()).toContain('left-neighbour');
    expect(E.isRight(decodeSpec(spec))).toBe(true);
    const typo = decodeSpec({ ...spec, peak: true });
    expect(E.isLeft(typo) && typo.left.message).toMatch(/unknown key 'peak' \(did you mean 'peek'\?\)/);
    const bad = decodeSpec({ ...spec, likelihood: { kind: 'gaussian-levels', spread: -1 } });
    expect(E.isLeft(bad) && bad.left.message).toMatch(/likelihood\.spread: expected a number > 0, found -1/);
  });

  it('trains, evaluates, checkpoints and reloads, and samples', async () => {
    const before = tf.memory().numTensors;
    const initial = initTrainState(spec, initModel(spec, 1).params, defaultOptimizer('adam', 0.05));
    const events = await lastValueFrom(epochs(set, { batchSize: 16, seed: 1, maxSteps: 60 }).pipe(train(initial), toArray()));
    const [first, last] = [events[0]!.metrics, events.at(-1)!.metrics];
    expect(last.step).toBe(60);
    expect(last.loss).toBeLessThan(first.loss * 0.8);
    const state = events.at(-1)!.state;
    const a = state.params.a!.dataSync()[0]!;
    expect(a).toBeGreaterThan(0.5); // it learnt to follow the left neighbour

    const { meanNll } = await lastValueFrom(evaluationStream(bindModel(spec, state.params), set, 32));
    expect(meanNll).toBeLessThan(first.loss);

    const dir = mkdtempSync(join(tmpdir(), 'external-family-'));
    dirs.push(dir);
    const saved = saveCheckpoint(dir, toCheckpoint(state, { note: 'external' }));
    expect(E.isRight(saved)).toBe(true);
    const loaded = loadCheckpoint(E.isRight(saved) ? saved.right : '', { expectSpec: spec });
    if (E.isLeft(loaded)) throw loaded.left;
    expect(loaded.right.spec).toEqual(spec);
    expect(Array.from(loaded.right.params.a!.dataSync())).toEqual([a]);
    const resumed = fromCheckpoint(loaded.right);

    const model = bindModel(resumed.spec, resumed.params);
    const images = await sampleImages(model, { count: 4, seed: 3 });
    expect(images).toHaveLength(4);
    expect(images.every((im) => im.length === 12 && im.every((v) => v < 4))).toBe(true);
    expect(await sampleImages(model, { count: 4, seed: 3, cached: true })).toEqual(images); // no cached sampler: naive either way
    disposeAll(state.params, state.slots, resumed.params, resumed.slots);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('passes every law of the property library; the twin that peeks at its own value fails them', async () => {
    const small = { ...spec, height: 2, width: 2 }; // 4⁴ = 256 images: every law runs, normalisation and sampler agreement included
    const honest = initModel(small, 1);
    const report = await checkAll(honest);
    expect(Object.keys(report).sort()).toEqual(['causality', 'channel-order', 'determinism', 'normalisation', 'sampler-agreement']);
    expect(failures(report)).toEqual([]);
    const peeking = initModel({ ...small, peek: true }, 1);
    const broken = failures(await checkAll(peeking));
    expect(broken.some((f) => f.startsWith('causality:'))).toBe(true);
    disposeAll(honest.params, peeking.params);
  });
});
