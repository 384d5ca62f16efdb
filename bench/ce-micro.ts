// `npx tsx bench/ce-micro.ts [repeats]`: the reference head's softmax cross-entropy (16 images 28×28×1,
// K = 256), forward and gradient, through the fused kernel (kernels/crossEntropy.ts) and through
// likelihood.ts's tfjs ops, alternating, medians.
import { selectBackend } from '../src/backend.js';
import { setCrossEntropyKernel } from '../src/kernels/crossEntropy.js';
import { categorical } from '../src/likelihoods/categorical.js';

/** −log p(x) per image from logits [B, H, W, C, K] through the categorical likelihood (the fused kernel where it runs). */
const nllPerImage = (logits: Tensor5D, x: Tensor4D) => {
  const [b, h, w, c, k] = logits.shape;
  return categorical({ channels: c, levels: k }).nll(logits.reshape([b, h, w, c * k]) as Tensor4D, x);
};
import { tf, type Tensor4D, type Tensor5D } from '../src/tf.js';
import { median } from './stats.js';

await selectBackend('wasm');
const repeats = Number(process.argv[2] ?? 15);
const logits = tf.randomNormal([16, 28, 28, 1, 256]) as Tensor5D;
const x = tf.floor(tf.randomUniform([16, 28, 28, 1], 0, 256)) as Tensor4D;
const run = () => {
  const t0 = performance.now();
  const { value, grads } = tf.valueAndGrads((l: tf.Tensor) => tf.mean(nllPerImage(l as Tensor5D, x)) as tf.Scalar)([logits]);
  grads[0]!.dataSync();
  const ms = performance.now() - t0;
  tf.dispose([value, ...grads]);
  return ms;
};
const arms: [string, boolean][] = [['fused kernel', true], ['tfjs ops', false]];
const times: number[][] = arms.map(() => []);
for (let i = 0; i < repeats + 2; i++)
  for (const k of i % 2 ? [1, 0] : [0, 1]) {
    setCrossEntropyKernel(arms[k]![1]);
    const ms = run();
    if (i >= 2) times[k]!.push(ms);
  }
arms.forEach(([name], k) => console.log(`${name.padEnd(13)} ${median(times[k]!).toFixed(2)} ms (loss + gradient, median of ${repeats})`));
