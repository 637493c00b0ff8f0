// Normalisation ops and layers: batchNorm, layerNorm, groupNorm against PyTorch fixtures
// (outputs, input/weight/bias gradients, running statistics over training steps), gradient
// checks by finite differences, and error messages.
import { describe, expect, it } from 'vitest';
import { tensor, Tensor, zeros } from '../../lib/index';
import { batchNorm, groupNorm, layerNorm } from '../../lib/ops/norm';
import { BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm } from '../../lib/nn/normalization';
import { backwardWeighted, expectGrad } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

type Fx = Record<string, FixtureTensor>;
interface BnStep extends Fx {}
interface BnCase {
  numFeatures: number;
  options: { momentum?: number | null; eps?: number; affine?: boolean; track_running_stats?: boolean };
  weight?: FixtureTensor;
  bias?: FixtureTensor;
  train: (BnStep & { num_batches_tracked?: number })[];
  eval: BnStep;
}

/** y, then L = sum(r * y) backward; checks y and the gradients the fixture holds. */
function checkStep(y: Tensor, step: Fx, tensors: Record<string, Tensor | null>): void {
  expectClose(y, toTensor(step.y), TOL.value);
  backwardWeighted(y, step.r);
  for (const [name, t] of Object.entries(tensors)) {
    if (!t || !step['d' + name]) continue;
    expectGrad(t, step['d' + name]);
    t.grad = null;
  }
}

describe('BatchNorm1d / BatchNorm2d against PyTorch', () => {
  const file = fixtureFile('norm/batchnorm') as unknown as Record<string, BnCase>;
  for (const [name, c] of Object.entries(file)) {
    it(`${name}: 3 training steps then eval (outputs, gradients, running statistics)`, () => {
      const o = c.options;
      const Cls = name.startsWith('bn2d') ? BatchNorm2d : BatchNorm1d;
      const m = new Cls(c.numFeatures, {
        momentum: o.momentum, eps: o.eps, affine: o.affine, trackRunningStats: o.track_running_stats,
      });
      if (c.weight) m.weight!.data.set(toTensor(c.weight).data);
      if (c.bias) m.bias!.data.set(toTensor(c.bias).data);
      for (const step of c.train) {
        const x = toTensor(step.x, true);
        checkStep(m.forward(x), step, { x, weight: m.weight, bias: m.bias });
        if (step.running_mean) {
          expectClose(m.running_mean!, toTensor(step.running_mean), TOL.value);
          expectClose(m.running_var!, toTensor(step.running_var), TOL.value);
          expect(m.num_batches_tracked!.item()).toBe(step.num_batches_tracked);
        } else {
          expect(m.running_mean).toBeNull();
        }
      }
      m.eval();
      const x = toTensor(c.eval.x, true);
      checkStep(m.forward(x), c.eval, { x, weight: m.weight, bias: m.bias });
    });
  }

  it('stateDict keys and dtypes equal PyTorch', () => {
    const m = new BatchNorm2d(3);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(m.num_batches_tracked!.dtype).toBe('int32');
    expect(Object.keys(new BatchNorm1d(2, { affine: false, trackRunningStats: false }).stateDict())).toEqual([]);
    expect(Object.keys(new BatchNorm1d(2, { affine: false }).stateDict()))
      .toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
  });

  it('eval mode does not change running statistics', () => {
    const m = new BatchNorm1d(2).eval();
    m.forward(tensor([[1, 2], [3, 5]]));
    expect(Array.from(m.running_mean!.data)).toEqual([0, 0]);
    expect(m.num_batches_tracked!.item()).toBe(0);
  });
});

describe('batchNorm op', () => {
  it('backward agrees with finite differences (training, eval, no affine)', () => {
    const [x, w, b] = sampleInputs([[4, 3, 2, 2], [3], [3]], 11);
    gradcheck((x, w, b) => batchNorm(x, null, null, w, b, { training: true }), [x, w, b]);
    const rm = tensor([0.1, -0.2, 0.3]);
    const rv = tensor([1.5, 0.7, 2]);
    gradcheck((x, w, b) => batchNorm(x, rm, rv, w, b), [x, w, b]);
    gradcheck((x) => batchNorm(x, null, null, null, null, { training: true }), sampleInputs([[5, 2]], 3));
  });
  it('names the argument', () => {
    expect(() => batchNorm(zeros([2, 3, 4]), null, null, zeros([4])))
      .toThrow('batchNorm: weight must be [3], got [4]');
    expect(() => batchNorm(zeros([3]), null, null)).toThrow('batchNorm: input must be [N, C, *], got [3]');
    expect(() => batchNorm(zeros([1, 3]), null, null, null, null, { training: true }))
      .toThrow('batchNorm: input must have more than 1 value per channel when training, got [1, 3]');
    expect(() => batchNorm(zeros([2, 3]), zeros([3]), null)).toThrow('batchNorm: runningMean and runningVar');
    expect(() => batchNorm(zeros([2, 3]), null, null, null, null, { eps: -1 }))
      .toThrow('batchNorm: eps must be a finite number >= 0, got -1');
    expect(() => new BatchNorm2d(3).forward(zeros([2, 4, 2, 2])))
      .toThrow('BatchNorm2d: input must be [N, C, H, W] with C = 3, got [2, 4, 2, 2]');
    expect(() => new BatchNorm1d(0)).toThrow('BatchNorm1d: numFeatures must be an integer >= 1, got 0');
  });
});

interface NormCase extends Fx {}

/** x, and weight and bias where the case has them (all requiring grad), through f; then checkStep. */
function checkAffine(c: NormCase, f: (x: Tensor, w: Tensor | null, b: Tensor | null) => Tensor): void {
  const x = toTensor(c.x, true);
  const w = c.weight ? toTensor(c.weight, true) : null;
  const b = c.bias ? toTensor(c.bias, true) : null;
  checkStep(f(x, w, b), c, { x, weight: w, bias: b });
}

describe('layerNorm / LayerNorm', () => {
  const file = fixtureFile('norm/layernorm') as unknown as Record<string, NormCase & { normalizedShape: number[]; eps: number }>;
  for (const [name, c] of Object.entries(file)) {
    it(`${name}: output and gradients equal PyTorch`, () => {
      checkAffine(c, (x, w, b) => layerNorm(x, c.normalizedShape, w, b, c.eps));
    });
  }
  it('the module has weight 1 and bias 0 of normalizedShape and normalises the last dims', () => {
    const m = new LayerNorm([2, 3]);
    expect(m.weight!.shape).toEqual([2, 3]);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias']);
    const y = m.forward(tensor([[[1, 2, 3], [4, 5, 6]]]));
    expectClose(y.mean(), 0, TOL.value);
    expect(new LayerNorm(4, { elementwiseAffine: false }).weight).toBeNull();
  });
  it('backward agrees with finite differences', () => {
    gradcheck((x, w, b) => layerNorm(x, [3, 4], w, b), sampleInputs([[2, 3, 4], [3, 4], [3, 4]], 21));
    gradcheck((x) => layerNorm(x, 5), sampleInputs([[3, 5]], 22));
  });
  it('names the argument', () => {
    expect(() => layerNorm(zeros([2, 3, 4]), [4, 5])).toThrow('layerNorm: input must end in [4, 5], got [2, 3, 4]');
    expect(() => layerNorm(zeros([2, 4]), [4], zeros([5]))).toThrow('layerNorm: weight must be [4], got [5]');
    expect(() => layerNorm(zeros([2, 4]), [])).toThrow('layerNorm: normalizedShape must be a non-empty array');
  });
});

describe('groupNorm / GroupNorm', () => {
  const file = fixtureFile('norm/groupnorm') as unknown as Record<string, NormCase & { numGroups: number; eps: number }>;
  for (const [name, c] of Object.entries(file)) {
    it(`${name}: output and gradients equal PyTorch`, () => {
      checkAffine(c, (x, w, b) => groupNorm(x, c.numGroups, w, b, c.eps));
    });
  }
  it('the module matches the op and has PyTorch keys', () => {
    const m = new GroupNorm(2, 4);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias']);
    const [x] = sampleInputs([[2, 4, 3]], 5);
    expectClose(m.forward(x), groupNorm(x, 2), TOL.value);
  });
  it('backward agrees with finite differences', () => {
    gradcheck((x, w, b) => groupNorm(x, 2, w, b), sampleInputs([[2, 4, 3, 2], [4], [4]], 31));
  });
  it('names the argument', () => {
    expect(() => groupNorm(zeros([2, 6, 3]), 4)).toThrow('groupNorm: numGroups must divide C = 6, got 4');
    expect(() => groupNorm(zeros([2, 6, 3]), 3, zeros([3]))).toThrow('groupNorm: weight must be [6], got [3]');
    expect(() => new GroupNorm(4, 6)).toThrow('GroupNorm: numGroups must divide numChannels = 6, got 4');
    expect(() => new GroupNorm(2, 4).forward(zeros([2, 3]))).toThrow('GroupNorm: input must be [N, C, *] with C = 4, got [2, 3]');
  });
});

describe('native norm exports', () => {
  it('check every buffer length and option', async () => {
    const { native } = await import('../../lib/native');
    const f = (n: number) => new Float32Array(n);
    expect(() => native.batchNormForward(f(11), f(3), f(3), null, null, f(12), null, null, 2, 3, 2, true, 0.1, 1e-5))
      .toThrow('batchNormForward: y');
    expect(() => native.batchNormForward(f(12), f(3), f(3), null, null, f(12), f(2), null, 2, 3, 2, true, 0.1, 1e-5))
      .toThrow('batchNormForward: weight');
    expect(() => native.batchNormForward(f(12), f(3), f(3), null, null, f(12), null, null, 2, 3, 2, false, 0.1, 1e-5))
      .toThrow(TypeError);
    expect(() => native.batchNormBackward(f(12), null, null, f(12), f(12), f(2), f(3), null, 2, 3, 2, true))
      .toThrow('batchNormBackward: mean');
    expect(() => native.layerNormForward(f(6), f(2), f(1), f(6), null, null, 2, 3, 1e-5)).toThrow('layerNormForward: rstd');
    expect(() => native.layerNormForward(f(6), f(2), f(2), f(6), null, null, 2, 3, -1)).toThrow('layerNormForward: eps');
    expect(() => native.layerNormBackward(null, f(2), null, f(6), f(6), f(2), f(2), null, 2, 3)).toThrow('layerNormBackward: dweight');
    expect(() => native.groupNormForward(f(12), f(4), f(4), f(12), null, null, 2, 3, 2, 2, 1e-5))
      .toThrow('groupNormForward: G must divide C = 3, got 2');
    expect(() => native.groupNormForward(f(12), f(4), f(4), f(12), null, null, 2, 3, 2, 0, 1e-5)).toThrow(RangeError);
    expect(() => native.groupNormBackward(f(12), null, null, f(12), f(12), f(1), f(2), null, 2, 3, 2, 1))
      .toThrow('groupNormBackward: mean');
  });
  it('return at once for empty inputs with a huge other dim', async () => {
    const { native } = await import('../../lib/native');
    const E = new Float32Array(0);
    const one = new Float32Array(1);
    native.batchNormForward(E, one, one, null, null, E, null, null, 2 ** 52, 1, 0, true, 0.1, 1e-5);
    native.batchNormBackward(E, one, one, E, E, one, one, null, 2 ** 52, 1, 0, true);
    native.groupNormForward(E, one, one, E, null, null, 1, 2 ** 52, 0, 1, 1e-5);
    native.groupNormBackward(E, null, null, E, E, one, one, null, 1, 2 ** 52, 0, 1);
    expect(Number.isNaN(one[0])).toBe(true);
  });
  it('give the same numbers for any thread count', async () => {
    const { getNumThreads, setNumThreads } = await import('../../lib/index');
    const [x, w, b] = sampleInputs([[8, 32, 16, 16], [32], [32]], 41);
    const run = () => {
      x.grad = w.grad = b.grad = null;
      const ys = [batchNorm(x, null, null, w, b, { training: true }), groupNorm(x, 4, w, b), layerNorm(x, [16, 16])];
      ys.reduce((s, y) => s.add(y.sum()), zeros([])).backward();
      return [...ys, x.grad as unknown as Tensor, w.grad as unknown as Tensor, b.grad as unknown as Tensor].map((t) => Array.from(t.data));
    };
    const before = getNumThreads();
    try {
      setNumThreads(1);
      const one = run();
      setNumThreads(4);
      expect(run()).toEqual(one);
    } finally {
      setNumThreads(before);
    }
  });
});
