// The bad-input corpus through the CLI: every case gives its clear error, a non-zero exit, and
// leaves the output folder exactly as it was (listing and content hashes compared before/after).
// Cases run through the CLI's `main` in this process (fast); two also run as real child
// processes, to see the exit code the shell sees.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../pipelines/cli.js';
import { RUN_MANIFEST } from '../pipelines/runFolder.js';
import { badInputCorpus, goodRunConfig, type BadInput, type Made } from './badInputCorpus.js';
import { idxImages, tempDir } from './fixtures/data.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('pixelstreams-badcli-'));
});
afterAll(() => cleanup());

/** Every entry under `root`, with a sha256 for files: what "left exactly as it was" compares. */
const snapshot = (root: string): Record<string, string> => {
  const out: Record<string, string> = {};
  if (!existsSync(root)) return out;
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const full = join(root, r);
      if (statSync(full).isDirectory()) {
        out[`${r}/`] = 'dir';
        walk(r);
      } else out[r] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk('');
  return out;
};

/** An output folder that already holds something: a previous pixelstreams run (its manifest and
 *  report) with a file of the user's beside them. (A folder that is not a run: runFolder.spec.ts.) */
const existingOut = (where: string): string => {
  const out = join(where, 'out');
  mkdirSync(join(out, 'older'), { recursive: true });
  writeFileSync(join(out, RUN_MANIFEST), '{"format": "pixelstreams-run", "version": 1}\n');
  writeFileSync(join(out, 'report.json'), '{"pixelstreams": "0.1.0", "command": "train", "previous": true}\n');
  writeFileSync(join(out, 'older', 'samples.png'), Buffer.from([1, 2, 3]));
  return out;
};

const common = ['--backend', 'wasm', '--no-progress'];

interface CliCase {
  readonly argv: string[];
  /** The folder that must be left exactly as it was. */
  readonly out: string;
  readonly expect: RegExp;
}

/** How a corpus case reaches the CLI, or why it cannot (the CLI fills a default for it). */
const toCli = (c: BadInput, made: Made, where: string): CliCase | string => {
  switch (made.kind) {
    case 'data': {
      const out = existingOut(where);
      return { argv: ['train', '--data', made.source, '--preset', 'tiny', '--steps', '1', '--samples', '0', '--out', out, ...common], out, expect: c.expect };
    }
    case 'config': {
      if (c.name === 'missing field') return 'the CLI fills a default seed';
      const out = existingOut(where);
      return { argv: ['train', '--config', made.file, '--out', out, ...common], out, expect: c.expect };
    }
    case 'spec': {
      // The bad spec as the "model" of a run config over a small valid IDX file.
      writeFileSync(join(where, 'small.idx'), idxImages(12, 4, 4));
      const file = join(where, 'config.json');
      const { height: _h, width: _w, channels, levels, ...rest } = made.spec as Record<string, unknown>;
      const model = { ...rest, ...(c.name === 'two channels' ? { channels } : {}), ...(c.name === 'levels 1' ? { levels } : {}) };
      writeFileSync(file, JSON.stringify({ ...goodRunConfig, data: `idx:${join(where, 'small.idx')}`, validation: 4, model }));
      const out = existingOut(where);
      // The data (4×4×1, 256 levels) decides the shape; a case that breaks a shape field meets the
      // check against the data first, which names the field too.
      const expect =
        c.name === 'levels 1' || c.name === 'two channels'
          ? /model\.(levels|channels): expected \d+ \(the data's\), found \d+/
          : c.name === 'bernoulli head with 4 levels'
            ? /head: 'bernoulli' needs levels = 2, found levels = 256/
            : c.expect;
      return { argv: ['train', '--config', file, '--out', out, ...common], out, expect };
    }
    case 'checkpoint': {
      if (made.expectSpec) {
        // A checkpoint of another model than the data it is asked to evaluate.
        writeFileSync(join(where, 'other.idx'), idxImages(3, 6, 6));
        const out = existingOut(where);
        return {
          argv: ['eval', '--checkpoint', made.path, '--data', `idx:${join(where, 'other.idx')}`, '--out', out, ...common],
          out,
          expect: /expected 4×4×1 images with 4 levels \(the model's\), found 6×6×1 with 256 levels/,
        };
      }
      // Resuming a run whose checkpoint is damaged: the run folder itself must stay as it was.
      return { argv: ['train', '--resume', '--out', made.runDir, ...common], out: made.runDir, expect: c.expect };
    }
  }
};

/** Run the CLI's main in this process, capturing what it writes to stderr. */
const runMain = async (argv: string[]): Promise<{ code: number; stderr: string }> => {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    const code = await main(['node', 'pixelstreams', ...argv]);
    return { code, stderr };
  } finally {
    spy.mockRestore();
  }
};

describe('bad-input corpus through the CLI', () => {
  let tried = 0;
  let rejected = 0;
  const skipped: string[] = [];
  for (const [i, c] of badInputCorpus.entries())
    it(`${c.group}: ${c.name}: exits non-zero, says why, leaves the output folder as it was`, async () => {
      const where = join(dir, `case-${i}`);
      mkdirSync(where, { recursive: true });
      const cli = toCli(c, c.make(where), where);
      if (typeof cli === 'string') {
        skipped.push(`${c.name} (${cli})`);
        expect(c.group).toBe('config'); // only a config field the CLI defaults may be passed over
        return;
      }
      tried++;
      const before = snapshot(cli.out);
      const beforeParent = readdirSync(join(cli.out, '..')).sort();
      const { code, stderr } = await runMain(cli.argv);
      expect(code, stderr).not.toBe(0);
      expect(stderr).toMatch(/^error: /m);
      expect(stderr).toMatch(cli.expect);
      expect(snapshot(cli.out)).toEqual(before);
      expect(readdirSync(join(cli.out, '..')).sort()).toEqual(beforeParent);
      rejected++;
    });

  it('every case reaching the CLI was rejected cleanly', () => {
    console.log(`bad-input corpus via CLI: ${rejected} / ${tried} rejected cleanly (not applicable: ${skipped.join('; ') || 'none'})`);
    expect(tried).toBeGreaterThanOrEqual(20);
    expect(rejected).toBe(tried);
  });

  it('negative control: a good input through the same path exits 0 and does write its outputs', async () => {
    const where = join(dir, 'good');
    mkdirSync(where, { recursive: true });
    writeFileSync(join(where, 'small.idx'), idxImages(12, 4, 4));
    const out = existingOut(where);
    const before = snapshot(out);
    const argv = ['train', '--data', `idx:${join(where, 'small.idx')}`, '--preset', 'tiny', '--steps', '2', '--batch-size', '2', '--validation', '4', '--samples', '0', '--out', out, ...common];
    const { code, stderr } = await runMain(argv);
    expect(code, stderr).toBe(0);
    const after = snapshot(out);
    expect(after).not.toEqual(before);
    expect(Object.keys(after)).toContain('checkpoints/step-00000002/weights.bin');
  });

  it('as a real process: a truncated IDX file and a damaged checkpoint exit 1 with the error on stderr', () => {
    const where = join(dir, 'process');
    mkdirSync(where, { recursive: true });
    const idxCase = badInputCorpus.find((c) => c.group === 'idx' && c.name === 'truncated body')!;
    const ckCase = badInputCorpus.find((c) => c.group === 'checkpoint' && c.name === 'checksum mismatch')!;
    for (const [c, sub] of [[idxCase, 'idx'], [ckCase, 'ck']] as const) {
      const w = join(where, sub);
      mkdirSync(w);
      const cli = toCli(c, c.make(w), w) as CliCase;
      const before = snapshot(cli.out);
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'pipelines', 'cli.ts'), ...cli.argv], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(cli.expect);
      expect(snapshot(cli.out)).toEqual(before);
    }
  });
});
