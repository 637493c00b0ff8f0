// Elementwise ops with NumPy broadcasting: arithmetic, math functions, comparisons, where,
// clamp and casts. Forward runs in native/kernels/elementwise.cc; backward rules are written
// here from the same primitives, and broadcast gradients are summed back to input shapes.
import { noGrad } from '../autograd/grad_mode';
import { native } from '../native';
import { broadcastShapes, broadcastStrides, formatShape, shapesEqual, type Shape } from '../shape';
import { allocate, allocateUninitialised, record, Tensor, uninitialisedF32, type DType, type TensorLike } from '../tensor';
import { sum } from './reduce';

// Op codes shared with native/kernels/elementwise.h.
export enum UnaryOp {
  Neg = 0, Exp = 1, Log = 2, Sqrt = 3, Rsqrt = 4, Abs = 5, Relu = 6, LeakyRelu = 7, Elu = 8,
  Gelu = 9, GeluTanh = 10, Sigmoid = 11, Tanh = 12, Softplus = 13, Clamp = 14, PowScalar = 15,
  Sign = 16,
}
const enum BinaryOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Pow = 4, Maximum = 5, Minimum = 6 }
const enum CompareOp { Eq = 0, Ne = 1, Lt = 2, Le = 3, Gt = 4, Ge = 5 }

/** Checks that x is a Tensor (or a number when allowed), naming fn and arg. */
export function checkTensor(fn: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) {
    throw new TypeError(`${fn}: ${arg} must be a Tensor, got ${describe(x)}`);
  }
  return x;
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (x instanceof Tensor) return `a ${x.dtype} Tensor of shape ${formatShape(x.shape)}`;
  return typeof x;
}

function scalarTensor(v: number, dtype: DType): Tensor {
  const data = allocate(dtype, 1);
  data[0] = v;
  return new Tensor(data, []);
}

/** Converts a number operand to a 0-d tensor next to a tensor operand. */
function operands(fn: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new TypeError(`${fn}: a or b must be a Tensor, got two numbers`);
  }
  if (typeof a === 'number') {
    const tb = checkTensor(fn, 'b', b);
    return [scalarTensor(a, Number.isInteger(a) && tb.dtype !== 'float32' ? 'int32' : 'float32'), tb];
  }
  const ta = checkTensor(fn, 'a', a);
  if (typeof b === 'number') {
    return [ta, scalarTensor(b, Number.isInteger(b) && ta.dtype !== 'float32' ? 'int32' : 'float32')];
  }
  return [ta, checkTensor(fn, 'b', b)];
}

/** PyTorch-style promotion within float32 > int32 > bool. */
function promote(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'int32' || b === 'int32') return 'int32';
  return 'bool';
}

/** Sums a broadcast gradient back to `shape`. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; ++i) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length > 0 ? sum(g, dims, true) : g;
  return new Tensor(s.data, shape);
}

/** a + b without recording, for gradient accumulation. */
export function addNoGrad(a: Tensor, b: Tensor): Tensor {
  return noGrad(() => add(a, b));
}

/** acc += g in place, same shapes: accumulates a gradient into storage the backward engine
 *  owns (the kernel reads each element before writing it, so out may be a). */
export function addInto(acc: Tensor, g: Tensor): void {
  const strides = broadcastStrides(acc.shape, acc.shape);
  native.binary(
    BinaryOp.Add, acc.data as Float32Array, acc.data as Float32Array, strides,
    g.data as Float32Array, strides, acc.shape as number[],
  );
}

function binaryRaw(fn: string, op: BinaryOp, a: Tensor, b: Tensor, dtype: DType): Tensor {
  const shape = broadcastShapes(fn, a.shape, b.shape);
  const ac = a.dtype === dtype ? a : cast(a, dtype);
  const bc = b.dtype === dtype ? b : cast(b, dtype);
  const out = allocateUninitialised(dtype, shape.reduce((p, d) => p * d, 1)) as Float32Array | Int32Array;
  native.binary(
    op, out, ac.data as Float32Array, broadcastStrides(a.shape, shape),
    bc.data as Float32Array, broadcastStrides(b.shape, shape), shape,
  );
  return new Tensor(out, shape);
}

function arithmeticType(a: Tensor, b: Tensor, floatOnly: boolean): DType {
  const t = promote(a.dtype, b.dtype);
  if (floatOnly) return 'float32';
  return t === 'bool' ? 'int32' : t;
}

/** a + b, broadcast. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('add', a, b);
  const out = binaryRaw('add', BinaryOp.Add, x, y, arithmeticType(x, y, false));
  return record(out, 'add', [x, y], (dy, needs) => [
    needs[0] ? sumToShape(dy, x.shape) : null,
    needs[1] ? sumToShape(dy, y.shape) : null,
  ]);
}

/** a - b, broadcast. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('sub', a, b);
  const out = binaryRaw('sub', BinaryOp.Sub, x, y, arithmeticType(x, y, false));
  return record(out, 'sub', [x, y], (dy, needs) => [
    needs[0] ? sumToShape(dy, x.shape) : null,
    needs[1] ? sumToShape(neg(dy), y.shape) : null,
  ]);
}

/** a * b, broadcast. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('mul', a, b);
  const out = binaryRaw('mul', BinaryOp.Mul, x, y, arithmeticType(x, y, false));
  return record(out, 'mul', [x, y], (dy, needs) => [
    needs[0] ? sumToShape(mul(dy, y), x.shape) : null,
    needs[1] ? sumToShape(mul(dy, x), y.shape) : null,
  ]);
}

/** a / b, broadcast; true division (integer inputs give float32). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('div', a, b);
  const out = binaryRaw('div', BinaryOp.Div, x, y, 'float32');
  return record(out, 'div', [x, y], (dy, needs) => [
    needs[0] ? sumToShape(div(dy, y), x.shape) : null,
    needs[1] ? sumToShape(neg(div(mul(dy, out), y)), y.shape) : null,
  ]);
}

/** a ** b: b a number (fast path) or a tensor, broadcast. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return unary('pow', UnaryOp.PowScalar, a, b, 0);
  const [x, y] = operands('pow', a, b);
  const out = binaryRaw('pow', BinaryOp.Pow, x, y, 'float32');
  return record(out, 'pow', [x, y], (dy, needs) => [
    // d/da a^b = b a^(b-1), taken as 0 where b == 0 (as PyTorch; 0 * 0^-1 would be NaN)
    needs[0] ? sumToShape(where(eq(y, 0), 0, mul(mul(dy, y), pow(x, sub(y, 1)))), x.shape) : null,
    // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (as PyTorch)
    needs[1]
      ? sumToShape(where(logicalAnd(eq(x, 0), ge(y, 0)), 0, mul(mul(dy, out), log(x))), y.shape)
      : null,
  ]);
}

function minmax(fn: string, op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(fn, a, b);
  const out = binaryRaw(fn, op, x, y, arithmeticType(x, y, false));
  return record(out, fn, [x, y], (dy, needs) => {
    // as PyTorch: ties split the gradient in half, the losing side gets 0, and where either
    // side is NaN (no winner, no loser) both get all of it
    const half = where(eq(x, y), mul(dy, 0.5), dy);
    const xLoses = op === BinaryOp.Maximum ? lt(x, y) : gt(x, y);
    const yLoses = op === BinaryOp.Maximum ? gt(x, y) : lt(x, y);
    return [
      needs[0] ? sumToShape(where(xLoses, 0, half), x.shape) : null,
      needs[1] ? sumToShape(where(yLoses, 0, half), y.shape) : null,
    ];
  });
}

/** Elementwise maximum, broadcast; NaN propagates. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return minmax('maximum', BinaryOp.Maximum, a, b);
}

/** Elementwise minimum, broadcast; NaN propagates. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minmax('minimum', BinaryOp.Minimum, a, b);
}

/** Applies a native unary op; integer inputs are cast to float32 first. With `overwrite`, y
 *  goes over x's float32 storage: only for a caller that owns x, and only for an op whose
 *  backward gets the same from y as from x (relu). */
export function unary(
  fn: string, op: UnaryOp, x: Tensor, alpha = 0, beta = 0, overwrite = false,
): Tensor {
  checkTensor(fn, 'input', x);
  const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
  const y = overwrite ? (xf.data as Float32Array) : uninitialisedF32(xf.size);
  native.unaryForward(op, y, xf.data as Float32Array, y.length, alpha, beta);
  const out = new Tensor(y, x.shape);
  return record(out, fn, [x], (dy, _needs, dyWritable) => {
    // the kernel may write dx over dy: in place saves a fresh buffer the size of x
    const dx = dyWritable ? (dy.data as Float32Array) : uninitialisedF32(dy.size);
    native.unaryBackward(
      op, dx, dy.data as Float32Array, xf.data as Float32Array, y, dx.length, alpha, beta,
    );
    return [new Tensor(dx, x.shape)];
  });
}

export function neg(x: Tensor): Tensor {
  if (x instanceof Tensor && x.dtype !== 'float32') return sub(0, x);
  return unary('neg', UnaryOp.Neg, x);
}
export function exp(x: Tensor): Tensor {
  return unary('exp', UnaryOp.Exp, x);
}
export function log(x: Tensor): Tensor {
  return unary('log', UnaryOp.Log, x);
}
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', UnaryOp.Sqrt, x);
}
export function rsqrt(x: Tensor): Tensor {
  return unary('rsqrt', UnaryOp.Rsqrt, x);
}
export function abs(x: Tensor): Tensor {
  if (x instanceof Tensor && x.dtype !== 'float32') return maximum(x, sub(0, x));
  return unary('abs', UnaryOp.Abs, x);
}
/** -1, 0 or 1 by sign (gradient 0). */
export function sign(x: Tensor): Tensor {
  return unary('sign', UnaryOp.Sign, x);
}
export function square(x: Tensor): Tensor {
  return unary('square', UnaryOp.PowScalar, x, 2);
}

/** Clamps into [min, max]; either bound may be null. Gradient passes where min <= x <= max. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkTensor('clamp', 'input', x);
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (typeof lo !== 'number' || Number.isNaN(lo)) {
    throw new TypeError(`clamp: min must be a number or null, got ${describe(min)}`);
  }
  if (typeof hi !== 'number' || Number.isNaN(hi)) {
    throw new TypeError(`clamp: max must be a number or null, got ${describe(max)}`);
  }
  if (min == null && max == null) {
    throw new RangeError('clamp: min and max must not both be null');
  }
  return unary('clamp', UnaryOp.Clamp, x, lo, hi);
}

function compare(fn: string, op: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(fn, a, b);
  const shape = broadcastShapes(fn, x.shape, y.shape);
  let t = promote(x.dtype, y.dtype);
  if (t === 'bool') t = 'int32';
  const xc = x.dtype === t ? x : cast(x, t);
  const yc = y.dtype === t ? y : cast(y, t);
  const out = new Uint8Array(shape.reduce((p, d) => p * d, 1));
  native.compare(
    op, out, xc.data as Float32Array, broadcastStrides(x.shape, shape),
    yc.data as Float32Array, broadcastStrides(y.shape, shape), shape,
  );
  return new Tensor(out, shape);
}

/** a == b (bool tensor). */
export function eq(a: TensorLike, b: TensorLike): Tensor {
  return compare('eq', CompareOp.Eq, a, b);
}
export function ne(a: TensorLike, b: TensorLike): Tensor {
  return compare('ne', CompareOp.Ne, a, b);
}
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return compare('lt', CompareOp.Lt, a, b);
}
export function le(a: TensorLike, b: TensorLike): Tensor {
  return compare('le', CompareOp.Le, a, b);
}
export function gt(a: TensorLike, b: TensorLike): Tensor {
  return compare('gt', CompareOp.Gt, a, b);
}
export function ge(a: TensorLike, b: TensorLike): Tensor {
  return compare('ge', CompareOp.Ge, a, b);
}

/** a and b as 0 / 1 int32 (x != 0), checked to broadcast under fn's name. */
function truthValues(fn: string, a: Tensor, b: Tensor): [Tensor, Tensor] {
  checkTensor(fn, 'a', a);
  checkTensor(fn, 'b', b);
  broadcastShapes(fn, a.shape, b.shape);
  return [cast(cast(a, 'bool'), 'int32'), cast(cast(b, 'bool'), 'int32')];
}

/** a || b elementwise (nonzero is true), broadcast; bool. */
export function logicalOr(a: Tensor, b: Tensor): Tensor {
  const [x, y] = truthValues('logicalOr', a, b);
  return ne(add(x, y), 0);
}
/** a && b elementwise (nonzero is true), broadcast; bool. */
export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  const [x, y] = truthValues('logicalAnd', a, b);
  return ne(mul(x, y), 0);
}
/** !a elementwise (nonzero is true); bool. */
export function logicalNot(a: Tensor): Tensor {
  checkTensor('logicalNot', 'input', a);
  return eq(a, 0);
}

/** cond ? a : b elementwise, broadcast over all three. cond is a bool tensor (other dtypes
 *  are read as x != 0); a and b may both be numbers (float32 result). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor('where', 'condition', cond);
  const [x, y] =
    typeof a === 'number' && typeof b === 'number'
      ? [scalarTensor(a, 'float32'), scalarTensor(b, 'float32')]
      : operands('where', a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, x.shape), y.shape);
  let t = promote(x.dtype, y.dtype);
  const xc = x.dtype === t ? x : cast(x, t);
  const yc = y.dtype === t ? y : cast(y, t);
  const c = cond.dtype === 'bool' ? cond : cast(cond, 'bool');
  const n = shape.reduce((p, d) => p * d, 1);
  let out: Tensor;
  if (t === 'bool') {
    // bool operands: select through int32, then back
    const xi = cast(xc, 'int32');
    const yi = cast(yc, 'int32');
    const tmp = new Int32Array(n);
    native.where(
      tmp, c.data as Uint8Array, broadcastStrides(cond.shape, shape),
      xi.data as Int32Array, broadcastStrides(x.shape, shape),
      yi.data as Int32Array, broadcastStrides(y.shape, shape), shape,
    );
    out = cast(new Tensor(tmp, shape), 'bool');
    t = 'bool';
  } else {
    const data = allocateUninitialised(t, n) as Float32Array | Int32Array;
    native.where(
      data, c.data as Uint8Array, broadcastStrides(cond.shape, shape),
      xc.data as Float32Array, broadcastStrides(x.shape, shape),
      yc.data as Float32Array, broadcastStrides(y.shape, shape), shape,
    );
    out = new Tensor(data, shape);
  }
  return record(out, 'where', [x, y], (dy, needs) => [
    needs[0] ? sumToShape(where(c, dy, 0), x.shape) : null,
    needs[1] ? sumToShape(where(c, 0, dy), y.shape) : null,
  ]);
}

/** A copy of x as `dtype` (x itself when it already has it). float -> int truncates toward
 *  zero; anything -> bool is x != 0. Gradients flow through casts between float types only. */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', 'input', x);
  if (x.dtype === dtype) return x;
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new TypeError(`cast: dtype must be 'float32', 'int32' or 'bool', got ${JSON.stringify(dtype)}`);
  }
  const out = allocateUninitialised(dtype, x.size);
  native.cast(out, x.data, x.size);
  return new Tensor(out, x.shape);
}
