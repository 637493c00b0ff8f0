// Convolutions: conv1d, conv2d and convTranspose2d with PyTorch layouts. All three run on the
// native conv2d kernels (im2col + GEMM): conv1d is conv2d with H = 1, and the transposed
// convolution is conv2d's adjoint (its forward is conv2d's input gradient, its backward conv2d's
// forward and weight gradient). 'same' at stride > 1 follows TensorFlow (DESIGN.md).
import { native } from '../native';
import { formatShape } from '../shape';
import { allocateUninitialised, record, Tensor, uninitialisedF32 } from '../tensor';
import { checkTensor } from './elementwise';
import { type MaxPool2dOptions, windowGeom } from './pool';
import { reshape } from './shape';

export type Conv2dPadding =
  | 'valid'
  | 'same'
  | number
  | [number, number]
  | [number, number, number, number];

export interface Conv2dOptions {
  /** Step between windows: n or [sh, sw]. Default 1. */
  stride?: number | [number, number];
  /** 'valid' (0), 'same', n, [ph, pw] or [top, bottom, left, right]. Default 0. */
  padding?: Conv2dPadding;
  /** Spacing between kernel taps: n or [dh, dw]. Default 1. */
  dilation?: number | [number, number];
  /** Channel groups; Cin and Cout must be multiples. Default 1. */
  groups?: number;
}

export interface Conv1dOptions {
  stride?: number;
  /** 'valid' (0), 'same', n or [left, right]. Default 0. */
  padding?: 'valid' | 'same' | number | [number, number];
  dilation?: number;
  groups?: number;
}

export interface ConvTranspose2dOptions {
  stride?: number | [number, number];
  /** Removed from both sides of the output: n or [ph, pw]. Default 0. */
  padding?: number | [number, number];
  /** Added to the bottom/right of the output: n or [oph, opw]; < stride or < dilation. */
  outputPadding?: number | [number, number];
  groups?: number;
  dilation?: number | [number, number];
}

/** The native kernels' geometry: x [N, C, H, W], w [K, C/G, KH, KW], y [N, K, OH, OW]. */
interface Geom {
  N: number; C: number; H: number; W: number;
  K: number; KH: number; KW: number; OH: number; OW: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number; G: number;
}

type GeomArgs = [
  number, number, number, number, number, number, number, number,
  number, number, number, number, number, number, number, number,
];

function geomArgs(g: Geom): GeomArgs {
  return [g.N, g.C, g.H, g.W, g.K, g.KH, g.KW, g.OH, g.OW, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.G];
}

const f32 = (t: Tensor) => t.data as Float32Array;
const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v));
const isInt = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

function checkFloat(fn: string, arg: string, t: unknown): Tensor {
  const x = checkTensor(fn, arg, t);
  if (x.dtype !== 'float32') throw new TypeError(`${fn}: ${arg} must be float32, got ${x.dtype}`);
  return x;
}

/** n or a list of `count` integers >= min, as a list. */
function intList(fn: string, arg: string, v: unknown, count: number, min: number): number[] {
  if (isInt(v, min)) return new Array<number>(count).fill(v);
  if (Array.isArray(v) && v.length === count && v.every((e) => isInt(e, min))) return [...v];
  const what = count === 1 ? `an integer >= ${min}` : `an integer >= ${min} or ${count} of them`;
  throw new RangeError(`${fn}: ${arg} must be ${what}, got ${show(v)}`);
}

// --- the recorded op on native geometry ---------------------------------------------------

/** conv2d's gradients for the output gradient d: [dx, dw, db] for the inputs `needs` asks. */
function conv2dGrads(
  x: Tensor, w: Tensor, b: Tensor | null, g: Geom, d: Float32Array, needs: readonly boolean[],
): (Tensor | null)[] {
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (needs[0]) {
    const buf = uninitialisedF32(x.size);
    native.conv2dBackwardInput(buf, d, f32(w), null, ...geomArgs(g));
    dx = new Tensor(buf, x.shape);
  }
  // the weight gradient's pass over dy also sums it for the bias gradient
  const dbuf = b && needs[2] ? new Float32Array(g.K) : null;
  if (needs[1]) {
    const buf = uninitialisedF32(w.size);
    native.conv2dBackwardWeight(buf, dbuf, f32(x), d, ...geomArgs(g));
    dw = new Tensor(buf, w.shape);
  } else if (dbuf) {
    native.convBackwardBias(dbuf, d, g.N, g.K, g.OH * g.OW);
  }
  if (b && dbuf) db = new Tensor(dbuf, b.shape);
  return b ? [dx, dw, db] : [dx, dw];
}

/** y = conv2d(x, w) + b on 4-D tensors with resolved geometry; records the backward. */
function conv2dCore(x: Tensor, w: Tensor, b: Tensor | null, g: Geom): Tensor {
  const y = uninitialisedF32(g.N * g.K * g.OH * g.OW);
  native.conv2dForward(y, f32(x), f32(w), b ? f32(b) : null, ...geomArgs(g));
  const out = new Tensor(y, [g.N, g.K, g.OH, g.OW]);
  const inputs = b ? [x, w, b] : [x, w];
  return record(out, 'conv2d', inputs, (dy, needs) => conv2dGrads(x, w, b, g, f32(dy), needs));
}

/** y = convTranspose2d(x, w) + b: conv2d's adjoint for geometry g, where g describes the
 *  conv2d from y (its input) to x (its output); records the backward. */
function convTranspose2dCore(x: Tensor, w: Tensor, b: Tensor | null, g: Geom): Tensor {
  const y = uninitialisedF32(g.N * g.C * g.H * g.W);
  native.conv2dBackwardInput(y, f32(x), f32(w), b ? f32(b) : null, ...geomArgs(g));
  const out = new Tensor(y, [g.N, g.C, g.H, g.W]);
  const inputs = b ? [x, w, b] : [x, w];
  return record(out, 'convTranspose2d', inputs, (dy, needs) => {
    const d = f32(dy);
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      const buf = uninitialisedF32(x.size);
      native.conv2dForward(buf, d, f32(w), null, ...geomArgs(g));
      dx = new Tensor(buf, x.shape);
    }
    if (needs[1]) {
      const buf = uninitialisedF32(w.size);
      native.conv2dBackwardWeight(buf, null, d, f32(x), ...geomArgs(g));
      dw = new Tensor(buf, w.shape);
    }
    if (b && needs[2]) {
      const buf = uninitialisedF32(g.C);
      native.convBackwardBias(buf, d, g.N, g.C, g.H * g.W);
      db = new Tensor(buf, b.shape);
    }
    return b ? [dx, dw, db] : [dx, dw];
  });
}

// --- validation shared by conv1d and conv2d -------------------------------------------------

interface Resolved {
  x4: Tensor;
  w4: Tensor;
  bias: Tensor | null;
  g: Geom;
}

/** Checks conv1d/conv2d arguments in the caller's terms (`spatial` = 1 or 2 dims) and returns
 *  4-D views and the native geometry. */
function resolveConv(
  fn: string,
  spatial: 1 | 2,
  xIn: unknown,
  wIn: unknown,
  bIn: unknown,
  stride: unknown,
  padding: unknown,
  dilation: unknown,
  groups: unknown,
): Resolved {
  const x = checkFloat(fn, 'input', xIn);
  const w = checkFloat(fn, 'weight', wIn);
  const b = bIn === undefined || bIn === null ? null : checkFloat(fn, 'bias', bIn);
  const rank = spatial + 2;
  const sp = spatial === 2 ? 'H, W' : 'L';
  const ksp = spatial === 2 ? 'KH, KW' : 'K';
  if (w.ndim !== rank) {
    throw new RangeError(`${fn}: weight must be [Cout, Cin/groups, ${ksp}], got ${formatShape(w.shape)}`);
  }
  const s = intList(fn, 'stride', stride, spatial, 1);
  const d = intList(fn, 'dilation', dilation, spatial, 1);
  if (!isInt(groups, 1)) throw new RangeError(`${fn}: groups must be an integer >= 1, got ${show(groups)}`);
  const G = groups;
  const K = w.shape[0];
  const C = w.shape[1] * G;
  if (x.ndim !== rank) {
    throw new RangeError(`${fn}: input must be [N, C, ${sp}] with C = ${C}, got ${formatShape(x.shape)}`);
  }
  const Cin = x.shape[1];
  if (Cin % G !== 0 || K % G !== 0) {
    throw new RangeError(`${fn}: groups must divide Cin = ${Cin} and Cout = ${K}, got ${G}`);
  }
  if (Cin !== C) {
    throw new RangeError(`${fn}: input must be [N, C, ${sp}] with C = ${C}, got ${formatShape(x.shape)}`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== K)) {
    throw new RangeError(`${fn}: bias must be [Cout] with Cout = ${K}, got ${formatShape(b.shape)}`);
  }
  const ins = x.shape.slice(2);
  const ks = w.shape.slice(2);
  const eks = ks.map((k, i) => d[i] * (k - 1) + 1);
  // per-dim [before, after] padding
  let pads: [number, number][];
  if (padding === 'valid') {
    pads = ins.map(() => [0, 0]);
  } else if (padding === 'same') {
    pads = ins.map((n, i) => {
      const out = Math.ceil(n / s[i]);
      const total = Math.max((out - 1) * s[i] + eks[i] - n, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  } else if (isInt(padding, 0)) {
    pads = ins.map(() => [padding, padding]);
  } else if (Array.isArray(padding) && padding.every((p) => isInt(p, 0)) &&
      (padding.length === spatial || padding.length === 2 * spatial)) {
    const p = padding as number[];
    if (spatial === 2) {
      pads = p.length === 2 ? [[p[0], p[0]], [p[1], p[1]]] : [[p[0], p[1]], [p[2], p[3]]];
    } else {
      pads = p.length === 1 ? [[p[0], p[0]]] : [[p[0], p[1]]];
    }
  } else {
    const forms = spatial === 2 ? '[ph, pw] or [top, bottom, left, right]' : 'or [left, right]';
    throw new RangeError(
      `${fn}: padding must be 'valid', 'same', an integer >= 0, ${forms}, got ${show(padding)}`,
    );
  }
  const padded = ins.map((n, i) => n + pads[i][0] + pads[i][1]);
  if (eks.some((e, i) => e > padded[i])) {
    throw new RangeError(
      `${fn}: kernel ${eks.join('x')} (dilated) must fit in the padded input ${padded.join('x')}`,
    );
  }
  const outs = padded.map((p, i) => Math.floor((p - eks[i]) / s[i]) + 1);
  const one = spatial === 1;
  const g: Geom = {
    N: x.shape[0], C, H: one ? 1 : ins[0], W: ins[spatial - 1],
    K, KH: one ? 1 : ks[0], KW: ks[spatial - 1], OH: one ? 1 : outs[0], OW: outs[spatial - 1],
    sh: one ? 1 : s[0], sw: s[spatial - 1], pt: one ? 0 : pads[0][0], pl: pads[spatial - 1][0],
    dh: one ? 1 : d[0], dw: d[spatial - 1], G,
  };
  const x4 = one ? reshape(x, [g.N, C, 1, g.W]) : x;
  const w4 = one ? reshape(w, [K, w.shape[1], 1, g.KW]) : w;
  return { x4, w4, bias: b, g };
}

/**
 * 2-D convolution (cross-correlation, as torch.nn.functional.conv2d):
 * y[n, o] = bias[o] + Σ_{c, i, j} weight[o, c, i, j] · x[n, g·Cin/G + c, oh·sh − pt + i·dh,
 * ow·sw − pl + j·dw], zero outside the input.
 * @param x input [N, Cin, H, W]
 * @param weight [Cout, Cin/groups, KH, KW]
 * @param bias optional [Cout]
 * @param options stride (1), padding (0; 'same' at stride > 1 is TensorFlow's: output
 *   ceil(H / sh), the odd pixel at the bottom/right), dilation (1), groups (1)
 *
 * Shape: [N, Cin, H, W] -> [N, Cout, OH, OW], OH = floor((H + pt + pb − dh·(KH − 1) − 1) / sh) + 1.
 * @throws RangeError naming the argument: `conv2d: input must be [N, C, H, W] with C = 3, got
 *   [8, 1, 28, 28]`, `conv2d: kernel 5x5 (dilated) must fit in the padded input 4x4`,
 *   `conv2d: groups must divide Cin = 6 and Cout = 4, got 4`
 * @example
 * const y = conv2d(randn([2, 3, 8, 8]), randn([4, 3, 3, 3]), null, { padding: 'same' });
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: Conv2dOptions = {},
): Tensor {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  const r = resolveConv('conv2d', 2, x, weight, bias, stride, padding, dilation, groups);
  return conv2dCore(r.x4, r.w4, r.bias, r.g);
}

/**
 * 1-D convolution, as torch.nn.functional.conv1d (conv2d with H = 1).
 * @param x input [N, Cin, L]
 * @param weight [Cout, Cin/groups, K]
 * @param bias optional [Cout]
 * @param options stride (1), padding (0, 'valid', 'same', n or [left, right]), dilation (1),
 *   groups (1)
 *
 * Shape: [N, Cin, L] -> [N, Cout, OL], OL = floor((L + pl + pr − d·(K − 1) − 1) / s) + 1.
 * @throws RangeError as conv2d, naming conv1d.
 */
export function conv1d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: Conv1dOptions = {},
): Tensor {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  const r = resolveConv('conv1d', 1, x, weight, bias, stride, padding, dilation, groups);
  const y = conv2dCore(r.x4, r.w4, r.bias, r.g);
  return reshape(y, [r.g.N, r.g.K, r.g.OW]);
}

/**
 * 2-D transposed convolution, as torch.nn.functional.conv_transpose2d: the adjoint of conv2d
 * with the same stride, padding, dilation and groups, plus bias.
 * @param x input [N, Cin, H, W]
 * @param weight [Cin, Cout/groups, KH, KW]
 * @param bias optional [Cout]
 * @param options stride (1), padding (0), outputPadding (0), groups (1), dilation (1)
 *
 * Shape: [N, Cin, H, W] -> [N, Cout, OH, OW],
 * OH = (H − 1)·sh − 2·ph + dh·(KH − 1) + oph + 1.
 * @throws RangeError naming the argument, e.g. `convTranspose2d: input must be [N, C, H, W]
 *   with C = 4, got [2, 3, 5, 5]`
 */
export function convTranspose2d(
  xIn: Tensor,
  weightIn: Tensor,
  biasIn?: Tensor | null,
  options: ConvTranspose2dOptions = {},
): Tensor {
  const fn = 'convTranspose2d';
  const x = checkFloat(fn, 'input', xIn);
  const w = checkFloat(fn, 'weight', weightIn);
  const b = biasIn === undefined || biasIn === null ? null : checkFloat(fn, 'bias', biasIn);
  if (w.ndim !== 4) {
    throw new RangeError(`${fn}: weight must be [Cin, Cout/groups, KH, KW], got ${formatShape(w.shape)}`);
  }
  const s = intList(fn, 'stride', options.stride ?? 1, 2, 1);
  const p = intList(fn, 'padding', options.padding ?? 0, 2, 0);
  const op = intList(fn, 'outputPadding', options.outputPadding ?? 0, 2, 0);
  const d = intList(fn, 'dilation', options.dilation ?? 1, 2, 1);
  const G = options.groups ?? 1;
  if (!isInt(G, 1)) throw new RangeError(`${fn}: groups must be an integer >= 1, got ${show(G)}`);
  const Cin = w.shape[0];
  const Cout = w.shape[1] * G;
  if (x.ndim !== 4 || x.shape[1] !== Cin) {
    throw new RangeError(`${fn}: input must be [N, C, H, W] with C = ${Cin}, got ${formatShape(x.shape)}`);
  }
  if (Cin % G !== 0) {
    throw new RangeError(`${fn}: groups must divide Cin = ${Cin}, got ${G}`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== Cout)) {
    throw new RangeError(`${fn}: bias must be [Cout] with Cout = ${Cout}, got ${formatShape(b.shape)}`);
  }
  if (op.some((o, i) => o >= s[i] && o >= d[i])) {
    throw new RangeError(
      `${fn}: outputPadding must be smaller than stride or dilation, got ${show(op)} ` +
        `(stride ${show(s)}, dilation ${show(d)})`,
    );
  }
  const [N, , H, W] = x.shape;
  const [KH, KW] = w.shape.slice(2);
  const OH = (H - 1) * s[0] - 2 * p[0] + d[0] * (KH - 1) + op[0] + 1;
  const OW = (W - 1) * s[1] - 2 * p[1] + d[1] * (KW - 1) + op[1] + 1;
  if (OH < 1 || OW < 1) {
    throw new RangeError(
      `${fn}: output size must be at least 1x1, got ${OH}x${OW} (padding ${show(p)} too large ` +
        `for input ${H}x${W})`,
    );
  }
  // the conv2d from the output (its input) to x (its output)
  const g: Geom = {
    N, C: Cout, H: OH, W: OW, K: Cin, KH, KW, OH: H, OW: W,
    sh: s[0], sw: s[1], pt: p[0], pl: p[1], dh: d[0], dw: d[1], G,
  };
  return convTranspose2dCore(x, w, b, g);
}

/**
 * maxPool2d(conv2d(x, weight, bias, conv), pool) in one op, as nn.Sequential runs a Conv2d
 * followed by a MaxPool2d: the convolution output is pooled a few images at a time while in
 * cache and never stored. Forward values are conv2d's then maxPool2d's. The backward forms the
 * convolution's output gradient (the pool's scatter) and runs conv2d's gradients on it, except
 * when only the weight and bias need gradients (the first layer) and Cin/groups·KH·KW < 64
 * with groups 1: each pooled gradient then multiplies the input patch under its argmax
 * directly, without the mostly-zero gradient of the convolution output (the same sums in
 * another order, in double). Where the dense form multiplies a zero gradient by a NaN or
 * infinite input and gives NaN, as PyTorch does, this one stays finite.
 * @internal used by nn.Sequential; x [N, Cin, H, W] only.
 */
export function conv2dMaxPool2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  conv: Conv2dOptions,
  pool: MaxPool2dOptions,
): Tensor {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = conv;
  const r = resolveConv('conv2d', 2, x, weight, bias, stride, padding, dilation, groups);
  const g = r.g;
  const p = windowGeom(
    'maxPool2d', 2, { shape: [g.N, g.K, g.OH, g.OW] }, pool.kernelSize, pool.stride,
    pool.padding ?? 0, pool.dilation ?? 1, pool.ceilMode ?? false,
  );
  const P2 = p.OH * p.OW;
  const n = g.N * g.K * P2;
  const y = uninitialisedF32(n);
  const idx = allocateUninitialised('int32', n) as Int32Array;
  const [xt, w, b] = [r.x4, r.w4, r.bias];
  native.conv2dMaxPoolForward(
    y, idx, f32(xt), f32(w), b ? f32(b) : null, ...geomArgs(g),
    p.KH, p.KW, p.sh, p.sw, p.ph, p.ph, p.pw, p.pw, p.dh, p.dw, p.OH, p.OW,
  );
  const out = new Tensor(y, [g.N, g.K, p.OH, p.OW]);
  const inputs = b ? [xt, w, b] : [xt, w];
  const sparse = g.G === 1 && (g.C / g.G) * g.KH * g.KW < 64;
  return record(out, 'conv2dMaxPool2d', inputs, (dy, needs) => {
    if (!needs[0] && sparse) {
      const dw = uninitialisedF32(w.size);
      const db = b && needs[2] ? new Float32Array(g.K) : null;
      native.conv2dMaxPoolBackwardWeight(dw, db, f32(xt), f32(dy), idx, ...geomArgs(g), P2);
      const grads = [null, needs[1] ? new Tensor(dw, w.shape) : null];
      return b ? [...grads, db ? new Tensor(db, b.shape) : null] : grads;
    }
    const d = uninitialisedF32(g.N * g.K * g.OH * g.OW);
    native.maxPool2dBackward(d, f32(dy), idx, g.N * g.K, g.OH * g.OW, P2);
    return conv2dGrads(xt, w, b, g, d, needs);
  });
}
