// Reductions (lib/ops/reduce.ts): values and gradients against PyTorch fixtures
// (scripts/fixtures/reduce.py), finite-difference gradient checks, and error messages.
import { describe, expect, it } from 'vitest';
import {
  amax, amin, argmax, argmin, logSumExp, max, mean, min, std, sum, tensor, var as variance,
  zeros, ones, Tensor, type ValuesIndices, type VarOptions,
} from '../../lib/index';
import { checkOpCase, opCases, opCaseTitle, type OpCase } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { exactly } from '../helpers/errors';
import { expectAccumulates, gradcheck } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

type Dim = number | number[] | null | undefined;
interface Kwargs {
  dim?: Dim;
  keepDim?: boolean;
  correction?: number;
}

type Case = OpCase<Kwargs>;

type Result = Tensor | ValuesIndices;

const varOptions = (kw: Kwargs): VarOptions => ({
  keepDim: kw.keepDim ?? false,
  ...(kw.correction === undefined ? {} : { correction: kw.correction }),
});

/** Each fixture op name, called through the function API. */
const OPS: Record<string, (x: Tensor, kw: Kwargs) => Result> = {
  sum: (x, kw) => sum(x, kw.dim, kw.keepDim),
  mean: (x, kw) => mean(x, kw.dim, kw.keepDim),
  max: (x, kw) => (typeof kw.dim === 'number' ? max(x, kw.dim, kw.keepDim) : max(x)),
  min: (x, kw) => (typeof kw.dim === 'number' ? min(x, kw.dim, kw.keepDim) : min(x)),
  amax: (x, kw) => amax(x, kw.dim, kw.keepDim),
  amin: (x, kw) => amin(x, kw.dim, kw.keepDim),
  argmax: (x, kw) => argmax(x, kw.dim as number | null | undefined, kw.keepDim),
  argmin: (x, kw) => argmin(x, kw.dim as number | null | undefined, kw.keepDim),
  var: (x, kw) => variance(x, kw.dim, varOptions(kw)),
  std: (x, kw) => std(x, kw.dim, varOptions(kw)),
  logSumExp: (x, kw) => logSumExp(x, kw.dim, kw.keepDim),
};

/** The same ops called as Tensor methods. */
const METHODS: Record<string, (x: Tensor, kw: Kwargs) => Result> = {
  sum: (x, kw) => x.sum(kw.dim, kw.keepDim),
  mean: (x, kw) => x.mean(kw.dim, kw.keepDim),
  max: (x, kw) => (typeof kw.dim === 'number' ? x.max(kw.dim, kw.keepDim) : x.max()),
  min: (x, kw) => (typeof kw.dim === 'number' ? x.min(kw.dim, kw.keepDim) : x.min()),
  amax: (x, kw) => x.amax(kw.dim, kw.keepDim),
  amin: (x, kw) => x.amin(kw.dim, kw.keepDim),
  argmax: (x, kw) => x.argmax((kw.dim ?? undefined) as number | undefined, kw.keepDim),
  argmin: (x, kw) => x.argmin((kw.dim ?? undefined) as number | undefined, kw.keepDim),
  var: (x, kw) => x.var(kw.dim, varOptions(kw)),
  std: (x, kw) => x.std(kw.dim, varOptions(kw)),
  logSumExp: (x, kw) => x.logSumExp(kw.dim, kw.keepDim),
};

/** Runs one fixture case through `run` (the op's one input is a tensor). */
function checkCase(c: Case, run: (x: Tensor, kw: Kwargs) => Result): void {
  checkOpCase(c, ([x], kw) => run(x as Tensor, kw));
}

const CASES: Case[] = opCases('reduce', ['sum', 'extremes', 'statistics']);

describe('reductions match PyTorch', () => {
  for (const c of CASES) it(opCaseTitle(c), () => checkCase(c, OPS[c.op]));
});

describe('reduction methods mirror the functions', () => {
  for (const op of Object.keys(METHODS)) {
    for (const c of CASES.filter((k) => k.op === op).slice(0, 3)) {
      it(`x.${op}(...) matches PyTorch: ${c.name}`, () => checkCase(c, METHODS[op]));
    }
  }
});

describe('reduction edge cases', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  it('dim=[] reduces all dims, as torch 1.13', () => {
    expect(sum(x, []).item()).toBe(21);
    expect(sum(x, [], true).shape).toEqual([1, 1]);
    expect(mean(x, []).item()).toBe(3.5);
    expect(amax(x, []).item()).toBe(6);
    expectClose(variance(x, []), 3.5, TOL.value);
  });
  it('dim=null reduces all dims', () => {
    expect(sum(x, null, true).shape).toEqual([1, 1]);
    expect(logSumExp(x, null).shape).toEqual([]);
  });
  it('reductions of a 0-d tensor over dim 0 or -1 return its value', () => {
    const s = tensor(2.5);
    expect(sum(s, 0).item()).toBe(2.5);
    expect(mean(s, -1, true).shape).toEqual([]);
    expect(max(s, 0).values.item()).toBe(2.5);
    expect(max(s, 0).indices.item()).toBe(0);
    expect(argmax(s).item()).toBe(0);
    expect(amin(s).item()).toBe(2.5);
  });
  it('sum over an empty dim of x=[0,5] gives zeros and logSumExp gives -inf', () => {
    const e = zeros([0, 5]);
    expect(Array.from(sum(e, 0).data)).toEqual([0, 0, 0, 0, 0]);
    expect(sum(e).item()).toBe(0);
    expect(Array.from(logSumExp(e, 0).data)).toEqual(new Array(5).fill(-Infinity));
  });
  it('max, min, amax and amin of bool inputs give bool', () => {
    const b = tensor([[true, false], [false, false]]);
    expect(max(b).dtype).toBe('bool');
    expect(max(b, 1).values.toArray()).toEqual([true, false]);
    expect(amin(b, 0).toArray()).toEqual([false, false]);
    expect(sum(b).dtype).toBe('int32');
  });
  it('mean of int32 gives float32 (neurite by design)', () => {
    const y = mean(tensor(Int32Array.from([1, 2, 4])));
    expect(y.dtype).toBe('float32');
    expectClose(y, 7 / 3, TOL.value);
  });
  it('sum and amax over long dims match float64 loops: [100003] [3,70001] [2,5000,7]', () => {
    for (const shape of [[100003], [3, 70001], [2, 5000, 7], [7, 3, 257]]) {
      const n = shape.reduce((p, d) => p * d, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; ++i) data[i] = Math.sin(i * 0.7) + 0.25;
      const t = tensor(data, shape);
      const dim = shape.length === 1 ? 0 : 1;
      const [outer, R] = [shape.slice(0, dim).reduce((p, d) => p * d, 1), shape[dim]];
      const inner = n / outer / R;
      const want = new Float64Array(outer * inner);
      for (let o = 0; o < outer; ++o)
        for (let r = 0; r < R; ++r)
          for (let i = 0; i < inner; ++i) want[o * inner + i] += data[(o * R + r) * inner + i];
      expectClose(sum(t, dim), want, TOL.accum);
      const wantMax = new Float64Array(outer * inner).fill(-Infinity);
      for (let o = 0; o < outer; ++o)
        for (let r = 0; r < R; ++r)
          for (let i = 0; i < inner; ++i)
            wantMax[o * inner + i] = Math.max(
              wantMax[o * inner + i], data[(o * R + r) * inner + i],
            );
      expectClose(amax(t, dim), wantMax, TOL.value);
    }
  });
});

// --- gradient checks ---------------------------------------------------------------------------

/** Distinct values spaced 0.13 apart in shuffled order: no ties for max/min, even after
 *  the finite-difference nudges. */
function distinct(shape: number[], seed: number): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const order = Array.from({ length: n }, (_, i) => i);
  let s = seed;
  for (let i = n - 1; i > 0; --i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const data = Float32Array.from(order, (k) => (k - n / 2) * 0.13);
  return tensor(data, shape, { requiresGrad: true });
}

describe('reduction backward agrees with finite differences', () => {
  const DIMS: [string, Dim, boolean][] = [
    ['all dims', undefined, false],
    ['dim=1', 1, false],
    ['dim=-1 keepDim', -1, true],
    ['dims=[0,2]', [0, 2], false],
    ['dims=[2,0] keepDim', [2, 0], true],
  ];
  const BY_DIMS: [string, (x: Tensor, d: Dim, k: boolean) => Tensor][] = [
    ['sum', (x, d, k) => sum(x, d, k)],
    ['mean', (x, d, k) => mean(x, d, k)],
    ['amax', (x, d, k) => amax(x, d, k)],
    ['amin', (x, d, k) => amin(x, d, k)],
    ['var correction=1', (x, d, k) => variance(x, d, { keepDim: k })],
    ['var correction=0', (x, d, k) => variance(x, d, { keepDim: k, correction: 0 })],
    ['std correction=1', (x, d, k) => std(x, d, { keepDim: k })],
    ['std correction=0', (x, d, k) => std(x, d, { keepDim: k, correction: 0 })],
    ['logSumExp', (x, d, k) => logSumExp(x, d, k)],
  ];
  for (const [name, f] of BY_DIMS) {
    for (const [label, dim, keep] of DIMS) {
      it(`${name} x=[2,3,4] ${label}`, () => {
        gradcheck((x) => f(x, dim, keep), [distinct([2, 3, 4], 41)]);
      });
    }
  }
  for (const [name, f] of [['max', max], ['min', min]] as const) {
    it(`${name} x=[2,3,4] no dim`, () => gradcheck((x) => f(x), [distinct([2, 3, 4], 42)]));
    for (const [dim, keep] of [[0, false], [1, true], [-1, false]] as const) {
      it(`${name} x=[2,3,4] dim=${dim} keepDim=${keep} values`, () => {
        gradcheck((x) => f(x, dim, keep).values, [distinct([2, 3, 4], 43)]);
      });
    }
  }
  it('logSumExp of large-magnitude x=[3,4] dim=1', () => {
    const x = distinct([3, 4], 44);
    const d = x.data as Float32Array;
    for (let i = 0; i < d.length; ++i) d[i] += 500;
    gradcheck((t) => logSumExp(t, 1), [x], { tol: TOL.fd });
  });
});

describe('reduction gradients accumulate and are skipped without requiresGrad', () => {
  const ALL: [string, (x: Tensor) => Tensor][] = [
    ['sum', (x) => sum(x, 1)],
    ['mean', (x) => mean(x, [0, 1])],
    ['max', (x) => max(x)],
    ['max dim', (x) => max(x, 1).values],
    ['min dim', (x) => min(x, 0, true).values],
    ['amax', (x) => amax(x, 0)],
    ['amin', (x) => amin(x)],
    ['var', (x) => variance(x, 1)],
    ['std', (x) => std(x, 0, { correction: 0 })],
    ['logSumExp', (x) => logSumExp(x, -1)],
  ];
  for (const [name, f] of ALL) {
    it(`${name} accumulates over two backward calls`, () => {
      expectAccumulates(f, [distinct([3, 4], 45)]);
    });
    it(`${name} of an input without requiresGrad records no graph`, () => {
      const y = f(tensor([[0.5, -1, 2, 3], [1, 0.25, -0.75, 0]]));
      expect(y.requiresGrad).toBe(false);
      expect(y.gradFn).toBeNull();
    });
  }
  it('argmax and max indices carry no gradient', () => {
    const x = distinct([3, 4], 46);
    expect(argmax(x, 1).requiresGrad).toBe(false);
    expect(max(x, 1).indices.requiresGrad).toBe(false);
    expect(max(x, 1).values.requiresGrad).toBe(true);
  });
});

// --- errors ------------------------------------------------------------------------------------

describe('reduction errors name the function and argument', () => {
  const x = zeros([2, 3]);
  const DIMMED: [string, (x: Tensor, d: Dim) => unknown][] = [
    ['sum', (t, d) => sum(t, d)],
    ['mean', (t, d) => mean(t, d)],
    ['amax', (t, d) => amax(t, d)],
    ['amin', (t, d) => amin(t, d)],
    ['var', (t, d) => variance(t, d)],
    ['std', (t, d) => std(t, d)],
    ['logSumExp', (t, d) => logSumExp(t, d)],
  ];
  for (const [name, f] of DIMMED) {
    it(`${name}: input must be a Tensor`, () => {
      expect(() => f([1, 2] as unknown as Tensor, 0)).toThrow(
        exactly(`${name}: input must be a Tensor, got an array`),
      );
      expect(() => f(null as unknown as Tensor, 0)).toThrow(TypeError);
    });
    it(`${name}: dim must be an integer in [-2, 1] for x=[2,3]`, () => {
      expect(() => f(x, 2)).toThrow(exactly(`${name}: dim must be an integer in [-2, 1], got 2`));
      expect(() => f(x, [0, -3])).toThrow(
        exactly(`${name}: dim must be an integer in [-2, 1], got -3`),
      );
      expect(() => f(x, 0.5)).toThrow(RangeError);
    });
    it(`${name}: dim must list each dim once`, () => {
      expect(() => f(x, [1, -1])).toThrow(
        exactly(`${name}: dim must list each dim once, got [1,-1]`),
      );
    });
  }
  const EXTREMES = [['max', max], ['min', min], ['argmax', argmax], ['argmin', argmin]] as const;
  for (const [name, f] of EXTREMES) {
    it(`${name}: input must be a Tensor`, () => {
      expect(() => f('x' as unknown as Tensor)).toThrow(
        exactly(`${name}: input must be a Tensor, got string`),
      );
      expect(() => f(3 as unknown as Tensor, 0)).toThrow(
        exactly(`${name}: input must be a Tensor, got number`),
      );
    });
    it(`${name}: input must have at least one element`, () => {
      expect(() => f(zeros([0, 3]))).toThrow(
        exactly(`${name}: input must have at least one element, got shape [0, 3]`),
      );
    });
    it(`${name}: dim must not be empty`, () => {
      expect(() => f(zeros([0, 3]), 0)).toThrow(
        exactly(`${name}: dim 0 must not be empty, got shape [0, 3]`),
      );
      expect(f(zeros([0, 3]), 1, false)).toBeDefined();
    });
    it(`${name}: dim must be an integer in [-2, 1] for x=[2,3]`, () => {
      expect(() => f(x, 2)).toThrow(exactly(`${name}: dim must be an integer in [-2, 1], got 2`));
    });
  }
  for (const [name, f] of [['amax', amax], ['amin', amin]] as const) {
    it(`${name}: input must have no empty dim among those reduced`, () => {
      expect(() => f(zeros([2, 0]), 1)).toThrow(
        exactly(`${name}: input must have no empty dim among those reduced, got shape [2, 0]`),
      );
      expect(() => f(zeros([2, 0]))).toThrow(RangeError);
      expect(f(zeros([2, 0]), 0).shape).toEqual([0]);
    });
  }
  for (const [name, f] of [['var', variance], ['std', std]] as const) {
    it(`${name}: correction must be a number >= 0`, () => {
      expect(() => f(ones([4]), 0, { correction: -1 })).toThrow(
        exactly(`${name}: correction must be a number >= 0, got -1`),
      );
      expect(() => f(ones([4]), 0, { correction: NaN })).toThrow(RangeError);
      expect(() => f(ones([4]), 0, { correction: '1' as unknown as number })).toThrow(RangeError);
    });
  }
});
