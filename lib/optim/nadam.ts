// NAdam (torch.optim.NAdam, 1.13): Adam with Nesterov momentum and the momentum-decay
// schedule μ_t = β1(1 − ½·0.96^(t·ψ)). One native call per parameter: optim.cc nadam_step.
import { native } from '../native';
import type { Tensor } from '../tensor';
import {
  checkBetas, checkNonNegative, Optimizer, zerosState, type ParamGroup, type ParamGroupInput,
  type ParamState,
} from './optimizer';

export interface NAdamOptions {
  /** Learning rate (default 2e-3). */
  lr?: number;
  /** Coefficients of the running averages (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty (default 0). */
  weightDecay?: number;
  /** ψ in the momentum schedule (default 4e-3). */
  momentumDecay?: number;
}

export type NAdamGroupOptions = Required<NAdamOptions>;

/**
 * NAdam, as torch.optim.NAdam in PyTorch 1.13: with Π_t = Π μ_i and d = √(v/(1 − β2^t)) + eps,
 * θ −= lr(1 − μ_t)/(1 − Π_t) · g/d + lr·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d.
 * State per parameter: `step`, `mu_product`, `exp_avg`, `exp_avg_sq`.
 * @throws RangeError for a negative lr, eps, weightDecay or momentumDecay, or betas outside
 *   [0, 1)
 */
export class NAdam extends Optimizer<NAdamGroupOptions> {
  constructor(params: Iterable<Tensor> | ParamGroupInput<NAdamGroupOptions>[], options: NAdamOptions = {}) {
    super(params, {
      lr: options.lr ?? 2e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentumDecay: options.momentumDecay ?? 4e-3,
    });
  }

  protected validate(o: NAdamGroupOptions): void {
    checkNonNegative('NAdam', 'lr', o.lr);
    checkNonNegative('NAdam', 'eps', o.eps);
    checkBetas('NAdam', o.betas);
    checkNonNegative('NAdam', 'weightDecay', o.weightDecay);
    checkNonNegative('NAdam', 'momentumDecay', o.momentumDecay);
  }

  protected initState(p: Tensor): ParamState {
    return { step: 0, mu_product: 1, exp_avg: zerosState(p), exp_avg_sq: zerosState(p) };
  }

  protected update(p: Tensor, grad: Float32Array, st: ParamState, g: ParamGroup<NAdamGroupOptions>): void {
    const step = (st.step as number) + 1;
    st.step = step;
    st.mu_product = native.nadamStep(
      p.data as Float32Array, (st.exp_avg as Tensor).data as Float32Array,
      (st.exp_avg_sq as Tensor).data as Float32Array, grad, p.size, step,
      st.mu_product as number, g.lr, g.betas[0], g.betas[1], g.eps, g.weightDecay,
      g.momentumDecay,
    );
  }
}
