// Running out of the wasm heap (one 32-bit memory per backend, at most 4 GiB) is an error a user
// can act on: it names the step and the batch, says what ran out, and what to change; exit 1, no
// run folder left behind. The CLI case runs as a child process (its heap is spent for good).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { explainBackendError } from '../src/backend.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'pixelstreams-oom-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const runCli = (args: string[]) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'pipelines', 'cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    child.on('close', (code) => resolve({ code, stderr }));
  });

describe('out of wasm memory', () => {
  it('train: the paper PixelCNN at batch 4096 stops with an error naming the step, the batch and what to change', async () => {
    const out = join(root, 'run');
    const r = await runCli(['train', '--preset', 'paper', '--data', 'mnist-embedded', '--binarize', 'stochastic', '--batch-size', '4096', '--limit', '4096', '--validation', '16', '--steps', '1', '--samples', '0', '--no-progress', '--workers', '1', '--backend', 'wasm', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/step 1: gradients of 4096 images: the wasm backend ran out of memory .*4 GiB.*--batch-size.*--workers/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it("explains emscripten's abort, and passes every other error through unchanged (negative control)", () => {
    const abort = explainBackendError(new Error('Aborted(). Build with -sASSERTIONS for more info.'), 'gradients of 16 images');
    expect(abort.message).toMatch(/^gradients of 16 images: the wasm backend ran out of memory \(Aborted\(\)\. .*\); a backend's heap holds at most 4 GiB/);
    const other = new Error('record 3: expected 784 values');
    expect(explainBackendError(other, 'gradients of 16 images')).toBe(other);
    expect(explainBackendError('a string', 'x').message).toBe('a string');
  });
});
