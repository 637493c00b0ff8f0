// Shape ops. reshape/view/flatten/squeeze/unsqueeze share storage (no copy); permute,
// transpose, expand, narrow, slice, cat, stack and split copy through native stridedCopy.
// Each records a backward rule that routes the gradient back through the inverse movement.
import { native } from '../native';
import {
  broadcastStrides, checkShape, contiguousStrides, formatShape, normalizeDim, numel, type Shape,
} from '../shape';
import { allocateUninitialised, record, Tensor, type DType } from '../tensor';
import { cast, checkTensor, sumToShape } from './elementwise';

/** Same data, new shape (one dim may be -1). Shares storage with x. */
export function reshape(x: Tensor, shape: Shape, fn = 'reshape'): Tensor {
  checkTensor(fn, 'input', x);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new RangeError(`${fn}: shape must be integers >= -1, got ${JSON.stringify(shape)}`);
  }
  const free = shape.filter((d) => d === -1).length;
  if (free > 1) throw new RangeError(`${fn}: shape must have at most one -1, got ${formatShape(shape)}`);
  let resolved = [...shape];
  if (free === 1) {
    const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    if (known === 0 || x.size % known !== 0) {
      throw new RangeError(
        `${fn}: shape must be compatible with ${x.size} elements (input shape ` +
          `${formatShape(x.shape)}), got ${formatShape(shape)}`,
      );
    }
    resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (numel(resolved) !== x.size) {
    throw new RangeError(
      `${fn}: shape must hold ${x.size} elements (input shape ${formatShape(x.shape)}), ` +
        `got ${formatShape(shape)} (${numel(resolved)} elements)`,
    );
  }
  checkShape(fn, resolved);
  const out = new Tensor(x.data, resolved);
  return record(out, fn, [x], (dy) => [new Tensor(dy.data, x.shape)]);
}

/** Merges dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', 'input', x);
  if (x.ndim === 0) return reshape(x, [1], 'flatten');
  const s = normalizeDim('flatten', startDim, x.ndim, 'startDim');
  const e = normalizeDim('flatten', endDim, x.ndim, 'endDim');
  if (s > e) throw new RangeError(`flatten: startDim must be <= endDim = ${e}, got ${s}`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape, 'flatten');
}

/** Removes size-1 dims (all of them, or those listed that have size 1). */
export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  checkTensor('squeeze', 'input', x);
  let drop: number[];
  if (dim === undefined) drop = x.shape.flatMap((s, i) => (s === 1 ? [i] : []));
  else {
    const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim('squeeze', d, x.ndim));
    drop = dims.filter((d) => x.ndim > 0 && x.shape[d] === 1);
  }
  return reshape(x, x.shape.filter((_, i) => !drop.includes(i)), 'squeeze');
}

/** Inserts a size-1 dim at `dim` (in [-(rank+1), rank]). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'input', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape, 'unsqueeze');
}

function permuteRaw(x: Tensor, dims: number[]): Tensor {
  const src = contiguousStrides(x.shape);
  const shape = dims.map((d) => x.shape[d]);
  const out = allocateUninitialised(x.dtype, x.size);
  native.stridedCopy(out, 0, contiguousStrides(shape), x.data, 0, dims.map((d) => src[d]), shape);
  return new Tensor(out, shape);
}

/** Reorders dims: out.shape[i] = x.shape[dims[i]]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', 'input', x);
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new RangeError(
      `permute: dims must list ${x.ndim} dims for shape ${formatShape(x.shape)}, got ${JSON.stringify(dims)}`,
    );
  }
  const d = dims.map((v) => normalizeDim('permute', v, x.ndim));
  if (new Set(d).size !== d.length) {
    throw new RangeError(`permute: dims must be a permutation of 0..${x.ndim - 1}, got ${JSON.stringify(dims)}`);
  }
  const inverse = new Array<number>(d.length);
  d.forEach((v, i) => (inverse[v] = i));
  return record(permuteRaw(x, d), 'permute', [x], (dy) => [permuteRaw(dy, inverse)]);
}

/** Swaps two dims. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'input', x);
  const a = normalizeDim('transpose', dim0, x.ndim, 'dim0');
  const b = normalizeDim('transpose', dim1, x.ndim, 'dim1');
  const dims = x.shape.map((_, i) => i);
  if (x.ndim > 0) [dims[a], dims[b]] = [dims[b], dims[a]];
  return permute(x, dims);
}

/** Transpose of a tensor with at most 2 dims. */
export function t(x: Tensor): Tensor {
  checkTensor('t', 'input', x);
  if (x.ndim > 2) throw new RangeError(`t: input must have at most 2 dims, got shape ${formatShape(x.shape)}`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** Materialises x broadcast to `shape` (no recording). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const out = allocateUninitialised(x.dtype, numel(shape));
  native.stridedCopy(out, 0, contiguousStrides(shape), x.data, 0, broadcastStrides(x.shape, shape), [...shape]);
  return new Tensor(out, shape);
}

/** Broadcasts x to `shape` (-1 keeps a dim); a copy, as neurite has no strided views. */
export function expand(x: Tensor, shape: Shape): Tensor {
  checkTensor('expand', 'input', x);
  if (!Array.isArray(shape) || shape.length < x.ndim) {
    throw new RangeError(
      `expand: shape must have at least ${x.ndim} dims, got ${JSON.stringify(shape)}`,
    );
  }
  const lead = shape.length - x.ndim;
  const target = shape.map((s, i) => {
    const own = i < lead ? undefined : x.shape[i - lead];
    if (s === -1) {
      if (own === undefined) throw new RangeError(`expand: shape must not use -1 for new dim ${i}, got ${formatShape(shape)}`);
      return own;
    }
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`expand: shape must hold integers >= -1, got ${formatShape(shape)}`);
    if (own !== undefined && own !== 1 && own !== s) {
      throw new RangeError(
        `expand: shape must have ${own} or -1 at dim ${i} to expand ${formatShape(x.shape)}, ` +
          `got ${formatShape(shape)}`,
      );
    }
    return s;
  });
  checkShape('expand', target);
  return record(broadcastTo(x, target), 'expand', [x], (dy) => [sumToShape(dy, x.shape)]);
}

/** Elements from which clone copies on the kernel threads. */
const COPY_PARALLEL_MIN = 1 << 16;

/** Copy of x with its own storage; gradient passes through. */
export function clone(x: Tensor): Tensor {
  checkTensor('clone', 'input', x);
  const data = allocateUninitialised(x.dtype, x.size);
  if (x.size >= COPY_PARALLEL_MIN) {
    // one memcpy split over the kernel threads (TypedArray.set copies on one thread)
    native.stridedCopy(data, 0, [1], x.data, 0, [1], [x.size]);
  } else {
    data.set(x.data);
  }
  const out = new Tensor(data, x.shape);
  return record(out, 'clone', [x], (dy) => [dy]);
}

function wrapIndex(i: number, size: number): number {
  return i < 0 ? i + size : i;
}

function sliceRaw(x: Tensor, d: number, start: number, length: number, step: number): Tensor {
  const strides = contiguousStrides(x.shape);
  const shape = [...x.shape];
  shape[d] = length;
  const src = [...strides];
  src[d] = strides[d] * step;
  const out = allocateUninitialised(x.dtype, numel(shape));
  native.stridedCopy(out, 0, contiguousStrides(shape), x.data, start * strides[d], src, shape);
  return new Tensor(out, shape);
}

function sliceRecorded(fn: string, x: Tensor, d: number, start: number, length: number, step: number): Tensor {
  const out = sliceRaw(x, d, start, length, step);
  return record(out, fn, [x], (dy) => {
    const strides = contiguousStrides(x.shape);
    const dst = [...strides];
    dst[d] = strides[d] * step;
    const dx = new Float32Array(x.size);
    native.stridedCopy(dx, start * strides[d], dst, dy.data, 0, contiguousStrides(out.shape), [...out.shape]);
    return [new Tensor(dx, x.shape)];
  });
}

/** Elements start .. start+length-1 along dim (start may be negative). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', 'input', x);
  if (x.ndim === 0) throw new RangeError('narrow: input must have at least one dim, got shape []');
  const d = normalizeDim('narrow', dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(start) || start < -size || start > size) {
    throw new RangeError(`narrow: start must be an integer in [${-size}, ${size}], got ${start}`);
  }
  const s = wrapIndex(start, size);
  if (!Number.isInteger(length) || length < 0 || s + length > size) {
    throw new RangeError(
      `narrow: length must be an integer in [0, ${size - s}] (start ${s}, size ${size} at dim ${d}), got ${length}`,
    );
  }
  return sliceRecorded('narrow', x, d, s, length, 1);
}

/** Python-style slice along dim: start (inclusive), end (exclusive), step > 0; negative
 *  indices count from the end and bounds are clamped, as x[start:end:step]. */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  checkTensor('slice', 'input', x);
  if (x.ndim === 0) throw new RangeError('slice: input must have at least one dim, got shape []');
  const d = normalizeDim('slice', dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`slice: step must be an integer >= 1, got ${step}`);
  for (const [name, v] of [['start', start], ['end', end]] as const) {
    if (v !== undefined && v !== null && !Number.isInteger(v)) {
      throw new RangeError(`slice: ${name} must be an integer, got ${v}`);
    }
  }
  const clampIdx = (v: number) => Math.min(Math.max(wrapIndex(v, size), 0), size);
  const s = start == null ? 0 : clampIdx(start);
  const e = end == null ? size : clampIdx(end);
  const length = e > s ? Math.ceil((e - s) / step) : 0;
  return sliceRecorded('slice', x, d, s, length, step);
}

/** The slice at `index` along dim, with that dim removed (x[index] for dim 0). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor('select', 'input', x);
  if (x.ndim === 0) throw new RangeError('select: input must have at least one dim, got shape []');
  const d = normalizeDim('select', dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(`select: index must be an integer in [${-size}, ${size - 1}] for dim ${d}, got ${index}`);
  }
  const part = sliceRecorded('select', x, d, wrapIndex(index, size), 1, 1);
  return reshape(part, x.shape.filter((_, i) => i !== d), 'select');
}

function promoteAll(tensors: Tensor[]): DType {
  if (tensors.some((t) => t.dtype === 'float32')) return 'float32';
  if (tensors.some((t) => t.dtype === 'int32')) return 'int32';
  return 'bool';
}

/** Concatenates along dim; all other dims must match. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new RangeError('cat: tensors must be a non-empty array of Tensors');
  }
  tensors.forEach((t, i) => checkTensor('cat', `tensors[${i}]`, t));
  const first = tensors[0];
  if (first.ndim === 0) {
    throw new RangeError('cat: tensors[0] must have at least one dim, got shape []');
  }
  const d = normalizeDim('cat', dim, first.ndim);
  tensors.forEach((t, i) => {
    const ok = t.ndim === first.ndim && t.shape.every((s, k) => k === d || s === first.shape[k]);
    if (!ok) {
      const want = first.shape.map((s, k) => (k === d ? '*' : String(s))).join(', ');
      throw new RangeError(`cat: tensors[${i}] must have shape [${want}], got ${formatShape(t.shape)}`);
    }
  });
  const dtype = promoteAll(tensors);
  const shape = [...first.shape];
  shape[d] = tensors.reduce((p, t) => p + t.shape[d], 0);
  const out = allocateUninitialised(dtype, numel(shape));
  const outStrides = contiguousStrides(shape);
  let at = 0;
  const starts: number[] = [];
  for (const t of tensors) {
    starts.push(at);
    const src = t.dtype === dtype ? t : cast(t, dtype);
    if (t.size > 0) {
      native.stridedCopy(out, at * outStrides[d], outStrides, src.data, 0, contiguousStrides(t.shape), [...t.shape]);
    }
    at += t.shape[d];
  }
  const result = new Tensor(out, shape);
  return record(result, 'cat', tensors, (dy, needs) =>
    tensors.map((t, i) => (needs[i] ? sliceRaw(dy, d, starts[i], t.shape[d], 1) : null)),
  );
}

/** Stacks equal-shaped tensors along a new dim. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new RangeError('stack: tensors must be a non-empty array of Tensors');
  }
  tensors.forEach((t, i) => checkTensor('stack', `tensors[${i}]`, t));
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (formatShape(t.shape) !== formatShape(first.shape)) {
      throw new RangeError(`stack: tensors[${i}] must have shape ${formatShape(first.shape)}, got ${formatShape(t.shape)}`);
    }
  });
  const d = normalizeDim('stack', dim, first.ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/** Splits into pieces of splitSize along dim (the last may be smaller), or into the listed
 *  sizes, which must sum to the dim's size. */
export function split(x: Tensor, splitSize: number | number[], dim = 0): Tensor[] {
  checkTensor('split', 'input', x);
  if (x.ndim === 0) throw new RangeError('split: input must have at least one dim, got shape []');
  const d = normalizeDim('split', dim, x.ndim);
  const size = x.shape[d];
  let sizes: number[];
  if (Array.isArray(splitSize)) {
    if (!splitSize.every((s) => Number.isInteger(s) && s >= 0) || splitSize.reduce((p, s) => p + s, 0) !== size) {
      throw new RangeError(
        `split: sizes must be integers >= 0 summing to ${size} (dim ${d}), got ${JSON.stringify(splitSize)}`,
      );
    }
    sizes = splitSize;
  } else {
    if (!Number.isInteger(splitSize) || splitSize < 1) {
      throw new RangeError(`split: splitSize must be an integer >= 1, got ${splitSize}`);
    }
    sizes = [];
    for (let at = 0; at < size; at += splitSize) sizes.push(Math.min(splitSize, size - at));
    if (sizes.length === 0) sizes.push(0);
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(sliceRecorded('split', x, d, at, s, 1));
    at += s;
  }
  return out;
}

/** Splits into `chunks` pieces of ceil(size / chunks) along dim (fewer if the size runs out). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', 'input', x);
  if (!Number.isInteger(chunks) || chunks < 1) {
    throw new RangeError(`chunk: chunks must be an integer >= 1, got ${chunks}`);
  }
  if (x.ndim === 0) throw new RangeError('chunk: input must have at least one dim, got shape []');
  const d = normalizeDim('chunk', dim, x.ndim);
  const size = Math.max(1, Math.ceil(x.shape[d] / chunks));
  return split(x, size, d);
}
