// The pure laws on hand-made measurements: the counterexample is the earliest, and its kind is right.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Measured } from './dependence.js';
import { allowedField, emptyDependence } from './field.js';
import { causalityLaw, channelOrderLaw, determinismLaw, fullPastLaw, normalisationLaw, samplerAgreementLaw } from './laws.js';

const shape = { height: 1, width: 2, channels: 3, levels: 4 }; // n = 6
const measured = (pairs: [number, number][]): Measured => {
  const d = emptyDependence(shape);
  const magnitude = new Float32Array(36);
  for (const [p, q] of pairs) {
    d.has[p * 6 + q] = 1;
    magnitude[p * 6 + q] = 0.5;
  }
  return { dependence: d, magnitude };
};
const strictlyEarlier = (): [number, number][] => {
  const out: [number, number][] = [];
  for (let p = 0; p < 6; p++) for (let q = 0; q < p; q++) out.push([p, q]);
  return out;
};

describe('laws as pure predicates', () => {
  it('causality: passes the strict past, reports the earliest logit that sees itself or later', () => {
    expect(E.isRight(causalityLaw(shape, measured(strictlyEarlier()), [], 'gradient'))).toBe(true);
    const r = causalityLaw(shape, measured([...strictlyEarlier(), [4, 5], [1, 1]]), [], 'gradient');
    expect(E.isLeft(r) && r.left).toMatchObject({ law: 'causality', kind: 'leak', position: { i: 0, j: 0, c: 1 }, input: { i: 0, j: 0, c: 1 }, delta: 0.5 });
  });

  it('channel order: reports a missing earlier channel and a leaking later one', () => {
    expect(E.isRight(channelOrderLaw(shape, measured(strictlyEarlier()), []))).toBe(true);
    const missing = channelOrderLaw(shape, measured(strictlyEarlier().filter(([p, q]) => !(p === 5 && q === 3))), []);
    expect(E.isLeft(missing) && missing.left).toMatchObject({ kind: 'missing', position: { i: 0, j: 1, c: 2 }, input: { i: 0, j: 1, c: 0 } });
    const leak = channelOrderLaw(shape, measured([...strictlyEarlier(), [2, 2]]), []);
    expect(E.isLeft(leak) && leak.left).toMatchObject({ kind: 'leak', position: { i: 0, j: 0, c: 2 }, input: { i: 0, j: 0, c: 2 } });
  });

  it('full past: any difference from the reference, either way, is reported', () => {
    const ref = allowedField(shape);
    expect(E.isRight(fullPastLaw(shape, measured(strictlyEarlier()), ref, []))).toBe(true);
    const r = fullPastLaw(shape, measured(strictlyEarlier().filter(([p, q]) => !(p === 3 && q === 0))), ref, []);
    expect(E.isLeft(r) && r.left).toMatchObject({ law: 'full-past', kind: 'missing', position: { i: 0, j: 1, c: 0 }, input: { i: 0, j: 0, c: 0 } });
  });

  it('normalisation: within tolerance passes, otherwise the sum is reported', () => {
    expect(E.isRight(normalisationLaw([Math.log(0.25), Math.log(0.75)], 1e-4))).toBe(true);
    const r = normalisationLaw([Math.log(0.5), Math.log(0.75)], 1e-4);
    expect(E.isLeft(r) && r.left.details!.sum).toBeCloseTo(1.25, 10);
  });

  it('sampler agreement: fair counts pass, skewed counts fail with the χ² figures', () => {
    expect(E.isRight(samplerAgreementLaw([0.5, 0.5], [1010, 990], 1e-3))).toBe(true);
    const r = samplerAgreementLaw([0.5, 0.5], [1200, 800], 1e-3);
    expect(E.isLeft(r) && r.left.details).toMatchObject({ df: 1, samples: 2000 });
  });

  it('determinism: the first differing value is reported', () => {
    expect(E.isRight(determinismLaw(shape, [1, 2, 3], [1, 2, 3]))).toBe(true);
    const r = determinismLaw(shape, [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 2]);
    expect(E.isLeft(r) && r.left).toMatchObject({ position: { i: 0, j: 0, c: 1 }, from: 1, to: 2, details: { image: 1 } });
  });
});
