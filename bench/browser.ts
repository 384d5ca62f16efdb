// Sampling in headless Chromium beside Node: cached sampling of 16 binarized 28×28 digits
// and 16 images 32×32×3 with the reference PixelCNN widths (presets.reference, untrained weights:
// sampling time does not depend on the weights), per browser backend that loads (webgl, wasm, cpu),
// beside the same in Node on wasm with our kernels. The page is the real one (`serve`), timed by the
// page itself from the first event to the last (model loading excluded; the Node time likewise).
// Target: the browser's best backend within 2× of Node's wasm time.
//
//   tsx bench/browser.ts [--backends webgl,wasm,cpu] [--repeat N] [--json]
// (default backends webgl,wasm: the pure-JS cpu backend takes minutes at these widths; repeat 1.)
// Needs Debian's chromium (apt-get install -y chromium) or PIXELSTREAMS_CHROMIUM.

import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../src/backend.js';
import { setCausalConvKernels } from '../src/kernels/causalConv.js';
import { saveCheckpoint, toCheckpoint } from '../src/checkpoint/checkpoint.js';
import { bindModel, familyOf, presets } from '../src/models/registry.js';
import { initTrainState } from '../src/train/step.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { sampleImages } from '../streams/sample.js';
import { serveRun } from '../pipelines/serve.js';
import { launchChromium } from '../test/webHelpers.js';
import { median } from './stats.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const backends = arg('backends', 'webgl,wasm').split(',');
const repeat = Number(arg('repeat', '1'));
const json = process.argv.includes('--json');
const COUNT = 16;

const cases = [
  { name: 'binarized 28×28×1', shape: { height: 28, width: 28, channels: 1 as const, levels: 2 } },
  { name: '32×32×3, 256 levels', shape: { height: 32, width: 32, channels: 3 as const, levels: 256 } },
];

type Row = { case: string; where: string; backend: string; ms: number | null; ratioToNode: number | null; sameImagesAsNode: boolean | null; note: string };

const main = async () => {
  const be = await selectBackend('wasm');
  if (E.isLeft(be)) throw be.left;
  const root = mkdtempSync(join(tmpdir(), 'pixelstreams-bench-browser-'));
  const context = await launchChromium();
  const rows: Row[] = [];
  try {
    for (const c of cases) {
      const spec = presets.reference!(c.shape);
      const params = familyOf(spec).init(spec, 1);
      const runDir = join(root, c.name.replace(/[^a-z0-9]+/gi, '-'));
      const saved = saveCheckpoint(runDir, toCheckpoint(initTrainState(spec, params, defaultOptimizer('rmsprop')), {}));
      if (E.isLeft(saved)) throw saved.left;
      const model = bindModel(spec, params);
      await sampleImages(model, { count: 2, seed: 9 }); // warm-up
      const nodeMs: number[] = [];
      let nodeImages: number[][] = [];
      for (let r = 0; r < repeat; r++) {
        const t0 = performance.now();
        nodeImages = (await sampleImages(model, { count: COUNT, seed: 1 })).map((x) => [...x]);
        nodeMs.push(performance.now() - t0);
      }
      const node = median(nodeMs);
      rows.push({ case: c.name, where: 'node', backend: 'wasm (+ our kernels)', ms: node, ratioToNode: 1, sameImagesAsNode: true, note: '' });
      setCausalConvKernels(false); // the same TensorFlow.js wasm kernels the browser runs
      const plainMs: number[] = [];
      let plainImages: number[][] = [];
      for (let r = 0; r < repeat; r++) {
        const t0 = performance.now();
        plainImages = (await sampleImages(model, { count: COUNT, seed: 1 })).map((x) => [...x]);
        plainMs.push(performance.now() - t0);
      }
      setCausalConvKernels(true);
      const plain = median(plainMs);
      rows.push({ case: c.name, where: 'node', backend: 'wasm (tfjs kernels)', ms: plain, ratioToNode: plain / node, sameImagesAsNode: JSON.stringify(plainImages) === JSON.stringify(nodeImages), note: '' });
      const server = await serveRun({ runDir });
      try {
        for (const backend of backends) {
          const page = await context.newPage();
          await page.goto(server.url);
          await page.waitForFunction(() => (globalThis as unknown as { __pixelstreams?: { ready: boolean } }).__pixelstreams?.ready === true);
          const times: number[] = [];
          let images: number[][] = [];
          let error: string | null = null;
          let ran = backend;
          for (let r = 0; r < repeat + 1 && !error; r++) {
            await page.selectOption('#browser-backend-choice', backend);
            await page.fill('#browser-count', String(r === 0 ? 2 : COUNT)); // the first run warms up
            await page.fill('#browser-seed', r === 0 ? '9' : '1');
            await page.click('#browser-start');
            await page.waitForFunction(() => {
              const b = (globalThis as unknown as { __pixelstreams: { browser: { done: boolean; error: string | null } } }).__pixelstreams.browser;
              return b.done || b.error !== null;
            }, null, { timeout: 600_000 });
            const b = await page.evaluate(() => (globalThis as unknown as { __pixelstreams: { browser: { ms: number; images: number[][]; error: string | null; backend: string } } }).__pixelstreams.browser);
            error = b.error;
            ran = b.backend;
            if (r > 0) {
              times.push(b.ms);
              images = b.images;
            }
          }
          const ms = error ? null : median(times);
          rows.push({
            case: c.name, where: 'chromium', backend: ran, ms, ratioToNode: ms === null ? null : ms / node,
            sameImagesAsNode: error ? null : JSON.stringify(images) === JSON.stringify(nodeImages), note: error ?? '',
          });
          await page.close();
        }
      } finally {
        await server.close();
        Object.values(params).forEach((x) => x.dispose());
      }
    }
  } finally {
    await context.close();
    rmSync(root, { recursive: true, force: true });
  }
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  const out = json ? process.stderr : process.stdout;
  out.write(`cached sampling of ${COUNT} images, reference PixelCNN widths (median of ${repeat})\n`);
  for (const r of rows)
    out.write(`${r.case.padEnd(22)} ${r.where.padEnd(9)} ${r.backend.padEnd(20)} ${r.ms === null ? 'failed'.padStart(9) : `${(r.ms / 1000).toFixed(2)} s`.padStart(9)}  ×${r.ratioToNode?.toFixed(2) ?? '—'} of Node  ${r.sameImagesAsNode === null ? '' : r.sameImagesAsNode ? 'same images' : 'other images'} ${r.note}\n`);
  for (const c of cases) {
    const best = rows.filter((r) => r.case === c.name && r.where === 'chromium' && r.ms !== null).sort((a, b) => a.ms! - b.ms!)[0];
    out.write(`${c.name}: best browser backend ${best ? `${best.backend} ×${best.ratioToNode!.toFixed(2)} of Node wasm (target ≤ 2): ${best.ratioToNode! <= 2 ? 'met' : 'not met'}` : 'none ran'}\n`);
  }
};

await main();
