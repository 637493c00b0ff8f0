// matmul(a, b, { out }): the product written into an existing tensor (torch.matmul's out=).
// Values are bitwise those of matmul(a, b) for every rank combination; out is checked
// (dtype, shape, gradient, overlap, autograd); and a backward whose saved tensors were
// overwritten in place since the forward refuses to run, as PyTorch's version counters do.
import { describe, expect, it } from 'vitest';
import {
  full,
  manualSeed,
  matmul,
  noGrad,
  randn,
  reshape,
  tensor,
  zeros,
  type Tensor,
} from '../../lib/index';

function bits(t: Tensor): number[] {
  return Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
}

describe('matmul with out', () => {
  const shapes: [number[], number[], number[]][] = [
    [[7, 5], [5, 3], [7, 3]],
    [[64, 10], [10, 128], [64, 128]],
    [[64, 128], [128, 10], [64, 10]],
    [[3, 200], [200, 300], [3, 300]],
    [[2, 1, 4, 5], [3, 5, 6], [2, 3, 4, 6]],
    [[4, 6, 5], [5, 2], [4, 6, 2]],
    [[5], [5, 3], [3]],
    [[4, 5], [5], [4]],
    [[5], [5], []],
    [[5], [2, 5, 3], [2, 3]],
  ];
  it.each(shapes.map(([a, b, y]) => [`[${a}] x [${b}] -> [${y}]`, a, b, y] as const))(
    'writes bitwise the result of matmul(a, b) into out and returns it: %s',
    (_, sa, sb, sy) => {
      manualSeed(11);
      const a = randn(sa);
      const b = randn(sb);
      const out = full(sy, Number.NaN);
      const data = out.data;
      const y = matmul(a, b, { out });
      expect(y).toBe(out);
      expect(out.data).toBe(data);
      expect(out.shape).toEqual(sy);
      expect(bits(out)).toEqual(bits(matmul(a, b)));
    },
  );

  it('x.matmul(y, { out }) is matmul(x, y, { out })', () => {
    manualSeed(12);
    const a = randn([6, 4]);
    const b = randn([4, 9]);
    const out = zeros([6, 9]);
    expect(a.matmul(b, { out })).toBe(out);
    expect(bits(out)).toEqual(bits(matmul(a, b)));
  });

  it('multiplies int32 operands as float32, and K = 0 writes zeros over whatever out held', () => {
    const a = tensor([[1, 2], [3, 4]], { dtype: 'int32' });
    const b = tensor([[5], [6]], { dtype: 'int32' });
    const out = zeros([2, 1]);
    matmul(a, b, { out });
    expect(Array.from(out.data)).toEqual([17, 39]);
    const empty = full([3, 2], Number.NaN);
    matmul(zeros([3, 0]), zeros([0, 2]), { out: empty });
    expect(Array.from(empty.data)).toEqual([0, 0, 0, 0, 0, 0]);
    const batched = full([2, 3, 2], Number.NaN);
    matmul(zeros([2, 3, 0]), zeros([0, 2]), { out: batched });
    expect(Array.from(batched.data)).toEqual(new Array(12).fill(0));
  });

  it('writes into a reshaped view of a larger tensor (shared storage)', () => {
    manualSeed(13);
    const a = randn([3, 4]);
    const b = randn([4, 2]);
    const flat = zeros([6]);
    const view = reshape(flat, [3, 2]);
    matmul(a, b, { out: view });
    expect(bits(flat)).toEqual(bits(matmul(a, b)));
  });

  it('runs inside noGrad with operands that require grad, recording nothing', () => {
    manualSeed(14);
    const a = randn([3, 4], { requiresGrad: true });
    const b = randn([4, 2]);
    const out = zeros([3, 2]);
    noGrad(() => matmul(a, b, { out }));
    expect(out.requiresGrad).toBe(false);
    expect(out.gradFn).toBeNull();
    expect(bits(out)).toEqual(bits(noGrad(() => matmul(a, b))));
  });
});

describe('matmul out errors name the function and argument', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'wrong shape',
      () => matmul(zeros([2, 3]), zeros([3, 4]), { out: zeros([2, 5]) }),
      /^matmul: out must have shape \[2, 4\], got \[2, 5\]$/,
    ],
    [
      'wrong rank, batched',
      () => matmul(zeros([2, 2, 3]), zeros([3, 4]), { out: zeros([4, 4]) }),
      /^matmul: out must have shape \[2, 2, 4\], got \[4, 4\]$/,
    ],
    [
      'wrong rank, 1-D x 1-D',
      () => matmul(zeros([3]), zeros([3]), { out: zeros([1]) }),
      /^matmul: out must have shape \[\], got \[1\]$/,
    ],
    [
      'int32 out',
      () => matmul(zeros([2, 3]), zeros([3, 4]), { out: zeros([2, 4], { dtype: 'int32' }) }),
      /^matmul: out must be float32, got int32$/,
    ],
    [
      'out requires grad',
      () => matmul(zeros([2, 3]), zeros([3, 4]), { out: zeros([2, 4], { requiresGrad: true }) }),
      /^matmul: out must not require grad \(it is overwritten in place\), got requiresGrad = true$/,
    ],
    [
      'a requires grad in grad mode',
      () => matmul(zeros([2, 3], { requiresGrad: true }), zeros([3, 4]), { out: zeros([2, 4]) }),
      /^matmul: out is not recorded for autograd, but a requires grad; call it inside noGrad\(\), or without out$/,
    ],
    [
      'b requires grad in grad mode, batched',
      () => matmul(zeros([2, 2, 3]), zeros([3, 4], { requiresGrad: true }), { out: zeros([2, 2, 4]) }),
      /^matmul: out is not recorded for autograd, but b requires grad; call it inside noGrad\(\), or without out$/,
    ],
    [
      'out is a',
      () => {
        const a = zeros([3, 3]);
        return matmul(a, zeros([3, 3]), { out: a });
      },
      /^matmul: out must not share memory with a$/,
    ],
    [
      'out is a view of b',
      () => {
        const b = zeros([9]);
        return matmul(zeros([3, 3]), reshape(b, [3, 3]), { out: reshape(b, [3, 3]) });
      },
      /^matmul: out must not share memory with b$/,
    ],
    [
      'out is not a tensor',
      () => matmul(zeros([2, 3]), zeros([3, 4]), { out: new Float32Array(8) as unknown as Tensor }),
      /^matmul: out must be a Tensor, got object$/,
    ],
    [
      'options not an object',
      () => matmul(zeros([2, 3]), zeros([3, 4]), 3 as unknown as { out?: Tensor }),
      /^matmul: options must be an object, got number$/,
    ],
  ];
  it.each(cases)('%s', (_, f, message) => {
    expect(f).toThrow(message);
  });

  it('leaves out untouched when it throws', () => {
    const out = full([2, 4], 7);
    expect(() => matmul(zeros([2, 3], { requiresGrad: true }), zeros([3, 4]), { out })).toThrow();
    expect(Array.from(out.data)).toEqual(new Array(8).fill(7));
  });
});

describe('backward refuses tensors overwritten in place after the forward', () => {
  it("matmul's saved input overwritten by out: backward throws, naming the op and input", () => {
    manualSeed(15);
    const x = randn([4, 3]);
    const w = randn([3, 2], { requiresGrad: true });
    const y = matmul(x, w); // dW = xᵀ·dy needs x
    noGrad(() => matmul(randn([4, 5]), randn([5, 3]), { out: x }));
    expect(() => y.sum().backward()).toThrow(
      /^backward: matmul's input 0 was overwritten in place \(matmul's out\) after matmul ran, and its gradient may need the old values; write into another tensor, or after backward\(\)$/,
    );
  });

  it('an op whose backward reads its output: a write into the output is caught', () => {
    manualSeed(16);
    const x = randn([3, 3], { requiresGrad: true });
    const e = x.exp(); // d/dx exp(x) = exp(x), read from the output
    // detach() shares e's storage and does not require grad
    noGrad(() => matmul(randn([3, 2]), randn([2, 3]), { out: e.detach() }));
    expect(() => e.backward(full([3, 3], 1))).toThrow(/^backward: exp's output was overwritten in place/);
  });

  it('is conservative: any input of a recorded op counts, even where its gradient reads none', () => {
    manualSeed(20);
    const x = randn([2, 2], { requiresGrad: true });
    const e = x.exp();
    const loss = e.sum(); // sum's gradient does not read e, but e is its input
    noGrad(() => matmul(randn([2, 1]), randn([1, 2]), { out: e.detach() }));
    expect(() => loss.backward()).toThrow(/^backward: sum's input 0 was overwritten in place/);
  });

  it('a write through a view of a saved tensor is caught', () => {
    manualSeed(17);
    const x = randn([6]);
    const w = randn([3, 2], { requiresGrad: true });
    const y = matmul(reshape(x, [2, 3]), w);
    noGrad(() => matmul(randn([3, 1]), randn([1, 2]), { out: reshape(x, [3, 2]) }));
    expect(() => y.sum().backward()).toThrow(/^backward: matmul's input 0 was overwritten/);
  });

  it('writes before the forward, or into tensors the graph does not hold, leave backward alone', () => {
    manualSeed(18);
    const x = randn([4, 3]);
    const w = randn([3, 2], { requiresGrad: true });
    const other = zeros([4, 2]);
    matmul(randn([4, 5]), randn([5, 3]), { out: x }); // before the forward
    const y = matmul(x, w);
    matmul(x, randn([3, 2]), { out: other }); // reads x, writes elsewhere
    y.sum().backward();
    // dW = xᵀ · ones
    const expected = matmul(x.transpose(0, 1), full([4, 2], 1));
    expect(bits(w.grad!)).toEqual(bits(expected));
  });

  it('a second backward with retainGraph is checked too', () => {
    manualSeed(19);
    const x = randn([2, 3]);
    const w = randn([3, 3], { requiresGrad: true });
    const loss = matmul(x, w).sum();
    loss.backward(undefined, { retainGraph: true });
    noGrad(() => matmul(randn([2, 1]), randn([1, 3]), { out: x }));
    expect(() => loss.backward()).toThrow(/^backward: matmul's input 0 was overwritten/);
  });
});
