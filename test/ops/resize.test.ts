// pad and interpolate against PyTorch fixtures (outputs and input gradients), gradient checks
// by finite differences, and error messages.
import { describe, expect, it } from 'vitest';
import { arange, Tensor, zeros } from '../../lib/index';
import { interpolate, pad, upsample, type InterpolateOptions, type PadMode } from '../../lib/ops/resize';
import { backwardWeighted, expectGrad } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

interface Case {
  x: FixtureTensor;
  r: FixtureTensor;
  y: FixtureTensor;
  dx: FixtureTensor;
}

function check(c: Case, f: (x: Tensor) => Tensor): void {
  const x = toTensor(c.x, true);
  const y = f(x);
  expectClose(y, toTensor(c.y), TOL.value);
  backwardWeighted(y, c.r);
  expectGrad(x, c.dx);
}

describe('pad against PyTorch', () => {
  const file = fixtureFile('resize/pad') as unknown as Record<string, Case & { pad: number[]; mode: PadMode; value: number }>;
  for (const [name, c] of Object.entries(file)) {
    it(`${name}: ${c.mode} ${JSON.stringify(c.pad)}`, () => {
      check(c, (x) => pad(x, c.pad, c.mode === 'constant' ? { mode: c.mode, value: c.value } : { mode: c.mode }));
    });
  }
  it('backward agrees with finite differences in every mode', () => {
    const [x] = sampleInputs([[2, 2, 3, 4]], 3);
    gradcheck((x) => pad(x, [1, 2, 2, 1], { mode: 'reflect' }), [x]);
    gradcheck((x) => pad(x, [2, 0, 1, 3], { mode: 'replicate' }), [x]);
    gradcheck((x) => pad(x, [1, -1, 2, 0], { value: 3 }), [x]);
  });
  it('zero padding copies', () => {
    const x = arange(0, 6, 1, { dtype: 'float32' }).reshape([1, 2, 3]);
    const y = pad(x, [0, 0]);
    expect(y).not.toBe(x);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
  });
  it('names the argument', () => {
    expect(() => pad(zeros([2, 3]), [1, 2, 3])).toThrow('pad: pad must be an even-length array of integers, got [1, 2, 3]');
    expect(() => pad(zeros([1, 2, 3]), [3, 0], { mode: 'reflect' }))
      .toThrow('pad: reflect padding must be smaller than the size 3 of dim 2, got [3, 0]');
    expect(() => pad(zeros([3]), [1, 1], { mode: 'replicate' }))
      .toThrow("pad: pad must pad at most 0 dims of input [3] in mode 'replicate', got [1, 1]");
    expect(() => pad(zeros([2, 3]), [1, 1], { mode: 'wrap' as PadMode }))
      .toThrow("pad: mode must be 'constant', 'reflect' or 'replicate', got 'wrap'");
    expect(() => pad(zeros([2, 3]), [-2, -2])).toThrow('pad: pad [-2, -2] crops more than the 3 elements of dim 1');
  });
});

describe('interpolate against PyTorch', () => {
  const file = fixtureFile('resize/interpolate') as unknown as Record<string, Case & { options: InterpolateOptions }>;
  for (const [name, c] of Object.entries(file)) {
    it(`${name}: ${JSON.stringify(c.options)}`, () => check(c, (x) => interpolate(x, c.options)));
  }
  it('backward agrees with finite differences (nearest, bilinear, linear)', () => {
    const [x] = sampleInputs([[1, 2, 3, 4]], 9);
    gradcheck((x) => interpolate(x, { size: [5, 6] }), [x]);
    gradcheck((x) => interpolate(x, { scaleFactor: 1.5, mode: 'bilinear' }), [x]);
    gradcheck((x) => interpolate(x, { size: [2, 7], mode: 'bilinear', alignCorners: true }), [x]);
    gradcheck((x) => interpolate(x, { size: 7, mode: 'linear' }), sampleInputs([[2, 1, 4]], 10));
  });
  it('upsample is interpolate', () => {
    const [x] = sampleInputs([[1, 1, 2, 3]], 1);
    expectClose(upsample(x, { scaleFactor: 2, mode: 'bilinear' }), interpolate(x, { scaleFactor: 2, mode: 'bilinear' }), TOL.value);
  });
  it('names the argument', () => {
    expect(() => interpolate(zeros([2, 3, 4]), { size: 4, mode: 'bilinear' }))
      .toThrow("interpolate: mode 'bilinear' needs input [N, C, H, W], got [2, 3, 4]");
    expect(() => interpolate(zeros([1, 1, 2, 2]), {}))
      .toThrow('interpolate: exactly one of size and scaleFactor must be given, got neither');
    expect(() => interpolate(zeros([1, 1, 2, 2]), { size: [2, 0] }))
      .toThrow('interpolate: size must be an integer >= 1 or 2 of them, got [2, 0]');
    expect(() => interpolate(zeros([1, 1, 2, 2]), { scaleFactor: -1 }))
      .toThrow('interpolate: scaleFactor must be a number > 0 or 2 of them, got -1');
    expect(() => interpolate(zeros([1, 1, 2, 2]), { size: 3, alignCorners: true }))
      .toThrow("interpolate: alignCorners must be unset for mode 'nearest', got true");
    expect(() => interpolate(zeros([2, 2]), { size: 3 }))
      .toThrow('interpolate: input must be [N, C, L] or [N, C, H, W], got [2, 2]');
  });
});
