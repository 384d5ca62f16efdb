import { afterAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { logProbsOf, nllOf } from '../../model.js';
import { tf, type Tensor4D } from '../../tf.js';
import { disposeAll } from '../../train/step.js';
import { decodeSpec, initModel, presets } from '../registry.js';
import { pixelCnn } from './index.js';

const rgb = presets.tiny({ height: 4, width: 4, channels: 3, levels: 4 });
const model = initModel({ ...rgb, hidden: 9, headHidden: 9 }, 11, { convImpl: 'gather' });
afterAll(() => disposeAll(model.params));

const levels = (values: number[], shape: [number, number, number, number]) => tf.tensor4d(values, shape) as Tensor4D;
const randomImage = (seed: number) =>
  levels(Array.from({ length: 48 }, (_, i) => ((i * 7 + seed * 13) % 4)), [1, 4, 4, 3]);

describe('PixelCNN', () => {
  it('maps [B, H, W, C] to a head [B, H, W, C·K] and log-probabilities [B, H, W, C, K]', () => {
    const x = randomImage(1);
    const head = model.forward(x);
    const y = logProbsOf(model, x);
    expect(head.shape).toEqual([1, 4, 4, 12]);
    expect(y.shape).toEqual([1, 4, 4, 3, 4]);
    tf.dispose([x, y, head]);
  });

  it('logits at a position do not change when later pixels or later channels change', () => {
    const x = randomImage(2);
    const base = logProbsOf(model, x).arraySync() as number[][][][][];
    const values = x.arraySync()[0]!;
    for (const [pi, pj, pc] of [[1, 1, 0], [1, 1, 1], [2, 0, 2], [3, 3, 0]] as const) {
      const changed = values.map((row) => row.map((px) => [...px]));
      changed[pi]![pj]![pc] = (changed[pi]![pj]![pc]! + 1) % 4;
      const xc = tf.tensor4d([changed]);
      const y = logProbsOf(model, xc).arraySync() as number[][][][][];
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++)
          for (let c = 0; c < 3; c++) {
            const later = i > pi || (i === pi && j > pj) || (i === pi && j === pj && c > pc);
            const moved = Math.max(...y[0]![i]![j]![c]!.map((v, k) => Math.abs(v - base[0]![i]![j]![c]![k]!)));
            if (later) continue;
            expect(moved, `logit (${i},${j},${c}) moved when (${pi},${pj},${pc}) changed`).toBe(0);
          }
      // and the change is seen somewhere after it (the model is not constant)
      const after = pc < 2 ? y[0]![pi]![pj]![pc + 1]! : y[0]![pi]![Math.min(pj + 1, 3)]![0]!;
      const afterBase = pc < 2 ? base[0]![pi]![pj]![pc + 1]! : base[0]![pi]![Math.min(pj + 1, 3)]![0]!;
      if (pj < 3 || pc < 2) expect(Math.max(...after.map((v, k) => Math.abs(v - afterBase[k]!)))).toBeGreaterThan(0);
      xc.dispose();
    }
    x.dispose();
  });

  it('NLL equals the sum of per-value cross-entropies', () => {
    const x = randomImage(3);
    const logits = logProbsOf(model, x).arraySync() as number[][][][][];
    const values = x.arraySync()[0]!;
    let expected = 0;
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        for (let c = 0; c < 3; c++) {
          const l = logits[0]![i]![j]![c]!;
          const max = Math.max(...l);
          const logZ = max + Math.log(l.reduce((s, v) => s + Math.exp(v - max), 0));
          expected += logZ - l[values[i]![j]![c]!]!;
        }
    const nll = tf.tidy(() => nllOf(model, x));
    expect(nll.dataSync()[0]).toBeCloseTo(expected, 3);
    tf.dispose([x, nll]);
  });

  it('a Bernoulli likelihood reads one logit ℓ per channel: p(1) = sigmoid(ℓ)', () => {
    const spec = presets.tiny({ height: 3, width: 3, channels: 1, levels: 2 });
    expect(spec.likelihood).toEqual({ kind: 'bernoulli' });
    const m = initModel(spec, 5);
    const x = levels([0, 1, 1, 0, 1, 0, 0, 0, 1], [1, 3, 3, 1]);
    const head = m.forward(x);
    expect(head.shape).toEqual([1, 3, 3, 1]);
    const lp = logProbsOf(m, x);
    const [l, p1] = [head.dataSync()[4]!, Math.exp(lp.dataSync()[9]!)];
    expect(p1).toBeCloseTo(1 / (1 + Math.exp(-l)), 5);
    tf.dispose([x, head, lp]);
    disposeAll(m.params);
  });

  it('parameter shapes match the family’s declared shapes', () => {
    const shapes = pixelCnn.shapes(model.spec as never);
    for (const [name, p] of Object.entries(model.params)) expect(p.shape, name).toEqual(shapes[name]);
  });

  it('the paper preset has 15 layers of h = 128', () => {
    const s = presets.paper({ height: 32, width: 32, channels: 3, levels: 256 });
    expect(s.hidden).toBe(128);
    expect(1 + (s.family === 'pixelcnn' ? s.residualLayers : 0) + 1).toBe(15);
  });

  it('spec decoding names every bad field, what was expected and what was found', () => {
    const bad = decodeSpec({ ...rgb, hidden: -3, levels: 1.5, channels: 2 }, 'config.json');
    expect(E.isLeft(bad)).toBe(true);
    const msg = E.isLeft(bad) ? bad.left.message : '';
    expect(msg).toMatch(/^config\.json:/);
    expect(msg).toMatch(/hidden: expected integer in 1\.\.16384, found -3/);
    expect(msg).toMatch(/levels: expected integer in 2\.\.65536, found 1\.5/);
    expect(msg).toMatch(/channels: expected 1 \| 3, found 2/);
    const bern = decodeSpec({ ...rgb, likelihood: { kind: 'bernoulli' } });
    expect(E.isLeft(bern) && bern.left.message).toMatch(/'bernoulli' needs levels = 2, found levels = 4/);
    const typo = decodeSpec({ ...rgb, hiden: 9 });
    expect(E.isLeft(typo) && typo.left.message).toMatch(/unknown key 'hiden' \(did you mean 'hidden'\?\)/);
    expect(E.isLeft(decodeSpec([rgb]))).toBe(true);
    expect(E.isRight(decodeSpec(rgb))).toBe(true);
  });
});
