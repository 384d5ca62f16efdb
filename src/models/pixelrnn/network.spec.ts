import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { likelihoodFor } from '../../likelihoods/index.js';
import { logProbsOf, type AutoregressiveModel, type Preset } from '../../model.js';
import { tf, type Tensor4D } from '../../tf.js';
import { defaultOptimizer } from '../../train/optimizers.js';
import { disposeAll, initTrainState, trainStep } from '../../train/step.js';
import { tinyDiagonalBiLstmSpec } from '../diagonalBiLstm/index.js';
import { decodeSpec, familyOf, initModel, presetFor } from '../registry.js';
import { tinyRowLstmSpec } from '../rowLstm/index.js';
import type { RecurrentSpec } from './network.js';

/** 'mnist-row-lstm' → the row-lstm family's 'mnist' preset. */
const presetNamed = (name: string): Preset => {
  const family = ['row-lstm', 'diagonal-bilstm', 'multiscale'].find((f) => name.endsWith(`-${f}`))!;
  const p = presetFor(family, name.slice(0, -family.length - 1));
  if (E.isLeft(p)) throw p.left;
  return p.right;
};

const opts = { convImpl: 'gather' as const };

/** A fixed pseudo-random image of levels, [1, H, W, C]. */
const imageOf = (H: number, W: number, C: number, K: number, seed: number): Float32Array =>
  Float32Array.from({ length: H * W * C }, (_, i) => (i * 7 + seed * 13 + ((i * i) % 5)) % K);

/**
 * For every position q = (i', j', c') of one image, whether the logits at position p change when the
 * value at q changes: dep[p][q]. One batched forward pass over the image and its H·W·C perturbations.
 */
const dependence = (model: AutoregressiveModel, seed = 1): boolean[][] => {
  const { height: H, width: W, channels: C, levels: K } = model.spec;
  const n = H * W * C;
  const base = imageOf(H, W, C, K, seed);
  const batch = new Float32Array((n + 1) * n);
  batch.set(base, 0);
  for (let q = 0; q < n; q++) {
    batch.set(base, (q + 1) * n);
    batch[(q + 1) * n + q] = (base[q]! + 1) % K;
  }
  const logits = tf.tidy(() => logProbsOf(model, tf.tensor4d(batch, [n + 1, H, W, C]) as Tensor4D));
  const y = logits.dataSync();
  logits.dispose();
  const per = n * K;
  return Array.from({ length: n }, (_, p) =>
    Array.from({ length: n }, (_, q) => {
      let moved = 0;
      for (let k = 0; k < K; k++) moved = Math.max(moved, Math.abs(y[(q + 1) * per + p * K + k]! - y[p * K + k]!));
      return moved > 1e-5;
    }),
  );
};

/** Positions q allowed for p: earlier pixels, or the same pixel and an earlier channel. */
const allowed = (p: number, q: number, C: number): boolean => {
  const [pp, pc] = [Math.floor(p / C), p % C];
  const [qp, qc] = [Math.floor(q / C), q % C];
  return qp < pp || (qp === pp && qc < pc);
};

const families: [string, (img: { height: number; width: number; channels: 1 | 3; levels: number }) => RecurrentSpec][] = [
  ['Row LSTM', (img) => tinyRowLstmSpec(img, { layers: 2 })],
  ['Diagonal BiLSTM', (img) => tinyDiagonalBiLstmSpec(img, { layers: 2 })],
];

describe.each(families)('%s', (_, make) => {
  it('maps [B, H, W, C] to a head [B, H, W, C·K], with every parameter at its declared shape', () => {
    const spec = make({ height: 3, width: 5, channels: 3, levels: 4 });
    const model = initModel(spec, 3, opts);
    const shapes = familyOf(spec).shapes(spec);
    expect(Object.keys(model.params).sort()).toEqual(Object.keys(shapes).sort());
    for (const [name, shape] of Object.entries(shapes)) expect(model.params[name]!.shape, name).toEqual(shape);
    const x = tf.zeros([2, 3, 5, 3]) as Tensor4D;
    const y = model.forward(x);
    expect(y.shape).toEqual([2, 3, 5, 12]);
    tf.dispose([x, y]);
    disposeAll(model.params);
  });

  for (const [residual, skip] of [[true, true], [false, false], [true, false], [false, true]] as const)
    it(`is causal in raster order and in R, G, B order (residual ${residual}, skip ${skip})`, () => {
      const spec = { ...make({ height: 3, width: 4, channels: 3, levels: 3 }), residual, skip };
      const model = initModel(spec, 5, opts);
      const dep = dependence(model);
      const C = spec.channels;
      let seen = 0;
      dep.forEach((row, p) =>
        row.forEach((moved, q) => {
          if (moved) seen++;
          if (!allowed(p, q, C)) expect(moved, `logits at ${p} moved when value ${q} changed`).toBe(false);
        }),
      );
      expect(seen).toBeGreaterThan(0); // the check can fail: something does depend on something
      disposeAll(model.params);
    });

  it('channel c of a pixel depends on channels < c of that pixel (R → G → B)', () => {
    const spec = make({ height: 2, width: 2, channels: 3, levels: 3 });
    const model = initModel({ ...spec, hidden: 9, headHidden: 9 }, 2, opts);
    const dep = dependence(model);
    const at = (i: number, j: number, c: number) => (i * 2 + j) * 3 + c;
    expect(dep[at(1, 1, 1)]![at(1, 1, 0)]).toBe(true);
    expect(dep[at(1, 1, 2)]![at(1, 1, 0)]).toBe(true);
    expect(dep[at(1, 1, 2)]![at(1, 1, 1)]).toBe(true);
    disposeAll(model.params);
  });

  it('a few RMSProp steps on a fixed batch lower the loss, without leaking tensors', () => {
    const spec = make({ height: 4, width: 4, channels: 1, levels: 2 });
    const model = initModel({ ...spec, hidden: 4, headHidden: 4 }, 7, opts);
    const x = tf.tensor4d(
      Float32Array.from({ length: 4 * 16 }, (_, i) => ((i % 16) % 4 < 2 ? 1 : 0)),
      [4, 4, 4, 1],
    ) as Tensor4D;
    let state = initTrainState(model.spec, model.params, defaultOptimizer('rmsprop', 0.01));
    const losses: number[] = [];
    let before = 0;
    for (let step = 0; step < 8; step++) {
      const r = trainStep(state, x, opts);
      state = r.state;
      losses.push(r.metrics.loss);
      expect(r.metrics.gradNorm).toBeGreaterThan(0);
      if (step === 1) before = tf.memory().numTensors;
      if (step > 1) expect(tf.memory().numTensors).toBe(before);
    }
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.9);
    disposeAll(state.params, state.slots);
    x.dispose();
  });
});

describe('receptive fields (one layer, 3×3 first kernel)', () => {
  const img = { height: 3, width: 8, channels: 1 as const, levels: 2 };
  const setOf = (model: AutoregressiveModel, i: number, j: number): string[] => {
    const dep = dependence(model)[i * img.width + j]!;
    return dep.flatMap((moved, q) => (moved ? [`${Math.floor(q / img.width)},${q % img.width}`] : []));
  };

  it('Row LSTM: the triangle above the pixel — far-left pixels of the rows above are not seen', () => {
    const model = initModel(tinyRowLstmSpec(img, { hidden: 8, headHidden: 8 }), 4, opts);
    // Logits at (2, 7): the 3×3 mask-A conv at (2, 6..7) and the states of (2, 6..7); the states see
    // (1, 5..7) and (0, 4..7) through the 1×3 state-to-state kernel, one column wider per row up.
    const expected = ['0,3', '0,4', '0,5', '0,6', '0,7', '1,4', '1,5', '1,6', '1,7', '2,5', '2,6'];
    expect(setOf(model, 2, 7)).toEqual(expected);
    disposeAll(model.params);
  });

  it('Diagonal BiLSTM: the whole past', () => {
    const model = initModel(tinyDiagonalBiLstmSpec(img, { hidden: 8, headHidden: 8 }), 4, opts);
    const past = Array.from({ length: 2 * 8 + 7 }, (_, q) => `${Math.floor(q / 8)},${q % 8}`);
    expect(setOf(model, 2, 7)).toEqual(past);
    // and, for a pixel in the middle, exactly the pixels before it
    expect(setOf(model, 1, 3)).toEqual(past.slice(0, 8 + 3));
    disposeAll(model.params);
  });
});

describe('specs', () => {
  it('decodes the presets of every PixelRNN family', () => {
    const mnist = { height: 28, width: 28, channels: 1 as const, levels: 2 };
    const cifar = { height: 32, width: 32, channels: 3 as const, levels: 256 };
    for (const name of ['mnist-diagonal-bilstm', 'mnist-row-lstm', 'small-row-lstm', 'small-diagonal-bilstm', 'small-multiscale', 'tiny-row-lstm', 'tiny-diagonal-bilstm', 'tiny-multiscale'])
      expect(E.isRight(decodeSpec(presetNamed(name)(mnist))), name).toBe(true);
    for (const name of ['cifar-row-lstm', 'cifar-diagonal-bilstm']) {
      const r = decodeSpec(presetNamed(name)(cifar));
      expect(E.isRight(r), name).toBe(true);
      if (E.isRight(r) && r.right.family !== 'pixelcnn' && r.right.family !== 'multiscale') {
        expect(r.right.layers).toBe(12);
        expect(r.right.hidden).toBe(128);
      }
    }
    const m = presetNamed('mnist-diagonal-bilstm')(mnist);
    expect(m).toMatchObject({ family: 'diagonal-bilstm', layers: 7, hidden: 16, likelihood: { kind: 'bernoulli' }, firstKernel: 7 });
  });

  it('names the field, what it expected and what it found', () => {
    const base = tinyRowLstmSpec({ height: 4, width: 4, channels: 1, levels: 2 });
    const bad = decodeSpec({ ...base, rowKernel: 2, residual: 'yes' });
    expect(E.isLeft(bad)).toBe(true);
    if (E.isLeft(bad)) {
      expect(bad.left.message).toMatch(/rowKernel: expected odd integer in 1\.\.63, found 2/);
      expect(bad.left.message).toMatch(/residual: expected boolean, found "yes"/);
      expect(bad.left.message).not.toMatch(/pixelcnn|multiscale/);
    }
    const missing = decodeSpec({ ...tinyDiagonalBiLstmSpec({ height: 4, width: 4, channels: 1, levels: 2 }), skip: undefined });
    expect(E.isLeft(missing) && missing.left.message).toMatch(/skip: expected boolean, found nothing/);
  });

  it('checks the rules a codec cannot express', () => {
    const rgb = tinyDiagonalBiLstmSpec({ height: 4, width: 4, channels: 3, levels: 4 });
    const r1 = decodeSpec({ ...rgb, likelihood: { kind: 'bernoulli' } });
    expect(E.isLeft(r1) && r1.left.message).toMatch(/likelihood: 'bernoulli' needs levels = 2, found levels = 4/);
    const r2 = decodeSpec({ ...rgb, hidden: 2 });
    expect(E.isLeft(r2) && r2.left.message).toMatch(/hidden: expected ≥ channels \(3\), found 2/);
  });

  it('rejects an unknown family, listing the known ones', () => {
    const r = decodeSpec({ family: 'gru', height: 4, width: 4, channels: 1, levels: 2 });
    expect(E.isLeft(r) && r.left.message).toMatch(/family: expected .*'row-lstm'.*'diagonal-bilstm'/s);
  });
});

describe('initial logits', () => {
  // A binarized 28×28 batch, about one pixel in seven on.
  const mnist = { height: 28, width: 28, channels: 1 as const, levels: 2 };
  const uniform = 784 * Math.log(2);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 784 }, (_, i) => ((i * 7919) % 7 === 0 ? 1 : 0)), [2, 28, 28, 1]);
  const initialNll = (name: string, headScale = 1) => {
    const spec = presetNamed(name)(mnist) as RecurrentSpec;
    const params = familyOf(spec).init(spec, 1);
    const head = params['head1.w']!;
    params['head1.w'] = tf.mul(head, headScale);
    head.dispose();
    const nll = tf.tidy(() => tf.mean(likelihoodFor(spec.likelihood, spec).nll(familyOf(spec).forward(spec, params, x, opts), x)).dataSync()[0]!);
    disposeAll(params);
    return { nll, layers: spec.layers };
  };

  it.each(['mnist-row-lstm', 'mnist-diagonal-bilstm', 'small-diagonal-bilstm'])('%s starts within 1.5× of uniform; at the full head scale it would not', (name) => {
    const { nll, layers } = initialNll(name);
    expect(nll).toBeLessThan(1.5 * uniform);
    // negative control: the logits layer at He scale (L² times larger) starts several times worse
    expect(initialNll(name, layers ** 2).nll).toBeGreaterThan(2.5 * uniform);
  });

  afterAll(() => x.dispose());
});
