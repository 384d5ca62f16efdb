// The package as a user gets it: `npm pack` (which runs `prepare`, so dist/ is built from the
// sources in this tree), the tarball installed into a fresh project outside this repository from
// the npm cache alone, then (a) a plain `node` ESM script that imports `pixelstreams` and
// `pixelstreams/props`, (b) the `pixelstreams` command, (c) `tsc` on consumer files against the
// published types. Nothing of this repository (its node_modules, tsx, vitest) is reachable from
// there. One pack and one install serve every check.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerProject, reachable, type Lock, type LockEntry } from './consumerLock.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as LockEntry & { name: string; version: string };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lock;

/** Our environment minus what would leak this repository into the child: npm's per-script variables, loaders, our bins. */
const childEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|npm_command$|init_cwd$|node_options$|vitest)/i.test(k)) env[k] = v;
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.includes(`node_modules${sep}.bin`))
    .join(delimiter);
  return env;
};

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const run = (cmd: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<Ran> =>
  new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });

/** Run, and on a non-zero exit fail with the command and the end of its output. */
const ok = async (cmd: string, args: string[], cwd: string): Promise<Ran> => {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
};

// (a) What a user writes in plain JavaScript: train two steps of a tiny PixelCNN on 64 binarized
// digits, sample one image, and check causality with the property library — a model that holds,
// and the same model made to peek one pixel ahead, which must not. Its 16 features (the tiny
// preset has 6) and the Row LSTM's forward pass run our own wasm kernels (src/kernels/*.wasm, which
// run only for widths in sixteens and fours), so they must be found in dist/.
const SCRIPT = `
import { bindModel, defaultOptimizer, embeddedMnist, epochs, initModel, initTrainState, presetFor, sample, selectBackend, tf, train } from 'pixelstreams';
import { checkCausality, peekAhead } from 'pixelstreams/props';
import { filter, lastValueFrom, toArray } from 'rxjs';

const orThrow = (r) => { if (r._tag === 'Left') throw r.left; return r.right; };
const backend = orThrow(await selectBackend('wasm'));
const digits = orThrow(embeddedMnist({ binarize: { kind: 'threshold' } }));
const set = { ...digits, records: digits.records.slice(0, 64) };
const preset = (family, name) => orThrow(presetFor(family, name));
const spec = { ...preset('pixelcnn', 'tiny')({ height: 28, width: 28, channels: 1, levels: 2 }), hidden: 16, headHidden: 16 };
const initial = initTrainState(spec, initModel(spec, 1).params, defaultOptimizer('rmsprop'));
const events = await lastValueFrom(epochs(set, { batchSize: 8, seed: 1, maxSteps: 2 }).pipe(train(initial), toArray()));
const model = bindModel(spec, events.at(-1).state.params);
const images = await lastValueFrom(sample(model, { count: 1, seed: 7 }).pipe(filter((e) => e.kind === 'image'), toArray()));

const small = initModel(preset('pixelcnn', 'tiny')({ height: 3, width: 3, channels: 1, levels: 2 }), 1, { inputGradient: true });
const honest = checkCausality(small);
const cheat = checkCausality(peekAhead(small));

const rowLstm = initModel(preset('row-lstm', 'small')({ height: 4, width: 4, channels: 1, levels: 2 }), 1);
const rowLstmLogits = [...rowLstm.forward(tf.zeros([1, 4, 4, 1])).dataSync()];

const cpu = orThrow(await selectBackend('cpu')).name; // the pure-JS backend loads too
const cpuLogits = [...small.forward(tf.zeros([1, 3, 3, 1])).dataSync()];

let deepImport = 'resolved';
try { await import('pixelstreams/dist/index.js'); } catch (e) { deepImport = e.code; }

console.log(JSON.stringify({
  backend: backend.name,
  steps: events.map((e) => e.metrics.step),
  losses: events.map((e) => e.metrics.loss),
  images: images.length,
  pixels: images[0].pixels.length,
  values: [...new Set(images[0].pixels)].sort(),
  honest: honest._tag,
  cheat: cheat._tag === 'Left' ? cheat.left.message : 'held',
  rowLstmLogits: rowLstmLogits.length,
  rowLstmFinite: rowLstmLogits.every(Number.isFinite),
  cpu,
  cpuFinite: cpuLogits.length > 0 && cpuLogits.every(Number.isFinite),
  deepImport,
}));
`;

// (c) Consumer files that must type-check against the published types: the README's two examples,
// as they are in this repository, and one that names types from both entry points.
const TYPES = `
import type { AutoregressiveModel, ImageSet, ModelSpec, SampleEvent, TrainEvent } from 'pixelstreams';
import { tf } from 'pixelstreams';
import type { CheckResult } from 'pixelstreams/props';
import { checkCausality } from 'pixelstreams/props';

export const causal = (m: AutoregressiveModel): CheckResult => checkCausality(m);
export const pixelsOf = (e: SampleEvent): Uint8Array | null => (e.kind === 'image' ? e.pixels : null);
export const shapeOf = (s: ImageSet): readonly number[] => [s.shape.height, s.shape.width, s.shape.channels];
export const stepOf = (e: TrainEvent): number => e.metrics.step;
export const familyName = (s: ModelSpec): string => s.family;
export const zeros: tf.Tensor = tf.zeros([1, 2]);
`;

// ... and the negative control: each line is an error tsc must report, so the types are real
// types (a missing or \`any\` declaration would let them through) and deep paths stay closed.
const BAD = `
import { notAnExport } from 'pixelstreams';
import { tf } from 'pixelstreams';
import { checkCausality } from 'pixelstreams/props';
import { Rng } from 'pixelstreams/dist/src/rng.js';

export const a = notAnExport;
export const b: string = tf.zeros([1]);
export const c = checkCausality('not a model');
export const d = Rng;
`;
const BAD_ERRORS = ['bad.ts(2,10): error TS2305', 'bad.ts(5,21): error TS2307', 'bad.ts(8,14): error TS2322', 'bad.ts(9,33): error TS2345'];

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022'],
    types: ['node'],
    strict: true,
    noEmit: true,
    // our declarations are checked in full; TensorFlow.js's own (and @webgpu/types, which it pulls
    // in) do not pass a check without the DOM lib: their errors are filtered out below, as not ours
    // to fix (a tfjs user sets skipLibCheck)
    skipLibCheck: false,
  },
  files: ['compose.ts', 'propsExample.ts', 'types.ts', 'bad.ts'],
};

let work: string;
let project: string;
let packed: { filename: string; size: number; files: { path: string }[] };
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pixelstreams-package-'));
  project = join(work, 'consumer');
  mkdirSync(project);

  let t = performance.now();
  const pack = await ok('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  [packed] = JSON.parse(pack.stdout) as [typeof packed];
  console.log(`[package] npm pack (prepare builds dist/): ${packed.filename}, ${packed.files.length} files, ${(packed.size / 1024).toFixed(0)} KiB, ${seconds(t)}`);
  copyFileSync(join(work, packed.filename), join(project, packed.filename));

  const { packageJson, lock: consumerLock } = consumerProject(lock, ours, packed.filename, {
    dependencies: ['rxjs', 'fp-ts'], // the examples import them, as a user of the operators would
    devDependencies: ['typescript', '@types/node'],
  });
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(project, 'package-lock.json'), `${JSON.stringify(consumerLock, null, 2)}\n`);
  // optional dependencies are tfjs-node[-gpu], whose install downloads libtensorflow from outside npm
  t = performance.now();
  await ok('npm', ['ci', '--offline', '--omit=optional', '--no-audit', '--no-fund'], project);
  console.log(`[package] npm ci --offline into ${project}: ${seconds(t)}`);

  writeFileSync(join(project, 'script.mjs'), SCRIPT);
  copyFileSync(join(ROOT, 'examples', 'compose.ts'), join(project, 'compose.ts'));
  copyFileSync(join(ROOT, 'props', 'example.ts'), join(project, 'propsExample.ts'));
  writeFileSync(join(project, 'types.ts'), TYPES);
  writeFileSync(join(project, 'bad.ts'), BAD);
  writeFileSync(join(project, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
}, 400_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the package as a user gets it', () => {
  it('ships compiled JavaScript, declarations, the wasm kernels and the bin; not the sources or specs', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'bin/pixelstreams.js', 'dist/index.js', 'dist/index.d.ts', 'dist/props/index.js',
      'dist/props/vitest.js', 'dist/pipelines/cli.js', 'dist/src/train/worker-entry.js', 'dist/src/kernels/causalConv.wasm', 'dist/src/kernels/lstmScan.wasm',
      'pretrained/mnist-binary-small/model.json', 'pretrained/mnist-binary-small/weights.bin', 'pretrained/mnist-binary-small/pretrained.json'])
      expect(files, f).toContain(f);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /\.spec\./.test(f))).toEqual([]);
    expect(files.filter((f) => !/^(dist\/|bin\/|pretrained\/|package\.json$|README\.md$|props\/README\.md$|LICENSE)/.test(f))).toEqual([]);
    // the installed tree has neither tsx nor vitest (an optional peer) to lean on
    expect(existsSync(join(project, 'node_modules', 'pixelstreams', 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'vitest'))).toBe(false);
  });

  it('(a) a plain node script imports pixelstreams and pixelstreams/props, trains two steps, samples an image', async () => {
    const r = await ok(process.execPath, ['script.mjs'], project);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    console.log(`[package] node script.mjs: ${JSON.stringify(out)}`);
    expect(out.backend).toBe('wasm');
    expect(out.steps).toEqual([1, 2]);
    for (const loss of out.losses as number[]) expect(Number.isFinite(loss) && loss > 0).toBe(true);
    expect(out.images).toBe(1);
    expect(out.pixels).toBe(28 * 28);
    expect((out.values as number[]).every((v) => v === 0 || v === 1)).toBe(true);
    expect(out.honest).toBe('Right');
    expect(out.cheat).toMatch(/depends on/);
    expect(out.rowLstmLogits).toBeGreaterThan(0);
    expect(out.rowLstmFinite).toBe(true);
    expect(out.cpu).toBe('cpu');
    expect(out.cpuFinite).toBe(true);
    expect(out.deepImport).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('(b) npx pixelstreams --help, and a tiny train run on two worker threads', async () => {
    const help = await ok('npx', ['--offline', 'pixelstreams', '--help'], project);
    expect(help.stdout).toMatch(/^Usage: pixelstreams/);
    expect(help.stdout).toMatch(/\btrain\b.*\n[\s\S]*\beval\b[\s\S]*\bsample\b/);

    const out = join(work, 'run');
    const args = ['--offline', 'pixelstreams', 'train', '--data', 'mnist-embedded', '--binarize', 'threshold', '--preset', 'tiny', '--steps', '2',
      '--batch-size', '8', '--samples', '1', '--validation', '50', '--limit', '200', '--workers', '2', '--no-progress', '--out', out];
    const r = await ok('npx', args, project);
    console.log(`[package] npx pixelstreams train …:\n${(r.stderr + r.stdout).trim().replace(/^/gm, '  ')}`);
    expect(r.stderr + r.stdout).toMatch(/gradients: 2 workers/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      pixelstreams: string; workers: number; training: { step: number; lastLoss: number }; evaluation: { images?: number };
    };
    expect(report.pixelstreams).toBe(ours.version);
    expect(report.workers).toBe(2);
    expect(report.training.step).toBe(2);
    expect(Number.isFinite(report.training.lastLoss)).toBe(true);
    expect(existsSync(join(out, 'samples.png'))).toBe(true);
    // the shipped pretrained models are found from the installed package
    const listed = await ok('npx', ['--offline', 'pixelstreams', 'pretrained'], project);
    expect(listed.stdout).toMatch(/^mnist-binary-small {2}\d+\.\d\d nats on mnist:test-binarized/m);
    const sampled = await ok('npx', ['--offline', 'pixelstreams', 'sample', '--pretrained', 'mnist-binary-small', '--count', '1', '--out', join(work, 'pre.png')], project);
    expect(JSON.parse(sampled.stdout).checkpoint).toBe(join(project, 'node_modules', 'pixelstreams', 'pretrained', 'mnist-binary-small'));
  });

  it('(c) tsc type-checks consumer files against the published types, and rejects the broken one', async () => {
    const r = await run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    const rest = errors.filter((l) => !l.startsWith('node_modules/') || l.startsWith('node_modules/pixelstreams/'));
    console.log(`[package] tsc: ${rest.length} errors in consumer files and our declarations (${rest.join('; ')}), ${errors.length - rest.length} in third-party declarations (tfjs, @webgpu/types)`);
    expect(rest.filter((l) => !l.startsWith('bad.ts'))).toEqual([]);
    expect(rest.map((l) => l.slice(0, l.indexOf(':', l.indexOf('error')) ))).toEqual(BAD_ERRORS);
    expect(r.code).not.toBe(0);
  });
});

describe('the consumer lock', () => {
  it('holds what our package reaches, and names a dependency the lock lacks', () => {
    const reached = reachable(lock, ours);
    expect(reached['node_modules/rxjs']).toBeDefined();
    expect(reached['node_modules/tsx']).toBeUndefined(); // a dev dependency
    expect(reached['node_modules/vitest']).toBeUndefined(); // an optional peer
    expect(() => reachable(lock, { dependencies: { 'not-in-the-lock': '1.0.0' } })).toThrow(
      /package.json depends on not-in-the-lock, which the lock does not hold/,
    );
  });
});
