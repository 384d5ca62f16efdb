// Where gradients are computed: in this process, or split across worker threads. The train
// operator takes any GradientEngine, so the same pipeline runs with or without workers.

import { explainBackendError } from '../backend.js';
import { labelsTensor, recordLabels } from '../conditioning.js';
import type { RecordBatch } from '../data/records.js';
import { recordsToTensor } from '../data/toTensor.js';
import type { BaseSpec, ForwardOptions } from '../model.js';
import type { NamedTensors } from '../tf.js';
import { lossAndGradients, trainingOptions } from './step.js';

export interface GradientResult {
  /** Mean NLL per image over the whole batch, nats. */
  readonly loss: number;
  /** Gradient of that mean with respect to every parameter; owned by the caller. */
  readonly grads: NamedTensors;
}

export interface GradientEngine {
  readonly description: string; // e.g. 'in-process' or '2 workers'
  readonly workers: number;
  compute(spec: BaseSpec, params: NamedTensors, batch: RecordBatch): Promise<GradientResult>;
  close(): Promise<void>;
}

export const localEngine = (options: ForwardOptions): GradientEngine => ({
  description: 'in-process',
  workers: 1,
  compute: async (spec, params, batch) => {
    const given = recordLabels(spec, batch.records);
    const x = recordsToTensor(batch.shape, batch.records);
    const labels = given ? labelsTensor(given) : undefined;
    try {
      const { loss, grads } = lossAndGradients(spec, params, x, trainingOptions(options, batch.index), labels);
      const value = loss.dataSync()[0]!;
      loss.dispose();
      return { loss: value, grads };
    } catch (e) {
      throw explainBackendError(e, `gradients of ${batch.records.length} images`);
    } finally {
      x.dispose();
      labels?.dispose();
    }
  },
  close: async () => {},
});

