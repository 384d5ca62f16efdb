// `npx tsx bench/kernels-ab.ts [rounds]`: training step time with our wasm SIMD kernels (kernels/:
// masked conv, LSTM scan) against the tfjs paths they replaced (conv2d over the visible rectangle
// with a custom gradient, matMul for 1×1 layers, a step loop of small ops for the LSTMs), in one
// process, the two taking turns step by step (medians), for the reference PixelCNN and the paper's
// MNIST PixelRNNs.
import { selectBackend } from '../src/backend.js';
import { setCausalConvKernels } from '../src/kernels/causalConv.js';
import { setLstmScanKernels } from '../src/kernels/lstmScan.js';
import { initModel } from '../src/models/registry.js';
import { diagonalBiLstm } from '../src/models/diagonalBiLstm/index.js';
import { rowLstm } from '../src/models/rowLstm/index.js';
import type { BaseSpec } from '../src/model.js';
import { Rng } from '../src/rng.js';
import { tf, type Tensor4D } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState, trainStep, type TrainState } from '../src/train/step.js';
import { referenceSpec } from './bench.js';
import { median } from './stats.js';

const b = await selectBackend('wasm');
if (b._tag === 'Left') throw b.left;
const rounds = Number(process.argv[2] ?? 5);
const batch = 16;
const img = { height: 28, width: 28, channels: 1 as const, levels: 2 };
const workloads: [string, BaseSpec][] = [
  ['reference PixelCNN (K=256, h=64)', referenceSpec()],
  ['Row LSTM (K=2, h=16, 7 layers)', rowLstm.presets.mnist!(img)],
  ['Diagonal BiLSTM (K=2, h=16, 7 layers)', diagonalBiLstm.presets.mnist!(img)],
];

console.log(`wasm, batch ${batch}, median of ${rounds} steps after 1 warm-up, kernels on/off alternating`);
console.log('workload                                  tfjs ms   ours ms   tfjs img/s   ours img/s   speed-up');
for (const [name, spec] of workloads) {
  const rng = Rng.fromSeed(5, 1);
  const x = tf.tensor4d(
    Float32Array.from({ length: batch * spec.height * spec.width * spec.channels }, () => Math.floor(rng.uniform() * spec.levels)),
    [batch, spec.height, spec.width, spec.channels],
  ) as Tensor4D;
  const options = { convImpl: 'gather' as const };
  const states: TrainState[] = [true, false].map(() => initTrainState(spec, initModel(spec, 1, options).params, defaultOptimizer('rmsprop')));
  const times: number[][] = [[], []];
  for (let r = 0; r <= rounds; r++)
    [true, false].forEach((on, i) => {
      setCausalConvKernels(on);
      setLstmScanKernels(on);
      const t0 = performance.now();
      states[i] = trainStep(states[i]!, x, options).state;
      if (r > 0) times[i]!.push(performance.now() - t0);
    });
  setCausalConvKernels(true);
  setLstmScanKernels(true);
  const [ours, theirs] = times.map(median) as [number, number];
  console.log(
    `${name.padEnd(40)}  ${theirs.toFixed(0).padStart(7)}  ${ours.toFixed(0).padStart(8)}  ${((batch * 1000) / theirs).toFixed(2).padStart(11)}  ${((batch * 1000) / ours).toFixed(2).padStart(11)}  ${(theirs / ours).toFixed(2).padStart(8)}×`,
  );
  states.forEach((s) => disposeAll(s.params, s.slots));
  x.dispose();
}
