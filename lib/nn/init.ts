// Parameter initialisation in place, as torch.nn.init: uniform, normal, constant, eye,
// Xavier/Glorot (Glorot & Bengio 2010), Kaiming/He (He et al. 2015) and orthogonal (Saxe et
// al. 2013). Draws come from neurite's seeded generator (manualSeed). Init-time only, so
// orthogonal_ runs its QR in plain TypeScript.
import { noGrad } from '../autograd/grad_mode';
import { formatShape } from '../shape';
import { rand, randn, Tensor } from '../tensor';

export type Nonlinearity =
  | 'linear' | 'identity' | 'conv1d' | 'conv2d' | 'conv3d' | 'convTranspose1d'
  | 'convTranspose2d' | 'convTranspose3d' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu'
  | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d' | 'leaky_relu';

export type FanMode = 'fanIn' | 'fanOut';

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leakyRelu only; default 0). */
  a?: number;
  /** 'fanIn' (default) keeps the forward variance, 'fanOut' the backward variance. */
  mode?: FanMode;
  /** Default 'leakyRelu' (with a = 0 the same as 'relu'). */
  nonlinearity?: Nonlinearity;
}

const LINEAR_LIKE = new Set([
  'linear', 'identity', 'conv1d', 'conv2d', 'conv3d', 'convTranspose1d', 'convTranspose2d',
  'convTranspose3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid',
]);

/**
 * The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain: 1 for linear,
 * convolutions and sigmoid; 5/3 for tanh; sqrt(2) for relu; sqrt(2 / (1 + slope²)) for
 * leakyRelu (slope = param, default 0.01); 3/4 for selu.
 * @throws RangeError for an unknown nonlinearity or a non-numeric slope
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR_LIKE.has(nonlinearity)) return 1;
  if (nonlinearity === 'tanh') return 5 / 3;
  if (nonlinearity === 'relu') return Math.SQRT2;
  if (nonlinearity === 'leakyRelu' || nonlinearity === 'leaky_relu') {
    const slope = param ?? 0.01;
    if (typeof slope !== 'number' || !Number.isFinite(slope)) {
      throw new RangeError(`calculateGain: param must be a finite number, got ${String(param)}`);
    }
    return Math.sqrt(2 / (1 + slope * slope));
  }
  if (nonlinearity === 'selu') return 3 / 4;
  throw new RangeError(
    `calculateGain: nonlinearity must be one of linear, conv1d, conv2d, conv3d, ` +
      `convTranspose1d/2d/3d, sigmoid, tanh, relu, leakyRelu, selu, got ${JSON.stringify(nonlinearity)}`,
  );
}

function checkFloat(fn: string, t: Tensor): Float32Array {
  if (!(t instanceof Tensor)) {
    throw new TypeError(`${fn}: tensor must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  }
  if (t.dtype !== 'float32') throw new TypeError(`${fn}: tensor must be float32, got ${t.dtype}`);
  return t.data as Float32Array;
}

function checkNumber(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new RangeError(`${fn}: ${arg} must be a finite number, got ${String(v)}`);
  }
  return v;
}

/**
 * [fanIn, fanOut] of a weight of shape [O, I, ...kernel]: I·k and O·k with k the product of
 * the kernel dims, as torch.nn.init._calculate_fan_in_and_fan_out.
 * @throws RangeError for tensors with fewer than 2 dims
 */
export function calculateFanInAndFanOut(t: Tensor, fn = 'calculateFanInAndFanOut'): [number, number] {
  if (t.ndim < 2) {
    throw new RangeError(
      `${fn}: tensor must have at least 2 dims to compute fan in and fan out, got shape ${formatShape(t.shape)}`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < t.ndim; ++i) receptive *= t.shape[i];
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

/** Fills t with U(a, b) draws; returns t. */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  const data = checkFloat('uniform_', t);
  checkNumber('uniform_', 'a', a);
  checkNumber('uniform_', 'b', b);
  if (b < a) throw new RangeError(`uniform_: b must be >= a = ${a}, got ${b}`);
  noGrad(() => {
    if (b === a) data.fill(a);
    else data.set(rand([t.size], { low: a, high: b }).data);
  });
  return t;
}

/** Fills t with N(mean, std²) draws; returns t. */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  const data = checkFloat('normal_', t);
  checkNumber('normal_', 'mean', mean);
  if (checkNumber('normal_', 'std', std) < 0) throw new RangeError(`normal_: std must be >= 0, got ${std}`);
  noGrad(() => data.set(randn([t.size], { mean, std }).data));
  return t;
}

/**
 * Fills t with N(mean, std²) draws redrawn until they fall in [a, b], as
 * torch.nn.init.trunc_normal_ (default bounds [-2, 2]); returns t.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  const data = checkFloat('truncNormal_', t);
  if (!(b > a)) throw new RangeError(`truncNormal_: b must be > a = ${a}, got ${b}`);
  let todo: number[] = Array.from(data.keys());
  for (let round = 0; todo.length > 0; ++round) {
    if (round > 1000) throw new RangeError(`truncNormal_: [a, b] = [${a}, ${b}] is too far from the mean ${mean}`);
    const draws = randn([todo.length], { mean, std }).data;
    const next: number[] = [];
    todo.forEach((i, k) => {
      if (draws[k] >= a && draws[k] <= b) data[i] = draws[k];
      else next.push(i);
    });
    todo = next;
  }
  return t;
}

/** Fills t with `value`; returns t. */
export function constant_(t: Tensor, value: number): Tensor {
  const data = checkFloat('constant_', t);
  if (typeof value !== 'number') throw new TypeError(`constant_: value must be a number, got ${typeof value}`);
  data.fill(value);
  return t;
}

/** Fills t with zeros; returns t. */
export function zeros_(t: Tensor): Tensor {
  checkFloat('zeros_', t).fill(0);
  return t;
}

/** Fills t with ones; returns t. */
export function ones_(t: Tensor): Tensor {
  checkFloat('ones_', t).fill(1);
  return t;
}

/** Fills a 2-D tensor with the identity (ones on the main diagonal); returns t. */
export function eye_(t: Tensor): Tensor {
  const data = checkFloat('eye_', t);
  if (t.ndim !== 2) throw new RangeError(`eye_: tensor must be 2-D, got shape ${formatShape(t.shape)}`);
  const [n, m] = t.shape;
  data.fill(0);
  for (let i = 0; i < Math.min(n, m); ++i) data[i * m + i] = 1;
  return t;
}

/** U(-a, a) with a = gain·sqrt(6 / (fanIn + fanOut)) (Glorot uniform); returns t. */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  checkFloat('xavierUniform_', t);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, 'xavierUniform_');
  const std = checkNumber('xavierUniform_', 'gain', gain) * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform_(t, -a, a);
}

/** N(0, std²) with std = gain·sqrt(2 / (fanIn + fanOut)) (Glorot normal); returns t. */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  checkFloat('xavierNormal_', t);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, 'xavierNormal_');
  const std = checkNumber('xavierNormal_', 'gain', gain) * Math.sqrt(2 / (fanIn + fanOut));
  return normal_(t, 0, std);
}

function kaimingStd(fn: string, t: Tensor, options: KaimingOptions | number): number {
  const o = typeof options === 'number' ? { a: options } : options;
  const a = checkNumber(fn, 'a', o.a ?? 0);
  const mode = o.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') {
    throw new RangeError(`${fn}: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  }
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, fn);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  return calculateGain(o.nonlinearity ?? 'leakyRelu', a) / Math.sqrt(fan);
}

/**
 * U(-bound, bound) with bound = gain·sqrt(3 / fan) (He uniform), gain from the nonlinearity
 * and slope `a`, fan from `mode`; returns t. A number as second argument is `a`.
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions | number = {}): Tensor {
  checkFloat('kaimingUniform_', t);
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, options);
  return uniform_(t, -bound, bound);
}

/** N(0, std²) with std = gain / sqrt(fan) (He normal); returns t. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions | number = {}): Tensor {
  checkFloat('kaimingNormal_', t);
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, options));
}

/**
 * A (semi-)orthogonal matrix times gain: t viewed as [rows, cols] (cols = the product of the
 * other dims) gets orthonormal rows (rows <= cols) or columns (rows > cols), from the QR of a
 * standard normal matrix with R's diagonal made positive; returns t.
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  const data = checkFloat('orthogonal_', t);
  if (t.ndim < 2) {
    throw new RangeError(`orthogonal_: tensor must have at least 2 dims, got shape ${formatShape(t.shape)}`);
  }
  checkNumber('orthogonal_', 'gain', gain);
  const rows = t.shape[0];
  const cols = t.size / rows;
  if (t.size === 0) return t;
  // Orthonormalise the columns of A [m, n], m >= n (transposed when rows < cols).
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const g = randn([rows * cols]).data;
  const q = new Float64Array(m * n); // column-major: column j at q[j*m .. j*m+m)
  for (let i = 0; i < rows; ++i) {
    for (let j = 0; j < cols; ++j) {
      // A = flat (rows >= cols) or flatᵀ (rows < cols)
      if (rows >= cols) q[j * m + i] = g[i * cols + j];
      else q[i * m + j] = g[i * cols + j];
    }
  }
  // modified Gram-Schmidt, twice, which is orthogonal to working precision
  for (let j = 0; j < n; ++j) {
    for (let pass = 0; pass < 2; ++pass) {
      for (let k = 0; k < j; ++k) {
        let dot = 0;
        for (let i = 0; i < m; ++i) dot += q[k * m + i] * q[j * m + i];
        for (let i = 0; i < m; ++i) q[j * m + i] -= dot * q[k * m + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; ++i) norm += q[j * m + i] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; ++i) q[j * m + i] = norm > 0 ? q[j * m + i] / norm : 0;
  }
  for (let i = 0; i < rows; ++i) {
    for (let j = 0; j < cols; ++j) {
      data[i * cols + j] = gain * (rows >= cols ? q[j * m + i] : q[i * m + j]);
    }
  }
  return t;
}
