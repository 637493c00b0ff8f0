// Gradient clipping, in place on .grad: clipGradNorm_ and clipGradValue_ as
// torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (PyTorch 1.13). Kernels: optim.cc
// grad_norm_partial, grad_scale, grad_clamp.
import { native } from '../native';
import { Tensor } from '../tensor';

export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite (default false). */
  errorIfNonfinite?: boolean;
}

function gradsOf(fn: string, params: Iterable<Tensor> | Tensor): Float32Array[] {
  const list = params instanceof Tensor ? [params] : [...params];
  const out: Float32Array[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${fn}: params[${i}] must be a Tensor, got ${String(p)}`);
    if (p.grad === null) return;
    if (p.grad.dtype !== 'float32') {
      throw new TypeError(`${fn}: params[${i}].grad must have dtype float32, got ${p.grad.dtype}`);
    }
    out.push(p.grad.data as Float32Array);
  });
  return out;
}

/**
 * Scales the gradients of `params` so that their joint norm is at most `maxNorm`:
 * total = ‖(‖g_1‖_p, …, ‖g_k‖_p)‖_p, g ← g · min(1, maxNorm / (total + 1e-6)).
 * Parameters without a gradient are skipped. As PyTorch, the multiply always happens (by 1
 * when the norm is small) and every norm is rounded to float32.
 * @param params tensors whose .grad is clipped in place
 * @param maxNorm the largest allowed total norm
 * @param normType p of the p-norm, > 0 (default 2; Infinity for the largest |g|)
 * @returns the total norm before clipping (a float32 value; PyTorch returns a 0-d tensor)
 * @throws RangeError for normType <= 0 or a NaN maxNorm; Error for a non-finite total norm
 *   with errorIfNonfinite
 * @example
 * const w = tensor([3, 4], { requiresGrad: true });
 * w.mul(w).sum().mul(0.5).backward(); // grad = [3, 4], norm 5
 * clipGradNorm_([w], 1.0); // returns 5; w.grad is now [0.6, 0.8]
 */
export function clipGradNorm_(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  const fn = 'clipGradNorm_';
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) {
    throw new RangeError(`${fn}: maxNorm must be a number, got ${String(maxNorm)}`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new RangeError(`${fn}: normType must be > 0 or Infinity, got ${String(normType)}`);
  }
  const grads = gradsOf(fn, params);
  if (grads.length === 0) return 0;
  const f = Math.fround;
  let total: number;
  if (normType === Infinity) {
    total = 0;
    for (const g of grads) {
      const m = f(native.gradNormPartial(g, g.length, Infinity));
      if (m > total || Number.isNaN(m)) total = m; // NaN, once seen, stays
    }
  } else {
    // per-tensor norms in float32, then the norm of those
    let acc = 0;
    for (const g of grads) {
      const norm = f(Math.pow(native.gradNormPartial(g, g.length, normType), 1 / normType));
      acc += Math.pow(Math.abs(norm), normType);
    }
    total = f(Math.pow(acc, 1 / normType));
  }
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(
      `${fn}: the total norm of order ${normType} of the gradients must be finite, got ${total}; ` +
        'pass errorIfNonfinite: false to clip anyway',
    );
  }
  const coef = f(f(maxNorm) / f(total + f(1e-6)));
  const clamped = coef > 1 ? 1 : coef; // torch.clamp(max=1) keeps NaN
  for (const g of grads) native.gradScale(g, g.length, clamped);
  return total;
}

/**
 * Clamps every gradient of `params` to [−clipValue, clipValue] in place (NaN stays NaN).
 * @throws RangeError for a negative or NaN clipValue
 */
export function clipGradValue_(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  const fn = 'clipGradValue_';
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new RangeError(`${fn}: clipValue must be >= 0, got ${String(clipValue)}`);
  }
  for (const g of gradsOf(fn, params)) native.gradClamp(g, g.length, clipValue);
}
