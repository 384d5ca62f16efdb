// Training speed of the PixelRNN families on the current backend, called by `npm run bench`
// (bench/bench.ts) as benchRecurrent({ log }); runnable alone: `npx tsx bench/recurrent.ts [backend]`.
//
// Config (stated in the output): binarized 28×28×1 (K = 2, Bernoulli head), h = 16, 7 recurrent layers,
// 7×7 mask-A first layer, head 32, residual and skip connections on, batch 16 — the paper's MNIST
// Diagonal BiLSTM, and a Row LSTM of the same shape. Median of a few train steps after warm-up, RMSProp.

import { fileURLToPath } from 'node:url';
import { selectBackend } from '../src/backend.js';
import { defaultConvImpl } from '../src/layers/maskedConv.js';
import { pixelRnnFlops, type RecurrentSpec } from '../src/models/pixelrnn/network.js';
import { plainMatMulGflops } from './matmul.js';
import { initModel } from '../src/models/registry.js';
import { diagonalBiLstm } from '../src/models/diagonalBiLstm/index.js';
import { rowLstm } from '../src/models/rowLstm/index.js';
import { Rng } from '../src/rng.js';
import { tf, type Tensor4D } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState, trainStep } from '../src/train/step.js';
import { median } from './stats.js';

export interface RecurrentFigures {
  readonly family: string;
  readonly config: string;
  readonly batch: number;
  readonly parameters: number;
  readonly stepSeconds: number; // median
  readonly imagesPerSecond: number;
  /** Useful flops per trained image (recurrentTrainFlops) × images/s. */
  readonly usefulGflops: number;
  /** A plain [12544×320]·[320×64] matMul on the same backend, timed right after (median of 3). */
  readonly matMulGflops: number;
}

/** Useful flops per trained image (the families' own count, src/models/pixelrnn/network.ts). */
export const recurrentTrainFlops = pixelRnnFlops;

export interface RecurrentBench {
  readonly backend: string;
  readonly results: RecurrentFigures[];
}


const timeTraining = (spec: RecurrentSpec, batch: number, warmup: number, steps: number): RecurrentFigures => {
  const options = { convImpl: defaultConvImpl() };
  const model = initModel(spec, 1, options);
  const rng = Rng.fromSeed(3);
  const pixels = Float32Array.from({ length: batch * spec.height * spec.width * spec.channels }, () =>
    rng.uniform() < 0.2 ? 1 : 0,
  );
  const x = tf.tensor4d(pixels, [batch, spec.height, spec.width, spec.channels]) as Tensor4D;
  let state = initTrainState(spec, model.params, defaultOptimizer('rmsprop'));
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    state = trainStep(state, x, options).state;
    if (i >= warmup) times.push((performance.now() - t0) / 1000);
  }
  const parameters = Object.values(state.params).reduce((n, t) => n + t.size, 0);
  disposeAll(state.params, state.slots);
  x.dispose();
  const stepSeconds = median(times);
  const matMulGflops = plainMatMulGflops(12544, 320, 64, 3);
  return {
    family: spec.family,
    config: `${spec.height}×${spec.width}×${spec.channels}, K=${spec.levels}, h=${spec.hidden}, ${spec.layers} layers, first ${spec.firstKernel}×${spec.firstKernel}, head ${spec.headHidden}, residual ${spec.residual}, skip ${spec.skip}`,
    batch,
    parameters,
    stepSeconds,
    imagesPerSecond: batch / stepSeconds,
    usefulGflops: (recurrentTrainFlops(spec).train * batch) / stepSeconds / 1e9,
    matMulGflops,
  };
};

export const benchRecurrent = (
  options: { batch?: number; warmup?: number; steps?: number; log?: (line: string) => void } = {},
): RecurrentBench => {
  const batch = options.batch ?? 16;
  const warmup = options.warmup ?? 1;
  const steps = options.steps ?? 3;
  const log = options.log ?? ((line: string) => console.log(line));
  const img = { height: 28, width: 28, channels: 1 as const, levels: 2 };
  const specs: RecurrentSpec[] = [rowLstm.presets.mnist!(img), diagonalBiLstm.presets.mnist!(img)];
  log(`PixelRNN training speed (${tf.getBackend()}, batch ${batch}, median of ${steps} steps after ${warmup} warm-up)`);
  const results = specs.map((spec) => {
    const r = timeTraining(spec, batch, warmup, steps);
    log(
      `  ${r.family.padEnd(16)} ${r.imagesPerSecond.toFixed(2).padStart(7)} img/s   ${r.stepSeconds.toFixed(2)} s/step   ${r.usefulGflops.toFixed(2)} useful GFLOP/s = ${((100 * r.usefulGflops) / r.matMulGflops).toFixed(0)}% of plain matMul (${r.matMulGflops.toFixed(1)})   ${r.parameters} params   ${r.config}`,
    );
    return r;
  });
  return { backend: tf.getBackend(), results };
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const b = await selectBackend(process.argv[2] ?? 'wasm');
  if (b._tag === 'Left') throw b.left;
  benchRecurrent();
}
