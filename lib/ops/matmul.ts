// matmul with torch.matmul's rules: 1-D operands get a dim added and removed again, leading
// batch dims broadcast. Products run in native GEMM (one call, or one batched call with
// per-batch offsets); the backward is two more products, summed back over broadcast dims.
import { native } from '../native';
import { broadcastShapes, contiguousStrides, formatShape, numel } from '../shape';
import { isGradEnabled } from '../autograd/grad_mode';
import { noteInPlaceWrite } from '../autograd/version';
import { record, Tensor, uninitialisedF32, type Storage } from '../tensor';
import { cast, checkTensor, describe, sumToShape } from './elementwise';
import { reshape } from './shape';

// Small products take a few microseconds, and a fresh Float32Array of a few KiB cost about as
// much as the product (2.5 KiB: ~640 ns; a view of a shared buffer ~140 ns, measured). So
// outputs up to SMALL_BYTES are carved from a pool, as Node's Buffer pool does: a live output
// keeps at most POOL_BYTES alive. 8 KiB takes in the 5 KiB weight gradients of a 128 x 10
// layer (their products went from ~0.7x to ~0.9x torch.mm through JS). (Unzeroed Buffers for the pool or for 32 KiB outputs
// measured no faster end to end, often slower, on a busy machine; the cause is not pinned down.)
const POOL_BYTES = 64 * 1024;
const SMALL_BYTES = 8 * 1024;
let pool = new ArrayBuffer(POOL_BYTES);
let poolUsed = 0;

function productOutput(n: number): Float32Array {
  const bytes = 4 * n;
  if (bytes > SMALL_BYTES) return uninitialisedF32(n);
  if (poolUsed + bytes > POOL_BYTES) {
    pool = new ArrayBuffer(POOL_BYTES);
    poolUsed = 0;
  }
  const out = new Float32Array(pool, poolUsed, n);
  poolUsed += (bytes + 63) & ~63; // next output on its own cache line
  return out;
}

/** op(A)·op(B) for 2-D A and B into `out` (M·N floats, not overlapping A or B). With tA, A is
 *  [K, M]; with tB, B is [N, K]. */
function productInto(A: Tensor, B: Tensor, tA: boolean, tB: boolean, out: Float32Array): void {
  const M = tA ? A.shape[1] : A.shape[0];
  const K = tA ? A.shape[0] : A.shape[1];
  const N = tB ? B.shape[0] : B.shape[1];
  // K = 0 gives zeros (as torch); otherwise GEMM writes every element
  if (K !== 0) native.gemmContiguous(tA, tB, M, N, K, A.data as Float32Array, B.data as Float32Array, out);
  else out.fill(0);
}

/** op(A)·op(B) for 2-D A and B; no recording. */
function product2d(A: Tensor, B: Tensor, tA: boolean, tB: boolean): Tensor {
  const M = tA ? A.shape[1] : A.shape[0];
  const N = tB ? B.shape[0] : B.shape[1];
  const K = tA ? A.shape[0] : A.shape[1];
  const out = K === 0 ? new Float32Array(M * N) : productOutput(M * N);
  if (K !== 0) productInto(A, B, tA, tB, out);
  return new Tensor(out, [M, N]);
}

/** op(A)·op(B) over broadcast batch dims, A and B with >= 2 dims; no recording. With tA, A's
 *  last two dims are [K, M]; with tB, B's are [N, K]. Writes into `into` (the result's
 *  elements, not overlapping A or B) when given. */
export function batchedProduct(
  A: Tensor,
  B: Tensor,
  tA: boolean,
  tB: boolean,
  into?: Float32Array,
): Tensor {
  if (A.ndim === 2 && B.ndim === 2) {
    if (!into) return product2d(A, B, tA, tB);
    productInto(A, B, tA, tB, into);
    return new Tensor(into, [tA ? A.shape[1] : A.shape[0], tB ? B.shape[0] : B.shape[1]]);
  }
  const [ra, ca] = A.shape.slice(-2);
  const [rb, cb] = B.shape.slice(-2);
  const M = tA ? ca : ra;
  const K = tA ? ra : ca;
  const N = tB ? rb : cb;
  const batchA = A.shape.slice(0, -2);
  const batchB = B.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', batchA, batchB);
  const count = numel(batch);
  // K = 0 gives zeros (as torch); otherwise GEMM with beta = 0 writes every element
  const out = into ?? (K === 0 ? new Float32Array(count * M * N) : uninitialisedF32(count * M * N));
  if (into && K === 0) into.fill(0);
  const a = A.data as Float32Array;
  const b = B.data as Float32Array;
  // empty products; K = 0 gives zeros, as torch
  if (count === 0 || M === 0 || N === 0 || K === 0) return new Tensor(out, [...batch, M, N]);
  if (count === 1) {
    native.gemm(tA, tB, M, N, K, 1, a, 0, ca, b, 0, cb, 0, out, 0, N);
    return new Tensor(out, [...batch, M, N]);
  }
  const stridesA = contiguousStrides(batchA);
  const stridesB = contiguousStrides(batchB);
  const aOff = new Float64Array(count);
  const bOff = new Float64Array(count);
  const cOff = new Float64Array(count);
  const leadA = batch.length - batchA.length;
  const leadB = batch.length - batchB.length;
  const idx = new Array<number>(batch.length).fill(0);
  for (let k = 0; k < count; ++k) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < batch.length; ++d) {
      if (d >= leadA && batchA[d - leadA] !== 1) ia += idx[d] * stridesA[d - leadA];
      if (d >= leadB && batchB[d - leadB] !== 1) ib += idx[d] * stridesB[d - leadB];
    }
    aOff[k] = ia * ra * ca;
    bOff[k] = ib * rb * cb;
    cOff[k] = k * M * N;
    for (let d = batch.length - 1; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  native.gemmBatched(tA, tB, M, N, K, 1, a, aOff, ca, b, bOff, cb, 0, out, cOff, N);
  return new Tensor(out, [...batch, M, N]);
}

function product(a: Tensor, b: Tensor): Tensor {
  const out = batchedProduct(a, b, false, false);
  return record(out, 'matmul', [a, b], (dy, needs) => [
    needs[0] ? sumToShape(batchedProduct(dy, b, false, true), a.shape) : null,
    needs[1] ? sumToShape(batchedProduct(a, dy, true, false), b.shape) : null,
  ]);
}

/** Options of matmul. */
export interface MatmulOptions {
  /** A float32 tensor of the result's shape to write the product into (as torch.matmul's
   *  `out=`); matmul returns it. It must not overlap a or b and is not recorded for autograd,
   *  so a and b must not require gradients while grad mode is on (use noGrad). Saves the
   *  allocation of a new result: for small products that is most of the time. */
  out?: Tensor;
}

/**
 * Matrix product with batching and broadcasting, as torch.matmul.
 * Shape: [..., M, K] x [..., K, N] -> [..., M, N]; a 1-D a is [K] (a row), a 1-D b is [K]
 * (a column), and that dim is dropped from the result.
 * @throws RangeError when the inner sizes differ: `matmul: b must be [K, N] with K = 3, got [4, 2]`
 */
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`matmul: options must be an object, got ${describe(options)}`);
  }
  const into = options?.out;
  if (into !== undefined) checkTensor('matmul', 'out', into);
  if (a.ndim === 0) throw new RangeError('matmul: a must have at least 1 dim, got shape []');
  if (b.ndim === 0) throw new RangeError('matmul: b must have at least 1 dim, got shape []');
  const K = a.shape[a.ndim - 1];
  const bK = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (bK !== K) {
    const want = b.ndim === 1 ? '[K]' : b.ndim === 2 ? '[K, N]' : '[..., K, N]';
    throw new RangeError(`matmul: b must be ${want} with K = ${K}, got ${formatShape(b.shape)}`);
  }
  const plain = a.ndim === 2 && b.ndim === 2 && a.dtype === 'float32' && b.dtype === 'float32';
  if (plain) {
    // no batch dims to broadcast
    if (into === undefined) return product(a, b);
    checkOut(a, b, into, [a.shape[0], b.shape[1]]);
    productInto(a, b, false, false, into.data as Float32Array);
    noteInPlaceWrite(into.data);
    return into;
  }
  // broadcast check with a readable message before the product
  const batchA = a.ndim <= 2 ? [] : a.shape.slice(0, -2);
  const batchB = b.ndim <= 2 ? [] : b.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', batchA, batchB);
  } catch {
    throw new RangeError(
      `matmul: batch dims of a ${formatShape(a.shape)} and b ${formatShape(b.shape)} must broadcast, ` +
        `got ${formatShape(batchA)} and ${formatShape(batchB)}`,
    );
  }
  if (into !== undefined) {
    const shape = [...batch];
    if (a.ndim > 1) shape.push(a.shape[a.ndim - 2]);
    if (b.ndim > 1) shape.push(b.shape[b.ndim - 1]);
    checkOut(a, b, into, shape);
  }
  const af = a.dtype === 'float32' ? a : cast(a, 'float32');
  const bf = b.dtype === 'float32' ? b : cast(b, 'float32');
  const a2 = a.ndim === 1 ? reshape(af, [1, K]) : af;
  const b2 = b.ndim === 1 ? reshape(bf, [K, 1]) : bf;
  if (into !== undefined) {
    batchedProduct(a2, b2, false, false, into.data as Float32Array);
    noteInPlaceWrite(into.data);
    return into;
  }
  const out = product(a2, b2);
  if (a.ndim === 1 && b.ndim === 1) return reshape(out, []);
  if (a.ndim === 1) return reshape(out, [...out.shape.slice(0, -2), out.shape[out.ndim - 1]]);
  if (b.ndim === 1) return reshape(out, out.shape.slice(0, -1));
  return out;
}

/** Checks matmul's `out` tensor: float32, the result's shape, no gradient, no overlap with a
 *  or b, and no autograd through a or b. */
function checkOut(a: Tensor, b: Tensor, out: Tensor, shape: number[]): void {
  if (out.dtype !== 'float32') throw new TypeError(`matmul: out must be float32, got ${out.dtype}`);
  if (out.shape.length !== shape.length || out.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`matmul: out must have shape ${formatShape(shape)}, got ${formatShape(out.shape)}`);
  }
  if (out.requiresGrad) {
    throw new Error('matmul: out must not require grad (it is overwritten in place), got requiresGrad = true');
  }
  if (isGradEnabled() && (a.requiresGrad || b.requiresGrad)) {
    throw new Error(
      `matmul: out is not recorded for autograd, but ${a.requiresGrad ? 'a' : 'b'} requires grad; ` +
        'call it inside noGrad(), or without out',
    );
  }
  if (overlaps(out.data, a.data)) throw new RangeError('matmul: out must not share memory with a');
  if (overlaps(out.data, b.data)) throw new RangeError('matmul: out must not share memory with b');
}

function overlaps(x: Storage, y: Storage): boolean {
  return (
    x.buffer === y.buffer &&
    x.byteLength > 0 &&
    y.byteLength > 0 &&
    x.byteOffset < y.byteOffset + y.byteLength &&
    y.byteOffset < x.byteOffset + x.byteLength
  );
}
