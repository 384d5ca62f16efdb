// The web dashboard, the sample stream and sampling in the browser, in a real headless Chromium
// (Debian's `chromium`, driven by playwright-core). A missing browser fails these tests with how to
// install it; they never skip. Each test file run makes its own tiny run folder (test/webFixture.ts).

import * as E from 'fp-ts/lib/Either.js';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindModel, loadLatestCheckpoint, tf } from '../index.js';
import { setCausalConvKernels } from '../src/kernels/causalConv.js';
import { exportSite, SITE_MARKER } from '../pipelines/export.js';
import { serveRun, type ServeHandle } from '../pipelines/serve.js';
import { encodePngGrid } from '../src/data/png.js';
import { completeImages } from '../streams/sample.js';
import { lastValueFrom, toArray } from 'rxjs';
import * as O from 'fp-ts/lib/Option.js';
import { makeWebRun, WEB_SHAPE, WEB_STEPS } from './webFixture.js';
import { fingerprint, launchChromium, nodeSample, plainFileServer } from './webHelpers.js';

const SCREENSHOT = resolve('test-output', 'dashboard.png');
const PIXELS = WEB_SHAPE.height * WEB_SHAPE.width * WEB_SHAPE.channels;

let root = '';
let runDir = '';
let data: Uint8Array[] = [];
let server: ServeHandle;
let context: BrowserContext;
const consoleErrors: string[] = [];

const waitFor = async (what: string, check: () => boolean | Promise<boolean>, ms = 30_000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

type PageState = {
  ready: boolean;
  errors: string[];
  curves: { steps: number[] };
  stream: { values: number; images: (number[] | null)[]; painted: number[][]; done: boolean; error: string | null };
  complete: { values: number; images: (number[] | null)[]; done: boolean; error: string | null };
  browser: { backend: string | null; images: number[][]; probabilities: number[]; values: number; done: boolean; error: string | null; ms: number; checksum: string };
};
const pageState = (page: Page): Promise<PageState> => page.evaluate(() => (globalThis as unknown as { __pixelstreams: PageState }).__pixelstreams);

// The sampler's heads (float32) are compared through the probabilities the events carry, which
// JavaScript computes from them in float64 (σ(ℓ) = 1/(1+Math.exp(−ℓ)) for Bernoulli). One float32
// ulp of a head moves p by ~1e-8; Node 20's V8 (11.3) and Chromium's newer V8 may round Math.exp
// differently in the last float64 bit (~1e-16). So: probabilities within 1e-13 relative ⇔ the
// float32 heads agree bitwise, whatever Math.exp's last bit; the images must be identical.
const maxRel = (a: readonly number[], b: readonly number[]): number =>
  Math.max(0, ...a.map((x, k) => Math.abs(x - b[k]!) / Math.max(Math.abs(b[k]!), 1e-300)));
const bitwise = (a: readonly number[], b: readonly number[]): number => a.filter((x, k) => Object.is(x, b[k])).length;
const expectSameHeads = (a: readonly number[], b: readonly number[]) => {
  expect(a).toHaveLength(b.length);
  expect(maxRel(a, b)).toBeLessThan(1e-13);
};
/** Does the page's Math.exp round differently from Node's for the logits' range? (the reason probabilities may differ in the last bit) */
const mathExpDiffers = async (page: Page): Promise<string> => {
  const xs = Array.from({ length: 20_000 }, (_, k) => -10 + k * 0.001000123);
  const there = await page.evaluate((v) => v.map(Math.exp), xs);
  const differ = xs.filter((x, k) => !Object.is(Math.exp(x), there[k])).length;
  return `Math.exp differs between Node ${process.versions.v8} and Chromium in ${differ} of ${xs.length} probes`;
};

const openPage = async (url: string): Promise<Page> => {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${url}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${url}: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as unknown as { __pixelstreams?: PageState }).__pixelstreams?.ready === true || ((globalThis as unknown as { __pixelstreams?: PageState }).__pixelstreams?.errors.length ?? 0) > 0, null, { timeout: 30_000 });
  return page;
};

const sampleInPage = async (page: Page, backend: string, count: number, seed: number) => {
  await page.selectOption('#browser-backend-choice', backend);
  await page.fill('#browser-count', String(count));
  await page.fill('#browser-seed', String(seed));
  await page.click('#browser-start');
  await page.waitForFunction(() => {
    const b = (globalThis as unknown as { __pixelstreams: PageState }).__pixelstreams.browser;
    return b.done || b.error !== null;
  }, null, { timeout: 60_000 });
  return (await pageState(page)).browser;
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pixelstreams-web-'));
  runDir = join(root, 'tiny-run');
  const made = await makeWebRun(runDir);
  data = made.data.records.slice(0, 4).map((r) => r.pixels);
  // maxCount above the default 64: the Stop test needs a stream long enough to be stopped mid-way
  server = await serveRun({ runDir, dataImages: async () => data, maxCount: 1024 });
  context = await launchChromium();
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the dashboard in headless Chromium', () => {
  it('a missing Chromium is a failure that says how to install it (never a skip)', async () => {
    await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(/\/nonexistent\/chromium: expected Chromium for the browser tests, found no such file\. Install it with `apt-get update && apt-get install -y chromium`/);
  });

  it('loads with no console errors; its curves show every logged step, and new steps as they are logged', async () => {
    const page = await openPage(server.url);
    const state = await pageState(page);
    expect(state.errors).toEqual([]);
    expect(state.curves.steps).toEqual(Array.from({ length: WEB_STEPS }, (_, k) => k + 1));
    await expect(page.textContent('#curve-steps')).resolves.toMatch(new RegExp(`steps 1–${WEB_STEPS} \\(${WEB_STEPS} logged\\)`));
    await expect(page.textContent('#run-table')).resolves.toMatch(/pixelcnn/);
    // the report's backend as words, not as the JSON object the report holds
    await expect(page.textContent('#run-table')).resolves.toMatch(/report backend(wasm|cpu|tensorflow)/);
    await expect(page.textContent('#run-table')).resolves.not.toMatch(/"name"/);
    expect(consoleErrors).toEqual([]);
    // live: a step appended to the log (as training does) reaches the curves without a reload
    const log = join(runDir, 'metrics.jsonl');
    const original = readFileSync(log, 'utf8');
    appendFileSync(log, `${JSON.stringify({ step: WEB_STEPS + 1, loss: 80, bitsPerDim: 0.45 })}\n`);
    await page.waitForFunction((n) => (globalThis as unknown as { __pixelstreams: PageState }).__pixelstreams.curves.steps.length === n, WEB_STEPS + 1, { timeout: 10_000 });
    await expect(page.textContent('#curve-steps')).resolves.toMatch(new RegExp(`steps 1–${WEB_STEPS + 1} `));
    writeFileSync(log, original);
    // negative control: the collector does see a console error
    await page.evaluate(() => console.error('deliberate'));
    expect(consoleErrors.splice(0)).toEqual([`${server.url}: deliberate`]);
    await page.close();
  });

  it('streams a fixed-seed sample value by value; the finished images equal Node’s sample of the same checkpoint and seed', async () => {
    const page = await openPage(server.url);
    await page.fill('#stream-count', '4');
    await page.fill('#stream-seed', '5');
    await page.click('#stream-start');
    await page.waitForFunction(() => {
      const s = (globalThis as unknown as { __pixelstreams: PageState }).__pixelstreams.stream;
      return s.done || s.error !== null;
    }, null, { timeout: 60_000 });
    const { stream } = await pageState(page);
    expect(stream.error).toBeNull();
    expect(stream.values).toBe(4 * PIXELS); // one event per value
    const node = await nodeSample(runDir, { count: 4, seed: 5 }); // same backend (wasm) as the server
    expect(stream.images).toEqual(node.images);
    expect(stream.painted).toEqual(node.images); // what was painted value by value is the image
    const other = await nodeSample(runDir, { count: 4, seed: 6 }); // negative control: another seed differs
    expect(other.images).not.toEqual(stream.images);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('Stop in the page closes the stream: the server’s job ends and its tensors are freed', async () => {
    const page = await openPage(server.url);
    await (await fetch(`${server.url}runs/tiny-run/sample?count=1`)).text();
    const baseline = tf.memory().numTensors;
    await page.fill('#stream-count', '1024');
    await page.click('#stream-start');
    await page.waitForFunction(() => (globalThis as unknown as { __pixelstreams: PageState }).__pixelstreams.stream.values > 300, null, { timeout: 30_000 });
    expect(server.jobs()).toHaveLength(1);
    expect(tf.memory().numTensors).toBeGreaterThan(baseline);
    await page.click('#stream-stop');
    await waitFor('the server job to end', () => server.jobs().length === 0);
    expect(tf.memory().numTensors).toBe(baseline);
    const { stream } = await pageState(page);
    expect(stream.error).toBe('stopped');
    expect(stream.values).toBeLessThan(1024 * PIXELS);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('samples in the browser: cpu and wasm give Node’s images for the same seed and backend; float32 heads bitwise equal', async () => {
    const page = await openPage(server.url);
    const report: string[] = [];
    // cpu: the same pure-JS kernels as Node's cpu backend → every probability bitwise equal.
    const cpu = await sampleInPage(page, 'cpu', 3, 7);
    expect(cpu.error).toBeNull();
    expect(cpu.backend).toBe('cpu');
    await expect(page.textContent('#browser-backend')).resolves.toBe('cpu');
    await tf.setBackend('cpu');
    const nodeCpu = await nodeSample(runDir, { count: 3, seed: 7 }).finally(() => tf.setBackend('wasm'));
    expect(cpu.images).toEqual(nodeCpu.images);
    expectSameHeads(cpu.probabilities, nodeCpu.probabilities);
    report.push(`cpu: ${bitwise(cpu.probabilities, nodeCpu.probabilities)} of ${cpu.probabilities.length} probabilities bitwise equal, max relative |Δp| ${maxRel(cpu.probabilities, nodeCpu.probabilities).toExponential(2)}; ${await mathExpDiffers(page)}`);
    // wasm: the browser runs TensorFlow.js's own wasm kernels. Node with our SIMD kernels off runs
    // the same binary → bitwise; with them on (the default), the 16-wide layers use our kernels, whose
    // sums run in another order → the same images here, probabilities within float rounding.
    const wasm = await sampleInPage(page, 'wasm', 3, 7);
    expect(wasm.error).toBeNull();
    expect(wasm.backend).toBe('wasm');
    setCausalConvKernels(false);
    const nodeWasmTfjs = await nodeSample(runDir, { count: 3, seed: 7 }).finally(() => setCausalConvKernels(true));
    expect(wasm.images).toEqual(nodeWasmTfjs.images);
    expectSameHeads(wasm.probabilities, nodeWasmTfjs.probabilities);
    report.push(`wasm vs Node wasm (tfjs kernels only): ${bitwise(wasm.probabilities, nodeWasmTfjs.probabilities)} of ${wasm.probabilities.length} bitwise equal, max relative |Δp| ${maxRel(wasm.probabilities, nodeWasmTfjs.probabilities).toExponential(2)}`);
    const nodeWasmOwn = await nodeSample(runDir, { count: 3, seed: 7 });
    const maxDiff = Math.max(...nodeWasmOwn.probabilities.map((p, k) => Math.abs(p - wasm.probabilities[k]!)));
    expect(maxDiff).toBeLessThan(1e-5);
    report.push(`wasm vs Node wasm with our kernels: images ${JSON.stringify(wasm.images) === JSON.stringify(nodeWasmOwn.images) ? 'equal' : 'differ'}, max |Δp| ${maxDiff.toExponential(2)}, bitwise ${maxDiff === 0}`);
    // negative control: another seed in Node differs from the browser's images
    expect((await nodeSample(runDir, { count: 3, seed: 8 })).images).not.toEqual(wasm.images);
    // auto: whichever loads first of webgl → wasm → cpu; the page says which.
    const auto = await sampleInPage(page, 'auto', 3, 7);
    expect(auto.error).toBeNull();
    expect(['webgl', 'wasm', 'cpu']).toContain(auto.backend);
    await expect(page.textContent('#browser-backend')).resolves.toBe(auto.backend);
    const autoDiff = Math.max(...nodeCpu.probabilities.map((p, k) => Math.abs(p - auto.probabilities[k]!)));
    report.push(`auto picked ${auto.backend}: images ${JSON.stringify(auto.images) === JSON.stringify(nodeCpu.images) ? 'equal' : 'differ'} to Node cpu, max |Δp| ${autoDiff.toExponential(2)}; cpu ${cpu.ms.toFixed(0)} ms, wasm ${wasm.ms.toFixed(0)} ms, ${auto.backend} ${auto.ms.toFixed(0)} ms for 3 images`);
    console.log(`[browser sampling] ${report.join('; ')}`);
    expect(cpu.checksum).toBe('verified');
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('completes a data image and an uploaded PNG: kept rows unchanged, the rest as Node completes them', async () => {
    const page = await openPage(server.url);
    await page.selectOption('#complete-index', '1');
    await page.fill('#complete-rows', '8');
    await page.fill('#complete-seed', '4');
    await page.click('#complete-start');
    const done = () => page.waitForFunction(() => {
      const c = (globalThis as unknown as { __pixelstreams: PageState }).__pixelstreams.complete;
      return c.done || c.error !== null;
    }, null, { timeout: 60_000 });
    await done();
    const fromData = (await pageState(page)).complete;
    expect(fromData.error).toBeNull();
    expect(fromData.values).toBe(PIXELS - 8 * WEB_SHAPE.width); // only the rows not kept are streamed
    const loaded = loadLatestCheckpoint(runDir);
    if (E.isLeft(loaded) || O.isNone(loaded.right)) throw new Error('no checkpoint');
    const { params, slots, spec } = loaded.right.value.contents;
    Object.values(slots).forEach((x) => x.dispose());
    const model = bindModel(spec, params, { convImpl: 'gather' });
    const nodeDone = (img: Uint8Array) =>
      lastValueFrom(completeImages(model, [img], 8, { seed: 4 }).pipe(toArray())).then((es) => es.flatMap((e) => (e.kind === 'image' ? [[...e.pixels]] : [])));
    expect(fromData.images).toEqual(await nodeDone(data[1]!));
    expect(fromData.images[0]!.slice(0, 8 * 16)).toEqual([...data[1]!.slice(0, 8 * 16)]);
    // an uploaded PNG: image 2 as 0/255 greyscale
    const png = join(root, 'upload.png');
    writeFileSync(png, encodePngGrid([data[2]!], WEB_SHAPE));
    await page.selectOption('#complete-index', '');
    await page.setInputFiles('#complete-file', png);
    await page.click('#complete-start');
    await done();
    const fromPng = (await pageState(page)).complete;
    expect(fromPng.error).toBeNull();
    expect(fromPng.images).toEqual(await nodeDone(data[2]!));
    Object.values(params).forEach((x) => x.dispose());
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('saves a screenshot of the dashboard after streaming, completing and sampling in the browser', async () => {
    const page = await openPage(server.url);
    await page.click('#stream-start');
    await page.selectOption('#complete-index', '0');
    await page.click('#complete-start');
    await sampleInPage(page, 'cpu', 4, 3);
    await page.waitForFunction(() => {
      const s = (globalThis as unknown as { __pixelstreams: PageState }).__pixelstreams;
      return s.stream.done && s.complete.done;
    }, null, { timeout: 60_000 });
    mkdirSync(resolve('test-output'), { recursive: true });
    rmSync(SCREENSHOT, { force: true });
    const shot = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(shot.subarray(1, 4).toString()).toBe('PNG');
    expect(shot.length).toBeGreaterThan(20_000);
    console.log(`[screenshot] ${SCREENSHOT}`);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});

describe('the exported static site', () => {
  it('samples in the browser from a plain file server, as Node does', async () => {
    const site = join(root, 'site');
    const exported = await exportSite(runDir, site);
    if (E.isLeft(exported)) throw exported.left;
    expect(exported.right.files).toEqual(expect.arrayContaining(['index.html', 'app.js', 'model.json', 'weights.bin', 'info.json', 'metrics.json', 'files/loss.png', 'files/samples.png', SITE_MARKER]));
    const files = new Set(exported.right.files.filter((f) => f.endsWith('.js')));
    expect([...files]).toEqual(['app.js']); // one JavaScript bundle
    const { url, proc } = await plainFileServer(site);
    try {
      const page = await openPage(url);
      expect((await pageState(page)).curves.steps).toHaveLength(WEB_STEPS);
      expect(await page.isHidden('#stream')).toBe(true); // no server: no server-side streaming
      const got = await sampleInPage(page, 'cpu', 2, 11);
      expect(got.error).toBeNull();
      await tf.setBackend('cpu');
      const node = await nodeSample(runDir, { count: 2, seed: 11 }).finally(() => tf.setBackend('wasm'));
      expect(got.images).toEqual(node.images);
      expectSameHeads(got.probabilities, node.probabilities);
      expect(consoleErrors).toEqual([]);
      await page.close();
    } finally {
      proc.kill();
    }
  });

  it('refuses a non-empty folder it did not write, and replaces one it did', async () => {
    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const before = fingerprint(foreign);
    const refused = await exportSite(runDir, foreign);
    expect(E.isLeft(refused) && refused.left.message).toMatch(/foreign: expected an empty folder or one written by pixelstreams export, found 1 other file\(s\) \(notes\.txt\)/);
    expect(fingerprint(foreign)).toEqual(before);
    const again = await exportSite(runDir, join(root, 'site'));
    expect(E.isRight(again)).toBe(true);
    const inside = await exportSite(runDir, join(runDir, 'site'));
    expect(E.isLeft(inside) && inside.left.message).toMatch(/apart from the run folder/);
  });
});
