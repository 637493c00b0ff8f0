// Linear-family layers: Linear, Bilinear, Identity, Flatten, Unflatten, as their torch.nn
// namesakes (same parameter names, shapes and initial distributions).
import { flatten, reshape } from '../ops/shape';
import { formatShape, normalizeDim, numel } from '../shape';
import { Tensor, zeros } from '../tensor';
import { bilinear, linear } from './functional';
import { kaimingUniform_, uniform_ } from './init';
import { Module } from './module';
import { Parameter } from './parameter';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

function checkSize(fn: string, arg: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0) {
    throw new RangeError(`${fn}: ${arg} must be an integer >= 0, got ${String(v)}`);
  }
  return v as number;
}

/**
 * y = x·Wᵀ + b, as torch.nn.Linear.
 * Shape: input [..., F] -> [..., O].
 * Parameters: weight [O, F] ~ U(-1/sqrt(F), 1/sqrt(F)) (kaimingUniform_ with a = sqrt(5));
 * bias [O] ~ U(-1/sqrt(F), 1/sqrt(F)).
 * @example new Linear(784, 128).forward(zeros([32, 784])) // [32, 128]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    const bias = options.bias ?? true;
    this.inFeatures = checkSize('Linear', 'inFeatures', inFeatures);
    this.outFeatures = checkSize('Linear', 'outFeatures', outFeatures);
    this.weight = this.registerParameter('weight', new Parameter(zeros([outFeatures, inFeatures])));
    this.bias = this.registerParameter('bias', bias ? new Parameter(zeros([outFeatures])) : null);
    this.resetParameters();
  }

  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * y = x1ᵀ·W·x2 + b, as torch.nn.Bilinear.
 * Shape: input1 [..., I1], input2 [..., I2] -> [..., O].
 * Parameters: weight [O, I1, I2] and bias [O], both ~ U(-1/sqrt(I1), 1/sqrt(I1)).
 */
export class Bilinear extends Module {
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(in1Features: number, in2Features: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.in1Features = checkSize('Bilinear', 'in1Features', in1Features);
    this.in2Features = checkSize('Bilinear', 'in2Features', in2Features);
    this.outFeatures = checkSize('Bilinear', 'outFeatures', outFeatures);
    this.weight = this.registerParameter(
      'weight',
      new Parameter(zeros([outFeatures, in1Features, in2Features])),
    );
    this.bias = this.registerParameter(
      'bias',
      options.bias ?? true ? new Parameter(zeros([outFeatures])) : null,
    );
    this.resetParameters();
  }

  resetParameters(): void {
    const bound = this.in1Features > 0 ? 1 / Math.sqrt(this.in1Features) : 0;
    uniform_(this.weight, -bound, bound);
    if (this.bias) uniform_(this.bias, -bound, bound);
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return bilinear(x1, x2, this.weight, this.bias);
  }

  override extraRepr(): string {
    return (
      `in1Features=${this.in1Features}, in2Features=${this.in2Features}, ` +
      `outFeatures=${this.outFeatures}, bias=${this.bias !== null}`
    );
  }
}

/** Returns its input unchanged, as torch.nn.Identity (a placeholder in model definitions). */
export class Identity extends Module {
  resetParameters(): void {}

  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Merges dims startDim..endDim into one, as torch.nn.Flatten (default: all but the batch
 * dim). Shape: [N, *dims] -> [N, prod(dims)] by default. Shares storage with the input.
 */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    if (!Number.isInteger(startDim)) throw new RangeError(`Flatten: startDim must be an integer, got ${startDim}`);
    if (!Number.isInteger(endDim)) throw new RangeError(`Flatten: endDim must be an integer, got ${endDim}`);
  }

  resetParameters(): void {}

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/**
 * Expands dim into `sizes`, as torch.nn.Unflatten (one size may be -1).
 * Shape: [..., S, ...] -> [..., *sizes, ...] with prod(sizes) = S.
 */
export class Unflatten extends Module {
  readonly sizes: readonly number[];

  constructor(readonly dim: number, sizes: number[]) {
    super();
    if (!Number.isInteger(dim)) throw new RangeError(`Unflatten: dim must be an integer, got ${dim}`);
    if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((s) => Number.isInteger(s) && s >= -1)
      || sizes.filter((s) => s === -1).length > 1) {
      throw new RangeError(
        `Unflatten: sizes must be a non-empty array of integers >= 0 with at most one -1, got ${JSON.stringify(sizes)}`,
      );
    }
    this.sizes = Object.freeze([...sizes]);
  }

  resetParameters(): void {}

  forward(x: Tensor): Tensor {
    const d = normalizeDim('Unflatten', this.dim, x.ndim);
    const known = numel(this.sizes.filter((s) => s !== -1));
    const size = x.shape[d];
    const ok = this.sizes.includes(-1) ? known > 0 && size % known === 0 : known === size;
    if (!ok) {
      throw new RangeError(
        `Unflatten: input must have a size matching sizes ${formatShape(this.sizes)} at dim ${d}, ` +
          `got ${formatShape(x.shape)}`,
      );
    }
    return reshape(x, [...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattenedSize=${formatShape(this.sizes)}`;
  }
}
