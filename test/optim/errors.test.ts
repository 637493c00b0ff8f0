// Optimizer argument errors (named class and argument), Optimizer base behaviour (groups,
// zeroGrad, skipped params, loadStateDict checks) and the native boundary of the optimizer
// exports (bad arguments throw, nothing crashes).
import { describe, expect, it } from 'vitest';
import { optim, tensor, zeros, type Tensor } from '../../lib/index';
import { native } from '../../lib/native';
import { expectClose } from '../helpers/close';
import { TOL } from '../helpers/tolerance';

const w = (n = 3): Tensor => zeros([n], { requiresGrad: true });

describe('optimizer argument errors', () => {
  it('an empty parameter list is refused', () => {
    expect(() => new optim.Adam([])).toThrow(/Adam: params must hold at least one tensor, got an empty list/);
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/SGD: params must hold at least one tensor/);
  });
  it('a single tensor instead of a list is refused', () => {
    expect(() => new optim.Adam(w() as unknown as Tensor[])).toThrow(/Adam: params must be an iterable of Tensors or of parameter groups, got a Tensor/);
  });
  it('negative lr names the class and argument', () => {
    expect(() => new optim.SGD([w()], { lr: -1 })).toThrow(/SGD: lr must be >= 0, got -1/);
    expect(() => new optim.Adam([w()], { lr: -0.5 })).toThrow(/Adam: lr must be >= 0, got -0.5/);
    expect(() => new optim.RMSprop([w()], { lr: -1 })).toThrow(/RMSprop: lr must be >= 0, got -1/);
    expect(() => new optim.Adagrad([w()], { lr: -1 })).toThrow(/Adagrad: lr must be >= 0, got -1/);
    expect(() => new optim.Adadelta([w()], { lr: -1 })).toThrow(/Adadelta: lr must be >= 0, got -1/);
    expect(() => new optim.Adamax([w()], { lr: -1 })).toThrow(/Adamax: lr must be >= 0, got -1/);
    expect(() => new optim.NAdam([w()], { lr: -1 })).toThrow(/NAdam: lr must be >= 0, got -1/);
  });
  it('SGD needs lr', () => {
    expect(() => new optim.SGD([w()], {} as { lr: number })).toThrow(/SGD: lr must be given/);
  });
  it('betas out of [0, 1) are named', () => {
    expect(() => new optim.Adam([w()], { betas: [1.5, 0.9] })).toThrow(/Adam: betas\[0\] must be in \[0, 1\), got 1.5/);
    expect(() => new optim.AdamW([w()], { betas: [0.9, 1] })).toThrow(/AdamW: betas\[1\] must be in \[0, 1\), got 1/);
    expect(() => new optim.Adamax([w()], { betas: [-0.1, 0.9] })).toThrow(/Adamax: betas\[0\] must be in \[0, 1\), got -0.1/);
    expect(() => new optim.NAdam([w()], { betas: [0.9, 2] })).toThrow(/NAdam: betas\[1\] must be in \[0, 1\), got 2/);
  });
  it('other options out of range are named', () => {
    expect(() => new optim.SGD([w()], { lr: 0.1, nesterov: true })).toThrow(/SGD: nesterov needs momentum > 0 and dampening = 0/);
    expect(() => new optim.SGD([w()], { lr: 0.1, momentum: -1 })).toThrow(/SGD: momentum must be >= 0, got -1/);
    expect(() => new optim.Adam([w()], { eps: -1 })).toThrow(/Adam: eps must be >= 0, got -1/);
    expect(() => new optim.Adam([w()], { weightDecay: -1 })).toThrow(/Adam: weightDecay must be >= 0, got -1/);
    expect(() => new optim.RMSprop([w()], { alpha: -1 })).toThrow(/RMSprop: alpha must be >= 0, got -1/);
    expect(() => new optim.Adadelta([w()], { rho: 1.5 })).toThrow(/Adadelta: rho must be in \[0, 1\], got 1.5/);
    expect(() => new optim.Adagrad([w()], { initialAccumulatorValue: -1 })).toThrow(/Adagrad: initialAccumulatorValue must be >= 0, got -1/);
    expect(() => new optim.NAdam([w()], { momentumDecay: -1 })).toThrow(/NAdam: momentumDecay must be >= 0, got -1/);
  });
  it('a param that is not float32 is refused', () => {
    expect(() => new optim.Adam([w(), tensor([1, 2], { dtype: 'int32' })])).toThrow(/Adam: params\[1\] must have dtype float32, got int32/);
  });
  it('a non-leaf param is refused', () => {
    const x = w();
    expect(() => new optim.SGD([x.mul(2)], { lr: 1 })).toThrow(/SGD: params\[0\] must be a leaf tensor/);
  });
  it('a param in two groups is refused', () => {
    const x = w();
    expect(() => new optim.Adam([{ params: [x] }, { params: [x] }])).toThrow(/Adam: params\[0\] appears twice/);
  });
  it('a bad option in a group is named', () => {
    expect(() => new optim.Adam([{ params: [w()] }, { params: [w()], lr: -2 }])).toThrow(/Adam: lr must be >= 0, got -2/);
  });
  it('a gradient of the wrong size is refused at step', () => {
    const x = w(3);
    const opt = new optim.SGD([x], { lr: 1 });
    x.grad = zeros([4]);
    expect(() => opt.step()).toThrow(/SGD: step: grad must be float32 of shape \[3\], got float32 \[4\]/);
  });
});

describe('Optimizer base', () => {
  it('groups keep their own options and fill the rest from the defaults', () => {
    const a = w();
    const b = w();
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.paramGroups[0].lr).toBe(0.1);
    expect(opt.paramGroups[0].momentum).toBe(0);
    expect(opt.paramGroups[1].lr).toBe(0.5);
    expect(opt.paramGroups[1].momentum).toBe(0.9);
    a.grad = tensor([1, 1, 1]);
    b.grad = tensor([1, 1, 1]);
    opt.step();
    expectClose(a, [-0.1, -0.1, -0.1], TOL.value);
    expectClose(b, [-0.5, -0.5, -0.5], TOL.value);
  });
  it('addParamGroup adds a group with defaults', () => {
    const opt = new optim.Adam([w()], { lr: 0.01 });
    opt.addParamGroup({ params: [w()], eps: 1e-3 });
    expect(opt.paramGroups.length).toBe(2);
    expect(opt.paramGroups[1].lr).toBe(0.01);
    expect(opt.paramGroups[1].eps).toBe(1e-3);
  });
  it('params without a grad are skipped and get no state', () => {
    const a = w();
    const b = w();
    const opt = new optim.Adam([a, b]);
    a.grad = tensor([1, 2, 3]);
    opt.step();
    expect(Array.from(b.data)).toEqual([0, 0, 0]);
    expect(opt.state.has(b)).toBe(false);
    expect(Object.keys(opt.stateDict().state)).toEqual(['0']);
  });
  it('zeroGrad sets grads to null, or to zeros when asked', () => {
    const a = w();
    const opt = new optim.SGD([a], { lr: 1 });
    a.grad = tensor([1, 2, 3]);
    opt.zeroGrad(false);
    expect(Array.from((a.grad as Tensor).data)).toEqual([0, 0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });
  it('step(closure) returns the closure value', () => {
    const a = w();
    const opt = new optim.SGD([a], { lr: 1 });
    expect(opt.step(() => 42)).toBe(42);
  });
  it('stateDict uses PyTorch layout with camelCase options', () => {
    const a = w();
    const opt = new optim.Adam([a], { lr: 0.01, amsgrad: true });
    a.grad = tensor([1, 2, 3]);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.param_groups).toEqual([
      { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, params: [0] },
    ]);
    expect(Object.keys(sd.state[0]).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    expect(sd.state[0].step).toBe(1);
  });
  it('loadStateDict refuses a dict with different groups or shapes', () => {
    const opt = new optim.Adam([w(3)]);
    (opt.paramGroups[0].params[0] as Tensor).grad = tensor([1, 2, 3]);
    opt.step();
    const sd = opt.stateDict();
    expect(() => new optim.Adam([w(3), w(3)]).loadStateDict(sd)).toThrow(/Adam: loadStateDict: param_groups\[0\] must have 2 params, got 1/);
    expect(() => new optim.Adam([{ params: [w(3)] }, { params: [w(3)] }]).loadStateDict(sd)).toThrow(/Adam: loadStateDict: param_groups must have 2 groups, got 1/);
    expect(() => new optim.Adam([w(4)]).loadStateDict(sd)).toThrow(/Adam: loadStateDict: state\[0\].exp_avg must be float32 of shape \[4\], got float32 \[3\]/);
  });
});

describe('optimizer exports: native boundary', () => {
  const f = (n: number) => new Float32Array(n);
  it('short buffers throw RangeError naming the argument', () => {
    expect(() => native.sgdStep(f(4), null, f(3), 4, 0.1, 0, 0, 0, false, false, false)).toThrow(/sgdStep: grad must have at least 4 elements, got 3/);
    expect(() => native.adamStep(f(4), f(4), f(2), null, f(4), 4, 1, 0.1, 0.9, 0.999, 1e-8, 0, false, false, false)).toThrow(/adamStep: expAvgSq must have at least 4 elements, got 2/);
    expect(() => native.rmspropStep(f(4), f(4), null, f(1), f(4), 4, 0.1, 0.9, 1e-8, 0, 0.9, false, false)).toThrow(/rmspropStep: momentumBuffer must have at least 4 elements, got 1/);
    expect(() => native.adagradStep(f(4), f(3), f(4), 4, 1, 0.1, 0, 1e-10, 0, false)).toThrow(/adagradStep: sum must have at least 4 elements/);
    expect(() => native.adadeltaStep(f(4), f(4), f(0), f(4), 4, 1, 0.9, 1e-6, 0, false)).toThrow(/adadeltaStep: accDelta must have at least 4 elements/);
    expect(() => native.adamaxStep(f(1), f(4), f(4), f(4), 4, 1, 0.1, 0.9, 0.99, 1e-8, 0, false)).toThrow(/adamaxStep: param must have at least 4 elements/);
    expect(() => native.nadamStep(f(4), f(4), f(4), f(2), 4, 1, 1, 0.1, 0.9, 0.99, 1e-8, 0, 4e-3)).toThrow(/nadamStep: grad must have at least 4 elements/);
    expect(() => native.gradScale(f(2), 3, 1)).toThrow(/gradScale: x must have at least 3 elements/);
  });
  it('missing or unexpected optional buffers throw TypeError', () => {
    expect(() => native.sgdStep(f(4), null, f(4), 4, 0.1, 0.9, 0, 0, false, false, false)).toThrow(/sgdStep: momentumBuffer must be a Float32Array when momentum != 0/);
    expect(() => native.adamStep(f(4), f(4), f(4), null, f(4), 4, 1, 0.1, 0.9, 0.999, 1e-8, 0, true, false, false)).toThrow(/adamStep: maxExpAvgSq must be a Float32Array when amsgrad/);
    expect(() => native.rmspropStep(f(4), f(4), f(4), null, f(4), 4, 0.1, 0.9, 1e-8, 0, 0, false, false)).toThrow(/rmspropStep: gradAvg must be null unless centered/);
  });
  it('wrong types, negative sizes and a zero step throw', () => {
    const bad = native as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => bad.sgdStep(new Float64Array(4), null, f(4), 4, 0.1, 0, 0, 0, false, false, false)).toThrow(/sgdStep: param must be a Float32Array/);
    expect(() => bad.sgdStep(f(4), null, f(4), -1, 0.1, 0, 0, 0, false, false, false)).toThrow(/sgdStep: n must be an integer/);
    expect(() => bad.adamStep(f(4), f(4), f(4), null, f(4), 4, 0, 0.1, 0.9, 0.999, 1e-8, 0, false, false, false)).toThrow(/adamStep: step must be an integer in \[1/);
    expect(() => bad.adamStep(f(4))).toThrow(/adamStep: 15 arguments expected, got 1/);
    expect(() => bad.sgdStep(f(4), null, f(4), 4, '0.1', 0, 0, 0, false, false, false)).toThrow(/sgdStep: lr must be a number/);
    expect(() => bad.gradNormPartial(f(4), 4, -1)).toThrow(/gradNormPartial: p must be > 0/);
  });
  it('large tensors split over the pool give the same numbers as small calls', () => {
    const n = 100_003;
    const p = new Float32Array(n).map((_, i) => Math.sin(i));
    const g = new Float32Array(n).map((_, i) => Math.cos(i * 0.7));
    const pa = Float32Array.from(p), m = f(n), v = f(n);
    native.adamStep(pa, m, v, null, g, n, 1, 0.01, 0.9, 0.999, 1e-8, 0.01, false, false, true);
    // the same update in slices of 1000 (below the parallel grain)
    const pb = Float32Array.from(p), m2 = f(n), v2 = f(n);
    for (let s = 0; s < n; s += 1000) {
      const e = Math.min(n, s + 1000);
      native.adamStep(pb.subarray(s, e), m2.subarray(s, e), v2.subarray(s, e), null, g.subarray(s, e), e - s, 1, 0.01, 0.9, 0.999, 1e-8, 0.01, false, false, true);
    }
    expect(Buffer.compare(Buffer.from(pa.buffer), Buffer.from(pb.buffer))).toBe(0);
    let sq = 0;
    for (let i = 0; i < n; ++i) sq += g[i] * g[i];
    expect(native.gradNormPartial(g, n, 2)).toBeCloseTo(sq, 6);
  });
});
