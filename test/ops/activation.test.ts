// Activations (lib/ops/activation.ts): values and gradients against PyTorch fixtures
// (scripts/fixtures/elementwise.py), finite-difference gradient checks, and error messages.
import { describe, expect, it } from 'vitest';
import {
  elu, gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, softplus, tanh, tensor, exp, sum,
  Tensor, type GeluOptions, type SoftplusOptions,
} from '../../lib/index';
import { checkOpCase, opCases, opCaseTitle, type OpCase } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { exactly } from '../helpers/errors';
import { awayFrom, expectAccumulates, gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

type Kwargs = Record<string, unknown>;
type Case = OpCase<Kwargs>;

/** Each fixture op name, called through the function API. */
const OPS: Record<string, (x: Tensor, kw: Kwargs) => Tensor> = {
  relu: (x) => relu(x),
  leakyRelu: (x, kw) =>
    'negativeSlope' in kw ? leakyRelu(x, kw.negativeSlope as number) : leakyRelu(x),
  elu: (x, kw) => ('alpha' in kw ? elu(x, kw.alpha as number) : elu(x)),
  gelu: (x, kw) => ('approximate' in kw ? gelu(x, kw as GeluOptions) : gelu(x)),
  sigmoid: (x) => sigmoid(x),
  tanh: (x) => tanh(x),
  softplus: (x, kw) => softplus(x, kw as SoftplusOptions),
  softmax: (x, kw) => softmax(x, kw.dim as number),
  logSoftmax: (x, kw) => logSoftmax(x, kw.dim as number),
};

/** The same ops called as Tensor methods. */
const METHODS: Record<string, (x: Tensor, kw: Kwargs) => Tensor> = {
  relu: (x) => x.relu(),
  leakyRelu: (x, kw) =>
    'negativeSlope' in kw ? x.leakyRelu(kw.negativeSlope as number) : x.leakyRelu(),
  elu: (x, kw) => ('alpha' in kw ? x.elu(kw.alpha as number) : x.elu()),
  gelu: (x, kw) => x.gelu(kw as GeluOptions),
  sigmoid: (x) => x.sigmoid(),
  tanh: (x) => x.tanh(),
  softplus: (x, kw) => x.softplus(kw as SoftplusOptions),
  softmax: (x, kw) => x.softmax(kw.dim as number),
  logSoftmax: (x, kw) => x.logSoftmax(kw.dim as number),
};

/** Runs one fixture case through `run` (the op's one input is a tensor). */
function checkCase(c: Case, run: (x: Tensor, kw: Kwargs) => Tensor): void {
  checkOpCase(c, ([x], kw) => run(x as Tensor, kw));
}

const CASES: Case[] = opCases('elementwise', ['activation', 'softmax']);

describe('activations match PyTorch', () => {
  for (const c of CASES) it(opCaseTitle(c), () => checkCase(c, OPS[c.op]));
});

describe('activation methods mirror the functions', () => {
  for (const op of Object.keys(METHODS)) {
    const c = CASES.find((k) => k.op === op) as Case;
    it(`x.${op}(...) matches PyTorch: ${c.name}`, () => checkCase(c, METHODS[op]));
  }
});

describe('activations on int32 and 0-d inputs', () => {
  it('sigmoid of int32 gives float32 as torch.sigmoid', () => {
    const y = sigmoid(tensor(Int32Array.from([0, 2])));
    expect(y.dtype).toBe('float32');
    expectClose(y, [0.5, 1 / (1 + Math.exp(-2))], TOL.value);
  });
  it('softmax of int32 dim=0 gives float32', () => {
    const y = softmax(tensor(Int32Array.from([1, 1, 1, 1])), 0);
    expect(y.dtype).toBe('float32');
    expectClose(y, [0.25, 0.25, 0.25, 0.25], TOL.value);
  });
  it('softmax of a 0-d tensor is 1 and logSoftmax is 0', () => {
    expect(softmax(tensor(3.5), 0).item()).toBe(1);
    expect(logSoftmax(tensor(3.5), -1).item()).toBe(0);
  });
  it('softmax and logSoftmax of empty x=[2,0] dim=1 and x=[0,3] dim=1 are empty', () => {
    for (const shape of [[2, 0], [0, 3]]) {
      const x = tensor(new Float32Array(0), shape, { requiresGrad: true });
      expect(softmax(x, 1).shape).toEqual(shape);
      logSoftmax(x, 1).sum().backward();
      expect((x.grad as Tensor).shape).toEqual(shape);
    }
  });
  it('softmax rows sum to 1 over each dim of x=[2,3,4]', () => {
    const [x] = sampleInputs([[2, 3, 4]], 31, -3, 3);
    for (const dim of [0, 1, 2]) {
      expectClose(sum(softmax(x, dim), dim), new Array(x.size / x.shape[dim]).fill(1), TOL.value);
      expectClose(exp(logSoftmax(x, dim)), softmax(x, dim), TOL.value);
    }
  });
});

// --- gradient checks ---------------------------------------------------------------------------

describe('activation backward agrees with finite differences', () => {
  const POINTWISE: [string, (x: Tensor) => Tensor, number[]][] = [
    ['relu', relu, [0]],
    ['leakyRelu slope=0.01', (x) => leakyRelu(x), [0]],
    ['leakyRelu slope=0.2', (x) => leakyRelu(x, 0.2), [0]],
    ['elu alpha=1', (x) => elu(x), [0]],
    ['elu alpha=0.5', (x) => elu(x, 0.5), [0]],
    ['gelu approximate=none', (x) => gelu(x), []],
    ['gelu approximate=tanh', (x) => gelu(x, { approximate: 'tanh' }), []],
    ['sigmoid', sigmoid, []],
    ['tanh', tanh, []],
    ['softplus beta=1 threshold=20', (x) => softplus(x), []],
    ['softplus beta=2 threshold=5', (x) => softplus(x, { beta: 2, threshold: 5 }), [2.5]],
    ['softplus beta=-1', (x) => softplus(x, { beta: -1 }), []],
  ];
  for (const [name, f, kinks] of POINTWISE) {
    it(`${name} on x=[3,7] in [-4, 4] away from kinks`, () => {
      const [x] = sampleInputs([[3, 7]], 32, -4, 4);
      gradcheck(f, [awayFrom(x, kinks)]);
    });
  }
  for (const [name, f] of [['softmax', softmax], ['logSoftmax', logSoftmax]] as const) {
    for (const dim of [0, 1, 2, -1]) {
      it(`${name} x=[2,3,4] dim=${dim}`, () => {
        gradcheck((x) => f(x, dim), sampleInputs([[2, 3, 4]], 33, -2, 2));
      });
    }
    it(`${name} x=[3,1] dim=1 of size 1`, () => {
      gradcheck((x) => f(x, 1), sampleInputs([[3, 1]], 34));
    });
  }
});

describe('activation gradients accumulate and are skipped without requiresGrad', () => {
  const ALL: [string, (x: Tensor) => Tensor][] = [
    ['relu', relu],
    ['leakyRelu', (x) => leakyRelu(x, 0.1)],
    ['elu', (x) => elu(x)],
    ['gelu', (x) => gelu(x)],
    ['sigmoid', sigmoid],
    ['tanh', tanh],
    ['softplus', (x) => softplus(x)],
    ['softmax', (x) => softmax(x, 1).mul(tensor([1, 2, 3]))],
    ['logSoftmax', (x) => logSoftmax(x, 0)],
  ];
  for (const [name, f] of ALL) {
    it(`${name} accumulates over two backward calls`, () => {
      expectAccumulates(f, sampleInputs([[2, 3]], 35, -2, 2));
    });
    it(`${name} of an input without requiresGrad records no graph`, () => {
      const y = f(tensor([[0.5, -1, 2], [1, 0.25, -0.75]]));
      expect(y.requiresGrad).toBe(false);
      expect(y.gradFn).toBeNull();
    });
  }
});

// --- errors ------------------------------------------------------------------------------------

describe('activation errors name the function and argument', () => {
  const UNARY: [string, (x: Tensor) => Tensor][] = [
    ['relu', relu],
    ['leakyRelu', (x) => leakyRelu(x)],
    ['elu', (x) => elu(x)],
    ['gelu', (x) => gelu(x)],
    ['sigmoid', sigmoid],
    ['tanh', tanh],
    ['softplus', (x) => softplus(x)],
    ['softmax', (x) => softmax(x, 0)],
    ['logSoftmax', (x) => logSoftmax(x, 0)],
  ];
  for (const [name, f] of UNARY) {
    it(`${name}: input must be a Tensor`, () => {
      expect(() => f([1, 2] as unknown as Tensor)).toThrow(
        exactly(`${name}: input must be a Tensor, got an array`),
      );
      expect(() => f(null as unknown as Tensor)).toThrow(TypeError);
    });
  }
  const x = tensor([[1, -1], [0.5, 2]]);
  it('leakyRelu: negativeSlope must be a finite number', () => {
    expect(() => leakyRelu(x, NaN)).toThrow(
      /^leakyRelu: negativeSlope must be a finite number, got NaN$/,
    );
    expect(() => leakyRelu(x, '0.1' as unknown as number)).toThrow(TypeError);
  });
  it('elu: alpha must be a finite number', () => {
    expect(() => elu(x, Infinity)).toThrow(/^elu: alpha must be a finite number, got Infinity$/);
  });
  it("gelu: approximate must be 'none' or 'tanh'", () => {
    expect(() => gelu(x, { approximate: 'erf' as 'none' })).toThrow(
      /^gelu: approximate must be 'none' or 'tanh', got "erf"$/,
    );
    expect(() => gelu(x, { approximate: 'erf' as 'none' })).toThrow(RangeError);
  });
  it('softplus: beta must be a finite nonzero number', () => {
    expect(() => softplus(x, { beta: NaN })).toThrow(
      /^softplus: beta must be a finite number, got NaN$/,
    );
    expect(() => softplus(x, { beta: 0 })).toThrow(/^softplus: beta must be nonzero, got 0$/);
    expect(() => softplus(x, { beta: 0 })).toThrow(RangeError);
  });
  it('softplus: threshold must be a finite number', () => {
    expect(() => softplus(x, { threshold: -Infinity })).toThrow(
      /^softplus: threshold must be a finite number, got -Infinity$/,
    );
  });
  for (const [name, f] of [['softmax', softmax], ['logSoftmax', logSoftmax]] as const) {
    it(`${name}: dim must be given`, () => {
      expect(() => (f as (x: Tensor) => Tensor)(x)).toThrow(
        exactly(`${name}: dim must be given, got undefined`),
      );
    });
    it(`${name}: dim must be an integer in [-2, 1] for x=[2,2]`, () => {
      expect(() => f(x, 2)).toThrow(exactly(`${name}: dim must be an integer in [-2, 1], got 2`));
      expect(() => f(x, -3)).toThrow(exactly(`${name}: dim must be an integer in [-2, 1], got -3`));
      expect(() => f(x, 0.5)).toThrow(RangeError);
    });
  }
});
