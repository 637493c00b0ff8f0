// Activations: pointwise ones through the native unary kernels, softmax and log-softmax
// through native/kernels/softmax.cc. Definitions follow torch.nn.functional.
import { native } from '../native';
import { normalizeDim, view3 } from '../shape';
import { record, Tensor, uninitialisedF32 } from '../tensor';
import { cast, checkTensor, unary, UnaryOp } from './elementwise';

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return unary('relu', UnaryOp.Relu, x);
}

/** max(x, 0) written over x's storage, for a caller that holds the only reference to x and
 *  knows that the op that made x never reads it in backward (nn.Sequential after a max pool).
 *  Gradients are relu's: the backward masks by y > 0, which is where x > 0. */
export function reluOverwriting(x: Tensor): Tensor {
  return unary('relu', UnaryOp.Relu, x, 0, 0, true);
}

/** x for x > 0, negativeSlope * x otherwise (default slope 0.01). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkNumber('leakyRelu', 'negativeSlope', negativeSlope);
  return unary('leakyRelu', UnaryOp.LeakyRelu, x, negativeSlope);
}

/** x for x > 0, alpha * (exp(x) - 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkNumber('elu', 'alpha', alpha);
  return unary('elu', UnaryOp.Elu, x, alpha);
}

export interface GeluOptions {
  /** 'none' (default): x·Φ(x) with erf; 'tanh': the tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/** Gaussian error linear unit, x·Φ(x). */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new RangeError(
      `gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`,
    );
  }
  return unary('gelu', approximate === 'tanh' ? UnaryOp.GeluTanh : UnaryOp.Gelu, x);
}

/** 1 / (1 + exp(-x)). */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', UnaryOp.Sigmoid, x);
}

/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', UnaryOp.Tanh, x);
}

export interface SoftplusOptions {
  /** Default 1. */
  beta?: number;
  /** Above beta·x > threshold the function is x (default 20). */
  threshold?: number;
}

/** log(1 + exp(beta·x)) / beta, linear above the threshold. */
export function softplus(x: Tensor, options: SoftplusOptions = {}): Tensor {
  const beta = options.beta ?? 1;
  const threshold = options.threshold ?? 20;
  checkNumber('softplus', 'beta', beta);
  checkNumber('softplus', 'threshold', threshold);
  if (beta === 0) throw new RangeError('softplus: beta must be nonzero, got 0');
  return unary('softplus', UnaryOp.Softplus, x, beta, threshold);
}

function softmaxOp(fn: string, x: Tensor, dim: number, log: boolean): Tensor {
  checkTensor(fn, 'input', x);
  if (dim === undefined) throw new TypeError(`${fn}: dim must be given, got undefined`);
  const d = normalizeDim(fn, dim, x.ndim);
  const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
  const [outer, D, inner] = view3(x.shape, d);
  const y = uninitialisedF32(x.size);
  native.softmaxForward(y, xf.data as Float32Array, outer, D, inner, log);
  const out = new Tensor(y, x.shape);
  return record(out, fn, [x], (dy, _needs, dyWritable) => {
    // the kernel reads each element of dy before writing that element of dx
    const dx = dyWritable ? (dy.data as Float32Array) : uninitialisedF32(x.size);
    native.softmaxBackward(dx, dy.data as Float32Array, y, outer, D, inner, log);
    return [new Tensor(dx, x.shape)];
  });
}

/** exp(x) / sum(exp(x)) along dim. */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxOp('softmax', x, dim, false);
}

/** x - logSumExp(x) along dim. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxOp('logSoftmax', x, dim, true);
}

function checkNumber(fn: string, arg: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`${fn}: ${arg} must be a finite number, got ${String(v)}`);
  }
}
