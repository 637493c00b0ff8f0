// SGD with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD, 1.13).
// The update is one native call per parameter: native/kernels/optim.cc sgd_step.
import { native } from '../native';
import type { Tensor } from '../tensor';
import {
  checkBoolean, checkNonNegative, checkNumber, Optimizer, zerosState, type ParamGroup,
  type ParamGroupInput, type ParamState,
} from './optimizer';

export interface SGDOptions {
  /** Learning rate (required). */
  lr: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening for momentum (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening = 0 (default false). */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

export type SGDGroupOptions = Required<SGDOptions>;

/**
 * Stochastic gradient descent, as torch.optim.SGD:
 * g = ∇ + wd·θ; b = μ·b + (1 − τ)·g (b = g on the first step); θ −= lr·(nesterov ? g + μ·b : b).
 * State per parameter: `momentum_buffer` (null while momentum is 0).
 * @param params tensors or parameter groups
 * @throws RangeError for negative lr, momentum or weightDecay, or nesterov without momentum
 *   and zero dampening
 * @example
 * const w = tensor([1, 2], { requiresGrad: true });
 * const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
 * w.mul(w).sum().backward(); opt.step(); opt.zeroGrad();
 */
export class SGD extends Optimizer<SGDGroupOptions> {
  constructor(params: Iterable<Tensor> | ParamGroupInput<SGDGroupOptions>[], options: SGDOptions) {
    if (options === undefined || options === null || options.lr === undefined) {
      throw new TypeError('SGD: lr must be given, got undefined');
    }
    super(params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(o: SGDGroupOptions): void {
    checkNonNegative('SGD', 'lr', o.lr);
    checkNonNegative('SGD', 'momentum', o.momentum);
    checkNumber('SGD', 'dampening', o.dampening);
    checkNonNegative('SGD', 'weightDecay', o.weightDecay);
    checkBoolean('SGD', 'nesterov', o.nesterov);
    checkBoolean('SGD', 'maximize', o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(
        `SGD: nesterov needs momentum > 0 and dampening = 0, got momentum ${o.momentum} and ` +
          `dampening ${o.dampening}`,
      );
    }
  }

  protected initState(): ParamState {
    return { momentum_buffer: null };
  }

  protected update(p: Tensor, grad: Float32Array, st: ParamState, g: ParamGroup<SGDGroupOptions>): void {
    let buf = st.momentum_buffer as Tensor | null;
    const first = g.momentum !== 0 && buf === null;
    if (first) buf = st.momentum_buffer = zerosState(p);
    native.sgdStep(
      p.data as Float32Array, g.momentum !== 0 ? (buf as Tensor).data as Float32Array : null, grad,
      p.size, g.lr, g.momentum, g.dampening, g.weightDecay, g.nesterov, g.maximize, first,
    );
  }
}
