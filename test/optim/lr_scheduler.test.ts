// Learning-rate schedulers against PyTorch 1.13: lr of every group after construction and
// after each of ~30 steps (and momentum / beta1 for OneCycleLR), plus state round trips and
// errors. The schedules are computed in double as PyTorch computes them, so the tolerance is
// tight (relative 1e-12), not the float32 TOL.value.
import { describe, expect, it } from 'vitest';
import { optim, zeros, type Tensor } from '../../lib/index';
import { fixtureFile } from '../helpers/fixtures';

const LR_TOL = 1e-12;

interface SchedCase {
  name: string;
  scheduler: string;
  options: Record<string, unknown>;
  optimizer: 'SGD' | 'Adam';
  optimizerOptions: Record<string, unknown>;
  lrs: number[];
  steps: number;
  expectedLr: number[][];
  expectedMomentum: (number | null)[][];
  metrics?: number[];
}

type Sched = { step(metric?: number): void; getLastLr(): number[]; stateDict(): Record<string, unknown>; loadStateDict(s: Record<string, unknown>): void };
type SchedCtor = new (opt: optim.Optimizer, options: Record<string, unknown>) => Sched;
const SCHEDULERS: Record<string, SchedCtor> = {
  StepLR: optim.StepLR as unknown as SchedCtor,
  MultiStepLR: optim.MultiStepLR as unknown as SchedCtor,
  ExponentialLR: optim.ExponentialLR as unknown as SchedCtor,
  CosineAnnealingLR: optim.CosineAnnealingLR as unknown as SchedCtor,
  LinearLR: optim.LinearLR as unknown as SchedCtor,
  OneCycleLR: optim.OneCycleLR as unknown as SchedCtor,
  ReduceLROnPlateau: optim.ReduceLROnPlateau as unknown as SchedCtor,
};

function makeOptimizer(c: SchedCase): optim.Optimizer {
  const groups = c.lrs.map((lr) => ({ params: [zeros([2], { requiresGrad: true })], lr }));
  if (c.optimizer === 'SGD') return new optim.SGD(groups, { lr: 1, momentum: 0.9 });
  return new optim.Adam(groups);
}

function momentumOf(opt: optim.Optimizer): number[] {
  return opt.paramGroups.map((g) =>
    Array.isArray(g.betas) ? (g.betas as number[])[0] : (g.momentum as number));
}

function expectLr(got: number[], want: (number | null)[], where: string): void {
  expect(got.length, where).toBe(want.length);
  got.forEach((v, i) => {
    const w = want[i] as number;
    expect(Math.abs(v - w) <= LR_TOL * Math.abs(w), `${where} group ${i}: ${v} vs ${w}`).toBe(true);
  });
}

const cases = (fixtureFile('optim/schedulers') as { cases: SchedCase[] }).cases;

describe('lr schedulers match PyTorch', () => {
  for (const c of cases) {
    it(`${c.name}: lr per step over ${c.steps} steps`, () => {
      const opt = makeOptimizer(c);
      const sched = new SCHEDULERS[c.scheduler](opt, c.options);
      const check = (s: number) => {
        expectLr(opt.paramGroups.map((g) => g.lr), c.expectedLr[s], `step ${s}`);
        if (c.scheduler !== 'ReduceLROnPlateau' || s > 0) {
          expectLr(sched.getLastLr(), c.expectedLr[s], `getLastLr at step ${s}`);
        }
        if (c.scheduler === 'OneCycleLR') expectLr(momentumOf(opt), c.expectedMomentum[s], `momentum at step ${s}`);
      };
      check(0);
      for (let s = 0; s < c.steps; ++s) {
        opt.step();
        sched.step(c.metrics?.[s]);
        check(s + 1);
      }
    });

    it(`${c.name}: stateDict at step 12 restores the rest of the schedule`, () => {
      const opt = makeOptimizer(c);
      const sched = new SCHEDULERS[c.scheduler](opt, c.options);
      for (let s = 0; s < 12; ++s) sched.step(c.metrics?.[s]);
      const saved = sched.stateDict();
      const savedOpt = opt.stateDict();
      // resume as in PyTorch: build both, then load both
      const opt2 = makeOptimizer(c);
      const sched2 = new SCHEDULERS[c.scheduler](opt2, c.options);
      opt2.loadStateDict(savedOpt);
      sched2.loadStateDict(saved);
      for (let s = 12; s < c.steps; ++s) {
        sched2.step(c.metrics?.[s]);
        expectLr(opt2.paramGroups.map((g) => g.lr), c.expectedLr[s + 1], `step ${s + 1}`);
      }
    });
  }
});

describe('lr scheduler errors', () => {
  const sgd = () => new optim.SGD([zeros([2], { requiresGrad: true }) as Tensor], { lr: 0.1 });
  it('StepLR names a bad stepSize', () => {
    expect(() => new optim.StepLR(sgd(), { stepSize: 0 })).toThrow(/StepLR: stepSize must be an integer > 0, got 0/);
  });
  it('schedulers refuse something that is not an optimizer', () => {
    expect(() => new optim.ExponentialLR({} as optim.Optimizer, { gamma: 0.9 }))
      .toThrow(/ExponentialLR: optimizer must be an Optimizer/);
  });
  it('LinearLR names a startFactor out of (0, 1]', () => {
    expect(() => new optim.LinearLR(sgd(), { startFactor: 1.5 })).toThrow(/LinearLR: startFactor must be in \(0, 1\], got 1.5/);
  });
  it('OneCycleLR throws when stepped past totalSteps', () => {
    const s = new optim.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 3 });
    s.step();
    s.step();
    s.step();
    expect(() => s.step()).toThrow(/OneCycleLR: step must be called at most totalSteps = 3 times/);
  });
  it('OneCycleLR needs totalSteps or epochs and stepsPerEpoch', () => {
    expect(() => new optim.OneCycleLR(sgd(), { maxLr: 1 })).toThrow(/OneCycleLR: totalSteps, or epochs and stepsPerEpoch, must be given/);
  });
  it('OneCycleLR with cycleMomentum needs momentum or betas', () => {
    const ada = new optim.Adagrad([zeros([2], { requiresGrad: true })]);
    expect(() => new optim.OneCycleLR(ada, { maxLr: 1, totalSteps: 10 })).toThrow(/OneCycleLR: optimizer must have momentum or betas/);
  });
  it('ReduceLROnPlateau names a factor >= 1 and a bad mode', () => {
    expect(() => new optim.ReduceLROnPlateau(sgd(), { factor: 1 })).toThrow(/ReduceLROnPlateau: factor must be < 1, got 1/);
    expect(() => new optim.ReduceLROnPlateau(sgd(), { mode: 'up' as 'min' })).toThrow(/ReduceLROnPlateau: mode must be 'min' or 'max', got up/);
  });
  it('resuming (lastEpoch >= 0) needs initialLr in every group', () => {
    expect(() => new optim.StepLR(sgd(), { stepSize: 2, lastEpoch: 4 })).toThrow(/StepLR: paramGroups\[0\].initialLr must be set/);
  });
});
