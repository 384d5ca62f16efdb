// Learning-rate schedules as plain data, and the rate at each step as a pure function of it.
//
//   constant     lr                                         (the default; the PixelRNN paper)
//   exponential  lr · γ^step                                (PixelCNN++: γ = 0.999995 per step)
//   cosine       lr · (f + (1 − f) · (1 + cos(π·p)) / 2)    p = min(1, step / totalSteps), f the floor
//   linear       lr · (f + (1 − f) · (1 − p))
//
// `step` is the 1-based index of the update (openai/pixel-cnn multiplies the rate by γ before each
// update, so its first update uses lr·γ). cosine and linear end at `totalSteps` and stay at the floor
// after it. A time-bounded run learns its `totalSteps` from measured step times (estimateTotalSteps
// below) and records the step it fixed it at (`fixedAt`), so a resumed run keeps the same schedule.

import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt } from '../models/spec.js';

export const SCHEDULE_KINDS = ['constant', 'exponential', 'cosine', 'linear'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** openai/pixel-cnn's per-step decay. */
export const PAPER_LR_DECAY = 0.999995;

export const LrScheduleCodec = t.union([
  t.type({ kind: t.literal('constant') }),
  t.type({ kind: t.literal('exponential'), gamma: t.number }),
  t.intersection([
    t.type({ kind: t.union([t.literal('cosine'), t.literal('linear')]), floor: t.number, totalSteps: PositiveInt }),
    /** The step at which totalSteps was fixed from measured step times (a time-bounded run). */
    t.partial({ fixedAt: NonNegativeInt }),
  ]),
]);
export type LrSchedule = t.TypeOf<typeof LrScheduleCodec>;

/** Every rule a schedule's numbers obey, as `field: expected …, found …` messages (empty: fine). */
export const scheduleErrors = (s: LrSchedule, where = 'schedule'): string[] => {
  if (s.kind === 'exponential')
    return s.gamma > 0 && s.gamma <= 1 && Number.isFinite(s.gamma) ? [] : [`${where}.gamma: expected a number in (0, 1], found ${s.gamma}`];
  if (s.kind === 'constant') return [];
  return s.floor >= 0 && s.floor <= 1 ? [] : [`${where}.floor: expected a number in [0, 1] (a fraction of the learning rate), found ${s.floor}`];
};

/** The factor the base learning rate is multiplied by at update `step` (1-based). */
export const scheduleFactor = (s: LrSchedule | undefined, step: number): number => {
  if (!s || s.kind === 'constant') return 1;
  if (s.kind === 'exponential') return s.gamma ** step;
  const p = Math.min(1, step / s.totalSteps);
  const shape = s.kind === 'cosine' ? (1 + Math.cos(Math.PI * p)) / 2 : 1 - p;
  return s.floor + (1 - s.floor) * shape;
};

/** A schedule that ends at a step budget, still waiting for a time-bounded run to fix its length. */
export const needsEstimate = (s: LrSchedule | undefined): boolean => (s?.kind === 'cosine' || s?.kind === 'linear') && s.fixedAt === undefined;

export interface StepTiming {
  /** Wall-clock ms at the end of each step this process ran, in order (the first is a warm-up). */
  readonly marks: readonly number[];
  /** Seconds spent so far in this process, and the limit. */
  readonly elapsedSeconds: number;
  readonly limitSeconds: number;
  /** Updates applied so far (the run's step, including any resumed ones). */
  readonly step: number;
  /** The run's step budget (--steps): the schedule never runs longer. */
  readonly maxSteps: number;
}

/** The share of the time limit measured before the estimate is fixed (at least 3 steps). */
export const ESTIMATE_AFTER = 0.05;
/** Of the remaining time, the share the estimate plans for: the rest absorbs slower later steps. */
export const ESTIMATE_MARGIN = 0.95;

/**
 * The step a time-bounded run will reach, from the steps measured so far, or undefined while too
 * few are measured: once 5% of the time limit has passed and at least 3 steps ended, the mean period
 * of the steps after the first (which pays for compilation and warm caches) into what is left of
 * ESTIMATE_MARGIN of the limit, capped by the step budget. Pure.
 */
export const estimateTotalSteps = (timing: StepTiming): number | undefined => {
  const done = timing.marks.length;
  if (done < 3 || timing.elapsedSeconds < ESTIMATE_AFTER * timing.limitSeconds) return undefined;
  const periodMs = (timing.marks[done - 1]! - timing.marks[0]!) / (done - 1);
  const leftSeconds = ESTIMATE_MARGIN * timing.limitSeconds - timing.elapsedSeconds;
  const more = periodMs > 0 ? Math.max(0, Math.floor((leftSeconds * 1000) / periodMs + 1e-9)) : timing.maxSteps;
  return Math.max(timing.step, 1, Math.min(timing.maxSteps, timing.step + more));
};

/** The last step of a schedule whose length a time limit fixed (fixLength), else undefined. */
export const fixedEnd = (s: LrSchedule | undefined): number | undefined =>
  s && (s.kind === 'cosine' || s.kind === 'linear') && s.fixedAt !== undefined ? s.totalSteps : undefined;

/** The schedule with its length fixed at `totalSteps` (recorded as fixed at `step`). */
export const fixLength = (s: LrSchedule, totalSteps: number, step: number): LrSchedule =>
  s.kind === 'cosine' || s.kind === 'linear' ? { ...s, totalSteps: Math.max(1, totalSteps), fixedAt: step } : s;
