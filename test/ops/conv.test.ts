// conv1d, conv2d and convTranspose2d against PyTorch (scripts/fixtures/conv.py): values and the
// gradients of L = sum(r * y) for stride, padding ('valid', 'same' incl. TensorFlow's at
// stride > 1, per-side), dilation, groups and depthwise; finite differences; argument errors.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, tensor, zeros, type Tensor } from '../../lib/index';
import { conv1d, conv2d, convTranspose2d } from '../../lib/ops/conv';
import { native } from '../../lib/native';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { expectAccumulates, gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

interface Conv2dCaseOptions {
  stride?: number;
  padding?: 'same' | number | [number, number, number, number];
  dilation?: number;
  groups?: number;
}

interface ConvCase {
  name: string;
  op: 'conv1d' | 'conv2d' | 'convTranspose2d';
  options: Record<string, unknown>;
  x: FixtureTensor;
  weight: FixtureTensor;
  bias: FixtureTensor | null;
  y: FixtureTensor;
  r: FixtureTensor;
  dx: FixtureTensor;
  dweight: FixtureTensor;
  dbias: FixtureTensor | null;
}

const OPS = {
  conv1d: (x: Tensor, w: Tensor, b: Tensor | null, o: object) => conv1d(x, w, b, o),
  conv2d: (x: Tensor, w: Tensor, b: Tensor | null, o: object) => conv2d(x, w, b, o),
  convTranspose2d: (x: Tensor, w: Tensor, b: Tensor | null, o: object) => convTranspose2d(x, w, b, o),
};

const dir = path.join(__dirname, '..', 'fixtures', 'conv');
const cases = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => fixtureFile(`conv/${f.slice(0, -5)}`) as unknown as ConvCase);
const label = (c: ConvCase) =>
  `${c.name}: x=[${c.x.shape}] w=[${c.weight.shape}] ${JSON.stringify(c.options)}`;

describe('convolution against PyTorch', () => {
  it.each(cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const x = toTensor(c.x, true);
    const w = toTensor(c.weight, true);
    const b = c.bias ? toTensor(c.bias, true) : null;
    const y = OPS[c.op](x, w, b, c.options);
    expectClose(y, toTensor(c.y), TOL.accum);
    y.mul(toTensor(c.r)).sum().backward();
    expectClose(x.grad as Tensor, toTensor(c.dx), TOL.grad);
    expectClose(w.grad as Tensor, toTensor(c.dweight), TOL.grad);
    if (b) expectClose(b.grad as Tensor, toTensor(c.dbias as FixtureTensor), TOL.grad);
  });
});

describe('convolution backward agrees with finite differences', () => {
  const small: [string, ConvCase['op'], number[][], object][] = [
    ['conv2d stride=2 padding=same', 'conv2d', [[2, 2, 5, 6], [3, 2, 3, 3], [3]], { stride: 2, padding: 'same' }],
    ['conv2d groups=2 dilation=2', 'conv2d', [[1, 4, 6, 5], [2, 2, 2, 3], [2]], { groups: 2, dilation: 2, padding: 1 }],
    ['conv2d depthwise', 'conv2d', [[2, 3, 5, 5], [3, 1, 3, 3], [3]], { groups: 3, padding: [1, 0, 2, 1] }],
    ['conv1d stride=2', 'conv1d', [[2, 3, 9], [2, 3, 3], [2]], { stride: 2, padding: 'same' }],
    ['convTranspose2d stride=2 outputPadding=1', 'convTranspose2d', [[1, 4, 3, 3], [4, 1, 3, 3], [2]],
      { stride: 2, padding: 1, outputPadding: 1, groups: 2 }],
  ];
  it.each(small)('%s', (_, op, shapes, options) => {
    gradcheck((x, w, b) => OPS[op](x, w, b, options), sampleInputs(shapes, 7));
  });

  it('gradients accumulate over two backward calls', () => {
    expectAccumulates((x, w, b) => conv2d(x, w, b, { padding: 1 }), sampleInputs([[2, 2, 4, 4], [3, 2, 3, 3], [3]], 3));
  });

  it('computes no gradient for inputs without requiresGrad', () => {
    const [x] = sampleInputs([[1, 2, 4, 4]], 4);
    const w = zeros([3, 2, 3, 3]);
    conv2d(x, w).sum().backward();
    expect(w.grad).toBeNull();
    expect(x.grad?.shape).toEqual([1, 2, 4, 4]);
  });

  it('gives the same numbers for a large batch (threaded) and image by image', () => {
    const [x, w, b] = sampleInputs([[9, 3, 6, 6], [4, 3, 3, 3], [4]], 5);
    const all = conv2d(x, w, b, { padding: 1 }).data as Float32Array;
    for (let n = 0; n < 9; ++n) {
      const xn = tensor((x.data as Float32Array).slice(n * 108, (n + 1) * 108), [1, 3, 6, 6]);
      const yn = conv2d(xn, w, b, { padding: 1 });
      expectClose(yn.data as Float32Array, all.slice(n * 144, (n + 1) * 144), TOL.value);
    }
  });
});

// Direct loops over the definition: y, and for dy the input and weight gradients. The
// kernels' fast paths (stride-1 input gradient run as a forward convolution, column tiles of a
// few output rows, padded column rows) are checked against it on awkward shapes.
function naiveConv2d(
  x: Float32Array, w: Float32Array, dy: Float32Array,
  [N, C, H, W]: number[], [K, Cg, KH, KW]: number[], [OH, OW]: number[],
  [sh, sw]: number[], [pt, pl]: number[], [dh, dw]: number[], G: number,
) {
  const Kg = K / G;
  const y = new Float64Array(N * K * OH * OW);
  const dx = new Float64Array(x.length);
  const dwt = new Float64Array(w.length);
  for (let n = 0; n < N; ++n)
    for (let k = 0; k < K; ++k)
      for (let oh = 0; oh < OH; ++oh)
        for (let ow = 0; ow < OW; ++ow) {
          const yi = ((n * K + k) * OH + oh) * OW + ow;
          for (let c = 0; c < Cg; ++c)
            for (let i = 0; i < KH; ++i)
              for (let j = 0; j < KW; ++j) {
                const ih = oh * sh - pt + i * dh;
                const iw = ow * sw - pl + j * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const xi = ((n * C + Math.floor(k / Kg) * Cg + c) * H + ih) * W + iw;
                const wi = ((k * Cg + c) * KH + i) * KW + j;
                y[yi] += w[wi] * x[xi];
                dx[xi] += w[wi] * dy[yi];
                dwt[wi] += x[xi] * dy[yi];
              }
        }
  return { y, dx, dw: dwt };
}

describe('convolution fast paths match direct loops', () => {
  // [x shape, w shape, options]; OH/OW large enough for several column tiles, P not a multiple
  // of 16, padding larger than the kernel (general input-gradient path), groups, dilation.
  const shapes: [string, number[], number[], Conv2dCaseOptions][] = [
    ['3x3 same, tiles, N=3', [3, 8, 50, 41], [5, 8, 3, 3], { padding: 'same' }],
    ['1 channel 3x3 valid', [2, 1, 28, 28], [4, 1, 3, 3], {}],
    ['5x3 asymmetric padding', [2, 3, 9, 17], [4, 3, 5, 3], { padding: [2, 0, 1, 1] }],
    ['dilation 2, groups 2', [2, 4, 11, 13], [6, 2, 3, 3], { dilation: 2, padding: 1, groups: 2 }],
    ['padding past the kernel', [1, 2, 6, 7], [3, 2, 3, 3], { padding: 3 }],
    ['1x1 with padding', [2, 3, 5, 4], [2, 3, 1, 1], { padding: 1 }],
    ['stride 2 (general path)', [2, 3, 9, 10], [4, 3, 3, 3], { stride: 2, padding: 'same' }],
    ['1x1 kernel, one pixel', [4, 5, 1, 1], [3, 5, 1, 1], {}],
  ];
  it.each(shapes)('%s: x=%j w=%j %j', (_, xs, ws, o) => {
    const [x, w, r] = sampleInputs([xs, ws, [1]], 11);
    const y = conv2d(x, w, null, o);
    const dy = sampleInputs([y.shape], 12)[0];
    y.mul(dy).sum().backward();
    const s = typeof o.stride === 'number' ? o.stride : 1;
    const d = typeof o.dilation === 'number' ? o.dilation : 1;
    const [H, W] = [xs[2], xs[3]];
    const [OH, OW] = [y.shape[2], y.shape[3]];
    let pt: number, pl: number;
    if (o.padding === 'same') {
      pt = Math.floor(Math.max((OH - 1) * s + d * (ws[2] - 1) + 1 - H, 0) / 2);
      pl = Math.floor(Math.max((OW - 1) * s + d * (ws[3] - 1) + 1 - W, 0) / 2);
    } else if (Array.isArray(o.padding)) {
      [pt, pl] = [o.padding[0], o.padding[2]];
    } else {
      pt = pl = o.padding ?? 0;
    }
    void r;
    const ref = naiveConv2d(
      x.data as Float32Array, w.data as Float32Array, dy.data as Float32Array,
      xs, ws, [OH, OW], [s, s], [pt, pl], [d, d], o.groups ?? 1,
    );
    expectClose(y.data as Float32Array, Float32Array.from(ref.y), TOL.accum);
    expectClose(x.grad?.data as Float32Array, Float32Array.from(ref.dx), TOL.accum);
    expectClose(w.grad?.data as Float32Array, Float32Array.from(ref.dw), TOL.accum);
  });

  it('convTranspose2d at stride 1 (the input-gradient path) with bias matches direct loops', () => {
    const [x, w, b] = sampleInputs([[2, 3, 7, 6], [3, 4, 3, 3], [4]], 13);
    const y = convTranspose2d(x, w, b, { padding: 1 });
    // convTranspose2d(x) = conv2d's input gradient for dy = x, plus bias
    const ref = naiveConv2d(
      new Float32Array(2 * 4 * 7 * 6), w.data as Float32Array, x.data as Float32Array,
      [2, 4, 7, 6], [3, 4, 3, 3], [7, 6], [1, 1], [1, 1], [1, 1], 1,
    );
    const want = Float32Array.from(ref.dx, (v, i) => v + (b.data as Float32Array)[Math.floor(i / 42) % 4]);
    expectClose(y.data as Float32Array, want, TOL.accum);
  });
});

describe('conv2d image groups and row columns match direct loops', () => {
  // Small images share one GEMM in groups of whole images (a last partial group when N is not
  // a multiple); stride 1 along W with Cg*KH >= 16 runs on row columns (KW shifted GEMMs),
  // whole-image groups or one image at a time; a short reduction over a large output takes the
  // bias as a row of the GEMM. Bias included: its gradient comes from the weight gradient's
  // pass over dy.
  const shapes: [string, number[], number[], { stride?: [number, number]; padding?: number; groups?: number }][] = [
    ...[1, 2, 3, 7].map((N): [string, number[], number[], { padding?: number }] => [
      `row columns, N=${N}`, [N, 16, 9, 10], [8, 16, 3, 3], {},
    ]),
    ['row columns, padding 1, stride 2 along H', [5, 16, 9, 12], [6, 16, 3, 3], { stride: [2, 1], padding: 1 }],
    ['row columns, groups 2', [3, 32, 8, 12], [8, 16, 3, 3], { groups: 2, padding: 1 }],
    ['row columns, one image per group', [2, 16, 40, 40], [4, 16, 3, 3], { padding: 1 }],
    ['im2col groups of 3, last group of 2', [20, 2, 6, 6], [4, 2, 3, 3], {}],
    ['im2col groups, padding 2', [9, 3, 5, 7], [5, 3, 3, 3], { padding: 2 }],
    ['LeNet conv2 at N=64 (16 channels)', [64, 16, 13, 13], [16, 16, 3, 3], {}],
    ['bias as a GEMM row (R < 32, P >= 256): LeNet conv1', [3, 1, 28, 28], [8, 1, 3, 3], {}],
    ['bias as a GEMM row, groups 2', [2, 4, 20, 20], [6, 2, 3, 3], { groups: 2, padding: 1 }],
  ];
  it.each(shapes)('%s: x=%j w=%j %j', (_, xs, ws, o) => {
    const [x, w, b] = sampleInputs([xs, ws, [ws[0]]], 21);
    const y = conv2d(x, w, b, o);
    const dy = sampleInputs([y.shape], 22)[0];
    y.mul(dy).sum().backward();
    const [sh, sw] = o.stride ?? [1, 1];
    const p = o.padding ?? 0;
    const [OH, OW] = [y.shape[2], y.shape[3]];
    const ref = naiveConv2d(
      x.data as Float32Array, w.data as Float32Array, dy.data as Float32Array,
      xs, ws, [OH, OW], [sh, sw], [p, p], [1, 1], o.groups ?? 1,
    );
    const K = ws[0], P = OH * OW;
    const bd = b.data as Float32Array, dyd = dy.data as Float32Array;
    const db = new Float64Array(K);
    for (let i = 0; i < dyd.length; ++i) db[Math.floor(i / P) % K] += dyd[i];
    expectClose(y.data as Float32Array, Float32Array.from(ref.y, (v, i) => v + bd[Math.floor(i / P) % K]), TOL.accum);
    expectClose(x.grad?.data as Float32Array, Float32Array.from(ref.dx), TOL.accum);
    expectClose(w.grad?.data as Float32Array, Float32Array.from(ref.dw), TOL.accum);
    expectClose(b.grad?.data as Float32Array, Float32Array.from(db), TOL.accum);
  });

  it.each([
    ['row columns', [64, 32, 13, 13], [64, 32, 3, 3]],
    ['im2col groups', [20, 2, 6, 6], [4, 2, 3, 3]],
    ['one image at a time', [3, 4, 20, 20], [5, 4, 3, 3]],
  ])('%s: the same bits on 1 and 2 threads', (_, xs, ws) => {
    const run = (threads: number) => {
      const before = getNumThreads();
      setNumThreads(threads);
      try {
        const [x, w, b] = sampleInputs([xs, ws, [ws[0]]], 23);
        const y = conv2d(x, w, b, { padding: 1 });
        y.mul(sampleInputs([y.shape], 24)[0]).sum().backward();
        return Buffer.concat([y, x.grad, w.grad, b.grad].map((t) => Buffer.from((t?.data as Float32Array).slice().buffer)));
      } finally {
        setNumThreads(before);
      }
    };
    expect(run(2).equals(run(1))).toBe(true);
  });
});

describe('convolution argument errors', () => {
  const x = zeros([8, 1, 28, 28]);
  it('names a channel mismatch', () => {
    expect(() => conv2d(x, zeros([4, 3, 5, 5])))
      .toThrow(/conv2d: input must be \[N, C, H, W\] with C = 3, got \[8, 1, 28, 28\]/);
  });
  it('names a wrong input rank', () => {
    expect(() => conv2d(zeros([1, 28, 28]), zeros([4, 1, 5, 5])))
      .toThrow(/conv2d: input must be \[N, C, H, W\] with C = 1, got \[1, 28, 28\]/);
    expect(() => conv1d(zeros([2, 3, 4, 5]), zeros([4, 3, 2])))
      .toThrow(/conv1d: input must be \[N, C, L\] with C = 3, got \[2, 3, 4, 5\]/);
  });
  it('names a wrong weight rank', () => {
    expect(() => conv2d(x, zeros([4, 1, 5])))
      .toThrow(/conv2d: weight must be \[Cout, Cin\/groups, KH, KW\], got \[4, 1, 5\]/);
  });
  it('names a kernel larger than the padded input', () => {
    expect(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 5, 5])))
      .toThrow(/conv2d: kernel 5x5 \(dilated\) must fit in the padded input 4x4/);
    expect(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), null, { dilation: 2 }))
      .toThrow(/conv2d: kernel 5x5 \(dilated\) must fit in the padded input 4x4/);
    expect(() => conv1d(zeros([1, 1, 4]), zeros([1, 1, 3]), null, { dilation: 2, padding: [0, 0] }))
      .toThrow(/conv1d: kernel 5 \(dilated\) must fit in the padded input 4/);
  });
  it('names channels not divisible by groups', () => {
    expect(() => conv2d(zeros([1, 6, 5, 5]), zeros([4, 2, 3, 3]), null, { groups: 4 }))
      .toThrow(/conv2d: groups must divide Cin = 6 and Cout = 4, got 4/);
  });
  it('names a bad bias', () => {
    expect(() => conv2d(x, zeros([4, 1, 3, 3]), zeros([3])))
      .toThrow(/conv2d: bias must be \[Cout\] with Cout = 4, got \[3\]/);
  });
  it('names bad options', () => {
    const w = zeros([2, 1, 3, 3]);
    expect(() => conv2d(x, w, null, { stride: 0 })).toThrow(/conv2d: stride must be an integer >= 1 or 2 of them, got 0/);
    expect(() => conv2d(x, w, null, { padding: -1 })).toThrow(/conv2d: padding must be 'valid', 'same', an integer >= 0, .*got -1/);
    expect(() => conv2d(x, w, null, { padding: 'full' as 'same' })).toThrow(/conv2d: padding must be .*got 'full'/);
    expect(() => conv2d(x, w, null, { dilation: [1, 0] })).toThrow(/conv2d: dilation must be .*got \[1, 0\]/);
    expect(() => conv2d(x, w, null, { groups: 1.5 })).toThrow(/conv2d: groups must be an integer >= 1, got 1.5/);
    expect(() => conv2d(x.to('int32'), w)).toThrow(/conv2d: input must be float32, got int32/);
    expect(() => conv2d([1, 2] as unknown as Tensor, w)).toThrow(/conv2d: input must be a Tensor, got an array/);
  });
  it('names convTranspose2d errors', () => {
    const w = zeros([4, 2, 3, 3]);
    expect(() => convTranspose2d(zeros([2, 3, 5, 5]), w))
      .toThrow(/convTranspose2d: input must be \[N, C, H, W\] with C = 4, got \[2, 3, 5, 5\]/);
    expect(() => convTranspose2d(zeros([2, 4, 5, 5]), w, null, { stride: 2, outputPadding: 2 }))
      .toThrow(/convTranspose2d: outputPadding must be smaller than stride or dilation, got \[2, 2\]/);
    expect(() => convTranspose2d(zeros([2, 4, 5, 5]), w, null, { groups: 3 }))
      .toThrow(/convTranspose2d: groups must divide Cin = 4, got 3/);
    expect(() => convTranspose2d(zeros([1, 4, 1, 1]), w, null, { padding: 2 }))
      .toThrow(/convTranspose2d: output size must be at least 1x1, got -1x-1/);
  });
});

describe('conv native boundary', () => {
  const geo = [1, 1, 4, 4, 1, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1] as const;
  const f = (n: number) => new Float32Array(n);
  it('refuses short arrays and bad geometry without crashing', () => {
    expect(() => native.conv2dForward(f(4), f(15), f(9), null, ...geo)).toThrow(/conv2dForward: x must have at least 16 elements, got 15/);
    expect(() => native.conv2dForward(f(3), f(16), f(9), null, ...geo)).toThrow(RangeError);
    expect(() => native.conv2dForward(f(4), f(16), f(8), null, ...geo)).toThrow(/w must have/);
    expect(() => native.conv2dForward(f(4), f(16), f(9), f(0), ...geo)).toThrow(/bias must have/);
    const noGroups = [...geo.slice(0, 15), 0] as unknown as typeof geo;
    expect(() => native.conv2dForward(f(4), f(16), f(9), null, ...noGroups)).toThrow(/groups must be an integer/);
    const badGroups = [...geo.slice(0, 15), 2] as unknown as typeof geo;
    expect(() => native.conv2dForward(f(4), f(16), f(9), null, ...badGroups)).toThrow(/groups must divide C = 1 and K = 1, got 2/);
    expect(() => native.conv2dBackwardInput(f(15), f(4), f(9), null, ...geo)).toThrow(/dx must have/);
    expect(() => native.conv2dBackwardWeight(f(9), null, f(16), f(3), ...geo)).toThrow(/dy must have/);
    expect(() => native.conv2dBackwardWeight(f(9), f(0), f(16), f(4), ...geo)).toThrow(/db must have/);
    expect(() => native.convBackwardBias(f(1), f(3), 1, 1, 4)).toThrow(/dy must have/);
    expect(() => (native.conv2dForward as (...a: unknown[]) => void)(f(4), new Int32Array(16), f(9), null, ...geo)).toThrow(TypeError);
  });
  it('reads zeros for output positions past the input (any OH, OW is safe)', () => {
    const y = f(36);
    native.conv2dForward(y, f(16).fill(1), f(9).fill(1), null, 1, 1, 4, 4, 1, 3, 3, 6, 6, 1, 1, 0, 0, 1, 1, 1);
    expect(y[0]).toBe(9);
    expect(y[35]).toBe(0);
  });
});
