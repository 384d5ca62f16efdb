// A thread of bench/threadCeiling.ts: its own backend and model; on each message, `steps` gradient
// computations of the reference PixelCNN at batch `count`, nothing sent back but the times.
import { parentPort } from 'node:worker_threads';
import { selectBackend } from '../src/backend.js';
import type { ConvImpl } from '../src/layers/maskedConv.js';
import { familyOf } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { lossAndGradients } from '../src/train/step.js';
import { referenceSpec } from './bench.js';

const port = parentPort!;
port.once('message', async ({ backend, convImpl }: { backend: string; convImpl: ConvImpl }) => {
  const r = await selectBackend(backend);
  if (r._tag === 'Left') throw r.left;
  const spec = referenceSpec();
  const params = familyOf(spec).init(spec, 1);
  const batchOf = (n: number) => tf.tensor4d(Float32Array.from({ length: n * 784 }, (_, i) => (i * 131) % 256), [n, 28, 28, 1]);
  const step = (x: tf.Tensor4D) => {
    const { loss, grads } = lossAndGradients(spec, params, x, { convImpl });
    loss.dataSync();
    tf.dispose([loss, ...Object.values(grads)]);
  };
  port.on('message', ({ count, steps }: { count: number; steps: number }) => {
    const x = batchOf(count);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      step(x);
      times.push(performance.now() - t0);
    }
    x.dispose();
    port.postMessage(times);
  });
  port.postMessage('ready');
});
