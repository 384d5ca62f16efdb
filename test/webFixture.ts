// A tiny run folder made with the public API alone, for the web tests: a small PixelCNN trained a
// few steps on synthetic binary images (blobs), with metrics.jsonl (streams/metricsLog.ts), a
// checkpoint, report.json, samples.png and loss.png — what `pixelstreams train` leaves behind.

import * as E from 'fp-ts/lib/Either.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import {
  bindModel, defaultOptimizer, disposeAll, epochs, initModel, initTrainState, presets, sampleImages,
  saveCheckpoint, toCheckpoint, train, type ImageSet,
} from '../index.js';
import { encodePngGrid } from '../src/data/png.js';
import { writeLossCurve } from '../pipelines/lossCurve.js';
import { metricsLog } from '../streams/metricsLog.js';

export const WEB_SHAPE = { height: 16, width: 16, channels: 1 as const, levels: 2 };
export const WEB_STEPS = 12;

/** Discs of varying centre and radius, thresholded: H·W levels 0/1 each. */
export const blobs = (n: number): ImageSet => ({
  name: 'blobs',
  shape: WEB_SHAPE,
  records: Array.from({ length: n }, (_, k) => {
    const cy = 4 + (k % 8), cx = 4 + ((k * 3) % 8), r = 2 + (k % 4);
    return {
      index: k,
      pixels: Uint8Array.from({ length: 256 }, (_, q) => ((Math.floor(q / 16) - cy) ** 2 + ((q % 16) - cx) ** 2 <= r * r ? 1 : 0)),
    };
  }),
});

export const makeWebRun = async (dir: string): Promise<{ spec: ReturnType<typeof presets.tiny>; data: ImageSet }> => {
  const data = blobs(64);
  const spec = { ...presets.tiny(WEB_SHAPE), hidden: 16, headHidden: 16 };
  const initial = initTrainState(spec, initModel(spec, 3).params, defaultOptimizer('rmsprop'));
  const started = performance.now();
  const last = await lastValueFrom(
    epochs(data, { batchSize: 8, seed: 1, maxSteps: WEB_STEPS }).pipe(train(initial), metricsLog({ runDir: dir })),
  );
  const seconds = (performance.now() - started) / 1000;
  const saved = saveCheckpoint(dir, toCheckpoint(last.state, { note: 'web fixture' }));
  if (E.isLeft(saved)) throw saved.left;
  const images = await sampleImages(bindModel(spec, last.state.params), { count: 4, seed: 2 });
  writeFileSync(join(dir, 'samples.png'), encodePngGrid(images, WEB_SHAPE, { scale: 4 }));
  const curve = writeLossCurve(dir);
  if (E.isLeft(curve)) throw curve.left;
  writeFileSync(
    join(dir, 'report.json'),
    JSON.stringify({
      command: 'train',
      backend: 'wasm',
      spec,
      data: { train: { name: data.name, images: data.records.length } },
      training: { step: last.metrics.step, seconds, imagesPerSecond: (WEB_STEPS * 8) / seconds, lastLoss: last.metrics.loss, lastBitsPerDim: last.metrics.bitsPerDim },
      figures: { samples: 'samples.png', lossCurve: curve.right },
    }),
  );
  disposeAll(last.state.params, last.state.slots);
  return { spec, data };
};
