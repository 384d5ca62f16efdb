import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanLeftovers, isLeftover, processAlive, removeDirAtomic, writeDirAtomic, writeFileAtomic } from './fsAtomic.js';

/** A pid no process has: above Linux's pid_max (2^22). */
const DEAD_PID = 99_999_999;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'fsatomic-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates a file (and its folder) with exactly the data, leaving no temporary file', () => {
    const path = join(root, 'a', 'b', 'f.json');
    expect(writeFileAtomic(path, '{"x":1}')).toEqual(E.right(path));
    expect(readFileSync(path, 'utf8')).toBe('{"x":1}');
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['f.json']);
  });

  it('replaces an existing file whole, bytes included', () => {
    const path = join(root, 'f.bin');
    writeFileSync(path, 'old content that is longer');
    const bytes = new Uint8Array([0, 1, 2, 255]);
    expect(E.isRight(writeFileAtomic(path, bytes))).toBe(true);
    expect([...readFileSync(path)]).toEqual([0, 1, 2, 255]);
    expect(readdirSync(root)).toEqual(['f.bin']);
  });

  it('removes the temporary files of earlier writes of the same path whose writer died', () => {
    const path = join(root, 'report.json');
    writeFileSync(join(root, `.report.json.tmp-${DEAD_PID}-0`), 'partial');
    writeFileSync(join(root, `.other.json.tmp-${DEAD_PID}-0`), 'not ours');
    expect(E.isRight(writeFileAtomic(path, '{}'))).toBe(true);
    expect(readdirSync(root).sort()).toEqual([`.other.json.tmp-${DEAD_PID}-0`, 'report.json']);
  });

  it('fails as a value, naming the path, and leaves the target untouched', () => {
    const path = join(root, 'dir-in-the-way');
    mkdirSync(path);
    writeFileSync(join(path, 'x'), 'keep');
    const r = writeFileAtomic(path, 'data');
    expect(E.isLeft(r) && r.left.message).toMatch(/dir-in-the-way: atomic write failed/);
    expect(readFileSync(join(path, 'x'), 'utf8')).toBe('keep');
    expect(readdirSync(root)).toEqual(['dir-in-the-way']);
  });
});

describe('writeDirAtomic', () => {
  it('creates a folder holding exactly the files', () => {
    const path = join(root, 'ck');
    expect(writeDirAtomic(path, { 'a.json': '{}', 'b.bin': new Uint8Array([7, 8]) })).toEqual(E.right(path));
    expect(readdirSync(path).sort()).toEqual(['a.json', 'b.bin']);
    expect([...readFileSync(join(path, 'b.bin'))]).toEqual([7, 8]);
    expect(readdirSync(root)).toEqual(['ck']);
  });

  it('replaces an existing folder whole (no old file survives)', () => {
    const path = join(root, 'ck');
    writeDirAtomic(path, { old: 'x', keep: 'old' });
    writeDirAtomic(path, { keep: 'new' });
    expect(readdirSync(path)).toEqual(['keep']);
    expect(readFileSync(join(path, 'keep'), 'utf8')).toBe('new');
    expect(readdirSync(root)).toEqual(['ck']);
  });

  it('refuses file names with separators and writes nothing', () => {
    const r = writeDirAtomic(join(root, 'ck'), { '../evil': 'x' });
    expect(E.isLeft(r) && r.left.message).toMatch(/expected a plain name, found '\.\.\/evil'/);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('leftovers', () => {
  it('removes temporary and half-deleted folders of dead writers only', () => {
    mkdirSync(join(root, `step-00000001.tmp-${DEAD_PID}-0`));
    writeFileSync(join(root, `.f.json.tmp-${DEAD_PID}-3`), 'partial');
    mkdirSync(join(root, `step-00000000.del-${DEAD_PID}-1`));
    mkdirSync(join(root, `step-00000002.tmp-${process.pid}-9`)); // a live writer: this process
    mkdirSync(join(root, 'step-00000003'));
    expect(cleanLeftovers(root).sort()).toEqual(
      [`.f.json.tmp-${DEAD_PID}-3`, `step-00000000.del-${DEAD_PID}-1`, `step-00000001.tmp-${DEAD_PID}-0`].sort(),
    );
    expect(readdirSync(root).sort()).toEqual([`step-00000002.tmp-${process.pid}-9`, 'step-00000003'].sort());
    expect(isLeftover('step-00000003')).toBe(false);
    expect(isLeftover(`x.tmp-${DEAD_PID}-0`)).toBe(true);
  });

  it('knows live and dead processes', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(DEAD_PID)).toBe(false);
  });

  it('removeDirAtomic removes a folder and leaves nothing behind', () => {
    writeDirAtomic(join(root, 'gone'), { a: '1' });
    removeDirAtomic(join(root, 'gone'));
    removeDirAtomic(join(root, 'never-was'));
    expect(existsSync(join(root, 'gone'))).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('fault injection (PIXELSTREAMS_KILL_AT)', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const writeTwice = (killAt: string) =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('${join(here, 'fsAtomic.ts')}').then(({ writeDirAtomic }) => {
           writeDirAtomic(${JSON.stringify(join(root, 'a'))}, { one: '1', two: '2' });
           writeDirAtomic(${JSON.stringify(join(root, 'b'))}, { one: '1', two: '2' });
         })`,
      ],
      { env: { ...process.env, PIXELSTREAMS_KILL_AT: killAt }, encoding: 'utf8', timeout: 30_000 },
    );

  it('a SIGKILL inside the second folder write leaves the first whole and the second absent', () => {
    const r = writeTwice('dir:after-first-file#2');
    expect(r.signal).toBe('SIGKILL');
    const names = readdirSync(root).sort();
    expect(names[0]).toBe('a');
    expect(names[1]).toMatch(/^b\.tmp-\d+-\d+$/);
    expect(names).toHaveLength(2);
    expect(readdirSync(join(root, 'a')).sort()).toEqual(['one', 'two']);
    expect(readdirSync(join(root, names[1]!))).toEqual(['one']);
    expect(cleanLeftovers(root)).toEqual([names[1]]);
    expect(readdirSync(root)).toEqual(['a']);
  });

  it('a SIGKILL right after the rename leaves the folder whole', () => {
    const r = writeTwice('dir:after-rename#1');
    expect(r.signal).toBe('SIGKILL');
    expect(readdirSync(root)).toEqual(['a']);
    expect(readdirSync(join(root, 'a')).sort()).toEqual(['one', 'two']);
  });
});
