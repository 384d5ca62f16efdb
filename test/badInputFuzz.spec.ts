// Fuzzing every reader: fast-check properties take valid PNG, IDX (raw and
// gzipped, images and labels), CIFAR-10, run-config and checkpoint files, corrupt them — truncate
// anywhere, flip bytes, rewrite header fields to extreme values, nest deeply, inflate past the
// header — and feed them to the reader. Each result must be a valid decoded value or a Left whose
// message names the file; never a throw that escapes, never more than MEMORY_BOUND of RSS above the
// start, never longer than TIME_BOUND per input (measured, generous: this is not a timing test).
// A handful of corrupted files also go through the CLI as a real process: exit 1, a message naming
// the file, no stack trace.
//
// Seeds are fixed (FUZZ_SEED, default 17); FUZZ_RUNS (default 300 per reader) runs deeper.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRunConfig, resolveRunConfig } from '../pipelines/config.js';
import { disposeCheckpoint, loadCheckpoint, saveCheckpoint, toCheckpoint } from '../src/checkpoint/checkpoint.js';
import { decodeCifar10 } from '../src/data/cifar.js';
import { decodeIdxLabels, decodeMnistIdx } from '../src/data/idx.js';
import { readJsonFile } from '../src/data/json.js';
import { decodePng } from '../src/data/png.js';
import { decodePngFiles } from '../src/data/pngFolder.js';
import type { ImageSet } from '../src/data/records.js';
import { familyOf, presets } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState } from '../src/train/step.js';
import { cifarBatch, idxImages, idxLabels, pngFile } from './fixtures/data.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 17);
/** Stated bounds: RSS above the RSS at the start of this file, and wall time of one input. */
const MEMORY_BOUND = 512 * 2 ** 20;
const TIME_BOUND_MS = 5000;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'pixelstreams-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rssStart = process.memoryUsage().rss;
let rssPeak = rssStart;
let slowest = 0;
const tally: Record<string, { tried: number; rejected: number; accepted: number }> = {};

// ── Corruptions ──────────────────────────────────────────────────────────────────────────────

const EXTREMES = [0, 1, 2, 255, 256, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

type Mutation =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number[]; xor: number[] }
  | { kind: 'u32'; offset: number; value: number }
  | { kind: 'append'; bytes: number };

const mutationArb = (u32Offsets: readonly number[]): fc.Arbitrary<Mutation> =>
  fc.oneof<fc.Arbitrary<Mutation>[]>(
    fc.constant({ kind: 'none' as const }), // the valid file itself: the accepting path is exercised too
    fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }), xor: fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 4, maxLength: 4 }) }),
    ...(u32Offsets.length
      ? [fc.record({ kind: fc.constant('u32' as const), offset: fc.constantFrom(...u32Offsets), value: fc.oneof(fc.constantFrom(...EXTREMES), fc.integer({ min: 0, max: 0xffffffff })) })]
      : []),
    fc.record({ kind: fc.constant('append' as const), bytes: fc.integer({ min: 1, max: 5000 }) }),
  );

const mutate = (src: Uint8Array, m: Mutation): Uint8Array => {
  const b = Uint8Array.from(src);
  switch (m.kind) {
    case 'none':
      return b;
    case 'truncate':
      return b.subarray(0, Math.floor(m.at * b.length));
    case 'flip':
      m.at.forEach((a, i) => {
        const k = Math.min(b.length - 1, Math.floor(a * b.length));
        if (k >= 0) b[k] = b[k]! ^ m.xor[i]!;
      });
      return b;
    case 'u32':
      if (m.offset + 4 <= b.length) new DataView(b.buffer).setUint32(m.offset, m.value >>> 0, false);
      return b;
    case 'append':
      return Uint8Array.from([...b, ...new Uint8Array(m.bytes).fill(7)]);
  }
};

/** Run `read` on one input: a throw or a message not naming `file` fails; time and memory recorded. */
const judge = <A>(reader: string, file: string, read: () => E.Either<Error, A>, valid: (a: A) => string | null): boolean => {
  const t = (tally[reader] ??= { tried: 0, rejected: 0, accepted: 0 });
  t.tried++;
  const started = performance.now();
  const r = read(); // a throw escapes to fast-check: the property fails, with the shrunk input
  slowest = Math.max(slowest, performance.now() - started);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  if (E.isLeft(r)) {
    if (!r.left.message.includes(file)) throw new Error(`${reader}: message does not name ${file}: ${r.left.message}`);
    t.rejected++;
    return true;
  }
  const why = valid(r.right);
  if (why) throw new Error(`${reader}: accepted an invalid value: ${why}`);
  t.accepted++;
  return true;
};

const validSet = (s: ImageSet): string | null => {
  const size = s.shape.height * s.shape.width * s.shape.channels;
  for (const r of s.records) {
    if (r.pixels.length !== size) return `record ${r.index}: ${r.pixels.length} values, expected ${size}`;
    for (const v of r.pixels) if (v >= s.shape.levels) return `record ${r.index}: value ${v} ≥ levels ${s.shape.levels}`;
  }
  return null;
};

const check = (name: string, prop: fc.IPropertyWithHooks<unknown[]> | fc.IProperty<unknown[]>) => {
  fc.assert(prop, { seed: SEED, numRuns: RUNS });
  console.log(`fuzz ${name}: ${JSON.stringify(tally)}`);
};

// ── Valid inputs ─────────────────────────────────────────────────────────────────────────────

const setPngDims = (png: Uint8Array, w: number, h: number): Uint8Array => {
  // rewrite IHDR width/height and its CRC, so the change reaches the decoder past the CRC check
  const b = Uint8Array.from(png);
  const v = new DataView(b.buffer);
  v.setUint32(16, w >>> 0);
  v.setUint32(20, h >>> 0);
  let c = 0xffffffff;
  for (const x of b.subarray(12, 29)) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  v.setUint32(29, (c ^ 0xffffffff) >>> 0);
  return b;
};

const DIMS: fc.Arbitrary<readonly [number, number] | null> = fc.option(fc.tuple(fc.constantFrom(...EXTREMES), fc.constantFrom(...EXTREMES)), { freq: 3 });
const PNGS = [pngFile(4, 4, 0), pngFile(5, 3, 2), pngFile(6, 6, 6)];
const IDX_RAW = idxImages(3, 4, 4);
const IDX_GZ = idxImages(3, 4, 4, true);
const LABELS = idxLabels([1, 2, 3]);
const CIFAR = cifarBatch([1, 9]);

describe('fuzz: data decoders', () => {
  it('PNG: truncated, flipped, extreme IHDR sizes (CRC fixed), appended — a valid image or a Left naming the file', () => {
    check(
      'png',
      fc.property(fc.nat(PNGS.length - 1), mutationArb([16, 20]), DIMS, (i, m, dims) => {
        const bytes = mutate(dims ? setPngDims(PNGS[i]!, dims[0], dims[1]) : PNGS[i]!, m);
        return judge('png', 'f.png', () => decodePng(bytes, 'f.png'), (p) => (p.pixels.length === p.width * p.height * p.channels ? null : 'pixel count'));
      }),
    );
  });

  it('PNG folder: one good file and one corrupted — a set of one shape or a Left naming the bad file', () => {
    check(
      'png folder',
      fc.property(mutationArb([16, 20]), (m) =>
        judge('png folder', 'b.png', () => decodePngFiles([{ file: 'a.png', data: PNGS[0]! }, { file: 'b.png', data: mutate(PNGS[0]!, m) }], 'dir'), validSet),
      ),
    );
  });

  it('IDX images, raw and gzipped (corrupted before or after gzip), with labels — a valid set or a Left naming the file', () => {
    check(
      'idx',
      fc.property(fc.constantFrom('raw', 'gz', 'gz-of-bad'), mutationArb([4, 8, 12]), fc.boolean(), (form, m, withLabels) => {
        const data = form === 'raw' ? mutate(IDX_RAW, m) : form === 'gz' ? mutate(IDX_GZ, m) : gzipSync(mutate(IDX_RAW, m));
        // the labels are good: a label-count mismatch names the images too ("one per image in im.idx")
        return judge('idx', 'im.idx', () => decodeMnistIdx({ file: 'im.idx', data }, withLabels ? { file: 'lb.idx', data: LABELS } : undefined), validSet);
      }),
    );
  });

  it('IDX labels, raw and gzipped', () => {
    check(
      'idx labels',
      fc.property(fc.boolean(), mutationArb([4]), (gz, m) => {
        const data = gz ? gzipSync(mutate(LABELS, m)) : mutate(LABELS, m);
        return judge('idx labels', 'lb.idx', () => decodeIdxLabels({ file: 'lb.idx', data }), (l) => (l.length >= 0 ? null : 'labels'));
      }),
    );
  });

  it('gzip bombs: a small header with a body that inflates far past it is refused without inflating it all', () => {
    const header = Buffer.from(IDX_RAW.subarray(0, 16));
    const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 * 2 ** 20)])); // 64 MiB of zeros, ~64 KiB compressed
    const before = process.memoryUsage().rss;
    expect(judge('idx', 'bomb.idx.gz', () => decodeMnistIdx({ file: 'bomb.idx.gz', data: bomb }), validSet)).toBe(true);
    const r = decodeMnistIdx({ file: 'bomb.idx.gz', data: bomb });
    expect(E.isLeft(r) && r.left.message).toMatch(/bomb\.idx\.gz: expected a gzip stream that inflates to at most 64 bytes .*found more/);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 2 ** 20);
    // a header claiming 2^32 images of 2^16×2^16: refused before inflating
    const huge = Buffer.from(IDX_RAW);
    huge.writeUInt32BE(0xffffffff, 4);
    huge.writeUInt32BE(0x10000, 8);
    huge.writeUInt32BE(0x10000, 12);
    const h = decodeMnistIdx({ file: 'huge.idx.gz', data: gzipSync(huge) });
    expect(E.isLeft(h) && h.left.message).toMatch(/huge\.idx\.gz: expected a header declaring at most \d+ bytes/);
  });

  it('CIFAR-10: truncated, flipped, appended', () => {
    check(
      'cifar10',
      fc.property(mutationArb([]), (m) => judge('cifar10', 'c.bin', () => decodeCifar10([{ file: 'c.bin', data: mutate(CIFAR, m) }]), validSet)),
    );
  });
});

describe('sources that never end', () => {
  it('a FIFO and /dev/zero are refused at once, before anything is read', async () => {
    const { readSource } = await import('../pipelines/data.js');
    const { execFileSync } = await import('node:child_process');
    const fifo = join(root, 'never.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [source, message] of [
      [`cifar10:${fifo}`, /never\.fifo: expected a regular file, found a FIFO/],
      [`idx:/dev/zero`, /\/dev\/zero: expected a regular file, found a character device/],
      [`png:/dev/zero`, /\/dev\/zero: expected a folder, found a character device/],
    ] as const) {
      const started = performance.now();
      const r = await readSource(source);
      expect(E.isLeft(r) && r.left.message).toMatch(message);
      expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS);
    }
    // negative control: a regular file of the same kind is read
    writeFileSync(join(root, 'ok.bin'), CIFAR);
    expect(E.isRight(await readSource(`cifar10:${join(root, 'ok.bin')}`))).toBe(true);
  });
});

describe('fuzz: configs and checkpoints', () => {
  const configFile = join(root, 'config.json');
  const goodConfig = JSON.stringify({ steps: 10, batchSize: 4, optimizer: { name: 'adam', learningRate: 0.001 }, model: { hidden: 6 }, temperature: 0.5 });

  const jsonText: fc.Arbitrary<string> = fc.oneof(
    fc.constant(goodConfig), // accepted: the valid path is exercised too
    // any JSON value, as a config
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    // the good config with one field set to anything JSON can hold (extreme numbers included)
    fc.tuple(fc.constantFrom('steps', 'batchSize', 'seed', 'temperature', 'samples', 'optimizer', 'model', 'data', 'keep', 'stepz'), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(1e308, -1e308, 2 ** 53, -0, 4294967296, 1e-320))).map(([k, v]) => JSON.stringify({ ...JSON.parse(goodConfig), [k]: v })),
    // numbers JSON text can hold but a double cannot
    fc.constantFrom('{"temperature": 1e999}', '{"optimizer": {"name": "rmsprop", "epsilon": -1e999}}', '{"seed": 1e400}'),
    // deep nesting, far past the limit
    fc.integer({ min: 10, max: 200_000 }).map((d) => `{"model": ${'['.repeat(d)}${']'.repeat(d)}}`),
    // the good text, truncated or with a byte changed
    fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), fc.integer({ min: 32, max: 126 })).map(([a, cut, ch]) => {
      const k = Math.floor(a * goodConfig.length);
      return cut ? goodConfig.slice(0, k) : goodConfig.slice(0, k) + String.fromCharCode(ch) + goodConfig.slice(k + 1);
    }),
  );

  it('run configs: any JSON, extreme values, deep nesting, damaged text — a valid config or a Left naming the file', () => {
    check(
      'config',
      fc.property(jsonText, (text) => {
        writeFileSync(configFile, text);
        return judge('config', configFile, () => E.chain((u: unknown) => resolveRunConfig({}, u, configFile))(readJsonFile(configFile, 'a JSON run config')), (c) =>
          E.isRight(decodeRunConfig(JSON.parse(JSON.stringify(c)), 'again')) ? null : 'does not decode after a JSON round trip',
        );
      }),
    );
  });

  it('checkpoints: manifest text and weights truncated or flipped, manifest fields set to extremes', () => {
    const spec = presets.tiny({ height: 4, width: 4, channels: 1, levels: 2 });
    const state = initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('rmsprop'));
    const saved = saveCheckpoint(join(root, 'good'), toCheckpoint(state, { seed: 1 }));
    disposeAll(state.params, state.slots);
    if (E.isLeft(saved)) throw saved.left;
    const manifest = readFileSync(join(saved.right, 'model.json'), 'utf8');
    const weights = readFileSync(join(saved.right, 'weights.bin'));
    const dir = join(root, 'ck');
    mkdirSync(dir, { recursive: true });
    const manifestFile = join(dir, 'model.json');
    const edits: ((m: any, x: unknown) => void)[] = [
      (m, x) => (m.pixelstreams.spec.hidden = x),
      (m, x) => (m.pixelstreams.spec.height = x),
      (m, x) => (m.pixelstreams.spec.levels = x),
      (m, x) => (m.weightsManifest[0].weights[0].shape = [x, x]),
      (m, x) => (m.pixelstreams.step = x),
      (m, x) => (m.pixelstreams.optimizer.epsilon = x),
      (m, x) => (m.weightsManifest[0].paths = [x]),
      (m, x) => (m.pixelstreams.spec = x),
    ];
    const tensorsBefore = tf.memory().numTensors;
    check(
      'checkpoint',
      fc.property(
        fc.oneof(
          fc.record({ part: fc.constant('manifest' as const), m: mutationArb([]) }),
          fc.record({ part: fc.constant('weights' as const), m: mutationArb([0, 4]) }),
          fc.record({ part: fc.constant('field' as const), edit: fc.nat(edits.length - 1), value: fc.oneof(fc.constantFrom(...EXTREMES, 2 ** 40, -1, 1e308, 0.5), fc.jsonValue({ maxDepth: 2 })) }),
        ),
        (c) => {
          let m = manifest;
          let w: Uint8Array = weights;
          if (c.part === 'manifest') m = Buffer.from(mutate(Buffer.from(manifest), c.m)).toString('latin1');
          else if (c.part === 'weights') w = mutate(weights, c.m);
          else {
            const j = JSON.parse(manifest);
            edits[c.edit]!(j, c.value);
            m = JSON.stringify(j);
          }
          writeFileSync(manifestFile, m);
          writeFileSync(join(dir, 'weights.bin'), w);
          return judge('checkpoint', dir, () => loadCheckpoint(dir), (ck) => {
            const bad = Object.values(ck.params).some((t) => !Array.from(t.dataSync()).every(Number.isFinite));
            disposeCheckpoint(ck);
            return bad ? 'non-finite weights' : null;
          });
        },
      ),
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

describe('fuzz: bounds and controls', () => {
  it('negative controls: the property catches a reader that throws, and one that returns an invalid value', () => {
    const throwing = () => fc.assert(fc.property(mutationArb([]), (m) => judge('control', 'x', () => E.right(JSON.parse(Buffer.from(mutate(Buffer.from('{"a": 1}'), m)).toString())), () => null)), { seed: SEED, numRuns: 50 });
    expect(throwing).toThrow();
    const lie = () => judge('control', 'x', () => E.right({ name: 'x', shape: { height: 2, width: 2, channels: 1, levels: 2 }, records: [{ pixels: new Uint8Array(3), index: 0 }] }), validSet);
    expect(lie).toThrow(/accepted an invalid value: record 0: 3 values, expected 4/);
    expect(() => fc.assert(fc.property(fc.constant(0), lie), { seed: SEED, numRuns: 1 })).toThrow();
    const unnamed = () => judge('control', 'x.png', () => E.left(new Error('corrupt')), () => null);
    expect(unnamed).toThrow(/message does not name x\.png/);
    delete tally.control;
  });

  it(`stays under the stated bounds: ${MEMORY_BOUND / 2 ** 20} MiB of RSS above the start, ${TIME_BOUND_MS} ms per input`, () => {
    const total = Object.values(tally).reduce((a, t) => ({ tried: a.tried + t.tried, rejected: a.rejected + t.rejected }), { tried: 0, rejected: 0 });
    console.log(
      `fuzz summary (seed ${SEED}, ${RUNS} runs per property): ${Object.entries(tally).map(([k, t]) => `${k} ${t.rejected}/${t.tried} rejected cleanly, ${t.accepted} valid`).join('; ')}; ` +
        `total ${total.rejected} rejected + ${total.tried - total.rejected} valid of ${total.tried}; peak RSS ${(rssPeak / 2 ** 20).toFixed(0)} MiB (start ${(rssStart / 2 ** 20).toFixed(0)} MiB); slowest input ${slowest.toFixed(0)} ms`,
    );
    expect(total.tried).toBeGreaterThanOrEqual(6 * Math.min(RUNS, 100));
    expect(rssPeak - rssStart).toBeLessThan(MEMORY_BOUND);
    expect(slowest).toBeLessThan(TIME_BOUND_MS);
  });
});

describe('fuzz: through the CLI as a real process', () => {
  it('corrupted inputs exit 1 with a message naming the file and no stack trace', async () => {
    const w = join(root, 'cli');
    mkdirSync(join(w, 'pngs'), { recursive: true });
    const png = pngFile(4, 4, 0);
    // the IDAT cut short, CRCs intact: pngjs alone would return rows of zeros and heap garbage
    writeFileSync(join(w, 'pngs', 'a.png'), png);
    const idatLen = png.readUInt32BE(33);
    const idat = png.subarray(41, 41 + idatLen);
    const { deflateSync, inflateSync } = await import('node:zlib');
    const shortData = deflateSync(inflateSync(idat).subarray(0, 10));
    const chunk = (type: string, d: Buffer) => {
      const body = Buffer.concat([Buffer.from(type, 'latin1'), d]);
      let c = 0xffffffff;
      for (const x of body) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      const len = Buffer.alloc(4);
      len.writeUInt32BE(d.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE((c ^ 0xffffffff) >>> 0);
      return Buffer.concat([len, body, crc]);
    };
    const truncatedIdat = Buffer.concat([png.subarray(0, 33), chunk('IDAT', shortData), chunk('IEND', Buffer.alloc(0))]);
    // pngjs alone reads past the inflated data into uninitialised memory: it returns garbage rows,
    // or throws on a garbage filter byte ("Unrecognised filter type"), differently from run to run.
    writeFileSync(join(w, 'pngs', 'b.png'), truncatedIdat);
    writeFileSync(join(w, 'bomb.idx.gz'), gzipSync(Buffer.concat([Buffer.from(IDX_RAW.subarray(0, 16)), Buffer.alloc(8 * 2 ** 20)])));
    writeFileSync(join(w, 'deep.json'), `{"model": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    writeFileSync(join(w, 'array.json'), '[1, 2, 3]');
    const cases: [string[], RegExp][] = [
      [['train', '--data', `png:${join(w, 'pngs')}`], /b\.png: expected a valid PNG, found a corrupt PNG \(the image data ends early/],
      [['train', '--data', `idx:${join(w, 'bomb.idx.gz')}`], /bomb\.idx\.gz: expected a gzip stream that inflates to at most 64 bytes/],
      [['train', '--config', join(w, 'deep.json')], /deep\.json: expected a JSON run config nested at most 64 deep, found nesting 100001 deep/],
      [['train', '--config', join(w, 'array.json')], /array\.json: expected a JSON object \(a run config\), found an array/],
      [['train', '--data', 'cifar10:/dev/zero'], /\/dev\/zero: expected a regular file, found a character device/],
    ];
    const runOne = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'pipelines', 'cli.ts'), ...args, '--preset', 'tiny', '--steps', '1', '--out', join(w, 'out'), '--backend', 'wasm', '--no-progress'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stderr });
        });
      });
    const results = [];
    for (let i = 0; i < cases.length; i += 2) results.push(...(await Promise.all(cases.slice(i, i + 2).map(([a]) => runOne(a)))));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });
    console.log(`fuzz via CLI: ${results.filter((r) => r.code === 1).length} / ${cases.length} corrupted inputs exit 1 naming the file`);
  }, 180_000);
});
