// RMSprop (torch.optim.RMSprop, 1.13): running average of squared gradients, optionally
// centered and with momentum. One native call per parameter: optim.cc rmsprop_step.
import { native } from '../native';
import type { Tensor } from '../tensor';
import {
  checkBoolean, checkNonNegative, Optimizer, zerosState, type ParamGroup, type ParamGroupInput,
  type ParamState,
} from './optimizer';

export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr?: number;
  /** Smoothing constant (default 0.99). */
  alpha?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty (default 0). */
  weightDecay?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Normalize by the estimated variance of the gradient (default false). */
  centered?: boolean;
  /** Maximize the objective (default false). */
  maximize?: boolean;
}

export type RMSpropGroupOptions = Required<RMSpropOptions>;

/**
 * RMSprop, as torch.optim.RMSprop: s = α·s + (1 − α)·g²; avg = √(s − ḡ²) (centered, with
 * ḡ = α·ḡ + (1 − α)·g) or √s, plus eps; θ −= lr·g/avg, or through a momentum buffer
 * b = μ·b + g/avg, θ −= lr·b.
 * State per parameter: `step`, `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg`
 * (centered).
 * @throws RangeError for a negative lr, alpha, eps, momentum or weightDecay
 */
export class RMSprop extends Optimizer<RMSpropGroupOptions> {
  constructor(params: Iterable<Tensor> | ParamGroupInput<RMSpropGroupOptions>[], options: RMSpropOptions = {}) {
    super(params, {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(o: RMSpropGroupOptions): void {
    for (const k of ['lr', 'alpha', 'eps', 'weightDecay', 'momentum'] as const) {
      checkNonNegative('RMSprop', k, o[k]);
    }
    checkBoolean('RMSprop', 'centered', o.centered);
    checkBoolean('RMSprop', 'maximize', o.maximize);
  }

  protected initState(p: Tensor, g: ParamGroup<RMSpropGroupOptions>): ParamState {
    const st: ParamState = { step: 0, square_avg: zerosState(p) };
    if (g.momentum > 0) st.momentum_buffer = zerosState(p);
    if (g.centered) st.grad_avg = zerosState(p);
    return st;
  }

  protected update(p: Tensor, grad: Float32Array, st: ParamState, g: ParamGroup<RMSpropGroupOptions>): void {
    if (g.momentum > 0 && !st.momentum_buffer) st.momentum_buffer = zerosState(p);
    if (g.centered && !st.grad_avg) st.grad_avg = zerosState(p);
    st.step = (st.step as number) + 1;
    native.rmspropStep(
      p.data as Float32Array, (st.square_avg as Tensor).data as Float32Array,
      g.centered ? (st.grad_avg as Tensor).data as Float32Array : null,
      g.momentum > 0 ? (st.momentum_buffer as Tensor).data as Float32Array : null, grad, p.size,
      g.lr, g.alpha, g.eps, g.weightDecay, g.momentum, g.centered, g.maximize,
    );
  }
}
