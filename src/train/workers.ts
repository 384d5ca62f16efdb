// Data-parallel gradients across worker threads. Each worker runs its own TensorFlow.js and
// backend; every step the main thread sends the current parameters and each worker's shard of the
// batch, each worker returns Σ loss and Σ gradients over its images, and the main thread averages
// them weighted by shard size — the same mean as one process over the whole batch. Only the main
// thread applies updates (train/step.ts applyStep), so weights stay identical by construction.

import { recordLabels } from '../conditioning.js';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ImageShape, BaseSpec } from '../model.js';
import type { ConvImpl } from '../layers/maskedConv.js';
import type { RecordBatch } from '../data/records.js';
import { tf, type NamedTensors } from '../tf.js';
import type { GradientEngine, GradientResult } from './engine.js';

// ---- protocol (shared with worker-entry.ts) ----

export interface InitMessage {
  readonly type: 'init';
  readonly backend: string;
  readonly convImpl?: ConvImpl;
}

export interface ComputeMessage {
  readonly type: 'compute';
  readonly id: number;
  readonly spec: BaseSpec;
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly params: readonly Float32Array[];
  readonly shape: ImageShape;
  /** count images of H·W·C levels, concatenated. */
  readonly pixels: Uint8Array;
  readonly count: number;
  /** Their classes, for a class-conditional spec; null otherwise. */
  readonly labels: Int32Array | null;
  /** The batch's index (the step it feeds) and the shard's first image in it: the key of its dropout masks. */
  readonly step: number;
  readonly first: number;
}

export type ToWorker = InitMessage | ComputeMessage;

export type FromWorker =
  | { readonly type: 'ready'; readonly backend: string }
  | {
      readonly type: 'result';
      readonly id: number;
      /** Σ over the shard of the NLL per image (= mean · count). */
      readonly lossSum: number;
      /** Σ over the shard of the per-image gradients (= mean gradient · count), by `names` order. */
      readonly grads: Float32Array[];
      /** tf.memory().numTensors in the worker after the step, everything of the step disposed. */
      readonly numTensors: number;
      readonly computeMs: number;
    }
  | { readonly type: 'error'; readonly id: number | null; readonly message: string };

// ---- engine ----

export interface WorkerEngineOptions {
  /** Number of worker threads; default os.availableParallelism(). */
  readonly workers?: number;
  /** Backend name for every worker (see backend.ts); default 'wasm'. */
  readonly backend?: string;
  /** Masked-conv implementation in the workers; default: the worker backend's best. */
  readonly convImpl?: ConvImpl;
}

export interface WorkerStats {
  readonly worker: number;
  readonly images: number;
  readonly numTensors: number;
  readonly computeMs: number;
}

export interface WorkerEngine extends GradientEngine {
  /** Per-worker figures of the last compute (workers that got no images are left out). */
  readonly lastStats: () => readonly WorkerStats[];
  /** Fault injection (tests, drills): end one worker's thread abruptly, as a crash would. */
  readonly kill: (worker: number) => Promise<void>;
}

/** How a worker is started: the .ts entry through a tsx bootstrap under tsx/vitest, the .js one when built. */
const startWorker = (): Worker => {
  const self = import.meta.url;
  if (self.endsWith('.ts'))
    return new Worker(new URL('./worker-boot.mjs', self), { workerData: { entry: new URL('./worker-entry.ts', self).href } });
  return new Worker(new URL('./worker-entry.js', self));
};

interface Slot {
  readonly index: number;
  readonly worker: Worker;
  readonly ready: Promise<void>;
  pending: { resolve: (m: FromWorker & { type: 'result' }) => void; reject: (e: Error) => void } | null;
  dead: Error | null;
}

/** Split n items into k contiguous shards as evenly as possible (sizes differ by at most 1). */
export const shardSizes = (n: number, k: number): number[] =>
  Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));

export const workerEngine = (options: WorkerEngineOptions = {}): WorkerEngine => {
  const count = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const backend = options.backend ?? 'wasm';
  let nextId = 1;
  let closed = false;
  let stats: WorkerStats[] = [];

  const start = (index: number): Slot => {
    const worker = startWorker();
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    ready.catch(() => {}); // observed through compute
    const slot: Slot = { index, worker, ready, pending: null, dead: null };
    const fail = (e: Error) => {
      if (slot.dead) return;
      slot.dead = e;
      readyReject(e);
      slot.pending?.reject(e);
      slot.pending = null;
    };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') readyResolve();
      else if (m.type === 'result') {
        const p = slot.pending;
        slot.pending = null;
        p?.resolve(m);
      } else {
        const e = new Error(`gradient worker ${index}: ${m.message}`);
        if (m.id === null) fail(e);
        else {
          const p = slot.pending;
          slot.pending = null;
          p?.reject(e);
        }
      }
    });
    worker.on('error', (e) => fail(new Error(`gradient worker ${index} (thread ${worker.threadId}) died: ${e.message}`)));
    worker.on('exit', (code) => {
      if (!closed) fail(new Error(`gradient worker ${index} (thread ${worker.threadId}) exited with code ${code}`));
    });
    worker.postMessage({ type: 'init', backend, convImpl: options.convImpl } satisfies InitMessage);
    worker.unref();
    return slot;
  };

  const slots = Array.from({ length: count }, (_, i) => start(i));

  const run = async (slot: Slot, message: ComputeMessage) => {
    if (slot.dead) throw slot.dead;
    // Referenced only while it works: an idle worker does not keep the process alive if a caller
    // forgets close(), and a busy one does (the main thread may wait for nothing else).
    slot.worker.ref();
    try {
      await slot.ready;
      if (slot.dead) throw slot.dead;
      return await new Promise<FromWorker & { type: 'result' }>((resolve, reject) => {
        slot.pending = { resolve, reject };
        slot.worker.postMessage(message);
      });
    } finally {
      slot.worker.unref();
    }
  };

  const compute = async (spec: BaseSpec, params: NamedTensors, batch: RecordBatch): Promise<GradientResult> => {
    if (closed) throw new Error('gradient workers: compute after close()');
    const total = batch.records.length;
    if (total === 0) throw new Error('gradient workers: empty batch');
    const names = Object.keys(params);
    const shapes = names.map((n) => params[n]!.shape);
    // One flat buffer of every parameter, sent as views into it: each message clones one buffer, not one per tensor.
    const read = await Promise.all(names.map((n) => params[n]!.data() as Promise<Float32Array>));
    const flat = new Float32Array(read.reduce((a, v) => a + v.length, 0));
    let at = 0;
    const values = read.map((v) => {
      flat.set(v, at);
      at += v.length;
      return flat.subarray(at - v.length, at);
    });
    const size = batch.shape.height * batch.shape.width * batch.shape.channels;
    const labels = recordLabels(spec, batch.records) ?? null;
    for (const r of batch.records)
      if (r.pixels.length !== size)
        throw new Error(`record ${r.index}: expected ${size} values (${batch.shape.height}×${batch.shape.width}×${batch.shape.channels}), found ${r.pixels.length}`);
    // A dead worker is the error to report, even while the others still finish the failed compute.
    const dead = slots.find((s) => s.dead);
    if (dead) throw dead.dead;
    if (slots.some((s) => s.pending)) throw new Error('gradient workers: compute called while another compute is running');
    const sizes = shardSizes(total, slots.length);
    let offset = 0;
    const jobs: Promise<FromWorker & { type: 'result' }>[] = [];
    const used: number[] = [];
    sizes.forEach((n, w) => {
      if (n === 0) return;
      const pixels = new Uint8Array(n * size);
      batch.records.slice(offset, offset + n).forEach((r, i) => pixels.set(r.pixels, i * size));
      offset += n;
      used.push(w);
      const shard = labels ? labels.slice(offset - n, offset) : null;
      const message: ComputeMessage = { type: 'compute', id: nextId++, spec, names, shapes, params: values, shape: batch.shape, pixels, count: n, labels: shard, step: batch.index, first: offset - n };
      jobs.push(run(slots[w]!, message));
    });
    const results = await Promise.all(jobs);
    stats = results.map((r, i) => ({ worker: used[i]!, images: sizes[used[i]!]!, numTensors: r.numTensors, computeMs: r.computeMs }));
    // Σ of the shards' sums ÷ total, in one pass, into the first result's own (transferred) arrays
    const lossSum = results.reduce((a, r) => a + r.lossSum, 0);
    const [first, ...rest] = results;
    const grads: NamedTensors = {};
    names.forEach((n, i) => {
      const s = first!.grads[i]!;
      const others = rest.map((r) => r.grads[i]!);
      if (others.length === 1) {
        const g = others[0]!;
        for (let j = 0; j < s.length; j++) s[j] = (s[j]! + g[j]!) / total;
      } else
        for (let j = 0; j < s.length; j++) {
          let v = s[j]!;
          for (const g of others) v += g[j]!;
          s[j] = v / total;
        }
      grads[n] = tf.tensor(s, shapes[i]!, 'float32');
    });
    return { loss: lossSum / total, grads };
  };

  return {
    description: `${count} worker${count === 1 ? '' : 's'} (${backend})`,
    workers: count,
    compute,
    lastStats: () => stats,
    kill: async (worker) => {
      await slots[worker]?.worker.terminate();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const e = new Error('gradient workers: closed');
      for (const s of slots) {
        s.pending?.reject(e);
        s.pending = null;
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
};
