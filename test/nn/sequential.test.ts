// Sequential runs ReLU -> MaxPool1d/MaxPool2d (no padding) as pool, then ReLU (container.ts,
// poolFirst). The results must be those of running the modules one by one, bit for bit:
// outputs, input gradients and the gradients of the layers before, on inputs with windows
// that are all negative, all zero (+0 and -0), tied, with NaN and infinities.
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, randn, tensor, Tensor } from '../../lib/index';

/** Each module applied in turn, as Sequential would without the reordering. */
function oneByOne(mods: nn.Module[], x: Tensor): Tensor {
  let y = x;
  for (const m of mods) y = m.forward(y) as Tensor;
  return y;
}

/** Output, input gradient and parameter gradients of L = sum(r * f(x)). */
function run(f: (x: Tensor) => Tensor, x0: Tensor, r: Tensor, params: nn.Parameter[]) {
  for (const p of params) p.grad = null;
  const x = tensor(x0.data as Float32Array, x0.shape, { requiresGrad: true });
  const y = f(x);
  y.mul(r).sum().backward();
  return { y: Array.from(y.data), dx: Array.from((x.grad as Tensor).data), dp: params.map((p) => Array.from((p.grad as Tensor).data)) };
}

/** Values with many ties, zeros of both signs, negatives, and optionally NaN / inf. */
function awkward(shape: number[], special: boolean): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  const pool = [0, -0, -1, -2, 0.5, 0.5, 1.5, -0.25, 3];
  for (let i = 0; i < n; i++) v[i] = pool[(i * 7 + (i >> 3)) % pool.length] as number;
  if (special) {
    v[3] = NaN;
    v[Math.floor(n / 2)] = Infinity;
    v[n - 2] = -Infinity;
    v[n - 5] = NaN;
  }
  return tensor(v, shape);
}

// Object.is compares NaN with NaN and tells -0 from +0: bitwise-equal floats up to NaN payloads.
const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('Sequential: ReLU before a max pool', () => {
  const cases: [string, () => nn.Module[], number[]][] = [
    ['MaxPool2d(2) after a conv', () => [new nn.Conv2d(2, 3, 3), new nn.ReLU(), new nn.MaxPool2d(2)], [2, 2, 9, 8]],
    ['MaxPool2d(3, stride 2, ceilMode)', () => [new nn.Conv2d(1, 2, 2), new nn.ReLU(), new nn.MaxPool2d(3, { stride: 2, ceilMode: true })], [2, 1, 8, 9]],
    ['MaxPool2d overlapping, dilation 2', () => [new nn.Conv2d(1, 2, 1), new nn.ReLU(), new nn.MaxPool2d([3, 2], { stride: 1, dilation: [1, 2] })], [1, 1, 6, 7]],
    ['MaxPool1d(2) after a conv1d', () => [new nn.Conv1d(2, 3, 3), new nn.ReLU(), new nn.MaxPool1d(2)], [2, 2, 11]],
    ['padding: kept in order', () => [new nn.Conv2d(1, 2, 1), new nn.ReLU(), new nn.MaxPool2d(2, { padding: 1 })], [1, 1, 5, 5]],
  ];
  for (const [name, build, shape] of cases) {
    it(`${name}: same outputs and gradients as module by module`, () => {
      for (const special of [false, true]) {
        for (const seed of [0, 1]) {
          manualSeed(seed);
          const mods = build();
          const seq = new nn.Sequential(...mods);
          const params = seq.parameters();
          // random weights give mixed signs; awkward inputs with a 1x1 conv keep ties and zeros
          const x = seed === 0 ? awkward(shape, special) : randn(shape);
          const outShape = oneByOne(mods, x).shape;
          const r = randn(outShape);
          const a = run((t) => seq.forward(t), x, r, params);
          const b = run((t) => oneByOne(mods, t), x, r, params);
          expect(same(a.y, b.y), 'output').toBe(true);
          expect(same(a.dx, b.dx), 'input gradient').toBe(true);
          a.dp.forEach((g, i) => expect(same(g, b.dp[i] as number[]), `parameter ${i} gradient`).toBe(true));
          const last = seq.forward(x.requiresGrad_()).gradFn?.name;
          expect(last).toBe(name.startsWith('padding') ? 'maxPool2d' : 'relu');
        }
      }
    });
  }

  it('gives relu(pool(x)) on direct inputs with zeros, ties, NaN and infinities', () => {
    const x = awkward([2, 3, 6, 6], true);
    const seq = new nn.Sequential(new nn.ReLU(), new nn.MaxPool2d(2));
    const r = randn([2, 3, 3, 3]);
    const a = run((t) => seq.forward(t), x, r, []);
    const b = run((t) => new nn.MaxPool2d(2).forward(new nn.ReLU().forward(t)), x, r, []);
    expect(same(a.y, b.y)).toBe(true);
    expect(same(a.dx, b.dx)).toBe(true);
    // the reordering did happen: the last recorded op is the ReLU
    expect(seq.forward(x.requiresGrad_()).gradFn?.name).toBe('relu');
  });

  it('keeps the written order for subclasses, replaced forwards and integer inputs', () => {
    class LoudReLU extends nn.ReLU {
      seen: readonly number[] = [];
      override forward(x: Tensor): Tensor {
        this.seen = x.shape;
        return super.forward(x);
      }
    }
    const loud = new LoudReLU();
    new nn.Sequential(loud, new nn.MaxPool2d(2)).forward(randn([1, 1, 4, 4]));
    expect(loud.seen).toEqual([1, 1, 4, 4]);
    const relu = new nn.ReLU();
    let seen: readonly number[] = [];
    relu.forward = (x: Tensor) => ((seen = x.shape), nn.functional.relu(x));
    new nn.Sequential(relu, new nn.MaxPool2d(2)).forward(randn([1, 1, 4, 4]));
    expect(seen).toEqual([1, 1, 4, 4]);
    const ints = tensor(new Int32Array([1, -2, 3, 4, -5, 6, 7, 8, 9, 10, -11, 12, 13, 14, 15, -16]), [1, 1, 4, 4]);
    const y = new nn.Sequential(new nn.ReLU(), new nn.MaxPool2d(2)).forward(ints);
    expect(Array.from(y.data)).toEqual([6, 8, 14, 15]);
  });
});
