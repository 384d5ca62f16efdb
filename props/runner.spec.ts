// The runner: fixed seeds, shrinking to the smallest failing spec, env overrides, and no leaks.

import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { PixelCnnSpec } from '../src/models/pixelcnn/spec.js';
import { tf } from '../src/tf.js';
import { pixelCnnSpecArb } from './arbitraries.js';
import { checkCausality, checkFullPast } from './check.js';
import { peekAhead } from './controls.js';
import { genericModel } from './models.js';
import { modelProperty, mustFail, runProperty, showFailure } from './runner.js';
import { resolveRuns } from './vitest.js';

describe('runner', () => {
  it('shrinks a failing property to a small spec and reports its counterexample', async () => {
    const property = modelProperty(
      pixelCnnSpecArb({ minWidth: 2, maxHeight: 4, maxWidth: 4, levels: [2, 4] }),
      (m) => checkCausality(m, { images: 1, method: 'perturbation' }),
      (s: PixelCnnSpec, seed) => peekAhead(genericModel(s, seed, { weights: 'positive' })),
    );
    const r = await runProperty(property, { seed: 9, runs: 5 });
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) {
      expect(r.left.counterexample.law).toBe('causality');
      expect(r.left.value).toMatch(/"width":2/); // shrunk to the narrowest width where peeking exists
      expect(r.left.value).toMatch(/"height":1/);
      expect(showFailure(r.left)).toMatch(/depends on the input at/);
    }
  });

  it('reports the runs made and frees every weight it built', async () => {
    const property = modelProperty(pixelCnnSpecArb({ maxHeight: 3, maxWidth: 3 }), (m) => checkFullPast(m, { images: 1 }), (s, seed) =>
      genericModel(s, seed, { weights: 'positive' }),
    );
    const before = tf.memory().numTensors;
    const a = await runProperty(property, { seed: 3, runs: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(E.isRight(a) && a.right).toMatchObject({ runs: 4, requestedRuns: 4, seed: 3, interrupted: false });
  });

  it('mustFail turns a passing law into a failure naming the control', async () => {
    const p = mustFail(modelProperty(pixelCnnSpecArb({ maxHeight: 2, maxWidth: 2 }), (m) => checkCausality(m, { images: 1 })), 'honest model');
    const r = await runProperty(p, { seed: 1, runs: 2 });
    expect(E.isLeft(r) && r.left.counterexample.message).toMatch(/honest model: the law passed a model it must catch/);
  });

  it('PROPS_SEED and PROPS_RUNS override the seed and the runs ("xN" scales)', () => {
    expect(resolveRuns({ seed: 1, runs: 10 }, {})).toEqual({ seed: 1, runs: 10 });
    expect(resolveRuns({ seed: 1, runs: 10 }, { PROPS_SEED: '42', PROPS_RUNS: '300' })).toEqual({ seed: 42, runs: 300 });
    expect(resolveRuns({ seed: 1, runs: 10 }, { PROPS_RUNS: 'x4' })).toEqual({ seed: 1, runs: 40 });
    expect(() => resolveRuns({ seed: 1, runs: 10 }, { PROPS_RUNS: 'many' })).toThrow(/PROPS_RUNS/);
  });
});
