// CNN layers: Conv1d/Conv2d/ConvTranspose2d, pooling modules, Upsample, ZeroPad2d, Dropout2d,
// fixed filters; stateDict keys and PyTorch weights through loadStateDict for a small conv net
// (Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d).
import { describe, expect, it } from 'vitest';
import { manualSeed, ones, randn, Tensor, tensor, zeros } from '../../lib/index';
import { Sequential } from '../../lib/nn/container';
import { ReLU } from '../../lib/nn/activation';
import { BatchNorm2d } from '../../lib/nn/normalization';
import { Conv1d, Conv2d, ConvTranspose2d } from '../../lib/nn/conv';
import {
  AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d,
} from '../../lib/nn/pooling';
import { Upsample, ZeroPad2d } from '../../lib/nn/resize';
import { Dropout2d, dropout2d } from '../../lib/nn/dropout2d';
import { fixedConv2d, gaussianKernel2d, sobelKernels } from '../../lib/nn/filters';
import * as exportsAll from '../../lib/nn/cnn_exports';
import * as opsExports from '../../lib/ops/norm_exports';
import { conv2d } from '../../lib/ops/conv';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

describe('conv layers', () => {
  it('Conv2d: weight [Cout, Cin/G, KH, KW] and bias in U(-1/sqrt(fanIn), 1/sqrt(fanIn)) as PyTorch', () => {
    manualSeed(1);
    const m = new Conv2d(8, 64, 3);
    const bound = 1 / Math.sqrt(8 * 9);
    expect(m.weight.shape).toEqual([64, 8, 3, 3]);
    for (const p of [m.weight, m.bias as Tensor]) {
      expect(p.amax().item() as number).toBeLessThanOrEqual(bound);
      expect(p.amin().item() as number).toBeGreaterThanOrEqual(-bound);
    }
    expect(m.weight.amax().item() as number).toBeGreaterThan(0.98 * bound);
    expect(m.weight.std().item() as number).toBeCloseTo(bound / Math.sqrt(3), 2);
    const g = new Conv2d(4, 6, [3, 2], { groups: 2, bias: false });
    expect(g.weight.shape).toEqual([6, 2, 3, 2]);
    expect(Object.keys(g.stateDict())).toEqual(['weight']);
  });
  it('shapes with stride, padding, dilation and groups', () => {
    expect(new Conv2d(3, 4, 3, { padding: 1 }).forward(zeros([2, 3, 8, 8])).shape).toEqual([2, 4, 8, 8]);
    expect(new Conv2d(3, 4, 3, { stride: 2, padding: 'same' }).forward(zeros([1, 3, 7, 7])).shape).toEqual([1, 4, 4, 4]);
    expect(new Conv2d(4, 4, 3, { dilation: 2, groups: 4 }).forward(zeros([1, 4, 9, 9])).shape).toEqual([1, 4, 5, 5]);
    expect(new Conv1d(2, 3, 3, { padding: 1 }).forward(zeros([2, 2, 10])).shape).toEqual([2, 3, 10]);
    const t = new ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
    expect(t.weight.shape).toEqual([4, 2, 3, 3]);
    expect(t.forward(zeros([1, 4, 5, 5])).shape).toEqual([1, 2, 10, 10]);
  });
  it('ConvTranspose2d bias bound uses fanIn = Cout/G·KH·KW as PyTorch', () => {
    manualSeed(2);
    const t = new ConvTranspose2d(2, 50, 2);
    const bound = 1 / Math.sqrt(50 * 4);
    expect(t.bias!.amax().item() as number).toBeLessThanOrEqual(bound);
    expect(t.bias!.amax().item() as number).toBeGreaterThan(0.8 * bound);
  });
  it('gradients reach input, weight and bias', () => {
    const m = new Conv2d(2, 3, 3, { padding: 1 });
    const [x] = sampleInputs([[1, 2, 4, 4]], 4);
    gradcheck((x) => m.forward(x), [x]);
    expect(m.weight.grad?.shape).toEqual([3, 2, 3, 3]);
    expect(m.bias?.grad?.shape).toEqual([3]);
  });
  it('names the argument', () => {
    expect(() => new Conv2d(3, 4, 0)).toThrow('Conv2d: kernelSize must be an integer >= 1 or [KH, KW], got 0');
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow('Conv2d: groups must divide inChannels = 3 and outChannels = 4, got 2');
    expect(() => new Conv1d(0, 4, 3)).toThrow('Conv1d: inChannels must be an integer >= 1, got 0');
    expect(() => new Conv2d(3, 4, 3, { paddingMode: 'reflect' as 'zeros' }))
      .toThrow("Conv2d: paddingMode must be 'zeros' (the only one implemented), got \"reflect\"");
    expect(() => new Conv2d(3, 4, 3).forward(zeros([1, 2, 5, 5]))).toThrow('conv2d: input must be');
  });
});

describe('pooling layers', () => {
  it('match the ops and PyTorch output sizes', () => {
    const x = randn([2, 3, 8, 8]);
    expect(new MaxPool2d(2).forward(x).shape).toEqual([2, 3, 4, 4]);
    expect(new MaxPool2d(3, { stride: 2, padding: 1 }).forward(x).shape).toEqual([2, 3, 4, 4]);
    expect(new AvgPool2d([2, 4]).forward(x).shape).toEqual([2, 3, 4, 2]);
    expect(new AdaptiveAvgPool2d(1).forward(x).shape).toEqual([2, 3, 1, 1]);
    expect(new AdaptiveMaxPool2d([3, null]).forward(x).shape).toEqual([2, 3, 3, 8]);
    const l = randn([2, 3, 9]);
    expect(new MaxPool1d(3).forward(l).shape).toEqual([2, 3, 3]);
    expect(new AvgPool1d(2, { stride: 1 }).forward(l).shape).toEqual([2, 3, 8]);
    const m = tensor([[[[1, 2], [3, 4]]]]);
    expect(Array.from(new MaxPool2d(2).forward(m).data)).toEqual([4]);
    expect(Array.from(new AvgPool2d(2).forward(m).data)).toEqual([2.5]);
    expect(new MaxPool2d(2).toString()).toBe('MaxPool2d(kernelSize=2, stride=2, padding=0, dilation=1, ceilMode=false)');
    expect(Object.keys(new MaxPool2d(2).stateDict())).toEqual([]);
  });
});

describe('a small conv net with PyTorch weights', () => {
  const f = fixtureFile('norm/convnet') as unknown as {
    keys: string[]; conv2dKeys: string[]; batchNorm2dKeys: string[];
    state: Record<string, FixtureTensor>;
    eval: Record<string, FixtureTensor>; train: Record<string, FixtureTensor>;
  };
  const build = () => new Sequential(new Conv2d(2, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2));
  const check = (net: Sequential, step: Record<string, FixtureTensor>) => {
    const x = toTensor(step.x, true);
    const y = net.forward(x) as Tensor;
    expectClose(y, toTensor(step.y), TOL.accum);
    y.mul(toTensor(step.r)).sum().backward();
    expectClose(x.grad as Tensor, toTensor(step.dx), TOL.grad);
    const conv = (net as unknown as { 0: Conv2d })[0];
    expectClose(conv.weight.grad as Tensor, toTensor(step.dweight), TOL.grad);
    conv.weight.grad = null;
  };
  it('stateDict keys equal PyTorch', () => {
    expect(Object.keys(build().stateDict())).toEqual(f.keys);
    expect(Object.keys(new Conv2d(1, 1, 1).stateDict())).toEqual(f.conv2dKeys);
    expect(Object.keys(new BatchNorm2d(1).stateDict())).toEqual(f.batchNorm2dKeys);
  });
  it('loadStateDict gives PyTorch outputs and gradients in eval and train mode', () => {
    const net = build();
    const state: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(f.state)) state[k] = toTensor(v);
    net.loadStateDict(state);
    const bn = (net as unknown as { 1: BatchNorm2d })[1];
    expect(bn.num_batches_tracked!.item()).toBe(2);
    net.eval();
    check(net, f.eval);
    net.train();
    check(net, f.train);
    expectClose(bn.running_mean!, toTensor(f.train.running_mean), TOL.value);
    expectClose(bn.running_var!, toTensor(f.train.running_var), TOL.value);
  });
});

describe('Upsample, ZeroPad2d, Dropout2d', () => {
  it('Upsample doubles H and W; ZeroPad2d pads [left, right, top, bottom]', () => {
    const x = tensor([[[[1, 2], [3, 4]]]]);
    expect(Array.from(new Upsample({ scaleFactor: 2 }).forward(x).data))
      .toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    expect(new Upsample({ size: [3, 5], mode: 'bilinear' }).forward(x).shape).toEqual([1, 1, 3, 5]);
    const p = new ZeroPad2d([1, 0, 0, 2]).forward(x);
    expect(p.shape).toEqual([1, 1, 4, 3]);
    expect(Array.from(p.data)).toEqual([0, 1, 2, 0, 3, 4, 0, 0, 0, 0, 0, 0]);
    expect(new ZeroPad2d(1).forward(x).shape).toEqual([1, 1, 4, 4]);
    expect(() => new Upsample({})).toThrow('Upsample: exactly one of size and scaleFactor must be given');
    expect(() => new ZeroPad2d([1, 2] as unknown as number)).toThrow('ZeroPad2d: padding must be an integer or [left, right, top, bottom]');
  });
  it('Dropout2d zeroes whole channels and scales the rest; identity in eval', () => {
    manualSeed(3);
    const m = new Dropout2d(0.5);
    const x = ones([8, 16, 3, 3]);
    const y = m.forward(x);
    const d = y.data;
    let zeroed = 0;
    for (let k = 0; k < 8 * 16; ++k) {
      const plane = Array.from(d.slice(k * 9, k * 9 + 9));
      expect(new Set(plane).size).toBe(1);
      expect([0, 2]).toContain(plane[0]);
      if (plane[0] === 0) zeroed++;
    }
    expect(zeroed).toBeGreaterThan(30);
    expect(zeroed).toBeLessThan(98);
    m.eval();
    expect(m.forward(x)).toBe(x);
    expect(() => dropout2d(zeros([2, 3]), 0.5)).toThrow('dropout2d: input must be [N, C, H, W] (or [N, C, *]), got [2, 3]');
    expect(() => new Dropout2d(2)).toThrow('Dropout2d: p must be a probability in [0, 1], got 2');
  });
});

describe('fixed filters', () => {
  it('gaussianKernel2d is the normalised sampled Gaussian', () => {
    const g = gaussianKernel2d(5, 1);
    expect(g.shape).toEqual([5, 5]);
    expectClose(g.sum(), 1, TOL.value);
    const e = (d: number) => Math.exp(-(d * d) / 2);
    const s = e(-2) + e(-1) + e(0) + e(1) + e(2);
    expectClose(g.data[0], (e(2) / s) ** 2, TOL.value);
    expectClose(g.data[12], (1 / s) ** 2, TOL.value);
    expect(gaussianKernel2d(null, 1.5).shape).toEqual([11, 11]);
    expect(() => gaussianKernel2d(3, 0)).toThrow('gaussianKernel2d: sigma must be a finite number > 0, got 0');
  });
  it('sobelKernels respond to horizontal and vertical edges', () => {
    const { x: kx, y: ky } = sobelKernels();
    // intensity rising to the right: columns 0, 1, 2, 3
    const img = tensor([[[[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]]]]);
    expect(Array.from(conv2d(img, kx.reshape([1, 1, 3, 3])).data)).toEqual([8, 8, 8, 8]);
    expect(Array.from(conv2d(img, ky.reshape([1, 1, 3, 3])).data)).toEqual([0, 0, 0, 0]);
  });
  it('fixedConv2d is frozen, depthwise and keeps H and W', () => {
    const blur = fixedConv2d(gaussianKernel2d(3, 1), { channels: 3 });
    expect(blur.weight.requiresGrad).toBe(false);
    expect(blur.weight.shape).toEqual([3, 1, 3, 3]);
    expect(blur.parameters().filter((p) => p.requiresGrad)).toEqual([]);
    const x = randn([2, 3, 6, 5], { requiresGrad: true });
    const y = blur.forward(x);
    expect(y.shape).toEqual([2, 3, 6, 5]);
    y.sum().backward();
    expect(x.grad?.shape).toEqual([2, 3, 6, 5]);
    expect(blur.weight.grad).toBeNull();
    // a constant image stays constant inside
    const c = blur.forward(ones([1, 3, 5, 5]));
    expectClose(c.data[12], 1, TOL.value);
    expect(() => fixedConv2d(zeros([3]))).toThrow('fixedConv2d: kernel must be a non-empty float32 Tensor [KH, KW], got float32 [3]');
  });
});

describe('exports', () => {
  it('cnn_exports and norm_exports hold the public names', () => {
    for (const name of [
      'BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'GroupNorm', 'Conv1d', 'Conv2d', 'ConvTranspose2d',
      'MaxPool1d', 'MaxPool2d', 'AvgPool1d', 'AvgPool2d', 'AdaptiveAvgPool2d', 'AdaptiveMaxPool2d',
      'Upsample', 'ZeroPad2d', 'Dropout2d', 'gaussianKernel2d', 'sobelKernels', 'fixedConv2d',
    ]) expect(typeof (exportsAll as Record<string, unknown>)[name]).toBe('function');
    for (const name of ['batchNorm', 'layerNorm', 'groupNorm', 'pad', 'interpolate']) {
      expect(typeof (opsExports as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
