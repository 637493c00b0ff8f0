// Adam and AdamW (torch.optim.Adam / AdamW, 1.13): bias-corrected moment estimates, optional
// AMSGrad; AdamW decays the weights directly instead of adding wd·θ to the gradient.
// One native call per parameter: native/kernels/optim.cc adam_step.
import { native } from '../native';
import type { Tensor } from '../tensor';
import {
  checkBetas, checkBoolean, checkNonNegative, Optimizer, zerosState, type ParamGroup,
  type ParamGroupInput, type ParamState,
} from './optimizer';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Coefficients of the running averages of the gradient and its square (default
   *  [0.9, 0.999]); each in [0, 1). */
  betas?: [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Weight decay: L2 penalty for Adam (default 0), decoupled decay for AdamW (default 1e-2). */
  weightDecay?: number;
  /** Use the maximum of past squared-gradient averages (AMSGrad; default false). */
  amsgrad?: boolean;
  /** Maximize the objective (default false). */
  maximize?: boolean;
}

export type AdamGroupOptions = Required<AdamOptions> & { lr: number };

abstract class AdamBase extends Optimizer<AdamGroupOptions> {
  protected abstract readonly decoupled: boolean;

  protected validate(o: AdamGroupOptions): void {
    const fn = this.name;
    checkNonNegative(fn, 'lr', o.lr);
    checkNonNegative(fn, 'eps', o.eps);
    checkBetas(fn, o.betas);
    checkNonNegative(fn, 'weightDecay', o.weightDecay);
    checkBoolean(fn, 'amsgrad', o.amsgrad);
    checkBoolean(fn, 'maximize', o.maximize);
  }

  protected initState(p: Tensor, g: ParamGroup<AdamGroupOptions>): ParamState {
    const st: ParamState = { step: 0, exp_avg: zerosState(p), exp_avg_sq: zerosState(p) };
    if (g.amsgrad) st.max_exp_avg_sq = zerosState(p);
    return st;
  }

  protected update(p: Tensor, grad: Float32Array, st: ParamState, g: ParamGroup<AdamGroupOptions>): void {
    if (g.amsgrad && !st.max_exp_avg_sq) st.max_exp_avg_sq = zerosState(p);
    const step = (st.step as number) + 1;
    st.step = step;
    native.adamStep(
      p.data as Float32Array, (st.exp_avg as Tensor).data as Float32Array,
      (st.exp_avg_sq as Tensor).data as Float32Array,
      g.amsgrad ? (st.max_exp_avg_sq as Tensor).data as Float32Array : null, grad, p.size,
      step, g.lr, g.betas[0], g.betas[1], g.eps, g.weightDecay, g.amsgrad, g.maximize,
      this.decoupled,
    );
  }
}

/**
 * Adam, as torch.optim.Adam: m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g²,
 * θ −= lr/(1 − β1^t) · m / (√v/√(1 − β2^t) + eps), with g = ∇ + wd·θ.
 * State per parameter: `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` (amsgrad).
 * @throws RangeError for lr, eps or weightDecay < 0 or betas outside [0, 1)
 * @example
 * const w = tensor([1, 2], { requiresGrad: true });
 * const opt = new Adam([w], { lr: 1e-3 });
 * w.mul(w).sum().backward(); opt.step(); opt.zeroGrad();
 */
export class Adam extends AdamBase {
  protected readonly decoupled: boolean = false;
  constructor(params: Iterable<Tensor> | ParamGroupInput<AdamGroupOptions>[], options: AdamOptions = {}) {
    super(params, resolve(options, 0));
  }
}

/**
 * AdamW, as torch.optim.AdamW: Adam with decoupled weight decay, θ ← θ·(1 − lr·wd) before the
 * Adam update (weightDecay defaults to 1e-2). Same state as Adam.
 * @throws RangeError as Adam
 */
export class AdamW extends AdamBase {
  protected readonly decoupled: boolean = true;
  constructor(params: Iterable<Tensor> | ParamGroupInput<AdamGroupOptions>[], options: AdamOptions = {}) {
    super(params, resolve(options, 1e-2));
  }
}

function resolve(o: AdamOptions, weightDecay: number): AdamGroupOptions {
  return {
    lr: o.lr ?? 1e-3,
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? weightDecay,
    amsgrad: o.amsgrad ?? false,
    maximize: o.maximize ?? false,
  };
}
