// Normalisation layers: BatchNorm1d, BatchNorm2d, LayerNorm and GroupNorm, as their torch.nn
// namesakes (same parameter and buffer names, shapes and initial values). The math is in
// lib/ops/norm.ts.
import { batchNorm, groupNorm, layerNorm } from '../ops/norm';
import { formatShape } from '../shape';
import { ones, Tensor, zeros } from '../tensor';
import { Module } from './module';
import { Parameter } from './parameter';

export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1); null for a cumulative
   *  average over all batches seen. */
  momentum?: number | null;
  /** Learn a per-channel weight (init 1) and bias (init 0); default true. */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them evaluation uses
   *  batch statistics too. */
  trackRunningStats?: boolean;
}

function checkCount(fn: string, arg: string, v: unknown, min = 1): number {
  if (!Number.isInteger(v) || (v as number) < min) {
    throw new RangeError(`${fn}: ${arg} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v as number;
}

function checkEps(fn: string, eps: unknown): number {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new RangeError(`${fn}: eps must be a finite number >= 0, got ${String(eps)}`);
  }
  return eps;
}

abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    const fn = this.constructor.name;
    this.numFeatures = checkCount(fn, 'numFeatures', numFeatures);
    this.eps = checkEps(fn, options.eps ?? 1e-5);
    const momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (momentum !== null && (typeof momentum !== 'number' || !Number.isFinite(momentum))) {
      throw new RangeError(`${fn}: momentum must be a finite number or null, got ${String(momentum)}`);
    }
    this.momentum = momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const C = numFeatures;
    this.weight = this.registerParameter('weight', this.affine ? new Parameter(ones([C])) : null);
    this.bias = this.registerParameter('bias', this.affine ? new Parameter(zeros([C])) : null);
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([C]));
      this.registerBuffer('running_var', ones([C]));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32' }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
  }

  /** Running mean 0, variance 1, no batches tracked. */
  resetRunningStats(): void {
    this.running_mean?.data.fill(0);
    this.running_var?.data.fill(1);
    this.num_batches_tracked?.data.fill(0);
  }

  resetParameters(): void {
    this.resetRunningStats();
    this.weight?.data.fill(1);
    this.bias?.data.fill(0);
  }

  /** Throws unless x has an accepted rank and C = numFeatures. */
  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      this.num_batches_tracked.data[0] += 1;
      if (this.momentum === null) factor = 1 / this.num_batches_tracked.data[0];
    }
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(
      x,
      useRunning ? this.running_mean : null,
      useRunning ? this.running_var : null,
      this.weight,
      this.bias,
      { training: this.training || this.running_mean === null, momentum: factor, eps: this.eps },
    );
  }

  override extraRepr(): string {
    return (
      `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, ` +
      `trackRunningStats=${this.trackRunningStats}`
    );
  }
}

/**
 * Batch normalisation over [N, C] or [N, C, L], as torch.nn.BatchNorm1d: per channel,
 * y = (x − mean) / sqrt(var + eps) · weight + bias, with batch statistics in training (and
 * running statistics updated) and running statistics after eval().
 * Shape: [N, C] or [N, C, L] -> same.
 * Parameters: weight [C] = 1, bias [C] = 0 (when affine). Buffers: running_mean [C] = 0,
 * running_var [C] = 1, num_batches_tracked [] int32 = 0 (when trackRunningStats).
 */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (!(x instanceof Tensor) || (x.ndim !== 2 && x.ndim !== 3) || x.shape[1] !== this.numFeatures) {
      throw new RangeError(
        `BatchNorm1d: input must be [N, C] or [N, C, L] with C = ${this.numFeatures}, got ` +
          `${x instanceof Tensor ? formatShape(x.shape) : typeof x}`,
      );
    }
  }
}

/**
 * Batch normalisation over [N, C, H, W], as torch.nn.BatchNorm2d (see BatchNorm1d).
 * Shape: [N, C, H, W] -> same.
 */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (!(x instanceof Tensor) || x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw new RangeError(
        `BatchNorm2d: input must be [N, C, H, W] with C = ${this.numFeatures}, got ` +
          `${x instanceof Tensor ? formatShape(x.shape) : typeof x}`,
      );
    }
  }
}

export interface LayerNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learn weight (init 1) and bias (init 0) of normalizedShape; default true. */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalisation over the last dims, as torch.nn.LayerNorm.
 * Shape: [*, ...normalizedShape] -> same.
 * Parameters: weight = 1 and bias = 0, both of normalizedShape (when elementwiseAffine).
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(normalizedShape: number | number[], options: LayerNormOptions = {}) {
    super();
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(ns) || ns.length === 0 || !ns.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new RangeError(
        `LayerNorm: normalizedShape must be an integer >= 0 or a non-empty array of them, got ${JSON.stringify(normalizedShape)}`,
      );
    }
    this.normalizedShape = Object.freeze([...ns]);
    this.eps = checkEps('LayerNorm', options.eps ?? 1e-5);
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.registerParameter('weight', this.elementwiseAffine ? new Parameter(ones([...ns])) : null);
    this.bias = this.registerParameter('bias', this.elementwiseAffine ? new Parameter(zeros([...ns])) : null);
  }

  resetParameters(): void {
    this.weight?.data.fill(1);
    this.bias?.data.fill(0);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, [...this.normalizedShape], this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

export interface GroupNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learn a per-channel weight (init 1) and bias (init 0); default true. */
  affine?: boolean;
}

/**
 * Group normalisation, as torch.nn.GroupNorm: channels split into numGroups groups, each
 * normalised per sample over its channels and the spatial dims.
 * Shape: [N, C, *] -> same, C = numChannels divisible by numGroups.
 * Parameters: weight [C] = 1, bias [C] = 0 (when affine).
 */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    this.numGroups = checkCount('GroupNorm', 'numGroups', numGroups);
    this.numChannels = checkCount('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) {
      throw new RangeError(`GroupNorm: numGroups must divide numChannels = ${numChannels}, got ${numGroups}`);
    }
    this.eps = checkEps('GroupNorm', options.eps ?? 1e-5);
    this.affine = options.affine ?? true;
    this.weight = this.registerParameter('weight', this.affine ? new Parameter(ones([numChannels])) : null);
    this.bias = this.registerParameter('bias', this.affine ? new Parameter(zeros([numChannels])) : null);
  }

  resetParameters(): void {
    this.weight?.data.fill(1);
    this.bias?.data.fill(0);
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new RangeError(
        `GroupNorm: input must be [N, C, *] with C = ${this.numChannels}, got ` +
          `${x instanceof Tensor ? formatShape(x.shape) : typeof x}`,
      );
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}
