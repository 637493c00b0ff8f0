// softmax and logSoftmax on rows long enough to take every path of native/kernels/softmax.cc
// (16-lane passes with tails, strided rows in blocks of 256 with a tail block, one block per
// task or several), values and gradients against the same formulas evaluated in float64 here.
// The small PyTorch fixtures (test/fixtures/elementwise/softmax.json) pin the conventions; these
// cases pin the kernel's loops. Also: NaN, +-inf and all -inf rows on both row layouts.
import { describe, expect, it } from 'vitest';
import { logSoftmax, softmax, tensor, type Tensor } from '../../lib/index';
import { expectClose } from '../helpers/close';
import { TOL } from '../helpers/tolerance';

/** A deterministic float32 array in [-8, 8). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let k = 0; k < n; ++k) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[k] = (s / 2 ** 32) * 16 - 8;
  }
  return out;
}

/** [outer, D, inner] around `dim`. */
function view3(shape: number[], dim: number): [number, number, number] {
  const d = dim < 0 ? dim + shape.length : dim;
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  return [outer, shape[d], inner];
}

/** softmax / logSoftmax of x along dim in float64, and the gradient of sum(r * y). */
function reference(x: Float32Array, r: Float32Array, shape: number[], dim: number, log: boolean) {
  const [outer, D, inner] = view3(shape, dim);
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let o = 0; o < outer; ++o) {
    for (let i = 0; i < inner; ++i) {
      const at = (d: number) => (o * D + d) * inner + i;
      let m = -Infinity;
      let nan = false;
      for (let d = 0; d < D; ++d) {
        const v = x[at(d)];
        if (Number.isNaN(v)) nan = true;
        else m = Math.max(m, v);
      }
      if (m === -Infinity) m = 0;
      let s = 0;
      for (let d = 0; d < D; ++d) s += Math.exp(x[at(d)] - m);
      if (nan) s = NaN;
      let sr = 0;
      for (let d = 0; d < D; ++d) {
        const k = at(d);
        y[k] = log ? x[k] - m - Math.log(s) : Math.exp(x[k] - m) / s;
        sr += log ? r[k] : r[k] * y[k];
      }
      for (let d = 0; d < D; ++d) {
        const k = at(d);
        dx[k] = log ? r[k] - Math.exp(y[k]) * sr : y[k] * (r[k] - sr);
      }
    }
  }
  return { y, dx };
}

function run(x: Float32Array, r: Float32Array, shape: number[], dim: number, log: boolean) {
  const xt = tensor(x, shape, { requiresGrad: true });
  const y = (log ? logSoftmax : softmax)(xt, dim);
  y.mul(tensor(r, shape)).sum().backward();
  return { y, dx: (xt.grad as Tensor).data as Float32Array };
}

const SHAPES: [number[], number][] = [
  [[3, 530], 1], // contiguous rows: 33 passes of 16 and a tail of 2
  [[2, 1000], -1],
  [[64, 16], 1], // exact multiples of 16, several rows per task
  [[1, 17], 1],
  [[4, 300, 1], 1], // a trailing 1: still contiguous rows
  [[2, 9, 270], 1], // strided: blocks of 256 and 14
  [[300, 3], 0], // 300-long strided rows of a narrow tensor
  [[4, 33, 5], 1],
  [[2, 3, 600], 0], // inner 1800: 7 blocks of 256 and a tail of 8
  [[5, 40, 2, 3], 2], // D = 2
];

describe('softmax and logSoftmax over long and strided rows agree with float64 formulas', () => {
  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    it.each(SHAPES.map(([s, d]) => [`x=[${s}] dim=${d}`, s, d] as const))(
      `${name} %s: values and gradients`,
      (_, shape, dim) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = values(n, 1 + shape.length * 7 + dim);
        const r = values(n, 99 + n);
        const got = run(x, r, shape, dim, log);
        const want = reference(x, r, shape, dim, log);
        expectClose(got.y, Array.from(want.y), TOL.value);
        expectClose(got.dx, Array.from(want.dx), TOL.grad);
      },
    );
  }
});

describe('softmax and logSoftmax rows with NaN and infinities, contiguous and strided', () => {
  // rows of 40: plain; a NaN; a -inf entry; all -inf; a +inf entry
  const D = 40;
  const rows = 5;
  const x = values(rows * D, 7);
  x[1 * D + 17] = NaN;
  x[2 * D + 33] = -Infinity;
  for (let d = 0; d < D; ++d) x[3 * D + d] = -Infinity;
  x[4 * D + 3] = Infinity;
  // the same rows down the columns of a [D, rows] tensor
  const xt = new Float32Array(rows * D);
  for (let k = 0; k < rows; ++k) for (let d = 0; d < D; ++d) xt[d * rows + k] = x[k * D + d];
  for (const log of [false, true]) {
    const f = log ? logSoftmax : softmax;
    const name = log ? 'logSoftmax' : 'softmax';
    it(`${name}: NaN and +inf rows are NaN, -inf entries give ${log ? '-inf' : '0'}, all -inf is NaN`, () => {
      const contiguous = f(tensor(x, [rows, D]), 1).data as Float32Array;
      const strided = f(tensor(xt, [D, rows]), 0).data as Float32Array;
      for (const [y, at] of [
        [contiguous, (k: number, d: number) => k * D + d],
        [strided, (k: number, d: number) => d * rows + k],
      ] as const) {
        const row = (k: number) => Array.from({ length: D }, (_, d) => y[at(k, d)]);
        expect(row(0).every(Number.isFinite)).toBe(true);
        expect(row(1).every(Number.isNaN)).toBe(true);
        expect(row(2)[33]).toBe(log ? -Infinity : 0);
        expect(row(2).filter((v, d) => d !== 33).every(Number.isFinite)).toBe(true);
        expect(row(3).every(Number.isNaN)).toBe(true);
        expect(row(4).every(Number.isNaN)).toBe(true);
        const sum = row(0).reduce((a, v) => a + (log ? Math.exp(v) : v), 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      }
      // the two layouts sum in different orders: equal up to rounding
      const transposed = Array.from(xt, (_, j) => contiguous[(j % rows) * D + Math.floor(j / rows)]);
      expectClose(strided, transposed, TOL.value);
    });
  }
});
