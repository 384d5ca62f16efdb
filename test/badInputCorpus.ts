// The malformed inputs of the bad-input corpus, as data: each case writes its bad file(s) into a
// fresh folder and says which API it goes through and which error it must give. Shared by the
// library spec (badInput.spec.ts) and the CLI spec (badInputCli.spec.ts).

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync, inflateSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { saveCheckpoint, toCheckpoint } from '../src/checkpoint/checkpoint.js';
import { familyOf, presets, type ModelSpec } from '../src/models/registry.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState } from '../src/train/step.js';
import { cifarBatch, idxImages, idxLabels, pngFile, crc32, pngChunk } from './fixtures/data.js';

export type Made =
  | { kind: 'data'; source: string }
  | { kind: 'config'; config: unknown; name: string; file: string }
  | { kind: 'spec'; spec: unknown; name: string }
  | { kind: 'checkpoint'; path: string; runDir: string; expectSpec?: ModelSpec };

export interface BadInput {
  readonly group: 'idx' | 'cifar10' | 'png' | 'config' | 'spec' | 'checkpoint';
  readonly name: string;
  /** Write the bad input under `where` (a fresh folder); say how to read it. */
  readonly make: (where: string) => Made;
  /** The error message must match this. */
  readonly expect: RegExp;
  /** The file or field the message must name (given the folder). */
  readonly names?: (where: string) => string;
}

const write = (where: string, name: string, data: string | Uint8Array): string => {
  const path = join(where, name);
  writeFileSync(path, data);
  return path;
};

const idx = (name: string, bytes: Uint8Array, labels?: Uint8Array) => (where: string): Made => {
  const images = write(where, name, bytes);
  const lb = labels ? `,${write(where, 'labels.idx', labels)}` : '';
  return { kind: 'data', source: `idx:${images}${lb}` };
};

const cifar = (bytes: Uint8Array) => (where: string): Made => ({ kind: 'data', source: `cifar10:${write(where, 'batch.bin', bytes)}` });

const pngs = (files: Record<string, Uint8Array | string>) => (where: string): Made => {
  const folder = join(where, 'pngs');
  mkdirSync(folder, { recursive: true });
  for (const [n, d] of Object.entries(files)) write(folder, n, d);
  return { kind: 'data', source: `png:${folder}` };
};

/** A run config the CLI would accept; cases break one field. */
export const goodRunConfig = {
  data: 'mnist',
  binarize: 'none',
  model: presets.tiny({ height: 28, width: 28, channels: 1, levels: 256 }),
  steps: 10,
  batchSize: 4,
  optimizer: defaultOptimizer('rmsprop'),
  seed: 1,
  validation: 10,
  checkpointEvery: 5,
  keep: 3,
  onNonFinite: 'stop',
  samples: 4,
  temperature: 1,
};

const config = (edit: (c: Record<string, any>) => void, raw?: string) => (where: string): Made => {
  const c: Record<string, any> = structuredClone(goodRunConfig);
  edit(c);
  const text = raw ?? JSON.stringify(c);
  const file = write(where, 'config.json', text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined; // read through the file (readJsonFile) by the specs
  }
  return { kind: 'config', config: parsed, name: file, file };
};

const chunk = pngChunk;

/** A PNG whose image data inflates to fewer bytes than its header needs; every CRC intact. */
const pngShortIdat = (): Buffer => {
  const png = pngFile(8, 8, 0);
  const len = png.readUInt32BE(33);
  const raw = inflateSync(png.subarray(41, 41 + len));
  return Buffer.concat([png.subarray(0, 33), chunk('IDAT', deflateSync(raw.subarray(0, 20))), chunk('IEND', new Uint8Array(0))]);
};

/** A PNG whose IHDR claims w × h (CRC fixed), with the image data of the 4 × 4 original. */
const pngClaiming = (w: number, h: number): Buffer => {
  const png = Buffer.from(pngFile(4, 4, 0));
  png.writeUInt32BE(w, 16);
  png.writeUInt32BE(h, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
};

/** IDX images whose fields are rewritten (count, rows, cols), gzipped or not. */
const idxWith = (count: number, rows: number, cols: number, body: number, gz: boolean): Buffer => {
  const b = Buffer.alloc(16 + body);
  b.writeUInt32BE(0x803, 0);
  b.writeUInt32BE(count >>> 0, 4);
  b.writeUInt32BE(rows >>> 0, 8);
  b.writeUInt32BE(cols >>> 0, 12);
  return gz ? gzipSync(b) : b;
};

const tinySpec: ModelSpec = presets.tiny({ height: 4, width: 4, channels: 1, levels: 4 });

const spec = (edit: (s: Record<string, any>) => void) => (): Made => {
  const s: Record<string, any> = { ...tinySpec };
  edit(s);
  return { kind: 'spec', spec: s, name: 'model spec' };
};

/** A good checkpoint of `s`, then `damage` applied to its folder. */
const checkpoint =
  (damage: (dir: string) => void, s: ModelSpec = tinySpec, expectSpec?: ModelSpec) =>
  (where: string): Made => {
    const state = initTrainState(s, familyOf(s).init(s, 1), defaultOptimizer('rmsprop'));
    const runDir = join(where, 'run');
    const saved = saveCheckpoint(runDir, toCheckpoint(state, { seed: 1 }));
    disposeAll(state.params, state.slots);
    if (E.isLeft(saved)) throw saved.left;
    damage(saved.right);
    return { kind: 'checkpoint', path: saved.right, runDir, ...(expectSpec ? { expectSpec } : {}) };
  };

const ckpt = (where: string) => join(where, 'run', 'checkpoints', 'step-00000000');

export const badInputCorpus: readonly BadInput[] = [
  // MNIST IDX
  { group: 'idx', name: 'empty file', make: idx('empty.idx', new Uint8Array()), expect: /expected an IDX image file with a 16-byte header, found 0 bytes/, names: (w) => join(w, 'empty.idx') },
  { group: 'idx', name: 'truncated header', make: idx('short.idx', idxImages(2, 3, 3).subarray(0, 10)), expect: /16-byte header, found 10 bytes/, names: (w) => join(w, 'short.idx') },
  { group: 'idx', name: 'wrong magic (a label file given as images)', make: idx('labels-as-images.idx', idxLabels([1, 2, 3, 4, 5, 6, 7, 8, 9])), expect: /expected IDX image magic 0x00000803, found 0x00000801 \(an IDX label file\)/, names: (w) => join(w, 'labels-as-images.idx') },
  { group: 'idx', name: 'truncated body', make: idx('cut.idx', idxImages(3, 4, 4).subarray(0, 16 + 40)), expect: /expected 64 bytes \(16-byte header \+ 3×4×4\), found 56 bytes \(truncated\)/, names: (w) => join(w, 'cut.idx') },
  { group: 'idx', name: 'trailing bytes', make: idx('long.idx', Buffer.concat([idxImages(2, 4, 4), Buffer.alloc(3)])), expect: /found 51 bytes \(trailing bytes\)/ },
  { group: 'idx', name: 'zero-sized images', make: idx('zero.idx', idxImages(2, 0, 4)), expect: /expected image dimensions ≥ 1, found 0×4/ },
  { group: 'idx', name: 'corrupt gzip', make: idx('broken.idx.gz', idxImages(2, 4, 4, true).subarray(0, 20)), expect: /expected a complete gzip stream, found gunzip failed/, names: (w) => join(w, 'broken.idx.gz') },
  { group: 'idx', name: 'label count differs from image count', make: idx('images.idx', idxImages(3, 4, 4), idxLabels([1, 2])), expect: /expected 3 labels \(one per image in .*images\.idx\), found 2 labels/, names: (w) => join(w, 'labels.idx') },
  { group: 'idx', name: 'missing file', make: (w) => ({ kind: 'data', source: `idx:${join(w, 'nope.idx')}` }), expect: /nope\.idx: expected a readable file, found no such file/ },
  { group: 'idx', name: 'gzip bomb (header: 1 image of 4×4, body inflates to 64 MiB)', make: idx('bomb.idx.gz', idxWith(1, 4, 4, 64 << 20, true)), expect: /bomb\.idx\.gz: expected a gzip stream that inflates to at most 32 bytes \(what its header declares\), found more/ },
  { group: 'idx', name: 'header claiming 2^32 images of 2^16×2^16 (gzipped)', make: idx('huge.idx.gz', idxWith(0xffffffff, 0x10000, 0x10000, 16, true)), expect: /huge\.idx\.gz: expected a header declaring at most \d+ bytes \(the decoded-data limit\)/ },
  { group: 'idx', name: 'header claiming 2^32 images (raw)', make: idx('huge.idx', idxWith(0xffffffff, 28, 28, 16, false)), expect: /huge\.idx: expected at most \d+ bytes of images \(the decoded-data limit\), found a header declaring 4294967295×28×28/ },
  { group: 'idx', name: 'a folder given as the image file', make: (w) => ({ kind: 'data', source: `idx:${w}` }), expect: /expected a regular file, found a folder/ },
  // CIFAR-10
  { group: 'cifar10', name: 'length not a multiple of 3073', make: cifar(cifarBatch([1, 2]).subarray(0, 5000)), expect: /expected a positive multiple of 3073 bytes .*found 5000 bytes = 1 records \+ 1927 bytes/, names: (w) => join(w, 'batch.bin') },
  { group: 'cifar10', name: 'empty file', make: cifar(new Uint8Array()), expect: /expected a positive multiple of 3073 bytes .*found 0 bytes/ },
  { group: 'cifar10', name: 'label byte out of range', make: cifar(cifarBatch([3, 12])), expect: /expected a label 0\.\.9 at record 1 \(byte 3073\), found 12/ },
  { group: 'cifar10', name: 'CIFAR-100 (3074-byte records)', make: cifar(Buffer.alloc(3074 * 3)), expect: /3074-byte records: CIFAR-100\?/ },
  // PNG folders
  { group: 'png', name: 'not a PNG (text named .png)', make: pngs({ 'a.png': pngFile(4, 4, 0), 'b.png': 'hello, not an image' }), expect: /b\.png: expected a PNG file \(signature 89 50 4e 47 0d 0a 1a 0a\), found first bytes 68 65 6c 6c/ },
  { group: 'png', name: 'wrongly sized PNG', make: pngs({ 'a.png': pngFile(4, 4, 0), 'b.png': pngFile(5, 4, 0) }), expect: /b\.png: expected 4×4 pixels \(like a\.png\), found 5×4/ },
  { group: 'png', name: '16-bit PNG', make: pngs({ 'a.png': pngFile(4, 4, 0, undefined, 16) }), expect: /a\.png: expected an 8-bit PNG \(bit depth ≤ 8\), found bit depth 16/ },
  { group: 'png', name: 'RGB among greyscale', make: pngs({ 'a.png': pngFile(4, 4, 0), 'b.png': pngFile(4, 4, 2) }), expect: /b\.png: expected greyscale \(like a\.png\), found RGB/ },
  { group: 'png', name: 'truncated PNG', make: pngs({ 'a.png': pngFile(4, 4, 0).subarray(0, 40) }), expect: /a\.png: expected a valid PNG, found a corrupt PNG/ },
  { group: 'png', name: 'folder without PNGs', make: pngs({ 'notes.txt': 'x' }), expect: /pngs: expected a folder with at least one \.png file, found 1 entries, none ending in \.png/ },
  { group: 'png', name: 'image data ends early (every CRC intact)', make: pngs({ 'a.png': pngShortIdat() }), expect: /a\.png: expected a valid PNG, found a corrupt PNG \(the image data ends early: it inflates to 20 bytes, the 8×8 header needs 72\)/ },
  { group: 'png', name: 'header claiming 100000×100000 pixels', make: pngs({ 'a.png': pngClaiming(100000, 100000) }), expect: /a\.png: expected at most 16777216 pixels \(the PNG size limit\), found 100000×100000/ },
  { group: 'png', name: 'header claiming 4×5 over 4×4 data', make: pngs({ 'a.png': pngClaiming(4, 5) }), expect: /a\.png: expected a valid PNG, found a corrupt PNG \(the image data ends early/ },
  // Run configs (JSON)
  { group: 'config', name: 'null', make: config(() => {}, 'null'), expect: /config\.json: expected a JSON object \(a run config\), found null/, names: (w) => join(w, 'config.json') },
  { group: 'config', name: 'an array', make: config(() => {}, '[{"steps": 1}]'), expect: /config\.json: expected a JSON object \(a run config\), found an array/ },
  { group: 'config', name: 'a string', make: config(() => {}, '"steps"'), expect: /config\.json: expected a JSON object \(a run config\), found a string/ },
  { group: 'config', name: 'a typo (stepz)', make: config((c) => (c.stepz = 5)), expect: /config\.json: stepz: unknown key \(did you mean 'steps'\?/ },
  { group: 'config', name: 'an unknown optimizer key', make: config((c) => (c.optimizer = { ...c.optimizer, momentum: 0.9 })), expect: /optimizer\.momentum: unknown key \(did you mean 'optimizer\./ },
  { group: 'config', name: 'infinite epsilon (1e999)', make: config(() => {}, JSON.stringify(goodRunConfig).replace(/"epsilon":[^,}]+/, '"epsilon":1e999')), expect: /optimizer\.epsilon: expected .*found Infinity|epsilon: Infinity/ },
  { group: 'config', name: 'RMSProp decay 1.5', make: config((c) => (c.optimizer = { ...c.optimizer, decay: 1.5 })), expect: /optimizer\.decay: expected a number in \[0, 1\), found 1\.5/ },
  { group: 'config', name: 'seed 2^32', make: config((c) => (c.seed = 2 ** 32)), expect: /seed: expected an integer in 0\.\.4294967295, found 4294967296/ },
  { group: 'config', name: 'sampling count 10^9', make: config((c) => (c.samples = 1e9)), expect: /samples: expected an integer in 0\.\.1024, found 1000000000/ },
  { group: 'config', name: 'negative temperature', make: config((c) => (c.temperature = -0.5)), expect: /temperature: expected a number in \[0, 100\], found -0\.5/ },
  { group: 'config', name: 'nested 100,000 deep', make: config(() => {}, `{"model": ${'['.repeat(100000)}${']'.repeat(100000)}}`), expect: /config\.json: expected a JSON run config nested at most 64 deep, found nesting 100001 deep/ },
  { group: 'config', name: 'NaN in a config (written as null)', make: config((c) => (c.temperature = NaN)), expect: /temperature: expected finite number, found null/, names: (w) => join(w, 'config.json') },
  { group: 'config', name: 'steps as a string', make: config((c) => (c.steps = '100')), expect: /steps: expected integer ≥ 1, found "100"/ },
  { group: 'config', name: 'batch size 0', make: config((c) => (c.batchSize = 0)), expect: /batchSize: expected integer ≥ 1, found 0/ },
  { group: 'config', name: 'infinite learning rate (1e999)', make: config(() => {}, JSON.stringify(goodRunConfig).replace(/"learningRate":[^,}]+/, '"learningRate":1e999')), expect: /optimizer\.learningRate: expected a finite number > 0, found Infinity/ },
  { group: 'config', name: 'unknown optimizer', make: config((c) => (c.optimizer = { name: 'sgd', learningRate: 0.1 })), expect: /optimizer.*expected/ },
  { group: 'config', name: 'unknown non-finite policy', make: config((c) => (c.onNonFinite = 'ignore')), expect: /onNonFinite: expected .*"skip".*, found "ignore"/ },
  { group: 'config', name: 'missing field', make: config((c) => delete c.seed), expect: /seed: expected integer ≥ 0, found nothing/ },
  // Model specs
  { group: 'spec', name: 'hidden as a string', make: spec((s) => (s.hidden = '6')), expect: /hidden: expected integer in 1\.\.16384, found "6"/, names: () => 'model spec' },
  { group: 'spec', name: 'levels 1', make: spec((s) => (s.levels = 1)), expect: /levels: expected integer in 2\.\.65536, found 1/, names: () => 'model spec' },
  { group: 'spec', name: 'even kernel', make: spec((s) => (s.kernel = 4)), expect: /kernel: expected odd integer in 1\.\.63, found 4/, names: () => 'model spec' },
  { group: 'spec', name: 'bernoulli likelihood with 4 levels', make: spec((s) => (s.likelihood = { kind: 'bernoulli' })), expect: /likelihood: 'bernoulli' needs levels = 2, found levels = \d+/, names: () => 'model spec' },
  { group: 'spec', name: 'two channels', make: spec((s) => (s.channels = 2)), expect: /channels: expected 1 \| 3, found 2/, names: () => 'model spec' },
  // Checkpoints
  { group: 'checkpoint', name: 'checkpoint from another spec', make: checkpoint(() => {}, tinySpec, { ...tinySpec, hidden: 8 }), expect: /checkpoint is for another model: spec\.hidden: expected 8, found 6/, names: (w) => join(ckpt(w), 'model.json') },
  {
    group: 'checkpoint',
    name: 'weights of another spec under this manifest',
    make: (w) => {
      const other = checkpoint(() => {}, { ...tinySpec, hidden: 8 })(join(w, 'other'));
      const made = checkpoint((d) => writeFileSync(join(d, 'weights.bin'), readFileSync(join((other as { path: string }).path, 'weights.bin'))))(w);
      return made;
    },
    expect: /weights\.bin: expected \d+ bytes \(from model\.json\), found \d+/,
  },
  {
    group: 'checkpoint',
    name: 'checksum mismatch',
    make: checkpoint((d) => {
      const b = readFileSync(join(d, 'weights.bin'));
      b[0] = b[0]! ^ 0x40;
      writeFileSync(join(d, 'weights.bin'), b);
    }),
    expect: /weights\.bin: checksum mismatch: expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}/,
    names: (w) => join(ckpt(w), 'weights.bin'),
  },
  { group: 'checkpoint', name: 'truncated weights', make: checkpoint((d) => writeFileSync(join(d, 'weights.bin'), readFileSync(join(d, 'weights.bin')).subarray(0, 100))), expect: /weights\.bin: expected \d+ bytes \(from model\.json\), found 100/ },
  {
    group: 'checkpoint',
    name: 'manifest shape edited to NaN',
    make: checkpoint((d) => {
      const m = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
      m.weightsManifest[0].weights[0].shape = [NaN, 3];
      writeFileSync(join(d, 'model.json'), JSON.stringify(m));
    }),
    expect: /model\.json: weightsManifest\.weights\.shape: expected integer ≥ 0, found null/,
  },
  {
    group: 'checkpoint',
    name: 'manifest shape edited, checksum recomputed',
    make: checkpoint((d) => {
      const m = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
      const w0 = m.weightsManifest[0].weights[0];
      w0.shape = [...w0.shape].reverse();
      m.pixelstreams.checksum = createHash('sha256').update(readFileSync(join(d, 'weights.bin'))).digest('hex');
      writeFileSync(join(d, 'model.json'), JSON.stringify(m));
    }),
    expect: /weight 'param\/[^']+': expected shape \[[\d, ]+\] \(from the spec\), found \[[\d, ]+\]/,
  },
  {
    group: 'checkpoint',
    name: 'manifest spec with an absurd width',
    make: checkpoint((d) => {
      const m = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
      m.pixelstreams.spec.hidden = 2 ** 24;
      writeFileSync(join(d, 'model.json'), JSON.stringify(m));
    }),
    expect: /model\.json: pixelstreams\.spec\.hidden: expected at most 2048, found 16777216/,
  },
  { group: 'checkpoint', name: 'manifest nested 10,000 deep', make: checkpoint((d) => writeFileSync(join(d, 'model.json'), `{"format": ${'['.repeat(10000)}${']'.repeat(10000)}}`)), expect: /model\.json: expected a checkpoint manifest nested at most 64 deep, found nesting 10001 deep/ },
  { group: 'checkpoint', name: 'model.json not JSON', make: checkpoint((d) => writeFileSync(join(d, 'model.json'), '{"format":')), expect: /model\.json: expected JSON, found a parse error/ },
];
