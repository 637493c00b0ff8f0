// Fixed filters as frozen convolutions: the sampled Gaussian (blur at scale sigma) and the
// Sobel derivative kernels, and fixedConv2d to apply a kernel to every channel.
import { type Conv2dPadding } from '../ops/conv';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { Conv2d } from './conv';

/**
 * The sampled Gaussian kernel of scale-space at scale sigma (variance t = sigma²):
 * g(x, y) ∝ exp(−(x² + y²) / (2·sigma²)) at integer offsets from the kernel centre,
 * normalised so the weights sum to 1 (separable: the outer product of the 1-D kernel).
 * Shape: [size, size]; size defaults to 2·ceil(3·sigma) + 1 (an odd size centres the kernel).
 * @throws RangeError `gaussianKernel2d: sigma must be a finite number > 0, got 0`
 */
export function gaussianKernel2d(size: number | null | undefined, sigma: number): Tensor {
  const fn = 'gaussianKernel2d';
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || !(sigma > 0)) {
    throw new RangeError(`${fn}: sigma must be a finite number > 0, got ${String(sigma)}`);
  }
  const n = size ?? 2 * Math.ceil(3 * sigma) + 1;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${fn}: size must be an integer >= 1, got ${String(size)}`);
  const centre = (n - 1) / 2;
  const g = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; ++i) {
    const d = i - centre;
    g[i] = Math.exp(-(d * d) / (2 * sigma * sigma));
    s += g[i];
  }
  for (let i = 0; i < n; ++i) g[i] /= s;
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j) out[i * n + j] = g[i] * g[j];
  return new Tensor(out, [n, n]);
}

/**
 * The 3×3 Sobel kernels for conv2d (a cross-correlation): x responds to intensity rising
 * to the right ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]), y to intensity rising downwards
 * (its transpose).
 */
export function sobelKernels(): { x: Tensor; y: Tensor } {
  return {
    x: new Tensor(Float32Array.from([-1, 0, 1, -2, 0, 2, -1, 0, 1]), [3, 3]),
    y: new Tensor(Float32Array.from([-1, -2, -1, 0, 0, 0, 1, 2, 1]), [3, 3]),
  };
}

export interface FixedConv2dOptions {
  /** Channels of the input; the kernel is applied to each separately (groups = channels).
   *  Default 1. */
  channels?: number;
  /** As Conv2d's padding; default 'same' (the output keeps H and W). */
  padding?: Conv2dPadding;
  /** Default 1. */
  stride?: number | [number, number];
}

/**
 * A frozen depthwise Conv2d (no bias, weight requiresGrad false) that applies `kernel`
 * [KH, KW] to each of `channels` channels: gradients still flow to its input, never to the
 * kernel.
 * Shape: [N, C, H, W] -> [N, C, OH, OW] (OH = H with padding 'same').
 * @example fixedConv2d(gaussianKernel2d(null, 1.5), { channels: 3 }).forward(images)
 */
export function fixedConv2d(kernel: Tensor, options: FixedConv2dOptions = {}): Conv2d {
  const fn = 'fixedConv2d';
  if (!(kernel instanceof Tensor) || kernel.dtype !== 'float32' || kernel.ndim !== 2 || kernel.size === 0) {
    throw new RangeError(
      `${fn}: kernel must be a non-empty float32 Tensor [KH, KW], got ` +
        `${kernel instanceof Tensor ? `${kernel.dtype} ${formatShape(kernel.shape)}` : typeof kernel}`,
    );
  }
  const C = options.channels ?? 1;
  if (!Number.isInteger(C) || C < 1) throw new RangeError(`${fn}: channels must be an integer >= 1, got ${String(C)}`);
  const [KH, KW] = kernel.shape;
  const conv = new Conv2d(C, C, [KH, KW], {
    groups: C, bias: false, padding: options.padding ?? 'same', stride: options.stride ?? 1,
  });
  for (let c = 0; c < C; ++c) conv.weight.data.set(kernel.data, c * KH * KW);
  conv.weight.requiresGrad_(false);
  return conv;
}
