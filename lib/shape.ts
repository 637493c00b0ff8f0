// Shape arithmetic: sizes, contiguous strides, broadcasting and dim normalisation. Pure
// functions over number arrays; no tensor data.

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The NumPy broadcast of two shapes; throws naming `fn` when they do not broadcast. */
export function broadcastShapes(fn: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; ++i) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${fn}: shapes ${formatShape(a)} and ${formatShape(b)} must broadcast, ` +
          `got ${da} and ${db} at dim ${i}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read a contiguous tensor of `shape` as if it had `target` shape (0 on
 *  broadcast dims). `shape` must broadcast to `target`. */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = contiguousStrides(shape);
  const offset = target.length - shape.length;
  const out = new Array<number>(target.length).fill(0);
  for (let i = 0; i < shape.length; ++i) out[i + offset] = shape[i] === 1 ? 0 : own[i];
  return out;
}

/** Normalises a possibly negative dim against `rank`; throws naming `fn`. */
export function normalizeDim(fn: string, dim: number, rank: number, arg = 'dim'): number {
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new RangeError(`${fn}: ${arg} must be an integer in [${lo}, ${hi}], got ${dim}`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/** Checks a shape given by a person: integers >= 0. */
export function checkShape(fn: string, shape: unknown, arg = 'shape'): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(
      `${fn}: ${arg} must be an array of integers >= 0, got ${JSON.stringify(shape)}`,
    );
  }
  if (shape.length > 8) {
    throw new RangeError(`${fn}: ${arg} must have at most 8 dims, got ${shape.length}`);
  }
  return [...(shape as number[])];
}

/** Splits shape around `dim` into the [outer, D, inner] view the native kernels use. */
export function view3(shape: Shape, dim: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; ++i) outer *= shape[i];
  for (let i = dim + 1; i < shape.length; ++i) inner *= shape[i];
  return [outer, shape.length === 0 ? 1 : shape[dim], inner];
}
