import * as E from 'fp-ts/lib/Either.js';
import { categorical, tf, type AutoregressiveModel, type BaseSpec } from 'pixelstreams';
import { checkAll, checkCausality, failures, imageShapeArb, modelProperty, runProperty } from 'pixelstreams/props';

// Your model: anything with a spec, a likelihood, and forward(x [B, H, W, C] levels) → its head
// [B, H, W, C·F] (for a categorical likelihood, F = K logits per channel).
// This one predicts each value from the pixel to its left (or, if `cheat`, from the value itself).
const leftNeighbour = (spec: BaseSpec, cheat = false): AutoregressiveModel => ({
  spec,
  params: {},
  likelihood: categorical(spec),
  forward: (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const [b, h, w, c] = x.shape;
      const left = tf.pad(tf.slice(x, [0, 0, 0, 0], [b, h, w - 1, c]), [[0, 0], [0, 0], [1, 0], [0, 0]]);
      const seen = cheat ? x : left; //                                                  [B, H, W, C]
      const logits = tf.mul(tf.expandDims(seen, 4), tf.range(0, spec.levels)); //      [B, H, W, C, K]
      return tf.reshape(logits, [b, h, w, c * spec.levels]) as tf.Tensor4D; //         [B, H, W, C·K]
    }),
});

export async function checkMyModel(): Promise<{ honest: string[]; cheat: string[]; acrossShapes: boolean }> {
  const spec: BaseSpec = { family: 'left-neighbour', height: 2, width: 3, channels: 1, levels: 2, likelihood: { kind: 'categorical' } };

  // 1. One model, every law that applies (causality, channel order, normalisation, sampler, determinism).
  const honest = failures(await checkAll(leftNeighbour(spec))); //  [] : every law holds
  const cheat = failures(await checkAll(leftNeighbour(spec, true))); // names the logit, the input, by how much

  // 2. A law over many shapes, fixed seed; on failure, the smallest shape that fails.
  const shapes = imageShapeArb({ channels: [1], maxHeight: 4, maxWidth: 4 }).map(
    (s): BaseSpec => ({ family: 'left-neighbour', likelihood: { kind: 'categorical' }, ...s }),
  );
  const run = await runProperty(modelProperty(shapes, checkCausality, (s) => leftNeighbour(s)), { seed: 1, runs: 20 });

  return { honest, cheat, acrossShapes: E.isRight(run) };
}
