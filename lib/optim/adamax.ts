// Adamax (torch.optim.Adamax, 1.13): Adam with the infinity norm in place of the second
// moment. One native call per parameter: optim.cc adamax_step.
import { native } from '../native';
import type { Tensor } from '../tensor';
import {
  checkBetas, checkBoolean, checkNonNegative, Optimizer, zerosState, type ParamGroup,
  type ParamGroupInput, type ParamState,
} from './optimizer';

export interface AdamaxOptions {
  /** Learning rate (default 2e-3). */
  lr?: number;
  /** Coefficients of the running average and the infinity norm (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to |g| (default 1e-8). */
  eps?: number;
  /** L2 penalty (default 0). */
  weightDecay?: number;
  /** Maximize the objective (default false). */
  maximize?: boolean;
}

export type AdamaxGroupOptions = Required<AdamaxOptions>;

/**
 * Adamax, as torch.optim.Adamax: m = β1·m + (1 − β1)·g; u = max(β2·u, |g| + eps);
 * θ −= lr/(1 − β1^t) · m/u.
 * State per parameter: `step`, `exp_avg`, `exp_inf`.
 * @throws RangeError for a negative lr, eps or weightDecay, or betas outside [0, 1)
 */
export class Adamax extends Optimizer<AdamaxGroupOptions> {
  constructor(params: Iterable<Tensor> | ParamGroupInput<AdamaxGroupOptions>[], options: AdamaxOptions = {}) {
    super(params, {
      lr: options.lr ?? 2e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(o: AdamaxGroupOptions): void {
    checkNonNegative('Adamax', 'lr', o.lr);
    checkNonNegative('Adamax', 'eps', o.eps);
    checkBetas('Adamax', o.betas);
    checkNonNegative('Adamax', 'weightDecay', o.weightDecay);
    checkBoolean('Adamax', 'maximize', o.maximize);
  }

  protected initState(p: Tensor): ParamState {
    return { step: 0, exp_avg: zerosState(p), exp_inf: zerosState(p) };
  }

  protected update(p: Tensor, grad: Float32Array, st: ParamState, g: ParamGroup<AdamaxGroupOptions>): void {
    const step = (st.step as number) + 1;
    st.step = step;
    native.adamaxStep(
      p.data as Float32Array, (st.exp_avg as Tensor).data as Float32Array,
      (st.exp_inf as Tensor).data as Float32Array, grad, p.size, step, g.lr, g.betas[0],
      g.betas[1], g.eps, g.weightDecay, g.maximize,
    );
  }
}
