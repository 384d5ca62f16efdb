// The page's files: index.html (a template: __CONFIG__, __ASSETS__), app.js (web/main.ts bundled
// for the browser with esbuild: one ESM file with TensorFlow.js, RxJS, fp-ts, io-ts and the
// pixelstreams sampler), and the TensorFlow.js wasm binaries the page's wasm backend loads.
//
// When it is built: at `npm run build` (script build:web) into dist/web/, so an installed package
// serves and exports without esbuild (a native-binary dev dependency) and without a build at run
// time. In a source checkout (tsx, tests) with no prebuilt bundle, it is built in memory on first
// use (about a second; always from source, even when a dist/web exists) — so the page matches the
// source that runs, and tests need no step before them. Node builtins imported by src/ modules are aliased to web/shims/ (nothing the page
// runs calls them); src/ files are not edited for the browser.
//
//   tsx pipelines/webBundle.ts OUT_DIR     writes the files (npm run build:web)

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type WebAssets = ReadonlyMap<string, Uint8Array>;

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const STAMP = 'web-bundle.json';
export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/** The project's root: the folder with package.json above this file (pipelines/ or dist/pipelines/). */
const packageRoot = (): string => {
  for (let d = here; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`${here}: expected a package.json above this file, found none`);
  }
};

const wasmDir = (): string => dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));

/** Bundle web/main.ts in memory. Needs esbuild (a dev dependency). */
export const buildWebAssets = async (): Promise<WebAssets> => {
  const root = packageRoot();
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    throw new Error(`the web page is not built (no ${join(root, 'dist', 'web')}) and esbuild is not installed to build it (${(e as Error).message}); run \`npm run build\` in a checkout`);
  }
  const shim = (f: string) => join(root, 'web', 'shims', f);
  const result = await esbuild.build({
    entryPoints: [join(root, 'web', 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    write: false,
    outfile: 'app.js',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    alias: {
      'node:fs': shim('fs.ts'),
      'node:os': shim('node.ts'),
      'node:path': shim('node.ts'),
      'node:crypto': shim('node.ts'),
      'node:module': shim('node.ts'),
      'node:v8': shim('node.ts'),
    },
  });
  const files = new Map<string, Uint8Array>();
  files.set('app.js', result.outputFiles[0]!.contents);
  files.set('index.html', readFileSync(join(root, 'web', 'index.html')));
  for (const f of WASM_FILES) files.set(f, readFileSync(join(wasmDir(), f)));
  return files;
};

/** Running from the TypeScript source (tsx, vitest) rather than the compiled dist/. */
const fromSource = import.meta.url.endsWith('.ts');

/** A prebuilt bundle folder (dist/web with its stamp), if there is one — used by the compiled package
 * only: from source the page is always built from the source that runs (a stale dist/web is ignored). */
const prebuilt = (): string | null => {
  if (fromSource) return null;
  const root = packageRoot();
  for (const d of [join(root, 'dist', 'web'), join(here, '..', 'web')]) if (existsSync(join(d, STAMP))) return d;
  return null;
};

let cached: Promise<WebAssets> | null = null;

/** The page's files: the prebuilt ones, else built now (once per process). */
export const webAssets = (): Promise<WebAssets> =>
  (cached ??= (async () => {
    const dir = prebuilt();
    if (!dir) return buildWebAssets();
    const files = new Map<string, Uint8Array>();
    for (const f of readdirSync(dir)) if (f !== STAMP) files.set(f, readFileSync(join(dir, f)));
    for (const f of ['index.html', 'app.js', ...WASM_FILES])
      if (!files.has(f)) throw new Error(`${dir}: expected ${f} in the prebuilt web bundle, found it missing; run \`npm run build\``);
    return files;
  })().catch((e) => {
    cached = null;
    throw e;
  }));

/** index.html with its config and where the assets are. */
export const renderPage = (assets: WebAssets, config: { mode: 'server' | 'static'; base: string; assets: string }): string =>
  Buffer.from(assets.get('index.html')!)
    .toString('utf8')
    .replace('__CONFIG__', JSON.stringify(config).replace(/</g, '\\u003c'))
    .replace('__ASSETS__', config.assets.replace(/"/g, '&quot;'));

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: tsx pipelines/webBundle.ts OUT_DIR\n');
    process.exit(2);
  }
  const files = await buildWebAssets();
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(out, name), bytes);
  writeFileSync(join(out, STAMP), `${JSON.stringify({ files: [...files.keys()], builtAt: new Date().toISOString() })}\n`);
  // stderr: `npm pack --json` runs this in prepare, and its stdout must stay JSON
  process.stderr.write(`web bundle: ${out} (${[...files].map(([n, b]) => `${n} ${(b.byteLength / 1024).toFixed(0)} KiB`).join(', ')})\n`);
}
