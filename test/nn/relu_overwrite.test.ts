// nn.Sequential's ReLU after a max pool writes over the pooled output (container.ts). That is
// only right while the pool's backward never reads its own output: these tests pin it for
// maxPool1d, maxPool2d and conv2dMaxPool2d by scribbling over the output before backward.
// Sequential against module-by-module, bit for bit, is in test/nn/sequential.test.ts.
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, randn, type Tensor } from '../../lib/index';
import { conv2dMaxPool2d } from '../../lib/ops/conv';
import { maxPool1d, maxPool2d } from '../../lib/ops/pool';

const leaf = (shape: number[]) => randn(shape, { requiresGrad: true });

/** The gradients of sum(r * f(inputs)), optionally with f's output overwritten by NaN first. */
function grads(f: (ins: Tensor[]) => Tensor, ins: Tensor[], scribble: boolean): number[][] {
  for (const t of ins) t.grad = null;
  const y = f(ins);
  const r = randn([...y.shape]);
  if (scribble) (y.data as Float32Array).fill(NaN);
  // r does not need a gradient, so mul's backward does not read y either
  y.mul(r).sum().backward();
  return ins.map((t) => Array.from((t.grad as Tensor).data));
}

function expectOutputUnread(f: (ins: Tensor[]) => Tensor, shapes: number[][]): void {
  manualSeed(5);
  const ins = shapes.map(leaf);
  manualSeed(6);
  const clean = grads(f, ins, false);
  manualSeed(6);
  const scribbled = grads(f, ins, true);
  scribbled.forEach((g, i) => {
    expect(g.every(Number.isFinite), `input ${i} gradient is finite`).toBe(true);
    expect(g, `input ${i} gradient`).toEqual(clean[i]);
  });
}

describe('max pools never read their output in backward', () => {
  it('maxPool2d', () => {
    expectOutputUnread(([x]) => maxPool2d(x, { kernelSize: 2 }), [[2, 3, 8, 8]]);
  });

  it('maxPool1d', () => {
    expectOutputUnread(([x]) => maxPool1d(x, { kernelSize: 3, stride: 2 }), [[2, 3, 11]]);
  });

  it('conv2dMaxPool2d', () => {
    expectOutputUnread(
      ([x, w, b]) => conv2dMaxPool2d(x, w, b, {}, { kernelSize: 2 }),
      [[2, 2, 10, 10], [4, 2, 3, 3], [4]],
    );
  });
});

describe('Sequential ReLU over a pooled output', () => {
  it('leaves the caller\'s input and the returned output intact', () => {
    manualSeed(2);
    const seq = new nn.Sequential(new nn.ReLU(), new nn.MaxPool2d(2));
    const x = randn([2, 3, 6, 6]);
    const before = Array.from(x.data);
    const y = seq.forward(x);
    expect(Array.from(x.data)).toEqual(before);
    expect(y.gradFn).toBeNull();
    expect(Array.from(y.data).every((v) => v >= 0)).toBe(true);
  });
});
