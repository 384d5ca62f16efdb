// Class conditioning, for every family: a spec with `classes` needs a label per image; the label
// changes the distribution (and a model that ignores it fails that law); every law holds for each
// fixed label; the cached samplers equal the naive one given the labels; training uses the labels
// of the records (a record without one is an error naming it); evaluation and checkpoints keep them.

import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bindModel,
  decodeSpec,
  defaultOptimizer,
  disposeAll,
  epochs,
  evaluationStream,
  initModel,
  initTrainState,
  loadCheckpoint,
  presetFor,
  sampleImages,
  saveCheckpoint,
  tf,
  toCheckpoint,
  train,
  type AutoregressiveModel,
  type BaseSpec,
  type ImageSet,
} from '../index.js';
import { checkAll, checkLabelDependence, failures, ignoresLabel } from '../props/index.js';
import { labelsTensor } from '../src/conditioning.js';
import { compareSamplers, laggedSampler } from '../src/sampling/equivalence.js';
import { naiveSampler } from '../src/sampling/naive.js';
import { samplerFor } from '../src/sampling/session.js';

const conditional = (family: string, shape: { height: number; width: number; channels: 1 | 3; levels: number }, classes = 3): BaseSpec => {
  const p = presetFor(family, 'tiny');
  if (E.isLeft(p)) throw p.left;
  return { ...p.right(shape), classes };
};

const cases: [string, BaseSpec][] = [
  ['PixelCNN', conditional('pixelcnn', { height: 2, width: 2, channels: 1, levels: 4 })],
  ['Row LSTM', conditional('row-lstm', { height: 2, width: 2, channels: 1, levels: 4 })],
  ['Diagonal BiLSTM', conditional('diagonal-bilstm', { height: 2, width: 2, channels: 1, levels: 4 })],
  ['Multi-Scale PixelRNN', conditional('multiscale', { height: 2, width: 4, channels: 1, levels: 2 })],
];
const owned: AutoregressiveModel[] = [];
const model = (spec: BaseSpec, seed = 1): AutoregressiveModel => {
  const m = initModel(spec, seed, { convImpl: 'gather', inputGradient: true });
  owned.push(m);
  return m;
};
const dirs: string[] = [];
afterAll(() => {
  owned.forEach((m) => disposeAll(m.params));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe.each(cases)('%s, class-conditional', (_, spec) => {
  it('decodes with classes; classes 0 and unknown keys are errors naming the field', () => {
    expect(E.isRight(decodeSpec(spec))).toBe(true);
    const zero = decodeSpec({ ...spec, classes: 0 });
    expect(E.isLeft(zero) && zero.left.message).toMatch(/classes: expected integer in 2\.\.65536, found 0/);
  });

  it('needs a label per image; labels change the distribution; a model that ignores them fails the law', () => {
    const m = model(spec);
    const x = tf.zeros([2, spec.height, spec.width, spec.channels]) as tf.Tensor4D;
    expect(() => m.forward(x)).toThrow(/class-conditional model \(classes = 3\) needs a label per image/);
    const before = tf.memory().numTensors;
    expect(E.isRight(checkLabelDependence(m))).toBe(true);
    expect(tf.memory().numTensors).toBe(before); // the law leaves no tensor behind
    const blind = checkLabelDependence(ignoresLabel(m));
    expect(E.isLeft(blind) && blind.left.message).toMatch(/ignores the label/);
    x.dispose();
  });

  it('every law holds for each fixed label, and the label law too', async () => {
    const report = await checkAll(model(spec, 2));
    expect(failures(report)).toEqual([]);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['causality', 'normalisation', 'sampler-agreement', 'label-dependence']));
  });

  it("the family's cached sampler equals the naive one given the labels; a lagged one is caught", () => {
    const m = model(spec, 3);
    const labels = Int32Array.from([2, 0]);
    const cached = samplerFor(m);
    const r = compareSamplers(m, naiveSampler, cached, { batch: 2, seed: 4, labels });
    expect(r.failure).toBeNull();
    expect(compareSamplers(m, naiveSampler, laggedSampler(cached), { batch: 2, seed: 4, labels }).ok).toBe(false);
  });
});

describe('conditional training, evaluation, sampling and checkpoints', () => {
  const spec = conditional('pixelcnn', { height: 3, width: 3, channels: 1, levels: 2 }, 2);
  // Class 0: all zeros; class 1: all ones. Only the label says which.
  const set: ImageSet = {
    name: 'two-classes',
    shape: spec,
    records: Array.from({ length: 32 }, (_, n) => ({ index: n, label: n % 2, pixels: new Uint8Array(9).fill(n % 2) })),
  };

  it('learns what the label says; sampling follows the label; a record without a label is an error naming it', async () => {
    const initial = initTrainState(spec, initModel(spec, 1).params, defaultOptimizer('adam', 0.05));
    const events = await lastValueFrom(epochs(set, { batchSize: 8, seed: 1, maxSteps: 60 }).pipe(train(initial), toArray()));
    const state = events.at(-1)!.state;
    const m = bindModel(spec, state.params);
    const { meanNll } = await lastValueFrom(evaluationStream(m, set, 16));
    expect(meanNll).toBeLessThan(9 * Math.log(2) * 0.25); // far below uniform: the label tells the image

    const zeros = await sampleImages(m, { count: 4, seed: 2, labels: 0 });
    const ones = await sampleImages(m, { count: 4, seed: 2, labels: [1, 1, 1, 1] });
    expect(zeros.flatMap((im) => [...im]).filter((v) => v === 0).length).toBeGreaterThan(30);
    expect(ones.flatMap((im) => [...im]).filter((v) => v === 1).length).toBeGreaterThan(30);
    await expect(sampleImages(m, { count: 2 })).rejects.toThrow(/labels: expected a class in 0\.\.1 per image/);
    await expect(sampleImages(m, { count: 2, labels: [0, 2] })).rejects.toThrow(/labels\[1\]: expected a class in 0\.\.1, found 2/);

    const unlabelled = { ...set, records: [...set.records.slice(0, 7), { index: 99, pixels: new Uint8Array(9) }] };
    const bad = epochs(unlabelled, { batchSize: 8, seed: 1, maxSteps: 1 }).pipe(train(initTrainState(spec, initModel(spec, 1).params, defaultOptimizer('adam'))));
    await expect(lastValueFrom(bad)).rejects.toThrow(/record 99: expected a label in 0\.\.1 \(the model is class-conditional\), found none/);

    const dir = mkdtempSync(join(tmpdir(), 'conditional-'));
    dirs.push(dir);
    const saved = saveCheckpoint(dir, toCheckpoint(state, {}));
    const loaded = loadCheckpoint(E.isRight(saved) ? saved.right : '', { expectSpec: spec });
    if (E.isLeft(loaded)) throw loaded.left;
    expect(loaded.right.spec.classes).toBe(2);
    const x = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D;
    const y = labelsTensor([1]);
    const [a, b] = [m.forward(x, y), bindModel(loaded.right.spec, loaded.right.params).forward(x, y)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, y, a, b]);
    disposeAll(state.params, state.slots, loaded.right.params, loaded.right.slots);
  });

  it('an unconditional model refuses labels', async () => {
    const m = model({ ...spec, classes: undefined } as BaseSpec);
    await expect(sampleImages(m, { count: 1, labels: 0 })).rejects.toThrow(/labels: expected none \(the model is not class-conditional\)/);
  });
});

describe('conditional gradients through worker threads', () => {
  it('two workers give the in-process loss and gradients for a labelled batch', async () => {
    const { localEngine } = await import('../src/train/engine.js');
    const { workerEngine } = await import('../src/train/workers.js');
    const spec = conditional('row-lstm', { height: 3, width: 3, channels: 1, levels: 2 }, 4);
    const params = initModel(spec, 5).params;
    const batch = {
      shape: spec,
      index: 0,
      records: Array.from({ length: 6 }, (_, n) => ({ index: n, label: n % 4, pixels: Uint8Array.from({ length: 9 }, (_, q) => (q + n) % 2) })),
    };
    const engine = await workerEngine({ workers: 2, backend: tf.getBackend() });
    try {
      const [a, b] = [await localEngine({ convImpl: 'gather' }).compute(spec, params, batch), await engine.compute(spec, params, batch)];
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4 * a.loss);
      for (const name of Object.keys(a.grads)) {
        const [ga, gb] = [a.grads[name]!.dataSync(), b.grads[name]!.dataSync()];
        ga.forEach((v, k) => expect(Math.abs(v - gb[k]!), name).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
      }
      // the labels matter: the same batch with other labels gives another loss
      const relabelled = { ...batch, records: batch.records.map((r) => ({ ...r, label: (r.label + 1) % 4 })) };
      const c = await engine.compute(spec, params, relabelled);
      expect(c.loss).not.toBeCloseTo(b.loss, 5);
      disposeAll(a.grads, b.grads, c.grads);
    } finally {
      await engine.close();
      disposeAll(params);
    }
  });
});
