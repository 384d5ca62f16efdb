// Nothing of the user's is ever overwritten, and every check runs before the first step: a folder that is not a run is refused whole; sample/eval never write inside a
// checkpoint and replace only files pixelstreams wrote; a lock keeps a second writer out and a dead
// writer's lock is taken over; unknown families and presets are usage errors (exit 2) listing what
// exists; bad sampling options, a test set of another shape, an --out that is a file fail before
// step 1. Each refusal is checked against a snapshot of the folder (names and hashes).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cliInProcess.js';
import * as E from 'fp-ts/lib/Either.js';
import { acquireLock, checkRunFolder, LOCK_FILE, RUN_MANIFEST } from '../pipelines/runFolder.js';
import { familyNames, presetNames } from '../src/models/registry.js';
import { idxImages, pngFile } from './fixtures/data.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'pixelstreams-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cli = runCli;

const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(join(dir, r)).isDirectory()) {
        out[`${r}/`] = 'dir';
        walk(r);
      } else out[r] = createHash('sha256').update(readFileSync(join(dir, r))).digest('hex');
    }
  };
  walk('');
  return out;
};

const tiny = ['--preset', 'tiny', '--limit', '24', '--validation', '8', '--eval-limit', '8', '--batch-size', '4', '--binarize', 'threshold', '--no-progress', '--workers', '1', '--backend', 'wasm'];

let runDir: string;
let ckpt: string;
beforeAll(async () => {
  runDir = join(root, 'run');
  const r = await cli('train', ...tiny, '--steps', '2', '--samples', '2', '--out', runDir);
  if (r.code !== 0) throw new Error(r.stderr);
  ckpt = join(runDir, 'checkpoints', 'step-00000002');
});

describe('a run folder is ours or untouched', () => {
  it("train --out into a folder of the user's is refused before anything is written; an empty folder is fine", async () => {
    const user = join(root, 'user');
    mkdirSync(join(user, 'checkpoints'), { recursive: true });
    writeFileSync(join(user, 'report.json'), '{"mine": true}');
    writeFileSync(join(user, 'samples.png'), pngFile(4, 4, 0));
    writeFileSync(join(user, 'checkpoints', 'notes.txt'), 'precious');
    const before = snapshot(user);
    const r = await cli('train', ...tiny, '--steps', '1', '--out', user);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out .*user: expected an empty folder or a pixelstreams run folder \(with pixelstreams-run\.json\), found 3 entries .*nothing was written/);
    expect(snapshot(user)).toEqual(before);
    // negative control: the same command into an empty folder trains and marks the folder ours
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const ok = await cli('train', ...tiny, '--steps', '1', '--samples', '0', '--out', empty);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(empty).sort()).toEqual(['checkpoints', 'loss.png', 'metrics.jsonl', RUN_MANIFEST, 'report.json']);
  });

  it('a samples.png in our run folder that pixelstreams did not write is not replaced', async () => {
    const dir = join(root, 'theirs-png');
    expect((await cli('train', ...tiny, '--steps', '1', '--samples', '0', '--out', dir)).code).toBe(0);
    writeFileSync(join(dir, 'samples.png'), pngFile(4, 4, 0)); // a PNG, but not one of ours
    const before = snapshot(dir);
    const r = await cli('train', ...tiny, '--steps', '2', '--samples', '2', '--out', dir, '--resume');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/samples\.png: exists and was not written by pixelstreams; refusing to replace it/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('sample --out never writes inside a checkpoint, nor over a file pixelstreams did not write', async () => {
    const before = snapshot(runDir);
    for (const target of [join(ckpt, 'weights.bin'), join(ckpt, 'new.png'), join(runDir, 'checkpoints', 'x.png')]) {
      const r = await cli('sample', '--run', runDir, '--count', '1', '--out', target, '--backend', 'wasm');
      expect(r.code, target).toBe(1);
      expect(r.stderr).toMatch(/--out .*: expected a path outside checkpoints, found it inside .*checkpoints/);
    }
    expect(snapshot(runDir)).toEqual(before);
    const photo = join(root, 'photo.png');
    writeFileSync(photo, pngFile(5, 5, 2));
    const mine = snapshot(root)['photo.png'];
    const r = await cli('sample', '--run', runDir, '--count', '1', '--out', photo, '--backend', 'wasm');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/photo\.png: exists and was not written by pixelstreams; refusing to replace it/);
    expect(snapshot(root)['photo.png']).toBe(mine);
    // negative control: a PNG sample wrote may be replaced by the next sample
    const ours = join(root, 'ours.png');
    expect((await cli('sample', '--run', runDir, '--count', '1', '--out', ours, '--backend', 'wasm')).code).toBe(0);
    expect((await cli('sample', '--run', runDir, '--count', '1', '--seed', '9', '--out', ours, '--backend', 'wasm')).code).toBe(0);
  });

  it('eval --out never writes inside a checkpoint', async () => {
    const before = snapshot(runDir);
    const r = await cli('eval', '--run', runDir, '--limit', '4', '--out', ckpt, '--no-progress', '--backend', 'wasm');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out .*step-00000002: expected a folder outside checkpoints/);
    expect(snapshot(runDir)).toEqual(before);
  });
});

describe('one writer per run folder', () => {
  it('a second train on a locked folder is refused, naming the holder; the lock goes with its holder', async () => {
    const dir = join(root, 'locked');
    mkdirSync(dir);
    const lock = acquireLock(dir);
    if (lock._tag === 'Left') throw lock.left;
    const before = snapshot(dir);
    const r = await cli('train', ...tiny, '--steps', '1', '--samples', '0', '--out', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`in use by another pixelstreams process \\(pid ${process.pid} on ${hostname()}`));
    expect(snapshot(dir)).toEqual(before);
    lock.right.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const ok = await cli('train', ...tiny, '--steps', '1', '--samples', '0', '--out', dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false); // released at the end
  });

  it('two train processes on one folder at once: one trains, the other is refused', async () => {
    const dir = join(root, 'race');
    const start = () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'pipelines', 'cli.ts'), 'train', ...tiny, '--steps', '30', '--samples', '0', '--out', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all([start(), start()]);
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join('\n---\n')).toEqual([0, 1]);
    const refused = results.find((r) => r.code === 1)!;
    expect(refused.stderr).toMatch(/in use by another pixelstreams process \(pid \d+|already holds checkpoints/);
    console.log(`concurrent writers: exit codes ${codes.join(', ')}; refused with: ${refused.stderr.split('\n').find((l) => l.startsWith('error:'))}`);
  }, 120_000);

  it('a folder whose run manifest another train is writing right now is not taken for a stranger\'s folder: the lock decides', () => {
    // (the race above once lost this way: the second process saw the first one's manifest temporary)
    const dir = join(root, 'being-set-up');
    mkdirSync(dir);
    writeFileSync(join(dir, `.${RUN_MANIFEST}.tmp-12345-0`), '{');
    const r = checkRunFolder(dir);
    expect(E.isRight(r) ? r.right : r.left.message).toBe('empty');
    // negative control: any other file still makes it a stranger's folder
    writeFileSync(join(dir, `.${RUN_MANIFEST}.bak`), '{');
    expect(E.isLeft(checkRunFolder(dir))).toBe(true);
  });

  it("a dead process's lock is stale and taken over", async () => {
    const dir = join(root, 'stale');
    mkdirSync(dir);
    // a pid that is not running: a child that has exited
    const dead = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, ['-e', '0']);
      c.on('close', () => resolve(c.pid!));
    });
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, hostname: hostname(), startedAt: '2026-01-01T00:00:00Z', token: 'old' }));
    const r = await cli('train', ...tiny, '--steps', '1', '--samples', '0', '--out', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    // negative control: the same lock naming a live process (this one) is respected
    const dir2 = join(root, 'live');
    mkdirSync(dir2);
    writeFileSync(join(dir2, LOCK_FILE), JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: '2026-01-01T00:00:00Z', token: 'live' }));
    expect((await cli('train', ...tiny, '--steps', '1', '--samples', '0', '--out', dir2)).code).toBe(1);
  });
});

describe('no silent fallbacks; usage errors exit 2', () => {
  it('an unknown family, an unknown preset, or a preset of another family: exit 2, listing what exists', async () => {
    const out = join(root, 'never');
    const a = await cli('train', ...tiny, '--model', 'transformer', '--out', out);
    expect(a.code).toBe(2);
    for (const f of familyNames()) expect(a.stderr).toContain(f);
    const b = await cli('train', ...tiny, '--preset', 'huge', '--out', out);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--preset: expected one of .*tiny.* for --model pixelcnn, found 'huge'/);
    const c = await cli('train', ...tiny, '--model', 'row-lstm', '--preset', 'reference', '--out', out);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--preset: expected one of .* for --model row-lstm, found 'reference' \(a preset of pixelcnn\)/);
    for (const p of presetNames()) expect(c.stderr).toContain(p);
    expect(existsSync(out)).toBe(false);
    // negative control: a preset of that family trains
    const ok = await cli('train', ...tiny.map((x) => (x === 'tiny' ? 'tiny' : x)), '--model', 'row-lstm', '--steps', '1', '--samples', '0', '--out', join(root, 'row'));
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("commander's own errors (unknown option, bad choice, missing value) and out-of-range seeds exit 2", async () => {
    expect((await cli('train', '--frobnicate')).code).toBe(2);
    expect((await cli('train', '--binarize', 'maybe')).code).toBe(2);
    expect((await cli('train', '--steps')).code).toBe(2);
    expect((await cli('bogus-command')).code).toBe(2);
    const s = await cli('train', '--seed', String(2 ** 32));
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--seed: expected an integer in 0\.\.4294967295, found '4294967296'/);
    expect((await cli('sample', '--run', runDir, '--seed', '-1')).code).toBe(2);
    expect((await cli('sample', '--run', runDir, '--count', '1000000000')).code).toBe(2);
    expect((await cli('sample', '--checkpoint', ckpt, '--complete', join(root, 'x.png'))).code).toBe(2); // no --keep-rows
    expect((await cli('--help')).code).toBe(0);
  });
});

describe('flags over the config file over the defaults, through the CLI', () => {
  it("--data beats the config's data; the config's optimizer and steps are honoured; defaults fill the rest", async () => {
    const cfg = join(root, 'prec.json');
    writeFileSync(cfg, JSON.stringify({ data: 'idx:/nonexistent/images.gz', optimizer: 'adam', steps: 2, keep: 1 }));
    const out = join(root, 'prec');
    const r = await cli('train', ...tiny, '--config', cfg, '--data', 'mnist', '--keep', '2', '--samples', '0', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.config.data).toBe('mnist'); // flag over file
    expect(report.config.keep).toBe(2); // flag over file
    expect(report.config.optimizer.name).toBe('adam'); // file over default
    expect(report.config.steps).toBe(2); // file over default
    expect(report.config.checkpointEvery).toBe(100); // default
    // negative control: without --data the config's (missing) file is what is read
    const r2 = await cli('train', ...tiny, '--config', cfg, '--samples', '0', '--out', join(root, 'prec-2'));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/\/nonexistent\/images\.gz: expected a regular file|\/nonexistent\/images\.gz: expected a readable file/);
  });
});

describe('every check before the first step', () => {
  const noCheckpoint = (out: string) => !existsSync(join(out, 'checkpoints'));

  it('bad sampling options in a config, an --out that is a file, a test set of another shape: no step is trained', async () => {
    const cfg = join(root, 'cold.json');
    writeFileSync(cfg, JSON.stringify({ temperature: -1 }));
    const out1 = join(root, 'pre-1');
    const a = await cli('train', ...tiny, '--config', cfg, '--out', out1);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/cold\.json: temperature: expected a number in \[0, 100\], found -1/);
    expect(noCheckpoint(out1)).toBe(true);

    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const b = await cli('train', ...tiny, '--steps', '1', '--out', file);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/--out .*a-file: expected a run folder, found a file/);
    expect(readFileSync(file, 'utf8')).toBe('x');

    const other = join(root, 'other.idx');
    writeFileSync(other, idxImages(4, 6, 6));
    const out3 = join(root, 'pre-3');
    const c = await cli('train', ...tiny, '--steps', '1', '--test-data', `idx:${other}`, '--out', out3);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/other\.idx: expected 28×28×1 images with 256 levels \(like the training data mnist\), found 6×6×1 with 256 levels/);
    expect(existsSync(out3)).toBe(false);
  });

  it("a config's model.height that differs from the data, or an absurd width, fails before step 1", async () => {
    const cfg = join(root, 'tall.json');
    writeFileSync(cfg, JSON.stringify({ model: { height: 32 } }));
    const a = await cli('train', ...tiny, '--config', cfg, '--out', join(root, 'pre-4'));
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/tall\.json: model\.height: expected 28 \(the data's\), found 32/);
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 2 ** 20 } }));
    const b = await cli('train', ...tiny, '--config', cfg, '--out', join(root, 'pre-5'));
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/tall\.json: model\.hidden: expected at most 2048, found 1048576/);
    expect(existsSync(join(root, 'pre-5'))).toBe(false);
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 2048, residualLayers: 100 } }));
    const c = await cli('train', ...tiny, '--config', cfg, '--out', join(root, 'pre-5'));
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/tall\.json: model: expected at most 268435456 parameters, found \d+/);
  });

  it('an evaluation batch too big for the wasm heap is refused up front, saying what fits', async () => {
    const out = join(root, 'heap');
    const r = await cli('train', '--preset', 'paper', '--limit', '8', '--validation', '4096', '--eval-batch-size', '4096', '--binarize', 'threshold', '--no-progress', '--workers', '1', '--backend', 'wasm', '--steps', '1', '--out', out);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/evalBatchSize: evaluating 4096 images at once needs about [\d.]+ GiB of the wasm heap \(at most 4 GiB\); use --eval-batch-size \d+ or less/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
