// Shape ops against PyTorch (scripts/fixtures/shape.py): values and the gradients of
// L = sum(r * y), finite-difference checks of every backward, and the argument checks.
import { describe, expect, it } from 'vitest';
import {
  cat, chunk, clone, expand, flatten, narrow, permute, reshape, select, slice, split, squeeze,
  stack, t, tensor, transpose, unsqueeze, view, zeros, ones, arange, type Tensor,
} from '../../lib/index';
import { backwardWeighted, expectGrad } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { expectAccumulates, gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

type Arg = number | number[] | null;
type Op = (xs: Tensor[], args: Arg[]) => Tensor | Tensor[];

interface ShapeCase {
  name: string;
  op: string;
  args: Arg[];
  inputs: FixtureTensor[];
  outputs: FixtureTensor[];
  r: FixtureTensor[];
  grads: FixtureTensor[];
}

const n = (a: Arg) => a as number;
const opt = (a: Arg) => (a === null || a === undefined ? undefined : (a as number));
const list = (a: Arg) => a as number[];

const OPS: Record<string, Op> = {
  reshape: ([x], [s]) => reshape(x, list(s)),
  view: ([x], [s]) => view(x, list(s)),
  flatten: ([x], [s, e]) => flatten(x, opt(s), opt(e)),
  squeeze: ([x], [d]) => squeeze(x, d === undefined ? undefined : (d as number | number[])),
  unsqueeze: ([x], [d]) => unsqueeze(x, n(d)),
  transpose: ([x], [a, b]) => transpose(x, n(a), n(b)),
  t: ([x]) => t(x),
  permute: ([x], [d]) => permute(x, list(d)),
  expand: ([x], [s]) => expand(x, list(s)),
  cat: (xs, [d]) => cat(xs, n(d)),
  stack: (xs, [d]) => stack(xs, n(d)),
  split: ([x], [s, d]) => split(x, s as number | number[], n(d)),
  chunk: ([x], [c, d]) => chunk(x, n(c), n(d)),
  narrow: ([x], [d, s, l]) => narrow(x, n(d), n(s), n(l)),
  slice: ([x], [d, s, e, st]) => slice(x, n(d), opt(s), opt(e), n(st)),
  select: ([x], [d, i]) => select(x, n(d), n(i)),
  clone: ([x]) => clone(x),
};

const outputs = (y: Tensor | Tensor[]) => (Array.isArray(y) ? y : [y]);

const cases = ['view', 'permute', 'join', 'slice'].flatMap(
  (f) => (fixtureFile(`shape/${f}`) as { cases: ShapeCase[] }).cases,
);
const named = cases.map((c) => [c.name, c] as const);

describe('shape ops against PyTorch', () => {
  it.each(named)('%s matches reference', (_, c) => {
    const xs = c.inputs.map((f) => toTensor(f, true));
    const ys = outputs(OPS[c.op](xs, c.args));
    expect(ys.length).toBe(c.outputs.length);
    ys.forEach((y, k) => expectClose(y, toTensor(c.outputs[k]), TOL.value));
    backwardWeighted(ys, c.r);
    xs.forEach((x, k) => expectGrad(x, c.grads[k]));
  });

  it.each(named)('%s: backward agrees with finite differences', (_, c) => {
    const xs = sampleInputs(c.inputs.map((f) => f.shape), 11);
    gradcheck((...ins) => OPS[c.op](ins, c.args), xs);
  });
});

describe('shape ops', () => {
  it('gradients accumulate over two backward calls: permute, expand, cat, slice, select', () => {
    const [x, y] = sampleInputs([[2, 3], [2, 1]], 3);
    expectAccumulates((a) => permute(a, [1, 0]), [x]);
    expectAccumulates((a) => expand(a, [4, 2, 3]), [x]);
    expectAccumulates((a, b) => cat([a, b], 1), [x, y]);
    expectAccumulates((a) => slice(a, 1, 0, 3, 2), [x]);
    expectAccumulates((a) => select(a, 0, 1), [x]);
    expectAccumulates((a) => split(a, 2, 1)[1], [x]);
    expectAccumulates((a) => reshape(a, [3, 2]), [x]);
  });

  it('cat leaves inputs without requiresGrad without a gradient', () => {
    const [x] = sampleInputs([[2, 3]], 5);
    const c = zeros([1, 3]);
    cat([x, c], 0).sum().backward();
    expect(c.grad).toBeNull();
    expectClose(x.grad as Tensor, ones([2, 3]), TOL.value);
  });

  it('reshape, view, flatten, squeeze and unsqueeze share storage with the input', () => {
    const x = arange(0, 6, 1, { dtype: 'float32' });
    const views = [reshape(x, [2, 3]), view(x, [3, -1]), flatten(x), unsqueeze(x, 0), squeeze(x)];
    for (const y of views) expect(y.data).toBe(x.data);
  });

  it('permute, expand, slice and cat keep int32 and bool dtypes', () => {
    const i = tensor(Int32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const b = tensor([[true, false, true], [false, false, true]]);
    expect(permute(i, [1, 0]).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(permute(i, [1, 0]).dtype).toBe('int32');
    expect(transpose(b, 0, 1).toArray()).toEqual([[true, false], [false, false], [true, true]]);
    expect(expand(b.select(0, 0), [2, 3]).dtype).toBe('bool');
    expect(slice(i, 1, 1).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(cat([b, b], 0).dtype).toBe('bool');
    expect(stack([i, i], 2).shape).toEqual([2, 3, 2]);
  });

  it('cat promotes mixed dtypes as torch.cat: int32 with float32 gives float32', () => {
    const y = cat([tensor(Int32Array.from([1, 2])), tensor([0.5])]);
    expect(y.dtype).toBe('float32');
    expect(y.toArray()).toEqual([1, 2, 0.5]);
  });

  it('Tensor methods take variadic or array shapes: x.reshape(2, 3), x.permute([1, 0])', () => {
    const x = arange(0, 6, 1, { dtype: 'float32' });
    expect(x.reshape(2, 3).shape).toEqual([2, 3]);
    expect(x.view([3, 2]).shape).toEqual([3, 2]);
    expect(x.reshape(2, 3).permute([1, 0]).shape).toEqual([3, 2]);
    expect(x.reshape(2, 3).permute(1, 0).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.reshape(1, 6).expand(2, -1).shape).toEqual([2, 6]);
    expect(x.reshape(2, 3).T.shape).toEqual([3, 2]);
    expect(x.reshape(2, 1, 3).expandAs(zeros([4, 2, 5, 3])).shape).toEqual([4, 2, 5, 3]);
  });

  it('split and chunk along an empty dim give one empty piece, as torch', () => {
    const x = zeros([0, 2]);
    expect(split(x, 2).map((p) => p.shape)).toEqual([[0, 2]]);
    expect(chunk(x, 3).map((p) => p.shape)).toEqual([[0, 2]]);
  });
});

describe('shape op errors name the function and argument', () => {
  const x = zeros([2, 3]);
  const cases: [string, () => unknown, RegExp][] = [
    [
      'reshape of a non-tensor',
      () => reshape(3 as unknown as Tensor, [1]),
      /^reshape: input must be a Tensor, got number$/,
    ],
    [
      'reshape to a negative size',
      () => reshape(x, [3, -2]),
      /^reshape: shape must be integers >= -1, got \[3,-2\]$/,
    ],
    [
      'reshape with two -1',
      () => reshape(x, [-1, -1]),
      /^reshape: shape must have at most one -1, got \[-1, -1\]$/,
    ],
    [
      'reshape with an incompatible -1',
      () => reshape(x, [-1, 4]),
      /^reshape: shape must be compatible with 6 elements \(input shape \[2, 3\]\), got \[-1, 4\]$/,
    ],
    [
      'reshape with -1 next to 0',
      () => reshape(x, [0, -1]),
      /^reshape: shape must be compatible with 6 elements \(input shape \[2, 3\]\), got \[0, -1\]$/,
    ],
    [
      'reshape to the wrong count',
      () => reshape(x, [4, 2]),
      /^reshape: shape must hold 6 elements \(input shape \[2, 3\]\), got \[4, 2\] \(8 elements\)$/,
    ],
    [
      'view to the wrong count',
      () => view(x, [5]),
      /^view: shape must hold 6 elements \(input shape \[2, 3\]\), got \[5\] \(5 elements\)$/,
    ],
    [
      'reshape to 9 dims',
      () => reshape(zeros([1]), [1, 1, 1, 1, 1, 1, 1, 1, 1]),
      /^reshape: shape must have at most 8 dims, got 9$/,
    ],
    [
      'flatten startDim out of range',
      () => flatten(x, 2),
      /^flatten: startDim must be an integer in \[-2, 1\], got 2$/,
    ],
    [
      'flatten endDim before startDim',
      () => flatten(zeros([2, 3, 4]), 2, 1),
      /^flatten: startDim must be <= endDim = 1, got 2$/,
    ],
    [
      'squeeze dim out of range',
      () => squeeze(x, 2),
      /^squeeze: dim must be an integer in \[-2, 1\], got 2$/,
    ],
    [
      'unsqueeze dim out of range',
      () => unsqueeze(x, 3),
      /^unsqueeze: dim must be an integer in \[-3, 2\], got 3$/,
    ],
    [
      'permute with too few dims',
      () => permute(x, [0]),
      /^permute: dims must list 2 dims for shape \[2, 3\], got \[0\]$/,
    ],
    [
      'permute with a repeated dim',
      () => permute(x, [1, -1]),
      /^permute: dims must be a permutation of 0\.\.1, got \[1,-1\]$/,
    ],
    [
      'permute with a dim out of range',
      () => permute(x, [0, 2]),
      /^permute: dim must be an integer in \[-2, 1\], got 2$/,
    ],
    [
      'transpose dim1 out of range',
      () => transpose(x, 0, 5),
      /^transpose: dim1 must be an integer in \[-2, 1\], got 5$/,
    ],
    [
      't of a 3-D tensor',
      () => t(zeros([1, 2, 3])),
      /^t: input must have at most 2 dims, got shape \[1, 2, 3\]$/,
    ],
    [
      'expand to fewer dims',
      () => expand(x, [3]),
      /^expand: shape must have at least 2 dims, got \[3\]$/,
    ],
    [
      'expand with -1 on a new dim',
      () => expand(x, [-1, 2, 3]),
      /^expand: shape must not use -1 for new dim 0, got \[-1, 2, 3\]$/,
    ],
    [
      'expand to a negative size',
      () => expand(x, [2, -3]),
      /^expand: shape must hold integers >= -1, got \[2, -3\]$/,
    ],
    [
      'expand of a non-1 dim',
      () => expand(x, [2, 4]),
      /^expand: shape must have 3 or -1 at dim 1 to expand \[2, 3\], got \[2, 4\]$/,
    ],
    ['cat of no tensors', () => cat([]), /^cat: tensors must be a non-empty array of Tensors$/],
    [
      'cat of a non-tensor',
      () => cat([x, [1] as unknown as Tensor]),
      /^cat: tensors\[1\] must be a Tensor, got an array$/,
    ],
    [
      'cat of 0-d tensors',
      () => cat([zeros([]), zeros([])]),
      /^cat: tensors\[0\] must have at least one dim, got shape \[\]$/,
    ],
    [
      'cat of mismatched shapes',
      () => cat([x, zeros([3, 3])], 1),
      /^cat: tensors\[1\] must have shape \[2, \*\], got \[3, 3\]$/,
    ],
    [
      'cat of mismatched ranks',
      () => cat([x, zeros([2, 3, 1])]),
      /^cat: tensors\[1\] must have shape \[\*, 3\], got \[2, 3, 1\]$/,
    ],
    [
      'cat dim out of range',
      () => cat([x, x], 2),
      /^cat: dim must be an integer in \[-2, 1\], got 2$/,
    ],
    [
      'stack of no tensors',
      () => stack([]),
      /^stack: tensors must be a non-empty array of Tensors$/,
    ],
    [
      'stack of mismatched shapes',
      () => stack([x, zeros([3, 2])]),
      /^stack: tensors\[1\] must have shape \[2, 3\], got \[3, 2\]$/,
    ],
    [
      'stack dim out of range',
      () => stack([x, x], 3),
      /^stack: dim must be an integer in \[-3, 2\], got 3$/,
    ],
    [
      'split of a 0-d tensor',
      () => split(zeros([]), 1),
      /^split: input must have at least one dim, got shape \[\]$/,
    ],
    [
      'split with sizes not summing to the dim',
      () => split(x, [1, 1], 1),
      /^split: sizes must be integers >= 0 summing to 3 \(dim 1\), got \[1,1\]$/,
    ],
    [
      'split with splitSize 0',
      () => split(x, 0),
      /^split: splitSize must be an integer >= 1, got 0$/,
    ],
    ['chunk into 0 chunks', () => chunk(x, 0), /^chunk: chunks must be an integer >= 1, got 0$/],
    [
      'chunk of a 0-d tensor',
      () => chunk(zeros([]), 2),
      /^chunk: input must have at least one dim, got shape \[\]$/,
    ],
    [
      'narrow of a 0-d tensor',
      () => narrow(zeros([]), 0, 0, 1),
      /^narrow: input must have at least one dim, got shape \[\]$/,
    ],
    [
      'narrow start out of range',
      () => narrow(x, 1, 4, 0),
      /^narrow: start must be an integer in \[-3, 3\], got 4$/,
    ],
    [
      'narrow past the end',
      () => narrow(x, 1, 1, 3),
      /^narrow: length must be an integer in \[0, 2\] \(start 1, size 3 at dim 1\), got 3$/,
    ],
    [
      'slice of a 0-d tensor',
      () => slice(zeros([]), 0),
      /^slice: input must have at least one dim, got shape \[\]$/,
    ],
    [
      'slice with step 0',
      () => slice(x, 1, 0, 3, 0),
      /^slice: step must be an integer >= 1, got 0$/,
    ],
    [
      'slice with a fractional start',
      () => slice(x, 1, 0.5),
      /^slice: start must be an integer, got 0\.5$/,
    ],
    [
      'select of a 0-d tensor',
      () => select(zeros([]), 0, 0),
      /^select: input must have at least one dim, got shape \[\]$/,
    ],
    [
      'select index out of range',
      () => select(x, 1, 3),
      /^select: index must be an integer in \[-3, 2\] for dim 1, got 3$/,
    ],
    [
      'clone of a non-tensor',
      () => clone(null as unknown as Tensor),
      /^clone: input must be a Tensor, got null$/,
    ],
  ];
  it.each(cases)('%s', (_, f, message) => {
    expect(f).toThrow(message);
  });
  it('uses RangeError for values and TypeError for wrong kinds', () => {
    expect(() => reshape(x, [4])).toThrow(RangeError);
    expect(() => reshape(3 as unknown as Tensor, [1])).toThrow(TypeError);
  });
});

describe('shape ops on large tensors agree with index arithmetic (threaded copies)', () => {
  /** Element of a contiguous tensor at a multi-index. */
  const at = (x: Tensor, idx: number[]) => {
    let off = 0;
    for (let d = 0; d < idx.length; ++d) off = off * x.shape[d] + idx[d];
    return x.data[off];
  };
  /** Visits every multi-index of `shape` in row-major order. */
  const each = (shape: readonly number[], f: (idx: number[], k: number) => void) => {
    const idx = new Array<number>(shape.length).fill(0);
    const total = shape.reduce((p, s) => p * s, 1);
    for (let k = 0; k < total; ++k) {
      f(idx, k);
      for (let d = shape.length - 1; d >= 0; --d) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  };
  const big = (shape: number[]) =>
    arange(0, shape.reduce((p, s) => p * s, 1), 1, { dtype: 'float32' }).reshape(shape);

  it('permute [7,300,40] dims=[2,0,1]', () => {
    const x = big([7, 300, 40]);
    const y = permute(x, [2, 0, 1]);
    let bad = 0;
    each(y.shape, (i, k) => (bad += y.data[k] === at(x, [i[1], i[2], i[0]]) ? 0 : 1));
    expect(bad).toBe(0);
  });

  it('expand [300,1,40] to [3,300,50,40]', () => {
    const x = big([300, 1, 40]);
    const y = expand(x, [3, 300, 50, 40]);
    let bad = 0;
    each(y.shape, (i, k) => (bad += y.data[k] === at(x, [i[1], 0, i[3]]) ? 0 : 1));
    expect(bad).toBe(0);
  });

  it('slice [400,300] dim=1 start=5 end=290 step=3 and its gradient', () => {
    const x = big([400, 300]);
    x.requiresGrad_();
    const y = slice(x, 1, 5, 290, 3);
    let bad = 0;
    each(y.shape, (i, k) => (bad += y.data[k] === at(x, [i[0], 5 + 3 * i[1]]) ? 0 : 1));
    expect(bad).toBe(0);
    y.sum().backward();
    const g = x.grad as Tensor;
    each(x.shape, (i, k) => {
      const hit = i[1] >= 5 && i[1] < 290 && (i[1] - 5) % 3 === 0;
      bad += g.data[k] === (hit ? 1 : 0) ? 0 : 1;
    });
    expect(bad).toBe(0);
  });

  it('cat dim=1 of [200,30,50] and [200,70,50]', () => {
    const a = big([200, 30, 50]);
    const b = big([200, 70, 50]);
    const y = cat([a, b], 1);
    let bad = 0;
    each(y.shape, (i, k) => {
      const want = i[1] < 30 ? at(a, i) : at(b, [i[0], i[1] - 30, i[2]]);
      bad += y.data[k] === want ? 0 : 1;
    });
    expect(bad).toBe(0);
  });
});
