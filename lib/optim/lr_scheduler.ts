// Learning-rate schedulers, as torch.optim.lr_scheduler in PyTorch 1.13: StepLR, MultiStepLR,
// ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR (with momentum cycling) and
// ReduceLROnPlateau. Each get_lr is PyTorch's chainable form, operation for operation in
// double precision, so the learning rates equal PyTorch's. Call step() after optimizer.step().
import type { Tensor } from '../tensor';
import { Optimizer, type OptimizerOptions, type ParamGroup } from './optimizer';

type AnyOptimizer = Optimizer<OptimizerOptions>;

function checkOptimizer(fn: string, optimizer: unknown): void {
  if (!(optimizer instanceof Optimizer)) {
    throw new TypeError(`${fn}: optimizer must be an Optimizer, got ${String(optimizer)}`);
  }
}

function checkPositiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new RangeError(`${fn}: ${name} must be an integer > 0, got ${String(v)}`);
  }
  return v;
}

function checkFinite(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new RangeError(`${fn}: ${name} must be a finite number, got ${String(v)}`);
  }
  return v;
}

/** One value per parameter group: a number for all, or an array as long as the groups. */
function perGroup(fn: string, name: string, optimizer: AnyOptimizer, v: number | number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(v)) {
    if (v.length !== n) throw new RangeError(`${fn}: ${name} must have ${n} values, got ${v.length}`);
    return [...v];
  }
  return new Array<number>(n).fill(v);
}

function copyState(v: unknown): unknown {
  return Array.isArray(v) ? v.map(copyState) : v;
}

/**
 * Base of the epoch-indexed schedulers. On construction it records each group's `initialLr`
 * (when lastEpoch is -1) and takes step 0, which sets the first learning rate.
 */
export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** The index of the last step taken (0 after construction). */
  lastEpoch: number;
  baseLrs: number[];
  protected stepCount = 0;
  protected lastLr: number[] = [];

  constructor(optimizer: AnyOptimizer, lastEpoch = -1) {
    const fn = this.constructor.name;
    checkOptimizer(fn, optimizer);
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) {
      throw new RangeError(`${fn}: lastEpoch must be an integer >= -1, got ${lastEpoch}`);
    }
    this.optimizer = optimizer;
    optimizer.paramGroups.forEach((g, i) => {
      if (lastEpoch === -1) {
        if (g.initialLr === undefined) g.initialLr = g.lr;
      } else if (g.initialLr === undefined) {
        throw new RangeError(
          `${fn}: paramGroups[${i}].initialLr must be set when resuming (lastEpoch = ${lastEpoch})`,
        );
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** Subclasses call this at the end of their constructor (PyTorch's _initial_step). */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The learning rates for lastEpoch, from the current ones (the chainable form). */
  protected abstract getLr(): number[];

  /** Advances one epoch (or one batch, for OneCycleLR) and sets each group's lr. */
  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    const values = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates set by the last step, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Every field except the optimizer (as PyTorch), camelCase. */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (k !== 'optimizer') out[k] = copyState(v);
    return out;
  }

  loadStateDict(state: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(state)) {
      if (k !== 'optimizer') (this as Record<string, unknown>)[k] = copyState(v);
    }
  }
}

export interface StepLROptions {
  /** Period of the decay, in epochs. */
  stepSize: number;
  /** Multiplicative factor (default 0.1). */
  gamma?: number;
  lastEpoch?: number;
}

/**
 * Multiplies each group's lr by gamma every stepSize epochs: lr = lr0 · γ^⌊epoch/stepSize⌋.
 * @example
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 100; ++epoch) { train(); sched.step(); }
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: AnyOptimizer, options: StepLROptions) {
    super(optimizer, options?.lastEpoch ?? -1);
    this.stepSize = checkPositiveInt('StepLR', 'stepSize', options.stepSize);
    this.gamma = checkFinite('StepLR', 'gamma', options.gamma ?? 0.1);
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
}

export interface MultiStepLROptions {
  /** Epochs at which to decay (a milestone listed k times decays by γ^k). */
  milestones: number[];
  /** Multiplicative factor (default 0.1). */
  gamma?: number;
  lastEpoch?: number;
}

/** Multiplies each group's lr by gamma at each milestone epoch. */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;
  constructor(optimizer: AnyOptimizer, options: MultiStepLROptions) {
    super(optimizer, options?.lastEpoch ?? -1);
    if (!Array.isArray(options.milestones) || !options.milestones.every((m) => Number.isInteger(m))) {
      throw new TypeError(`MultiStepLR: milestones must be an array of integers, got ${String(options.milestones)}`);
    }
    this.milestones = [...options.milestones].sort((a, b) => a - b);
    this.gamma = checkFinite('MultiStepLR', 'gamma', options.gamma ?? 0.1);
    this.initialStep();
  }
  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    const groups = this.optimizer.paramGroups;
    if (count === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma ** count);
  }
}

export interface ExponentialLROptions {
  /** Multiplicative factor per epoch. */
  gamma: number;
  lastEpoch?: number;
}

/** Multiplies each group's lr by gamma every epoch: lr = lr0 · γ^epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: AnyOptimizer, options: ExponentialLROptions) {
    super(optimizer, options?.lastEpoch ?? -1);
    this.gamma = checkFinite('ExponentialLR', 'gamma', options.gamma);
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
}

export interface CosineAnnealingLROptions {
  /** Half-period in epochs (T_max). */
  tMax: number;
  /** Smallest lr (default 0). */
  etaMin?: number;
  lastEpoch?: number;
}

/**
 * Cosine annealing (SGDR without restarts):
 * lr = ηmin + (lr0 − ηmin)·(1 + cos(π·epoch/T_max))/2, continuing as a cosine past T_max.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: AnyOptimizer, options: CosineAnnealingLROptions) {
    super(optimizer, options?.lastEpoch ?? -1);
    this.tMax = checkPositiveInt('CosineAnnealingLR', 'tMax', options.tMax);
    this.etaMin = checkFinite('CosineAnnealingLR', 'etaMin', options.etaMin ?? 0);
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    const e = this.lastEpoch;
    const T = this.tMax;
    const eta = this.etaMin;
    if (e === 0) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => eta + (b - eta) * (1 + Math.cos((e * Math.PI) / T)) / 2);
    }
    if ((((e - 1 - T) % (2 * T)) + 2 * T) % (2 * T) === 0) {
      return groups.map((g, i) => g.lr + (this.baseLrs[i] - eta) * (1 - Math.cos(Math.PI / T)) / 2);
    }
    return groups.map(
      (g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) *
        (g.lr - eta) + eta,
    );
  }
}

export interface LinearLROptions {
  /** Factor of the first epoch's lr, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor reached after totalIters epochs, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the ramp (default 5). */
  totalIters?: number;
  lastEpoch?: number;
}

/**
 * Linear warm-up (or decay) of the lr factor from startFactor to endFactor over totalIters
 * epochs: lr = lr0·(s + (e − s)·min(epoch, T)/T).
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: AnyOptimizer, options: LinearLROptions = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    const fn = 'LinearLR';
    this.startFactor = checkFinite(fn, 'startFactor', options.startFactor ?? 1 / 3);
    this.endFactor = checkFinite(fn, 'endFactor', options.endFactor ?? 1);
    this.totalIters = checkPositiveInt(fn, 'totalIters', options.totalIters ?? 5);
    if (!(this.startFactor > 0 && this.startFactor <= 1)) {
      throw new RangeError(`${fn}: startFactor must be in (0, 1], got ${this.startFactor}`);
    }
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) {
      throw new RangeError(`${fn}: endFactor must be in [0, 1], got ${this.endFactor}`);
    }
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    const { startFactor: s, endFactor: e, totalIters: T } = this;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * s);
    if (this.lastEpoch > T) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (e - s) / (T * s + (this.lastEpoch - 1) * (e - s))));
  }
}

export interface OneCycleLROptions {
  /** Peak lr, for all groups or one per group. */
  maxLr: number | number[];
  /** Number of steps in the cycle; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD/RMSprop `momentum`, Adam-family `betas[0]`) inversely to the lr
   *  (default true). */
  cycleMomentum?: boolean;
  /** Lowest momentum (default 0.85). */
  baseMomentum?: number | number[];
  /** Highest momentum (default 0.95). */
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Anneal back to initialLr before annealing to minLr (fast.ai style; default false). */
  threePhase?: boolean;
  lastEpoch?: number;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * The 1cycle policy (Smith & Topor, 2017), stepped once per batch: lr rises from
 * maxLr/divFactor to maxLr over pctStart of the steps, then anneals to
 * initialLr/finalDivFactor; momentum cycles the other way between maxMomentum and
 * baseMomentum. Stepping past totalSteps throws.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1: boolean;
  schedulePhases: Phase[];

  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    const fn = 'OneCycleLR';
    checkOptimizer(fn, optimizer);
    // PyTorch sets the groups' lr keys before the base constructor reads initialLr
    const o = options;
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      totalSteps = checkPositiveInt(fn, 'totalSteps', o.totalSteps);
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      totalSteps = checkPositiveInt(fn, 'epochs', o.epochs) *
        checkPositiveInt(fn, 'stepsPerEpoch', o.stepsPerEpoch);
    } else {
      throw new TypeError(`${fn}: totalSteps, or epochs and stepsPerEpoch, must be given`);
    }
    const pctStart = o.pctStart ?? 0.3;
    if (typeof pctStart !== 'number' || !(pctStart >= 0 && pctStart <= 1)) {
      throw new RangeError(`${fn}: pctStart must be in [0, 1], got ${String(pctStart)}`);
    }
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') {
      throw new RangeError(`${fn}: annealStrategy must be 'cos' or 'linear', got ${String(anneal)}`);
    }
    const divFactor = checkFinite(fn, 'divFactor', o.divFactor ?? 25);
    const finalDivFactor = checkFinite(fn, 'finalDivFactor', o.finalDivFactor ?? 1e4);
    const lastEpoch = o.lastEpoch ?? -1;
    const groups = optimizer.paramGroups as ParamGroup[];
    const maxLrs = perGroup(fn, 'maxLr', optimizer, o.maxLr);
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = (g.initialLr as number) / finalDivFactor;
      });
    }
    const cycleMomentum = o.cycleMomentum ?? true;
    let useBeta1 = false;
    if (cycleMomentum) {
      const d = optimizer.defaults as unknown as Record<string, unknown>;
      if (!('momentum' in d) && !('betas' in d)) {
        throw new TypeError(`${fn}: optimizer must have momentum or betas when cycleMomentum is true`);
      }
      useBeta1 = 'betas' in d;
      const maxM = perGroup(fn, 'maxMomentum', optimizer, o.maxMomentum ?? 0.95);
      const baseM = perGroup(fn, 'baseMomentum', optimizer, o.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i], (g.betas as number[])[1]];
          else g.momentum = maxM[i];
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    super(optimizer, lastEpoch);
    this.totalSteps = totalSteps;
    this.annealStrategy = anneal;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    const T = totalSteps;
    this.schedulePhases = o.threePhase
      ? [
          { endStep: pctStart * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pctStart * T - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: T - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pctStart * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: T - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new RangeError(
        `OneCycleLR: step must be called at most totalSteps = ${this.totalSteps} times, got ` +
          `call ${step + 1}`,
      );
    }
    const phases = this.schedulePhases;
    return (this.optimizer.paramGroups as ParamGroup[]).map((g) => {
      let start = 0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < phases.length; ++i) {
        const ph = phases[i];
        if (step <= ph.endStep || i === phases.length - 1) {
          const pct = (step - start) / (ph.endStep - start);
          lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) {
            momentum = this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
          }
          break;
        }
        start = ph.endStep;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [momentum, (g.betas as number[])[1]];
        else g.momentum = momentum;
      }
      return lr;
    });
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min' (default): reduce when the metric stops falling; 'max': stops rising. */
  mode?: 'min' | 'max';
  /** lr ← lr·factor on a reduction, < 1 (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than eps are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the lr by `factor` when a metric has stopped improving for `patience` epochs.
 * step(metric) takes the epoch's metric (a number or a one-element tensor).
 */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  factor: number;
  minLrs: number[];
  patience: number;
  cooldown: number;
  cooldownCounter = 0;
  mode: 'min' | 'max';
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  best: number;
  numBadEpochs = 0;
  eps: number;
  lastEpoch = 0;
  protected lastLr: number[];

  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const fn = 'ReduceLROnPlateau';
    checkOptimizer(fn, optimizer);
    this.optimizer = optimizer;
    this.factor = checkFinite(fn, 'factor', options.factor ?? 0.1);
    if (this.factor >= 1) throw new RangeError(`${fn}: factor must be < 1, got ${this.factor}`);
    this.minLrs = perGroup(fn, 'minLr', optimizer, options.minLr ?? 0);
    this.patience = options.patience ?? 10;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new RangeError(`${fn}: patience must be an integer >= 0, got ${this.patience}`);
    }
    this.cooldown = options.cooldown ?? 0;
    if (!Number.isInteger(this.cooldown) || this.cooldown < 0) {
      throw new RangeError(`${fn}: cooldown must be an integer >= 0, got ${this.cooldown}`);
    }
    this.mode = options.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') {
      throw new RangeError(`${fn}: mode must be 'min' or 'max', got ${String(this.mode)}`);
    }
    this.thresholdMode = options.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new RangeError(`${fn}: thresholdMode must be 'rel' or 'abs', got ${String(this.thresholdMode)}`);
    }
    this.threshold = checkFinite(fn, 'threshold', options.threshold ?? 1e-4);
    this.eps = checkFinite(fn, 'eps', options.eps ?? 1e-8);
    this.best = this.modeWorse;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private get modeWorse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  /** True while waiting after a reduction. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Records one epoch's metric and reduces the lr when it has plateaued. */
  step(metric: number | Tensor): void {
    const current = typeof metric === 'number' ? metric : Number(metric.item());
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const oldLr = g.lr;
        const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
        if (oldLr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (k !== 'optimizer') out[k] = copyState(v);
    return out;
  }

  loadStateDict(state: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(state)) {
      if (k !== 'optimizer') (this as Record<string, unknown>)[k] = copyState(v);
    }
  }
}
