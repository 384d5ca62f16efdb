// Class conditioning, shared by every family: a spec with `classes` takes one label per image, and
// the label biases every layer — a learned vector per class and layer (PixelCNN), or the one-hot
// label as a conditioning map through each gate's 1×1 weights (PixelRNN, both Multi-Scale networks).
// Labels are data, like x: checked at the edge (records, sample options), used inside as int32 [B].

import type { BaseSpec, Labels } from './model.js';
import { Rng } from './rng.js';
import { tf, type NamedTensors, type Tensor2D, type Tensor4D } from './tf.js';

/** The number of classes of a spec, 0 when it is unconditional. */
export const classesOf = (spec: Pick<BaseSpec, 'classes'>): number => spec.classes ?? 0;

/** The labels a forward pass was given, checked against the spec: an error naming what is missing. */
export const requireLabels = (spec: BaseSpec, labels: Labels | undefined, batch: number): Labels | undefined => {
  const classes = classesOf(spec);
  if (classes === 0) {
    if (labels) throw new Error(`${spec.family}: labels given to a model that is not class-conditional (no 'classes' in its spec)`);
    return undefined;
  }
  if (!labels) throw new Error(`${spec.family}: a class-conditional model (classes = ${classes}) needs a label per image, found none`);
  if (labels.shape[0] !== batch) throw new Error(`${spec.family}: expected ${batch} labels, found ${labels.shape[0]}`);
  return labels;
};

/** One-hot labels as a conditioning map broadcast over the image: [B, H, W, classes]. */
export const labelMap = (labels: Labels, classes: number, height: number, width: number): Tensor4D =>
  tf.tidy(() => {
    const b = labels.shape[0];
    const onehot = tf.reshape(tf.oneHot(tf.cast(labels, 'int32'), classes), [b, 1, 1, classes]); // [B, 1, 1, classes]
    return tf.broadcastTo(onehot, [b, height, width, classes]) as Tensor4D; //                     [B, H, W, classes]
  });

/** A layer's per-class bias, by label: [B, out] from its table [classes, out]. */
export const labelBias = (params: NamedTensors, name: string, labels: Labels): Tensor2D =>
  tf.tidy(() => {
    const table = params[name];
    if (!table) throw new Error(`parameter '${name}' missing from the model`);
    // onehot · table rather than gather: gather's gradient (UnsortedSegmentSum) is missing on wasm
    const onehot = tf.oneHot(tf.cast(labels, 'int32'), table.shape[0]!) as Tensor2D; //             [B, classes]
    return tf.matMul(onehot, table as Tensor2D) as Tensor2D; //                                      [B, out]
  });

/** Name of a layer's class-bias table. */
export const classBiasName = (layer: string): string => `${layer}.class`;

/** A fresh class-bias table [classes, out]: small random, so that the label matters from step 0. */
export const initClassBias = (classes: number, out: number, rng: Rng): tf.Tensor2D =>
  tf.tensor2d(Float32Array.from({ length: classes * out }, () => 0.1 * rng.normal()), [classes, out]);

/** Labels as an int32 tensor [B]. */
export const labelsTensor = (labels: ArrayLike<number>): Labels => tf.tensor1d(Int32Array.from(labels), 'int32');

/**
 * The labels of a batch of records for a class-conditional spec (undefined for an unconditional
 * one): every record must carry a class in 0..classes−1, else an error naming the record.
 */
export const recordLabels = (spec: Pick<BaseSpec, 'classes'>, records: readonly { readonly index: number; readonly label?: number }[]): Int32Array | undefined => {
  const classes = classesOf(spec);
  if (classes === 0) return undefined;
  return Int32Array.from(records, (r) => {
    const l = r.label;
    if (l === undefined || !Number.isInteger(l) || l < 0 || l >= classes)
      throw new Error(`record ${r.index}: expected a label in 0..${classes - 1} (the model is class-conditional), found ${l === undefined ? 'none' : l}`);
    return l;
  });
};
