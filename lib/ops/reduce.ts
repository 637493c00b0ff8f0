// Reductions over any set of dims with keepDim: sum, mean, max/min (values and indices),
// amax/amin, argmax/argmin, var, std, logSumExp. Sums and maxima run in
// native/kernels/reduce.cc over [outer, R, inner] views; var, std and logSumExp are
// compositions whose gradients follow from their parts.
import { noGrad } from '../autograd/grad_mode';
import { native } from '../native';
import { formatShape, normalizeDim, numel } from '../shape';
import { allocate, allocateUninitialised, record, Tensor } from '../tensor';
import {
  abs, cast, checkTensor, div, eq, mul, ne, sub, where, add, log, exp, sqrt, logicalAnd, logicalOr,
} from './elementwise';
import { broadcastTo, reshape } from './shape';

export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

export interface VarOptions {
  /** Subtracted from the count in the divisor: 1 (default) is Bessel's correction. */
  correction?: number;
  keepDim?: boolean;
}

/** Normalises `dim` (undefined, null or []: all dims, as PyTorch) into sorted unique dims. */
export function reduceDims(fn: string, x: Tensor, dim: number | number[] | null | undefined): number[] {
  if (dim === undefined || dim === null) return x.shape.map((_, i) => i);
  const list = Array.isArray(dim) ? dim : [dim];
  if (list.length === 0) return x.shape.map((_, i) => i);
  const out = list.map((d) => normalizeDim(fn, d, x.ndim));
  const seen = new Set<number>();
  for (const d of out) {
    if (seen.has(d)) throw new RangeError(`${fn}: dim must list each dim once, got ${JSON.stringify(dim)}`);
    seen.add(d);
  }
  // a 0-d tensor reduces over its only (virtual) dim
  return x.ndim === 0 ? [] : out.sort((a, b) => a - b);
}

function keptShape(shape: readonly number[], dims: number[]): number[] {
  return shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

function outShape(shape: readonly number[], dims: number[], keepDim: boolean): number[] {
  return keepDim ? keptShape(shape, dims) : shape.filter((_, i) => !dims.includes(i));
}

/** Runs of consecutive dims, last run first, so each reduce keeps earlier dims in place. */
function runs(dims: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const d of dims) {
    const last = out[out.length - 1];
    if (last && last[1] === d - 1) last[1] = d;
    else out.push([d, d]);
  }
  return out.reverse();
}

function span(shape: readonly number[], from: number, to: number): number {
  let n = 1;
  for (let i = from; i < to; ++i) n *= shape[i];
  return n;
}

/** Sums x over dims (sorted), keeping them as size 1; no recording. */
function sumRaw(x: Tensor, dims: number[]): Tensor {
  let cur = x;
  let shape = [...x.shape];
  for (const [d0, d1] of runs(dims)) {
    const outer = span(shape, 0, d0);
    const R = span(shape, d0, d1 + 1);
    const inner = span(shape, d1 + 1, shape.length);
    const out = allocateUninitialised(cur.dtype, outer * inner) as Float32Array | Int32Array;
    native.reduceSum(out, cur.data as Float32Array, outer, R, inner);
    shape = shape.map((s, i) => (i >= d0 && i <= d1 ? 1 : s));
    cur = new Tensor(out, shape);
  }
  return cur === x ? new Tensor(x.data.slice(), x.shape) : cur;
}

/** Max (or min) over dims (sorted), kept as size 1; no recording, no indices. */
function maxRaw(fn: string, x: Tensor, dims: number[], isMin: boolean): Tensor {
  let cur = x;
  let shape = [...x.shape];
  for (const [d0, d1] of runs(dims)) {
    const outer = span(shape, 0, d0);
    const R = span(shape, d0, d1 + 1);
    const inner = span(shape, d1 + 1, shape.length);
    if (R === 0) {
      throw new RangeError(
        `${fn}: input must have no empty dim among those reduced, got shape ${formatShape(x.shape)}`,
      );
    }
    const out = allocateUninitialised(cur.dtype, outer * inner) as Float32Array | Int32Array;
    native.reduceMax(out, null, cur.data as Float32Array, outer, R, inner, isMin);
    shape = shape.map((s, i) => (i >= d0 && i <= d1 ? 1 : s));
    cur = new Tensor(out, shape);
  }
  return cur === x ? new Tensor(x.data.slice(), x.shape) : cur;
}

function numericInput(fn: string, x: Tensor): Tensor {
  checkTensor(fn, 'input', x);
  return x.dtype === 'bool' ? cast(x, 'int32') : x;
}

/** Extremes of a bool input are computed in int32 and given back as bool, as PyTorch. */
function asInputType(x: Tensor, values: Tensor): Tensor {
  return x.dtype === 'bool' ? cast(values, 'bool') : values;
}

/** Where x equals the extreme `m` (broadcast), counting NaN as equal to a NaN extreme. */
function extremeMask(x: Tensor, m: Tensor): Tensor {
  return cast(logicalOr(eq(x, m), logicalAnd(ne(x, x), ne(m, m))), 'float32');
}

/** Sum over dims (all when omitted). Integer and bool inputs sum to int32. */
export function sum(x: Tensor, dim?: number | number[] | null, keepDim = false): Tensor {
  const xi = numericInput('sum', x);
  const dims = reduceDims('sum', x, dim);
  const kept = sumRaw(xi, dims);
  const out = new Tensor(kept.data, outShape(x.shape, dims, keepDim));
  return record(out, 'sum', [x], (dy) => [
    broadcastTo(new Tensor(dy.data, keptShape(x.shape, dims)), x.shape),
  ]);
}

/** Mean over dims (all when omitted); float32. */
export function mean(x: Tensor, dim?: number | number[] | null, keepDim = false): Tensor {
  checkTensor('mean', 'input', x);
  const dims = reduceDims('mean', x, dim);
  const count = dims.reduce((p, d) => p * x.shape[d], 1);
  const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
  return mul(sum(xf, dims, keepDim), 1 / count);
}

function fullExtreme(fn: string, x: Tensor, isMin: boolean): Tensor {
  checkTensor(fn, 'input', x);
  if (x.size === 0) throw new RangeError(`${fn}: input must have at least one element, got shape ${formatShape(x.shape)}`);
  const xi = numericInput(fn, x);
  const out = allocate(xi.dtype, 1) as Float32Array | Int32Array;
  native.reduceMax(out, null, xi.data as Float32Array, 1, x.size, 1, isMin);
  const result = new Tensor(out, []);
  return record(asInputType(x, result), fn, [x], (dy) => {
    // spread evenly over ties (over the NaNs when the result is NaN), as PyTorch's full max/min
    const mask = extremeMask(x, result);
    return [mul(mask, div(dy, sum(mask)))];
  });
}

function dimExtreme(fn: string, x: Tensor, dim: number, keepDim: boolean, isMin: boolean): ValuesIndices {
  checkTensor(fn, 'input', x);
  const d = normalizeDim(fn, dim, x.ndim);
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const [outer, R, inner] = [span(shape, 0, d), shape[d], span(shape, d + 1, shape.length)];
  if (R === 0) {
    throw new RangeError(`${fn}: dim ${d} must not be empty, got shape ${formatShape(x.shape)}`);
  }
  const xi = numericInput(fn, x);
  const vals = allocateUninitialised(xi.dtype, outer * inner) as Float32Array | Int32Array;
  const idx = new Int32Array(outer * inner);
  native.reduceMax(vals, idx, xi.data as Float32Array, outer, R, inner, isMin);
  const kept = shape.map((s, i) => (i === d ? 1 : s));
  const finalShape = x.ndim === 0 ? [] : keepDim ? kept : x.shape.filter((_, i) => i !== d);
  const values = asInputType(x, new Tensor(vals, finalShape));
  const indices = new Tensor(idx, finalShape);
  record(values, fn, [x], (dy) => {
    const dx = new Float32Array(x.size);
    native.scatterAdd(dx, shape, dy.data as Float32Array, kept, idx, kept, d);
    return [new Tensor(dx, x.shape)];
  });
  return { values, indices };
}

/** Largest element (no dim), or { values, indices } along dim as torch.max(x, dim). */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepDim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number, keepDim = false): Tensor | ValuesIndices {
  return dim === undefined ? fullExtreme('max', x, false) : dimExtreme('max', x, dim, keepDim, false);
}

/** Smallest element (no dim), or { values, indices } along dim as torch.min(x, dim). */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepDim?: boolean): ValuesIndices;
export function min(x: Tensor, dim?: number, keepDim = false): Tensor | ValuesIndices {
  return dim === undefined ? fullExtreme('min', x, true) : dimExtreme('min', x, dim, keepDim, true);
}

function extremeOver(fn: string, x: Tensor, dim: number | number[] | null | undefined, keepDim: boolean, isMin: boolean): Tensor {
  checkTensor(fn, 'input', x);
  const dims = reduceDims(fn, x, dim);
  const xi = numericInput(fn, x);
  const kept = maxRaw(fn, xi, dims, isMin);
  const out = asInputType(x, new Tensor(kept.data, outShape(x.shape, dims, keepDim)));
  return record(out, fn, [x], (dy) => {
    // gradient spread evenly over the elements equal to the extreme, as torch.amax (a NaN
    // extreme gives NaN gradients over its slice there too)
    const mask = cast(eq(x, kept), 'float32');
    const count = sum(mask, dims, true);
    return [mul(mask, div(new Tensor(dy.data, kept.shape), count))];
  });
}

/** Max over dims (all when omitted), values only; ties share the gradient. */
export function amax(x: Tensor, dim?: number | number[] | null, keepDim = false): Tensor {
  return extremeOver('amax', x, dim, keepDim, false);
}

/** Min over dims (all when omitted), values only; ties share the gradient. */
export function amin(x: Tensor, dim?: number | number[] | null, keepDim = false): Tensor {
  return extremeOver('amin', x, dim, keepDim, true);
}

function argExtreme(
  fn: string, x: Tensor, dim: number | null | undefined, keepDim: boolean, isMin: boolean,
): Tensor {
  checkTensor(fn, 'input', x);
  if (dim === undefined || dim === null) {
    if (x.size === 0) throw new RangeError(`${fn}: input must have at least one element, got shape ${formatShape(x.shape)}`);
    const xi = numericInput(fn, x);
    const vals = allocate(xi.dtype, 1) as Float32Array | Int32Array;
    const idx = new Int32Array(1);
    native.reduceMax(vals, idx, xi.data as Float32Array, 1, x.size, 1, isMin);
    return new Tensor(idx, keepDim ? x.shape.map(() => 1) : []);
  }
  return dimExtreme(fn, x, dim, keepDim, isMin).indices;
}

/** Index of the largest element (of the flattened tensor when dim is omitted or null), int32. */
export function argmax(x: Tensor, dim?: number | null, keepDim = false): Tensor {
  return argExtreme('argmax', x, dim, keepDim, false);
}

/** Index of the smallest element (of the flattened tensor when dim is omitted or null), int32. */
export function argmin(x: Tensor, dim?: number | null, keepDim = false): Tensor {
  return argExtreme('argmin', x, dim, keepDim, true);
}

function varianceOp(
  fn: string, x: Tensor, dim: number | number[] | null | undefined, options: VarOptions,
): Tensor {
  checkTensor(fn, 'input', x);
  const correction = options.correction ?? 1;
  if (typeof correction !== 'number' || !(correction >= 0)) {
    throw new RangeError(`${fn}: correction must be a number >= 0, got ${String(correction)}`);
  }
  const dims = reduceDims(fn, x, dim);
  const count = dims.reduce((p, d) => p * x.shape[d], 1);
  const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
  const centered = sub(xf, mean(xf, dims, true));
  const ss = sum(mul(centered, centered), dims, options.keepDim ?? false);
  return div(ss, Math.max(0, count - correction));
}

/** Variance over dims, divided by (count - correction), correction 1 by default. */
export function variance(x: Tensor, dim?: number | number[] | null, options: VarOptions = {}): Tensor {
  return varianceOp('var', x, dim, options);
}

/** Standard deviation: sqrt(var(x, dim, options)). */
export function std(x: Tensor, dim?: number | number[] | null, options: VarOptions = {}): Tensor {
  return sqrt(varianceOp('std', x, dim, options));
}

/** log(sum(exp(x))) over dims, computed stably (max subtracted first). */
export function logSumExp(x: Tensor, dim?: number | number[] | null, keepDim = false): Tensor {
  checkTensor('logSumExp', 'input', x);
  const dims = reduceDims('logSumExp', x, dim);
  const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
  if (x.size === 0) {
    return new Tensor(new Float32Array(numel(outShape(x.shape, dims, keepDim))).fill(-Infinity), outShape(x.shape, dims, keepDim));
  }
  const m = noGrad(() => {
    const raw = maxRaw('logSumExp', xf, dims, false);
    return where(eq(abs(raw), Infinity), 0, raw);
  });
  const kept = add(log(sum(exp(sub(xf, m)), dims, true)), m);
  return keepDim ? kept : reshape(kept, outShape(x.shape, dims, false));
}

