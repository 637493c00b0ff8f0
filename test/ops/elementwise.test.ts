// Elementwise ops (lib/ops/elementwise.ts): values and gradients against PyTorch fixtures
// (scripts/fixtures/elementwise.py), finite-difference gradient checks, and error messages.
import { describe, expect, it } from 'vitest';
import {
  abs, add, cast, div, eq, exp, ge, gt, le, log, lt, maximum, minimum, mul, ne, neg, pow, rsqrt,
  sign, sqrt, square, sub, clamp, where, logicalAnd, logicalOr, logicalNot, tensor, zeros, ones,
  Tensor, type DType,
} from '../../lib/index';
import { checkOpCase, opCases, opCaseTitle, type OpCase } from '../helpers/cases';
import { exactly } from '../helpers/errors';
import { isFixtureTensor } from '../helpers/fixtures';
import { awayFrom, expectAccumulates, gradcheck, sampleInputs } from '../helpers/gradcheck';

type Arg = Tensor | number;
type Kwargs = Record<string, unknown>;
type Case = OpCase<Kwargs>;

const T = (a: Arg): Tensor => a as Tensor;
const bound = (v: unknown): number | null => (v === undefined ? null : (v as number | null));

/** Each fixture op name, called through the function API. */
const OPS: Record<string, (args: Arg[], kw: Kwargs) => Tensor> = {
  add: ([a, b]) => add(a, b),
  sub: ([a, b]) => sub(a, b),
  mul: ([a, b]) => mul(a, b),
  div: ([a, b]) => div(a, b),
  pow: ([a, b]) => pow(a, b),
  maximum: ([a, b]) => maximum(a, b),
  minimum: ([a, b]) => minimum(a, b),
  neg: ([x]) => neg(T(x)),
  exp: ([x]) => exp(T(x)),
  log: ([x]) => log(T(x)),
  sqrt: ([x]) => sqrt(T(x)),
  rsqrt: ([x]) => rsqrt(T(x)),
  abs: ([x]) => abs(T(x)),
  sign: ([x]) => sign(T(x)),
  square: ([x]) => square(T(x)),
  clamp: ([x], kw) => clamp(T(x), bound(kw.min), bound(kw.max)),
  eq: ([a, b]) => eq(a, b),
  ne: ([a, b]) => ne(a, b),
  lt: ([a, b]) => lt(a, b),
  le: ([a, b]) => le(a, b),
  gt: ([a, b]) => gt(a, b),
  ge: ([a, b]) => ge(a, b),
  where: ([c, a, b]) => where(T(c), a, b),
  cast: ([x], kw) => cast(T(x), kw.dtype as DType),
  logicalAnd: ([a, b]) => logicalAnd(T(a), T(b)),
  logicalOr: ([a, b]) => logicalOr(T(a), T(b)),
  logicalNot: ([x]) => logicalNot(T(x)),
};

/** The same ops called as Tensor methods (first argument a tensor). */
const METHODS: Record<string, (args: Arg[], kw: Kwargs) => Tensor> = {
  add: ([a, b]) => T(a).add(b),
  sub: ([a, b]) => T(a).sub(b),
  mul: ([a, b]) => T(a).mul(b),
  div: ([a, b]) => T(a).div(b),
  pow: ([a, b]) => T(a).pow(b),
  maximum: ([a, b]) => T(a).maximum(b),
  minimum: ([a, b]) => T(a).minimum(b),
  neg: ([x]) => T(x).neg(),
  exp: ([x]) => T(x).exp(),
  log: ([x]) => T(x).log(),
  sqrt: ([x]) => T(x).sqrt(),
  rsqrt: ([x]) => T(x).rsqrt(),
  abs: ([x]) => T(x).abs(),
  sign: ([x]) => T(x).sign(),
  square: ([x]) => T(x).square(),
  clamp: ([x], kw) => T(x).clamp(bound(kw.min), bound(kw.max)),
  eq: ([a, b]) => T(a).eq(b),
  ne: ([a, b]) => T(a).ne(b),
  lt: ([a, b]) => T(a).lt(b),
  le: ([a, b]) => T(a).le(b),
  gt: ([a, b]) => T(a).gt(b),
  ge: ([a, b]) => T(a).ge(b),
  cast: ([x], kw) => T(x).to(kw.dtype as DType),
};

const CASES: Case[] = opCases('elementwise', [
  'arithmetic', 'pow', 'extremes', 'unary', 'compare', 'select',
]);

describe('elementwise ops match PyTorch', () => {
  for (const c of CASES) it(opCaseTitle(c), () => checkOpCase(c, OPS[c.op]));
});

describe('elementwise methods mirror the functions', () => {
  const seen = new Set<string>();
  for (const c of CASES) {
    if (seen.has(c.op) || !(c.op in METHODS) || !isFixtureTensor(c.args[0])) continue;
    seen.add(c.op);
    it(`x.${c.op}(...) matches PyTorch: ${c.name}`, () => checkOpCase(c, METHODS[c.op]));
  }
  it('covers every method', () => {
    expect([...seen].sort()).toEqual(Object.keys(METHODS).sort());
  });
});

describe('elementwise dtypes (neurite by design)', () => {
  const xi = tensor(Int32Array.from([-3, 2, 5]));
  it('int32 pow int32 gives float32', () => {
    const y = pow(xi, tensor(Int32Array.from([2, 3, 0])));
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.data)).toEqual([9, 8, 1]);
  });
  it('int32 pow number gives float32', () => {
    const y = pow(xi, 2);
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.data)).toEqual([9, 4, 25]);
  });
  it('int32 div int32 gives float32 true division', () => {
    const y = div(xi, 2);
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.data)).toEqual([-1.5, 1, 2.5]);
  });
  it('sign and square of int32 give float32', () => {
    expect(sign(xi).dtype).toBe('float32');
    expect(Array.from(square(xi).data)).toEqual([9, 4, 25]);
  });
  it('comparisons return bool', () => {
    expect(lt(xi, 0).dtype).toBe('bool');
    expect(lt(xi, 0).toArray()).toEqual([true, false, false]);
  });
  it('bool plus bool gives int32', () => {
    const b = tensor([true, false, true]);
    const y = add(b, b);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.data)).toEqual([2, 0, 2]);
  });
  it('int32 add wraps around like int32 arithmetic', () => {
    const y = add(tensor(Int32Array.from([2147483647])), 1);
    expect(Array.from(y.data)).toEqual([-2147483648]);
  });
  it('where with bool operands gives bool', () => {
    const c = tensor([true, false]);
    const y = where(c, tensor([false, false]), tensor([true, true]));
    expect(y.dtype).toBe('bool');
    expect(y.toArray()).toEqual([false, true]);
  });
  it('cast to the same dtype returns the input itself', () => {
    expect(cast(xi, 'int32')).toBe(xi);
  });
});

// --- gradient checks ---------------------------------------------------------------------------

/** y = x + delta with |delta| >= margin: no ties for maximum/minimum. */
function untied(x: Tensor, seed: number): Tensor {
  const [delta] = sampleInputs([[...x.shape]], seed);
  awayFrom(delta, [0], 0.2);
  return tensor(add(x.detach(), delta.detach()).data as Float32Array, [...x.shape], {
    requiresGrad: true,
  });
}

describe('elementwise backward agrees with finite differences', () => {
  const BINARY: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', add],
    ['sub', sub],
    ['mul', mul],
  ];
  const SHAPES: [string, number[], number[]][] = [
    ['x=[2,3,4] y=[3,1]', [2, 3, 4], [3, 1]],
    ['x=[4] y=[2,3,4]', [4], [2, 3, 4]],
    ['x=[2,3] y=[]', [2, 3], []],
  ];
  for (const [name, f] of BINARY) {
    for (const [label, sa, sb] of SHAPES) {
      it(`${name} broadcast ${label}`, () => gradcheck(f, sampleInputs([sa, sb], 11)));
    }
  }
  for (const [label, sa, sb] of SHAPES) {
    it(`div broadcast ${label} with divisors away from 0`, () => {
      const [a, b] = sampleInputs([sa, sb], 12);
      gradcheck(div, [a, awayFrom(b, [0], 0.5)]);
    });
    it(`pow broadcast ${label} with a positive base`, () => {
      gradcheck(pow, sampleInputs([sa, sb], 13, 0.5, 2));
    });
  }
  it('number operands: 2 - x, x / 3, 1.5 ** x, x ** 3', () => {
    const [x] = sampleInputs([[2, 5]], 14);
    gradcheck((t) => sub(2, t), [x]);
    gradcheck((t) => div(t, 3), [x]);
    gradcheck((t) => pow(1.5, t), [x]);
    gradcheck((t) => pow(t, 3), [x]);
  });
  it('pow with number exponents 0.5 and -1.5 on a positive base', () => {
    const [x] = sampleInputs([[3, 4]], 15, 0.5, 2);
    gradcheck((t) => pow(t, 0.5), [x]);
    gradcheck((t) => pow(t, -1.5), [x]);
  });
  for (const [name, f] of [['maximum', maximum], ['minimum', minimum]] as const) {
    it(`${name} broadcast x=[2,3,4] y=[3,4] without ties`, () => {
      const [x] = sampleInputs([[3, 4]], 16);
      const y = untied(x, 17);
      gradcheck(f, [sampleInputs([[2, 3, 4]], 18)[0], y]);
      gradcheck(f, [x, y]);
    });
  }
  const UNARY: [string, (x: Tensor) => Tensor, number, number, number[]][] = [
    ['neg', neg, -1, 1, []],
    ['exp', exp, -2, 2, []],
    ['log', log, 0.3, 3, []],
    ['sqrt', sqrt, 0.3, 3, []],
    ['rsqrt', rsqrt, 0.3, 3, []],
    ['abs', abs, -2, 2, [0]],
    ['square', square, -2, 2, []],
    ['clamp(-0.5, 0.5)', (x) => clamp(x, -0.5, 0.5), -1, 1, [-0.5, 0.5]],
    ['clamp(min=0)', (x) => clamp(x, 0, null), -1, 1, [0]],
    ['clamp(max=0.2)', (x) => clamp(x, null, 0.2), -1, 1, [0.2]],
  ];
  for (const [name, f, lo, hi, kinks] of UNARY) {
    it(`${name} on x=[3,7] in [${lo}, ${hi}] away from kinks`, () => {
      const [x] = sampleInputs([[3, 7]], 19, lo, hi);
      gradcheck(f, [awayFrom(x, kinks)]);
    });
  }
  it('sign has a zero gradient', () => {
    const [x] = sampleInputs([[2, 3]], 20);
    sign(x).sum().backward();
    expect(Array.from((x.grad as Tensor).data)).toEqual([0, 0, 0, 0, 0, 0]);
  });
  it('where cond=[2,3,1] x=[3,4] y=[4]', () => {
    const cond = tensor([[[true], [false], [true]], [[false], [false], [true]]]);
    gradcheck((a, b) => where(cond, a, b), sampleInputs([[3, 4], [4]], 21));
  });
  it('where with a number operand', () => {
    const cond = tensor([[true, false, true], [false, true, true]]);
    gradcheck((a) => where(cond, a, 0.5), sampleInputs([[2, 3]], 22));
    gradcheck((b) => where(cond, -1, b), sampleInputs([[3]], 23));
  });
});

describe('elementwise gradients accumulate and skip inputs without requiresGrad', () => {
  const CASES: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', add],
    ['sub', sub],
    ['mul', mul],
    ['div', div],
    ['pow', pow],
    ['maximum', maximum],
    ['minimum', minimum],
    ['where', (a, b) => where(gt(a, 0), a, b)],
  ];
  for (const [name, f] of CASES) {
    it(`${name} accumulates over two backward calls`, () => {
      expectAccumulates(f, sampleInputs([[2, 3], [3]], 24, 0.5, 2));
    });
    it(`${name} gives no grad to an input without requiresGrad`, () => {
      const [a] = sampleInputs([[2, 3]], 25, 0.5, 2);
      const b = tensor([0.7, 1.3, 1.9]);
      f(a, b).sum().backward();
      expect(a.grad).not.toBeNull();
      expect(b.grad).toBeNull();
      const [b2] = sampleInputs([[3]], 26, 0.5, 2);
      const a2 = tensor([[0.6, 1.1, 1.7], [0.9, 1.4, 1.2]]);
      f(a2, b2).sum().backward();
      expect(a2.grad).toBeNull();
      expect([...(b2.grad as Tensor).shape]).toEqual([3]);
    });
  }
  const UNARY: [string, (x: Tensor) => Tensor][] = [
    ['neg', neg], ['exp', exp], ['log', log], ['sqrt', sqrt], ['rsqrt', rsqrt], ['abs', abs],
    ['square', square], ['clamp', (x) => clamp(x, 0.8, 1.5)], ['pow(x, 1.5)', (x) => pow(x, 1.5)],
  ];
  for (const [name, f] of UNARY) {
    it(`${name} accumulates over two backward calls`, () => {
      expectAccumulates(f, sampleInputs([[2, 3]], 27, 0.5, 2));
    });
  }
  it('ops on inputs without requiresGrad record no graph', () => {
    const x = tensor([1, 2, 3]);
    const y = exp(add(mul(x, 2), x));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
  });
});

// --- errors ------------------------------------------------------------------------------------

describe('elementwise errors name the function and argument', () => {
  const BINARY = { add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge };
  for (const [name, f] of Object.entries(BINARY)) {
    it(`${name}: shapes [2, 3] and [4] must broadcast`, () => {
      expect(() => f(zeros([2, 3]), zeros([4]))).toThrow(
        exactly(`${name}: shapes [2, 3] and [4] must broadcast, got 3 and 4 at dim 1`),
      );
    });
    it(`${name}: a must be a Tensor`, () => {
      expect(() => f('x' as unknown as Tensor, zeros([2]))).toThrow(
        exactly(`${name}: a must be a Tensor, got string`),
      );
      expect(() => f([1, 2] as unknown as Tensor, zeros([2]))).toThrow(TypeError);
    });
    it(`${name}: b must be a Tensor`, () => {
      expect(() => f(zeros([2]), null as unknown as Tensor)).toThrow(
        exactly(`${name}: b must be a Tensor, got null`),
      );
    });
    it(`${name}: two numbers are refused`, () => {
      expect(() => f(1, 2)).toThrow(exactly(`${name}: a or b must be a Tensor, got two numbers`));
    });
  }
  it('add: broadcast errors name the mismatched dim of higher-rank shapes', () => {
    expect(() => add(zeros([2, 3, 4]), zeros([5, 1]))).toThrow(
      /add: shapes \[2, 3, 4\] and \[5, 1\] must broadcast, got 3 and 5 at dim 1/,
    );
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow(RangeError);
  });
  const UNARY = { neg, exp, log, sqrt, rsqrt, abs, sign, square };
  for (const [name, f] of Object.entries(UNARY)) {
    it(`${name}: input must be a Tensor`, () => {
      expect(() => f([1, 2] as unknown as Tensor)).toThrow(
        exactly(`${name}: input must be a Tensor, got an array`),
      );
      expect(() => f(3 as unknown as Tensor)).toThrow(TypeError);
    });
  }
  it('clamp: input must be a Tensor', () => {
    expect(() => clamp(undefined as unknown as Tensor, 0, 1)).toThrow(
      /^clamp: input must be a Tensor, got undefined$/,
    );
  });
  it('clamp: min must be a number or null', () => {
    expect(() => clamp(ones([2]), '0' as unknown as number, 1)).toThrow(
      /^clamp: min must be a number or null, got string$/,
    );
    expect(() => clamp(ones([2]), NaN, 1)).toThrow(
      /^clamp: min must be a number or null, got number$/,
    );
  });
  it('clamp: max must be a number or null', () => {
    expect(() => clamp(ones([2]), 0, NaN)).toThrow(/^clamp: max must be a number or null/);
  });
  it('clamp: min and max must not both be null', () => {
    expect(() => clamp(ones([2]))).toThrow(/^clamp: min and max must not both be null$/);
    expect(() => clamp(ones([2]), null, null)).toThrow(RangeError);
  });
  it('where: condition must be a Tensor', () => {
    expect(() => where(true as unknown as Tensor, ones([2]), zeros([2]))).toThrow(
      /^where: condition must be a Tensor, got boolean$/,
    );
  });
  it('where: condition and operands must broadcast', () => {
    expect(() => where(tensor([true, false]), ones([3]), 0)).toThrow(
      /^where: shapes \[2\] and \[3\] must broadcast, got 2 and 3 at dim 0$/,
    );
    expect(() => where(tensor([true, false]), ones([2]), zeros([3, 4]))).toThrow(
      /^where: shapes \[2\] and \[3, 4\] must broadcast, got 2 and 4 at dim 1$/,
    );
  });
  it('where: a and b must be Tensors or numbers', () => {
    expect(() => where(tensor([true]), 'a' as unknown as Tensor, ones([1]))).toThrow(
      /^where: a must be a Tensor, got string$/,
    );
    expect(() => where(tensor([true]), ones([1]), {} as unknown as Tensor)).toThrow(
      /^where: b must be a Tensor, got object$/,
    );
  });
  for (const [name, f] of [['logicalAnd', logicalAnd], ['logicalOr', logicalOr]] as const) {
    it(`${name}: shapes [2] and [3] must broadcast`, () => {
      expect(() => f(ones([2]), ones([3]))).toThrow(
        exactly(`${name}: shapes [2] and [3] must broadcast, got 2 and 3 at dim 0`),
      );
    });
    it(`${name}: a and b must be Tensors`, () => {
      expect(() => f(1 as unknown as Tensor, ones([2]))).toThrow(
        exactly(`${name}: a must be a Tensor, got number`),
      );
      expect(() => f(ones([2]), [1] as unknown as Tensor)).toThrow(
        exactly(`${name}: b must be a Tensor, got an array`),
      );
    });
  }
  it('logicalNot: input must be a Tensor', () => {
    expect(() => logicalNot(true as unknown as Tensor)).toThrow(
      /^logicalNot: input must be a Tensor, got boolean$/,
    );
  });
  it('cast: input must be a Tensor', () => {
    expect(() => cast(1 as unknown as Tensor, 'int32')).toThrow(
      /^cast: input must be a Tensor, got number$/,
    );
  });
  it('cast: dtype must be float32, int32 or bool', () => {
    expect(() => cast(ones([2]), 'float64' as DType)).toThrow(
      /^cast: dtype must be 'float32', 'int32' or 'bool', got "float64"$/,
    );
  });
});
