// Convolution layers: Conv1d, Conv2d and ConvTranspose2d, as their torch.nn namesakes (same
// parameter names, layouts and initial distributions). The math is in lib/ops/conv.ts.
import {
  conv1d, conv2d, convTranspose2d, type Conv2dPadding,
} from '../ops/conv';
import { Tensor, zeros } from '../tensor';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from './init';
import { Module } from './module';
import { Parameter } from './parameter';

type Pair = number | [number, number];

export interface Conv2dModuleOptions {
  /** Default 1. */
  stride?: Pair;
  /** 'valid', 'same', n, [ph, pw] or [top, bottom, left, right]. Default 0. */
  padding?: Conv2dPadding;
  /** Default 1. */
  dilation?: Pair;
  /** Default 1; inChannels and outChannels must be multiples. */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Only 'zeros' (the default) is implemented. */
  paddingMode?: 'zeros';
}

export interface Conv1dModuleOptions {
  stride?: number;
  padding?: 'valid' | 'same' | number | [number, number];
  dilation?: number;
  groups?: number;
  bias?: boolean;
  paddingMode?: 'zeros';
}

export interface ConvTranspose2dModuleOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  bias?: boolean;
  dilation?: Pair;
  paddingMode?: 'zeros';
}

function checkCount(fn: string, arg: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) {
    throw new RangeError(`${fn}: ${arg} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v as number;
}

function kernelPair(fn: string, k: unknown): [number, number] {
  if (Number.isInteger(k) && (k as number) >= 1) return [k as number, k as number];
  if (Array.isArray(k) && k.length === 2 && k.every((v) => Number.isInteger(v) && v >= 1)) {
    return [k[0], k[1]];
  }
  throw new RangeError(`${fn}: kernelSize must be an integer >= 1 or [KH, KW], got ${JSON.stringify(k)}`);
}

function checkGroups(fn: string, inChannels: number, outChannels: number, groups: unknown): number {
  const G = checkCount(fn, 'groups', groups, 1);
  if (inChannels % G !== 0 || outChannels % G !== 0) {
    throw new RangeError(
      `${fn}: groups must divide inChannels = ${inChannels} and outChannels = ${outChannels}, got ${G}`,
    );
  }
  return G;
}

function checkPaddingMode(fn: string, mode: unknown): void {
  if (mode !== undefined && mode !== 'zeros') {
    throw new RangeError(`${fn}: paddingMode must be 'zeros' (the only one implemented), got ${JSON.stringify(mode)}`);
  }
}

/** PyTorch's _ConvNd.reset_parameters: kaiming_uniform_(a = sqrt(5)) for the weight, and
 *  U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for the bias. */
function resetConv(weight: Parameter, bias: Parameter | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}

const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v));

/**
 * 2-D convolution, as torch.nn.Conv2d.
 * Shape: [N, Cin, H, W] -> [N, Cout, OH, OW], OH = floor((H + pt + pb − dh·(KH − 1) − 1) / sh) + 1.
 * Parameters: weight [Cout, Cin/groups, KH, KW] and bias [Cout], both
 * ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = Cin/groups·KH·KW (kaimingUniform_, a = sqrt(5)).
 * @example new Conv2d(3, 16, 3, { padding: 1 }).forward(zeros([8, 3, 32, 32])) // [8, 16, 32, 32]
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: Pair;
  readonly padding: Conv2dPadding;
  readonly dilation: Pair;
  readonly groups: number;
  readonly paddingMode = 'zeros' as const;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dModuleOptions = {}) {
    super();
    const fn = 'Conv2d';
    this.inChannels = checkCount(fn, 'inChannels', inChannels, 1);
    this.outChannels = checkCount(fn, 'outChannels', outChannels, 1);
    this.kernelSize = kernelPair(fn, kernelSize);
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.groups = checkGroups(fn, inChannels, outChannels, options.groups ?? 1);
    checkPaddingMode(fn, options.paddingMode);
    const [KH, KW] = this.kernelSize;
    this.weight = this.registerParameter(
      'weight', new Parameter(zeros([outChannels, inChannels / this.groups, KH, KW])),
    );
    this.bias = this.registerParameter('bias', options.bias ?? true ? new Parameter(zeros([outChannels])) : null);
    this.resetParameters();
  }

  resetParameters(): void {
    resetConv(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups,
    });
  }

  override extraRepr(): string {
    return (
      `${this.inChannels}, ${this.outChannels}, kernelSize=${show(this.kernelSize)}, ` +
      `stride=${show(this.stride)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, ` +
      `groups=${this.groups}, bias=${this.bias !== null}`
    );
  }
}

/**
 * 1-D convolution, as torch.nn.Conv1d.
 * Shape: [N, Cin, L] -> [N, Cout, OL], OL = floor((L + pl + pr − d·(K − 1) − 1) / s) + 1.
 * Parameters: weight [Cout, Cin/groups, K] and bias [Cout], ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)),
 * fanIn = Cin/groups·K.
 */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: 'valid' | 'same' | number | [number, number];
  readonly dilation: number;
  readonly groups: number;
  readonly paddingMode = 'zeros' as const;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dModuleOptions = {}) {
    super();
    const fn = 'Conv1d';
    this.inChannels = checkCount(fn, 'inChannels', inChannels, 1);
    this.outChannels = checkCount(fn, 'outChannels', outChannels, 1);
    this.kernelSize = checkCount(fn, 'kernelSize', kernelSize, 1);
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.groups = checkGroups(fn, inChannels, outChannels, options.groups ?? 1);
    checkPaddingMode(fn, options.paddingMode);
    this.weight = this.registerParameter(
      'weight', new Parameter(zeros([outChannels, inChannels / this.groups, kernelSize])),
    );
    this.bias = this.registerParameter('bias', options.bias ?? true ? new Parameter(zeros([outChannels])) : null);
    this.resetParameters();
  }

  resetParameters(): void {
    resetConv(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups,
    });
  }

  override extraRepr(): string {
    return (
      `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}, stride=${this.stride}, ` +
      `padding=${show(this.padding)}, dilation=${this.dilation}, groups=${this.groups}, bias=${this.bias !== null}`
    );
  }
}

/**
 * 2-D transposed convolution, as torch.nn.ConvTranspose2d.
 * Shape: [N, Cin, H, W] -> [N, Cout, OH, OW], OH = (H − 1)·sh − 2·ph + dh·(KH − 1) + oph + 1.
 * Parameters: weight [Cin, Cout/groups, KH, KW] and bias [Cout], ~ U(-1/sqrt(fanIn),
 * 1/sqrt(fanIn)) with fanIn = Cout/groups·KH·KW (PyTorch's fan of this layout).
 */
export class ConvTranspose2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: Pair;
  readonly padding: Pair;
  readonly outputPadding: Pair;
  readonly dilation: Pair;
  readonly groups: number;
  readonly paddingMode = 'zeros' as const;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvTranspose2dModuleOptions = {}) {
    super();
    const fn = 'ConvTranspose2d';
    this.inChannels = checkCount(fn, 'inChannels', inChannels, 1);
    this.outChannels = checkCount(fn, 'outChannels', outChannels, 1);
    this.kernelSize = kernelPair(fn, kernelSize);
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.outputPadding = options.outputPadding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.groups = checkGroups(fn, inChannels, outChannels, options.groups ?? 1);
    checkPaddingMode(fn, options.paddingMode);
    const [KH, KW] = this.kernelSize;
    this.weight = this.registerParameter(
      'weight', new Parameter(zeros([inChannels, outChannels / this.groups, KH, KW])),
    );
    this.bias = this.registerParameter('bias', options.bias ?? true ? new Parameter(zeros([outChannels])) : null);
    this.resetParameters();
  }

  resetParameters(): void {
    resetConv(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPadding,
      dilation: this.dilation, groups: this.groups,
    });
  }

  override extraRepr(): string {
    return (
      `${this.inChannels}, ${this.outChannels}, kernelSize=${show(this.kernelSize)}, ` +
      `stride=${show(this.stride)}, padding=${show(this.padding)}, ` +
      `outputPadding=${show(this.outputPadding)}, dilation=${show(this.dilation)}, ` +
      `groups=${this.groups}, bias=${this.bias !== null}`
    );
  }
}
