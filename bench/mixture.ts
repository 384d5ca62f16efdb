// Training speed of the reference PixelCNN (presets.reference: h = 64, 7×7 mask A, 6 residual 3×3
// mask B, two 1×1) with a categorical head (K logits per channel) against a discretized logistic
// mixture head (M = 10: 30 features per channel for C = 1, 40 for C = 3), at 28×28×1 and 32×32×3,
// K = 256. The two models take turns step by step (odd rounds in the other order) so a shared
// machine's load hits both alike; the median step after warm-up is reported as img/s. Also timed
// alone, the same way: the likelihood's nll and its gradient from a fixed random head.
//
//   npx tsx bench/mixture.ts [--backend wasm] [--batch 16] [--steps 5] [--components 10]

import { selectBackend } from '../src/backend.js';
import type { RecordBatch } from '../src/data/records.js';
import type { ConvImpl } from '../src/layers/maskedConv.js';
import { likelihoodFor, type LikelihoodSpec } from '../src/likelihoods/index.js';
import type { PixelCnnSpec } from '../src/models/pixelcnn/index.js';
import { familyOf, presets } from '../src/models/registry.js';
import { Rng } from '../src/rng.js';
import { tf, type Tensor4D } from '../src/tf.js';
import { localEngine } from '../src/train/engine.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { applyStep, disposeAll, initTrainState, type TrainState } from '../src/train/step.js';
import { median } from './stats.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};


const batchOf = (spec: PixelCnnSpec, n: number, index: number): RecordBatch => {
  const rng = Rng.fromSeed(1000 + index, 5);
  const size = spec.height * spec.width * spec.channels;
  return {
    shape: spec,
    index,
    records: Array.from({ length: n }, (_, i) => ({ index: i, pixels: Uint8Array.from({ length: size }, () => rng.int(spec.levels)) })),
  };
};

/** Median training-step seconds of each spec, the specs taking turns. */
const timeSteps = async (specs: readonly PixelCnnSpec[], batch: number, warmup: number, steps: number, convImpl: ConvImpl): Promise<number[]> => {
  const engine = localEngine({ convImpl });
  const states: TrainState[] = specs.map((s) => initTrainState(s, familyOf(s).init(s, 1), defaultOptimizer('rmsprop')));
  const times: number[][] = specs.map(() => []);
  for (let i = 0; i < warmup + steps; i++) {
    const order = i % 2 ? [...specs.keys()].reverse() : [...specs.keys()];
    for (const r of order) {
      const b = batchOf(specs[r]!, batch, i);
      const t0 = performance.now();
      const { loss, grads } = await engine.compute(specs[r]!, states[r]!.params, b);
      states[r] = applyStep(states[r]!, loss, grads, batch).state;
      if (i >= warmup) times[r]!.push((performance.now() - t0) / 1000);
    }
  }
  states.forEach((s) => disposeAll(s.params, s.slots));
  return times.map(median);
};

/**
 * Median seconds of the likelihood's nll + its gradient with respect to the head alone, from a random
 * head, the specs taking turns (only the gradient's sum is read back: the step does not read it either).
 */
const timeHeads = (specs: readonly PixelCnnSpec[], batch: number, warmup: number, steps: number): number[] => {
  const cases = specs.map((s) => {
    const l = likelihoodFor(s.likelihood, s);
    const P = s.channels * l.featuresPerChannel;
    const head = tf.randomNormal([batch, s.height, s.width, P], 0, 1, 'float32', 3) as Tensor4D;
    const x = tf.floor(tf.randomUniform([batch, s.height, s.width, s.channels], 0, s.levels, 'float32', 4)) as Tensor4D;
    return { l, head, x };
  });
  const times: number[][] = specs.map(() => []);
  for (let i = 0; i < warmup + steps; i++)
    for (const r of i % 2 ? [...specs.keys()].reverse() : [...specs.keys()]) {
      const { l, head, x } = cases[r]!;
      const t0 = performance.now();
      tf.tidy(() => tf.sum(tf.grad((h: tf.Tensor) => tf.mean(l.nll(h as Tensor4D, x)))(head)).dataSync()); // read back one number, not the gradient
      if (i >= warmup) times[r]!.push((performance.now() - t0) / 1000);
    }
  cases.forEach((c) => tf.dispose([c.head, c.x]));
  return times.map(median);
};

const main = async () => {
  const backend = await selectBackend(option('backend') ?? 'wasm');
  if (backend._tag === 'Left') throw backend.left;
  const info = backend.right;
  const batch = Number(option('batch') ?? 16);
  const steps = Number(option('steps') ?? 5);
  const M = Number(option('components') ?? 10);
  const warmup = 2;
  const convImpl: ConvImpl = info.engine === 'tensorflow' ? 'dense' : 'gather';
  const mixture: LikelihoodSpec = { kind: 'logistic-mixture', components: M };
  console.log(`mixture bench — backend ${info.name} (${info.detail}), conv '${convImpl}'; reference PixelCNN, batch ${batch}, median of ${steps} steps after ${warmup} warm-up, alternating`);
  const rows: string[][] = [];
  for (const shape of [
    { height: 28, width: 28, channels: 1 as const, levels: 256 },
    { height: 32, width: 32, channels: 3 as const, levels: 256 },
  ]) {
    const categorical = presets.reference(shape);
    const specs = [{ ...categorical, likelihood: { kind: 'categorical' } }, { ...categorical, likelihood: mixture }];
    const step = await timeSteps(specs, batch, warmup, steps, convImpl);
    const head = timeHeads(specs, batch, warmup, steps);
    specs.forEach((s, r) => {
      const F = likelihoodFor(s.likelihood, s).featuresPerChannel;
      rows.push([
        `${shape.height}×${shape.width}×${shape.channels}`,
        s.likelihood.kind === 'categorical' ? 'categorical' : `logistic-mixture M=${M}`,
        String(shape.channels * F),
        (step[r]! * 1000).toFixed(0),
        (batch / step[r]!).toFixed(2),
        (head[r]! * 1000).toFixed(1),
        r === 0 ? '1.00' : (step[0]! / step[r]!).toFixed(2),
      ]);
    });
  }
  const head = ['image', 'likelihood', 'head features', 'step ms', 'img/s', 'nll+grad ms', 'img/s vs categorical'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  rows.forEach((r) => console.log(line(r)));
};

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
