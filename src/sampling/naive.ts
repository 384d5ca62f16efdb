// The reference sampler: rerun the whole network for every value (H·W·C forward passes per batch)
// and read back the logits of the one position being sampled. Works for every model family.

import type { AutoregressiveModel } from '../model.js';
import { tf, type Tensor4D } from '../tf.js';
import type { IncrementalSampler } from './types.js';

export const naiveSampler = (model: AutoregressiveModel, batch: number): IncrementalSampler => {
  const { height: H, width: W, channels: C, levels: K } = model.spec;
  const x = new Float32Array(batch * H * W * C); // [B, H, W, C] levels; unsampled positions are 0
  return {
    batch,
    kind: 'naive',
    logitsAt: (i, j, c) => {
      const picked = tf.tidy(() => {
        const input = tf.tensor4d(x, [batch, H, W, C]) as Tensor4D; //   [B, H, W, C]
        const logits = model.logits(input); //                            [B, H, W, C, K]
        return tf.reshape(tf.slice(logits, [0, i, j, c, 0], [batch, 1, 1, 1, K]), [batch * K]); // [B·K]
      });
      const out = picked.dataSync() as Float32Array;
      picked.dispose();
      return Float32Array.from(out);
    },
    commit: (i, j, c, values) => {
      for (let b = 0; b < batch; b++) x[((b * H + i) * W + j) * C + c] = values[b]!;
    },
    dispose: () => {},
  };
};
