// `pixelstreams serve --run DIR`: one run's dashboard over HTTP, with samples streamed as they are
// drawn (Server-Sent Events), image completion, and the checkpoint files for sampling in the browser.
//
// node:http, not a framework: the server has nine fixed routes, one streaming response type and
// strict rules for what it accepts; node:http gives direct control of exactly the parts that matter
// here (backpressure through write()/'drain', the 'close' of a client that goes away, the bind
// address), and adds no dependency to audit. Parameters are decoded with io-ts like every other input.
//
// Safe to leave running:
//   - binds 127.0.0.1 unless `host` says otherwise;
//   - every query parameter is decoded and bounded (count, seed, temperature, rows, index, since,
//     class); an unknown or repeated one is a 400 naming it; a POSTed PNG is at most 4 MiB;
//   - only the routes below exist; an unknown run, an unknown route and any path that leaves the
//     run folder (.., encoded or not, symbolic links out) are 404; only GET, HEAD and POST (completion);
//   - at most `maxJobs` sampling jobs at once (default 2): the next gets 503 with Retry-After;
//   - a client that disconnects ends its job: the sampler's iterator is returned, which runs the
//     sampling loop's `finally` (src/sampling/session.ts) and frees its tensors, then the
//     checkpoint's tensors are disposed;
//   - a slow client does not make memory grow: sampling is pulled (streams/sample.ts `sampleAsync`),
//     one position at a time, and the next position is computed only after the socket has taken the
//     last (write() returned true, or 'drain' fired), so at most one socket buffer of events waits.
//
// Routes (NAME is the run folder's name):
//   GET /                         → the page of the run (one run) or a list of runs
//   GET /assets/{app.js, *.wasm}  → the page's bundle and the TensorFlow.js wasm binaries
//   GET /runs/NAME/               → the page
//   GET /runs/NAME/info.json      → spec, data, backend, report, figures, checkpoint step
//   GET /runs/NAME/metrics.json?since=S       → metrics.jsonl steps after S (JSON)
//   GET /runs/NAME/model.json, weights.bin [?step=N]  → the latest (or step N's) checkpoint files
//   GET /runs/NAME/files/PATH     → a file inside the run folder (samples.png, loss.png, …)
//   GET /runs/NAME/sample?count&seed&temperature              → SSE: every sample event
//   GET /runs/NAME/data-image?index=I                         → one data image's levels (JSON)
//   GET /runs/NAME/complete?rows&index&seed&temperature       → SSE: completion of data image I
//   POST /runs/NAME/complete?rows&seed&temperature  (PNG body) → SSE: completion of that image

import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import * as t from 'io-ts';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join, resolve, sep } from 'node:path';
import { latestCheckpoint, listCheckpoints, loadLatestCheckpoint, modelWeights } from '../src/checkpoint/checkpoint.js';
import { MANIFEST_FILE, ManifestCodec } from '../src/checkpoint/manifest.js';
import { formatValidationErrors } from '../src/data/errors.js';
import { decodePng } from '../src/data/png.js';
import { METRICS_FILE, parseMetricsLog } from '../src/metricsLog.js';
import type { ImageShape } from '../src/model.js';
import { bindModel, decodeSpec, type ModelSpec } from '../src/models/registry.js';
import type { SampleEvent, SampleOptions } from '../src/sampling/types.js';
import { tf, type NamedTensors } from '../src/tf.js';
import { sampleAsync } from '../streams/sample.js';
import { renderPage, webAssets, type WebAssets } from './webBundle.js';

export interface ServeOptions {
  /** The run folder (or several). */
  readonly runDir: string | readonly string[];
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port; the URL says which). */
  readonly port?: number;
  /** Sampling jobs at once (default 2). */
  readonly maxJobs?: number;
  /** Largest `count` (default 64). */
  readonly maxCount?: number;
  /** Images "from the data" offered for completion (default: none; the CLI passes the run's held-out set). */
  readonly dataImages?: (runDir: string) => Promise<readonly Uint8Array[]>;
  /** Longest run of sampling work between two event-loop turns, ms (default 10). */
  readonly sliceMs?: number;
}

export interface JobStats {
  readonly run: string;
  readonly kind: 'sample' | 'complete';
  /** Value events written to the socket so far. */
  values: number;
  /** Bytes waiting in the response's own buffer (not yet taken by the socket) at the last write. */
  queuedBytes: number;
  /** Largest queuedBytes seen. */
  maxQueuedBytes: number;
}

export interface ServeHandle {
  readonly url: string;
  readonly runs: Readonly<Record<string, string>>;
  /** Running jobs, live objects (tests, a status line). */
  jobs(): readonly JobStats[];
  /** Stop accepting, end running jobs (their tensors are freed), close every connection. */
  close(): Promise<void>;
}

const MAX_UPLOAD = 4 * 1024 * 1024;
const MAX_SEED = 2 ** 31 - 1;

// ── parameters ─────────────────────────────────────────────────────────────────────────────────

/** A decimal integer in lo..hi, from a query string. */
const intIn = (lo: number, hi: number) =>
  new t.Type<number, string, unknown>(
    `an integer in ${lo}..${hi}`,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= lo && u <= hi,
    (u, c) => {
      if (typeof u !== 'string' || !/^-?\d{1,12}$/.test(u)) return t.failure(u, c);
      const n = Number(u);
      return n >= lo && n <= hi ? t.success(n) : t.failure(u, c);
    },
    String,
  );

/** A finite decimal number in lo..hi, from a query string. */
const numberIn = (lo: number, hi: number) =>
  new t.Type<number, string, unknown>(
    `a number in ${lo}..${hi}`,
    (u): u is number => typeof u === 'number' && u >= lo && u <= hi,
    (u, c) => {
      if (typeof u !== 'string' || !/^(\d{1,6}(\.\d{0,8})?|\.\d{1,8})$/.test(u)) return t.failure(u, c);
      const n = Number(u);
      return Number.isFinite(n) && n >= lo && n <= hi ? t.success(n) : t.failure(u, c);
    },
    String,
  );

/** No model served here is class-conditional: a `class` is decoded (so a wrong one is named) and then refused. */
const ClassParam = new t.Type<number, string, unknown>(
  'nothing: this model is not class-conditional (its spec has no classes)',
  (_u): _u is number => false,
  (u, c) => t.failure(u, c),
  String,
);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Decode the query with `props` (all optional); unknown and repeated names are errors. */
const decodeQuery = <P extends t.Props>(url: URL, props: P, where: string): Partial<t.TypeOf<t.PartialC<P>>> => {
  const raw: Record<string, string> = {};
  const errs: string[] = [];
  for (const [k, v] of url.searchParams) {
    if (!Object.prototype.hasOwnProperty.call(props, k)) errs.push(`${k}: expected no such parameter (known: ${Object.keys(props).join(', ') || 'none'})`);
    else if (k in raw) errs.push(`${k}: expected once, found twice`);
    else raw[k] = v;
  }
  if (errs.length) throw new HttpError(400, `${where}: ${errs.join('; ')}`);
  const d = t.partial(props).decode(raw);
  if (E.isLeft(d)) throw new HttpError(400, `${where}: ${formatValidationErrors(d.left)}`);
  return d.right as Partial<t.TypeOf<t.PartialC<P>>>;
};

// ── runs ───────────────────────────────────────────────────────────────────────────────────────

interface Run {
  readonly name: string;
  readonly dir: string; // realpath
}

const readJsonOr = (path: string): unknown => {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
};

/** The spec and step of the latest checkpoint, from its manifest alone (no tensors). */
const latestSpec = (run: Run): { spec: ModelSpec; step: number; path: string } | null => {
  const latest = latestCheckpoint(run.dir);
  if (O.isNone(latest)) return null;
  const m = ManifestCodec.decode(readJsonOr(join(latest.value, MANIFEST_FILE)));
  if (E.isLeft(m)) throw new HttpError(500, `${join(latest.value, MANIFEST_FILE)}: ${formatValidationErrors(m.left)}`);
  const spec = decodeSpec(m.right.pixelstreams.spec, `${join(latest.value, MANIFEST_FILE)}: pixelstreams.spec`);
  if (E.isLeft(spec)) throw new HttpError(500, spec.left.message);
  return { spec: spec.right, step: m.right.pixelstreams.step, path: latest.value };
};

const needSpec = (run: Run) => {
  const s = latestSpec(run);
  if (!s) throw new HttpError(404, `run '${run.name}': no checkpoint yet (training writes the first one at its first checkpoint step)`);
  return s;
};

/** A file inside the run folder, or null: no `..`, no absolute parts, no symbolic link that leads out. */
const fileInside = (run: Run, segments: readonly string[]): string | null => {
  if (!segments.length || segments.some((s) => s === '' || s === '.' || s === '..' || /[\\/\0]/.test(s))) return null;
  const candidate = resolve(run.dir, ...segments);
  if (!candidate.startsWith(run.dir + sep)) return null;
  try {
    const real = realpathSync(candidate);
    if (!real.startsWith(run.dir + sep) || !statSync(real).isFile()) return null;
    return real;
  } catch {
    return null;
  }
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};
const contentType = (name: string) => CONTENT_TYPES[/\.[a-z]+$/.exec(name)?.[0] ?? ''] ?? 'application/octet-stream';

// ── levels from a PNG ──────────────────────────────────────────────────────────────────────────

/** An uploaded PNG as levels of the model's shape: 0..255 mapped to K levels by floor(v·K/256) (K = 2: v ≥ 128). */
export const pngToLevels = (bytes: Uint8Array, shape: ImageShape): E.Either<Error, Uint8Array> => {
  const png = decodePng(bytes, 'uploaded PNG');
  if (E.isLeft(png)) return png;
  const { height, width, channels, pixels } = png.right;
  if (height !== shape.height || width !== shape.width)
    return E.left(new Error(`uploaded PNG: expected ${shape.height}×${shape.width} pixels (the model's), found ${height}×${width}`));
  let values = pixels;
  if (channels !== shape.channels) {
    if (shape.channels !== 1) return E.left(new Error(`uploaded PNG: expected an RGB image (the model has 3 channels), found greyscale`));
    values = new Uint8Array(height * width); // RGB → grey: the mean of R, G, B
    for (let p = 0; p < values.length; p++) values[p] = Math.round((pixels[3 * p]! + pixels[3 * p + 1]! + pixels[3 * p + 2]!) / 3);
  }
  return E.right(values.map((v) => Math.min(shape.levels - 1, Math.floor((v * shape.levels) / 256))));
};

// ── the server ─────────────────────────────────────────────────────────────────────────────────

const sseEvent = (e: SampleEvent): string =>
  `data: ${JSON.stringify(e.kind === 'image' ? { kind: 'image', image: e.image, pixels: [...e.pixels] } : e)}\n\n`;

export const serveRun = async (options: ServeOptions): Promise<ServeHandle> => {
  const host = options.host ?? '127.0.0.1';
  const maxJobs = options.maxJobs ?? 2;
  const maxCount = options.maxCount ?? 64;
  const dirs = typeof options.runDir === 'string' ? [options.runDir] : [...options.runDir];
  const runs = new Map<string, Run>();
  for (const d of dirs) {
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new Error(`${d}: expected a run folder, found ${existsSync(d) ? 'a file' : 'nothing'}`);
    let name = basename(resolve(d)).replace(/[^A-Za-z0-9._-]/g, '_') || 'run';
    for (let n = 2; runs.has(name); n++) name = `${basename(resolve(d))}-${n}`;
    runs.set(name, { name, dir: realpathSync(d) });
  }
  const assets: WebAssets = await webAssets();
  const jobs = new Set<JobStats>();
  const aborts = new Set<() => void>();
  const dataCache = new Map<string, Promise<readonly Uint8Array[]>>();
  const dataOf = (run: Run) => {
    if (!options.dataImages) return Promise.resolve([] as readonly Uint8Array[]);
    let p = dataCache.get(run.name);
    if (!p) dataCache.set(run.name, (p = options.dataImages(run.dir)));
    return p;
  };

  const send = (res: ServerResponse, status: number, body: string | Uint8Array, type: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const sendJson = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) =>
    send(res, status, JSON.stringify(value), CONTENT_TYPES['.json']!, headers);

  /** Stream sample events to `res` as SSE, pulled at the socket's pace; ends when done, failed or the client left. */
  const stream = async (req: IncomingMessage, res: ServerResponse, run: Run, kind: JobStats['kind'], opts: SampleOptions) => {
    if (jobs.size >= maxJobs)
      throw new HttpError(503, `busy: ${jobs.size} sampling jobs are running (at most ${maxJobs}); try again when one finishes`, { 'retry-after': '2' });
    const job: JobStats = { run: run.name, kind, values: 0, queuedBytes: 0, maxQueuedBytes: 0 };
    jobs.add(job);
    let gone = false;
    let wake: (() => void) | null = null;
    const leave = () => {
      gone = true;
      wake?.();
    };
    res.on('close', leave);
    aborts.add(leave);
    let params: NamedTensors | null = null;
    let events: AsyncGenerator<SampleEvent, void, undefined> | null = null;
    try {
      const loaded = loadLatestCheckpoint(run.dir);
      if (E.isLeft(loaded)) throw new HttpError(500, loaded.left.message);
      if (O.isNone(loaded.right)) throw new HttpError(404, `run '${run.name}': no checkpoint yet`);
      const { contents } = loaded.right.value;
      // Sampling needs only the weights it uses: the average where the run keeps one (--ema), else the parameters.
      params = modelWeights(contents).params;
      const used = new Set(Object.values(params));
      [...Object.values(contents.params), ...Object.values(contents.slots)].forEach((x) => used.has(x) || x.dispose());
      const model = bindModel(contents.spec, params);
      events = sampleAsync(model, { ...opts, ...(options.sliceMs !== undefined ? { sliceMs: options.sliceMs } : {}) });
      const first = await events.next(); // option errors surface here, before the 200
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
      res.write(`: ${kind} of run ${run.name}, checkpoint step ${contents.step}\n\n`);
      for (let r = first; !r.done && !gone; r = await events.next()) {
        const ok = res.write(sseEvent(r.value));
        if (r.value.kind === 'value') job.values++;
        job.queuedBytes = res.writableLength;
        job.maxQueuedBytes = Math.max(job.maxQueuedBytes, res.writableLength);
        if (!ok && !gone)
          await new Promise<void>((resolve) => {
            wake = resolve;
            res.once('drain', resolve);
          }).finally(() => {
            wake = null;
            res.removeAllListeners('drain');
          });
      }
      if (!gone) res.end(`event: done\ndata: ${JSON.stringify({ values: job.values })}\n\n`);
    } catch (e) {
      if (res.headersSent) {
        if (!gone) res.end(`event: failure\ndata: ${JSON.stringify({ message: (e as Error).message })}\n\n`);
      } else throw e instanceof HttpError ? e : new HttpError(400, (e as Error).message);
    } finally {
      await events?.return(undefined); // the sampling loop's finally: its sampler and tensors are freed
      if (params) Object.values(params).forEach((x) => x.dispose());
      jobs.delete(job);
      aborts.delete(leave);
      res.off('close', leave);
    }
  };

  const readBody = (req: IncomingMessage): Promise<Uint8Array> =>
    new Promise((resolveBody, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_UPLOAD) return reject(new HttpError(413, `upload: expected at most ${MAX_UPLOAD} bytes, found ${declared}`));
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_UPLOAD) {
          reject(new HttpError(413, `upload: expected at most ${MAX_UPLOAD} bytes, found more`));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => resolveBody(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const runRoute = async (req: IncomingMessage, res: ServerResponse, run: Run, rest: string[], url: URL) => {
    const where = `${url.pathname}`;
    const route = rest.join('/');
    const method = req.method ?? 'GET';
    if (method === 'POST' && route !== 'complete') throw new HttpError(405, `${where}: expected GET, found POST`, { allow: 'GET, HEAD' });
    if (rest[0] === 'files') {
      const file = fileInside(run, rest.slice(1));
      if (!file) throw new HttpError(404, `${where}: no such file in run '${run.name}'`);
      decodeQuery(url, {}, where);
      return send(res, 200, readFileSync(file), contentType(file));
    }
    switch (route) {
      case '':
        decodeQuery(url, {}, where);
        return send(res, 200, renderPage(assets, { mode: 'server', base: `/runs/${run.name}/`, assets: '/assets/' }), CONTENT_TYPES['.html']!);
      case 'info.json': {
        decodeQuery(url, {}, where);
        const latest = latestSpec(run);
        const report = readJsonOr(join(run.dir, 'report.json')) as Record<string, unknown> | null;
        const figures: Record<string, string> = {};
        for (const f of ['samples.png', 'loss.png']) if (fileInside(run, [f])) figures[f.replace('.png', '')] = `files/${f}`;
        const data = (await dataOf(run)).length;
        return sendJson(res, 200, {
          name: run.name,
          spec: latest?.spec ?? null,
          step: latest?.step ?? null,
          backend: tf.getBackend(),
          data: report?.['data'] ?? null,
          report,
          figures,
          dataImages: data,
        });
      }
      case 'metrics.json': {
        const q = decodeQuery(url, { since: intIn(0, MAX_SEED) }, where);
        const file = join(run.dir, METRICS_FILE);
        const { points, problems } = existsSync(file) ? parseMetricsLog(readFileSync(file, 'utf8'), file) : { points: [], problems: [] };
        const since = q.since ?? 0;
        return sendJson(res, 200, { points: points.filter((p) => p.step > since), last: points.length ? points[points.length - 1]!.step : 0, problems });
      }
      case 'model.json':
      case 'weights.bin': {
        // ?step=N names the checkpoint, so model.json and weights.bin of one load are of one step
        // even when training writes a newer checkpoint in between (the page asks for the step it read).
        const q = decodeQuery(url, { step: intIn(0, Number.MAX_SAFE_INTEGER) }, where);
        const all = listCheckpoints(run.dir);
        const chosen = q.step === undefined ? all[all.length - 1] : all.find((c) => c.step === q.step);
        if (!chosen) throw new HttpError(404, q.step === undefined ? `run '${run.name}': no checkpoint yet` : `run '${run.name}': no checkpoint of step ${q.step} (kept: ${all.map((c) => c.step).join(', ') || 'none'})`);
        return send(res, 200, readFileSync(join(chosen.path, route)), contentType(route));
      }
      case 'data-image': {
        const images = await dataOf(run);
        if (!images.length) throw new HttpError(404, `${where}: run '${run.name}' has no data images to offer`);
        const q = decodeQuery(url, { index: intIn(0, images.length - 1) }, where);
        return sendJson(res, 200, { index: q.index ?? 0, pixels: [...images[q.index ?? 0]!] });
      }
      case 'sample': {
        const q = decodeQuery(url, { count: intIn(1, maxCount), seed: intIn(0, MAX_SEED), temperature: numberIn(0, 4), class: ClassParam }, where);
        needSpec(run);
        return stream(req, res, run, 'sample', { count: q.count ?? 4, seed: q.seed ?? 1, temperature: q.temperature ?? 1 });
      }
      case 'complete': {
        const { spec } = needSpec(run);
        const common = { rows: intIn(0, spec.height), seed: intIn(0, MAX_SEED), temperature: numberIn(0, 4), class: ClassParam };
        let known: Uint8Array;
        let rows: number;
        let seed: number;
        let temperature: number;
        if (method === 'POST') {
          const q = decodeQuery(url, common, where);
          const type = req.headers['content-type'] ?? '';
          if (type !== 'image/png') throw new HttpError(415, `${where}: expected a body of type image/png, found ${type || 'none'}`);
          const levels = pngToLevels(await readBody(req), spec);
          if (E.isLeft(levels)) throw new HttpError(400, levels.left.message);
          known = levels.right;
          [rows, seed, temperature] = [q.rows ?? Math.floor(spec.height / 2), q.seed ?? 1, q.temperature ?? 1];
        } else {
          const images = await dataOf(run);
          const q = decodeQuery(url, { ...common, index: intIn(0, Math.max(0, images.length - 1)) }, where);
          if (q.index === undefined) throw new HttpError(400, `${where}: index: expected a data image's index (or POST a PNG), found nothing`);
          if (!images.length) throw new HttpError(404, `${where}: run '${run.name}' has no data images to offer`);
          known = images[q.index]!;
          [rows, seed, temperature] = [q.rows ?? Math.floor(spec.height / 2), q.seed ?? 1, q.temperature ?? 1];
        }
        return stream(req, res, run, 'complete', { count: 1, known: [known], keepRows: rows, seed, temperature });
      }
      default:
        throw new HttpError(404, `${where}: no such page`);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    if (!['GET', 'HEAD', 'POST'].includes(method)) throw new HttpError(405, `expected GET, HEAD or POST, found ${method}`, { allow: 'GET, HEAD, POST' });
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (/%2f|%5c|%00|\\/i.test(rawPath)) throw new HttpError(404, `${rawPath}: no such page`); // encoded separators never name a file here
    const url = new URL(req.url ?? '/', 'http://localhost'); // resolves dot segments, encoded or not
    let segments: string[];
    try {
      segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      throw new HttpError(404, `${url.pathname}: no such page`);
    }
    if (method === 'POST' && segments[0] !== 'runs') throw new HttpError(405, `${url.pathname}: expected GET, found POST`, { allow: 'GET, HEAD' });
    if (segments.length === 1 && segments[0] === '') {
      decodeQuery(url, {}, '/');
      if (runs.size === 1) {
        res.writeHead(302, { location: `/runs/${[...runs.keys()][0]}/` });
        return res.end();
      }
      const list = [...runs.keys()].map((n) => `<li><a href="/runs/${n}/">${n}</a></li>`).join('');
      return send(res, 200, `<!doctype html><title>pixelstreams runs</title><ul>${list}</ul>`, CONTENT_TYPES['.html']!);
    }
    if (segments[0] === 'assets' && segments.length === 2) {
      const body = assets.get(segments[1]!);
      if (!body || segments[1] === 'index.html') throw new HttpError(404, `${url.pathname}: no such asset`);
      return send(res, 200, body, contentType(segments[1]!), { 'cache-control': 'no-cache' });
    }
    if (segments[0] === 'runs' && segments.length >= 2) {
      const run = runs.get(segments[1]!);
      if (!run) throw new HttpError(404, `no run named '${segments[1]}' (serving: ${[...runs.keys()].join(', ')})`);
      if (segments.length === 2) {
        res.writeHead(301, { location: `/runs/${run.name}/` });
        return res.end();
      }
      return runRoute(req, res, run, segments.slice(2), url);
    }
    throw new HttpError(404, `${url.pathname}: no such page`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, (e as Error).message);
      if (res.headersSent) return res.destroy();
      sendJson(res, err.status, { error: err.message }, err.headers);
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/`,
    runs: Object.fromEntries([...runs].map(([n, r]) => [n, r.dir])),
    jobs: () => [...jobs],
    close: async () => {
      for (const a of [...aborts]) a();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      while (jobs.size) await new Promise((r) => setTimeout(r, 5)); // their finally blocks free the tensors
    },
  };
};
