// The bad-input corpus: malformed inputs across every reader,
// config and checkpoint. Each must give an error that names the file or field, what was expected
// and what was found. The CLI half (non-zero exit, output folder untouched) is in badInputCli.spec.ts.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRunConfig } from '../pipelines/config.js';
import { readJsonFile } from '../src/data/json.js';
import { readSource } from '../pipelines/data.js';
import { loadCheckpoint, saveCheckpoint, toCheckpoint } from '../src/checkpoint/checkpoint.js';
import { decodeSpec, familyOf, presets, type ModelSpec } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState } from '../src/train/step.js';
import { badInputCorpus, goodRunConfig, type BadInput } from './badInputCorpus.js';
import { cifarBatch, idxImages, idxLabels, pngFile, tempDir } from './fixtures/data.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('pixelstreams-bad-'));
});
afterAll(() => cleanup());

const messageOf = (r: E.Either<Error, unknown>): string => {
  if (E.isRight(r)) throw new Error('expected the input to be rejected, but it was accepted');
  return r.left.message;
};

/** Run one corpus case through the library API. */
const run = async (c: BadInput, where: string): Promise<E.Either<Error, unknown>> => {
  const made = c.make(where);
  switch (made.kind) {
    case 'data':
      return readSource(made.source);
    case 'config':
      // Through the file, as the CLI reads it: size, nesting and JSON first, then the config.
      return E.chain((u: unknown) => decodeRunConfig(u, made.name))(readJsonFile(made.file, 'a JSON run config'));
    case 'spec':
      return decodeSpec(made.spec, made.name);
    case 'checkpoint':
      return E.map((x: { params: object; slots: object }) => {
        disposeAll(x.params as never, x.slots as never);
        return x;
      })(loadCheckpoint(made.path, made.expectSpec ? { expectSpec: made.expectSpec } : {}));
  }
};

describe('bad-input corpus', () => {
  it('has at least 20 cases and covers every reader, config and checkpoint', () => {
    const kinds = new Set(badInputCorpus.map((c) => c.group));
    expect(badInputCorpus.length).toBeGreaterThanOrEqual(20);
    expect([...kinds].sort()).toEqual(['checkpoint', 'cifar10', 'config', 'idx', 'png', 'spec'].sort());
  });

  let rejected = 0;
  for (const [i, c] of badInputCorpus.entries())
    it(`${c.group}: ${c.name} → ${c.expect}`, async () => {
      const where = join(dir, `case-${i}`);
      mkdirSync(where, { recursive: true });
      const before = tf.memory().numTensors;
      const msg = messageOf(await run(c, where));
      expect(msg).toMatch(c.expect);
      // Names the file or field it is about.
      if (c.names) expect(msg).toContain(c.names(where));
      expect(tf.memory().numTensors).toBe(before);
      rejected++;
    });

  it('every case was rejected cleanly', () => {
    console.log(`bad-input corpus: ${rejected} / ${badInputCorpus.length} rejected cleanly`);
    expect(rejected).toBe(badInputCorpus.length);
  });

  it('negative controls: the good versions of the inputs are accepted', async () => {
    expect(E.isRight(decodeRunConfig(goodRunConfig, 'config.json'))).toBe(true);
    const spec = presets.tiny({ height: 4, width: 4, channels: 1, levels: 4 });
    expect(decodeSpec(spec)).toEqual(E.right(spec));
    const where = join(dir, 'good');
    mkdirSync(where, { recursive: true });
    const state = initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('rmsprop'));
    const path = saveCheckpoint(where, toCheckpoint(state, null));
    if (E.isLeft(path)) throw path.left;
    const loaded = loadCheckpoint(path.right, { expectSpec: spec as ModelSpec });
    expect(E.isRight(loaded)).toBe(true);
    if (E.isRight(loaded)) disposeAll(loaded.right.params, loaded.right.slots);
    disposeAll(state.params, state.slots);
    expect(readFileSync(join(path.right, 'model.json'), 'utf8')).toContain('pixelstreams-checkpoint');
    // Each reader accepts a well-formed file of the same kind as its bad cases.
    const sources = [
      `idx:${join(where, 'good.idx')},${join(where, 'good-labels.idx')}`,
      `idx:${join(where, 'good.idx.gz')}`,
      `cifar10:${join(where, 'good.bin')}`,
      `png:${join(where, 'pngs')}`,
    ];
    writeFileSync(join(where, 'good.idx'), idxImages(3, 4, 4));
    writeFileSync(join(where, 'good-labels.idx'), idxLabels([1, 2, 3]));
    writeFileSync(join(where, 'good.idx.gz'), idxImages(3, 4, 4, true));
    writeFileSync(join(where, 'good.bin'), cifarBatch([3, 9]));
    mkdirSync(join(where, 'pngs'));
    writeFileSync(join(where, 'pngs', 'a.png'), pngFile(4, 4, 0));
    writeFileSync(join(where, 'pngs', 'b.png'), pngFile(4, 4, 0));
    for (const source of sources) {
      const r = await readSource(source);
      if (E.isLeft(r)) throw r.left;
      expect(r.right.records.length).toBeGreaterThan(0);
    }
  });
});
