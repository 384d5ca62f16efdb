// The web dashboard, the sample stream and sampling in the browser, in a real headless Chromium
// (Debian's `chromium`, driven by playwright-core). A missing browser fails these tests with how to
// install it; they never skip. Each test file run makes its own tiny run folder (test/webFixture.ts).

import * as E from 'fp-ts/lib/Either.js';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../index.js';
import { setCausalConvKernels } from '../src/kernels/causalConv.js';
import { exportSite, SITE_MARKER } from '../pipelines/export.js';
import { serveRun, type ServeHandle } from '../pipelines/serve.js';
import { encodePngGrid } from '../src/data/png.js';
import { completeImages } from '../streams/sample.js';
import { bindModel, loadLatestCheckpoint } from '../index.js';
import { lastValueFrom, toArray } from 'rxjs';
import * as O from 'fp-ts/lib/Option.js';
import { makeWebRun, WEB_SHAPE, WEB_STEPS } from './webFixture.js';
import { fingerprint, launchChromium, nodeSample, plainFileServer, raw } from './webHelpers.js';

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
const pageState = (page: Page): Promise<PageState> => page.evaluate(() => (window as unknown as { __pixelstreams: PageState }).__pixelstreams);

const openPage = async (url: string): Promise<Page> => {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${url}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${url}: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { __pixelstreams?: PageState }).__pixelstreams?.ready === true || ((window as unknown as { __pixelstreams?: PageState }).__pixelstreams?.errors.length ?? 0) > 0, null, { timeout: 30_000 });
  return page;
};

const sampleInPage = async (page: Page, backend: string, count: number, seed: number) => {
  await page.selectOption('#browser-backend-choice', backend);
  await page.fill('#browser-count', String(count));
  await page.fill('#browser-seed', String(seed));
  await page.click('#browser-start');
  await page.waitForFunction(() => {
    const b = (window as unknown as { __pixelstreams: PageState }).__pixelstreams.browser;
    return b.done || b.error !== null;
  }, null, { timeout: 60_000 });
  return (await pageState(page)).browser;
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pixelstreams-web-'));
  runDir = join(root, 'tiny-run');
  const made = await makeWebRun(runDir);
  data = made.data.records.slice(0, 4).map((r) => r.pixels);
  server = await serveRun({ runDir, dataImages: async () => data });
  context = await launchChromium();
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the dashboard in headless Chromium', () => {
  it('loads with no console errors and its curves show every logged step', async () => {
    const page = await openPage(server.url);
    const state = await pageState(page);
    expect(state.errors).toEqual([]);
    expect(state.curves.steps).toEqual(Array.from({ length: WEB_STEPS }, (_, k) => k + 1));
    await expect(page.textContent('#curve-steps')).resolves.toMatch(new RegExp(`steps 1–${WEB_STEPS} \\(${WEB_STEPS} logged\\)`));
    await expect(page.textContent('#run-table')).resolves.toMatch(/pixelcnn/);
    expect(consoleErrors).toEqual([]);
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
      const s = (window as unknown as { __pixelstreams: PageState }).__pixelstreams.stream;
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
});
