// Indexing ops against PyTorch (scripts/fixtures/index.py): indexSelect, gather and
// scatterAdd values and gradients, finite-difference checks and the argument checks.
import { describe, expect, it } from 'vitest';
import {
  gather, indexSelect, scatterAdd, tensor, zeros, ones, type Tensor,
} from '../../lib/index';
import { backwardWeighted, expectGrad } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { expectAccumulates, gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

interface IndexCase {
  name: string;
  op: 'indexSelect' | 'gather' | 'scatterAdd';
  dim: number;
  x: FixtureTensor;
  index: FixtureTensor;
  src?: FixtureTensor;
  y: FixtureTensor;
  r: FixtureTensor;
  dx: FixtureTensor;
  dsrc?: FixtureTensor;
}

const cases = (fixtureFile('index/cases') as { cases: IndexCase[] }).cases;
const named = cases.map((c) => [c.name, c] as const);

function run(c: IndexCase, x: Tensor, index: Tensor, src?: Tensor): Tensor {
  if (c.op === 'indexSelect') return indexSelect(x, c.dim, index);
  if (c.op === 'gather') return gather(x, c.dim, index);
  return scatterAdd(x, c.dim, index, src as Tensor);
}

const i32 = (values: number[], shape?: number[]) =>
  tensor(Int32Array.from(values), shape ?? [values.length]);

describe('indexing ops against PyTorch', () => {
  it.each(named)('%s matches reference', (_, c) => {
    const x = toTensor(c.x, true);
    const src = c.src ? toTensor(c.src, true) : undefined;
    const y = run(c, x, toTensor(c.index), src);
    expectClose(y, toTensor(c.y), TOL.value);
    backwardWeighted(y, c.r);
    expectGrad(x, c.dx);
    if (src) expectGrad(src, c.dsrc as FixtureTensor);
  });

  it.each(named)('%s: backward agrees with finite differences', (_, c) => {
    const shapes = c.src ? [c.x.shape, c.src.shape] : [c.x.shape];
    const index = toTensor(c.index);
    gradcheck((x, src) => run(c, x, index, src), sampleInputs(shapes, 17));
  });
});

describe('indexing ops', () => {
  it('gradients accumulate over two backward calls: indexSelect, gather, scatterAdd', () => {
    const [x, src] = sampleInputs([[3, 4], [2, 4]], 9);
    const index = i32([2, 0, 2, 1, 0, 0, 1, 2], [2, 4]);
    expectAccumulates((a) => indexSelect(a, 0, i32([2, 2, 0])), [x]);
    expectAccumulates((a) => gather(a, 0, index), [x]);
    expectAccumulates((a, s) => scatterAdd(a, 0, index, s), [x, src]);
  });

  it('scatterAdd computes no gradient for an input without requiresGrad', () => {
    const [src] = sampleInputs([[2, 4]], 4);
    const x = zeros([3, 4]);
    scatterAdd(x, 0, i32([0, 1, 2, 0, 2, 2, 1, 0], [2, 4]), src).sum().backward();
    expect(x.grad).toBeNull();
    expectClose(src.grad as Tensor, ones([2, 4]), TOL.value);
  });

  it('indexSelect and gather keep int32 values; indexSelect keeps bool values', () => {
    const xi = i32([10, 11, 12, 13, 14, 15], [2, 3]);
    expect(indexSelect(xi, 1, i32([2, 0])).toArray()).toEqual([[12, 10], [15, 13]]);
    expect(indexSelect(xi, 1, i32([2, 0])).dtype).toBe('int32');
    expect(gather(xi, 1, i32([1, 1, 0, 2], [2, 2])).toArray()).toEqual([[11, 11], [13, 15]]);
    const xb = tensor([[true, false], [false, false], [true, true]]);
    expect(indexSelect(xb, 0, i32([2, 0])).toArray()).toEqual([[true, true], [true, false]]);
    expect(indexSelect(xb, 1, i32([1])).toArray()).toEqual([[false], [false], [true]]);
  });

  it('indexSelect with an empty inner dim gives an empty result: [3,4,0] dim=1', () => {
    const x = zeros([3, 4, 0], { requiresGrad: true });
    const y = indexSelect(x, 1, i32([1, 3]));
    expect(y.shape).toEqual([3, 2, 0]);
    y.sum().backward();
    expect(x.grad?.shape).toEqual([3, 4, 0]);
    expect(indexSelect(zeros([0, 5]), 1, i32([4])).shape).toEqual([0, 1]);
  });

  it('indexSelect takes a 0-d index like a one-element index', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(indexSelect(x, 0, tensor(Int32Array.from([1]), [])).toArray()).toEqual([[3, 4]]);
  });

  it('Tensor methods mirror the functions: x.indexSelect, x.gather, x.scatterAdd', () => {
    const x = tensor([[1, 2], [3, 4]]);
    const index = i32([1, 0, 0, 0], [2, 2]);
    expect(x.indexSelect(1, i32([1])).toArray()).toEqual([[2], [4]]);
    expect(x.gather(1, index).toArray()).toEqual([[2, 1], [3, 3]]);
    expect(x.scatterAdd(1, index, ones([2, 2])).toArray()).toEqual([[2, 3], [5, 4]]);
  });
});

describe('indexing op errors name the function and argument', () => {
  const x = zeros([5, 3]);
  const cases: [string, () => unknown, RegExp][] = [
    [
      'indexSelect of a non-tensor',
      () => indexSelect([1] as unknown as Tensor, 0, i32([0])),
      /^indexSelect: input must be a Tensor, got an array$/,
    ],
    [
      'indexSelect with a float32 index',
      () => indexSelect(x, 0, tensor([0])),
      /^indexSelect: index must be an int32 Tensor, got float32$/,
    ],
    [
      'indexSelect with an index past the end',
      () => indexSelect(x, 0, i32([1, 5])),
      /^indexSelect: index must hold values in \[0, 5\), got 5 at 1$/,
    ],
    [
      'indexSelect with a negative index',
      () => indexSelect(x, 1, i32([-1])),
      /^indexSelect: index must hold values in \[0, 3\), got -1 at 0$/,
    ],
    [
      'indexSelect with a 2-D index',
      () => indexSelect(x, 0, i32([0, 1], [1, 2])),
      /^indexSelect: index must be 0-D or 1-D, got shape \[1, 2\]$/,
    ],
    [
      'indexSelect dim out of range',
      () => indexSelect(x, 2, i32([0])),
      /^indexSelect: dim must be an integer in \[-2, 1\], got 2$/,
    ],
    [
      'indexSelect with a non-tensor index',
      () => indexSelect(x, 0, [0] as unknown as Tensor),
      /^indexSelect: index must be a Tensor, got an array$/,
    ],
    [
      'gather of a 0-d tensor',
      () => gather(zeros([]), 0, i32([0])),
      /^gather: input must have at least one dim, got shape \[\]$/,
    ],
    [
      'gather with an index of another rank',
      () => gather(x, 0, i32([0])),
      /^gather: index must have 2 dims like input, got shape \[1\]$/,
    ],
    [
      'gather with an index wider than input',
      () => gather(x, 0, i32([0, 0, 0, 0], [1, 4])),
      /^gather: index size 4 at dim 1 must be <= 3 \(input shape \[5, 3\]\)$/,
    ],
    [
      'gather with an index past the end',
      () => gather(x, 1, i32([3], [1, 1])),
      /^gather: index must hold values in \[0, 3\), got 3 at 0$/,
    ],
    [
      'gather of a bool tensor',
      () => gather(tensor([true]), 0, i32([0])),
      /^gather: input must be float32 or int32, got bool$/,
    ],
    [
      'gather with an int32 index check first',
      () => gather(x, 0, zeros([1, 1])),
      /^gather: index must be an int32 Tensor, got float32$/,
    ],
    [
      'scatterAdd of an int32 input',
      () => scatterAdd(i32([0, 0]), 0, i32([0]), zeros([1])),
      /^scatterAdd: input must be float32, got int32$/,
    ],
    [
      'scatterAdd of an int32 src',
      () => scatterAdd(zeros([2]), 0, i32([0]), i32([1])),
      /^scatterAdd: src must be float32, got int32$/,
    ],
    [
      'scatterAdd with src smaller than index',
      () => scatterAdd(x, 0, i32([0, 1, 2, 0], [2, 2]), zeros([1, 2])),
      /^scatterAdd: src must have 2 dims each >= index shape \[2, 2\], got \[1, 2\]$/,
    ],
    [
      'scatterAdd with an index past the end',
      () => scatterAdd(x, 0, i32([5], [1, 1]), zeros([1, 1])),
      /^scatterAdd: index must hold values in \[0, 5\), got 5 at 0$/,
    ],
    [
      'scatterAdd dim out of range',
      () => scatterAdd(x, -3, i32([0], [1, 1]), zeros([1, 1])),
      /^scatterAdd: dim must be an integer in \[-2, 1\], got -3$/,
    ],
    [
      'scatterAdd with a non-tensor src',
      () => scatterAdd(x, 0, i32([0], [1, 1]), 2 as unknown as Tensor),
      /^scatterAdd: src must be a Tensor, got number$/,
    ],
  ];
  it.each(cases)('%s', (_, f, message) => {
    expect(f).toThrow(message);
  });
});

describe('indexing ops on large tensors agree with loops (threaded kernels)', () => {
  const big = (shape: number[]) => {
    const n = shape.reduce((p, s) => p * s, 1);
    const data = Float32Array.from({ length: n }, (_, i) => (i % 97) - 48);
    return tensor(data, shape, { requiresGrad: true });
  };
  const idxOf = (n: number, bound: number) =>
    i32(Array.from({ length: n }, (_, i) => (i * 7 + 3) % bound));

  it('indexSelect [50,60,70] dim=1 with 90 repeated indices, and its index-add backward', () => {
    const x = big([50, 60, 70]);
    const index = idxOf(90, 60);
    const y = indexSelect(x, 1, index);
    const xd = x.data;
    const id = index.data;
    let bad = 0;
    for (let o = 0; o < 50; ++o)
      for (let j = 0; j < 90; ++j)
        for (let i = 0; i < 70; ++i) {
          bad += y.data[(o * 90 + j) * 70 + i] === xd[(o * 60 + id[j]) * 70 + i] ? 0 : 1;
        }
    expect(bad).toBe(0);
    y.sum().backward();
    const count = new Array<number>(60).fill(0);
    for (const v of id) count[v] += 1;
    const g = (x.grad as Tensor).data;
    for (let k = 0; k < g.length; ++k) bad += g[k] === count[Math.floor(k / 70) % 60] ? 0 : 1;
    expect(bad).toBe(0);
  });

  it('indexSelect [40,20000] dim=0 (one outer row, split inner) backward', () => {
    const x = big([40, 20000]);
    const index = idxOf(30, 40);
    indexSelect(x, 0, index).sum().backward();
    const count = new Array<number>(40).fill(0);
    for (const v of index.data) count[v] += 1;
    const g = (x.grad as Tensor).data;
    let bad = 0;
    for (let k = 0; k < g.length; ++k) bad += g[k] === count[Math.floor(k / 20000)] ? 0 : 1;
    expect(bad).toBe(0);
  });

  it('gather and scatterAdd [60,50,40] dim=2 agree with loops', () => {
    const x = big([60, 50, 40]);
    const positions = Array.from({ length: 60 * 50 * 30 }, (_, i) => (i * 13 + 5) % 40);
    const index = i32(positions, [60, 50, 30]);
    const y = gather(x, 2, index);
    const s = scatterAdd(zeros([60, 50, 40]), 2, index, y);
    const want = new Float32Array(60 * 50 * 40);
    let bad = 0;
    for (let a = 0; a < 60; ++a)
      for (let b = 0; b < 50; ++b)
        for (let c = 0; c < 30; ++c) {
          const k = (a * 50 + b) * 30 + c;
          const src = (a * 50 + b) * 40 + index.data[k];
          bad += y.data[k] === x.data[src] ? 0 : 1;
          want[src] += x.data[src];
        }
    expect(bad).toBe(0);
    expectClose(s, want, TOL.value);
  });
});
