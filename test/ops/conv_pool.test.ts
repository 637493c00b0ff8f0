// conv2dMaxPool2d (lib/ops/conv.ts), the fused Conv2d -> MaxPool2d that nn.Sequential runs,
// against conv2d then maxPool2d: the same forward values bit for bit; with the input gradient
// needed (the dense backward) the same gradients bit for bit; for the first layer (no input
// gradient, groups 1, fewer than 64 taps) the sparse weight gradient, the same sums in another
// order, within float tolerance. Geometries cover stride, padding ('same', per side), dilation,
// groups, pool kernels with stride, padding, dilation and ceilMode, no bias, and the Winograd
// geometry (whole batch at once).
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, randn, tensor, Tensor } from '../../lib/index';
import { conv2d, type Conv2dOptions, conv2dMaxPool2d } from '../../lib/ops/conv';
import { maxPool2d, type MaxPool2dOptions } from '../../lib/ops/pool';
import { expectClose } from '../helpers/close';
import { gradcheck, sampleInputs } from '../helpers/gradcheck';
import { cpuHasAvx2Fma, parseChild, requireBuiltPackage, ROOT, runNode } from '../runtime/child';

interface Case {
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  conv: Conv2dOptions;
  pool: MaxPool2dOptions;
  sparse: boolean; // the weight gradient without an input gradient takes the sparse path
}

const CASES: Case[] = [
  { name: 'LeNet first layer', x: [3, 1, 12, 12], w: [4, 1, 3, 3], bias: true, conv: {}, pool: { kernelSize: 2 }, sparse: true },
  {
    name: 'stride, per-side padding, ceilMode pool', x: [2, 2, 11, 9], w: [3, 2, 3, 2], bias: true,
    conv: { stride: [2, 1], padding: [1, 2] }, pool: { kernelSize: 3, stride: 2, ceilMode: true }, sparse: true,
  },
  {
    name: "'same', dilated conv and padded, dilated pool", x: [2, 3, 10, 9], w: [5, 3, 3, 3], bias: false,
    conv: { padding: 'same', dilation: [1, 2] }, pool: { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], dilation: [1, 2] },
    sparse: true,
  },
  { name: 'odd sizes, pool 2 drops a row', x: [1, 2, 9, 8], w: [6, 2, 2, 2], bias: true, conv: {}, pool: { kernelSize: 2 }, sparse: true },
  { name: 'groups 2: dense path', x: [2, 4, 8, 8], w: [6, 2, 3, 3], bias: true, conv: { groups: 2 }, pool: { kernelSize: 2 }, sparse: false },
  { name: '72 taps: dense path', x: [2, 8, 9, 9], w: [4, 8, 3, 3], bias: true, conv: {}, pool: { kernelSize: 2 }, sparse: false },
  {
    name: 'Winograd geometry: whole batch', x: [4, 8, 10, 10], w: [4, 8, 3, 3], bias: true,
    conv: { padding: 1 }, pool: { kernelSize: 2 }, sparse: false,
  },
];

const leaf = (t: Tensor, grad: boolean) => tensor(t.data as Float32Array, t.shape, { requiresGrad: grad });
const same = (a: Tensor | null, b: Tensor | null) =>
  a !== null && b !== null && a.data.length === b.data.length && Array.from(a.data).every((v, i) => Object.is(v, b.data[i]));

describe('conv2dMaxPool2d', () => {
  for (const c of CASES) {
    it(`${c.name}: values and gradients as conv2d then maxPool2d`, () => {
      manualSeed(7);
      const x0 = randn(c.x);
      const w0 = randn(c.w, { std: 0.3 });
      const b0 = c.bias ? randn([c.w[0] as number]) : null;
      for (const inputGrad of [true, false]) {
        const run = (fused: boolean) => {
          const x = leaf(x0, inputGrad);
          const w = leaf(w0, true);
          const b = b0 ? leaf(b0, true) : null;
          const y = fused ? conv2dMaxPool2d(x, w, b, c.conv, c.pool) : maxPool2d(conv2d(x, w, b, c.conv), c.pool);
          const r = tensor(Float32Array.from({ length: y.size }, (_, i) => Math.sin(i + 1)), y.shape);
          y.mul(r).sum().backward();
          return { y, dx: x.grad, dw: w.grad, db: b ? b.grad : null };
        };
        const f = run(true);
        const u = run(false);
        expect(f.y.shape).toEqual(u.y.shape);
        expect(same(f.y, u.y), 'forward').toBe(true);
        if (inputGrad || !c.sparse) {
          if (inputGrad) expect(same(f.dx, u.dx), 'dx').toBe(true);
          expect(same(f.dw, u.dw), 'dw').toBe(true);
          if (c.bias) expect(same(f.db, u.db), 'db').toBe(true);
        } else {
          expect(f.dx).toBe(null);
          expectClose(f.dw as Tensor, u.dw as Tensor, { atol: 1e-5, rtol: 1e-5 });
          if (c.bias) expectClose(f.db as Tensor, u.db as Tensor, { atol: 1e-5, rtol: 1e-5 });
        }
      }
    });
  }

  it('Winograd geometry larger than one 16 MiB piece: pieces give the unfused values', () => {
    manualSeed(11);
    // each image's convolution output is 64 x 180 x 180 floats (8.3 MB): two pieces
    const x = randn([3, 8, 180, 180]);
    const w = randn([64, 8, 3, 3], { std: 0.2 });
    const b = randn([64]);
    const f = conv2dMaxPool2d(x, w, b, { padding: 1 }, { kernelSize: 2 });
    const u = maxPool2d(conv2d(x, w, b, { padding: 1 }), { kernelSize: 2 });
    expect(same(f, u)).toBe(true);
  });

  // Finite differences on both backwards: the dense one (the input needs a gradient) and the
  // sparse weight gradient (it does not). A small step keeps each window's argmax in place.
  it('finite differences: dense backward (x, w, b)', () => {
    gradcheck(
      (x, w, b) => conv2dMaxPool2d(x, w, b, { stride: [1, 2], padding: 1 }, { kernelSize: 2, ceilMode: true }),
      sampleInputs([[2, 2, 7, 9], [3, 2, 3, 3], [3]], 17),
      { eps: 1e-3 },
    );
  });
  it('finite differences: sparse weight gradient (w, b; x without gradient)', () => {
    const [x] = sampleInputs([[2, 1, 9, 8]], 19);
    const xc = tensor((x as Tensor).data as Float32Array, (x as Tensor).shape);
    gradcheck((w, b) => conv2dMaxPool2d(xc, w, b, {}, { kernelSize: 2 }), sampleInputs([[4, 1, 3, 2], [4]], 23), { eps: 1e-3 });
  });

  it('sparse path: the bias gradient alone, and the weight gradient alone', () => {
    manualSeed(3);
    const x = randn([2, 1, 10, 10]);
    const w0 = randn([3, 1, 3, 3]);
    const b0 = randn([3]);
    for (const [wg, bg] of [[false, true], [true, false]]) {
      const w = leaf(w0, wg as boolean);
      const b = leaf(b0, bg as boolean);
      const wu = leaf(w0, wg as boolean);
      const bu = leaf(b0, bg as boolean);
      const r = randn([2, 3, 4, 4]);
      conv2dMaxPool2d(x, w, b, {}, { kernelSize: 2 }).mul(r).sum().backward();
      maxPool2d(conv2d(x, wu, bu), { kernelSize: 2 }).mul(r).sum().backward();
      if (wg) expectClose(w.grad as Tensor, wu.grad as Tensor, { atol: 1e-5, rtol: 1e-5 });
      else expect(w.grad).toBe(null);
      if (bg) expectClose(b.grad as Tensor, bu.grad as Tensor, { atol: 1e-5, rtol: 1e-5 });
      else expect(b.grad).toBe(null);
    }
  });

  // The sparse weight gradient multiplies only the selected positions' patches: where the
  // dense one multiplies a zero gradient by a NaN or infinite input (0 * inf = NaN), it stays
  // finite. It is NaN only where the dense one is.
  it('NaN and infinity in the input: the same outputs; the sparse weight gradient NaN only where unfused is', () => {
    const x = randn([1, 1, 8, 8]);
    (x.data as Float32Array)[9] = NaN;
    (x.data as Float32Array)[30] = Infinity;
    const w = leaf(randn([2, 1, 3, 3]), true);
    const wu = leaf(w, true);
    const r = randn([1, 2, 3, 3]);
    const y = conv2dMaxPool2d(x, w, null, {}, { kernelSize: 2 });
    const yu = maxPool2d(conv2d(x, wu, null), { kernelSize: 2 });
    expect(same(y, yu)).toBe(true);
    y.mul(r).sum().backward();
    yu.mul(r).sum().backward();
    const g = Array.from((w.grad as Tensor).data);
    const gu = Array.from((wu.grad as Tensor).data);
    expect(gu.some(Number.isNaN)).toBe(true);
    g.forEach((v, i) => {
      if (Number.isNaN(v)) expect(gu[i]).toBeNaN();
      else if (Number.isFinite(gu[i] as number)) expect(Math.abs(v - (gu[i] as number))).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(gu[i] as number));
    });
  });

  it('reports errors in conv2d and maxPool2d terms', () => {
    const x = randn([1, 2, 5, 5]);
    expect(() => conv2dMaxPool2d(x, randn([3, 4, 3, 3]), null, {}, { kernelSize: 2 })).toThrow(/conv2d: input must be/);
    expect(() => conv2dMaxPool2d(x, randn([3, 2, 3, 3]), null, {}, { kernelSize: 3, padding: 2 })).toThrow(
      /maxPool2d: padding must be at most half the kernel size/,
    );
  });

  it('nn.Sequential runs Conv2d -> MaxPool2d through it, with or without a ReLU between', () => {
    const x = randn([2, 1, 10, 10]);
    const plain = new nn.Sequential(new nn.Conv2d(1, 3, 3), new nn.MaxPool2d(2));
    expect(plain.forward(x).gradFn?.name).toBe('conv2dMaxPool2d');
    const withRelu = new nn.Sequential(new nn.Conv2d(1, 3, 3), new nn.ReLU(), new nn.MaxPool2d(2));
    const y = withRelu.forward(x);
    expect(y.gradFn?.name).toBe('relu');
    const mods = [...withRelu];
    let u = x;
    for (const m of mods) u = m.forward(u) as Tensor;
    expect(same(y, u)).toBe(true);
    // a subclass of Conv2d is left alone: its forward may differ
    class Shifted extends nn.Conv2d {
      override forward(t: Tensor): Tensor {
        return super.forward(t).add(1);
      }
    }
    expect(new nn.Sequential(new Shifted(1, 3, 3), new nn.MaxPool2d(2)).forward(x).gradFn?.name).toBe('maxPool2d');
  });

  // The sparse accumulation has baseline, AVX2/FMA and AVX-512 twins; NEURITE_ISA (read at
  // load) picks one, so each runs in a child process on the built package.
  it.each(['baseline', 'avx2'])('sparse weight gradient with NEURITE_ISA=%s as unfused', async (isa) => {
    requireBuiltPackage();
    const code = `
      const nt = require(${JSON.stringify(`${ROOT}/dist/index.js`)});
      const { conv2d, conv2dMaxPool2d } = require(${JSON.stringify(`${ROOT}/dist/ops/conv.js`)});
      const { maxPool2d } = require(${JSON.stringify(`${ROOT}/dist/ops/pool.js`)});
      nt.manualSeed(5);
      let worst = 0;
      for (const [x, w, conv, pool] of [
        [[3, 1, 13, 12], [5, 1, 3, 3], {}, { kernelSize: 2 }],
        [[2, 2, 11, 9], [4, 2, 3, 4], { padding: 1 }, { kernelSize: 3, stride: 2 }],
        [[2, 6, 7, 7], [3, 6, 2, 3], { stride: [1, 2] }, { kernelSize: 2, ceilMode: true }],
      ]) {
        const xt = nt.randn(x), w0 = nt.randn(w), b0 = nt.randn([w[0]]), r = [];
        const grads = [true, false].map((fused) => {
          const wt = nt.tensor(w0.data, w0.shape, { requiresGrad: true });
          const bt = nt.tensor(b0.data, b0.shape, { requiresGrad: true });
          const y = fused ? conv2dMaxPool2d(xt, wt, bt, conv, pool) : maxPool2d(conv2d(xt, wt, bt, conv), pool);
          if (r.length === 0) r.push(nt.randn(y.shape));
          y.mul(r[0]).sum().backward();
          return [...wt.grad.data, ...bt.grad.data];
        });
        grads[0].forEach((v, i) => { worst = Math.max(worst, Math.abs(v - grads[1][i]) / (1 + Math.abs(grads[1][i]))); });
      }
      console.log(JSON.stringify({ isa: nt.backend().isa, worst }));`;
    const out = parseChild<{ isa: string; worst: number }>(await runNode(code, { NEURITE_ISA: isa }));
    expect(out.isa).toBe(isa === 'avx2' && cpuHasAvx2Fma() ? 'avx2-fma' : 'baseline');
    expect(out.worst).toBeLessThan(1e-5);
  });
});
