import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { logProbsOf } from '../../model.js';
import { tf, type Tensor4D } from '../../tf.js';
import { defaultOptimizer } from '../../train/optimizers.js';
import { disposeAll, initTrainState, lossAndGradients, trainStep, type TrainState } from '../../train/step.js';
import { bindModel, decodeSpec, familyNames, familyOf, initModel, presetFor } from '../registry.js';
import { gradientDependence } from '../../../props/dependence.js';
import { checkAll, checkLabelDependence, failures, ignoresLabel } from '../../../props/index.js';
import { labelsTensor } from '../../conditioning.js';
import { positiveParams, upperHalfImages } from '../../../props/models.js';
import { gatedPixelCnn, gatedPixelCnnFlops } from './index.js';
import { gatedPixelCnnPresets, type GatedPixelCnnSpec } from './spec.js';

const rgb: GatedPixelCnnSpec = { ...gatedPixelCnnPresets.tiny({ height: 4, width: 4, channels: 3, levels: 4 }), hidden: 9, headHidden: 9, layers: 3 };
const model = initModel(rgb, 11, { convImpl: 'gather' });
afterAll(() => disposeAll(model.params));

const image = (seed: number, shape: [number, number, number, number] = [1, 4, 4, 3], levels = 4) =>
  tf.tensor4d(Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => (i * 7 + seed * 13) % levels), shape) as Tensor4D;

describe('Gated PixelCNN', () => {
  it('is registered: `--model gated-pixelcnn`, label and published figure', () => {
    expect(familyNames()).toContain('gated-pixelcnn');
    expect(familyOf(rgb)).toBe(gatedPixelCnn);
    expect(gatedPixelCnn.label).toBe('Gated PixelCNN');
    expect(gatedPixelCnn.published).toEqual({ source: 'van den Oord et al. 2016 (Conditional Image Generation with PixelCNN Decoders), Table 1', cifar10BitsPerDim: 3.03 });
    for (const name of ['tiny', 'small', 'paper']) {
      const p = presetFor('gated-pixelcnn', name);
      expect(E.isRight(p)).toBe(true);
      if (E.isRight(p)) expect(E.isRight(decodeSpec(p.right({ height: 32, width: 32, channels: 3, levels: 256 })))).toBe(true);
    }
  });

  it('maps [B, H, W, C] to a head [B, H, W, C·K] and log-probabilities [B, H, W, C, K]', () => {
    const x = image(1, [2, 4, 4, 3]);
    const head = model.forward(x);
    const lp = logProbsOf(model, x);
    expect(head.shape).toEqual([2, 4, 4, 12]);
    expect(lp.shape).toEqual([2, 4, 4, 3, 4]);
    tf.dispose([x, head, lp]);
  });

  // With signed weights a ReLU of the head that is off hides a dependence; with positive weights at
  // images in the upper half of the levels (inputs ≥ 0) every path adds (props/models.ts), and the
  // gradient (exact even where saturated gates leave a change below float32's resolution) sees it.
  const positive = (s: GatedPixelCnnSpec, seed: number) => bindModel(s, positiveParams(familyOf(s).init(s, seed), seed), { convImpl: 'gather', inputGradient: true });
  const dependsOn = (s: GatedPixelCnnSpec, seed: number) => {
    const m = positive(s, seed);
    const d = gradientDependence(m, upperHalfImages(s, 1, seed)).dependence;
    disposeAll(m.params);
    return (p: number, q: number) => d.has[p * d.size + q] === 1;
  };

  it('a logit never moves when a later value, or a channel ≥ c of its own pixel, changes — and depends on the value just before', () => {
    const x = image(2);
    const base = logProbsOf(model, x).dataSync();
    const values = Array.from(x.dataSync());
    for (let q = 0; q < 48; q++) {
      const changed = values.slice();
      changed[q] = (changed[q]! + 1) % 4;
      const xc = tf.tensor4d(changed, [1, 4, 4, 3]) as Tensor4D;
      const d = logProbsOf(model, xc).dataSync();
      for (let p = 0; p <= q; p++) {
        const moved = Math.max(...Array.from({ length: 4 }, (_, k) => Math.abs(d[p * 4 + k]! - base[p * 4 + k]!)));
        expect(moved, `value ${p} moved when value ${q} changed`).toBe(0);
      }
      xc.dispose();
    }
    x.dispose();
    const sees = dependsOn(rgb, 12);
    for (let q = 0; q < 47; q++) expect(sees(q + 1, q), `value ${q + 1} does not depend on value ${q}`).toBe(true);
  });

  it('sees the pixel two columns to the right in the row above, PixelCNN’s blind spot after two 3×3 layers', () => {
    const s: GatedPixelCnnSpec = { ...rgb, channels: 1, height: 3, width: 5, layers: 2, firstKernel: 3, hidden: 4, headHidden: 4 };
    const sees = dependsOn(s, 3);
    expect(sees(1 * 5 + 2, 4)).toBe(true); // (1, 2) sees (0, 4) = (i−1, j+2)
    expect(sees(1 * 5 + 1, 4)).toBe(false); // (1, 1): (0, 4) is (i−1, j+3), beyond two layers' reach
    expect(sees(2 * 5 + 0, 4)).toBe(false); // (2, 0): two rows up and four columns right: beyond it too
    expect(sees(2 * 5 + 2, 4)).toBe(true); // (2, 2) sees (0, 4) = (i−2, j+2)
  });

  it('parameter shapes match the declared shapes, and every parameter gets a finite, non-zero gradient (C = 1, 3; our kernels’ widths too)', () => {
    const specs: GatedPixelCnnSpec[] = [rgb, { ...rgb, channels: 1, hidden: 5 }, gatedPixelCnnPresets.small({ height: 6, width: 6, channels: 3, levels: 8 })];
    for (const s of specs) {
      const m = initModel(s, 2, { convImpl: 'gather' });
      const shapes = gatedPixelCnn.shapes(s);
      expect(Object.keys(m.params).sort()).toEqual(Object.keys(shapes).sort());
      for (const [name, p] of Object.entries(m.params)) expect(p.shape, name).toEqual(shapes[name]);
      const x = image(5, [2, s.height, s.width, s.channels], s.levels);
      const before = tf.memory().numTensors;
      const { loss, grads } = lossAndGradients(s, m.params, x, { convImpl: 'gather' });
      for (const [name, g] of Object.entries(grads)) {
        const v = g.dataSync();
        expect(v.every(Number.isFinite), name).toBe(true);
        expect(v.some((e) => e !== 0), `${name} has an all-zero gradient`).toBe(true);
      }
      tf.dispose([loss, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      disposeAll(m.params);
    }
  });

  it('the gather convolutions and the dense form give the same head', () => {
    const x = image(6);
    const dense = bindModel(rgb, model.params, { convImpl: 'dense' });
    const a = model.forward(x);
    const b = dense.forward(x);
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([x, a, b]);
  });

  it('learns: 40 RMSProp steps on one batch lower its NLL', () => {
    const s: GatedPixelCnnSpec = { ...rgb, height: 3, width: 3 };
    let state: TrainState<GatedPixelCnnSpec> = initTrainState(s, familyOf(s).init(s, 4), defaultOptimizer('rmsprop', 3e-3));
    const x = image(7, [4, 3, 3, 3]);
    const losses: number[] = [];
    for (let k = 0; k < 40; k++) {
      const r = trainStep(state, x, { convImpl: 'gather' });
      state = r.state;
      losses.push(r.metrics.loss);
    }
    expect(losses[39]!).toBeLessThan(0.7 * losses[0]!);
    disposeAll(state.params, state.slots);
    x.dispose();
  });

  it('counts training flops from the weights that exist', () => {
    // C = 1, p = 2, one layer, 3×3 first, Bernoulli (F = 1), 4×4: per pixel, vertical 3 taps·1·4 = 12,
    // horizontal 1 tap·1·2 for f and g = 4, link 2·4 = 8, out 2·2 = 4, head 2·2 + 2·1 = 6: 34 MACs.
    const s = { ...gatedPixelCnnPresets.tiny({ height: 4, width: 4, channels: 1, levels: 2 }), hidden: 2, headHidden: 2, layers: 1 };
    const f = gatedPixelCnnFlops(s);
    expect(f.forward).toBe(2 * 34 * 16);
    expect(f.train).toBe(3 * 2 * 34 * 16 - 2 * 16 * 16); // no input gradient for the 12 + 4 MACs reading data
    expect(gatedPixelCnn.trainingFlops!(s)).toBe(f.train);
  });

  it('the paper preset: 15 gated layers of p = 128, 7×7 first, 3×3 after, 1024 head features', () => {
    const s = gatedPixelCnnPresets.paper({ height: 32, width: 32, channels: 3, levels: 256 });
    expect(s).toMatchObject({ layers: 15, hidden: 128, firstKernel: 7, kernel: 3, headHidden: 1024 });
  });

  it('spec decoding names every bad field, what was expected and what was found', () => {
    const bad = decodeSpec({ ...rgb, hidden: 0, layers: 0, kernel: 4 }, 'config.json');
    const msg = E.isLeft(bad) ? bad.left.message : '';
    expect(msg).toMatch(/^config\.json:/);
    expect(msg).toMatch(/hidden: expected integer in 1\.\.16384, found 0/);
    expect(msg).toMatch(/layers: expected integer in 1\.\.1024, found 0/);
    expect(msg).toMatch(/kernel: expected odd integer in 1\.\.63, found 4/);
    const rules = decodeSpec({ ...rgb, hidden: 2, firstKernel: 1 });
    expect(E.isLeft(rules) && rules.left.message).toMatch(/hidden: expected ≥ channels \(3\), found 2/);
    expect(E.isLeft(rules) && rules.left.message).toMatch(/firstKernel: expected an odd integer ≥ 3 .*found 1/);
    const typo = decodeSpec({ ...rgb, layer: 3 });
    expect(E.isLeft(typo) && typo.left.message).toMatch(/unknown key 'layer' \(did you mean 'layers'\?\)/);
    expect(E.isRight(decodeSpec(rgb))).toBe(true);
  });
});

describe('Gated PixelCNN, class-conditional (the paper’s V·y in both stacks of every gated layer)', () => {
  const spec: GatedPixelCnnSpec = { ...gatedPixelCnnPresets.tiny({ height: 2, width: 2, channels: 1, levels: 4 }), classes: 3 };

  it('decodes with classes; classes 0 is an error naming the field; one class table [classes, 2p] per gated conv', () => {
    expect(E.isRight(decodeSpec(spec))).toBe(true);
    const zero = decodeSpec({ ...spec, classes: 0 });
    expect(E.isLeft(zero) && zero.left.message).toMatch(/classes: expected integer in 2\.\.65536, found 0/);
    const shapes = gatedPixelCnn.shapes(spec);
    expect(Object.keys(shapes).filter((n) => n.endsWith('.class')).sort()).toEqual(['h0.class', 'h1.class', 'v0.class', 'v1.class']);
    expect(shapes['v0.class']).toEqual([3, 2 * spec.hidden]);
  });

  it('needs a label per image; the label changes the distribution; a model that ignores it fails the law', () => {
    const m = initModel(spec, 1, { convImpl: 'gather', inputGradient: true });
    const x = tf.zeros([2, 2, 2, 1]) as Tensor4D;
    expect(() => m.forward(x)).toThrow(/class-conditional model \(classes = 3\) needs a label per image/);
    expect(E.isRight(checkLabelDependence(m))).toBe(true);
    const blind = checkLabelDependence(ignoresLabel(m));
    expect(E.isLeft(blind) && blind.left.message).toMatch(/ignores the label/);
    x.dispose();
    disposeAll(m.params);
  });

  it('every law holds for each fixed label, and the label law too', async () => {
    const m = initModel(spec, 2, { convImpl: 'gather', inputGradient: true });
    const report = await checkAll(m);
    expect(failures(report)).toEqual([]);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['causality', 'full-past', 'normalisation', 'sampler-agreement', 'label-dependence']));
    disposeAll(m.params);
  });

  it('an unconditional model refuses labels', () => {
    const x = image(1);
    expect(() => model.forward(x, labelsTensor([0]))).toThrow(/labels given to a model that is not class-conditional/);
    x.dispose();
  });
});
