// A checkpoint in the browser: model.json (src/checkpoint/manifest.ts: a TensorFlow.js weights
// manifest plus a `pixelstreams` section) and weights.bin fetched with plain fetch, read with a
// DataView (float32 little-endian, the file's byte order whatever the machine's), checked the way
// the Node loader checks it: manifest decoded with io-ts, spec with decodeSpec, every parameter's
// name and shape against the family's shapes, the byte length, finite values, and the SHA-256
// checksum where the page runs in a secure context (crypto.subtle; http://127.0.0.1 and https are).
// Only the weights the model runs with become tensors: the weight average (slot/ema/<param>, a run
// trained with --ema) where the checkpoint has one, else the parameters; other slots are skipped.

import * as E from 'fp-ts/lib/Either.js';
import { formatValidationErrors } from '../src/data/errors.js';
import { ManifestCodec } from '../src/checkpoint/manifest.js';
import { decodeSpec, familyOf, type ModelSpec } from '../src/models/registry.js';
import { tf, type NamedTensors } from '../src/tf.js';

export interface BrowserCheckpoint {
  readonly spec: ModelSpec;
  readonly params: NamedTensors;
  readonly step: number;
  /** 'verified' or why not. */
  readonly checksum: string;
}

const PARAM = 'param/';
const AVERAGE = 'slot/ema/';

const hex = (buf: ArrayBuffer): string => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

const fetchOk = async (url: string): Promise<Response> => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: expected the file, found HTTP ${r.status}`);
  return r;
};

/** Parse a manifest and its weight bytes (pure apart from the checksum's digest); tensors only when all checks pass. */
export const parseCheckpoint = async (manifestJson: unknown, bytes: ArrayBuffer, where: string): Promise<BrowserCheckpoint> => {
  const m = ManifestCodec.decode(manifestJson);
  if (E.isLeft(m)) throw new Error(`${where}/model.json: ${formatValidationErrors(m.left)}`);
  const ps = m.right.pixelstreams;
  const spec = decodeSpec(ps.spec, `${where}/model.json: pixelstreams.spec`);
  if (E.isLeft(spec)) throw spec.left;
  const shapes = familyOf(spec.right).shapes(spec.right);
  const entries = m.right.weightsManifest.flatMap((g) => g.weights);
  const total = entries.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1) * 4, 0);
  if (bytes.byteLength !== total) throw new Error(`${where}/weights.bin: expected ${total} bytes (from model.json), found ${bytes.byteLength}`);
  let checksum = 'not verified (crypto.subtle needs a secure context: https or localhost)';
  const subtle = (globalThis.crypto as Crypto | undefined)?.subtle;
  if (subtle) {
    const digest = hex(await subtle.digest('SHA-256', bytes));
    if (digest !== ps.checksum) throw new Error(`${where}/weights.bin: checksum mismatch: expected sha256 ${ps.checksum}, found ${digest}`);
    checksum = 'verified';
  }
  const view = new DataView(bytes);
  const values = new Map<string, [number[], Float32Array]>();
  const averages = new Map<string, [number[], Float32Array]>();
  let offset = 0;
  for (const w of entries) {
    const n = w.shape.reduce((x, y) => x * y, 1);
    const isAverage = w.name.startsWith(AVERAGE);
    if (w.name.startsWith(PARAM) || isAverage) {
      const name = w.name.slice(isAverage ? AVERAGE.length : PARAM.length);
      const want = shapes[name];
      if (!want) throw new Error(`${where}/model.json: weight '${w.name}': expected no such parameter for this spec, found one`);
      if (want.join(',') !== w.shape.join(',')) throw new Error(`${where}/model.json: weight '${w.name}': expected shape [${want.join(', ')}], found [${w.shape.join(', ')}]`);
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getFloat32(offset + 4 * i, true);
        if (!Number.isFinite(v)) throw new Error(`${where}/weights.bin: weight '${w.name}': expected finite values, found ${v} at index ${i}`);
        a[i] = v;
      }
      (isAverage ? averages : values).set(name, [w.shape, a]);
    }
    offset += n * 4;
  }
  for (const name of Object.keys(shapes)) if (!values.has(name)) throw new Error(`${where}/model.json: weight '${PARAM}${name}': expected it, found it missing`);
  const params: NamedTensors = {};
  const averaged = Object.keys(shapes).every((name) => averages.has(name));
  for (const name of Object.keys(shapes)) {
    const [shape, a] = (averaged ? averages : values).get(name)!;
    params[name] = tf.tensor(a, shape, 'float32');
  }
  return { spec: spec.right, params, step: ps.step, checksum };
};

/** Fetch `<base>model.json` and `<base>weights.bin` (the names the manifest gives) and parse them. */
export const fetchCheckpoint = async (base: string): Promise<BrowserCheckpoint> => {
  const manifest: unknown = await (await fetchOk(`${base}model.json`)).json();
  const paths = (manifest as { weightsManifest?: { paths?: unknown[] }[] }).weightsManifest?.flatMap((g) => g.paths ?? []) ?? [];
  if (paths.length !== 1 || typeof paths[0] !== 'string' || !/^[^/\\]+$/.test(paths[0]))
    throw new Error(`${base}model.json: weightsManifest: expected one weights file, found ${JSON.stringify(paths)}`);
  const step = (manifest as { pixelstreams?: { step?: unknown } }).pixelstreams?.step;
  // The step's own weights: a server may have a newer checkpoint by now (a file server ignores the query).
  const bytes = await (await fetchOk(`${base}${paths[0]}${typeof step === 'number' ? `?step=${step}` : ''}`)).arrayBuffer();
  return parseCheckpoint(manifest, bytes, base.replace(/\/$/, '') || '.');
};
