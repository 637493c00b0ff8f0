// Activation layers: module forms of the activations in lib/ops/activation.ts, as their
// torch.nn namesakes. They hold no parameters.
import {
  elu, gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, softplus, tanh,
} from '../ops/activation';
import type { Tensor } from '../tensor';
import { Module } from './module';

function checkFinite(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new RangeError(`${fn}: ${arg} must be a finite number, got ${String(v)}`);
  }
  return v;
}

/** Base of the parameter-free activation layers. */
abstract class Activation extends Module {
  resetParameters(): void {}
  abstract override forward(x: Tensor): Tensor;
}

/** max(x, 0). Shape: any -> same. */
export class ReLU extends Activation {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** x for x > 0, negativeSlope·x otherwise (default 0.01). Shape: any -> same. */
export class LeakyReLU extends Activation {
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkFinite('LeakyReLU', 'negativeSlope', negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** x for x > 0, alpha·(exp(x) - 1) otherwise (default alpha 1). Shape: any -> same. */
export class ELU extends Activation {
  readonly alpha: number;
  constructor(alpha = 1) {
    super();
    this.alpha = checkFinite('ELU', 'alpha', alpha);
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** x·Φ(x), or its tanh approximation with approximate 'tanh'. Shape: any -> same. */
export class GELU extends Activation {
  readonly approximate: 'none' | 'tanh';
  constructor(approximate: 'none' | 'tanh' = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new RangeError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
    }
    this.approximate = approximate;
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return this.approximate === 'none' ? '' : `approximate='${this.approximate}'`;
  }
}

/** 1 / (1 + exp(-x)). Shape: any -> same. */
export class Sigmoid extends Activation {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** tanh(x). Shape: any -> same. */
export class Tanh extends Activation {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** log(1 + exp(beta·x)) / beta, linear where beta·x > threshold (defaults 1, 20). */
export class Softplus extends Activation {
  readonly beta: number;
  readonly threshold: number;
  constructor(beta = 1, threshold = 20) {
    super();
    this.beta = checkFinite('Softplus', 'beta', beta);
    this.threshold = checkFinite('Softplus', 'threshold', threshold);
  }
  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

function checkDim(fn: string, dim: unknown): number {
  if (!Number.isInteger(dim)) throw new RangeError(`${fn}: dim must be an integer, got ${String(dim)}`);
  return dim as number;
}

/** exp(x) / sum(exp(x)) along dim. Shape: any -> same. */
export class Softmax extends Activation {
  readonly dim: number;
  constructor(dim: number) {
    super();
    this.dim = checkDim('Softmax', dim);
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** x - logSumExp(x) along dim. Shape: any -> same. */
export class LogSoftmax extends Activation {
  readonly dim: number;
  constructor(dim: number) {
    super();
    this.dim = checkDim('LogSoftmax', dim);
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
