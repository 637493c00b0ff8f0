// matmul against PyTorch (scripts/fixtures/matmul.py) for every rank combination of
// torch.matmul, finite-difference checks, an O(n^2) check of a larger product, and the
// argument checks.
import { describe, expect, it } from 'vitest';
import { matmul, randn, manualSeed, tensor, zeros, type Tensor } from '../../lib/index';
import { batchedProduct } from '../../lib/ops/matmul';
import { backwardWeighted, expectGrad } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { expectAccumulates, gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

interface MatmulCase {
  a: FixtureTensor;
  b: FixtureTensor;
  y: FixtureTensor;
  r: FixtureTensor;
  da: FixtureTensor;
  db: FixtureTensor;
}

const cases = (fixtureFile('matmul/cases') as { cases: MatmulCase[] }).cases;
const label = (c: MatmulCase) => `[${c.a.shape.join(',')}] x [${c.b.shape.join(',')}]`;

describe('matmul against PyTorch', () => {
  it.each(cases.map((c) => [label(c), c] as const))('matmul matches reference: %s', (_, c) => {
    const a = toTensor(c.a, true);
    const b = toTensor(c.b, true);
    const y = matmul(a, b);
    expectClose(y, toTensor(c.y), TOL.accum);
    backwardWeighted(y, c.r);
    expectGrad(a, c.da);
    expectGrad(b, c.db);
  });

  it.each(cases.map((c) => [label(c), c] as const))(
    'matmul backward agrees with finite differences: %s',
    (_, c) => {
      gradcheck((a, b) => matmul(a, b), sampleInputs([c.a.shape, c.b.shape], 21));
    },
  );
});

describe('matmul', () => {
  it('gradients accumulate over two backward calls: [2,3,4] x [4,5]', () => {
    expectAccumulates((a, b) => matmul(a, b), sampleInputs([[2, 3, 4], [4, 5]], 2));
  });

  it('computes no gradient for an operand without requiresGrad', () => {
    const [a] = sampleInputs([[3, 4]], 3);
    const b = tensor(Float32Array.from({ length: 8 }, (_, i) => i / 8), [4, 2]);
    matmul(a, b).sum().backward();
    expect(b.grad).toBeNull();
    expect(a.grad?.shape).toEqual([3, 4]);
  });

  it('agrees with A(Bt) for a random t: [130,70] x [70,90]', () => {
    manualSeed(5);
    const A = randn([130, 70]);
    const B = randn([70, 90]);
    const v = randn([90]);
    expectClose(matmul(matmul(A, B), v), matmul(A, matmul(B, v)), TOL.accum);
  });

  it('batched [5,40,33] x [33,21] agrees with one product per batch', () => {
    manualSeed(6);
    const A = randn([5, 40, 33]);
    const B = randn([33, 21]);
    const y = matmul(A, B);
    for (let k = 0; k < 5; ++k) expectClose(y.select(0, k), matmul(A.select(0, k), B), TOL.accum);
  });

  it('1-D x 1-D gives a 0-d tensor and int32 operands are multiplied as float32', () => {
    const y = matmul(tensor([1, 2, 3]), tensor([4, 5, 6]));
    expect(y.shape).toEqual([]);
    expect(y.item()).toBe(32);
    const i = tensor(Int32Array.from([1, 2, 3, 4]), [2, 2]);
    expect(matmul(i, i).toArray()).toEqual([[7, 10], [15, 22]]);
  });

  it('small 2-D outputs (carved from a shared pool) never overlap: 40 x [64,128] x [128,100]', () => {
    manualSeed(9);
    const A = randn([64, 128]);
    const B = randn([128, 100]);
    const first = matmul(A, B);
    const want = first.toArray();
    // enough products to fill and replace the pool several times over
    const ys = Array.from({ length: 40 }, (_, k) => matmul(A.mul(k + 1), B));
    expect(first.toArray()).toEqual(want);
    for (let k = 0; k < 40; k += 13) expectClose(ys[k], first.mul(k + 1), TOL.accum);
  });

  // The few-column products of a linear layer with a small output (AVX-512: A^T panels on the
  // column kernel for N <= 8, or 10 with transposed B; the narrow kernel above that).
  it.each([1, 3, 8, 9, 10, 11, 16])(
    'few-column products match a float64 reference: [61,130] x [130,%i] as NN and NT',
    (n) => {
      manualSeed(40 + n);
      const A = randn([61, 130]);
      const B = randn([130, n]);
      const Bt = B.transpose(0, 1); // transpose copies
      const a = A.data as Float32Array;
      const b = B.data as Float32Array;
      const want = new Float32Array(61 * n);
      for (let i = 0; i < 61; ++i) {
        for (let j = 0; j < n; ++j) {
          let s = 0;
          for (let p = 0; p < 130; ++p) s += a[i * 130 + p] * b[p * n + j];
          want[i * n + j] = s;
        }
      }
      expectClose(matmul(A, B), tensor(want, [61, n]), TOL.accum);
      expectClose(batchedProduct(A, Bt, false, true), tensor(want, [61, n]), TOL.accum);
    },
  );

  it('x.matmul(y) is matmul(x, y)', () => {
    const [a, b] = sampleInputs([[2, 3], [3, 2]], 8);
    expectClose(a.matmul(b), matmul(a, b), TOL.value);
  });
});

describe('matmul errors name the function and argument', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'inner sizes differ, 2-D',
      () => matmul(zeros([2, 3]), zeros([4, 2])),
      /^matmul: b must be \[K, N\] with K = 3, got \[4, 2\]$/,
    ],
    [
      'inner sizes differ, 1-D b',
      () => matmul(zeros([2, 3]), zeros([4])),
      /^matmul: b must be \[K\] with K = 3, got \[4\]$/,
    ],
    [
      'inner sizes differ, batched b',
      () => matmul(zeros([3]), zeros([2, 4, 2])),
      /^matmul: b must be \[\.\.\., K, N\] with K = 3, got \[2, 4, 2\]$/,
    ],
    [
      'batch dims do not broadcast',
      () => matmul(zeros([2, 2, 3]), zeros([3, 3, 1])),
      /^matmul: batch dims of a \[2, 2, 3\] and b \[3, 3, 1\] must broadcast, got \[2\] and \[3\]$/,
    ],
    [
      '0-d a',
      () => matmul(zeros([]), zeros([2])),
      /^matmul: a must have at least 1 dim, got shape \[\]$/,
    ],
    [
      '0-d b',
      () => matmul(zeros([2]), zeros([])),
      /^matmul: b must have at least 1 dim, got shape \[\]$/,
    ],
    [
      'non-tensor a',
      () => matmul([[1]] as unknown as Tensor, zeros([1, 1])),
      /^matmul: a must be a Tensor, got an array$/,
    ],
    [
      'non-tensor b',
      () => matmul(zeros([1, 1]), 2 as unknown as Tensor),
      /^matmul: b must be a Tensor, got number$/,
    ],
  ];
  it.each(cases)('%s', (_, f, message) => {
    expect(f).toThrow(message);
  });
});
