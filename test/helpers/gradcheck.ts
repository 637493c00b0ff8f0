// Finite-difference gradient check in float32 (STYLE.md §7): scalarise with fixed random
// weights, L = sum(r * f(x)), and compare <grad L, u> with the central difference for a few
// random directions u, plus per-element checks on up to 32 sampled coordinates per input.
import { expect } from 'vitest';
import { noGrad, Tensor, tensor } from '../../lib/index';
import { TOL, type Tolerance } from './tolerance';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface GradcheckOptions {
  eps?: number;
  tol?: Tolerance;
  directions?: number;
  coordinates?: number;
  seed?: number;
}

/** Random float32 inputs of the given shapes, uniform in [lo, hi), requiring grad. */
export function sampleInputs(shapes: readonly (readonly number[])[], seed: number, lo = -1, hi = 1): Tensor[] {
  const rnd = lcg(seed);
  return shapes.map((s) => {
    const n = s.reduce((p, d) => p * d, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; ++i) data[i] = lo + (hi - lo) * rnd();
    return tensor(data, s, { requiresGrad: true });
  });
}

/** Moves every value of x closer than `margin` to one of `points` (kinks, divisors' 0) out to
 *  the margin, in place; returns x. */
export function awayFrom(x: Tensor, points: number[], margin = 0.1): Tensor {
  const d = x.data as Float32Array;
  for (let i = 0; i < d.length; ++i) {
    for (const p of points) {
      if (Math.abs(d[i] - p) < margin) d[i] = d[i] >= p ? p + margin : p - margin;
    }
  }
  return x;
}

function toOutputs(y: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(y) ? y : [y];
}

/** Checks the backward of f at `inputs` (float32 tensors; those with requiresGrad are
 *  checked) against central differences. */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  inputs: Tensor[],
  options: GradcheckOptions = {},
): void {
  const eps = options.eps ?? 1e-2;
  const tol = options.tol ?? TOL.fd;
  const rnd = lcg(options.seed ?? 12345);
  const outs0 = toOutputs(noGrad(() => f(...inputs)));
  const weights = outs0.map((o) => {
    const w = new Float32Array(o.size);
    for (let i = 0; i < w.length; ++i) w[i] = rnd() * 2 - 1;
    return w;
  });
  // L in float64 from float32 outputs
  const loss = (): number =>
    noGrad(() => {
      const outs = toOutputs(f(...inputs));
      let s = 0;
      outs.forEach((o, k) => {
        const d = o.data as Float32Array;
        for (let i = 0; i < d.length; ++i) s += d[i] * weights[k][i];
      });
      return s;
    });
  for (const x of inputs) x.grad = null;
  const outs = toOutputs(f(...inputs));
  let L: Tensor | null = null;
  outs.forEach((o, k) => {
    if (!o.requiresGrad) return;
    const term = o.mul(tensor(weights[k], [...o.shape])).sum();
    L = L ? L.add(term) : term;
  });
  expect(L, 'no output requires grad').not.toBeNull();
  (L as unknown as Tensor).backward();
  const checked = inputs.filter((x) => x.requiresGrad);
  for (const [k, x] of checked.entries()) {
    const g = x.grad;
    expect(g, `input ${k} got no gradient`).not.toBeNull();
    expect([...(g as Tensor).shape]).toEqual([...x.shape]);
  }
  const nudge = (x: Tensor, u: Float32Array, scale: number) => {
    const d = x.data as Float32Array;
    for (let i = 0; i < d.length; ++i) d[i] += scale * u[i];
  };
  // directional checks
  for (let r = 0; r < (options.directions ?? 3); ++r) {
    const us = checked.map((x) => {
      const u = new Float32Array(x.size);
      for (let i = 0; i < u.length; ++i) u[i] = rnd() * 2 - 1;
      return u;
    });
    let analytic = 0;
    checked.forEach((x, k) => {
      const g = (x.grad as Tensor).data as Float32Array;
      for (let i = 0; i < g.length; ++i) analytic += g[i] * us[k][i];
    });
    checked.forEach((x, k) => nudge(x, us[k], eps));
    const lp = loss();
    checked.forEach((x, k) => nudge(x, us[k], -2 * eps));
    const lm = loss();
    checked.forEach((x, k) => nudge(x, us[k], eps));
    const numeric = (lp - lm) / (2 * eps);
    const scale = Math.max(1, Math.abs(numeric));
    expect(
      Math.abs(analytic - numeric) <= tol.atol * scale + tol.rtol * Math.abs(numeric) + 1e-3 * scale,
      `direction ${r}: analytic ${analytic} vs numeric ${numeric}`,
    ).toBe(true);
  }
  // per-coordinate checks
  checked.forEach((x, k) => {
    const g = (x.grad as Tensor).data as Float32Array;
    const d = x.data as Float32Array;
    const count = Math.min(options.coordinates ?? 32, d.length);
    for (let c = 0; c < count; ++c) {
      const i = d.length <= count ? c : Math.floor(rnd() * d.length);
      const keep = d[i];
      d[i] = keep + eps;
      const lp = loss();
      d[i] = keep - eps;
      const lm = loss();
      d[i] = keep;
      const numeric = (lp - lm) / (2 * eps);
      const ok = Math.abs(g[i] - numeric) <= tol.atol + tol.rtol * Math.abs(numeric) + 2e-3;
      expect(ok, `input ${k} element ${i}: analytic ${g[i]} vs numeric ${numeric}`).toBe(true);
    }
  });
}

/** Checks that gradients accumulate over two backward calls. */
export function expectAccumulates(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  for (const x of inputs) x.grad = null;
  f(...inputs).sum().backward();
  const first = inputs.map((x) => Float32Array.from((x.grad as Tensor).data as Float32Array));
  f(...inputs).sum().backward();
  inputs.forEach((x, k) => {
    const g = (x.grad as Tensor).data as Float32Array;
    for (let i = 0; i < g.length; ++i) {
      expect(Math.abs(g[i] - 2 * first[k][i]) <= 1e-5 + 1e-4 * Math.abs(first[k][i])).toBe(true);
    }
  });
}
