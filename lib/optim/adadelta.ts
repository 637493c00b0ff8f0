// Adadelta (torch.optim.Adadelta, 1.13): step sizes from running averages of squared
// gradients and squared updates. One native call per parameter: optim.cc adadelta_step.
import { native } from '../native';
import type { Tensor } from '../tensor';
import {
  checkBoolean, checkInRange, checkNonNegative, Optimizer, zerosState, type ParamGroup,
  type ParamGroupInput, type ParamState,
} from './optimizer';

export interface AdadeltaOptions {
  /** Scale applied to the update (default 1.0). */
  lr?: number;
  /** Coefficient of the running averages, in [0, 1] (default 0.9). */
  rho?: number;
  /** Added inside the square roots (default 1e-6). */
  eps?: number;
  /** L2 penalty (default 0). */
  weightDecay?: number;
  /** Maximize the objective (default false). */
  maximize?: boolean;
}

export type AdadeltaGroupOptions = Required<AdadeltaOptions>;

/**
 * Adadelta, as torch.optim.Adadelta: s = ρ·s + (1 − ρ)·g²; δ = √(Δ + eps)/√(s + eps)·g;
 * Δ = ρ·Δ + (1 − ρ)·δ²; θ −= lr·δ.
 * State per parameter: `step`, `square_avg`, `acc_delta`.
 * @throws RangeError for a negative lr, eps or weightDecay, or rho outside [0, 1]
 */
export class Adadelta extends Optimizer<AdadeltaGroupOptions> {
  constructor(params: Iterable<Tensor> | ParamGroupInput<AdadeltaGroupOptions>[], options: AdadeltaOptions = {}) {
    super(params, {
      lr: options.lr ?? 1.0,
      rho: options.rho ?? 0.9,
      eps: options.eps ?? 1e-6,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(o: AdadeltaGroupOptions): void {
    checkNonNegative('Adadelta', 'lr', o.lr);
    checkInRange('Adadelta', 'rho', o.rho, 0, 1, true);
    checkNonNegative('Adadelta', 'eps', o.eps);
    checkNonNegative('Adadelta', 'weightDecay', o.weightDecay);
    checkBoolean('Adadelta', 'maximize', o.maximize);
  }

  protected initState(p: Tensor): ParamState {
    return { step: 0, square_avg: zerosState(p), acc_delta: zerosState(p) };
  }

  protected update(p: Tensor, grad: Float32Array, st: ParamState, g: ParamGroup<AdadeltaGroupOptions>): void {
    st.step = (st.step as number) + 1;
    native.adadeltaStep(
      p.data as Float32Array, (st.square_avg as Tensor).data as Float32Array,
      (st.acc_delta as Tensor).data as Float32Array, grad, p.size, g.lr, g.rho, g.eps,
      g.weightDecay, g.maximize,
    );
  }
}
