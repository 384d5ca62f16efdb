// Class-conditional models under the laws: every law is checked for each fixed label (a model
// with its label fixed is an ordinary autoregressive model), and one law of their own — the label
// changes the distribution — with its negative control, a model that ignores the label.

import { labelsTensor } from '../src/conditioning.js';
import { logProbsOf, type AutoregressiveModel } from '../src/model.js';
import { tf, type Tensor4D } from '../src/tf.js';
import type { CheckableModel } from './check.js';
import { randomImages } from './check.js';
import { labelDependenceLaw } from './laws.js';
import type { CheckResult } from './types.js';

/** The model with every image's label fixed to `label`: forward(x) needs no labels. */
export const withLabel = (model: AutoregressiveModel, label: number): CheckableModel => ({
  ...model,
  forward: (x, labels) => {
    if (labels) throw new Error(`withLabel(${label}): the label is fixed, found labels given`);
    return tf.tidy(() => model.forward(x, labelsTensor(new Int32Array(x.shape[0]).fill(label))));
  },
  fixedLabel: label,
});

export interface LabelDependenceOptions {
  /** Labels compared against label 0 (default: 1 .. min(classes, 4) − 1). */
  readonly labels?: readonly number[];
  readonly images?: number;
  readonly seed?: number;
  /** A change of a log-probability above this counts (default 1e-4). */
  readonly tolerance?: number;
}

/** The label changes the distribution: some value's log-probabilities move between label 0 and another. */
export const checkLabelDependence = (model: AutoregressiveModel, o: LabelDependenceOptions = {}): CheckResult => {
  const classes = model.spec.classes ?? 0;
  if (classes < 2)
    return labelDependenceLaw(0, classes, o.tolerance ?? 1e-4);
  const others = o.labels ?? Array.from({ length: Math.min(classes, 4) - 1 }, (_, k) => k + 1);
  const { height: H, width: W, channels: C } = model.spec;
  const images = randomImages(model, o.images ?? 2, o.seed ?? 0);
  const x = tf.tensor4d(Float32Array.from(images.flat()), [images.length, H, W, C]) as Tensor4D;
  try {
    const at = (label: number) => tf.tidy(() => logProbsOf(model, x, labelsTensor(new Int32Array(images.length).fill(label))));
    const base = at(0);
    let largest = 0;
    for (const l of others) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(at(l), base))).dataSync()[0]!);
      largest = Math.max(largest, d);
    }
    base.dispose();
    return labelDependenceLaw(largest, others.length + 1, o.tolerance ?? 1e-4);
  } finally {
    x.dispose();
  }
};

/** Negative control: a conditional model that ignores its label (always scores as label 0). */
export const ignoresLabel = (model: AutoregressiveModel): AutoregressiveModel => ({
  ...model,
  forward: (x, labels) => tf.tidy(() => model.forward(x, labels ? tf.zerosLike(labels) : undefined)),
});
