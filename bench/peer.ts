// The peer benchmark: pixelstreams against PyTorch — the library a CPU user would pick
// instead — on the same machine, in the same run, alternating step by step. Called by
// `npm run bench -- --peer` (bench/bench.ts) as benchPeer({ log }); alone:
// `npx tsx bench/peer.ts [backend] [--before] [--steps N] [--no-sampling] [--no-training] [--json]`.
//
// PyTorch runs bench/peer/peer.py --serve in a child process (the system python3 with torch; set
// PIXELSTREAMS_PYTHON to use another interpreter; /usr/bin/python3 is tried after python3), answering JSON commands one a line. Measured:
//   - training images/s (batch 16, RMSProp, median step after warm-up) of the reference PixelCNN and
//     the paper's MNIST Row LSTM and Diagonal BiLSTM, at 1 thread (ours in-process, torch
//     set_num_threads(1)) and 2 threads (ours 2 workers, torch set_num_threads(2)); each round runs
//     one step of ours and one of PyTorch's, the order reversed every other round;
//   - sampling 16 images 28×28×1 and 32×32×3 of the reference PixelCNN: our cached sampler (the
//     whole batch, timed), PyTorch's naive sampler (rerun the network per value) timed over a fixed
//     number of positions and extrapolated to all H·W·C of them — said so in the output.
// With `before` (bench.ts --peer-before, alone --before) a third arm at 1 thread, in the same rounds:
// pixelstreams on its fallback path — the plain-SIMD build and likelihood.ts's own cross-entropy ops,
// what runs where relaxed SIMD is missing (bench/against-commit.ts compares with an older commit).
// Without torch it prints how to install it and returns { skipped }.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../src/backend.js';
import type { RecordBatch } from '../src/data/records.js';
import type { BaseSpec } from '../src/model.js';
import { defaultConvImpl } from '../src/layers/maskedConv.js';
import { familyOf, initModel, presetOrThrow } from '../src/models/registry.js';
import { Rng } from '../src/rng.js';
import { tf } from '../src/tf.js';
import { samplerFor } from '../src/sampling/session.js';
import { setCrossEntropyKernel } from '../src/kernels/crossEntropy.js';
import { kernelBuild, useKernelBuild } from '../src/kernels/module.js';
import { localEngine, type GradientEngine } from '../src/train/engine.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { applyStep, disposeAll, initTrainState, type TrainState } from '../src/train/step.js';
import { workerEngine } from '../src/train/workers.js';
import { samplerSeconds } from './sampling.js';
import { median } from './stats.js';

/** The first of PIXELSTREAMS_PYTHON, python3 on the PATH, /usr/bin/python3 (Debian's, where python3-torch installs) that imports torch. */
let found: string | null | undefined;
const python = (): string | null => {
  if (found === undefined) {
    const candidates = process.env['PIXELSTREAMS_PYTHON'] ? [process.env['PIXELSTREAMS_PYTHON']] : ['python3', '/usr/bin/python3'];
    found = candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) ?? null;
  }
  return found;
};
const script = fileURLToPath(new URL('./peer/peer.py', import.meta.url));
const BATCH = 16;

export const installHint =
  "PyTorch peer benchmark skipped: neither `python3` nor `/usr/bin/python3` can `import torch`. Install it with `apt-get install python3-torch` (Debian/Ubuntu) or `pip install torch`, or point PIXELSTREAMS_PYTHON at a Python that has it.";

/** Whether the peer can run here: python3 imports torch. */
export const torchAvailable = (): boolean => python() !== null;

interface Peer {
  ask<T>(msg: object): Promise<T>;
  close(): Promise<void>;
}

const startPeer = (): Peer => {
  const child: ChildProcessWithoutNullStreams = spawn(python()!, [script, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    ask: async <T>(msg: object): Promise<T> => {
      child.stdin.write(`${JSON.stringify(msg)}\n`);
      const next = await lines.next();
      if (next.done) throw new Error(`bench/peer/peer.py ended unexpectedly: ${stderr.trim() || 'no message'}`);
      const out = JSON.parse(next.value) as T & { error?: string };
      if (out.error) throw new Error(`bench/peer/peer.py answered ${JSON.stringify(msg)} with: ${out.error}`);
      return out;
    },
    close: async () => {
      child.stdin.end();
      await new Promise<void>((done) => (child.exitCode !== null ? done() : child.once('exit', () => done())));
    },
  };
};


/** The peer's model names and our presets for them. */
const workloads = () => [
  { peer: 'pixelcnn', spec: presetOrThrow('pixelcnn', 'reference')({ height: 28, width: 28, channels: 1, levels: 256 }), label: 'reference PixelCNN (K=256)' },
  { peer: 'row-lstm', spec: presetOrThrow('row-lstm', 'mnist')({ height: 28, width: 28, channels: 1, levels: 2 }), label: 'MNIST Row LSTM (K=2, 7 layers h=16)' },
  { peer: 'diagonal-bilstm', spec: presetOrThrow('diagonal-bilstm', 'mnist')({ height: 28, width: 28, channels: 1, levels: 2 }), label: 'MNIST Diagonal BiLSTM (K=2, 7 layers h=16)' },
];

const batchOf = (spec: BaseSpec, index: number): RecordBatch => {
  const rng = Rng.fromSeed(1000 + index, 5);
  const size = spec.height * spec.width * spec.channels;
  const value = spec.levels === 2 ? () => (rng.uniform() < 0.2 ? 1 : 0) : () => Math.floor(rng.uniform() * spec.levels);
  return { shape: spec, index, records: Array.from({ length: BATCH }, (_, i) => ({ index: i, pixels: Uint8Array.from({ length: size }, value) })) };
};

export interface PeerTraining {
  readonly model: string;
  readonly threads: number;
  readonly ours: { readonly imagesPerSecond: number; readonly stepSeconds: readonly number[]; readonly engine: string };
  readonly torch: { readonly imagesPerSecond: number; readonly stepSeconds: readonly number[] };
  /** ours ÷ torch images/s (medians). */
  readonly ratio: number;
  /** With `before`: pixelstreams with the plain-SIMD kernels and tfjs-ops cross-entropy, in the same rounds. */
  readonly before?: { readonly imagesPerSecond: number; readonly stepSeconds: readonly number[]; readonly ratio: number };
}

export interface PeerSampling {
  readonly shape: string;
  readonly oursCachedSeconds: number;
  readonly torchNaiveSeconds: readonly { readonly threads: number; readonly seconds: number; readonly positionsTimed: number; readonly extrapolated: boolean }[];
  /** torch naive (its best thread count) ÷ our cached. */
  readonly speedup: number;
}

export interface PeerBench {
  readonly torch: string;
  readonly training: PeerTraining[];
  readonly sampling: PeerSampling[];
  readonly note: string;
}

/**
 * The CPU and its widest float vectors, which decide PyTorch's side: oneDNN picks its kernels at run
 * time (AVX-512 where the CPU has it: 16 floats a vector), while wasm SIMD is 128-bit (4) everywhere.
 */
const cpuLine = (): string => {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    // not Linux: the model name alone
  }
  const has = (f: string) => flags.split(/\s+/).includes(f);
  const widest = has('avx512f') ? 'AVX-512 (16 floats a vector)' : has('avx2') ? 'AVX2 (8 floats)' : flags ? 'no AVX2' : 'vector ISA unknown';
  return `CPU ${cpus()[0]?.model.trim() ?? 'unknown'}, ${widest}${has('fma') ? ' with FMA' : ''}; our wasm SIMD: 4 floats a vector`;
};

/** One timed arm of a round: a step of some engine, in seconds. */
interface Arm {
  readonly step: (round: number) => Promise<number>;
  readonly close: () => Promise<void>;
}

/** Our training step through `engine`, with `around` run before the step (and its result after). */
const oursArm = (w: ReturnType<typeof workloads>[number], engine: GradientEngine, around: () => () => void = () => () => {}): Arm => {
  let state: TrainState = initTrainState(w.spec, familyOf(w.spec).init(w.spec, 1), defaultOptimizer('rmsprop'));
  return {
    step: async (i) => {
      const b = batchOf(w.spec, i);
      const restore = around();
      try {
        const t0 = performance.now();
        const { loss, grads } = await engine.compute(w.spec, state.params, b);
        state = applyStep(state, loss, grads, BATCH).state;
        return (performance.now() - t0) / 1000;
      } finally {
        restore();
      }
    },
    close: async () => {
      disposeAll(state.params, state.slots);
      await engine.close();
    },
  };
};

/** pixelstreams' fallback path: the plain-SIMD build, likelihood.ts's own cross-entropy ops. */
const beforeChanges = () => {
  const build = kernelBuild();
  useKernelBuild('simd');
  setCrossEntropyKernel(false);
  return () => {
    useKernelBuild(build);
    setCrossEntropyKernel(true);
  };
};

const trainPair = async (peer: Peer, w: ReturnType<typeof workloads>[number], threads: number, warmup: number, steps: number, before: boolean): Promise<PeerTraining> => {
  const convImpl = defaultConvImpl();
  const local = () => localEngine({ convImpl });
  const arms: Arm[] = [
    oursArm(w, threads === 1 ? local() : workerEngine({ workers: threads, backend: tf.getBackend(), convImpl })),
    { step: async () => (await peer.ask<{ seconds: number[] }>({ cmd: 'train', model: w.peer, threads, steps: 1 })).seconds[0]!, close: async () => {} },
    ...(before && threads === 1 ? [oursArm(w, local(), beforeChanges)] : []),
  ];
  const times: number[][] = arms.map(() => []);
  try {
    for (let i = 0; i < warmup + steps; i++) {
      // odd rounds run the arms in the opposite order, so that none always follows another's idle or busy spell
      for (const k of i % 2 === 0 ? [...arms.keys()] : [...arms.keys()].reverse()) {
        const seconds = await arms[k]!.step(i);
        if (i >= warmup) times[k]!.push(seconds);
      }
    }
  } finally {
    for (const a of arms) await a.close();
  }
  const [oursIps, torchIps, beforeIps] = times.map((t) => BATCH / median(t));
  return {
    model: w.label,
    threads,
    ours: { imagesPerSecond: oursIps!, stepSeconds: times[0]!, engine: threads === 1 ? 'in-process' : `${threads} workers` },
    torch: { imagesPerSecond: torchIps!, stepSeconds: times[1]! },
    ratio: oursIps! / torchIps!,
    ...(beforeIps ? { before: { imagesPerSecond: beforeIps, stepSeconds: times[2]!, ratio: beforeIps / torchIps! } } : {}),
  };
};

const samplePair = async (peer: Peer, [h, w, c]: readonly [number, number, 1 | 3], positions: number): Promise<PeerSampling> => {
  const spec = presetOrThrow('pixelcnn', 'reference')({ height: h, width: w, channels: c, levels: 256 });
  const model = initModel(spec, 1);
  const cached = samplerFor(model, true);
  samplerSeconds(model, BATCH, cached, 2 * w * c); // warm the JIT
  const oursSeconds = samplerSeconds(model, BATCH, cached);
  disposeAll(model.params);
  const total = h * w * c;
  const torchNaiveSeconds = [];
  for (const threads of [1, 2]) {
    const timed = Math.min(positions, total);
    const r = await peer.ask<{ seconds: number }>({ cmd: 'sample', model: 'pixelcnn', threads, shape: [h, w, c], positions: timed });
    torchNaiveSeconds.push({ threads, seconds: (r.seconds / timed) * total, positionsTimed: timed, extrapolated: timed < total });
  }
  const best = Math.min(...torchNaiveSeconds.map((t) => t.seconds));
  return { shape: `${h}×${w}×${c}`, oursCachedSeconds: oursSeconds, torchNaiveSeconds, speedup: best / oursSeconds };
};

/** The peer benchmark; null-free: without torch it logs how to install it and returns { skipped }. */
export const benchPeer = async (
  options: {
    steps?: number;
    warmup?: number;
    naivePositions?: number;
    sampling?: boolean;
    /** Time training (default true); false: only the sampling comparison. */
    training?: boolean;
    /** Also time, at 1 thread in the same rounds, the fallback path (plain SIMD, tfjs-ops cross-entropy). */
    before?: boolean;
    log?: (line: string) => void;
  } = {},
): Promise<PeerBench | { skipped: string }> => {
  const log = options.log ?? ((line: string) => console.log(line));
  if (!torchAvailable()) {
    log(`\n${installHint}`);
    return { skipped: installHint };
  }
  const steps = options.steps ?? 8;
  const warmup = options.warmup ?? 2;
  const positions = options.naivePositions ?? 24;
  const peer = startPeer();
  try {
    const hello = await peer.ask<{ torch: string; mkldnn: boolean }>({ cmd: 'hello' });
    log(`\nPeer: PyTorch ${hello.torch} (oneDNN ${hello.mkldnn ? 'on' : 'off'}, bench/peer/peer.py) vs pixelstreams, same run, alternating step by step; batch ${BATCH}, RMSProp, median of ${steps} steps after ${warmup} warm-up`);
    const before = options.before ?? false;
    log(`machine load average (1 min) at the start: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores; ${cpuLine()}`);
    log(`model                                       threads  ours img/s  torch img/s  ours/torch${before ? '  fallback img/s  fallback/torch' : ''}   (ours: in-process at 1 thread, N workers at N)`);
    const training: PeerTraining[] = [];
    for (const w of options.training === false ? [] : workloads())
      for (const threads of [1, 2]) {
        const r = await trainPair(peer, w, threads, warmup, steps, before);
        training.push(r);
        const was = r.before ? `  ${r.before.imagesPerSecond.toFixed(1).padStart(14)}  ${r.before.ratio.toFixed(2).padStart(13)}×` : before ? '               —               —' : '';
        log(`${w.label.padEnd(44)} ${String(threads).padStart(7)}  ${r.ours.imagesPerSecond.toFixed(1).padStart(10)}  ${r.torch.imagesPerSecond.toFixed(1).padStart(11)}  ${r.ratio.toFixed(2).padStart(9)}×${was}`);
      }
    const sampling: PeerSampling[] = [];
    if (options.sampling ?? true) {
      log(`\nSampling 16 images, reference PixelCNN: our cached sampler (whole batch, 1 thread) vs PyTorch's naive sampler (rerun the network per value), the naive one timed over ${positions} positions and extrapolated ×H·W·C`);
      log('shape       ours cached s   torch naive s, 1 thread   2 threads   speedup (vs torch best)');
      for (const shape of [[28, 28, 1], [32, 32, 3]] as const) {
        const r = await samplePair(peer, shape, positions);
        sampling.push(r);
        const [t1, t2] = r.torchNaiveSeconds;
        log(`${r.shape.padEnd(10)} ${r.oursCachedSeconds.toFixed(2).padStart(14)}  ${t1!.seconds.toFixed(1).padStart(24)}  ${t2!.seconds.toFixed(1).padStart(10)}  ${r.speedup.toFixed(0).padStart(8)}×   (naive: ${t1!.positionsTimed} of ${r.shape.split('×').map(Number).reduce((a, b) => a * b)} positions timed, extrapolated)`);
      }
    }
    if (before) log('(fallback: pixelstreams with the plain-SIMD kernels and tfjs-ops cross-entropy, in the same rounds, 1 thread only)');
    return { torch: hello.torch, training, sampling, note: `naive PyTorch sampling timed over ${positions} positions and extrapolated linearly to H·W·C` };
  } finally {
    await peer.close();
  }
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const b = await selectBackend(process.argv[2] ?? 'wasm');
  if (b._tag === 'Left') throw b.left;
  const steps = process.argv.indexOf('--steps');
  const r = await benchPeer({ before: process.argv.includes('--before'), ...(steps > 0 ? { steps: Number(process.argv[steps + 1]), warmup: 1 } : {}), ...(process.argv.includes('--no-sampling') ? { sampling: false } : {}), ...(process.argv.includes('--no-training') ? { training: false } : {}) });
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
}
