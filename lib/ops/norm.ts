// Normalisation ops: batchNorm, layerNorm and groupNorm (native/kernels/norm.cc), each a
// forward kernel call and a backward rule that computes the input, weight and bias gradients
// in one kernel pass.
import { native } from '../native';
import { formatShape, numel } from '../shape';
import { record, Tensor } from '../tensor';
import { checkTensor } from './elementwise';

export interface BatchNormOptions {
  /** Normalise with batch statistics (and update the running ones); default false. */
  training?: boolean;
  /** Weight of the new statistic in the running average (default 0.1). For a cumulative
   *  average pass 1 / numBatchesTracked (BatchNorm does so for momentum null, as PyTorch). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

function checkFloat(fn: string, arg: string, x: unknown): Tensor {
  const t = checkTensor(fn, arg, x);
  if (t.dtype !== 'float32') throw new TypeError(`${fn}: ${arg} must be float32, got ${t.dtype}`);
  return t;
}

function checkOptional(fn: string, arg: string, t: Tensor | null | undefined, shape: number[]): Tensor | null {
  if (t === undefined || t === null) return null;
  checkFloat(fn, arg, t);
  if (formatShape(t.shape) !== formatShape(shape)) {
    throw new RangeError(`${fn}: ${arg} must be ${formatShape(shape)}, got ${formatShape(t.shape)}`);
  }
  return t;
}

function checkEps(fn: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) {
    throw new RangeError(`${fn}: eps must be a finite number >= 0, got ${String(eps)}`);
  }
  return eps;
}

/** Records `out` with a rule that maps the kernel's (dx, dweight, dbias) to the inputs. */
function recordNorm(
  name: string,
  out: Tensor,
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  backward: (dy: Float32Array, dx: Float32Array | null, dw: Float32Array | null, db: Float32Array | null) => void,
): Tensor {
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, name, inputs, (dy, needs) => {
    const dx = needs[0] ? new Float32Array(x.size) : null;
    const dw = weight && needs[1] ? new Float32Array(weight.size) : null;
    const db = bias && needs[weight ? 2 : 1] ? new Float32Array(bias.size) : null;
    const g = dy.dtype === 'float32' ? (dy.data as Float32Array) : Float32Array.from(dy.data);
    backward(g, dx, dw, db);
    const grads: (Tensor | null)[] = [dx ? new Tensor(dx, x.shape) : null];
    if (weight) grads.push(dw ? new Tensor(dw, weight.shape) : null);
    if (bias) grads.push(db ? new Tensor(db, bias.shape) : null);
    return grads;
  });
}

/**
 * Batch normalisation over [N, C, *], per channel, as torch.nn.functional.batch_norm.
 * In training (or without running statistics) normalises with the batch mean and biased
 * variance over N and the spatial dims and, when runningMean/runningVar are given, updates them
 * in place: r = (1 - momentum)·r + momentum·batch (unbiased variance for runningVar). In
 * evaluation it normalises with the running statistics.
 * Shape: input [N, C] or [N, C, *]; runningMean, runningVar, weight, bias [C] -> [N, C, *].
 * @throws RangeError: `batchNorm: weight must be [3], got [4]`
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  const fn = 'batchNorm';
  checkFloat(fn, 'input', x);
  if (x.ndim < 2) throw new RangeError(`${fn}: input must be [N, C, *], got ${formatShape(x.shape)}`);
  const [N, C] = x.shape;
  const S = numel(x.shape.slice(2));
  const rm = checkOptional(fn, 'runningMean', runningMean, [C]);
  const rv = checkOptional(fn, 'runningVar', runningVar, [C]);
  if ((rm === null) !== (rv === null)) {
    throw new TypeError(`${fn}: runningMean and runningVar must both be given or both be null`);
  }
  const w = checkOptional(fn, 'weight', weight, [C]);
  const b = checkOptional(fn, 'bias', bias, [C]);
  const training = options.training ?? false;
  if (typeof training !== 'boolean') throw new TypeError(`${fn}: training must be a boolean, got ${typeof training}`);
  const momentum = options.momentum ?? 0.1;
  if (typeof momentum !== 'number' || !Number.isFinite(momentum)) {
    throw new RangeError(`${fn}: momentum must be a finite number, got ${String(momentum)}`);
  }
  const eps = checkEps(fn, options.eps ?? 1e-5);
  const useBatch = training || rm === null;
  if (useBatch && N * S <= 1) {
    throw new RangeError(
      `${fn}: input must have more than 1 value per channel when training, got ${formatShape(x.shape)}`,
    );
  }
  const y = new Float32Array(x.size);
  const mean = new Float32Array(C);
  const invstd = new Float32Array(C);
  const update = training && rm !== null;
  native.batchNormForward(
    y, mean, invstd,
    update ? (rm.data as Float32Array) : useBatch ? null : (rm!.data as Float32Array),
    update ? (rv!.data as Float32Array) : useBatch ? null : (rv!.data as Float32Array),
    x.data as Float32Array, w ? (w.data as Float32Array) : null, b ? (b.data as Float32Array) : null,
    N, C, S, useBatch, momentum, eps,
  );
  const xd = x.data as Float32Array;
  const wd = w ? (w.data as Float32Array) : null;
  return recordNorm(fn, new Tensor(y, x.shape), x, w, b, (dy, dx, dw, db) =>
    native.batchNormBackward(dx, dw, db, dy, xd, mean, invstd, wd, N, C, S, useBatch));
}

/**
 * Layer normalisation over the last dims (those of normalizedShape), with an elementwise
 * affine weight and bias of normalizedShape, as torch.nn.functional.layer_norm.
 * Shape: input [*, ...normalizedShape] -> same.
 * @throws RangeError: `layerNorm: input must end in [4, 5], got [2, 3, 4]`
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number[] | number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const fn = 'layerNorm';
  checkFloat(fn, 'input', x);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(ns) || ns.length === 0 || !ns.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new RangeError(
      `${fn}: normalizedShape must be a non-empty array of integers >= 0, got ${JSON.stringify(normalizedShape)}`,
    );
  }
  const k = ns.length;
  if (x.ndim < k || formatShape(x.shape.slice(x.ndim - k)) !== formatShape(ns)) {
    throw new RangeError(`${fn}: input must end in ${formatShape(ns)}, got ${formatShape(x.shape)}`);
  }
  const w = checkOptional(fn, 'weight', weight, ns);
  const b = checkOptional(fn, 'bias', bias, ns);
  checkEps(fn, eps);
  const D = numel(ns);
  const M = numel(x.shape.slice(0, x.ndim - k));
  const y = new Float32Array(x.size);
  const mean = new Float32Array(M);
  const rstd = new Float32Array(M);
  const xd = x.data as Float32Array;
  const wd = w ? (w.data as Float32Array) : null;
  native.layerNormForward(y, mean, rstd, xd, wd, b ? (b.data as Float32Array) : null, M, D, eps);
  return recordNorm(fn, new Tensor(y, x.shape), x, w, b, (dy, dx, dw, db) =>
    native.layerNormBackward(dx, dw, db, dy, xd, mean, rstd, wd, M, D));
}

/**
 * Group normalisation: the C channels split into numGroups groups, each normalised over its
 * channels and the spatial dims per sample, then a per-channel affine weight and bias, as
 * torch.nn.functional.group_norm.
 * Shape: input [N, C, *] with C divisible by numGroups; weight, bias [C] -> [N, C, *].
 * @throws RangeError: `groupNorm: numGroups must divide C = 6, got 4`
 */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const fn = 'groupNorm';
  checkFloat(fn, 'input', x);
  if (x.ndim < 2) throw new RangeError(`${fn}: input must be [N, C, *], got ${formatShape(x.shape)}`);
  const [N, C] = x.shape;
  if (!Number.isInteger(numGroups) || numGroups < 1 || C % numGroups !== 0) {
    throw new RangeError(`${fn}: numGroups must divide C = ${C}, got ${numGroups}`);
  }
  const w = checkOptional(fn, 'weight', weight, [C]);
  const b = checkOptional(fn, 'bias', bias, [C]);
  checkEps(fn, eps);
  const S = numel(x.shape.slice(2));
  const G = numGroups;
  const y = new Float32Array(x.size);
  const mean = new Float32Array(N * G);
  const rstd = new Float32Array(N * G);
  const xd = x.data as Float32Array;
  const wd = w ? (w.data as Float32Array) : null;
  native.groupNormForward(y, mean, rstd, xd, wd, b ? (b.data as Float32Array) : null, N, C, S, G, eps);
  return recordNorm(fn, new Tensor(y, x.shape), x, w, b, (dy, dx, dw, db) =>
    native.groupNormBackward(dx, dw, db, dy, xd, mean, rstd, wd, N, C, S, G));
}
