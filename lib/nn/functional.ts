// nn.functional: the stateless forms of the layers (linear, bilinear, dropout), the loss
// functions (from loss.ts) and the activations (from lib/ops/activation.ts), as
// torch.nn.functional.
import { batchedProduct } from '../ops/matmul';
import { add, cast, checkTensor, lt, mul } from '../ops/elementwise';
import { sum } from '../ops/reduce';
import { permute, reshape, unsqueeze } from '../ops/shape';
import { formatShape } from '../shape';
import { rand, record, Tensor, zerosLike } from '../tensor';

export {
  relu, leakyRelu, elu, gelu, sigmoid, tanh, softplus, softmax, logSoftmax,
} from '../ops/activation';
export type { GeluOptions, SoftplusOptions } from '../ops/activation';
export * from '../ops/cnn_exports';
export * from '../ops/norm_exports';
export {
  mseLoss, l1Loss, smoothL1Loss, huberLoss, crossEntropy, nllLoss, binaryCrossEntropy,
  binaryCrossEntropyWithLogits, multiMarginLoss, hingeEmbeddingLoss, klDiv,
  cosineEmbeddingLoss,
} from './loss';
export type {
  Reduction, LossOptions, SmoothL1Options, HuberOptions, CrossEntropyOptions, NLLOptions,
  BCEOptions, BCEWithLogitsOptions, MultiMarginOptions, HingeEmbeddingOptions, KLDivOptions,
  CosineEmbeddingOptions,
} from './loss';

function float(x: Tensor): Tensor {
  return x.dtype === 'float32' ? x : cast(x, 'float32');
}

/**
 * y = x·Wᵀ + b, as torch.nn.functional.linear, in one GEMM with W read transposed.
 * Shape: input [..., F], weight [O, F], bias [O] -> [..., O].
 * @throws RangeError when shapes disagree: `linear: weight must be [O, 5], got [4, 6]`
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('linear', 'input', input);
  checkTensor('linear', 'weight', weight);
  if (input.ndim < 1) throw new RangeError('linear: input must be [..., F], got shape []');
  const F = input.shape[input.ndim - 1];
  if (weight.ndim !== 2 || weight.shape[1] !== F) {
    throw new RangeError(`linear: weight must be [O, ${F}], got ${formatShape(weight.shape)}`);
  }
  const O = weight.shape[0];
  if (bias != null) {
    checkTensor('linear', 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== O) {
      throw new RangeError(`linear: bias must be [${O}], got ${formatShape(bias.shape)}`);
    }
  }
  const lead = input.shape.slice(0, -1);
  const x = input.ndim === 2 ? float(input) : reshape(float(input), [-1, F]);
  const w = float(weight);
  const y = record(batchedProduct(x, w, false, true), 'linear', [x, w], (dy, needs) => [
    needs[0] ? batchedProduct(dy, w, false, false) : null,
    needs[1] ? batchedProduct(dy, x, true, false) : null,
  ]);
  const out = bias != null ? add(y, bias) : y;
  return input.ndim === 2 ? out : reshape(out, [...lead, O]);
}

/**
 * y[..., o] = x1ᵀ·W[o]·x2 + b[o], as torch.nn.functional.bilinear.
 * Shape: input1 [..., I1], input2 [..., I2] (same leading dims), weight [O, I1, I2],
 * bias [O] -> [..., O].
 */
export function bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('bilinear', 'input1', input1);
  checkTensor('bilinear', 'input2', input2);
  checkTensor('bilinear', 'weight', weight);
  if (weight.ndim !== 3) {
    throw new RangeError(`bilinear: weight must be [O, I1, I2], got ${formatShape(weight.shape)}`);
  }
  const [O, I1, I2] = weight.shape;
  if (input1.ndim < 1 || input1.shape[input1.ndim - 1] !== I1) {
    throw new RangeError(`bilinear: input1 must be [..., ${I1}], got ${formatShape(input1.shape)}`);
  }
  const lead = input1.shape.slice(0, -1);
  const want2 = [...lead, I2];
  if (formatShape(input2.shape) !== formatShape(want2)) {
    throw new RangeError(`bilinear: input2 must be ${formatShape(want2)}, got ${formatShape(input2.shape)}`);
  }
  if (bias != null && (bias.ndim !== 1 || bias.shape[0] !== O)) {
    throw new RangeError(`bilinear: bias must be [${O}], got ${formatShape(bias.shape)}`);
  }
  const x1 = reshape(float(input1), [-1, I1]);
  const x2 = reshape(float(input2), [-1, I2]);
  // t[n, o, j] = sum_i x1[n, i] W[o, i, j]; y[n, o] = sum_j t[n, o, j] x2[n, j]
  const wi = reshape(permute(float(weight), [1, 0, 2]), [I1, O * I2]);
  const t = reshape(x1.matmul(wi), [-1, O, I2]);
  let y = sum(mul(t, unsqueeze(x2, 1)), 2);
  if (bias != null) y = add(y, bias);
  return reshape(y, [...lead, O]);
}

/**
 * Inverted dropout, as torch.nn.functional.dropout: in training, each element is zeroed with
 * probability p and the rest scaled by 1 / (1 - p); otherwise x is returned unchanged. The
 * mask comes from the seeded generator.
 * @param p drop probability in [0, 1] (default 0.5)
 * @param training default true
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkTensor('dropout', 'input', x);
  checkProbability('dropout', p);
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, zerosLike(float(x)));
  const keep = cast(lt(rand([...x.shape]), 1 - p), 'float32');
  return mul(x, mul(keep, 1 / (1 - p)));
}

export function checkProbability(fn: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${fn}: p must be a probability in [0, 1], got ${String(p)}`);
  }
  return p;
}
