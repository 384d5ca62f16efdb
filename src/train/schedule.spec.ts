// Learning-rate schedules: the factor at each step is the stated formula (γ^step from the first
// update, cosine and linear from 1 to the floor at totalSteps and flat after), and a time-bounded
// run's length is estimated from step times as stated.
import { describe, expect, it } from 'vitest';
import { defaultOptimizer, learningRateAt } from './optimizers.js';
import { estimateTotalSteps, fixLength, needsEstimate, scheduleErrors, scheduleFactor, type LrSchedule } from './schedule.js';

const cosine: LrSchedule = { kind: 'cosine', floor: 0.1, totalSteps: 100 };
const linear: LrSchedule = { kind: 'linear', floor: 0, totalSteps: 10 };

describe('learning-rate schedules', () => {
  it('constant and absent schedules keep the rate; exponential is lr·γ^step from the first update (openai/pixel-cnn)', () => {
    expect(scheduleFactor(undefined, 7)).toBe(1);
    expect(scheduleFactor({ kind: 'constant' }, 7)).toBe(1);
    const exp: LrSchedule = { kind: 'exponential', gamma: 0.999995 };
    expect(scheduleFactor(exp, 1)).toBe(0.999995);
    expect(scheduleFactor(exp, 200_000)).toBeCloseTo(Math.exp(200_000 * Math.log(0.999995)), 12); // ≈ 0.368
    expect(learningRateAt({ ...defaultOptimizer('adam', 2e-3), schedule: exp }, 3)).toBeCloseTo(2e-3 * 0.999995 ** 3, 15);
  });

  it('cosine and linear go from 1 to the floor at totalSteps, never rise, and stay at the floor after', () => {
    expect(scheduleFactor(cosine, 50)).toBeCloseTo(0.1 + 0.9 * 0.5, 12); // half way: the mean of 1 and the floor
    expect(scheduleFactor(cosine, 100)).toBeCloseTo(0.1, 12);
    expect(scheduleFactor(cosine, 1000)).toBeCloseTo(0.1, 12);
    expect(scheduleFactor(linear, 3)).toBeCloseTo(0.7, 12);
    expect(scheduleFactor(linear, 10)).toBe(0);
    for (const s of [cosine, linear]) {
      const f = Array.from({ length: 120 }, (_, i) => scheduleFactor(s, i + 1));
      expect(f.every((x, i) => i === 0 || x <= f[i - 1]!)).toBe(true);
      expect(f[0]).toBeLessThan(1);
      expect(f[0]).toBeGreaterThanOrEqual(0.9);
    }
    // Negative control: a schedule that rises is caught by the same check.
    const rising = Array.from({ length: 5 }, (_, i) => 1 - scheduleFactor(linear, i + 1));
    expect(rising.every((x, i) => i === 0 || x <= rising[i - 1]!)).toBe(false);
  });

  it("a schedule's numbers are checked: γ in (0, 1], the floor in [0, 1]", () => {
    expect(scheduleErrors({ kind: 'exponential', gamma: 0 })).toEqual(['schedule.gamma: expected a number in (0, 1], found 0']);
    expect(scheduleErrors({ kind: 'exponential', gamma: 1.5 })).toHaveLength(1);
    expect(scheduleErrors({ kind: 'cosine', floor: -0.1, totalSteps: 3 })[0]).toMatch(/schedule\.floor: expected a number in \[0, 1\]/);
    expect(scheduleErrors({ kind: 'exponential', gamma: 1 })).toEqual([]);
    expect(scheduleErrors(cosine)).toEqual([]);
  });
});

describe('the length of a time-bounded schedule', () => {
  const uniform = (n: number, ms: number) => Array.from({ length: n }, (_, i) => 1000 + i * ms);

  it('is not fixed before 3 steps, nor before 5% of the limit has passed', () => {
    expect(estimateTotalSteps({ marks: uniform(2, 100), elapsedSeconds: 100, limitSeconds: 100, step: 2, maxSteps: 1e9 })).toBeUndefined();
    expect(estimateTotalSteps({ marks: uniform(500, 10), elapsedSeconds: 4.9, limitSeconds: 100, step: 500, maxSteps: 1e9 })).toBeUndefined();
    expect(estimateTotalSteps({ marks: uniform(3, 10), elapsedSeconds: 5, limitSeconds: 100, step: 3, maxSteps: 1e9 })).toBeDefined();
  });

  it('is the step the limit allows at the measured period (95% of the limit), capped by --steps, never behind', () => {
    // 50 steps 100 ms apart after 5 s of a 100 s limit: (0.95·100 − 5) s / 0.1 s = 900 more steps.
    const timing = { marks: uniform(50, 100), elapsedSeconds: 5, limitSeconds: 100, step: 50, maxSteps: 1e9 };
    expect(estimateTotalSteps(timing)).toBe(950);
    expect(estimateTotalSteps({ ...timing, maxSteps: 300 })).toBe(300);
    expect(estimateTotalSteps({ ...timing, elapsedSeconds: 120 })).toBe(50);
    // A resumed run counts from its own step.
    expect(estimateTotalSteps({ ...timing, step: 1050 })).toBe(1950);
    // Negative control: a slower period gives fewer steps.
    expect(estimateTotalSteps({ ...timing, marks: uniform(50, 200) })).toBe(500);
  });

  it('once fixed, is recorded with the step it was fixed at and no longer estimated', () => {
    expect(needsEstimate(cosine)).toBe(true);
    const fixed = fixLength(cosine, 577, 20);
    expect(fixed).toEqual({ kind: 'cosine', floor: 0.1, totalSteps: 577, fixedAt: 20 });
    expect(needsEstimate(fixed)).toBe(false);
    expect(needsEstimate({ kind: 'exponential', gamma: 0.99 })).toBe(false);
    expect(needsEstimate(undefined)).toBe(false);
  });
});

describe('the public API', () => {
  it('exports the schedule and the weight average beside the optimizers', async () => {
    const api = await import('../../index.js');
    const ema = await import('./ema.js');
    expect(api.scheduleFactor).toBe(scheduleFactor);
    expect(api.emaDecayAt).toBe(ema.emaDecayAt);
    expect(api.PAPER_LR_DECAY).toBe(0.999995);
    expect(api.PAPER_EMA_DECAY).toBe(0.9995);
    expect(typeof api.modelWeights).toBe('function');
  });
});
