// Tensor: shape, contiguous row-major storage, dtype, and its place in the autograd graph.
// Creation functions live here too; ops live in lib/ops and are mirrored as methods below.
import { runBackward, type BackwardOptions } from './autograd/backward';
import { noteAllocation, POOLED_MIN_BYTES, takeBuffer } from './buffers';
import { isGradEnabled } from './autograd/grad_mode';
import { Node, type BackwardRule } from './autograd/node';
import { writeStamp } from './autograd/version';
import { formatTensor } from './format';
import { native } from './native';
import * as ew from './ops/elementwise';
import * as act from './ops/activation';
import * as red from './ops/reduce';
import * as sh from './ops/shape';
import * as idx from './ops/index';
import { matmul as matmulOp, type MatmulOptions } from './ops/matmul';
import { rngState } from './random';
import { checkShape, formatShape, numel, type Shape } from './shape';

export type DType = 'float32' | 'int32' | 'bool';
export type Storage = Float32Array | Int32Array | Uint8Array;
export type Scalar = number | boolean;
export type NestedArray = Scalar | NestedArray[];
export type TensorLike = Tensor | number;

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

export function allocate(dtype: DType, n: number): Storage {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  return new Uint8Array(n);
}

/** NEURITE_POISON_UNINITIALISED=1 (a test setting) fills every uninitialised allocation with
 *  NaN (int32: a large negative value, bool: 0xAB), so a kernel that reads or skips part of an
 *  output it should overwrite shows up in the tests. */
const POISON_UNINITIALISED = typeof process !== 'undefined' && process.env.NEURITE_POISON_UNINITIALISED === '1';

function poisoned(dtype: DType, n: number): Storage {
  return poison(allocate(dtype, n));
}

function poison(data: Storage): Storage {
  if (data instanceof Float32Array) return data.fill(NaN);
  if (data instanceof Int32Array) return data.fill(-0x5a5a5a5a);
  return data.fill(0xab);
}

/**
 * Storage whose contents are unspecified, for outputs a kernel overwrites in full: large
 * arrays skip the zero fill (and the page faults it brings), which otherwise costs as much as
 * a memory-bound op itself, and reuse a buffer the backward pass recycled when one of the same
 * size is free (lib/buffers.ts). Never use it for a buffer that is accumulated into or read
 * first. The array covers its whole ArrayBuffer.
 */
export function allocateUninitialised(dtype: DType, n: number): Storage {
  const bytes = dtype === 'bool' ? n : 4 * n;
  let out: Storage;
  if (bytes < POOLED_MIN_BYTES) {
    // below this a zero-filled array is as cheap as an uninitialised one
    out = POISON_UNINITIALISED ? poisoned(dtype, n) : allocate(dtype, n);
  } else {
    const buffer = takeBuffer(bytes) ?? Buffer.allocUnsafeSlow(bytes).buffer;
    if (dtype === 'float32') out = new Float32Array(buffer, 0, n);
    else if (dtype === 'int32') out = new Int32Array(buffer, 0, n);
    else out = new Uint8Array(buffer, 0, n);
    if (POISON_UNINITIALISED) poison(out);
  }
  noteAllocation(out);
  return out;
}

/** Float32 storage a kernel overwrites in full (see allocateUninitialised). */
export function uninitialisedF32(n: number): Float32Array {
  return allocateUninitialised('float32', n) as Float32Array;
}

/** A number or boolean as stored in a tensor of `dtype`: bool stores 1 for any nonzero value
 *  (NaN included), as torch's bool(); int32 truncates toward zero (by the typed array). */
function storable(v: number | boolean, dtype: DType): number {
  if (dtype === 'bool') return v !== 0 && v !== false ? 1 : 0;
  return Number(v);
}

export function dtypeOf(data: Storage): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Contiguous row-major values; shared with views made by reshape/view. */
  data: Storage;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /** The graph node that made this tensor (null for leaves). */
  gradFn: Node | null = null;

  /** Wraps storage without copying. Prefer tensor(), zeros() and the other creators. */
  constructor(data: Storage, shape: Shape, requiresGrad = false) {
    if (data.length !== numel(shape)) {
      throw new RangeError(
        `Tensor: data must have ${numel(shape)} elements for shape ${formatShape(shape)}, ` +
          `got ${data.length}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.requiresGrad = requiresGrad;
  }

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.data.length;
  }
  numel(): number {
    return this.data.length;
  }
  dim(): number {
    return this.shape.length;
  }
  /** True for tensors not made by a recorded op. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  // --- autograd ---------------------------------------------------------------------------

  /** Backpropagates from this tensor. Without `gradient` the tensor must hold one element. */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    if (!this.requiresGrad) {
      throw new Error(
        'backward: tensor does not require grad and has no graph; set requiresGrad on an input',
      );
    }
    let g: Tensor;
    if (gradient === undefined) {
      if (this.size !== 1) {
        throw new RangeError(
          `backward: gradient must be given for a tensor of shape ${formatShape(this.shape)} ` +
            '(only one-element tensors default to 1)',
        );
      }
      g = full([...this.shape], 1);
    } else {
      if (!(gradient instanceof Tensor) || formatShape(gradient.shape) !== formatShape(this.shape)) {
        throw new RangeError(
          `backward: gradient must have shape ${formatShape(this.shape)}, got ` +
            `${gradient instanceof Tensor ? formatShape(gradient.shape) : typeof gradient}`,
        );
      }
      g = gradient.dtype === 'float32' ? gradient : gradient.float();
    }
    runBackward(this, g, options, { add: ew.addNoGrad, addInto: ew.addInto, clone: (t) => t.clone() });
  }

  /** Sets requiresGrad in place (leaves only, as PyTorch) and returns this. */
  requiresGrad_(on = true): this {
    if (!this.isLeaf && !on) {
      throw new Error(`requiresGrad_: only leaf tensors can be set, use detach() for ${this.gradFn?.name}`);
    }
    if (on && this.dtype !== 'float32') {
      throw new TypeError(`requiresGrad_: only float32 tensors can require grad, got ${this.dtype}`);
    }
    this.requiresGrad = on;
    return this;
  }

  /** Keeps .grad on this non-leaf tensor after backward. */
  retainGrad(): this {
    if (this.gradFn) this.gradFn.retained = this;
    return this;
  }

  /** A tensor sharing this storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with its own storage (recorded: gradients flow back). */
  clone(): Tensor {
    return sh.clone(this);
  }

  // --- values -----------------------------------------------------------------------------

  /** The single value of a one-element tensor. */
  item(): number | boolean {
    if (this.size !== 1) {
      throw new RangeError(
        `item: tensor must have one element, got shape ${formatShape(this.shape)}`,
      );
    }
    return this.dtype === 'bool' ? this.data[0] !== 0 : this.data[0];
  }

  /** Nested arrays of numbers (booleans for bool tensors); a scalar for 0-d tensors. */
  toArray(): NestedArray {
    const isBool = this.dtype === 'bool';
    const data = this.data;
    const shape = this.shape;
    const build = (dim: number, offset: number, stride: number): NestedArray => {
      if (dim === shape.length) return isBool ? data[offset] !== 0 : data[offset];
      const inner = stride / shape[dim];
      const out: NestedArray[] = new Array(shape[dim]);
      for (let i = 0; i < shape[dim]; ++i) out[i] = build(dim + 1, offset + i * inner, inner);
      return out;
    };
    return build(0, 0, this.size);
  }

  /** A small summary for JSON.stringify and test reporters (never the whole data). */
  toJSON(): { shape: number[]; dtype: DType } {
    return { shape: [...this.shape], dtype: this.dtype };
  }

  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** Casts to another dtype (a copy, or this when the dtype already matches). */
  to(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }
  float(): Tensor {
    return ew.cast(this, 'float32');
  }
  int(): Tensor {
    return ew.cast(this, 'int32');
  }
  bool(): Tensor {
    return ew.cast(this, 'bool');
  }

  // --- shape ------------------------------------------------------------------------------
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return sh.reshape(this, flatArgs(shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return sh.reshape(this, flatArgs(shape), 'view');
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return sh.flatten(this, startDim, endDim);
  }
  squeeze(dim?: number | number[]): Tensor {
    return sh.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return sh.unsqueeze(this, dim);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return sh.transpose(this, dim0, dim1);
  }
  /** Transpose of a 2-D tensor (a 0-D or 1-D tensor is returned as is). */
  t(): Tensor {
    return sh.t(this);
  }
  get T(): Tensor {
    return sh.permute(this, this.shape.map((_, i) => this.ndim - 1 - i));
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return sh.permute(this, flatArgs(dims));
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return sh.expand(this, flatArgs(shape));
  }
  expandAs(other: Tensor): Tensor {
    return sh.expand(this, [...other.shape]);
  }
  split(splitSize: number | number[], dim = 0): Tensor[] {
    return sh.split(this, splitSize, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return sh.chunk(this, chunks, dim);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return sh.narrow(this, dim, start, length);
  }
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return sh.slice(this, dim, start, end, step);
  }
  select(dim: number, index: number): Tensor {
    return sh.select(this, dim, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return idx.indexSelect(this, dim, index);
  }
  gather(dim: number, index: Tensor): Tensor {
    return idx.gather(this, dim, index);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return idx.scatterAdd(this, dim, index, src);
  }

  // --- elementwise ------------------------------------------------------------------------
  add(other: TensorLike): Tensor {
    return ew.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return ew.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return ew.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return ew.div(this, other);
  }
  pow(exponent: TensorLike): Tensor {
    return ew.pow(this, exponent);
  }
  maximum(other: TensorLike): Tensor {
    return ew.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return ew.minimum(this, other);
  }
  neg(): Tensor {
    return ew.neg(this);
  }
  exp(): Tensor {
    return ew.exp(this);
  }
  log(): Tensor {
    return ew.log(this);
  }
  sqrt(): Tensor {
    return ew.sqrt(this);
  }
  rsqrt(): Tensor {
    return ew.rsqrt(this);
  }
  abs(): Tensor {
    return ew.abs(this);
  }
  sign(): Tensor {
    return ew.sign(this);
  }
  square(): Tensor {
    return ew.square(this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return ew.clamp(this, min, max);
  }
  eq(other: TensorLike): Tensor {
    return ew.eq(this, other);
  }
  ne(other: TensorLike): Tensor {
    return ew.ne(this, other);
  }
  lt(other: TensorLike): Tensor {
    return ew.lt(this, other);
  }
  le(other: TensorLike): Tensor {
    return ew.le(this, other);
  }
  gt(other: TensorLike): Tensor {
    return ew.gt(this, other);
  }
  ge(other: TensorLike): Tensor {
    return ew.ge(this, other);
  }

  // --- activations ------------------------------------------------------------------------
  relu(): Tensor {
    return act.relu(this);
  }
  leakyRelu(negativeSlope = 0.01): Tensor {
    return act.leakyRelu(this, negativeSlope);
  }
  elu(alpha = 1): Tensor {
    return act.elu(this, alpha);
  }
  gelu(options?: act.GeluOptions): Tensor {
    return act.gelu(this, options);
  }
  sigmoid(): Tensor {
    return act.sigmoid(this);
  }
  tanh(): Tensor {
    return act.tanh(this);
  }
  softplus(options?: act.SoftplusOptions): Tensor {
    return act.softplus(this, options);
  }
  softmax(dim: number): Tensor {
    return act.softmax(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return act.logSoftmax(this, dim);
  }

  // --- reductions -------------------------------------------------------------------------
  sum(dim?: number | number[] | null, keepDim = false): Tensor {
    return red.sum(this, dim, keepDim);
  }
  mean(dim?: number | number[] | null, keepDim = false): Tensor {
    return red.mean(this, dim, keepDim);
  }
  max(): Tensor;
  max(dim: number, keepDim?: boolean): red.ValuesIndices;
  max(dim?: number, keepDim = false): Tensor | red.ValuesIndices {
    return dim === undefined ? red.max(this) : red.max(this, dim, keepDim);
  }
  min(): Tensor;
  min(dim: number, keepDim?: boolean): red.ValuesIndices;
  min(dim?: number, keepDim = false): Tensor | red.ValuesIndices {
    return dim === undefined ? red.min(this) : red.min(this, dim, keepDim);
  }
  amax(dim?: number | number[] | null, keepDim = false): Tensor {
    return red.amax(this, dim, keepDim);
  }
  amin(dim?: number | number[] | null, keepDim = false): Tensor {
    return red.amin(this, dim, keepDim);
  }
  argmax(dim?: number, keepDim = false): Tensor {
    return red.argmax(this, dim, keepDim);
  }
  argmin(dim?: number, keepDim = false): Tensor {
    return red.argmin(this, dim, keepDim);
  }
  var(dim?: number | number[] | null, options?: red.VarOptions): Tensor {
    return red.variance(this, dim, options);
  }
  std(dim?: number | number[] | null, options?: red.VarOptions): Tensor {
    return red.std(this, dim, options);
  }
  logSumExp(dim?: number | number[] | null, keepDim = false): Tensor {
    return red.logSumExp(this, dim, keepDim);
  }

  matmul(other: Tensor, options?: MatmulOptions): Tensor {
    return matmulOp(this, other, options);
  }
}

function isShapeArg(v: unknown): v is Shape {
  return Array.isArray(v);
}

function flatArgs(args: number[] | [readonly number[]]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

/** Records `out` as made by op `name` from `inputs` when grad mode is on and an input needs
 *  a gradient. Returns `out`. */
export function record(out: Tensor, name: string, inputs: Tensor[], rule: BackwardRule): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = new Node(name, inputs, rule, out.data, writeStamp());
  }
  return out;
}

// --- creation -----------------------------------------------------------------------------

function resolveOptions(fn: string, options: TensorOptions | undefined, fallback: DType): {
  dtype: DType;
  requiresGrad: boolean;
} {
  const dtype = options?.dtype ?? fallback;
  if (!DTYPES.includes(dtype)) {
    throw new TypeError(
      `${fn}: dtype must be 'float32', 'int32' or 'bool', got ${JSON.stringify(dtype)}`,
    );
  }
  const requiresGrad = options?.requiresGrad ?? false;
  if (requiresGrad && dtype !== 'float32') {
    throw new TypeError(`${fn}: only float32 tensors can require grad, got dtype ${dtype}`);
  }
  return { dtype, requiresGrad };
}

/** True when every leaf of the nested array is a boolean (then the tensor is bool, as torch). */
function allBooleans(values: NestedArray): boolean {
  return Array.isArray(values) ? values.every(allBooleans) : typeof values === 'boolean';
}

/** Options of a creator that only makes float32 (rand, randn, linspace): its requiresGrad. */
function floatOptions(fn: string, options: TensorOptions | undefined): boolean {
  const { dtype, requiresGrad } = resolveOptions(fn, options, 'float32');
  if (dtype !== 'float32') throw new TypeError(`${fn}: dtype must be float32, got ${dtype}`);
  return requiresGrad;
}

function inferShape(fn: string, values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

function flattenInto(
  fn: string,
  values: NestedArray,
  shape: number[],
  dim: number,
  out: Storage,
  pos: { i: number },
): void {
  if (dim === shape.length) {
    if (Array.isArray(values)) {
      throw new RangeError(
        `${fn}: values must be rectangular with ${dim} dims, got an array at depth ${dim}`,
      );
    }
    if (typeof values !== 'number' && typeof values !== 'boolean') {
      throw new TypeError(`${fn}: values must be numbers or booleans, got ${typeof values}`);
    }
    out[pos.i++] = storable(values, dtypeOf(out));
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[dim]) {
    throw new RangeError(
      `${fn}: values must be rectangular with length ${shape[dim]} at depth ${dim}, got ` +
        `${Array.isArray(values) ? `length ${values.length}` : typeof values}`,
    );
  }
  for (const v of values) flattenInto(fn, v, shape, dim + 1, out, pos);
}

/**
 * Creates a tensor from nested arrays or a typed array (copied).
 * Numbers give float32 unless `dtype` says otherwise; booleans give bool; an Int32Array gives
 * int32, a Uint8Array bool.
 * @example tensor([[1, 2], [3, 4]]) // shape [2, 2]
 */
export function tensor(
  values: NestedArray | Storage | ArrayLike<number>,
  shapeOrOptions?: Shape | TensorOptions,
  maybeOptions?: TensorOptions,
): Tensor {
  const fn = 'tensor';
  const shapeArg = isShapeArg(shapeOrOptions) ? shapeOrOptions : undefined;
  const options = isShapeArg(shapeOrOptions) ? maybeOptions : (shapeOrOptions as TensorOptions | undefined);
  let fallback: DType = 'float32';
  if (values instanceof Int32Array) fallback = 'int32';
  else if (values instanceof Uint8Array) fallback = 'bool';
  else if (typeof values === 'boolean') fallback = 'bool';
  else if (Array.isArray(values) && values.length > 0 && allBooleans(values)) fallback = 'bool';
  const { dtype, requiresGrad } = resolveOptions(fn, options, fallback);
  let data: Storage;
  let shape: number[];
  if (ArrayBuffer.isView(values) || (typeof values === 'object' && values !== null && !Array.isArray(values) && 'length' in values)) {
    const src = values as ArrayLike<number>;
    shape = shapeArg ? checkShape(fn, shapeArg) : [src.length];
    if (numel(shape) !== src.length) {
      throw new RangeError(
        `${fn}: shape must hold ${src.length} elements, got ${formatShape(shape)} ` +
          `(${numel(shape)} elements)`,
      );
    }
    data = allocate(dtype, src.length);
    if (dtype === 'bool') for (let i = 0; i < src.length; ++i) data[i] = storable(src[i], dtype);
    else data.set(src);
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    shape = shapeArg ? checkShape(fn, shapeArg) : [];
    if (numel(shape) !== 1) {
      throw new RangeError(
        `${fn}: shape must hold 1 element for a number, got ${formatShape(shape)}`,
      );
    }
    data = allocate(dtype, 1);
    data[0] = storable(values, dtype);
  } else if (Array.isArray(values)) {
    const inferred = inferShape(fn, values);
    data = allocate(dtype, numel(inferred));
    flattenInto(fn, values, inferred, 0, data, { i: 0 });
    shape = inferred;
    if (shapeArg) {
      const s = checkShape(fn, shapeArg);
      if (numel(s) !== data.length) {
        throw new RangeError(
          `${fn}: shape must hold ${data.length} elements, got ${formatShape(s)} ` +
            `(${numel(s)} elements)`,
        );
      }
      shape = s;
    }
  } else {
    throw new TypeError(`${fn}: values must be a number, nested array or typed array, got ${typeof values}`);
  }
  return new Tensor(data, shape, requiresGrad);
}

function filled(
  fn: string,
  shape: Shape,
  value: number | boolean,
  options?: TensorOptions,
): Tensor {
  const s = checkShape(fn, shape);
  const fallback = typeof value === 'boolean' ? 'bool' : 'float32';
  const { dtype, requiresGrad } = resolveOptions(fn, options, fallback);
  const data = allocate(dtype, numel(s));
  data.fill(storable(value, dtype));
  return new Tensor(data, s, requiresGrad);
}

function filledLike(fn: string, t: Tensor, value: number, options?: TensorOptions): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${fn}: input must be a Tensor, got ${typeof t}`);
  return filled(fn, [...t.shape], value, { ...options, dtype: options?.dtype ?? t.dtype });
}

/** A tensor of `shape` filled with `value` (float32, or bool for a boolean value). */
export function full(shape: Shape, value: number | boolean, options?: TensorOptions): Tensor {
  return filled('full', shape, value, options);
}

export function zeros(shape: Shape, options?: TensorOptions): Tensor {
  return filled('zeros', shape, 0, options);
}

export function ones(shape: Shape, options?: TensorOptions): Tensor {
  return filled('ones', shape, 1, options);
}

/** Zeros of t's shape and dtype (not its requiresGrad). */
export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  return filledLike('zerosLike', t, 0, options);
}

export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  return filledLike('onesLike', t, 1, options);
}

export function fullLike(t: Tensor, value: number, options?: TensorOptions): Tensor {
  return filledLike('fullLike', t, value, options);
}

/** Uniform draws in [low, high) from the seeded generator (default [0, 1)). */
export function rand(shape: Shape, options?: TensorOptions & { low?: number; high?: number }): Tensor {
  const s = checkShape('rand', shape);
  const requiresGrad = floatOptions('rand', options);
  const low = options?.low ?? 0;
  const high = options?.high ?? 1;
  if (!(high > low)) throw new RangeError(`rand: high must be > low = ${low}, got ${high}`);
  const data = new Float32Array(numel(s));
  native.rngUniform(data, data.length, rngState(), low, high);
  return new Tensor(data, s, requiresGrad);
}

/** Standard normal draws (or N(mean, std²)) from the seeded generator. */
export function randn(shape: Shape, options?: TensorOptions & { mean?: number; std?: number }): Tensor {
  const s = checkShape('randn', shape);
  const requiresGrad = floatOptions('randn', options);
  const std = options?.std ?? 1;
  if (!(std >= 0)) throw new RangeError(`randn: std must be >= 0, got ${std}`);
  const data = new Float32Array(numel(s));
  native.rngNormal(data, data.length, rngState(), options?.mean ?? 0, std);
  return new Tensor(data, s, requiresGrad);
}

/** Uniform integers in [low, high), int32 (as torch.randint). */
export function randint(low: number, high: number, shape: Shape): Tensor {
  const s = checkShape('randint', shape);
  if (!Number.isInteger(low) || low < -(2 ** 31) || low >= 2 ** 31) {
    throw new RangeError(`randint: low must be an int32, got ${low}`);
  }
  if (!Number.isInteger(high) || high <= low || high > 2 ** 31) {
    throw new RangeError(`randint: high must be an integer in (${low}, 2^31], got ${high}`);
  }
  const data = new Int32Array(numel(s));
  native.rngRandint(data, data.length, rngState(), low, high);
  return new Tensor(data, s);
}

/** A random permutation of 0 .. n-1, int32. */
export function randperm(n: number): Tensor {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 31) {
    throw new RangeError(`randperm: n must be an integer in [0, 2^31), got ${n}`);
  }
  const data = new Int32Array(n);
  native.rngRandperm(data, n, rngState());
  return new Tensor(data, [n]);
}

/**
 * Values from start to end (exclusive) by step, as torch.arange: arange(5), arange(1, 4),
 * arange(0, 1, 0.25). Integer arguments give int32 unless `dtype` says otherwise. As torch,
 * the length is ceil((end - start) / step), and an int32 result truncates start and step
 * toward zero before stepping (arange(0, 5, 1.5, { dtype: 'int32' }) is [0, 1, 2, 3]).
 */
export function arange(
  startOrEnd: number,
  end?: number,
  step = 1,
  options?: TensorOptions,
): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  for (const [name, v] of [['start', start], ['end', stop], ['step', step]] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`arange: ${name} must be finite, got ${v}`);
  }
  if (step === 0) throw new RangeError('arange: step must be nonzero, got 0');
  if ((stop - start) * step < 0) {
    throw new RangeError(
      `arange: step must move from start = ${start} toward end = ${stop}, got ${step}`,
    );
  }
  const allInt = [start, stop, step].every(Number.isInteger);
  const { dtype, requiresGrad } = resolveOptions('arange', options, allInt ? 'int32' : 'float32');
  if (dtype === 'bool') throw new TypeError('arange: dtype must be float32 or int32, got bool');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocate(dtype, n) as Float32Array | Int32Array;
  if (dtype === 'int32') {
    if (Math.trunc(step) === 0) {
      throw new RangeError(`arange: step must be nonzero when truncated to int32, got ${step}`);
    }
    native.fillArange(data, n, Math.trunc(start), Math.trunc(step));
  } else {
    native.fillArange(data, n, start, step);
  }
  return new Tensor(data, [n], requiresGrad);
}

/** `steps` evenly spaced values from start to end inclusive (float32). */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new RangeError(`linspace: steps must be an integer >= 0, got ${steps}`);
  }
  const requiresGrad = floatOptions('linspace', options);
  const data = new Float32Array(steps);
  native.fillLinspace(data, steps, start, end);
  return new Tensor(data, [steps], requiresGrad);
}

/** The n x m identity (m defaults to n). */
export function eye(n: number, m: number = n, options?: TensorOptions): Tensor {
  for (const [name, v] of [['n', n], ['m', m]] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`eye: ${name} must be an integer >= 0, got ${v}`);
    }
  }
  const { dtype, requiresGrad } = resolveOptions('eye', options, 'float32');
  const data = allocate(dtype, n * m);
  const k = Math.min(n, m);
  if (k > 0) {
    const ones = allocate(dtype, 1);
    ones[0] = 1;
    native.stridedCopy(data, 0, [m + 1], ones, 0, [0], [k]);
  }
  return new Tensor(data, [n, m], requiresGrad);
}
