// A gradient worker (see workers.ts): its own TensorFlow.js and backend; per message, the loss and
// gradients of one shard, summed over its images, everything of the step disposed.

import { parentPort } from 'node:worker_threads';
import { explainBackendError, selectBackend } from '../backend.js';
import { defaultConvImpl, type ConvImpl } from '../layers/maskedConv.js';
import { tf, type NamedTensors } from '../tf.js';
import { lossAndGradients, trainingOptions } from './step.js';
import type { ComputeMessage, FromWorker, ToWorker } from './workers.js';

const port = parentPort;
if (!port) throw new Error('worker-entry.ts must run inside a worker thread');

let convImpl: ConvImpl = 'gather';

const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const compute = (m: ComputeMessage): FromWorker => {
  const t0 = performance.now();
  const params: NamedTensors = {};
  m.names.forEach((n, i) => {
    params[n] = tf.tensor(m.params[i]!, m.shapes[i] as number[], 'float32');
  });
  const x = tf.tensor4d(Float32Array.from(m.pixels), [m.count, m.shape.height, m.shape.width, m.shape.channels]);
  const labels = m.labels ? tf.tensor1d(m.labels, 'int32') : undefined;
  try {
    const { loss, grads } = lossAndGradients(m.spec, params, x, trainingOptions({ convImpl }, m.step, m.first), labels);
    const lossSum = loss.dataSync()[0]! * m.count;
    const out = m.names.map((n) => {
      const g = grads[n]!.dataSync() as Float32Array;
      const sum = new Float32Array(g.length);
      for (let j = 0; j < g.length; j++) sum[j] = g[j]! * m.count;
      return sum;
    });
    tf.dispose([loss, ...Object.values(grads)]);
    return { type: 'result', id: m.id, lossSum, grads: out, numTensors: 0, computeMs: performance.now() - t0 };
  } finally {
    tf.dispose([x, ...(labels ? [labels] : []), ...Object.values(params)]);
  }
};

port.on('message', async (m: ToWorker) => {
  if (m.type === 'init') {
    const r = await selectBackend(m.backend);
    if (r._tag === 'Left') {
      send({ type: 'error', id: null, message: r.left.message });
      return;
    }
    convImpl = m.convImpl ?? defaultConvImpl();
    send({ type: 'ready', backend: r.right.name });
    return;
  }
  try {
    const r = compute(m);
    if (r.type === 'result') {
      const result = { ...r, numTensors: tf.memory().numTensors };
      send(result, result.grads.map((g) => g.buffer as ArrayBuffer));
    }
  } catch (e) {
    send({ type: 'error', id: m.id, message: explainBackendError(e, `gradients of ${m.count} images`).message });
  }
});
