// clipGradNorm_ / clipGradValue_ against torch.nn.utils.clip_grad_norm_ / clip_grad_value_
// (PyTorch 1.13): total norm and clipped gradients; params without a grad are skipped.
import { describe, expect, it } from 'vitest';
import { optim, tensor, zeros, type Tensor } from '../../lib/index';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { TOL } from '../helpers/tolerance';

interface ClipCase {
  name: string;
  kind: 'norm' | 'value';
  maxNorm?: number;
  normType?: number | 'inf';
  clipValue?: number;
  grads: (FixtureTensor | null)[];
  totalNorm?: number;
  expected: (FixtureTensor | null)[];
}

function withGrads(grads: (FixtureTensor | null)[]): Tensor[] {
  return grads.map((g) => {
    const p = zeros(g ? g.shape : [1], { requiresGrad: true });
    p.grad = g ? toTensor(g) : null;
    return p;
  });
}

const cases = (fixtureFile('optim/clip') as { cases: ClipCase[] }).cases;

describe('gradient clipping matches PyTorch', () => {
  for (const c of cases) {
    it(c.name, () => {
      const params = withGrads(c.grads);
      if (c.kind === 'norm') {
        const p = c.normType === 'inf' ? Infinity : (c.normType as number);
        const total = optim.clipGradNorm_(params, c.maxNorm as number, p);
        expectClose(total, c.totalNorm as number, TOL.accum);
      } else {
        optim.clipGradValue_(params, c.clipValue as number);
      }
      params.forEach((q, k) => {
        const want = c.expected[k];
        if (want === null) expect(q.grad).toBeNull();
        else expectClose(q.grad as Tensor, toTensor(want), TOL.value);
      });
    });
  }
});

describe('gradient clipping', () => {
  it('clipGradNorm_ returns 0 and changes nothing when no param has a grad', () => {
    expect(optim.clipGradNorm_([zeros([3], { requiresGrad: true })], 1)).toBe(0);
  });
  it('clipGradNorm_ accepts a single tensor', () => {
    const p = zeros([2], { requiresGrad: true });
    p.grad = tensor([3, 4]);
    expect(optim.clipGradNorm_(p, 1)).toBeCloseTo(5, 6);
    expectClose(p.grad, [0.6, 0.8], TOL.value);
  });
  it('clipGradNorm_ with errorIfNonfinite names the problem', () => {
    const p = zeros([2], { requiresGrad: true });
    p.grad = tensor([NaN, 1]);
    expect(() => optim.clipGradNorm_([p], 1, 2, { errorIfNonfinite: true }))
      .toThrow(/clipGradNorm_: the total norm of order 2 of the gradients must be finite, got NaN/);
  });
  it('clipGradNorm_ names a bad normType', () => {
    expect(() => optim.clipGradNorm_([], 1, 0)).toThrow(/clipGradNorm_: normType must be > 0 or Infinity, got 0/);
  });
  it('clipGradValue_ names a negative clipValue', () => {
    expect(() => optim.clipGradValue_([], -1)).toThrow(/clipGradValue_: clipValue must be >= 0, got -1/);
  });
});
