import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import * as t from 'io-ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomRecords } from '../../test/fixtures.js';
import { recordsToTensor } from '../data/toTensor.js';
import { defaultConvImpl } from '../layers/maskedConv.js';
import { bindModel, presets, type ModelSpec } from '../models/registry.js';
import { familyOf } from '../models/registry.js';
import { tf, type NamedTensors, type Tensor4D } from '../tf.js';
import { defaultOptimizer, type OptimizerConfig } from '../train/optimizers.js';
import { disposeAll, initTrainState, trainStep, type TrainState } from '../train/step.js';
import {
  disposeCheckpoint,
  fromCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  modelWeights,
  saveCheckpoint,
  stepDirName,
  toCheckpoint,
  type CheckpointContents,
} from './checkpoint.js';

const DEAD_PID = 99_999_999;
const shape = { height: 5, width: 4, channels: 3 as const, levels: 8 };
const spec: ModelSpec = presets.tiny(shape);
const options = { convImpl: defaultConvImpl() };

let runDir: string;
beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), 'ckpt-'));
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

const right = <A>(e: E.Either<Error, A>): A => {
  if (E.isLeft(e)) throw e.left;
  return e.right;
};
const leftMessage = (e: E.Either<Error, unknown>): string => {
  if (E.isRight(e)) throw new Error('expected an error, got a value');
  return e.left.message;
};

/** A state a few steps into training, so that optimizer slots are not zeros. */
const trainedState = (s: ModelSpec, optimizer: OptimizerConfig, steps = 2): TrainState<ModelSpec> => {
  let state = initTrainState(s, familyOf(s).init(s, 7), optimizer);
  const x = recordsToTensor(s, randomRecords(s, 3, 5));
  for (let i = 0; i < steps; i++) state = trainStep(state, x, options).state;
  x.dispose();
  return state;
};

const values = (ts: NamedTensors): Record<string, number[]> =>
  Object.fromEntries(Object.entries(ts).map(([n, x]) => [n, Array.from(x.dataSync())]));

const disposeState = (s: TrainState): void => disposeAll(s.params, s.slots);

const save = (state: TrainState, run: unknown = { seed: 1 }, keep?: number): string =>
  right(saveCheckpoint(runDir, toCheckpoint(state, run), keep === undefined ? {} : { keep }));

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
const rewriteManifest = (dir: string, edit: (m: any) => void): void => {
  const m = manifestOf(dir);
  edit(m);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(m));
};

describe('checkpoint round trip', () => {
  for (const name of ['rmsprop', 'adam'] as const)
    it(`gives identical tensors, step, run data and logits (${name})`, () => {
      const state = trainedState(spec, defaultOptimizer(name));
      const run = { seed: 3, batchSize: 2, data: { name: 'fixture', position: 17 }, rng: [1, 4294967295] };
      const path = save(state, run);
      expect(path).toBe(join(runDir, 'checkpoints', 'step-00000002'));
      expect(readdirSync(path).sort()).toEqual(['model.json', 'weights.bin']);

      const before = tf.memory().numTensors;
      const loaded = right(loadCheckpoint(path, { expectSpec: spec }));
      expect(tf.memory().numTensors - before).toBe(
        Object.keys(state.params).length + Object.keys(state.slots).length,
      );
      expect(loaded.spec).toEqual(spec);
      expect(loaded.optimizer).toEqual(state.optimizer);
      expect(loaded.step).toBe(2);
      expect(loaded.run).toEqual(run);
      expect(Object.keys(loaded.params)).toEqual(Object.keys(state.params));
      expect(Object.keys(loaded.slots)).toEqual(Object.keys(state.slots));
      expect(values(loaded.params)).toEqual(values(state.params)); // bitwise: toEqual on float arrays
      expect(values(loaded.slots)).toEqual(values(state.slots));
      for (const [n, x] of Object.entries(loaded.params)) expect(x.shape).toEqual(state.params[n]!.shape);

      const x = recordsToTensor(spec, randomRecords(spec, 2, 11)) as Tensor4D;
      const a = bindModel(spec, state.params, options).forward(x);
      const b = bindModel(loaded.spec, loaded.params, options).forward(x);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([x, a, b]);

      // Training on from the loaded state equals training on from the original.
      const x2 = recordsToTensor(spec, randomRecords(spec, 3, 12));
      const next1 = trainStep(state, x2, options).state;
      const next2 = trainStep(fromCheckpoint(loaded), x2, options).state;
      expect(values(next2.params)).toEqual(values(next1.params));
      x2.dispose();
      disposeState(next1);
      disposeState(next2);
    });

  it('loads through model.json too, and the run field through a codec', () => {
    const state = trainedState(spec, defaultOptimizer('rmsprop'), 1);
    const path = save(state, { seed: 9 });
    const loaded = right(loadCheckpoint(join(path, 'model.json'), { codec: t.type({ seed: t.number }) }));
    expect(loaded.run.seed).toBe(9);
    disposeCheckpoint(loaded);
    expect(leftMessage(loadCheckpoint(path, { codec: t.type({ seed: t.string }) }))).toMatch(
      /pixelstreams\.run: seed: expected string, found 9/,
    );
    disposeState(state);
  });

  it('does not leak tensors in save or in a failed load', () => {
    const state = trainedState(spec, defaultOptimizer('rmsprop'), 1);
    const before = tf.memory().numTensors;
    const path = save(state);
    writeFileSync(join(path, 'weights.bin'), Buffer.alloc(8));
    loadCheckpoint(path, { expectSpec: spec });
    loadCheckpoint(path, { expectSpec: { ...spec, hidden: 9 } as ModelSpec });
    expect(tf.memory().numTensors).toBe(before);
    disposeState(state);
  });
});

describe('checkpoint verification', () => {
  let state: TrainState<ModelSpec>;
  let path: string;
  beforeEach(() => {
    state = trainedState(spec, defaultOptimizer('rmsprop'), 1);
    path = save(state);
  });
  afterEach(() => disposeState(state));

  it('truncated weights.bin: names the file, the expected and the found length', () => {
    const w = readFileSync(join(path, 'weights.bin'));
    writeFileSync(join(path, 'weights.bin'), w.subarray(0, w.length - 3));
    expect(leftMessage(loadCheckpoint(path))).toBe(
      `${join(path, 'weights.bin')}: expected ${w.length} bytes (from model.json), found ${w.length - 3}`,
    );
  });

  it('empty weights.bin and a missing weights.bin', () => {
    writeFileSync(join(path, 'weights.bin'), '');
    expect(leftMessage(loadCheckpoint(path))).toMatch(/weights\.bin: expected \d+ bytes \(from model\.json\), found 0$/);
    rmSync(join(path, 'weights.bin'));
    expect(leftMessage(loadCheckpoint(path))).toMatch(/weights\.bin: cannot read weights/);
  });

  it('checksum mismatch: one flipped byte, named with both hashes', () => {
    const w = readFileSync(join(path, 'weights.bin'));
    const expected = createHash('sha256').update(w).digest('hex');
    w[10] = w[10]! ^ 1;
    writeFileSync(join(path, 'weights.bin'), w);
    const found = createHash('sha256').update(w).digest('hex');
    expect(leftMessage(loadCheckpoint(path))).toBe(
      `${join(path, 'weights.bin')}: checksum mismatch: expected sha256 ${expected}, found ${found}`,
    );
  });

  it('non-finite weights with a matching checksum are refused', () => {
    const w = readFileSync(join(path, 'weights.bin'));
    w.writeFloatLE(NaN, 0);
    writeFileSync(join(path, 'weights.bin'), w);
    rewriteManifest(path, (m) => (m.pixelstreams.checksum = createHash('sha256').update(w).digest('hex')));
    expect(leftMessage(loadCheckpoint(path))).toMatch(/weight 'param\/[^']+': expected finite values, found NaN at index 0/);
  });

  const malformed: [string, (m: any) => void, RegExp][] = [
    ['missing format', (m) => delete m.format, /format: expected "pixelstreams-checkpoint", found nothing/],
    ['wrong version', (m) => (m.version = 1), /version: expected 2, found 1/],
    ['step as a string', (m) => (m.pixelstreams.step = '12'), /pixelstreams\.step: expected integer ≥ 0, found "12"/],
    ['negative step', (m) => (m.pixelstreams.step = -1), /pixelstreams\.step: expected integer ≥ 0, found -1/],
    ['fractional step', (m) => (m.pixelstreams.step = 1.5), /pixelstreams\.step: expected integer ≥ 0, found 1\.5/],
    ['missing checksum', (m) => delete m.pixelstreams.checksum, /pixelstreams\.checksum: expected sha256 hex digest/],
    ['short checksum', (m) => (m.pixelstreams.checksum = 'abc'), /checksum: expected sha256 hex digest \(64 hex digits\), found "abc"/],
    ['shape with NaN-like string', (m) => (m.weightsManifest[0].weights[0].shape[0] = 'NaN'), /shape: expected integer ≥ 0, found "NaN"/],
    ['dtype int32', (m) => (m.weightsManifest[0].weights[0].dtype = 'int32'), /dtype: expected "float32", found "int32"/],
    ['path escaping the folder', (m) => (m.weightsManifest[0].paths = ['../weights.bin']), /paths: expected plain file name, found "\.\.\/weights\.bin"/],
    ['weightsManifest not an array', (m) => (m.weightsManifest = {}), /weightsManifest: expected Array/],
    ['spec hidden as a string', (m) => (m.pixelstreams.spec.hidden = '6'), /pixelstreams\.spec: hidden: expected integer in 1\.\.16384, found "6"/],
    ['spec levels null (NaN written by JSON.stringify)', (m) => (m.pixelstreams.spec.levels = null), /spec: levels: expected integer in 2\.\.65536, found null/],
    ['unknown family', (m) => (m.pixelstreams.spec.family = 'nosuch'), /pixelstreams\.spec: .*expected .*found .*nosuch/],
    ['optimizer learning rate infinite', (m) => (m.pixelstreams.optimizer.learningRate = 'Infinity'), /optimizer: .*learningRate: expected number, found "Infinity"/],
    ['optimizer missing', (m) => delete m.pixelstreams.optimizer, /pixelstreams\.optimizer: .*expected/],
  ];
  for (const [what, edit, message] of malformed)
    it(`malformed model.json: ${what}`, () => {
      rewriteManifest(path, edit);
      const before = tf.memory().numTensors;
      expect(leftMessage(loadCheckpoint(path))).toMatch(message);
      expect(leftMessage(loadCheckpoint(path))).toContain(join(path, 'model.json'));
      expect(tf.memory().numTensors).toBe(before);
    });

  it('malformed model.json: an infinite learning rate written as 1e999', () => {
    const text = readFileSync(join(path, 'model.json'), 'utf8').replace(/"learningRate": [^,\n]+/, '"learningRate": 1e999');
    writeFileSync(join(path, 'model.json'), text);
    expect(leftMessage(loadCheckpoint(path))).toMatch(/optimizer\.learningRate: expected a finite number, found Infinity/);
  });

  it('malformed model.json: not JSON, empty, missing', () => {
    writeFileSync(join(path, 'model.json'), '{"format": "pixelstreams-checkpoint", ');
    expect(leftMessage(loadCheckpoint(path))).toMatch(/model\.json: expected JSON, found a parse error/);
    writeFileSync(join(path, 'model.json'), '');
    expect(leftMessage(loadCheckpoint(path))).toMatch(/model\.json: expected JSON, found a parse error/);
    rmSync(join(path, 'model.json'));
    expect(leftMessage(loadCheckpoint(path))).toMatch(/model\.json: expected a checkpoint manifest, found no such file/);
  });

  it('a checkpoint of another model (different hidden size): names the field, expected and found', () => {
    const expectSpec = { ...spec, hidden: 8 };
    expect(leftMessage(loadCheckpoint(path, { expectSpec }))).toBe(
      `${join(path, 'model.json')}: checkpoint is for another model: spec.hidden: expected 8, found 6`,
    );
  });

  it('weights whose shapes do not match the spec in the manifest: shape error', () => {
    // Weights of a hidden = 8 model under a manifest claiming hidden = 6.
    const other = trainedState({ ...spec, hidden: 8 }, defaultOptimizer('rmsprop'), 1);
    const otherDir = mkdtempSync(join(tmpdir(), 'ckpt-other-'));
    const otherPath = right(saveCheckpoint(otherDir, toCheckpoint(other, null)));
    rewriteManifest(otherPath, (m) => (m.pixelstreams.spec.hidden = 6));
    const msg = leftMessage(loadCheckpoint(otherPath));
    expect(msg).toMatch(/weight 'param\/input\.w': expected shape \[15, 6\] \(from the spec\), found \[15, 8\]/);
    expect(msg).toContain(join(otherPath, 'model.json'));
    disposeState(other);
    rmSync(otherDir, { recursive: true, force: true });
  });

  it('missing, extra and duplicated tensors are named', () => {
    rewriteManifest(path, (m) => {
      const ws = m.weightsManifest[0].weights;
      ws[0].name = 'param/bogus';
    });
    const msg = leftMessage(loadCheckpoint(path));
    expect(msg).toMatch(/weight 'param\/bogus': expected no such tensor/);
    expect(msg).toMatch(/found it missing/);
    rewriteManifest(path, (m) => {
      const ws = m.weightsManifest[0].weights;
      ws[0].name = ws[1].name;
    });
    expect(leftMessage(loadCheckpoint(path))).toMatch(/expected once, found twice/);
  });

  it('a checkpoint with adam slots loaded as rmsprop is caught by its slot names', () => {
    rewriteManifest(path, (m) => (m.pixelstreams.optimizer = { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }));
    expect(leftMessage(loadCheckpoint(path))).toMatch(/weight 'slot\/ms\/[^']+': expected no such tensor/);
  });
});

describe('checkpoint folder', () => {
  it('keeps the last K, removing older ones only after the new one is complete', () => {
    let state = trainedState(spec, defaultOptimizer('rmsprop'), 0);
    const x = recordsToTensor(spec, randomRecords(spec, 2, 3));
    const saved: string[] = [];
    for (let i = 0; i < 5; i++) {
      state = trainStep(state, x, options).state;
      saved.push(save(state, { i }, 3));
      expect(listCheckpoints(runDir).map((c) => c.step)).toEqual([1, 2, 3, 4, 5].slice(Math.max(0, i - 2), i + 1));
    }
    expect(readdirSync(join(runDir, 'checkpoints')).sort()).toEqual(['step-00000003', 'step-00000004', 'step-00000005']);
    expect(latestCheckpoint(runDir)).toEqual(O.some(saved[4]));
    for (const c of listCheckpoints(runDir)) {
      const loaded = right(loadCheckpoint(c.path, { expectSpec: spec }));
      expect(loaded.step).toBe(c.step);
      disposeCheckpoint(loaded);
    }
    x.dispose();
    disposeState(state);
  });

  it('keep = 1 and a rewrite of the same step', () => {
    const state = trainedState(spec, defaultOptimizer('rmsprop'), 1);
    save(state, { a: 1 }, 1);
    save(state, { a: 2 }, 1);
    expect(readdirSync(join(runDir, 'checkpoints'))).toEqual(['step-00000001']);
    const loaded = right(loadCheckpoint(join(runDir, 'checkpoints', 'step-00000001')));
    expect(loaded.run).toEqual({ a: 2 });
    disposeCheckpoint(loaded);
    expect(leftMessage(saveCheckpoint(runDir, toCheckpoint(state, null), { keep: 0 }))).toMatch(/keep: expected an integer ≥ 1, found 0/);
    disposeState(state);
  });

  it('a crash mid-write (a .tmp folder left behind) is ignored by readers and removed by the next save', () => {
    const state = trainedState(spec, defaultOptimizer('rmsprop'), 1);
    save(state);
    // What a SIGKILL during the write of step 2 leaves: a partial temporary folder.
    const partial = join(runDir, 'checkpoints', `${stepDirName(2)}.tmp-${DEAD_PID}-0`);
    mkdirSync(partial);
    writeFileSync(join(partial, 'weights.bin'), Buffer.alloc(10));
    // ... and one killed while removing an old checkpoint.
    mkdirSync(join(runDir, 'checkpoints', `${stepDirName(0)}.del-${DEAD_PID}-1`));
    expect(listCheckpoints(runDir).map((c) => c.step)).toEqual([1]);
    expect(latestCheckpoint(runDir)).toEqual(O.some(join(runDir, 'checkpoints', 'step-00000001')));
    const latest = right(loadLatestCheckpoint(runDir, { expectSpec: spec }));
    expect(O.isSome(latest) && latest.value.contents.step).toBe(1);
    if (O.isSome(latest)) disposeCheckpoint(latest.value.contents);

    const next = trainStep(state, recordsToTensor(spec, randomRecords(spec, 2, 3)), options).state;
    save(next);
    expect(readdirSync(join(runDir, 'checkpoints')).sort()).toEqual(['step-00000001', 'step-00000002']);
    disposeState(next);
  });

  it('an empty run folder has no checkpoint; a corrupt latest one is an error, not skipped', () => {
    expect(latestCheckpoint(runDir)).toEqual(O.none);
    expect(listCheckpoints(join(runDir, 'nope'))).toEqual([]);
    expect(right(loadLatestCheckpoint(runDir))).toEqual(O.none);
    const state = trainedState(spec, defaultOptimizer('rmsprop'), 1);
    const path = save(state);
    writeFileSync(join(path, 'weights.bin'), 'x');
    expect(leftMessage(loadLatestCheckpoint(runDir))).toMatch(/weights\.bin: expected \d+ bytes/);
    disposeState(state);
  });

  it('refuses to write a state holding NaN, keeping the previous checkpoint intact', () => {
    const state = trainedState(spec, defaultOptimizer('rmsprop'), 1);
    const good = save(state);
    const goodBytes = readFileSync(join(good, 'weights.bin'));
    const name = Object.keys(state.params)[0]!;
    const p = state.params[name]!;
    const badParams = { ...state.params, [name]: tf.fill(p.shape, NaN) };
    const bad: CheckpointContents = { ...toCheckpoint(state, null), spec, params: badParams };
    expect(leftMessage(saveCheckpoint(runDir, bad))).toMatch(
      new RegExp(`tensor 'param/${name}' holds a non-finite value \\(NaN at index 0\\); checkpoint not written`),
    );
    expect(readdirSync(join(runDir, 'checkpoints'))).toEqual(['step-00000001']);
    expect(readFileSync(join(good, 'weights.bin')).equals(goodBytes)).toBe(true);
    badParams[name]!.dispose();
    disposeState(state);
  });
});

describe('checkpoint with a weight average and a learning-rate schedule', () => {
  const averaged: OptimizerConfig = {
    ...defaultOptimizer('adam', 0.01),
    schedule: { kind: 'cosine', floor: 0.1, totalSteps: 6, fixedAt: 2 },
    ema: { decay: 0.9, warmup: true },
  };

  it('resumes exactly: the average (and the weights) after a save at step 2 and 4 more steps are bitwise those of 6 uninterrupted steps', () => {
    const batches = [12, 13, 14, 15].map((seed) => recordsToTensor(spec, randomRecords(spec, 3, seed)));
    const onward = (s: TrainState<ModelSpec>) => batches.reduce((st, x) => trainStep(st, x, options).state, s);
    const straight = onward(trainedState(spec, averaged, 2));
    const path = save(trainedState(spec, averaged, 2));
    const loaded = right(loadCheckpoint(path, { expectSpec: spec }));
    expect(loaded.optimizer).toEqual(averaged); // the schedule with its fixed length, and the average's settings
    expect(Object.keys(loaded.slots).filter((n) => n.startsWith('ema/')).sort()).toEqual(Object.keys(loaded.params).map((n) => `ema/${n}`).sort());
    const resumed = onward(fromCheckpoint(loaded));
    const avg = (s: TrainState) => values(Object.fromEntries(Object.entries(s.slots).filter(([n]) => n.startsWith('ema/'))));
    expect(avg(resumed)).toEqual(avg(straight)); // bitwise
    expect(values(resumed.params)).toEqual(values(straight.params));
    // Negative control: the average is not the weights (a resume that lost it would be seen).
    expect(avg(straight)['ema/' + Object.keys(straight.params)[0]]).not.toEqual(values(straight.params)[Object.keys(straight.params)[0]!]);
    batches.forEach((x) => x.dispose());
    disposeState(straight);
    disposeState(resumed);
  });

  it('modelWeights: the average where there is one (the same tensors), the raw parameters in a checkpoint without one', () => {
    const withAvg = trainedState(spec, averaged, 2);
    const w = modelWeights(toCheckpoint(withAvg, {}));
    expect(w.weights).toBe('average');
    expect(w.description).toBe('average (EMA decay 0.9, warm-up)');
    for (const n of Object.keys(withAvg.params)) expect(w.params[n]).toBe(withAvg.slots[`ema/${n}`]);
    const plain = trainedState(spec, defaultOptimizer('adam'), 1);
    const p = modelWeights(toCheckpoint(plain, {}));
    expect(p.weights).toBe('raw');
    for (const n of Object.keys(plain.params)) expect(p.params[n]).toBe(plain.params[n]);
    disposeState(withAvg);
    disposeState(plain);
  });

  it('an old checkpoint (no schedule, no average) still loads; an average missing from the weights, or a bad decay, is named', () => {
    const plain = trainedState(spec, defaultOptimizer('rmsprop'), 1);
    const path = save(plain);
    rewriteManifest(path, (m) => {
      delete m.pixelstreams.optimizer.schedule;
      delete m.pixelstreams.optimizer.ema;
    });
    const loaded = right(loadCheckpoint(path));
    expect(modelWeights(loaded).weights).toBe('raw');
    disposeCheckpoint(loaded);
    rewriteManifest(path, (m) => (m.pixelstreams.optimizer.ema = { decay: 0.9, warmup: true }));
    expect(leftMessage(loadCheckpoint(path))).toMatch(/weight 'slot\/ema\/[^']+': expected shape .*found it missing/);
    rewriteManifest(path, (m) => (m.pixelstreams.optimizer.ema = { decay: 1.5, warmup: true }));
    expect(leftMessage(loadCheckpoint(path))).toMatch(/pixelstreams\.optimizer\.ema\.decay: expected a number in \(0, 1\), found 1\.5/);
    rewriteManifest(path, (m) => {
      delete m.pixelstreams.optimizer.ema;
      m.pixelstreams.optimizer.schedule = { kind: 'exponential', gamma: 0 };
    });
    expect(leftMessage(loadCheckpoint(path))).toMatch(/pixelstreams\.optimizer\.schedule\.gamma: expected a number in \(0, 1\], found 0/);
    disposeState(plain);
  });
});
