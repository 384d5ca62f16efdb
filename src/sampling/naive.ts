// The reference sampler: rerun the whole network for every value (H·W·C forward passes per batch)
// and read back the head at the one pixel being sampled. Works for every model family and order.

import type { AutoregressiveModel } from '../model.js';
import { tf, type Tensor4D } from '../tf.js';
import type { IncrementalSampler } from './types.js';

export const naiveSampler = (model: AutoregressiveModel, batch: number, labels?: Int32Array): IncrementalSampler => {
  const { height: H, width: W, channels: C } = model.spec;
  const P = C * model.likelihood.featuresPerChannel;
  const x = new Float32Array(batch * H * W * C); // [B, H, W, C] levels; unsampled positions are 0
  const y = labels ? Int32Array.from(labels) : null;
  return {
    batch,
    kind: 'naive',
    headAt: (i, j) => {
      const picked = tf.tidy(() => {
        const input = tf.tensor4d(x, [batch, H, W, C]) as Tensor4D; //   [B, H, W, C]
        const head = model.forward(input, y ? tf.tensor1d(y, 'int32') : undefined); // [B, H, W, C·F]
        return tf.reshape(tf.slice(head, [0, i, j, 0], [batch, 1, 1, P]), [batch * P]); // [B·C·F]
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
