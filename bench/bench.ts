// `npm run bench` — training speed of the reference PixelCNN (28×28×1, K = 256, h = 64,
// 7×7 mask A, 6 residual 3×3 mask B, two 1×1, batch 16) on the current backend:
//   - training images/s in this process (median step after warm-up) and the per-kernel profile;
//   - useful GFLOP/s: multiply-adds of unmasked taps only (masks.ts usefulWeights), ×2 flops, for
//     the forward pass, the weight gradient, and the input gradient of every layer but the first
//     (whose input is data) — about 3× the forward flops;
//   - the backend's own plain matMul GFLOP/s measured in the same run, and the fraction;
//   - data-parallel training with 1 and N worker threads (train/workers.ts) and the speedup, beside
//     the machine's own ceiling for it, timed in the same rounds (bench/threadCeiling.ts: the same work
//     in N threads, no engine), and the fraction of that ceiling the engine reaches, per round;
//   - the naive baseline: what a user would write — conv2d with masked weights, autodiff, on the
//     pure-JS cpu backend — timed over a few steps (median) at batch 1 (it is linear in the batch), and
//     the ratio of images/s;
//   - peak RSS; then PixelRNN training (bench/recurrent.ts) and cached vs naive sampling
//     (bench/sampling.ts, bench/samplingRecurrent.ts).
// Flags: --json (machine-readable on stdout, the table on stderr), --quick (fewer steps, skips
// sampling and recurrent), --steps N (timed training rounds; default 8, 3 in --quick),
// --workers N (default os.availableParallelism()), --backend NAME,
// --no-naive, --naive-steps N (default 3; 1 in --quick), --no-workers, --no-extras (skips sampling and
// recurrent), --profile (profile in --quick),
// --no-mixture (skips the logistic-mixture head against the softmax, bench/mixture.ts), --browser
// (cached sampling in headless Chromium: bench/browser.ts),
// --peer (PyTorch on the same machine, same run: bench/peer.ts; needs python3 with torch; --peer-steps N,
// --peer-before: also our fallback path — plain SIMD, tfjs-ops cross-entropy — in the same rounds),
// --quality [--budget S] (each family trained for S CPU seconds, NLL on the MNIST test set; minutes).

import { execFileSync } from 'node:child_process';
import { benchGatedPixelCnn } from './gatedPixelCnn.js';
import { benchPixelCnnPp } from './pixelcnnpp.js';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../src/backend.js';
import type { RecordBatch } from '../src/data/records.js';
import type { ConvImpl } from '../src/layers/maskedConv.js';
import { pixelCnnFlops, type PixelCnnSpec } from '../src/models/pixelcnn/index.js';
import { familyOf, presets } from '../src/models/registry.js';
import { Rng } from '../src/rng.js';
import { tf } from '../src/tf.js';
import { localEngine, type GradientEngine } from '../src/train/engine.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { applyStep, disposeAll, initTrainState, type TrainState } from '../src/train/step.js';
import { workerEngine, type WorkerEngine } from '../src/train/workers.js';
import { plainMatMulGflops } from './matmul.js';
import { benchQuality } from './quality.js';
import { startCeiling } from './threadCeiling.js';
import { benchRecurrent } from './recurrent.js';
import { benchSampling } from './sampling.js';
import { benchPeer } from './peer.js';
import { benchRecurrentSampling } from './samplingRecurrent.js';
import { median } from './stats.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = flag('json');
const quick = flag('quick');
const say = (line = '') => (json ? process.stderr.write(`${line}\n`) : console.log(line));


const table = (head: readonly string[], rows: readonly (readonly string[])[]) => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  say(line(head));
  say(widths.map((w) => '─'.repeat(w)).join('  '));
  rows.forEach((r) => say(line(r)));
};

// ---- the workload ----

export const referenceSpec = (): PixelCnnSpec => presets.reference({ height: 28, width: 28, channels: 1, levels: 256 });

/** Useful flops per image for one training step (the family's own count, src/models/pixelcnn/index.ts). */
export const usefulTrainFlops = pixelCnnFlops;

const batchOf = (spec: PixelCnnSpec, n: number, index: number): RecordBatch => {
  const rng = Rng.fromSeed(1000 + index, 5);
  const size = spec.height * spec.width * spec.channels;
  return {
    shape: spec,
    index,
    records: Array.from({ length: n }, (_, i) => ({
      index: i,
      pixels: Uint8Array.from({ length: size }, () => Math.floor(rng.uniform() * spec.levels)),
    })),
  };
};

interface TrainFigures {
  readonly engine: string;
  readonly batch: number;
  readonly steps: number;
  readonly medianStepSeconds: number;
  /** Every timed step, in order (round i of every engine is entry i). */
  readonly stepSeconds: readonly number[];
  readonly imagesPerSecond: number;
  readonly usefulGflops: number;
  readonly losses: readonly number[];
  /** Median GFLOP/s of a plain matMul timed between the training steps. */
  readonly matMulGflops: number;
}

/** One plain product of the residual layer's matMul shape, GFLOP/s (the engine's own speed, now). */
const matMulProbe = (spec: PixelCnnSpec, batch: number) => {
  const [m, k, n] = [batch * spec.height * spec.width, 5 * spec.hidden, spec.hidden];
  const a = tf.randomNormal([m, k]) as tf.Tensor2D;
  const b = tf.randomNormal([k, n]) as tf.Tensor2D;
  a.dataSync();
  b.dataSync();
  const t0 = performance.now();
  const c = tf.matMul(a, b);
  c.dataSync();
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([a, b, c]);
  return (2 * m * k * n) / seconds / 1e9;
};

/**
 * Train `steps` timed steps (after `warmup`) through each engine, the engines taking turns step by
 * step (so that a shared machine's changing load hits all of them alike); the median step time of
 * each. After each timed step a plain matMul is timed too, so that the fraction compares work done
 * under the same machine load. `afterRound` runs once in every timed round, after the engines or
 * (odd rounds, which also reverse the engines' order) before them.
 */
const timeTraining = async (
  runs: readonly { readonly engine: GradientEngine; readonly afterStep?: (seconds: number) => void }[],
  spec: PixelCnnSpec,
  batch: number,
  warmup: number,
  steps: number,
  afterRound?: () => Promise<void>,
): Promise<TrainFigures[]> => {
  let states: TrainState[] = runs.map(() => initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('rmsprop')));
  const times: number[][] = runs.map(() => []);
  const losses: number[][] = runs.map(() => []);
  const probes: number[][] = runs.map(() => []);
  for (let i = 0; i < warmup + steps; i++) {
    const b = batchOf(spec, batch, i);
    // Odd rounds run everything in the opposite order, so no engine always follows an idle or a busy spell.
    const reversed = i % 2 === 1;
    if (i >= warmup && reversed) await afterRound?.();
    for (const [r, run] of reversed ? [...runs.entries()].reverse() : runs.entries()) {
      const t0 = performance.now();
      const { loss, grads } = await run.engine.compute(spec, states[r]!.params, b);
      states[r] = applyStep(states[r]!, loss, grads, batch).state;
      const dt = (performance.now() - t0) / 1000;
      losses[r]!.push(loss);
      if (i >= warmup) {
        times[r]!.push(dt);
        run.afterStep?.(dt);
        probes[r]!.push(matMulProbe(spec, batch));
      }
    }
    if (i >= warmup && !reversed) await afterRound?.();
  }
  states.forEach((st) => disposeAll(st.params, st.slots));
  states = [];
  return runs.map((run, r) => {
    const step = median(times[r]!);
    const ips = batch / step;
    return {
      engine: run.engine.description,
      batch,
      steps,
      medianStepSeconds: step,
      stepSeconds: times[r]!,
      imagesPerSecond: ips,
      usefulGflops: (ips * usefulTrainFlops(spec).train) / 1e9,
      losses: losses[r]!,
      matMulGflops: median(probes[r]!),
    };
  });
};

/** Per-kernel milliseconds of one in-process training step, biggest first. */
const profileStep = async (spec: PixelCnnSpec, batch: number, convImpl: ConvImpl) => {
  const engine = localEngine({ convImpl });
  let state: TrainState = initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('rmsprop'));
  const b = batchOf(spec, batch, 0);
  const run = async () => {
    const { loss, grads } = await engine.compute(spec, state.params, b);
    state = applyStep(state, loss, grads, batch).state;
  };
  await run(); // warm-up
  let pending: Promise<void> = Promise.resolve();
  const info = await tf.profile(() => {
    pending = run();
  });
  await pending;
  disposeAll(state.params, state.slots);
  const byKernel = new Map<string, number>();
  // Op scopes ('xxx__op', custom-gradient 'unnamed scope') wrap kernels that are listed themselves.
  for (const k of info.kernels)
    if (!k.name.endsWith('__op') && k.name !== 'unnamed scope') byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  return [...byKernel.entries()].sort((a, b) => b[1] - a[1]).map(([kernel, ms]) => ({ kernel, ms }));
};

/** The backend's plain matMul: the residual layer's shape as one product, and a square 1024³. */
const matMulGflops = (spec: PixelCnnSpec, batch: number, repeats: number) => {
  const rows = batch * spec.height * spec.width;
  const shapes: [string, number, number, number][] = [
    [`[${rows}×${5 * spec.hidden}]·[${5 * spec.hidden}×${spec.hidden}]`, rows, 5 * spec.hidden, spec.hidden],
    ['[1024×1024]·[1024×1024]', 1024, 1024, 1024],
  ];
  return shapes.map(([shape, m, k, n]) => ({ shape, gflops: plainMatMulGflops(m, k, n, repeats) }));
};

/**
 * The naive baseline on the cpu backend: dense masked conv2d, autodiff; `steps` timed steps (about
 * a minute each at the reference size), the median reported (the first one includes JIT warm-up,
 * small against a minute). With `side` below the spec's, the image is smaller (e.g. 14×14) and
 * images/s is scaled down by the pixel ratio (every layer's cost is linear in pixels) — used by --quick.
 */
const naiveBaseline = async (spec: PixelCnnSpec, batch: number, side: number, steps: number) => {
  tf.env().set('PROD', true); // no 'install tfjs-node' banner when the cpu backend starts (IS_TEST would turn on tfjs's kernel leak checker)
  const before = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    const small: PixelCnnSpec = { ...spec, height: side, width: side };
    const engine = localEngine({ convImpl: 'dense' });
    let state: TrainState = initTrainState(small, familyOf(small).init(small, 1), defaultOptimizer('rmsprop'));
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      const { loss, grads } = await engine.compute(small, state.params, batchOf(small, batch, i));
      state = applyStep(state, loss, grads, batch).state;
      times.push((performance.now() - t0) / 1000);
    }
    disposeAll(state.params, state.slots);
    const seconds = median(times);
    const pixelRatio = (side * side) / (spec.height * spec.width);
    return {
      backend: 'cpu',
      convImpl: 'dense' as const,
      batch,
      image: `${side}×${side}`,
      steps,
      stepSeconds: seconds,
      stepTimes: times,
      imagesPerSecond: (batch / seconds) * pixelRatio,
      note: pixelRatio === 1 ? 'measured' : `measured at ${side}×${side}, scaled by the pixel ratio ${pixelRatio.toFixed(2)}`,
    };
  } finally {
    await tf.setBackend(before);
  }
};

const main = async () => {
  const backend = await selectBackend(option('backend'));
  if (backend._tag === 'Left') throw backend.left;
  const info = backend.right;
  const spec = referenceSpec();
  const batch = 16;
  const convImpl: ConvImpl = info.engine === 'tensorflow' ? 'dense' : 'gather';
  const workersWanted = Number(option('workers') ?? availableParallelism());
  const steps = Number(option('steps') ?? (quick ? 3 : 8));
  const warmup = quick ? 1 : 2;
  const flops = usefulTrainFlops(spec);
  const t0 = performance.now();

  say(`pixelstreams bench — backend ${info.name} (${info.detail}), conv '${convImpl}', main thread: 1; cores: ${availableParallelism()}`);
  say(`reference PixelCNN: 28×28×1, K=256, h=64, 7×7 mask A, 6 residual 3×3 mask B, two 1×1; batch ${batch}`);
  say(`useful work: ${(flops.forward / 1e6).toFixed(1)} MFLOP forward, ${(flops.train / 1e6).toFixed(1)} MFLOP per trained image (unmasked taps only; forward + dW + dX except the first layer)`);
  say();

  const matmul = matMulGflops(spec, batch, quick ? 3 : 5);
  const matmulBest = Math.max(...matmul.map((m) => m.gflops));
  // In-process, 1 worker and N workers step by step in turn (see timeTraining).
  const counts = !flag('no-workers') && info.engine !== 'tensorflow' ? [...new Set([1, workersWanted])] : [];
  const pools: WorkerEngine[] = counts.map((n) => workerEngine({ workers: n, backend: info.name, convImpl }));
  const overheads: number[][] = pools.map(() => []);
  // The machine's limit for the same split, no engine in the way (bench/threadCeiling.ts), timed
  // once per round between the engines' steps.
  const ceilingThreads =
    counts.length > 1 && workersWanted > 1 ? await startCeiling({ threads: workersWanted, batch, backend: info.name, convImpl }) : null;
  const ceilingRatios: number[] = [];
  let figures: TrainFigures[];
  try {
    figures = await timeTraining(
      [
        { engine: localEngine({ convImpl }) },
        // Overhead per step: wall time (send params and shards, receive and average gradients,
        // apply the update) minus the slowest worker's own compute time.
        ...pools.map((engine, p) => ({
          engine,
          afterStep: (seconds: number) => overheads[p]!.push(seconds * 1000 - Math.max(...engine.lastStats().map((s) => s.computeMs))),
        })),
      ],
      spec,
      batch,
      warmup,
      steps,
      ceilingThreads ? async () => void ceilingRatios.push(await ceilingThreads.round()) : undefined,
    );
  } finally {
    await Promise.all([...pools.map((e) => e.close()), ceilingThreads?.close()]);
  }
  const single = figures[0]!;
  const workerRuns: (TrainFigures & { workers: number; overheadMs: number })[] = counts.map((n, p) => ({
    ...figures[p + 1]!,
    workers: n,
    overheadMs: median(overheads[p]!),
  }));
  const profile = quick && !flag('profile') ? [] : await profileStep(spec, batch, convImpl);
  const naive = flag('no-naive') ? null : await naiveBaseline(spec, 1, quick ? 14 : spec.height, Number(option('naive-steps') ?? (quick ? 1 : 3)));
  const rssAfterTraining = process.resourceUsage().maxRSS * 1024;

  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  say('Training (reference config)');
  const rows: string[][] = [
    ['in-process, 1 thread', single.imagesPerSecond.toFixed(2), single.usefulGflops.toFixed(2), single.matMulGflops.toFixed(2), pct(single.usefulGflops / single.matMulGflops), (single.medianStepSeconds * 1000).toFixed(0)],
    ...workerRuns.map((w) => [
      `${w.workers} worker${w.workers > 1 ? 's' : ''}`,
      w.imagesPerSecond.toFixed(2),
      w.usefulGflops.toFixed(2),
      w.matMulGflops.toFixed(2),
      pct(w.usefulGflops / (w.workers * w.matMulGflops)),
      (w.medianStepSeconds * 1000).toFixed(0),
    ]),
  ];
  if (naive)
    rows.push([
      `naive: cpu, dense conv2d (batch ${naive.batch}, ${naive.image}, median of ${naive.steps} step${naive.steps === 1 ? '' : 's'})`,
      naive.imagesPerSecond.toFixed(3),
      ((naive.imagesPerSecond * flops.train) / 1e9).toFixed(3),
      '',
      '',
      (naive.stepSeconds * 1000).toFixed(0),
    ]);
  table(['engine', 'img/s', 'useful GFLOP/s', 'matMul GFLOP/s', 'useful/matMul', 'step ms'], rows);
  say('(matMul GFLOP/s: a plain [B·H·W×320]·[320×64] product timed between the same steps, one thread; for N workers the fraction is of N× that)');
  say();
  table(['plain matMul (same backend, same run)', 'GFLOP/s'], matmul.map((m) => [m.shape, m.gflops.toFixed(2)]));
  const w1 = workerRuns.find((w) => w.workers === 1);
  const wn = workerRuns.find((w) => w.workers === workersWanted && workersWanted > 1);
  // Per round: the engine's N-vs-1 ratio, the ceiling's, and the fraction of the ceiling reached.
  const scaling =
    w1 && wn && ceilingRatios.length
      ? (() => {
          const engine = w1.stepSeconds.map((t, i) => t / wn.stepSeconds[i]!);
          const ofCeiling = engine.map((e, i) => e / ceilingRatios[i]!);
          return { threads: wn.workers, engine, ceiling: ceilingRatios, ofCeiling, median: { engine: median(engine), ceiling: median(ceilingRatios), ofCeiling: median(ofCeiling) } };
        })()
      : null;
  say();
  if (naive && naive.image !== `${spec.height}×${spec.width}`) say(`naive baseline ${naive.note}`);
  if (naive) say(`speed-up over the naive baseline: ${(single.imagesPerSecond / naive.imagesPerSecond).toFixed(0)}× (1 thread)${wn ? `, ${(wn.imagesPerSecond / naive.imagesPerSecond).toFixed(0)}× (${wn.workers} workers)` : ''}`);
  if (w1 && wn) say(`workers: ${wn.workers} vs 1 = ${(wn.imagesPerSecond / w1.imagesPerSecond).toFixed(2)}×`);
  if (scaling) {
    const list = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(' ');
    say(`  per round: engine ${scaling.median.engine.toFixed(2)}× (${list(scaling.engine)})`);
    say(`  this machine's ceiling in the same rounds — the same gradient work in ${scaling.threads} threads, no coordination: ${scaling.median.ceiling.toFixed(2)}× (${list(scaling.ceiling)})`);
    say(`  engine ÷ ceiling, per round: ${(100 * scaling.median.ofCeiling).toFixed(0)}% (${list(scaling.ofCeiling)})`);
  }
  for (const w of workerRuns)
    say(`  ${w.workers} worker${w.workers > 1 ? 's' : ''}: ${w.overheadMs.toFixed(1)} ms per step outside the workers' compute (params out, grads back, average, update) of ${(w.medianStepSeconds * 1000).toFixed(0)} ms`);
  say(`peak RSS: ${(rssAfterTraining / 2 ** 20).toFixed(0)} MiB (whole process, worker threads included)`);
  if (profile.length) {
    say();
    say('Per-kernel time of one in-process step (tf.profile, kernels only):');
    table(['kernel', 'ms'], profile.slice(0, 12).map((p) => [p.kernel, p.ms.toFixed(1)]));
  }

  const peer = flag('peer')
    ? await benchPeer({ log: say, before: flag('peer-before'), ...(option('peer-steps') ? { steps: Number(option('peer-steps')) } : quick ? { steps: 3, warmup: 1 } : {}) })
    : { skipped: 'pass --peer (PyTorch on the same machine: bench/peer.ts)' };
  const skip = quick ? { skipped: '--quick' } : flag('no-extras') ? { skipped: '--no-extras' } : null;
  const recurrent = skip ?? (await benchRecurrent({ log: say }));
  const sampling = skip ?? (await benchSampling({ log: say }));
  const recurrentSampling = skip ?? (await benchRecurrentSampling({ log: say }));
  // The successors: Gated PixelCNN's training speed and its cached sampler against the naive rerun.
  const gatedPixelCnn = skip ?? benchGatedPixelCnn({ log: say });
  // PixelCNN++ (issue 14): training with and without our kernels, its cached sampler against the naive rerun.
  const pixelCnnPp = skip ?? benchPixelCnnPp({ log: say });
  // The logistic-mixture head, and sampling in headless Chromium: separate scripts, on request.
  const script = (file: string) => (say(`\n── ${file} ──`), execFileSync(process.execPath, [...process.execArgv, fileURLToPath(new URL(file, import.meta.url))], { stdio: ['ignore', 2, 2] }), { ran: file });
  const mixture = skip ?? (flag('no-mixture') ? { skipped: '--no-mixture' } : script('./mixture.ts'));
  const browser = flag('browser') ? script('./browser.ts') : { skipped: 'pass --browser (bench/browser.ts: headless Chromium)' };
  // The quality run trains every family for minutes: only on request.
  const quality = flag('quality')
    ? await benchQuality({ log: say, ...(option('budget') ? { budgetSeconds: Number(option('budget')) } : {}) })
    : { skipped: 'pass --quality (and --budget CPU_SECONDS per family)' };
  const seconds = (performance.now() - t0) / 1000;
  say();
  say(`bench took ${seconds.toFixed(0)} s`);
  if (json)
    console.log(
      JSON.stringify(
        {
          backend: info,
          cores: availableParallelism(),
          config: { spec, batch, convImpl },
          flops: { ...flops, counting: 'unmasked taps only; forward + weight gradient + input gradient of every layer but the first' },
          matmul,
          training: { single, workers: workerRuns, naive },
          ratios: {
            usefulOverMatMul: single.usefulGflops / single.matMulGflops,
            usefulOverBestStandaloneMatMul: single.usefulGflops / matmulBest,
            overNaive: naive ? single.imagesPerSecond / naive.imagesPerSecond : null,
            workersSpeedup: w1 && wn ? wn.imagesPerSecond / w1.imagesPerSecond : null,
            threadCeiling: scaling?.median.ceiling ?? null,
            workersOfCeiling: scaling?.median.ofCeiling ?? null,
          },
          scaling,
          peakRssBytesAfterTraining: rssAfterTraining,
          peakRssBytesWholeBench: process.resourceUsage().maxRSS * 1024,
          profile,
          peer,
          recurrent,
          sampling,
          recurrentSampling,
          gatedPixelCnn,
          pixelCnnPp,
          mixture,
          browser,
          quality,
          seconds,
        },
        null,
        2,
      ),
    );
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
