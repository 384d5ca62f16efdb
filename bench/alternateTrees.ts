// Runs one script in this tree and in an earlier commit, alternating, for the against-commit
// benches: the commit is unpacked (`git archive`) into a temporary folder that shares this tree's
// node_modules, the script is written into both trees' bench/ folders, and each round runs it once
// per tree in a child process, the order reversed every other round. Returns the last stdout line of
// every run, per tree ([commit's, this tree's]); both scratch copies are removed afterwards.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AlternateOptions {
  /** This tree's root. */
  readonly root: string;
  readonly commit: string;
  /** The script's source; it must use only APIs both trees have. */
  readonly script: string;
  /** Names the temporary folder and the scratch file (e.g. 'against'). */
  readonly tag: string;
  readonly rounds: number;
  readonly args?: readonly string[];
}

export const alternateTrees = (o: AlternateOptions): [string[], string[]] => {
  const base = mkdtempSync(join(tmpdir(), `pixelstreams-${o.tag}-`));
  const scratch = join(o.root, 'bench', `.${o.tag}-${process.pid}.mts`);
  try {
    execFileSync('sh', ['-c', `git -C "${o.root}" archive "${o.commit}" | tar -x -C "${base}"`]);
    symlinkSync(join(o.root, 'node_modules'), join(base, 'node_modules'));
    mkdirSync(join(base, 'bench'), { recursive: true });
    const theirs = join(base, 'bench', `${o.tag}.mts`);
    writeFileSync(theirs, o.script);
    writeFileSync(scratch, o.script);
    const trees = [
      { dir: base, script: theirs },
      { dir: o.root, script: scratch },
    ];
    const lines: [string[], string[]] = [[], []];
    for (let r = 0; r < o.rounds; r++)
      for (const k of r % 2 ? [1, 0] : [0, 1]) {
        const t = trees[k]!;
        const out = execFileSync(join(o.root, 'node_modules/.bin/tsx'), [t.script, ...(o.args ?? [])], { cwd: t.dir, encoding: 'utf8' });
        lines[k]!.push(out.trim().split('\n').pop()!);
      }
    return lines;
  } finally {
    rmSync(base, { recursive: true, force: true });
    rmSync(scratch, { force: true });
  }
};
