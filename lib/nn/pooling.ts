// Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool2d and AdaptiveMaxPool2d, as
// their torch.nn namesakes (no parameters). The math is in lib/ops/pool.ts.
import {
  adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool1d, avgPool2d, maxPool1d, maxPool2d,
  type AvgPool1dOptions, type AvgPool2dOptions, type MaxPool1dOptions, type MaxPool2dOptions,
} from '../ops/pool';
import type { Tensor } from '../tensor';
import { Module } from './module';

type Pair = number | [number, number];
type OutputSize = number | [number | null, number | null];

const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

/**
 * 2-D max pooling, as torch.nn.MaxPool2d(kernelSize, stride = kernelSize, padding = 0,
 * dilation = 1, ceilMode = false). Shape: [N, C, H, W] -> [N, C, OH, OW] (see maxPool2d).
 */
export class MaxPool2d extends Module {
  readonly options: Readonly<MaxPool2dOptions>;
  constructor(kernelSize: Pair, options: Omit<MaxPool2dOptions, 'kernelSize'> = {}) {
    super();
    this.options = Object.freeze({ ...options, kernelSize });
  }
  resetParameters(): void {}
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${show(o.kernelSize)}, stride=${show(o.stride ?? o.kernelSize)}, ` +
      `padding=${show(o.padding ?? 0)}, dilation=${show(o.dilation ?? 1)}, ceilMode=${o.ceilMode ?? false}`;
  }
}

/** 1-D max pooling, as torch.nn.MaxPool1d. Shape: [N, C, L] -> [N, C, OL]. */
export class MaxPool1d extends Module {
  readonly options: Readonly<MaxPool1dOptions>;
  constructor(kernelSize: number, options: Omit<MaxPool1dOptions, 'kernelSize'> = {}) {
    super();
    this.options = Object.freeze({ ...options, kernelSize });
  }
  resetParameters(): void {}
  forward(x: Tensor): Tensor {
    return maxPool1d(x, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${o.kernelSize}, stride=${o.stride ?? o.kernelSize}, padding=${o.padding ?? 0}, ` +
      `dilation=${o.dilation ?? 1}, ceilMode=${o.ceilMode ?? false}`;
  }
}

/**
 * 2-D average pooling, as torch.nn.AvgPool2d(kernelSize, stride = kernelSize, padding = 0,
 * ceilMode = false, countIncludePad = true, divisorOverride). Shape: [N, C, H, W] -> [N, C, OH, OW].
 */
export class AvgPool2d extends Module {
  readonly options: Readonly<AvgPool2dOptions>;
  constructor(kernelSize: Pair, options: Omit<AvgPool2dOptions, 'kernelSize'> = {}) {
    super();
    this.options = Object.freeze({ ...options, kernelSize });
  }
  resetParameters(): void {}
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${show(o.kernelSize)}, stride=${show(o.stride ?? o.kernelSize)}, padding=${show(o.padding ?? 0)}`;
  }
}

/** 1-D average pooling, as torch.nn.AvgPool1d. Shape: [N, C, L] -> [N, C, OL]. */
export class AvgPool1d extends Module {
  readonly options: Readonly<AvgPool1dOptions>;
  constructor(kernelSize: number, options: Omit<AvgPool1dOptions, 'kernelSize'> = {}) {
    super();
    this.options = Object.freeze({ ...options, kernelSize });
  }
  resetParameters(): void {}
  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${o.kernelSize}, stride=${o.stride ?? o.kernelSize}, padding=${o.padding ?? 0}`;
  }
}

/** Adaptive average pooling to outputSize (null keeps that input size), as
 *  torch.nn.AdaptiveAvgPool2d; outputSize 1 is global average pooling.
 *  Shape: [N, C, H, W] -> [N, C, OH, OW]. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: OutputSize) {
    super();
  }
  resetParameters(): void {}
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `outputSize=${show(this.outputSize)}`;
  }
}

/** Adaptive max pooling to outputSize, as torch.nn.AdaptiveMaxPool2d.
 *  Shape: [N, C, H, W] -> [N, C, OH, OW]. */
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: OutputSize) {
    super();
  }
  resetParameters(): void {}
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `outputSize=${show(this.outputSize)}`;
  }
}
