// Loss functions and their module forms, as torch.nn.functional and torch.nn (PyTorch 1.13
// formulas, including its weight normalisation, ignore_index and label smoothing rules).
// Each loss is composed from differentiable ops, so gradients come from their rules;
// cross-entropy is log-softmax (one fused native kernel) followed by a gather.
import { noGrad } from '../autograd/grad_mode';
import { logSoftmax, softplus } from '../ops/activation';
import {
  abs, add, cast, checkTensor, clamp, div, eq, exp, gt, log, lt, mul, ne, neg, sqrt, square,
  sub, where,
} from '../ops/elementwise';
import { gather } from '../ops/index';
import { amax, amin, sum } from '../ops/reduce';
import { reshape, unsqueeze } from '../ops/shape';
import { broadcastShapes, formatShape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { Module } from './module';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** 'mean' (default) averages the per-element losses, 'sum' adds them, 'none' keeps them. */
  reduction?: Reduction;
}

// --- shared checks --------------------------------------------------------------------------

function reductionOf(fn: string, r: unknown, batchmean = false): Reduction | 'batchmean' {
  const v = r ?? 'mean';
  if (v === 'mean' || v === 'sum' || v === 'none' || (batchmean && v === 'batchmean')) return v;
  const allowed = batchmean ? "'mean', 'batchmean', 'sum' or 'none'" : "'mean', 'sum' or 'none'";
  throw new RangeError(`${fn}: reduction must be ${allowed}, got ${JSON.stringify(r)}`);
}

function reduce(l: Tensor, reduction: Reduction | 'batchmean'): Tensor {
  if (reduction === 'none') return l;
  if (reduction === 'sum') return sum(l);
  if (reduction === 'batchmean') return div(sum(l), l.ndim === 0 ? 1 : l.shape[0]);
  return div(sum(l), l.size);
}

function float(x: Tensor): Tensor {
  return x.dtype === 'float32' ? x : cast(x, 'float32');
}

function checkSameShape(fn: string, input: Tensor, target: Tensor, arg = 'target'): void {
  if (!shapesEqual(input.shape, target.shape)) {
    throw new RangeError(
      `${fn}: ${arg} must have the input's shape ${formatShape(input.shape)}, got ${formatShape(target.shape)}`,
    );
  }
}

function checkNumber(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new RangeError(`${fn}: ${arg} must be a number, got ${String(v)}`);
  }
  return v;
}

function checkBroadcast(fn: string, arg: string, t: Tensor, shape: readonly number[]): void {
  let ok = true;
  try {
    ok = shapesEqual(broadcastShapes(fn, t.shape, shape), shape);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new RangeError(
      `${fn}: ${arg} must broadcast to the input's shape ${formatShape(shape)}, got ${formatShape(t.shape)}`,
    );
  }
}

/** A [C] weight checked, as float32. */
function classWeight(fn: string, weight: Tensor | null | undefined, C: number): Tensor | null {
  if (weight == null) return null;
  checkTensor(fn, 'weight', weight);
  if (weight.ndim !== 1 || weight.shape[0] !== C) {
    throw new RangeError(`${fn}: weight must be [C] with C = ${C}, got ${formatShape(weight.shape)}`);
  }
  return float(weight);
}

// --- regression -----------------------------------------------------------------------------

/**
 * Mean squared error, (input - target)², as torch.nn.functional.mse_loss.
 * Shape: input and target of the same shape; a scalar, or that shape with reduction 'none'.
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const fn = 'mseLoss';
  const reduction = reductionOf(fn, options.reduction);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'target', target);
  checkSameShape(fn, input, target);
  return reduce(square(sub(float(input), float(target))), reduction);
}

/** Mean absolute error, |input - target|, as torch.nn.functional.l1_loss. */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const fn = 'l1Loss';
  const reduction = reductionOf(fn, options.reduction);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'target', target);
  checkSameShape(fn, input, target);
  return reduce(abs(sub(float(input), float(target))), reduction);
}

export interface SmoothL1Options extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1; 0 gives l1Loss). */
  beta?: number;
}

/**
 * 0.5·z²/beta for z = |input - target| < beta, z - 0.5·beta otherwise, as
 * torch.nn.functional.smooth_l1_loss.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1Options = {}): Tensor {
  const fn = 'smoothL1Loss';
  const reduction = reductionOf(fn, options.reduction);
  const beta = checkNumber(fn, 'beta', options.beta ?? 1);
  if (beta < 0) throw new RangeError(`${fn}: beta must be >= 0, got ${beta}`);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'target', target);
  checkSameShape(fn, input, target);
  const z = abs(sub(float(input), float(target)));
  if (beta === 0) return reduce(z, reduction);
  return reduce(where(lt(z, beta), mul(square(z), 0.5 / beta), sub(z, 0.5 * beta)), reduction);
}

export interface HuberOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1, must be > 0). */
  delta?: number;
}

/**
 * 0.5·z² for z = |input - target| < delta, delta·(z - 0.5·delta) otherwise, as
 * torch.nn.functional.huber_loss.
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  const fn = 'huberLoss';
  const reduction = reductionOf(fn, options.reduction);
  const delta = checkNumber(fn, 'delta', options.delta ?? 1);
  if (!(delta > 0)) throw new RangeError(`${fn}: delta must be > 0, got ${delta}`);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'target', target);
  checkSameShape(fn, input, target);
  const z = abs(sub(float(input), float(target)));
  return reduce(where(lt(z, delta), mul(square(z), 0.5), mul(sub(z, 0.5 * delta), delta)), reduction);
}

// --- classification -------------------------------------------------------------------------

export interface NLLOptions extends LossOptions {
  /** Per-class weights [C]. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing (default -100). */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NLLOptions {
  /** Mixes the target with the uniform distribution: (1 - s)·target + s/C (default 0). */
  labelSmoothing?: number;
}

interface Targets {
  /** Targets with ignored entries replaced by 0, shaped [N, 1, d...] for gather. */
  index: Tensor;
  /** Per-target weight: weight[t] (or 1), 0 where ignored; the target's shape. */
  weights: Tensor;
  /** The sum of `weights`: the divisor of the 'mean' reduction. */
  total: number;
}

/** Validates class indices against C and ignoreIndex; builds gather indices and weights. */
function classTargets(
  fn: string, target: Tensor, C: number, weight: Tensor | null, ignoreIndex: number,
): Targets {
  const t = target.data as Int32Array;
  const idx = new Int32Array(t.length);
  const w = new Float32Array(t.length);
  const wd = weight ? (weight.data as Float32Array) : null;
  let total = 0;
  for (let i = 0; i < t.length; ++i) {
    const c = t[i];
    if (c === ignoreIndex) continue;
    if (c < 0 || c >= C) {
      throw new RangeError(
        `${fn}: target must hold class indices in [0, ${C}) or ignoreIndex ${ignoreIndex}, got ${c} at ${i}`,
      );
    }
    idx[i] = c;
    w[i] = wd ? wd[c] : 1;
    total += w[i];
  }
  const gatherShape = [target.shape[0], 1, ...target.shape.slice(1)];
  return {
    index: new Tensor(idx, gatherShape),
    weights: new Tensor(w, target.shape),
    total,
  };
}

/** Splits a [C] (unbatched) input into [1, C]; returns the batched input and target. */
function batched(input: Tensor, target: Tensor, probs: boolean): [Tensor, Tensor] {
  if (input.ndim !== 1) return [input, target];
  return [unsqueeze(input, 0), probs ? unsqueeze(target, 0) : reshape(target, [1])];
}

function checkIndexTarget(fn: string, input: Tensor, target: Tensor, alsoProbs: boolean): void {
  const want = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  const isInt = target.dtype === 'int32';
  if (!isInt || !shapesEqual(target.shape, want)) {
    const probs = alsoProbs ? ` or probabilities (float32) of the input's shape ${formatShape(input.shape)}` : '';
    throw new RangeError(
      `${fn}: target must be class indices (int32) of shape ${formatShape(want)}${probs}, ` +
        `got ${target.dtype} ${formatShape(target.shape)}`,
    );
  }
}

function checkIgnoreIndex(fn: string, v: unknown): number {
  if (!Number.isInteger(v)) throw new RangeError(`${fn}: ignoreIndex must be an integer, got ${String(v)}`);
  return v as number;
}

function checkClassInput(fn: string, input: Tensor): void {
  checkTensor(fn, 'input', input);
  if (input.ndim < 1) {
    throw new RangeError(`${fn}: input must be [N, C], [N, C, d1, ...] or [C], got shape []`);
  }
}

/** -weight[t]·logp[t] per target on a batched [N, C, d...] input; ignored targets give 0. */
function nllCore(logp: Tensor, t: Targets, reduction: Reduction, targetShape: readonly number[]): Tensor {
  const picked = reshape(gather(logp, 1, t.index), [...targetShape]);
  const l = neg(mul(picked, t.weights));
  if (reduction === 'none') return l;
  if (reduction === 'sum') return sum(l);
  return div(sum(l), t.total);
}

/**
 * Negative log likelihood of class indices under log-probabilities, as
 * torch.nn.functional.nll_loss: loss = -weight[t]·input[n, t]. With 'mean' the sum is
 * divided by the sum of the weights of the targets that are not ignored.
 * Shape: input [N, C] or [N, C, d1, ...] (or [C]), target int32 [N] or [N, d1, ...] (or []).
 * @throws RangeError for class indices outside [0, C) that are not ignoreIndex
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLOptions = {}): Tensor {
  const fn = 'nllLoss';
  const reduction = reductionOf(fn, options.reduction) as Reduction;
  const ignoreIndex = checkIgnoreIndex(fn, options.ignoreIndex ?? -100);
  checkClassInput(fn, input);
  checkTensor(fn, 'target', target);
  checkIndexTarget(fn, input, target, false);
  const C = input.ndim === 1 ? input.shape[0] : input.shape[1];
  const weight = classWeight(fn, options.weight, C);
  const [x, tgt] = batched(float(input), target, false);
  const t = noGrad(() => classTargets(fn, tgt, C, weight, ignoreIndex));
  const out = nllCore(x, t, reduction, tgt.shape);
  return input.ndim === 1 && reduction === 'none' ? reshape(out, []) : out;
}

/**
 * Cross-entropy between logits and targets, as torch.nn.functional.cross_entropy:
 * log-softmax over the class dim, then the NLL of class indices, or -sum(p·logp) for
 * class-probability targets. Options follow PyTorch 1.13: `weight` [C] scales each class
 * (and with class indices, 'mean' divides by the sum of the weights of the non-ignored
 * targets; with probabilities, by N·d1·...); `ignoreIndex` (class indices only) drops
 * targets; `labelSmoothing` s mixes the target with the uniform distribution.
 * Shape: input [N, C] or [N, C, d1, ...] (or [C]); target int32 [N, d1, ...] or float32
 * of the input's shape. Output: a scalar, or [N, d1, ...] with reduction 'none'.
 * @throws RangeError `crossEntropy: target must hold class indices in [0, 10) or ignoreIndex
 *   -100, got 12 at 3`
 * @example crossEntropy(logits, tensor([1, 0, 3], { dtype: 'int32' }))
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const fn = 'crossEntropy';
  const reduction = reductionOf(fn, options.reduction) as Reduction;
  const ignoreIndex = checkIgnoreIndex(fn, options.ignoreIndex ?? -100);
  const ls = checkNumber(fn, 'labelSmoothing', options.labelSmoothing ?? 0);
  if (!(ls >= 0 && ls <= 1)) throw new RangeError(`${fn}: labelSmoothing must be in [0, 1], got ${ls}`);
  checkClassInput(fn, input);
  checkTensor(fn, 'target', target);
  const probs = target.dtype === 'float32' && shapesEqual(target.shape, input.shape);
  if (!probs) checkIndexTarget(fn, input, target, true);
  const C = input.ndim === 1 ? input.shape[0] : input.shape[1];
  const weight = classWeight(fn, options.weight, C);
  const [x, tgt] = batched(float(input), target, probs);
  const logp = logSoftmax(x, 1);
  // weight as [1, C, 1, ...] to broadcast over logp
  const wide = weight ? reshape(weight, [1, C, ...x.shape.slice(2).map(() => 1)]) : null;
  let out: Tensor;
  if (probs) {
    const p = ls > 0 ? add(mul(tgt, 1 - ls), ls / C) : tgt;
    let prod = mul(logp, p);
    if (wide) prod = mul(prod, wide);
    if (reduction === 'none') out = neg(sum(prod, 1));
    else if (reduction === 'sum') out = neg(sum(prod));
    else out = div(neg(sum(prod)), x.size === 0 ? NaN : x.size / C);
  } else {
    const t = noGrad(() => classTargets(fn, tgt, C, weight, ignoreIndex));
    out = nllCore(logp, t, reduction, tgt.shape);
    if (ls > 0) {
      // smooth term: -sum_c w_c·logp_c per target, 0 where ignored (PyTorch's
      // cross_entropy_loss_label_smoothing); 'mean' shares the NLL's divisor
      const kept = noGrad(() => cast(ne(tgt, ignoreIndex), 'float32'));
      let smooth = mul(neg(sum(wide ? mul(logp, wide) : logp, 1)), kept);
      if (reduction === 'sum') smooth = sum(smooth);
      else if (reduction === 'mean') smooth = div(sum(smooth), t.total);
      out = add(mul(out, 1 - ls), mul(smooth, ls / C));
    }
  }
  return input.ndim === 1 && reduction === 'none' ? reshape(out, []) : out;
}

export interface BCEOptions extends LossOptions {
  /** Rescales each element's loss; broadcasts to the input's shape. */
  weight?: Tensor | null;
}

/** log(z) with the result clamped to >= -100 and a finite gradient at z = 0 (as PyTorch). */
function clampedLog(z: Tensor): Tensor {
  const pos = gt(z, 0);
  return where(pos, clamp(log(where(pos, z, 1)), -100, null), -100);
}

/**
 * Binary cross-entropy of probabilities, -w·(t·log(x) + (1 - t)·log(1 - x)), as
 * torch.nn.functional.binary_cross_entropy (each log clamped to >= -100).
 * Shape: input and target of the same shape, input in [0, 1].
 * @throws RangeError when input holds values outside [0, 1]
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCEOptions = {}): Tensor {
  const fn = 'binaryCrossEntropy';
  const reduction = reductionOf(fn, options.reduction);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'target', target);
  checkSameShape(fn, input, target);
  const x = float(input);
  if (x.size > 0) {
    const [lo, hi] = noGrad(() => [amin(x).item() as number, amax(x).item() as number]);
    if (!(lo >= 0 && hi <= 1)) {
      throw new RangeError(`${fn}: input must hold probabilities in [0, 1], got values in [${lo}, ${hi}]`);
    }
  }
  const t = float(target);
  let l = neg(add(mul(t, clampedLog(x)), mul(sub(1, t), clampedLog(sub(1, x)))));
  if (options.weight != null) {
    checkTensor(fn, 'weight', options.weight);
    checkBroadcast(fn, 'weight', options.weight, x.shape);
    l = mul(l, float(options.weight));
  }
  return reduce(l, reduction);
}

export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of the positive class, broadcast over the last dim ([C] for [N, C] input). */
  posWeight?: Tensor | null;
}

/**
 * Sigmoid and binary cross-entropy in one stable formula, as
 * torch.nn.functional.binary_cross_entropy_with_logits:
 * (1 - t)·x + (1 + (posWeight - 1)·t)·softplus(-x), times weight.
 * Shape: input and target of the same shape.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {},
): Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  const reduction = reductionOf(fn, options.reduction);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'target', target);
  checkSameShape(fn, input, target);
  const x = float(input);
  const t = float(target);
  const sp = softplus(neg(x));
  let l: Tensor;
  if (options.posWeight != null) {
    checkTensor(fn, 'posWeight', options.posWeight);
    checkBroadcast(fn, 'posWeight', options.posWeight, x.shape);
    const lw = add(mul(sub(float(options.posWeight), 1), t), 1);
    l = add(mul(sub(1, t), x), mul(lw, sp));
  } else {
    l = add(mul(sub(1, t), x), sp);
  }
  if (options.weight != null) {
    checkTensor(fn, 'weight', options.weight);
    checkBroadcast(fn, 'weight', options.weight, x.shape);
    l = mul(l, float(options.weight));
  }
  return reduce(l, reduction);
}

export interface MultiMarginOptions extends LossOptions {
  /** 1 (default) or 2. */
  p?: 1 | 2;
  /** Default 1. */
  margin?: number;
  /** Per-class weights [C], applied by the target's class. */
  weight?: Tensor | null;
}

/**
 * Multi-class hinge loss, as torch.nn.functional.multi_margin_loss:
 * loss[n] = sum_{i != y} w[y]·max(0, margin - x[y] + x[i])^p / C.
 * Shape: input [N, C] (or [C]), target int32 [N] (or []).
 */
export function multiMarginLoss(input: Tensor, target: Tensor, options: MultiMarginOptions = {}): Tensor {
  const fn = 'multiMarginLoss';
  const reduction = reductionOf(fn, options.reduction);
  const p = options.p ?? 1;
  if (p !== 1 && p !== 2) throw new RangeError(`${fn}: p must be 1 or 2, got ${String(p)}`);
  const margin = checkNumber(fn, 'margin', options.margin ?? 1);
  checkTensor(fn, 'input', input);
  if (input.ndim !== 1 && input.ndim !== 2) {
    throw new RangeError(`${fn}: input must be [N, C] or [C], got ${formatShape(input.shape)}`);
  }
  checkTensor(fn, 'target', target);
  checkIndexTarget(fn, input, target, false);
  const C = input.shape[input.ndim - 1];
  const weight = classWeight(fn, options.weight, C);
  const [x, tgt] = batched(float(input), target, false);
  const N = x.shape[0];
  const labels = tgt.data as Int32Array;
  const others = new Float32Array(N * C).fill(1);
  const wy = new Float32Array(N).fill(1);
  for (let n = 0; n < N; ++n) {
    const c = labels[n];
    if (c < 0 || c >= C) {
      throw new RangeError(`${fn}: target must hold class indices in [0, ${C}), got ${c} at ${n}`);
    }
    others[n * C + c] = 0;
    if (weight) wy[n] = (weight.data as Float32Array)[c];
  }
  const xy = gather(x, 1, reshape(tgt, [N, 1]));
  let h = clampMin0(add(sub(x, xy), margin));
  if (p === 2) h = square(h);
  h = mul(h, new Tensor(others, [N, C]));
  if (weight) h = mul(h, new Tensor(wy, [N, 1]));
  const per = div(sum(h, 1), C);
  return reduce(input.ndim === 1 ? reshape(per, []) : per, reduction);
}

/** max(z, 0) with gradient only where z > 0 (as relu). */
function clampMin0(z: Tensor): Tensor {
  return where(gt(z, 0), z, 0);
}

export interface HingeEmbeddingOptions extends LossOptions {
  /** Default 1. */
  margin?: number;
}

/**
 * x where y = 1, max(0, margin - x) where y = -1, as
 * torch.nn.functional.hinge_embedding_loss.
 * Shape: input and target (values 1 or -1) of the same shape.
 */
export function hingeEmbeddingLoss(
  input: Tensor, target: Tensor, options: HingeEmbeddingOptions = {},
): Tensor {
  const fn = 'hingeEmbeddingLoss';
  const reduction = reductionOf(fn, options.reduction);
  const margin = checkNumber(fn, 'margin', options.margin ?? 1);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'target', target);
  checkSameShape(fn, input, target);
  const x = float(input);
  const marginPart = where(ne(target, 1), clamp(sub(margin, x), 0, null), 0);
  const selfPart = where(ne(target, -1), x, 0);
  return reduce(add(marginPart, selfPart), reduction);
}

export interface KLDivOptions {
  /** 'mean' (default, over all elements), 'batchmean' (sum / N, the true KL divergence),
   *  'sum' or 'none'. */
  reduction?: Reduction | 'batchmean';
  /** The target holds log-probabilities (default false). */
  logTarget?: boolean;
}

/**
 * Kullback-Leibler divergence with input as log-probabilities, as
 * torch.nn.functional.kl_div: target·(log(target) - input) (0 where target = 0), or
 * exp(target)·(target - input) with logTarget.
 * Shape: input and target of the same shape.
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  const fn = 'klDiv';
  const reduction = reductionOf(fn, options.reduction, true);
  checkTensor(fn, 'input', input);
  checkTensor(fn, 'target', target);
  checkSameShape(fn, input, target);
  const x = float(input);
  const t = float(target);
  let l: Tensor;
  if (options.logTarget ?? false) {
    l = mul(exp(t), sub(t, x));
  } else {
    // xlogy(t, t) - t·x, with xlogy 0 where t = 0
    const zero = eq(t, 0);
    l = sub(where(zero, 0, mul(t, log(where(zero, 1, t)))), mul(t, x));
  }
  return reduce(l, reduction);
}

export interface CosineEmbeddingOptions extends LossOptions {
  /** Default 0; in [-1, 1]. */
  margin?: number;
}

/**
 * 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, as
 * torch.nn.functional.cosine_embedding_loss (cos with 1e-12 added to each squared norm).
 * Shape: input1, input2 [N, D] (or [D]), target [N] (or []) of 1 and -1.
 */
export function cosineEmbeddingLoss(
  input1: Tensor, input2: Tensor, target: Tensor, options: CosineEmbeddingOptions = {},
): Tensor {
  const fn = 'cosineEmbeddingLoss';
  const reduction = reductionOf(fn, options.reduction);
  const margin = checkNumber(fn, 'margin', options.margin ?? 0);
  checkTensor(fn, 'input1', input1);
  checkTensor(fn, 'input2', input2);
  checkTensor(fn, 'target', target);
  if (input1.ndim !== 1 && input1.ndim !== 2) {
    throw new RangeError(`${fn}: input1 must be [N, D] or [D], got ${formatShape(input1.shape)}`);
  }
  checkSameShape(fn, input1, input2, 'input2');
  const want = input1.ndim === 2 ? [input1.shape[0]] : [];
  if (!shapesEqual(target.shape, want)) {
    throw new RangeError(`${fn}: target must have shape ${formatShape(want)}, got ${formatShape(target.shape)}`);
  }
  const d = input1.ndim - 1;
  const x1 = float(input1);
  const x2 = float(input2);
  const EPS = 1e-12;
  const prod = sum(mul(x1, x2), d);
  const m1 = add(sum(square(x1), d), EPS);
  const m2 = add(sum(square(x2), d), EPS);
  const cos = div(prod, sqrt(mul(m1, m2)));
  const pos = where(eq(target, 1), sub(1, cos), 0);
  const negative = where(eq(target, -1), clamp(sub(cos, margin), 0, null), 0);
  return reduce(add(pos, negative), reduction);
}

// --- modules --------------------------------------------------------------------------------

/** Base of the loss modules: holds the reduction and prints it. */
abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(fn: string, reduction: Reduction | undefined) {
    super();
    this.reduction = reductionOf(fn, reduction) as Reduction;
  }
  resetParameters(): void {}
  override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction='${this.reduction}'`;
  }
}

/** Module form of mseLoss. */
export class MSELoss extends Loss {
  constructor(options: LossOptions = {}) {
    super('MSELoss', options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Module form of l1Loss. */
export class L1Loss extends Loss {
  constructor(options: LossOptions = {}) {
    super('L1Loss', options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Module form of smoothL1Loss. */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: SmoothL1Options = {}) {
    super('SmoothL1Loss', options.reduction);
    this.beta = options.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Module form of huberLoss. */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: HuberOptions = {}) {
    super('HuberLoss', options.reduction);
    this.delta = options.delta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** Module form of crossEntropy; a given weight is a buffer named `weight`, as in PyTorch. */
export class CrossEntropyLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: CrossEntropyOptions = {}) {
    super('CrossEntropyLoss', options.reduction);
    this.weight = this.registerBuffer('weight', options.weight ?? null);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/** Module form of nllLoss; a given weight is a buffer named `weight`. */
export class NLLLoss extends Loss {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  constructor(options: NLLOptions = {}) {
    super('NLLLoss', options.reduction);
    this.weight = this.registerBuffer('weight', options.weight ?? null);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, {
      reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex,
    });
  }
}

/** Module form of binaryCrossEntropy; a given weight is a buffer named `weight`. */
export class BCELoss extends Loss {
  readonly weight: Tensor | null;
  constructor(options: BCEOptions = {}) {
    super('BCELoss', options.reduction);
    this.weight = this.registerBuffer('weight', options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

/** Module form of binaryCrossEntropyWithLogits; weight and posWeight are buffers named
 *  `weight` and `pos_weight`, as in PyTorch. */
export class BCEWithLogitsLoss extends Loss {
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;
  constructor(options: BCEWithLogitsOptions = {}) {
    super('BCEWithLogitsLoss', options.reduction);
    this.weight = this.registerBuffer('weight', options.weight ?? null);
    this.posWeight = this.registerBuffer('pos_weight', options.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      reduction: this.reduction, weight: this.weight, posWeight: this.posWeight,
    });
  }
}

/** Module form of multiMarginLoss; a given weight is a buffer named `weight`. */
export class MultiMarginLoss extends Loss {
  readonly p: 1 | 2;
  readonly margin: number;
  readonly weight: Tensor | null;
  constructor(options: MultiMarginOptions = {}) {
    super('MultiMarginLoss', options.reduction);
    this.p = options.p ?? 1;
    this.margin = options.margin ?? 1;
    this.weight = this.registerBuffer('weight', options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return multiMarginLoss(input, target, {
      reduction: this.reduction, p: this.p, margin: this.margin, weight: this.weight,
    });
  }
}

/** Module form of hingeEmbeddingLoss. */
export class HingeEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(options: HingeEmbeddingOptions = {}) {
    super('HingeEmbeddingLoss', options.reduction);
    this.margin = options.margin ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return hingeEmbeddingLoss(input, target, { reduction: this.reduction, margin: this.margin });
  }
}

/** Module form of klDiv. */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(options: KLDivOptions = {}) {
    super();
    this.reduction = reductionOf('KLDivLoss', options.reduction, true);
    this.logTarget = options.logTarget ?? false;
  }
  resetParameters(): void {}
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
  override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction='${this.reduction}'`;
  }
}

/** Module form of cosineEmbeddingLoss. */
export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(options: CosineEmbeddingOptions = {}) {
    super('CosineEmbeddingLoss', options.reduction);
    this.margin = options.margin ?? 0;
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return cosineEmbeddingLoss(input1, input2, target, { reduction: this.reduction, margin: this.margin });
  }
}
