// Padding and resizing: pad (constant, reflect, replicate) and interpolate / upsample
// (nearest, linear, bilinear), as torch.nn.functional.pad and interpolate. Built from
// differentiable ops (cat, narrow, indexSelect, matmul) with computed indices and
// interpolation matrices, so no kernel of their own and gradients come from those ops.
// Index arithmetic follows PyTorch's CPU kernels, in float32 where they use float.
import { formatShape } from '../shape';
import { full, Tensor } from '../tensor';
import { checkTensor } from './elementwise';
import { indexSelect } from './index';
import { matmul } from './matmul';
import { cat, narrow } from './shape';

export type PadMode = 'constant' | 'reflect' | 'replicate';

export interface PadOptions {
  /** Default 'constant'. */
  mode?: PadMode;
  /** The fill value of constant padding (default 0). */
  value?: number;
}

const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v));

function checkFloat(fn: string, x: unknown): Tensor {
  const t = checkTensor(fn, 'input', x);
  if (t.dtype !== 'float32') throw new TypeError(`${fn}: input must be float32, got ${t.dtype}`);
  return t;
}

function int32(values: number[]): Tensor {
  return new Tensor(Int32Array.from(values), [values.length]);
}

/**
 * Pads the last dims, as torch.nn.functional.pad. `pad` lists (before, after) pairs from the
 * last dim backwards: [left, right] pads W, [left, right, top, bottom] pads W and H.
 * 'constant' fills with `value` (negative amounts crop); 'reflect' mirrors without repeating
 * the edge (each amount < that dim's size); 'replicate' repeats the edge. reflect and
 * replicate pad at most ndim − 1 dims (a batch or channel dim must lead).
 * Shape: [..., H, W] -> [..., H + top + bottom, W + left + right].
 * @throws RangeError `pad: pad must be an even-length array of integers, got [1, 2, 3]`
 */
export function pad(x: Tensor, pad: number[], options: PadOptions = {}): Tensor {
  const fn = 'pad';
  checkFloat(fn, x);
  if (!Array.isArray(pad) || pad.length % 2 !== 0 || !pad.every(Number.isInteger)) {
    throw new RangeError(`${fn}: pad must be an even-length array of integers, got ${show(pad)}`);
  }
  const mode = options.mode ?? 'constant';
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'replicate') {
    throw new RangeError(`${fn}: mode must be 'constant', 'reflect' or 'replicate', got ${show(mode)}`);
  }
  const value = options.value ?? 0;
  if (typeof value !== 'number') throw new TypeError(`${fn}: value must be a number, got ${typeof value}`);
  if (mode !== 'constant' && value !== 0) {
    throw new RangeError(`${fn}: value must be 0 unless mode is 'constant', got ${value}`);
  }
  const k = pad.length / 2;
  const maxDims = mode === 'constant' ? x.ndim : x.ndim - 1;
  if (k > maxDims) {
    throw new RangeError(
      `${fn}: pad must pad at most ${maxDims} dims of input ${formatShape(x.shape)} in mode ${show(mode)}, got ${show(pad)}`,
    );
  }
  let y = x;
  for (let j = 0; j < k; ++j) {
    const d = x.ndim - 1 - j;
    const before = pad[2 * j];
    const after = pad[2 * j + 1];
    const size = y.shape[d];
    if (mode === 'constant') {
      if (size + Math.min(before, 0) + Math.min(after, 0) < 0) {
        throw new RangeError(`${fn}: pad ${show(pad)} crops more than the ${size} elements of dim ${d}`);
      }
      if (before < 0 || after < 0) {
        y = narrow(y, d, -Math.min(before, 0), size + Math.min(before, 0) + Math.min(after, 0));
      }
      const parts: Tensor[] = [];
      const side = (n: number) => {
        const s = [...y.shape];
        s[d] = n;
        return full(s, value);
      };
      if (before > 0) parts.push(side(before));
      parts.push(y);
      if (after > 0) parts.push(side(after));
      if (parts.length > 1) y = cat(parts, d);
      continue;
    }
    if (before < 0 || after < 0) {
      throw new RangeError(`${fn}: pad must be >= 0 in mode ${show(mode)}, got ${show(pad)}`);
    }
    if (mode === 'reflect' && (before >= size || after >= size)) {
      throw new RangeError(
        `${fn}: reflect padding must be smaller than the size ${size} of dim ${d}, got ${show(pad)}`,
      );
    }
    if (mode === 'replicate' && size === 0 && before + after > 0) {
      throw new RangeError(`${fn}: replicate padding needs a non-empty dim ${d}, got ${formatShape(x.shape)}`);
    }
    if (before === 0 && after === 0) continue;
    const idx: number[] = [];
    for (let i = -before; i < size + after; ++i) {
      if (mode === 'reflect') idx.push(i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i);
      else idx.push(Math.min(Math.max(i, 0), size - 1));
    }
    y = indexSelect(y, d, int32(idx));
  }
  return y === x ? x.clone() : y;
}

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear';

export interface InterpolateOptions {
  /** Output size of the spatial dims: L, or [OH, OW] (or one number for both). */
  size?: number | number[];
  /** Multiplier of the spatial sizes: output floor(in · s). Give size or scaleFactor. */
  scaleFactor?: number | number[];
  /** Default 'nearest'; 'linear' for [N, C, L], 'bilinear' for [N, C, H, W]. */
  mode?: InterpolateMode;
  /** linear/bilinear only: align the corner pixels' centres (default false). */
  alignCorners?: boolean;
}

const f32 = Math.fround;

/** Source rows of PyTorch's nearest_idx (float32 scale). */
function nearestIndex(inSize: number, outSize: number, scale: number | null): number[] {
  const out: number[] = [];
  if (outSize === inSize) {
    for (let o = 0; o < outSize; ++o) out.push(o);
  } else if (outSize === 2 * inSize) {
    for (let o = 0; o < outSize; ++o) out.push(o >> 1);
  } else {
    const s = scale !== null && scale > 0 ? f32(1 / scale) : f32(inSize / outSize);
    for (let o = 0; o < outSize; ++o) out.push(Math.min(Math.floor(f32(o * s)), inSize - 1));
  }
  return out;
}

/** The [outSize, inSize] linear-interpolation matrix of PyTorch's
 *  compute_source_index_and_lambda (float32 arithmetic as its CPU kernel). */
function linearMatrix(inSize: number, outSize: number, scale: number | null, alignCorners: boolean): Tensor {
  const A = new Float32Array(outSize * inSize);
  if (outSize === inSize) {
    for (let o = 0; o < outSize; ++o) A[o * inSize + o] = 1;
    return new Tensor(A, [outSize, inSize]);
  }
  let ratio: number;
  if (alignCorners) ratio = outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0;
  else ratio = scale !== null && scale > 0 ? f32(1 / scale) : f32(inSize / outSize);
  for (let o = 0; o < outSize; ++o) {
    let src: number;
    if (alignCorners) src = f32(ratio * o);
    else {
      src = f32(f32(ratio * f32(o + 0.5)) - 0.5);
      if (src < 0) src = 0;
    }
    const i0 = Math.trunc(src);
    const i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
    const l1 = Math.min(Math.max(f32(src - i0), 0), 1);
    const l0 = f32(1 - l1);
    A[o * inSize + i0] += l0;
    A[o * inSize + i1] += l1;
  }
  return new Tensor(A, [outSize, inSize]);
}

/**
 * Resizes the spatial dims, as torch.nn.functional.interpolate (recomputeScaleFactor off):
 * 'nearest' takes source index floor(dst · in / out) (or floor(dst / scaleFactor) when a
 * scaleFactor is given, as PyTorch); 'linear' / 'bilinear' interpolate linearly between the
 * two nearest source pixels, with half-pixel centres unless alignCorners.
 * Shape: [N, C, L] -> [N, C, OL] or [N, C, H, W] -> [N, C, OH, OW], with OL = size or
 * floor(L · scaleFactor).
 * @throws RangeError `interpolate: mode 'bilinear' needs input [N, C, H, W], got [2, 3, 4]`
 */
export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
  const fn = 'interpolate';
  checkFloat(fn, x);
  const mode = options.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') {
    throw new RangeError(`${fn}: mode must be 'nearest', 'linear' or 'bilinear', got ${show(mode)}`);
  }
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new RangeError(`${fn}: input must be [N, C, L] or [N, C, H, W], got ${formatShape(x.shape)}`);
  }
  if (mode === 'bilinear' && x.ndim !== 4) {
    throw new RangeError(`${fn}: mode 'bilinear' needs input [N, C, H, W], got ${formatShape(x.shape)}`);
  }
  if (mode === 'linear' && x.ndim !== 3) {
    throw new RangeError(`${fn}: mode 'linear' needs input [N, C, L], got ${formatShape(x.shape)}`);
  }
  const alignCorners = options.alignCorners;
  if (alignCorners !== undefined && typeof alignCorners !== 'boolean') {
    throw new TypeError(`${fn}: alignCorners must be a boolean, got ${show(alignCorners)}`);
  }
  if (mode === 'nearest' && alignCorners !== undefined) {
    throw new RangeError(`${fn}: alignCorners must be unset for mode 'nearest', got ${alignCorners}`);
  }
  const k = x.ndim - 2;
  const inSizes = x.shape.slice(2);
  const { size, scaleFactor } = options;
  if ((size === undefined) === (scaleFactor === undefined)) {
    throw new RangeError(`${fn}: exactly one of size and scaleFactor must be given, got ${size === undefined ? 'neither' : 'both'}`);
  }
  let outSizes: number[];
  let scales: (number | null)[];
  if (size !== undefined) {
    const s = typeof size === 'number' ? new Array<number>(k).fill(size) : size;
    if (!Array.isArray(s) || s.length !== k || !s.every((v) => Number.isInteger(v) && v >= 1)) {
      throw new RangeError(`${fn}: size must be an integer >= 1 or ${k} of them, got ${show(size)}`);
    }
    outSizes = [...s];
    scales = new Array<null>(k).fill(null);
  } else {
    const s = typeof scaleFactor === 'number' ? new Array<number>(k).fill(scaleFactor) : scaleFactor;
    if (!Array.isArray(s) || s.length !== k || !s.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new RangeError(`${fn}: scaleFactor must be a number > 0 or ${k} of them, got ${show(scaleFactor)}`);
    }
    outSizes = s.map((f, i) => Math.floor(inSizes[i] * f));
    if (outSizes.some((o) => o < 1)) {
      throw new RangeError(`${fn}: scaleFactor ${show(scaleFactor)} gives an empty output from ${formatShape(x.shape)}`);
    }
    scales = [...s];
  }
  let y = x;
  if (mode === 'nearest') {
    for (let i = 0; i < k; ++i) {
      if (outSizes[i] === inSizes[i]) continue;
      y = indexSelect(y, 2 + i, int32(nearestIndex(inSizes[i], outSizes[i], scales[i])));
    }
    return y === x ? x.clone() : y;
  }
  const ac = alignCorners ?? false;
  const last = k - 1;
  // [.., W] · A_wᵀ, then A_h · [.., H, OW]
  y = matmul(y, linearMatrix(inSizes[last], outSizes[last], scales[last], ac).t());
  if (k === 2) y = matmul(linearMatrix(inSizes[0], outSizes[0], scales[0], ac), y);
  return y;
}

/** Same as interpolate (torch.nn.functional.upsample). */
export function upsample(x: Tensor, options: InterpolateOptions = {}): Tensor {
  return interpolate(x, options);
}
