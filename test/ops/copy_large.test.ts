// Copies of whole contiguous arrays run as one memcpy split over the kernel threads
// (native/kernels/copy.cc): clone of large tensors of every dtype, and stridedCopy calls whose
// strides are row-major (with dims of size 1 and offsets), element for element.
import { describe, expect, it } from 'vitest';
import { cat, randn, tensor, manualSeed } from '../../lib/index';
import { native } from '../../lib/native';

describe('large contiguous copies', () => {
  it('clone of [300, 700] float32, int32 and bool copies every element into its own storage', () => {
    manualSeed(3);
    const f = randn([300, 700]);
    const i = tensor(Int32Array.from({ length: 210000 }, (_, k) => (k * 7919) % 1000003), [300, 700]);
    const b = tensor(Uint8Array.from({ length: 210000 }, (_, k) => (k % 3 === 0 ? 1 : 0)), [300, 700], {
      dtype: 'bool',
    });
    for (const x of [f, i, b]) {
      const y = x.clone();
      expect(y.dtype).toBe(x.dtype);
      expect(y.data).not.toBe(x.data);
      expect(y.data.buffer).not.toBe(x.data.buffer);
      expect(Buffer.compare(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength),
        Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength))).toBe(0);
      // own storage: writing the source leaves the copy alone
      const before = [y.data[12345], y.data[209999]];
      x.data[12345] = x.data[12345] === 1 ? 0 : 1;
      x.data[209999] = x.data[209999] === 1 ? 0 : 1;
      expect([y.data[12345], y.data[209999]]).toEqual(before);
    }
  });

  it('clone records its gradient (the identity)', () => {
    const x = randn([256, 300], { requiresGrad: true });
    x.clone().mul(2).sum().backward();
    expect(Array.from(x.grad!.data).every((v) => v === 2)).toBe(true);
  });

  it('stridedCopy with row-major strides, dims of size 1 and offsets copies exactly the range', () => {
    const n = 3 * 1 * 50000;
    const src = Float32Array.from({ length: n + 7 }, (_, k) => k);
    const dst = new Float32Array(n + 20).fill(-1);
    native.stridedCopy(dst, 11, [50000, 9, 1], src, 7, [50000, 123, 1], [3, 1, 50000]);
    for (let k = 0; k < 11; ++k) expect(dst[k]).toBe(-1);
    for (let k = 0; k < n; k += 997) expect(dst[11 + k]).toBe(7 + k);
    expect(dst[11 + n - 1]).toBe(7 + n - 1);
    for (let k = 11 + n; k < dst.length; ++k) expect(dst[k]).toBe(-1);
  });

  it('cat along dim 0 of large tensors keeps every element in order', () => {
    manualSeed(4);
    const a = randn([200, 500]);
    const b = randn([100, 500]);
    const y = cat([a, b], 0);
    expect(Array.from(y.data.subarray(0, a.size))).toEqual(Array.from(a.data));
    expect(Array.from(y.data.subarray(a.size))).toEqual(Array.from(b.data));
  });
});
