// The vectorised math behind exp, tanh, sigmoid, GELU and softmax (native/kernels/vmath.h),
// over the whole useful float range and special values, against double-precision references
// in JS. Runs with whichever kernels are in use (NEURITE_ISA=baseline picks the portable twin).
import { describe, expect, it } from 'vitest';
import { exp, gelu, linspace, sigmoid, softmax, tanh, tensor, Tensor } from '../../lib/index';

/** 2^-23: the float32 spacing at 1, so k ulp of y is at most k * ULP * |y|. */
const ULP = 2 ** -23;
/** Results below this are denormal (spacing 2^-149 whatever their size). */
const FLT_MIN = 2 ** -126;

/** erfc in double: Maclaurin series of erf below 2, Lentz-free backward continued fraction above
 *  (200 terms, relative error ~1e-15 for z >= 2). */
function erfc(z: number): number {
  if (z < 0) return 2 - erfc(-z);
  if (z < 2) {
    let term = z, sum = z;
    for (let n = 1; n < 80; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let t = z;
  for (let k = 200; k >= 1; k--) t = z + k / 2 / t;
  return Math.exp(-z * z) / (Math.sqrt(Math.PI) * t);
}
const geluRef = (x: number) => 0.5 * x * erfc(-x / Math.SQRT2);
const sigmoidRef = (x: number) => 1 / (1 + Math.exp(-x));

/** Max error over all elements in ulps of the reference (denormal results: units of 2^-149). */
function maxUlps(got: Float32Array, xs: Float32Array, ref: (x: number) => number): number {
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const want = ref(xs[i]);
    const g = got[i];
    if (Number.isNaN(want) || !Number.isFinite(want) || Math.abs(Math.fround(want)) === Infinity) {
      if (!Object.is(g, Math.fround(want))) return Infinity;
      continue;
    }
    const spacing = Math.abs(want) < FLT_MIN ? 2 ** -149 : Math.abs(want) * ULP;
    worst = Math.max(worst, Math.abs(g - want) / spacing);
  }
  return worst;
}

const xs = linspace(-100, 100, 100000);
const dense = linspace(-12, 12, 100001);

const CASES: [string, (t: Tensor) => Tensor, (x: number) => number, number][] = [
  ['exp', exp, Math.exp, 2],
  ['tanh', tanh, Math.tanh, 3],
  ['sigmoid', sigmoid, sigmoidRef, 3],
  ['gelu', (t) => gelu(t), geluRef, 6],
];

describe('vectorised math matches double-precision references', () => {
  for (const [name, f, ref, ulps] of CASES) {
    it(`${name} is within ${ulps} ulp over linspace(-100, 100, 1e5) and linspace(-12, 12, 1e5 + 1)`, () => {
      for (const x of [xs, dense]) {
        expect(maxUlps(f(x).data as Float32Array, x.data as Float32Array, ref)).toBeLessThanOrEqual(ulps);
      }
    });
  }

  it('special values: NaN, +-inf, +-0, denormals, overflow thresholds', () => {
    const specials = [NaN, Infinity, -Infinity, 0, -0, 2 ** -149, -(2 ** -149), 88.72283, 88.7229,
      -87.33655, -103.97208, -104, 3.4e38, -3.4e38];
    const x = tensor(specials);
    const xv = x.data as Float32Array;
    const same = (got: Tensor, want: number[]) =>
      expect(Array.from(got.data as Float32Array)).toEqual(want.map(Math.fround));
    same(exp(x), Array.from(xv, (v) => Math.exp(v)));
    same(tanh(x), Array.from(xv, (v) => Math.tanh(v)));
    same(sigmoid(x), Array.from(xv, (v) => (v === -Infinity ? 0 : sigmoidRef(v))));
    // gelu(-inf) is NaN as in PyTorch (-inf * 0); gelu(-0) = -0
    same(gelu(x), Array.from(xv, (v) => (v === -Infinity ? NaN : geluRef(v))));
  });

  it('softmax over rows of 1000 in [-100, 100] is within 1e-6 relative (+ 1e-37)', () => {
    const D = 1000;
    const x = xs.reshape([100, D]);
    const y = softmax(x, 1).data as Float32Array;
    const v = x.data as Float32Array;
    for (let r = 0; r < 100; r++) {
      let m = -Infinity, s = 0;
      for (let d = 0; d < D; d++) m = Math.max(m, v[r * D + d]);
      for (let d = 0; d < D; d++) s += Math.exp(v[r * D + d] - m);
      for (let d = 0; d < D; d++) {
        const want = Math.exp(v[r * D + d] - m) / s;
        expect(Math.abs(y[r * D + d] - want)).toBeLessThanOrEqual(1e-6 * want + 1e-37);
      }
    }
  });

  it("gelu's gradient is Phi(x) + x phi(x) within 8 ulp of |Phi| + |x phi| over [-12, 12]", () => {
    const x = linspace(-12, 12, 20001, { requiresGrad: true });
    gelu(x).sum().backward();
    const g = (x.grad as Tensor).data as Float32Array;
    const v = x.data as Float32Array;
    for (let i = 0; i < v.length; i++) {
      const Phi = 0.5 * erfc(-v[i] / Math.SQRT2);
      const xphi = (v[i] * Math.exp(-0.5 * v[i] * v[i])) / Math.sqrt(2 * Math.PI);
      const scale = Math.max(Phi + Math.abs(xphi), FLT_MIN);
      expect(Math.abs(g[i] - (Phi + xphi))).toBeLessThanOrEqual(8 * ULP * scale);
    }
  });
});
