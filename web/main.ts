// The pixelstreams page: one run's dashboard. Served by `pixelstreams serve` (mode 'server': live
// curves, samples streamed from the server, completion) or exported by `pixelstreams export` (mode
// 'static': the same page from any file server; sampling runs in the browser only). Either way the
// page can load the checkpoint (model.json + weights.bin) into TensorFlow.js here and run the same
// sampler as Node (streams/sample.ts over the family from src/models/registry.ts).
//
// Test hooks: window.__pixelstreams holds what reached the page (see `state` below).

import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Subscription } from 'rxjs';
import type { MetricsLine } from '../src/metricsLog.js';
import { bindModel } from '../src/models/registry.js';
import type { ImageShape } from '../src/model.js';
import type { SampleEvent } from '../src/sampling/types.js';
import { tf } from '../src/tf.js';
import { sample } from '../streams/sample.js';
import { drawCurve } from './curves.js';
import { fetchCheckpoint } from './loadCheckpoint.js';
import { ImageGrid } from './paint.js';
import { readSse } from './sse.js';

interface PageConfig {
  readonly mode: 'server' | 'static';
  /** Where the run's files are (info.json, metrics.json, model.json, weights.bin; sample, complete on a server). */
  readonly base: string;
  /** Where app.js and the tfjs wasm binaries are. */
  readonly assets: string;
}

interface RunInfo {
  readonly name: string;
  /** null until training writes its first checkpoint. */
  readonly spec: (ImageShape & { family: string } & Record<string, unknown>) | null;
  readonly step: number | null;
  readonly backend: string | null;
  readonly data: unknown;
  readonly report: Record<string, unknown> | null;
  readonly figures: Record<string, string>;
  readonly dataImages: number;
}

const state = {
  ready: false,
  errors: [] as string[],
  info: null as RunInfo | null,
  curves: { steps: [] as number[] },
  stream: { values: 0, images: [] as (number[] | null)[], painted: [] as number[][], done: false, error: null as string | null },
  complete: { values: 0, images: [] as (number[] | null)[], done: false, error: null as string | null },
  browser: { backend: null as string | null, images: [] as number[][], probabilities: [] as number[], values: 0, done: false, error: null as string | null, ms: 0, checksum: '' },
};
(window as unknown as { __pixelstreams: typeof state }).__pixelstreams = state;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const config = JSON.parse($('pixelstreams-config').textContent ?? '{}') as PageConfig;
const num = (id: string): number => Number($<HTMLInputElement>(id).value);
const setStatus = (id: string, text: string, error = false) => {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('error', error);
};
const getJson = async <T>(url: string): Promise<T> => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
};

// ── the run ────────────────────────────────────────────────────────────────────────────────────
const fmt = (v: unknown): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(5)) : typeof v === 'string' ? v : JSON.stringify(v));
const describeData = (d: unknown): string => {
  if (!d || typeof d !== 'object') return d === null || d === undefined ? 'unknown' : fmt(d);
  const parts = Object.entries(d as Record<string, { name?: unknown; images?: unknown }>).map(([k, v]) =>
    v && typeof v === 'object' && 'name' in v ? `${k}: ${String(v.name)}${typeof v.images === 'number' ? ` (${v.images} images)` : ''}` : `${k}: ${fmt(v)}`);
  return parts.join('; ');
};
/** A report's backend ({ name, engine, detail }) as a person reads it: "wasm (single thread, SIMD)". */
const describeBackend = (b: unknown): string => {
  if (typeof b === 'string') return b;
  if (typeof b !== 'object' || b === null) return '—';
  const { name, detail } = b as { name?: unknown; detail?: unknown };
  return typeof name === 'string' ? (typeof detail === 'string' && detail ? `${name} (${detail})` : name) : '—';
};

const showInfo = (info: RunInfo) => {
  if (!info.spec) {
    $('run-title').textContent = `${info.name} · waiting for the first checkpoint`;
    return;
  }
  $('run-title').textContent = `${info.name} · ${info.spec.family} · ${info.spec.height}×${info.spec.width}×${info.spec.channels}, ${info.spec.levels} levels`;
  const report = info.report ?? {};
  const ev = (report['evaluation'] ?? {}) as Record<string, unknown>;
  const tr = (report['training'] ?? {}) as Record<string, unknown>;
  const rows: [string, unknown][] = [
    ['family', info.spec.family],
    ['checkpoint step', info.step ?? 'none yet'],
    ['data', describeData(info.data ?? report['data'])],
    ['server backend', info.backend ?? (config.mode === 'static' ? 'none (static site)' : 'unknown')],
    ['report backend', describeBackend(report['backend'])],
    ['held-out bits/dim', ev['bitsPerDim'] ?? '—'],
    ['held-out NLL (nats)', ev['meanNll'] ?? '—'],
    ['training img/s', tr['imagesPerSecond'] ?? '—'],
    ['last training bits/dim', tr['lastBitsPerDim'] ?? '—'],
  ];
  const table = $('run-table');
  table.replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = document.createElement('tr');
      const a = document.createElement('td');
      const b = document.createElement('td');
      a.textContent = k;
      b.textContent = fmt(v);
      tr.append(a, b);
      return tr;
    }),
  );
  $('run-spec').textContent = JSON.stringify(info.spec, null, 1);
  $('run-figures').replaceChildren(
    ...Object.entries(info.figures).map(([name, url]) => {
      const img = document.createElement('img');
      img.alt = name;
      img.title = name;
      img.src = `${config.base}${url}`;
      return img;
    }),
  );
  $('complete-rows').setAttribute('max', String(info.spec.height));
  const select = $<HTMLSelectElement>('complete-index');
  select.replaceChildren(new Option('—', ''));
  for (let i = 0; i < info.dataImages; i++) select.append(new Option(`#${i}`, String(i)));
};

// ── curves ─────────────────────────────────────────────────────────────────────────────────────
let points: MetricsLine[] = [];
const refreshCurves = async () => {
  const since = points.length ? points[points.length - 1]!.step : 0;
  const got = await getJson<{ points: MetricsLine[]; last: number }>(`${config.base}metrics.json${config.mode === 'server' ? `?since=${since}` : ''}`);
  if (config.mode === 'static' || got.last < since) points = got.points; // a restarted run: start over
  else points = points.concat(got.points);
  if (config.mode === 'server' && got.last < since) points = (await getJson<{ points: MetricsLine[] }>(`${config.base}metrics.json?since=0`)).points;
  drawCurve($('loss-curve'), points, (p) => p.loss, '#1f77b4');
  drawCurve($('bpd-curve'), points, (p) => p.bitsPerDim, '#d62728');
  state.curves.steps = points.map((p) => p.step);
  const last = points[points.length - 1];
  $('curve-steps').textContent = last
    ? `steps ${points[0]!.step}–${last.step} (${points.length} logged); last loss ${last.loss?.toFixed(3) ?? '—'} nats, ${last.bitsPerDim?.toFixed(4) ?? '—'} bits/dim`
    : 'no steps logged yet';
};

// ── streams from the server ────────────────────────────────────────────────────────────────────
const streamInto = async (
  kind: 'stream' | 'complete',
  url: string,
  init: RequestInit,
  count: number,
  known?: Uint8Array[],
) => {
  const spec = state.info?.spec;
  const target = state[kind];
  if (!spec) {
    target.error = 'no checkpoint yet';
    return setStatus(`${kind}-status`, 'no checkpoint yet: training has not written one', true);
  }
  const grid = new ImageGrid($(`${kind}-grid`), spec, count, known);
  const controller = new AbortController();
  const start = $<HTMLButtonElement>(`${kind}-start`);
  const stop = $<HTMLButtonElement>(`${kind}-stop`);
  start.disabled = true;
  stop.disabled = false;
  stop.onclick = () => controller.abort();
  Object.assign(target, { values: 0, images: Array.from({ length: count }, () => null), done: false, error: null });
  setStatus(`${kind}-status`, 'sampling on the server…');
  const t0 = performance.now();
  try {
    await readSse(url, { ...init, signal: controller.signal }, (m) => {
      if (m.event === 'failure') throw new Error((JSON.parse(m.data) as { message: string }).message);
      if (m.event === 'done') return;
      const e = JSON.parse(m.data) as SampleEvent;
      grid.event(e);
      target.values = grid.values;
      if (e.kind === 'image') target.images[e.image] = [...e.pixels];
      if (e.kind === 'row' && e.image === 0) setStatus(`${kind}-status`, `row ${e.row + 1} of image 1 · ${grid.values} values so far`);
    });
    target.done = true;
    if (kind === 'stream') state.stream.painted = grid.levels.map((l) => [...l]);
    setStatus(`${kind}-status`, `${grid.values} values streamed in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  } catch (e) {
    const msg = (e as Error).name === 'AbortError' ? 'stopped' : (e as Error).message;
    target.error = msg;
    setStatus(`${kind}-status`, msg, msg !== 'stopped');
  } finally {
    start.disabled = false;
    stop.disabled = true;
  }
};

const startStream = () => {
  const count = num('stream-count');
  const q = new URLSearchParams({ count: String(count), seed: $<HTMLInputElement>('stream-seed').value, temperature: $<HTMLInputElement>('stream-temperature').value });
  return streamInto('stream', `${config.base}sample?${q}`, {}, count);
};

const startCompletion = async () => {
  Object.assign(state.complete, { done: false, error: null }); // before any await: a finished earlier run is not this one
  const file = $<HTMLInputElement>('complete-file').files?.[0];
  const index = $<HTMLSelectElement>('complete-index').value;
  const q = new URLSearchParams({ rows: $<HTMLInputElement>('complete-rows').value, seed: $<HTMLInputElement>('complete-seed').value });
  if (file) return streamInto('complete', `${config.base}complete?${q}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: await file.arrayBuffer() }, 1);
  if (index === '') return setStatus('complete-status', 'choose a PNG file or a data image first', true);
  q.set('index', index);
  const known = await getJson<{ pixels: number[] }>(`${config.base}data-image?index=${index}`);
  const rows = num('complete-rows');
  const spec = state.info?.spec;
  if (!spec) return setStatus('complete-status', 'no checkpoint yet: training has not written one', true);
  const kept = Uint8Array.from(known.pixels.map((v, k) => (k < rows * spec.width * spec.channels ? v : 0)));
  return streamInto('complete', `${config.base}complete?${q}`, {}, 1, [kept]);
};

// ── sampling in this browser ───────────────────────────────────────────────────────────────────
const startBrowserBackend = async (choice: string): Promise<string> => {
  const ladder = choice === 'auto' ? ['webgl', 'wasm', 'cpu'] : [choice];
  const tried: string[] = [];
  for (const name of ladder) {
    try {
      if (name === 'wasm') setWasmPaths(new URL(config.assets, location.href).href);
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
      tried.push(`${name}: did not start`);
    } catch (e) {
      tried.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no backend started (${tried.join('; ')})`);
};

let browserRun: Subscription | null = null;
const startBrowser = async () => {
  const start = $<HTMLButtonElement>('browser-start');
  const stop = $<HTMLButtonElement>('browser-stop');
  start.disabled = true;
  const b = state.browser;
  Object.assign(b, { images: [], probabilities: [], values: 0, done: false, error: null });
  try {
    setStatus('browser-status', 'starting a backend…');
    const backend = await startBrowserBackend($<HTMLSelectElement>('browser-backend-choice').value);
    b.backend = backend;
    $('browser-backend').textContent = backend;
    setStatus('browser-status', `${backend}: loading model.json + weights.bin…`);
    const ckpt = await fetchCheckpoint(config.base);
    b.checksum = ckpt.checksum;
    // Our own wasm kernels are registered only by the Node backend ladder; here the layers use
    // TensorFlow.js ops: dense conv2d on the GPU, the tap-gather conv on wasm and cpu (Node's default there).
    const model = bindModel(ckpt.spec, ckpt.params, { convImpl: backend === 'webgl' ? 'dense' : 'gather' });
    const count = num('browser-count');
    const grid = new ImageGrid($('browser-grid'), ckpt.spec, count);
    const t0 = performance.now();
    setStatus('browser-status', `${backend}: sampling ${count} images (checkpoint step ${ckpt.step}, checksum ${ckpt.checksum})…`);
    await new Promise<void>((resolve, reject) => {
      const finish = () => {
        browserRun = null;
        Object.values(ckpt.params).forEach((x) => x.dispose());
        stop.disabled = true;
        resolve();
      };
      stop.disabled = false;
      stop.onclick = () => {
        browserRun?.unsubscribe();
        b.error = 'stopped';
        finish();
      };
      browserRun = sample(model, { count, seed: num('browser-seed'), temperature: num('browser-temperature') }).subscribe({
        next: (e) => {
          grid.event(e);
          if (e.kind === 'value') b.probabilities.push(e.probability);
          if (e.kind === 'image') b.images[e.image] = [...e.pixels];
          b.values = grid.values;
        },
        error: (err) => {
          finish();
          reject(err);
        },
        complete: () => {
          b.done = true;
          finish();
        },
      });
    });
    b.ms = performance.now() - t0;
    if (b.done) setStatus('browser-status', `${backend}: ${b.values} values in ${(b.ms / 1000).toFixed(2)} s · checkpoint step ${ckpt.step}, checksum ${ckpt.checksum}`);
  } catch (e) {
    b.error = (e as Error).message;
    setStatus('browser-status', b.error, true);
    console.error(e);
  } finally {
    start.disabled = false;
  }
};

// ── start ──────────────────────────────────────────────────────────────────────────────────────
const main = async () => {
  for (const el of document.querySelectorAll<HTMLElement>('.server-only')) el.hidden = config.mode !== 'server';
  const runInfo = await getJson<RunInfo>(`${config.base}info.json`);
  state.info = runInfo;
  showInfo(runInfo);
  await refreshCurves();
  $('stream-start').onclick = () => void startStream();
  $('complete-start').onclick = () => void startCompletion();
  $('browser-start').onclick = () => void startBrowser();
  if (config.mode === 'server') {
    const poll = async () => {
      try {
        await refreshCurves();
        const fresh = await getJson<RunInfo>(`${config.base}info.json`);
        if (fresh.step !== state.info?.step) showInfo((state.info = fresh));
      } catch (e) {
        setStatus('curve-steps', `server unreachable (${(e as Error).message})`, true);
      }
      setTimeout(() => void poll(), 1000);
    };
    setTimeout(() => void poll(), 1000);
  }
  state.ready = true;
};

main().catch((e) => {
  state.errors.push((e as Error).message);
  $('run-title').textContent = `failed: ${(e as Error).message}`;
  console.error(e);
});
