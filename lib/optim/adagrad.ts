// Adagrad (torch.optim.Adagrad, 1.13): per-element learning rates from the sum of squared
// gradients. One native call per parameter: optim.cc adagrad_step.
import { native } from '../native';
import type { Tensor } from '../tensor';
import {
  checkBoolean, checkNonNegative, Optimizer, zerosState, type ParamGroup, type ParamGroupInput,
  type ParamState,
} from './optimizer';

export interface AdagradOptions {
  /** Learning rate (default 1e-2). */
  lr?: number;
  /** Learning-rate decay: lr_t = lr / (1 + (t − 1)·lrDecay) (default 0). */
  lrDecay?: number;
  /** L2 penalty (default 0). */
  weightDecay?: number;
  /** Starting value of the sum of squares (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the denominator (default 1e-10). */
  eps?: number;
  /** Maximize the objective (default false). */
  maximize?: boolean;
}

export type AdagradGroupOptions = Required<AdagradOptions>;

/**
 * Adagrad, as torch.optim.Adagrad: sum += g²; θ −= lr_t · g / (√sum + eps).
 * State per parameter (created at construction, as PyTorch): `step`, `sum`.
 * @throws RangeError for a negative lr, lrDecay, weightDecay, initialAccumulatorValue or eps
 */
export class Adagrad extends Optimizer<AdagradGroupOptions> {
  constructor(params: Iterable<Tensor> | ParamGroupInput<AdagradGroupOptions>[], options: AdagradOptions = {}) {
    super(params, {
      lr: options.lr ?? 1e-2,
      lrDecay: options.lrDecay ?? 0,
      weightDecay: options.weightDecay ?? 0,
      initialAccumulatorValue: options.initialAccumulatorValue ?? 0,
      eps: options.eps ?? 1e-10,
      maximize: options.maximize ?? false,
    });
    for (const g of this.paramGroups) for (const p of g.params) this.state.set(p, this.initState(p, g));
  }

  protected validate(o: AdagradGroupOptions): void {
    for (const k of ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const) {
      checkNonNegative('Adagrad', k, o[k]);
    }
    checkBoolean('Adagrad', 'maximize', o.maximize);
  }

  protected initState(p: Tensor, g: ParamGroup<AdagradGroupOptions>): ParamState {
    return { step: 0, sum: zerosState(p, g.initialAccumulatorValue) };
  }

  protected update(p: Tensor, grad: Float32Array, st: ParamState, g: ParamGroup<AdagradGroupOptions>): void {
    const step = (st.step as number) + 1;
    st.step = step;
    native.adagradStep(
      p.data as Float32Array, (st.sum as Tensor).data as Float32Array, grad, p.size, step, g.lr,
      g.lrDecay, g.eps, g.weightDecay, g.maximize,
    );
  }
}
