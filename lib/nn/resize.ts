// Resizing layers: Upsample and ZeroPad2d, as their torch.nn namesakes. The math is in
// lib/ops/resize.ts.
import { interpolate, pad, type InterpolateMode } from '../ops/resize';
import type { Tensor } from '../tensor';
import { Module } from './module';

export interface UpsampleOptions {
  /** Output spatial size (give size or scaleFactor). */
  size?: number | number[];
  /** Multiplier of the spatial sizes. */
  scaleFactor?: number | number[];
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  /** linear / bilinear only. */
  alignCorners?: boolean;
}

const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

/**
 * Upsampling, as torch.nn.Upsample (see interpolate).
 * Shape: [N, C, H, W] -> [N, C, OH, OW] (or [N, C, L] -> [N, C, OL]).
 * @example new Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(x) // doubles H and W
 */
export class Upsample extends Module {
  readonly options: Readonly<UpsampleOptions>;

  constructor(options: UpsampleOptions) {
    super();
    const o = options ?? {};
    if ((o.size === undefined) === (o.scaleFactor === undefined)) {
      throw new RangeError('Upsample: exactly one of size and scaleFactor must be given');
    }
    this.options = Object.freeze({ ...o });
  }

  resetParameters(): void {}

  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }

  override extraRepr(): string {
    const o = this.options;
    const what = o.size !== undefined ? `size=${show(o.size)}` : `scaleFactor=${show(o.scaleFactor)}`;
    return `${what}, mode='${o.mode ?? 'nearest'}'`;
  }
}

/**
 * Zero padding of H and W, as torch.nn.ZeroPad2d: padding n, or [left, right, top, bottom].
 * Shape: [N, C, H, W] -> [N, C, H + top + bottom, W + left + right].
 */
export class ZeroPad2d extends Module {
  readonly padding: readonly [number, number, number, number];

  constructor(padding: number | [number, number, number, number]) {
    super();
    const p = typeof padding === 'number' ? [padding, padding, padding, padding] : padding;
    if (!Array.isArray(p) || p.length !== 4 || !p.every(Number.isInteger)) {
      throw new RangeError(
        `ZeroPad2d: padding must be an integer or [left, right, top, bottom], got ${JSON.stringify(padding)}`,
      );
    }
    this.padding = Object.freeze([p[0], p[1], p[2], p[3]] as [number, number, number, number]);
  }

  resetParameters(): void {}

  forward(x: Tensor): Tensor {
    return pad(x, [...this.padding]);
  }

  override extraRepr(): string {
    return show(this.padding);
  }
}
