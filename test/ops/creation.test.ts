// Tensor creation: tensor() and the filled creators, arange/linspace/eye against PyTorch
// (scripts/fixtures/shape.py), the seeded generator (determinism and distribution, not
// PyTorch's numbers), values out (toArray, item) and the argument checks.
import { describe, expect, it } from 'vitest';
import {
  arange, eye, full, fullLike, getRngState, linspace, manualSeed, ones, onesLike, rand, randint,
  randn, randperm, setNumThreads, getNumThreads, setRngState, tensor, Tensor, zeros, zerosLike,
} from '../../lib/index';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { TOL } from '../helpers/tolerance';

interface CreationCase {
  fn: 'arange' | 'linspace' | 'eye';
  args: number[];
  out: FixtureTensor;
}

const cases = (fixtureFile('shape/creation') as { cases: CreationCase[] }).cases;

function create(c: CreationCase): Tensor {
  const [a, b, s] = c.args;
  if (c.fn === 'arange') return arange(a, b, s ?? 1, { dtype: 'float32' });
  if (c.fn === 'linspace') return linspace(a, b, s);
  return eye(a, b);
}

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    s += v;
    s2 += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / t.size;
  return { mean, std: Math.sqrt(s2 / t.size - mean * mean), min, max };
}

describe('arange, linspace and eye against PyTorch', () => {
  const named = cases.map((c) => [`${c.fn}(${c.args.join(', ')})`, c] as const);
  it.each(named)('%s matches reference', (_, c) => {
    expectClose(create(c), toTensor(c.out), TOL.value);
  });
});

describe('tensor()', () => {
  it('nested numbers give float32 with the nested shape', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.dtype).toBe('float32');
    expect(x.shape).toEqual([2, 3]);
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a number gives a 0-d tensor; empty arrays give zero-size dims', () => {
    expect(tensor(2.5).shape).toEqual([]);
    expect(tensor(2.5).item()).toBe(2.5);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
  });

  it('booleans give bool; a mix of numbers and booleans gives float32', () => {
    expect(tensor([[true], [false]]).dtype).toBe('bool');
    expect(tensor(true).dtype).toBe('bool');
    const mixed = tensor([true, 2]);
    expect(mixed.dtype).toBe('float32');
    expect(mixed.toArray()).toEqual([1, 2]);
  });

  it('typed arrays are copied: Int32Array gives int32, Uint8Array bool, shape optional', () => {
    const src = Int32Array.from([1, 2, 3, 4, 5, 6]);
    const x = tensor(src, [3, 2]);
    expect(x.dtype).toBe('int32');
    expect(x.shape).toEqual([3, 2]);
    src[0] = 100;
    expect(x.data[0]).toBe(1);
    expect(tensor(Uint8Array.from([0, 1])).dtype).toBe('bool');
    expect(tensor(Float32Array.from([1, 2])).shape).toEqual([2]);
  });

  it('dtype converts values as torch: int32 truncates, bool is true for any nonzero', () => {
    expect(tensor([1.7, -1.7], { dtype: 'int32' }).toArray()).toEqual([1, -1]);
    const b = tensor([256, 0.5, NaN, 0], { dtype: 'bool' });
    expect(b.toArray()).toEqual([true, true, true, false]);
    expect(tensor(Float32Array.from([256, 0]), { dtype: 'bool' }).toArray()).toEqual([true, false]);
    expect(tensor(3, { dtype: 'bool' }).data[0]).toBe(1);
  });

  it('requiresGrad makes a leaf that requires grad', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(x.requiresGrad).toBe(true);
    expect(x.isLeaf).toBe(true);
    expect(x.grad).toBeNull();
  });
});

describe('filled creators', () => {
  it('zeros, ones and full fill float32 by default', () => {
    expect(zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(full([2], 1.5).toArray()).toEqual([1.5, 1.5]);
    expect(zeros([]).shape).toEqual([]);
    expect(zeros([2, 0, 3]).size).toBe(0);
  });

  it('full takes its dtype from a boolean value or the dtype option', () => {
    expect(full([2], true).dtype).toBe('bool');
    expect(full([2], 1.5, { dtype: 'int32' }).toArray()).toEqual([1, 1]);
    expect(full([2], 2, { dtype: 'bool' }).data[0]).toBe(1);
  });

  it("creators, reshape and expand take another tensor's readonly shape: zeros(x.shape)", () => {
    const x = randn([2, 3]);
    expect([...zeros(x.shape).shape]).toEqual([2, 3]);
    expect([...randn(x.shape).shape]).toEqual([2, 3]);
    expect([...x.reshape(x.shape).shape]).toEqual([2, 3]);
    expect([...tensor([1, 2, 3, 4, 5, 6], x.shape).shape]).toEqual([2, 3]);
  });

  it('zerosLike, onesLike and fullLike keep shape and dtype, not requiresGrad', () => {
    const x = tensor(Int32Array.from([1, 2, 3]), [3, 1]);
    expect(zerosLike(x).dtype).toBe('int32');
    expect(onesLike(x).shape).toEqual([3, 1]);
    expect(fullLike(x, 7).toArray()).toEqual([[7], [7], [7]]);
    expect(onesLike(tensor([true])).toArray()).toEqual([true]);
    expect(zerosLike(x, { dtype: 'float32' }).dtype).toBe('float32');
    expect(zerosLike(ones([2], { requiresGrad: true })).requiresGrad).toBe(false);
    expect(zerosLike(x, { dtype: undefined }).dtype).toBe('int32');
  });

  it('integer arange gives int32; float arguments or dtype give float32', () => {
    expect(arange(5).dtype).toBe('int32');
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(1, 7, 2).toArray()).toEqual([1, 3, 5]);
    expect(arange(0, 1, 0.25).dtype).toBe('float32');
    expect(arange(3, undefined, 1, { dtype: 'float32' }).dtype).toBe('float32');
    expect(arange(3, 3).shape).toEqual([0]);
  });

  it('int32 arange with a fractional start or step truncates both, as torch', () => {
    expect(arange(0, 5, 1.5, { dtype: 'int32' }).toArray()).toEqual([0, 1, 2, 3]);
    expect(arange(-2.7, 3, 1.5, { dtype: 'int32' }).toArray()).toEqual([-2, -1, 0, 1]);
  });

  it('eye fills the diagonal for float32, int32 and bool', () => {
    expect(eye(2, 3, { dtype: 'bool' }).toArray()).toEqual([
      [true, false, false],
      [false, true, false],
    ]);
    expect(eye(3, 2, { dtype: 'int32' }).toArray()).toEqual([[1, 0], [0, 1], [0, 0]]);
    expect(eye(2, undefined, { requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe('seeded generator', () => {
  it('the same seed gives the same draws for rand, randn, randint and randperm', () => {
    const draw = () => [rand([50]), randn([50]), randint(-3, 9, [50]), randperm(50)];
    manualSeed(42);
    const a = draw();
    manualSeed(42);
    const b = draw();
    a.forEach((t, k) => expect(Array.from(t.data)).toEqual(Array.from(b[k].data)));
    manualSeed(43);
    expect(Array.from(randn([50]).data)).not.toEqual(Array.from(a[1].data));
  });

  it('draws do not depend on the thread count', () => {
    const keep = getNumThreads();
    try {
      setNumThreads(1);
      manualSeed(3);
      const one = randn([200_000]);
      setNumThreads(4);
      manualSeed(3);
      const four = randn([200_000]);
      expect(Buffer.from(four.data.buffer).equals(Buffer.from(one.data.buffer))).toBe(true);
    } finally {
      setNumThreads(keep);
    }
  });

  it('getRngState and setRngState replay draws', () => {
    manualSeed(7);
    const state = getRngState();
    const a = rand([10]);
    rand([3]);
    setRngState(state);
    expect(Array.from(rand([10]).data)).toEqual(Array.from(a.data));
  });

  it('rand: 1e5 draws in [0, 1) with mean 1/2 and std 1/sqrt(12)', () => {
    manualSeed(1);
    const s = stats(rand([100_000]));
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThan(1);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(s.std - 1 / Math.sqrt(12))).toBeLessThan(0.005);
  });

  it('rand with low=-2 high=4: draws in [-2, 4) with mean 1', () => {
    manualSeed(2);
    const s = stats(rand([100_000], { low: -2, high: 4 }));
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThan(4);
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.03);
  });

  it('randn: 1e5 draws with mean 0 and std 1; mean=3 std=0.5 shifts and scales', () => {
    manualSeed(3);
    const s = stats(randn([100_000]));
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
    expect(Math.abs(s.std - 1)).toBeLessThan(0.01);
    const t = stats(randn([100_000], { mean: 3, std: 0.5 }));
    expect(Math.abs(t.mean - 3)).toBeLessThan(0.01);
    expect(Math.abs(t.std - 0.5)).toBeLessThan(0.005);
  });

  it('randint(-3, 5): int32 values in [-3, 5), each about 1/8 of 1e5 draws', () => {
    manualSeed(4);
    const x = randint(-3, 5, [100_000]);
    expect(x.dtype).toBe('int32');
    const counts = new Map<number, number>();
    for (const v of x.data) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((p, q) => p - q)).toEqual([-3, -2, -1, 0, 1, 2, 3, 4]);
    for (const c of counts.values()) expect(Math.abs(c / 100_000 - 1 / 8)).toBeLessThan(0.01);
  });

  it('randperm(1000) is a permutation of 0..999 and not the identity', () => {
    manualSeed(5);
    const p = randperm(1000);
    expect(p.dtype).toBe('int32');
    const sorted = Array.from(p.data).sort((a, b) => a - b);
    expect(sorted).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p.data)).not.toEqual(sorted);
    expect(randperm(0).shape).toEqual([0]);
  });

  it('rand and randn honour requiresGrad', () => {
    expect(rand([2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(randn([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe('values out', () => {
  it('toArray gives nested arrays, booleans for bool, a scalar for 0-d', () => {
    expect(tensor([[1, 2], [3, 4]]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor([[true, false]]).toArray()).toEqual([[true, false]]);
    const i = tensor(Int32Array.from([5, 6, 7, 8]), [2, 1, 2]);
    expect(i.toArray()).toEqual([[[5, 6]], [[7, 8]]]);
    expect(tensor(3).toArray()).toBe(3);
    expect(zeros([2, 0]).toArray()).toEqual([[], []]);
  });

  it('item gives the single value of a one-element tensor of any rank', () => {
    expect(tensor([[1.5]]).item()).toBe(1.5);
    expect(tensor([true]).item()).toBe(true);
    expect(tensor(Int32Array.from([-4])).item()).toBe(-4);
  });
});

describe('creation errors name the function and argument', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'tensor of ragged arrays',
      () => tensor([[1, 2], [3]]),
      /^tensor: values must be rectangular with length 2 at depth 1, got length 1$/,
    ],
    [
      'tensor of a number next to an array',
      () => tensor([[1, 2], 3] as unknown as number[][]),
      /^tensor: values must be rectangular with length 2 at depth 1, got number$/,
    ],
    [
      'tensor of an array next to a number',
      () => tensor([1, [2]] as unknown as number[]),
      /^tensor: values must be rectangular with 1 dims, got an array at depth 1$/,
    ],
    [
      'tensor of strings',
      () => tensor(['a'] as unknown as number[]),
      /^tensor: values must be numbers or booleans, got string$/,
    ],
    [
      'tensor with a bad dtype',
      () => tensor([1], { dtype: 'float64' as 'float32' }),
      /^tensor: dtype must be 'float32', 'int32' or 'bool', got "float64"$/,
    ],
    [
      'tensor of int32 requiring grad',
      () => tensor([1], { dtype: 'int32', requiresGrad: true }),
      /^tensor: only float32 tensors can require grad, got dtype int32$/,
    ],
    [
      'tensor with a shape of the wrong size',
      () => tensor(Float32Array.from([1, 2, 3]), [2, 2]),
      /^tensor: shape must hold 3 elements, got \[2, 2\] \(4 elements\)$/,
    ],
    [
      'tensor of nested arrays with a shape of the wrong size',
      () => tensor([1, 2], [3]),
      /^tensor: shape must hold 2 elements, got \[3\] \(3 elements\)$/,
    ],
    [
      'tensor of a scalar with a shape of 2',
      () => tensor(1, [2]),
      /^tensor: shape must hold 1 element for a number, got \[2\]$/,
    ],
    [
      'tensor of an object',
      () => tensor({} as unknown as number),
      /^tensor: values must be a number, nested array or typed array, got object$/,
    ],
    [
      'zeros with a negative size',
      () => zeros([2, -1]),
      /^zeros: shape must be an array of integers >= 0, got \[2,-1\]$/,
    ],
    [
      'ones of a non-array shape',
      () => ones(3 as unknown as number[]),
      /^ones: shape must be an array of integers >= 0, got 3$/,
    ],
    [
      'full with 9 dims',
      () => full([1, 1, 1, 1, 1, 1, 1, 1, 1], 0),
      /^full: shape must have at most 8 dims, got 9$/,
    ],
    [
      'zerosLike of a non-tensor',
      () => zerosLike([1] as unknown as Tensor),
      /^zerosLike: input must be a Tensor, got object$/,
    ],
    [
      'onesLike with a bad dtype',
      () => onesLike(zeros([1]), { dtype: 'int8' as 'int32' }),
      /^onesLike: dtype must be 'float32', 'int32' or 'bool', got "int8"$/,
    ],
    [
      'rand of int32',
      () => rand([2], { dtype: 'int32' }),
      /^rand: dtype must be float32, got int32$/,
    ],
    [
      'randn requiring grad as bool',
      () => randn([2], { dtype: 'bool', requiresGrad: true }),
      /^randn: only float32 tensors can require grad, got dtype bool$/,
    ],
    [
      'linspace of int32',
      () => linspace(0, 1, 3, { dtype: 'int32' }),
      /^linspace: dtype must be float32, got int32$/,
    ],
    [
      'rand with high <= low',
      () => rand([2], { low: 1, high: 1 }),
      /^rand: high must be > low = 1, got 1$/,
    ],
    [
      'randn with a negative std',
      () => randn([2], { std: -1 }),
      /^randn: std must be >= 0, got -1$/,
    ],
    [
      'randint with a fractional low',
      () => randint(0.5, 3, [2]),
      /^randint: low must be an int32, got 0\.5$/,
    ],
    [
      'randint with high <= low',
      () => randint(3, 3, [2]),
      /^randint: high must be an integer in \(3, 2\^31\], got 3$/,
    ],
    [
      'randperm of -1',
      () => randperm(-1),
      /^randperm: n must be an integer in \[0, 2\^31\), got -1$/,
    ],
    ['arange with step 0', () => arange(0, 3, 0), /^arange: step must be nonzero, got 0$/],
    [
      'arange stepping away from end',
      () => arange(0, 3, -1),
      /^arange: step must move from start = 0 toward end = 3, got -1$/,
    ],
    ['arange with a NaN end', () => arange(0, NaN), /^arange: end must be finite, got NaN$/],
    [
      'arange of bool',
      () => arange(3, undefined, 1, { dtype: 'bool' }),
      /^arange: dtype must be float32 or int32, got bool$/,
    ],
    [
      'int32 arange whose step truncates to 0',
      () => arange(0, 2, 0.5, { dtype: 'int32' }),
      /^arange: step must be nonzero when truncated to int32, got 0\.5$/,
    ],
    [
      'linspace with fractional steps',
      () => linspace(0, 1, 2.5),
      /^linspace: steps must be an integer >= 0, got 2\.5$/,
    ],
    ['eye with a negative m', () => eye(2, -1), /^eye: m must be an integer >= 0, got -1$/],
    [
      'manualSeed of -1',
      () => manualSeed(-1),
      /^manualSeed: seed must be an integer in \[0, 2\^53\), got -1$/,
    ],
    [
      'setRngState of a short array',
      () => setRngState(new Uint32Array(3)),
      /^setRngState: state must be a Uint32Array of length 4, got Uint32Array\(3\)$/,
    ],
    [
      'item of two elements',
      () => tensor([1, 2]).item(),
      /^item: tensor must have one element, got shape \[2\]$/,
    ],
    [
      'Tensor with data of the wrong length',
      () => new Tensor(new Float32Array(3), [2, 2]),
      /^Tensor: data must have 4 elements for shape \[2, 2\], got 3$/,
    ],
  ];
  it.each(cases)('%s', (_, f, message) => {
    expect(f).toThrow(message);
  });
});
