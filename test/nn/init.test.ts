// nn.init: gains, fans, and the statistics of each initialiser against its formula (large
// samples, seeded), orthogonality, determinism under manualSeed, and errors.
import { describe, expect, it } from 'vitest';
import { manualSeed, matmul, nn, Tensor, zeros } from '../../lib/index';
import { expectClose } from '../helpers/close';

const init = nn.init;

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const d = t.data as Float32Array;
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of d) {
    s += v;
    s2 += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / d.length;
  return { mean, std: Math.sqrt(s2 / d.length - mean * mean), min, max };
}

describe('calculateGain and fans', () => {
  it('gains match torch.nn.init.calculate_gain', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('leakyRelu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(() => init.calculateGain('swish' as never)).toThrow(/calculateGain: nonlinearity must be one of/);
  });
  it('fans of a conv weight [O, I, KH, KW] include the kernel', () => {
    expect(init.calculateFanInAndFanOut(zeros([8, 3, 5, 5]))).toEqual([75, 200]);
    expect(() => init.kaimingUniform_(zeros([4])))
      .toThrow('kaimingUniform_: tensor must have at least 2 dims to compute fan in and fan out, got shape [4]');
  });
});

describe('initialisers have the distribution their formula gives', () => {
  manualSeed(1);
  const big = () => zeros([400, 250]); // fanIn 250, fanOut 400, 100k samples
  const uniformStd = (a: number) => a / Math.sqrt(3);
  it('uniform_ and normal_', () => {
    const u = stats(init.uniform_(big(), -2, 3));
    expect(u.min).toBeGreaterThanOrEqual(-2);
    expect(u.max).toBeLessThan(3);
    expect(u.mean).toBeCloseTo(0.5, 1);
    const n = stats(init.normal_(big(), 1, 0.5));
    expect(n.mean).toBeCloseTo(1, 2);
    expect(n.std).toBeCloseTo(0.5, 2);
  });
  it('xavierUniform_ bound gain*sqrt(6/(fanIn+fanOut))', () => {
    const a = 2 * Math.sqrt(6 / 650);
    const s = stats(init.xavierUniform_(big(), 2));
    expect(s.max).toBeLessThanOrEqual(a);
    expect(s.min).toBeGreaterThanOrEqual(-a);
    expect(s.max).toBeGreaterThan(0.99 * a);
    expect(s.std / uniformStd(a)).toBeCloseTo(1, 1);
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * a);
  });
  it('xavierNormal_ std gain*sqrt(2/(fanIn+fanOut))', () => {
    const s = stats(init.xavierNormal_(big()));
    expect(s.std / Math.sqrt(2 / 650)).toBeCloseTo(1, 1);
  });
  it('kaimingUniform_ bound gain*sqrt(3/fan) for each mode', () => {
    const a = Math.SQRT2 * Math.sqrt(3 / 250);
    const s = stats(init.kaimingUniform_(big(), { nonlinearity: 'relu' }));
    expect(s.max).toBeLessThanOrEqual(a);
    expect(s.max).toBeGreaterThan(0.99 * a);
    const b = Math.sqrt(2 / (1 + 0.04)) * Math.sqrt(3 / 400);
    const t = stats(init.kaimingUniform_(big(), { a: 0.2, mode: 'fanOut' }));
    expect(t.max).toBeLessThanOrEqual(b);
    expect(t.max).toBeGreaterThan(0.99 * b);
  });
  it('kaimingNormal_ std gain/sqrt(fan)', () => {
    const s = stats(init.kaimingNormal_(big(), { mode: 'fanOut', nonlinearity: 'tanh' }));
    expect(s.std / ((5 / 3) / Math.sqrt(400))).toBeCloseTo(1, 1);
  });
  it('truncNormal_ stays within [a, b]', () => {
    const s = stats(init.truncNormal_(zeros([1000]), 0, 1, -0.5, 0.5));
    expect(s.min).toBeGreaterThanOrEqual(-0.5);
    expect(s.max).toBeLessThanOrEqual(0.5);
  });
  it('constant_, zeros_, ones_, eye_', () => {
    expect(Array.from(init.constant_(zeros([3]), 2.5).data)).toEqual([2.5, 2.5, 2.5]);
    expect(Array.from(init.ones_(zeros([2])).data)).toEqual([1, 1]);
    expect(Array.from(init.zeros_(init.ones_(zeros([2]))).data)).toEqual([0, 0]);
    expect(init.eye_(zeros([2, 3])).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(() => init.eye_(zeros([2, 2, 2]))).toThrow('eye_: tensor must be 2-D, got shape [2, 2, 2]');
  });
});

describe('orthogonal_', () => {
  for (const shape of [[6, 6], [4, 9], [9, 4], [3, 2, 2]]) {
    it(`gives orthonormal rows or columns: shape [${shape}]`, () => {
      manualSeed(3);
      const w = init.orthogonal_(zeros(shape), 1.5);
      const rows = shape[0];
      const m = w.reshape(rows, -1);
      const cols = m.shape[1];
      const g = rows <= cols ? matmul(m, m.t()) : matmul(m.t(), m);
      const n = Math.min(rows, cols);
      const want = new Float32Array(n * n);
      for (let i = 0; i < n; ++i) want[i * n + i] = 2.25;
      expectClose(g, want, { atol: 1e-5, rtol: 0 });
    });
  }
});

describe('determinism', () => {
  it('the same seed gives the same initial weights', () => {
    manualSeed(42);
    const a = new nn.Linear(5, 4);
    manualSeed(42);
    const b = new nn.Linear(5, 4);
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
    expect(Array.from(a.bias?.data ?? [])).toEqual(Array.from(b.bias?.data ?? []));
  });
  it('rejects non-float tensors and bad arguments', () => {
    expect(() => init.uniform_(zeros([2], { dtype: 'int32' }))).toThrow('uniform_: tensor must be float32, got int32');
    expect(() => init.uniform_(zeros([2]), 1, 0)).toThrow('uniform_: b must be >= a = 1, got 0');
    expect(() => init.normal_(zeros([2]), 0, -1)).toThrow('normal_: std must be >= 0, got -1');
    expect(() => init.kaimingNormal_(zeros([2, 2]), { mode: 'in' as never }))
      .toThrow(`kaimingNormal_: mode must be 'fanIn' or 'fanOut', got "in"`);
  });
});
