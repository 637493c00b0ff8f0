// Pooling against PyTorch (scripts/fixtures/pool.py): max/avg 1-D and 2-D with stride, padding,
// dilation, ceilMode (incl. the last-window rule), countIncludePad and divisorOverride, and
// adaptive avg/max; finite differences on tie-free inputs; argument errors; native boundary.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, tensor, zeros, type Tensor } from '../../lib/index';
import {
  adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool1d, avgPool2d, maxPool1d, maxPool2d,
} from '../../lib/ops/pool';
import { native } from '../../lib/native';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { expectAccumulates, gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

interface PoolCase {
  name: string;
  op: keyof typeof OPS;
  options: Record<string, unknown>;
  x: FixtureTensor;
  y: FixtureTensor;
  r: FixtureTensor;
  dx: FixtureTensor;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const OPS = {
  maxPool2d: (x: Tensor, o: any) => maxPool2d(x, o),
  maxPool1d: (x: Tensor, o: any) => maxPool1d(x, o),
  avgPool2d: (x: Tensor, o: any) => avgPool2d(x, o),
  avgPool1d: (x: Tensor, o: any) => avgPool1d(x, o),
  adaptiveAvgPool2d: (x: Tensor, o: any) => adaptiveAvgPool2d(x, o.outputSize),
  adaptiveMaxPool2d: (x: Tensor, o: any) => adaptiveMaxPool2d(x, o.outputSize),
};

const dir = path.join(__dirname, '..', 'fixtures', 'pool');
const threads = getNumThreads();
const cases = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => fixtureFile(`pool/${f.slice(0, -5)}`) as unknown as PoolCase);
const label = (c: PoolCase) => `${c.op} ${c.name}: x=[${c.x.shape}] ${JSON.stringify(c.options)}`;

/** Distinct values (a shuffled ramp) so max pooling has no ties. */
function tieFree(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const [u] = sampleInputs([[n]], seed);
  const order = Array.from(u.data as Float32Array, (v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const data = new Float32Array(n);
  order.forEach(([, i], rank) => { data[i] = (rank - n / 2) * 0.1; });
  return tensor(data, shape, { requiresGrad: true });
}

describe('pooling against PyTorch', () => {
  it.each(cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const x = toTensor(c.x, true);
    const y = OPS[c.op](x, c.options);
    expectClose(y, toTensor(c.y), TOL.value);
    y.mul(toTensor(c.r)).sum().backward();
    expectClose(x.grad as Tensor, toTensor(c.dx), TOL.grad);
  });
});

describe('pooling backward agrees with finite differences', () => {
  const small: [string, keyof typeof OPS, number[], object][] = [
    ['maxPool2d k3 s2 p1 ceil', 'maxPool2d', [2, 2, 6, 5], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
    ['maxPool2d dilation 2', 'maxPool2d', [1, 2, 7, 7], { kernelSize: 2, dilation: 2, stride: 1 }],
    ['maxPool1d k3 s2', 'maxPool1d', [2, 2, 9], { kernelSize: 3, stride: 2 }],
    ['avgPool2d exclude pad ceil', 'avgPool2d', [2, 2, 6, 5], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
    ['avgPool2d divisor 4', 'avgPool2d', [1, 2, 5, 5], { kernelSize: 2, stride: 1, divisorOverride: 4 }],
    ['avgPool1d pad', 'avgPool1d', [2, 2, 8], { kernelSize: 3, padding: 1 }],
    ['adaptiveAvgPool2d 3x4', 'adaptiveAvgPool2d', [2, 2, 7, 9], { outputSize: [3, 4] }],
    ['adaptiveMaxPool2d 3x2', 'adaptiveMaxPool2d', [2, 2, 7, 5], { outputSize: [3, 2] }],
  ];
  // spacing 0.1 between values keeps eps = 1e-2 away from ties
  it.each(small)('%s', (_, op, shape, options) => {
    gradcheck((x) => OPS[op](x, options), [tieFree(shape, 9)]);
  });

  it('gradients accumulate over two backward calls', () => {
    expectAccumulates((x) => maxPool2d(x, { kernelSize: 2 }), [tieFree([1, 2, 4, 4], 2)]);
    expectAccumulates((x) => avgPool2d(x, { kernelSize: 2 }), sampleInputs([[1, 2, 4, 4]], 3));
  });

  it('maxPool2d propagates NaN like PyTorch', () => {
    const y = maxPool2d(tensor([[[[1, NaN], [3, 2]]]]), { kernelSize: 2 });
    expect(Number.isNaN(y.data[0])).toBe(true);
  });
});

// Max pooling by the definition (first maximum in window order, NaN wins), for the 2 x 2,
// stride 2 fast path: values, argmax-routed gradients, ties, NaN, odd sizes and ceil mode
// (whose last window leaves the input, so it takes the general path).
function naiveMaxPool2d(x: Float32Array, planes: number, H: number, W: number, OH: number, OW: number) {
  const y = new Float32Array(planes * OH * OW);
  const arg = new Int32Array(planes * OH * OW);
  for (let p = 0; p < planes; ++p)
    for (let oh = 0; oh < OH; ++oh)
      for (let ow = 0; ow < OW; ++ow) {
        let best = -Infinity;
        let at = -1;
        for (let i = 0; i < 2; ++i)
          for (let j = 0; j < 2; ++j) {
            const ih = 2 * oh + i;
            const iw = 2 * ow + j;
            if (ih >= H || iw >= W) continue;
            const v = x[(p * H + ih) * W + iw];
            if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
              best = v;
              at = ih * W + iw;
            }
          }
        y[(p * OH + oh) * OW + ow] = best;
        arg[(p * OH + oh) * OW + ow] = at;
      }
  return { y, arg };
}

describe('maxPool2d 2x2 stride 2 fast path matches the definition', () => {
  const shapes: [number[], boolean][] = [
    [[3, 5, 26, 26], false], [[2, 3, 7, 9], false], [[4, 2, 3], false], [[1, 1, 2, 2], false],
    [[2, 3, 7, 9], true], [[1, 2, 2, 5], false],
  ];
  it.each(shapes)('x=%j ceilMode=%s, with ties and NaN', (shape, ceilMode) => {
    const [x0] = sampleInputs([shape], 21);
    const data = Float32Array.from(x0.data as Float32Array, (v) => Math.round(v * 3) / 3);
    data[1] = NaN;
    if (data.length > 7) data[7] = NaN;
    const x = tensor(data, shape, { requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2, ceilMode });
    const [H, W] = shape.slice(-2);
    const [OH, OW] = y.shape.slice(-2);
    const planes = data.length / (H * W);
    const ref = naiveMaxPool2d(data, planes, H, W, OH, OW);
    expect(Array.from(y.data as Float32Array)).toEqual(Array.from(ref.y));
    const dy = sampleInputs([y.shape], 22)[0];
    y.mul(dy).sum().backward();
    const dx = new Float32Array(data.length);
    for (let k = 0; k < ref.arg.length; ++k) {
      const p = Math.floor(k / (OH * OW));
      if (ref.arg[k] >= 0) dx[p * H * W + ref.arg[k]] += (dy.data as Float32Array)[k];
    }
    expect(Array.from(x.grad?.data as Float32Array)).toEqual(Array.from(dx));
  });
});

// The MaxPool2d(2) forward runs on SIMD twins (x86/pool_sse2.h, x86/pool_avx512.cc; the whole
// file runs on the baseline too with NEURITE_ISA=baseline): every shape class they split on
// (row lengths OW = 1 .. 20 and 33, so each tail length and rows sharing a vector; odd H and
// W; 1 to many planes) against the definition, values and offsets bit for bit (Object.is:
// -0 is not +0, NaN is NaN), with ties, signed zeros, infinities and NaN in every window
// position, on 1 and 2 threads.
describe('maxPool2d 2x2 SIMD twins match the definition bit for bit', () => {
  const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    for (let i = 0; i < a.length; ++i) if (!Object.is(a[i], b[i])) return `at ${i}: ${a[i]} vs ${b[i]}`;
    return '';
  };
  /** Pseudo-random values from a small set, so windows tie often; specials placed by `special`. */
  function values(n: number, seed: number, special: (i: number) => number | undefined): Float32Array {
    const pool = [0, -0, 1, -1, 0.5, 2, -2.5, 3];
    const x = new Float32Array(n);
    let s = seed >>> 0;
    for (let i = 0; i < n; ++i) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      x[i] = special(i) ?? pool[s >>> 29];
    }
    return x;
  }
  function run(x: Float32Array, planes: number, H: number, W: number) {
    const OH = H >> 1, OW = W >> 1;
    const y = new Float32Array(planes * OH * OW).fill(12345);
    const idx = new Int32Array(planes * OH * OW).fill(-7);
    native.maxPool2dForward(y, idx, x, planes, H, W, OH, OW, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1);
    return { y, idx };
  }
  function check(x: Float32Array, planes: number, H: number, W: number) {
    const OH = H >> 1, OW = W >> 1;
    const ref = naiveMaxPool2d(x, planes, H, W, OH, OW);
    const got = run(x, planes, H, W);
    expect(same(got.y, ref.y), 'y').toBe('');
    expect(same(got.idx, ref.arg), 'idx').toBe('');
  }
  const widths = [...Array.from({ length: 21 }, (_, i) => 2 + 2 * i), 3, 5, 7, 9, 11, 17, 27, 33, 66, 67];
  it.each(widths)('W=%i over H = 2 .. 7 and 1, 3, 7 planes', (W) => {
    for (const H of [2, 3, 4, 5, 7]) {
      for (const planes of [1, 3, 7]) check(values(planes * H * W, 7 * W + H, () => undefined), planes, H, W);
    }
  });
  const specials: [string, number][] = [['NaN', NaN], ['+inf', Infinity], ['-inf', -Infinity], ['-0', -0], ['+0', 0]];
  it.each(specials)('%s in each window position, alone and with a second special', (_, v) => {
    for (const [H, W] of [[4, 26], [11, 11], [6, 10], [4, 34], [2, 8]]) {
      for (let pos = 0; pos < 4; ++pos) {
        const di = pos >> 1, dj = pos & 1;
        // every window of the even rows' pairs gets v at (di, dj); odd pairs also get NaN at 3 - pos
        const at = (i: number) => {
          const ih = Math.floor(i / W) % H, iw = i % W;
          if (ih >> 1 === H >> 1 || iw >> 1 === W >> 1) return undefined;  // leftover row/column
          const p = ((ih & 1) << 1) | (iw & 1);
          if (p === pos) return v;
          if (((ih >> 1) & 1) === 1 && p === 3 - pos) return NaN;
          return undefined;
        };
        check(values(5 * H * W, H * W + pos, at), 5, H, W);
      }
    }
  });
  it('gives the same values and offsets on 1 and 2 threads (LeNet shapes)', () => {
    for (const [planes, H, W] of [[96, 26, 26], [192, 11, 11]]) {
      const x = values(planes * H * W, 3, (i) => (i % 97 === 5 ? NaN : undefined));
      setNumThreads(1);
      const one = run(x, planes, H, W);
      setNumThreads(2);
      const two = run(x, planes, H, W);
      setNumThreads(threads);
      expect(same(one.y, two.y)).toBe('');
      expect(same(one.idx, two.idx)).toBe('');
      check(x, planes, H, W);
    }
  });
  it('routes gradients to the argmax, +0 elsewhere, including dy = -0 and NaN', () => {
    const [N, C, H, W] = [2, 3, 9, 13];
    const x = tensor(values(N * C * H * W, 5, () => undefined), [N, C, H, W], { requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2 });
    const dy = Float32Array.from(sampleInputs([y.shape], 4)[0].data as Float32Array);
    dy[0] = -0;
    dy[1] = NaN;
    y.backward(tensor(dy, y.shape));
    const ref = naiveMaxPool2d(x.data as Float32Array, N * C, H, W, 4, 6);
    const dx = new Float32Array(N * C * H * W);
    ref.arg.forEach((k, o) => { dx[Math.floor(o / 24) * H * W + k] += dy[o]; });
    expect(same(x.grad?.data as Float32Array, dx)).toBe('');
  });
});

describe('pooling argument errors', () => {
  const x = zeros([2, 3, 8, 8]);
  it('names padding larger than half the kernel', () => {
    expect(() => maxPool2d(x, { kernelSize: 3, padding: 2 }))
      .toThrow(/maxPool2d: padding must be at most half the kernel size 3x3, got 2/);
    expect(() => avgPool1d(zeros([1, 2, 8]), { kernelSize: 2, padding: 2 }))
      .toThrow(/avgPool1d: padding must be at most half the kernel size 2, got 2/);
  });
  it('names a wrong rank', () => {
    expect(() => maxPool2d(zeros([8, 8]), { kernelSize: 2 }))
      .toThrow(/maxPool2d: input must be \[N, C, H, W\] or \[C, H, W\], got \[8, 8\]/);
    expect(() => maxPool1d(zeros([1, 2, 3, 8]), { kernelSize: 2 }))
      .toThrow(/maxPool1d: input must be \[N, C, L\] or \[C, L\], got \[1, 2, 3, 8\]/);
  });
  it('names bad options', () => {
    expect(() => maxPool2d(x, { kernelSize: 0 })).toThrow(/maxPool2d: kernelSize must be an integer >= 1 or 2 of them, got 0/);
    expect(() => maxPool2d(x, { kernelSize: 2, stride: [1, 0] })).toThrow(/maxPool2d: stride must be .*got \[1, 0\]/);
    expect(() => maxPool2d(x, { kernelSize: 2, dilation: 0 })).toThrow(/maxPool2d: dilation must be/);
    expect(() => avgPool2d(x, { kernelSize: 2, divisorOverride: 0 })).toThrow(/avgPool2d: divisorOverride must be an integer >= 1, got 0/);
    expect(() => avgPool2d(x, { kernelSize: 2, ceilMode: 1 as unknown as boolean })).toThrow(/avgPool2d: ceilMode must be a boolean, got 1/);
    expect(() => adaptiveAvgPool2d(x, 0)).toThrow(/adaptiveAvgPool2d: outputSize must be an integer >= 1 or \[OH, OW\].*got 0/);
    expect(() => adaptiveMaxPool2d(x, [2, 2, 2] as unknown as number)).toThrow(/adaptiveMaxPool2d: outputSize must be/);
  });
  it('names a kernel larger than the input', () => {
    expect(() => maxPool2d(zeros([1, 1, 3, 3]), { kernelSize: 4 }))
      .toThrow(/maxPool2d: output size must be at least 1, got 0x0 for input 3x3/);
  });
  it('names a non-float input', () => {
    expect(() => avgPool2d(x.to('int32'), { kernelSize: 2 })).toThrow(/avgPool2d: input must be float32, got int32/);
  });
});

describe('pool native boundary', () => {
  const f = (n: number) => new Float32Array(n);
  const i = (n: number) => new Int32Array(n);
  it('refuses short arrays and bad indices without crashing', () => {
    const win = [2, 2, 2, 2, 0, 0, 0, 0, 1, 1] as const;
    expect(() => native.maxPool2dForward(f(4), i(4), f(15), 1, 4, 4, 2, 2, ...win)).toThrow(/maxPool2dForward: x must have at least 16/);
    expect(() => native.maxPool2dForward(f(4), i(3), f(16), 1, 4, 4, 2, 2, ...win)).toThrow(/idx must have/);
    expect(() => native.maxPool2dBackward(f(16), f(4), Int32Array.of(0, 1, 2, 16), 1, 16, 4)).toThrow(/idx must hold offsets in \[-1, 16\), got 16 at 3/);
    expect(() => native.maxPool2dBackward(f(16), f(4), Int32Array.of(0, 1, -2, 3), 1, 16, 4)).toThrow(RangeError);
    expect(() => native.avgPool2dForward(f(3), f(16), 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, true, 0)).toThrow(/y must have/);
    expect(() => native.avgPool2dBackward(f(15), f(4), 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, true, 0)).toThrow(/dx must have/);
    expect(() => native.adaptiveAvgPool2dForward(f(4), f(15), 1, 4, 4, 2, 2)).toThrow(/x must have/);
    expect(() => native.adaptiveMaxPool2dForward(f(4), i(4), f(16), 1, 4, 4, -1, 2)).toThrow(/OH must be an integer/);
    expect(() => native.adaptiveAvgPool2dBackward(f(16), f(4), 1, 4, 4, 2, 2)).not.toThrow();
  });
});
