// Indexing ops: indexSelect, gather and scatterAdd (native/kernels/index.cc). Index tensors
// are int32; the binding rejects any index out of range before a kernel runs, and the checks
// here say the same in the user's terms first.
import { native } from '../native';
import { contiguousStrides, formatShape, normalizeDim, view3 } from '../shape';
import { allocateUninitialised, record, Tensor, uninitialisedF32 } from '../tensor';
import { checkTensor } from './elementwise';

function checkIndex(fn: string, index: Tensor, bound: number): Int32Array {
  checkTensor(fn, 'index', index);
  if (index.dtype !== 'int32') {
    throw new TypeError(`${fn}: index must be an int32 Tensor, got ${index.dtype}`);
  }
  const data = index.data as Int32Array;
  for (let i = 0; i < data.length; ++i) {
    if (data[i] < 0 || data[i] >= bound) {
      throw new RangeError(`${fn}: index must hold values in [0, ${bound}), got ${data[i]} at ${i}`);
    }
  }
  return data;
}

/** Rows of x along dim picked by a 1-D int32 index: out.shape[dim] = index.size. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', 'input', x);
  const d = normalizeDim('indexSelect', dim, x.ndim);
  checkTensor('indexSelect', 'index', index);
  if (index.ndim > 1) {
    throw new RangeError(`indexSelect: index must be 0-D or 1-D, got shape ${formatShape(index.shape)}`);
  }
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const idx = checkIndex('indexSelect', index, shape[d]);
  const [outer, D, inner] = view3(shape, d);
  const outShape = [...shape];
  outShape[d] = idx.length;
  const src = x.dtype === 'bool' ? null : x;
  const out = allocateUninitialised(x.dtype, outer * idx.length * inner);
  if (src) {
    native.indexSelect(out as Float32Array, src.data as Float32Array, outer, D, inner, idx);
  } else {
    // bool: gather bytes through a strided copy per index
    const strides = contiguousStrides(shape);
    idx.forEach((v, j) => {
      const part = [...shape];
      part[d] = 1;
      const dstStrides = contiguousStrides(outShape);
      native.stridedCopy(out, j * dstStrides[d], dstStrides, x.data, v * strides[d], strides, part);
    });
  }
  const result = new Tensor(out, x.ndim === 0 ? [] : outShape);
  return record(result, 'indexSelect', [x], (dy) => {
    const dx = new Float32Array(x.size);
    native.indexAdd(dx, dy.data as Float32Array, outer, D, inner, idx);
    return [new Tensor(dx, x.shape)];
  });
}

function checkGatherShapes(fn: string, x: Tensor, index: Tensor, d: number, other: string): void {
  if (index.ndim !== x.ndim) {
    throw new RangeError(`${fn}: index must have ${x.ndim} dims like ${other}, got shape ${formatShape(index.shape)}`);
  }
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]) {
      throw new RangeError(
        `${fn}: index size ${s} at dim ${i} must be <= ${x.shape[i]} (${other} shape ${formatShape(x.shape)})`,
      );
    }
  });
}

/** out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and likewise for other dims), as
 *  torch.gather. index has x's rank and fits inside x except along dim. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', 'input', x);
  if (x.ndim === 0) throw new RangeError('gather: input must have at least one dim, got shape []');
  const d = normalizeDim('gather', dim, x.ndim);
  checkTensor('gather', 'index', index);
  checkGatherShapes('gather', x, index, d, 'input');
  const idx = checkIndex('gather', index, x.shape[d]);
  const src = x.dtype === 'bool' ? null : x;
  if (!src) throw new TypeError('gather: input must be float32 or int32, got bool');
  const out = allocateUninitialised(x.dtype, index.size);
  native.gather(out as Float32Array, src.data as Float32Array, [...x.shape], idx, [...index.shape], d);
  const result = new Tensor(out, index.shape);
  return record(result, 'gather', [x], (dy) => {
    const dx = new Float32Array(x.size);
    native.scatterAdd(dx, [...x.shape], dy.data as Float32Array, [...index.shape], idx, [...index.shape], d);
    return [new Tensor(dx, x.shape)];
  });
}

/** A copy of x with src added at the positions index names along dim, as
 *  torch.scatter_add: out[index[i][j]][j] += src[i][j] for dim 0. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor('scatterAdd', 'input', x);
  checkTensor('scatterAdd', 'src', src);
  if (x.ndim === 0) throw new RangeError('scatterAdd: input must have at least one dim, got shape []');
  for (const [name, t] of [['input', x], ['src', src]] as const) {
    if (t.dtype !== 'float32') {
      throw new TypeError(`scatterAdd: ${name} must be float32, got ${t.dtype}`);
    }
  }
  const d = normalizeDim('scatterAdd', dim, x.ndim);
  checkTensor('scatterAdd', 'index', index);
  checkGatherShapes('scatterAdd', x, index, d, 'input');
  if (src.ndim !== index.ndim || index.shape.some((s, i) => s > src.shape[i])) {
    throw new RangeError(
      `scatterAdd: src must have ${index.ndim} dims each >= index shape ${formatShape(index.shape)}, got ${formatShape(src.shape)}`,
    );
  }
  const idx = checkIndex('scatterAdd', index, x.shape[d]);
  const out = uninitialisedF32(x.size);
  out.set(x.data as Float32Array);
  native.scatterAdd(out, [...x.shape], src.data as Float32Array, [...src.shape], idx, [...index.shape], d);
  const result = new Tensor(out, x.shape);
  return record(result, 'scatterAdd', [x, src], (dy, needs) => {
    let dsrc: Tensor | null = null;
    if (needs[1]) {
      const g = uninitialisedF32(index.size);
      native.gather(g, dy.data as Float32Array, [...x.shape], idx, [...index.shape], d);
      const full = new Float32Array(src.size);
      native.stridedCopy(full, 0, contiguousStrides(src.shape), g, 0, contiguousStrides(index.shape), [...index.shape]);
      dsrc = new Tensor(full, src.shape);
    }
    return [needs[0] ? dy : null, dsrc];
  });
}
