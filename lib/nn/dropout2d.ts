// Channel dropout, as torch.nn.Dropout2d: whole feature maps zeroed in training mode.
import { cast, lt, mul } from '../ops/elementwise';
import { formatShape } from '../shape';
import { rand, Tensor, zerosLike } from '../tensor';
import { checkProbability } from './functional';
import { Module } from './module';

/**
 * Zeroes each channel of x [N, C, *] (every spatial element of it) with probability p in
 * training and scales the rest by 1 / (1 - p), as torch.nn.functional.dropout2d; returns x
 * unchanged when not training. The mask comes from the seeded generator.
 * Shape: [N, C, H, W] (or [N, C, *]) -> same.
 */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`dropout2d: input must be a Tensor, got ${typeof x}`);
  checkProbability('dropout2d', p);
  if (x.ndim < 3) {
    throw new RangeError(`dropout2d: input must be [N, C, H, W] (or [N, C, *]), got ${formatShape(x.shape)}`);
  }
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, zerosLike(x));
  const maskShape = [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)];
  const keep = cast(lt(rand(maskShape), 1 - p), 'float32');
  return mul(x, mul(keep, 1 / (1 - p)));
}

/**
 * Channel dropout layer, as torch.nn.Dropout2d: in training zeroes whole channels of
 * [N, C, H, W] with probability p and scales the rest by 1 / (1 - p); the identity after eval().
 */
export class Dropout2d extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    this.p = checkProbability('Dropout2d', p);
  }

  resetParameters(): void {}

  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
