// Pooling: maxPool1d/2d, avgPool1d/2d, adaptiveAvgPool2d and adaptiveMaxPool2d with PyTorch's
// options and output-size rules. All run on the native 2-D kernels over planes (N·C images);
// the 1-D forms are H = 1. Max pooling saves argmax offsets; its backward scatters to them.
import { native } from '../native';
import { formatShape } from '../shape';
import { allocateUninitialised, record, Tensor, uninitialisedF32 } from '../tensor';
import { checkTensor } from './elementwise';

type Pair = number | [number, number];

export interface MaxPool2dOptions {
  kernelSize: Pair;
  /** Default: kernelSize. */
  stride?: Pair | null;
  /** Implicit -inf padding on both sides, at most half the kernel. Default 0. */
  padding?: Pair;
  dilation?: Pair;
  /** Use ceil instead of floor for the output size. Default false. */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  kernelSize: Pair;
  stride?: Pair | null;
  /** Implicit zero padding on both sides, at most half the kernel. Default 0. */
  padding?: Pair;
  ceilMode?: boolean;
  /** Count padding zeros in the divisor. Default true. */
  countIncludePad?: boolean;
  /** Divide every window sum by this instead. */
  divisorOverride?: number | null;
}

export interface MaxPool1dOptions {
  kernelSize: number;
  stride?: number | null;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
}

export interface AvgPool1dOptions {
  kernelSize: number;
  stride?: number | null;
  padding?: number;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** Window geometry over planes: x [planes, H, W] -> y [planes, OH, OW]. */
export interface PoolGeom {
  planes: number; H: number; W: number; OH: number; OW: number;
  KH: number; KW: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
}

const f32 = (t: Tensor) => t.data as Float32Array;
const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
const isInt = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

function intList(fn: string, arg: string, v: unknown, count: number, min: number): number[] {
  if (isInt(v, min)) return new Array<number>(count).fill(v);
  if (count > 1 && Array.isArray(v) && v.length === count && v.every((e) => isInt(e, min))) {
    return [...v];
  }
  const what = count === 1 ? `an integer >= ${min}` : `an integer >= ${min} or ${count} of them`;
  throw new RangeError(`${fn}: ${arg} must be ${what}, got ${show(v)}`);
}

/** The input as [planes, H, W] terms: [N, C, H, W] or [C, H, W] (1-D: [N, C, L] or [C, L]). */
function checkInput(fn: string, spatial: 1 | 2, xIn: unknown): Tensor {
  const x = checkTensor(fn, 'input', xIn);
  if (x.dtype !== 'float32') throw new TypeError(`${fn}: input must be float32, got ${x.dtype}`);
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2) {
    const sp = spatial === 2 ? 'H, W' : 'L';
    throw new RangeError(`${fn}: input must be [N, C, ${sp}] or [C, ${sp}], got ${formatShape(x.shape)}`);
  }
  return x;
}

/** PyTorch's pooling output size, with the ceil-mode rule that the last window must start
 *  inside the input or the left padding. */
function outSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= n + p) out -= 1;
  return out;
}

/** Resolves kernel/stride/padding/dilation for a window pool (1-D in terms of L). */
export function windowGeom(
  fn: string,
  spatial: 1 | 2,
  x: Pick<Tensor, 'shape'>,
  kernelSize: unknown,
  stride: unknown,
  padding: unknown,
  dilation: unknown,
  ceilMode: unknown,
): PoolGeom {
  const k = intList(fn, 'kernelSize', kernelSize, spatial, 1);
  const s = stride === undefined || stride === null ? k : intList(fn, 'stride', stride, spatial, 1);
  const p = intList(fn, 'padding', padding, spatial, 0);
  const d = intList(fn, 'dilation', dilation, spatial, 1);
  if (typeof ceilMode !== 'boolean') {
    throw new TypeError(`${fn}: ceilMode must be a boolean, got ${show(ceilMode)}`);
  }
  if (p.some((pi, i) => pi > k[i] / 2)) {
    throw new RangeError(
      `${fn}: padding must be at most half the kernel size ${k.join('x')}, got ${show(padding)}`,
    );
  }
  const ins = x.shape.slice(-spatial);
  const outs = ins.map((n, i) => outSize(n, k[i], s[i], p[i], d[i], ceilMode));
  if (outs.some((o) => o < 1)) {
    throw new RangeError(
      `${fn}: output size must be at least 1, got ${outs.join('x')} for input ${ins.join('x')} ` +
        `(kernel ${k.join('x')}, dilation ${d.join('x')}, padding ${p.join('x')})`,
    );
  }
  const planes = x.shape.slice(0, -spatial).reduce((a, b) => a * b, 1);
  const two = spatial === 2;
  return {
    planes, H: two ? ins[0] : 1, W: ins[spatial - 1], OH: two ? outs[0] : 1, OW: outs[spatial - 1],
    KH: two ? k[0] : 1, KW: k[spatial - 1], sh: two ? s[0] : 1, sw: s[spatial - 1],
    ph: two ? p[0] : 0, pw: p[spatial - 1], dh: two ? d[0] : 1, dw: d[spatial - 1],
  };
}

function outShape(x: Tensor, spatial: 1 | 2, g: PoolGeom): number[] {
  const lead = x.shape.slice(0, -spatial);
  return spatial === 2 ? [...lead, g.OH, g.OW] : [...lead, g.OW];
}

// --- recorded ops on resolved geometry -------------------------------------------------------

function maxPoolCore(name: string, x: Tensor, g: PoolGeom, shape: number[], adaptive: boolean): Tensor {
  const n = g.planes * g.OH * g.OW;
  const y = uninitialisedF32(n);
  const idx = allocateUninitialised('int32', n) as Int32Array;
  if (adaptive) {
    native.adaptiveMaxPool2dForward(y, idx, f32(x), g.planes, g.H, g.W, g.OH, g.OW);
  } else {
    native.maxPool2dForward(
      y, idx, f32(x), g.planes, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.sh, g.sw,
      g.ph, g.ph, g.pw, g.pw, g.dh, g.dw,
    );
  }
  return record(new Tensor(y, shape), name, [x], (dy) => {
    const dx = uninitialisedF32(x.size);
    native.maxPool2dBackward(dx, f32(dy), idx, g.planes, g.H * g.W, g.OH * g.OW);
    return [new Tensor(dx, x.shape)];
  });
}

function avgPoolCore(
  name: string, x: Tensor, g: PoolGeom, shape: number[], include: boolean, divisor: number,
): Tensor {
  const y = uninitialisedF32(g.planes * g.OH * g.OW);
  const geo = [
    g.planes, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.sh, g.sw, g.ph, g.ph, g.pw, g.pw,
  ] as const;
  native.avgPool2dForward(y, f32(x), ...geo, include, divisor);
  return record(new Tensor(y, shape), name, [x], (dy) => {
    const dx = uninitialisedF32(x.size);
    native.avgPool2dBackward(dx, f32(dy), ...geo, include, divisor);
    return [new Tensor(dx, x.shape)];
  });
}

// --- public ops ----------------------------------------------------------------------------

/**
 * 2-D max pooling, as torch.nn.functional.max_pool2d: y = max over each (dilated) window;
 * the gradient goes to the first maximum.
 * @param x [N, C, H, W] or [C, H, W]
 * @param options kernelSize, stride (= kernelSize), padding (0, at most half the kernel),
 *   dilation (1), ceilMode (false)
 *
 * Shape: OH = floor((H + 2·ph − dh·(KH − 1) − 1) / sh) + 1 (ceil with ceilMode, less one when
 * the last window would start past the input and the left padding).
 * @throws RangeError `maxPool2d: padding must be at most half the kernel size 3x3, got [2, 2]`
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  const fn = 'maxPool2d';
  const xt = checkInput(fn, 2, x);
  const o = options ?? ({} as MaxPool2dOptions);
  const g = windowGeom(fn, 2, xt, o.kernelSize, o.stride, o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false);
  return maxPoolCore(fn, xt, g, outShape(xt, 2, g), false);
}

/** 1-D max pooling, as torch.nn.functional.max_pool1d. x: [N, C, L] or [C, L]. */
export function maxPool1d(x: Tensor, options: MaxPool1dOptions): Tensor {
  const fn = 'maxPool1d';
  const xt = checkInput(fn, 1, x);
  const o = options ?? ({} as MaxPool1dOptions);
  const g = windowGeom(fn, 1, xt, o.kernelSize, o.stride, o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false);
  return maxPoolCore(fn, xt, g, outShape(xt, 1, g), false);
}

function checkDivisor(fn: string, v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (!isInt(v, 1)) throw new RangeError(`${fn}: divisorOverride must be an integer >= 1, got ${show(v)}`);
  return v;
}

function checkBool(fn: string, arg: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${arg} must be a boolean, got ${show(v)}`);
  return v;
}

/**
 * 2-D average pooling, as torch.nn.functional.avg_pool2d: window sum / divisor, where the
 * divisor is divisorOverride, else the window size within the padded input (countIncludePad)
 * or within the input.
 * @param x [N, C, H, W] or [C, H, W]
 * @param options kernelSize, stride (= kernelSize), padding (0), ceilMode (false),
 *   countIncludePad (true), divisorOverride
 *
 * Shape: OH = floor((H + 2·ph − KH) / sh) + 1 (ceil with ceilMode, as maxPool2d).
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const fn = 'avgPool2d';
  const xt = checkInput(fn, 2, x);
  const o = options ?? ({} as AvgPool2dOptions);
  const g = windowGeom(fn, 2, xt, o.kernelSize, o.stride, o.padding ?? 0, 1, o.ceilMode ?? false);
  const include = checkBool(fn, 'countIncludePad', o.countIncludePad ?? true);
  return avgPoolCore(fn, xt, g, outShape(xt, 2, g), include, checkDivisor(fn, o.divisorOverride));
}

/** 1-D average pooling, as torch.nn.functional.avg_pool1d. x: [N, C, L] or [C, L]. */
export function avgPool1d(x: Tensor, options: AvgPool1dOptions): Tensor {
  const fn = 'avgPool1d';
  const xt = checkInput(fn, 1, x);
  const o = options ?? ({} as AvgPool1dOptions);
  const g = windowGeom(fn, 1, xt, o.kernelSize, o.stride, o.padding ?? 0, 1, o.ceilMode ?? false);
  const include = checkBool(fn, 'countIncludePad', o.countIncludePad ?? true);
  return avgPoolCore(fn, xt, g, outShape(xt, 1, g), include, 0);
}

function adaptiveGeom(fn: string, x: Tensor, outputSize: unknown): PoolGeom {
  const [H, W] = x.shape.slice(-2);
  let out: (number | null)[];
  if (isInt(outputSize, 1)) out = [outputSize, outputSize];
  else if (
    Array.isArray(outputSize) && outputSize.length === 2 &&
    outputSize.every((v) => v === null || isInt(v, 1))
  ) out = outputSize as (number | null)[];
  else {
    throw new RangeError(
      `${fn}: outputSize must be an integer >= 1 or [OH, OW] (null keeps the input size), ` +
        `got ${show(outputSize)}`,
    );
  }
  const planes = x.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return {
    planes, H, W, OH: out[0] ?? H, OW: out[1] ?? W,
    KH: 1, KW: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1,
  };
}

/**
 * Adaptive 2-D average pooling, as torch.nn.functional.adaptive_avg_pool2d: output cell
 * (i, j) averages rows [floor(i·H/OH), ceil((i+1)·H/OH)) and columns likewise.
 * @param x [N, C, H, W] or [C, H, W]
 * @param outputSize OH (= OW) or [OH, OW]; null keeps that input size
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number | null, number | null]): Tensor {
  const fn = 'adaptiveAvgPool2d';
  const xt = checkInput(fn, 2, x);
  const g = adaptiveGeom(fn, xt, outputSize);
  const y = uninitialisedF32(g.planes * g.OH * g.OW);
  native.adaptiveAvgPool2dForward(y, f32(xt), g.planes, g.H, g.W, g.OH, g.OW);
  return record(new Tensor(y, outShape(xt, 2, g)), fn, [xt], (dy) => {
    const dx = uninitialisedF32(xt.size);
    native.adaptiveAvgPool2dBackward(dx, f32(dy), g.planes, g.H, g.W, g.OH, g.OW);
    return [new Tensor(dx, xt.shape)];
  });
}

/**
 * Adaptive 2-D max pooling, as torch.nn.functional.adaptive_max_pool2d (values only), with
 * the windows of adaptiveAvgPool2d.
 * @param x [N, C, H, W] or [C, H, W]
 * @param outputSize OH (= OW) or [OH, OW]; null keeps that input size
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | [number | null, number | null]): Tensor {
  const fn = 'adaptiveMaxPool2d';
  const xt = checkInput(fn, 2, x);
  const g = adaptiveGeom(fn, xt, outputSize);
  if (g.H === 0 || g.W === 0) {
    throw new RangeError(`${fn}: input must have H, W >= 1, got ${formatShape(xt.shape)}`);
  }
  return maxPoolCore(fn, xt, g, outShape(xt, 2, g), true);
}
