// neurite's public API. Only exports live here.
export {
  Tensor, tensor, zeros, ones, full, zerosLike, onesLike, fullLike, rand, randn, randint,
  randperm, arange, linspace, eye,
} from './tensor';
export type { DType, NestedArray, TensorLike, TensorOptions, Storage } from './tensor';
export { manualSeed, getRngState, setRngState } from './random';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd/grad_mode';
export type { BackwardOptions } from './autograd/backward';
export { backend, setNumThreads, getNumThreads } from './backend';
export {
  add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, rsqrt, abs, sign, square,
  clamp, eq, ne, lt, le, gt, ge, where, cast, logicalAnd, logicalOr, logicalNot,
} from './ops/elementwise';
export {
  relu, leakyRelu, elu, gelu, sigmoid, tanh, softplus, softmax, logSoftmax,
} from './ops/activation';
export type { GeluOptions, SoftplusOptions } from './ops/activation';
export {
  sum, mean, max, min, amax, amin, argmax, argmin, variance as var, std, logSumExp,
} from './ops/reduce';
export type { ValuesIndices, VarOptions } from './ops/reduce';
export {
  reshape, flatten, squeeze, unsqueeze, permute, transpose, t, expand, clone, narrow, slice,
  select, cat, stack, split, chunk,
} from './ops/shape';
export { indexSelect, gather, scatterAdd } from './ops/index';
export { matmul, type MatmulOptions } from './ops/matmul';
export * from './ops/cnn_exports';
export * from './ops/norm_exports';
export type { Shape } from './shape';

import { reshape as reshapeOp } from './ops/shape';
import type { Tensor as T } from './tensor';
/** Same as reshape (neurite tensors are always contiguous). */
export function view(x: T, shape: number[]): T {
  return reshapeOp(x, shape, 'view');
}

export * as nn from './nn/index';
export * as optim from './optim/index';
export * from './train/index';
export * from './io/index';
