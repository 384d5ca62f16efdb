// `pixelstreams export --run DIR --out SITE`: the run's page as a static folder that samples in any
// browser from any file server (`python3 -m http.server`, nginx, GitHub Pages):
//
//   SITE/index.html      the page (mode 'static': curves and figures from files, sampling in the browser)
//   SITE/app.js          one JavaScript bundle (TensorFlow.js + the pixelstreams sampler)
//   SITE/*.wasm          TensorFlow.js's wasm backend binaries (loaded only if the page picks wasm)
//   SITE/model.json, weights.bin   the run's latest checkpoint, byte for byte
//   SITE/info.json, metrics.json   the run: spec, step, report; the training curves
//   SITE/files/samples.png, loss.png   the run's pictures, when it has them
//   SITE/.pixelstreams-site        marks the folder as written by export (lists its files)
//
// It refuses to write into an existing non-empty folder it did not create (no marker): exporting
// never overwrites someone's files. Re-exporting into its own folder replaces it. The folder is
// assembled beside the target and renamed into place, so a failed export leaves no half-site.

import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { latestCheckpoint } from '../src/checkpoint/checkpoint.js';
import { MANIFEST_FILE, ManifestCodec } from '../src/checkpoint/manifest.js';
import { formatValidationErrors } from '../src/data/errors.js';
import { METRICS_FILE, parseMetricsLog } from '../src/metricsLog.js';
import { decodeSpec } from '../src/models/registry.js';
import { renderPage, webAssets } from './webBundle.js';

export const SITE_MARKER = '.pixelstreams-site';

export interface ExportedSite {
  readonly outDir: string;
  readonly files: string[];
  readonly step: number;
}

const readJsonOr = (path: string): unknown => {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
};

export const exportSite = async (runDir: string, outDir: string): Promise<E.Either<Error, ExportedSite>> => {
  const run = resolve(runDir);
  const out = resolve(outDir);
  if (!existsSync(run) || !statSync(run).isDirectory()) return E.left(new Error(`${run}: expected a run folder, found ${existsSync(run) ? 'a file' : 'nothing'}`));
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) return E.left(new Error(`${out}: expected an empty or new folder for the site, found a file`));
    const present = readdirSync(out);
    if (present.length && !present.includes(SITE_MARKER))
      return E.left(new Error(`${out}: expected an empty folder or one written by pixelstreams export, found ${present.length} other file(s) (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}); choose another --out`));
  }
  if (out === run || out.startsWith(run + '/') || run.startsWith(out + '/'))
    return E.left(new Error(`${out}: expected a folder apart from the run folder ${run}, found one inside the other`));

  const ckpt = latestCheckpoint(run);
  if (O.isNone(ckpt)) return E.left(new Error(`${run}: expected a checkpoint (checkpoints/step-…/model.json), found none`));
  const manifestPath = join(ckpt.value, MANIFEST_FILE);
  const manifest = ManifestCodec.decode(readJsonOr(manifestPath));
  if (E.isLeft(manifest)) return E.left(new Error(`${manifestPath}: ${formatValidationErrors(manifest.left)}`));
  const spec = decodeSpec(manifest.right.pixelstreams.spec, `${manifestPath}: pixelstreams.spec`);
  if (E.isLeft(spec)) return spec;
  const weightFiles = manifest.right.weightsManifest.flatMap((g) => g.paths);

  let assets: Awaited<ReturnType<typeof webAssets>>;
  try {
    assets = await webAssets();
  } catch (e) {
    return E.left(e as Error);
  }
  const report = readJsonOr(join(run, 'report.json')) as Record<string, unknown> | null;
  const metricsFile = join(run, METRICS_FILE);
  const points = existsSync(metricsFile) ? parseMetricsLog(readFileSync(metricsFile, 'utf8'), metricsFile).points : [];
  const figures: Record<string, string> = {};
  const files: Record<string, Uint8Array | string> = {};
  for (const f of ['samples.png', 'loss.png'])
    if (existsSync(join(run, f))) {
      files[`files/${f}`] = readFileSync(join(run, f));
      figures[f.replace('.png', '')] = `files/${f}`;
    }
  for (const [name, bytes] of assets) if (name !== 'index.html') files[name] = bytes;
  files['index.html'] = renderPage(assets, { mode: 'static', base: './', assets: './' });
  files[MANIFEST_FILE] = readFileSync(manifestPath);
  for (const w of weightFiles) files[w] = readFileSync(join(ckpt.value, w));
  files['info.json'] = JSON.stringify({
    name: basename(run),
    spec: spec.right,
    step: manifest.right.pixelstreams.step,
    backend: null,
    data: report?.['data'] ?? null,
    report,
    figures,
    dataImages: 0,
  });
  files['metrics.json'] = JSON.stringify({ points, last: points.length ? points[points.length - 1]!.step : 0, problems: [] });
  files[SITE_MARKER] = `${JSON.stringify({ run, step: manifest.right.pixelstreams.step, files: Object.keys(files) })}\n`;

  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
  try {
    rmSync(tmp, { recursive: true, force: true });
    for (const [name, data] of Object.entries(files)) {
      mkdirSync(dirname(join(tmp, name)), { recursive: true });
      writeFileSync(join(tmp, name), data);
    }
    if (existsSync(out)) rmSync(out, { recursive: true }); // empty, or written by export (checked above)
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    return E.left(new Error(`${out}: cannot write the site (${(e as Error).message})`));
  }
  return E.right({ outDir: out, files: Object.keys(files).sort(), step: manifest.right.pixelstreams.step });
};
