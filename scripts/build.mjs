// `npm run build` (and `prepare`, so a git clone's `npm install` / `npm ci` builds, and `npm pack`):
// compile the library to dist/ as ESM JavaScript with .d.ts, then copy the wasm kernels next to the
// compiled src/kernels/module.js, which loads them with `new URL('./<file>.wasm', import.meta.url)`.
// dist/ is removed first so that a file deleted from the sources is not shipped from an old build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (p) => new URL(`../${p}`, import.meta.url);

rmSync(at('dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

const kernels = readdirSync(at('src/kernels')).filter((f) => f.endsWith('.wasm'));
if (kernels.length === 0) throw new Error('src/kernels: expected the compiled .wasm kernels (npm run build:kernels), found none');
for (const f of kernels) copyFileSync(at(`src/kernels/${f}`), at(`dist/src/kernels/${f}`));
