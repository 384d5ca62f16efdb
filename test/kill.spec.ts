// The kill test. `train` runs as a child process and is killed with SIGKILL at
// seeded random moments — by a timer while it trains (during a step), and from inside its own
// checkpoint writes via the fault points of src/fsAtomic.ts (after the first file, before and
// after the folder rename, while pruning an old checkpoint, while writing the report) — and is
// stopped with SIGINT and SIGTERM (which must finish the step, checkpoint and exit 0). After each
// interruption every checkpoint on disk must load, and `--resume` continues. At the end the final
// weights must equal, byte for byte, those of an uninterrupted run (wasm is deterministic: same
// ops, same order, same floats, in-process or split across the same number of workers — the CLI's
// default, one per core).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeCheckpoint, listCheckpoints, loadCheckpoint } from '../src/checkpoint/checkpoint.js';
import { RUN_MANIFEST } from '../pipelines/runFolder.js';
import { Rng } from '../src/rng.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'pipelines', 'cli.ts');
const SEED = 20240607;
const STEPS = 100;
const EVERY = 4;
/** Steps each interrupted attempt aims at beyond the last checkpoint: three saves, so every fault
 *  point (including the first prune, with --keep 2) is reached whatever the machine's speed. */
const PER_ATTEMPT = 12;

const trainArgs = (out: string, steps = STEPS): string[] => [
  'train',
  '--data', 'mnist-embedded',
  '--preset', 'tiny',
  '--steps', String(steps),
  '--batch-size', '4',
  '--checkpoint-every', String(EVERY),
  '--keep', '2',
  '--limit', '48',
  '--validation', '8',
  '--samples', '0',
  '--seed', '5',
  '--backend', 'wasm',
  '--no-progress',
  '--out', out,
  '--resume',
];

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Start `train` up to `steps`; `interrupt` is called once the child is training: its first new
 * checkpoint is on disk and more steps remain, so a signal then lands in the middle of training.
 */
const runTrain = (
  out: string,
  env: Record<string, string>,
  steps = STEPS,
  interrupt?: (kill: (s: NodeJS.Signals) => void) => void,
): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const { PIXELSTREAMS_KILL_AT: _, ...base } = process.env;
    const stepAtStart = listCheckpoints(out).at(-1)?.step ?? 0;
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...trainArgs(out, steps)], {
      cwd: ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let started = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const poll = interrupt
      ? setInterval(() => {
          if (!started && (listCheckpoints(out).at(-1)?.step ?? 0) > stepAtStart) {
            started = true;
            interrupt((s) => child.kill(s));
          }
        }, 2)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stderr });
    });
  });

/** Every step folder on disk (complete or not), each loaded and verified. */
const checkAllLoad = (out: string): number[] => {
  const dir = join(out, 'checkpoints');
  if (!existsSync(dir)) return [];
  const steps: number[] = [];
  for (const name of readdirSync(dir).filter((n) => /^step-\d+$/.test(n))) {
    const r = loadCheckpoint(join(dir, name));
    if (E.isLeft(r)) throw new Error(`checkpoint on disk does not load: ${r.left.message}`);
    steps.push(r.right.step);
    disposeCheckpoint(r.right);
  }
  return steps.sort((a, b) => a - b);
};

const weightsOf = (out: string, step: number): Buffer =>
  readFileSync(join(out, 'checkpoints', `step-${String(step).padStart(8, '0')}`, 'weights.bin'));

type Attempt =
  | { kind: 'timer'; signal: NodeJS.Signals } // signal after a seeded random delay once training runs
  | { kind: 'fault'; point: string }; // SIGKILL from inside the n-th pass through a write point

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('kill test', () => {
  it('survives SIGKILL at seeded random moments, resumes, and ends with the uninterrupted weights', async () => {
    const started = Date.now();
    const refDir = mkdtempSync(join(tmpdir(), 'kill-ref-'));
    const runDir = mkdtempSync(join(tmpdir(), 'kill-run-'));
    dirs.push(refDir, runDir);

    // The uninterrupted run, alongside the interrupted one.
    const reference = runTrain(refDir, {});

    const rng = Rng.fromSeed(SEED);
    // Two SIGKILLs by timer (during steps), one from inside each write point of a checkpoint save
    // (the occurrence drawn from the seed), one SIGINT and one SIGTERM; the order shuffled by the seed.
    const points = ['dir:after-first-file', 'dir:before-rename', 'dir:after-rename', 'remove:after-rename'];
    const attempts: Attempt[] = [
      { kind: 'timer', signal: 'SIGKILL' },
      { kind: 'timer', signal: 'SIGKILL' },
      ...points.map((point): Attempt => ({ kind: 'fault', point: `${point}#${point.startsWith('remove') ? 1 : 1 + rng.int(2)}` })),
      { kind: 'timer', signal: 'SIGINT' },
      { kind: 'timer', signal: 'SIGTERM' },
    ];
    for (let i = attempts.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [attempts[i], attempts[j]] = [attempts[j]!, attempts[i]!];
    }

    const log: string[] = [];
    let killsTried = 0;
    let killsSurvived = 0;
    let gracefulStops = 0;
    for (const a of attempts) {
      const before = listCheckpoints(runDir).at(-1)?.step ?? 0;
      if (before >= STEPS) break;
      const delay = rng.int(30); // ms after the attempt's first new checkpoint: mid-training
      const target = Math.min(STEPS, before + PER_ATTEMPT);
      const r =
        a.kind === 'fault'
          ? await runTrain(runDir, { PIXELSTREAMS_KILL_AT: a.point }, target)
          : await runTrain(runDir, {}, target, (kill) => setTimeout(() => kill(a.signal), delay));
      const after = checkAllLoad(runDir); // throws if any checkpoint on disk does not load
      const latest = after.at(-1) ?? 0;
      const what = a.kind === 'fault' ? `SIGKILL at ${a.point}` : `${a.signal} after ${delay} ms`;
      log.push(`${what}: exit ${r.code ?? r.signal}, checkpoints ${before} → [${after.join(', ')}]`);
      if (a.kind === 'timer' && a.signal !== 'SIGKILL' && new RegExp(`^${a.signal}\\b`, 'm').test(r.stderr)) {
        // Graceful: finish the step, checkpoint, exit 0 — with at least one more step on disk.
        expect(r.code, `${what}\n${r.stderr}`).toBe(0);
        expect(latest).toBeGreaterThan(before);
        gracefulStops++;
      } else if (r.signal === 'SIGKILL') {
        killsTried++;
        expect(latest).toBeGreaterThanOrEqual(before); // nothing lost that was on disk
        killsSurvived++; // counted once every checkpoint on disk has loaded (above)
      } else {
        // The attempt ended before the signal or fault point came: cleanly, at its target.
        expect(r.code, `${what}\n${r.stderr}`).toBe(0);
        expect(latest).toBe(target);
      }
    }

    // Finish the interrupted run.
    const last = await runTrain(runDir, {});
    expect(last.code, last.stderr).toBe(0);
    const ref = await reference;
    expect(ref.code, ref.stderr).toBe(0);

    // Every checkpoint loads; the final one and every step both runs kept are byte-identical.
    const runSteps = checkAllLoad(runDir);
    const refSteps = checkAllLoad(refDir);
    expect(runSteps.at(-1)).toBe(STEPS);
    expect(refSteps.at(-1)).toBe(STEPS);
    const common = runSteps.filter((s) => refSteps.includes(s));
    expect(common).toContain(STEPS);
    for (const s of common) expect(weightsOf(runDir, s).equals(weightsOf(refDir, s)), `weights at step ${s}`).toBe(true);
    const final = loadCheckpoint(join(runDir, 'checkpoints', `step-${String(STEPS).padStart(8, '0')}`));
    const finalRef = loadCheckpoint(join(refDir, 'checkpoints', `step-${String(STEPS).padStart(8, '0')}`));
    if (E.isLeft(final) || E.isLeft(finalRef)) throw new Error('final checkpoints must load');
    for (const [name, x] of Object.entries(finalRef.right.params))
      expect(Array.from(final.right.params[name]!.dataSync())).toEqual(Array.from(x.dataSync()));
    disposeCheckpoint(final.right);
    disposeCheckpoint(finalRef.right);

    // No leftovers: temporary and half-removed folders were cleaned up by later saves.
    expect(readdirSync(join(runDir, 'checkpoints')).every((n) => /^step-\d{8}$/.test(n))).toBe(true);
    // …and the lock of every SIGKILLed attempt was taken over as stale and released at the end.
    expect(readdirSync(runDir).sort()).toEqual(['checkpoints', 'loss.png', 'metrics.jsonl', RUN_MANIFEST, 'report.json']);

    console.log(
      `kill test: ${killsSurvived}/${killsTried} SIGKILLs survived, ${gracefulStops} graceful stops, ` +
        `final weights bitwise equal at steps [${common.join(', ')}], ${((Date.now() - started) / 1000).toFixed(1)} s\n  ` +
        log.join('\n  '),
    );
    expect(killsTried).toBeGreaterThanOrEqual(4);
    expect(gracefulStops).toBeGreaterThanOrEqual(1);
    expect(killsSurvived).toBe(killsTried);
  }, 300_000);

  // SIGTERM/SIGINT after training, in evaluation and in sampling: the phase stops between batches,
  // the report says what was kept, exit 0, and the final checkpoint loads.
  it.each([
    ['evaluate', 'SIGTERM', /^trained to step/m, ['--validation', '9000', '--eval-batch-size', '1', '--samples', '0']],
    ['sample', 'SIGINT', /^held-out NLL/m, ['--validation', '8', '--samples', '1024']],
  ] as const)('%s: %s ends it cleanly, says what was kept, exit 0, a loadable checkpoint', async (phase, signal, ready, extra) => {
    const out = mkdtempSync(join(tmpdir(), `kill-${phase}-`));
    dirs.push(out);
    const args = ['train', '--data', 'mnist-embedded', '--preset', 'tiny', '--steps', '2', '--batch-size', '4', '--limit', '16', '--seed', '5', '--backend', 'wasm', '--workers', '1', '--no-progress', '--out', out, ...extra];
    const r = await new Promise<Outcome>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      let sent = false;
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        // the phase has begun: its first line (or the line before it) is out
        if (ready.test(stderr) && !sent) {
          sent = true;
          setTimeout(() => child.kill(signal), phase === 'evaluate' ? 20 : 300);
        }
      });
      child.on('error', reject);
      child.on('close', (code, sig) => resolve({ code, signal: sig, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${signal} during ${phase}: stopped .*; kept the checkpoint .*step-00000002`));
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.interrupted.phase).toBe(phase);
    expect(report.interrupted.signal).toBe(signal);
    if (phase === 'evaluate') expect(report.evaluation.complete).toBe(false);
    else expect(existsSync(join(out, 'samples.png'))).toBe(false);
    const ck = loadCheckpoint(join(out, 'checkpoints', 'step-00000002'));
    expect(E.isRight(ck)).toBe(true);
    if (E.isRight(ck)) disposeCheckpoint(ck.right);
    console.log(`${signal} during ${phase}: exit ${r.code}; ${report.interrupted.kept}`);
  }, 120_000);
});
