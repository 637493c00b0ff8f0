// Datasets and batching: the Dataset interface, TensorDataset, Subset, randomSplit and the
// DataLoader. Batches of a TensorDataset (or a Subset of one) are gathered with one
// indexSelect per tensor, so batching costs no per-element JavaScript. Shuffling draws from
// neurite's seeded generator, so a run restored with setRngState sees the same order.
import { indexSelect } from '../ops/index';
import { stack } from '../ops/shape';
import { getRngState, manualSeed, setRngState } from '../random';
import { formatShape } from '../shape';
import { arange, randperm, Tensor } from '../tensor';

/** A map-style dataset: `length` items, item i from get(i). */
export interface Dataset<T> {
  readonly length: number;
  get(i: number): T;
}

/** A dataset that can gather many items at once (TensorDataset, Subset of one). */
export interface BatchDataset<T> extends Dataset<T> {
  /** The items at `indices` (1-D int32), already collated. */
  getBatch(indices: Tensor): T;
}

function isBatchDataset<T>(d: Dataset<T>): d is BatchDataset<T> {
  return typeof (d as Partial<BatchDataset<T>>).getBatch === 'function';
}

/**
 * Rows of equally long tensors: item i is [t0[i], t1[i], ...].
 * @example new TensorDataset(x, y).get(0) // [x[0], y[0]]
 * @throws RangeError when the tensors' first dims differ.
 */
export class TensorDataset implements BatchDataset<Tensor[]> {
  readonly tensors: Tensor[];
  readonly length: number;

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new RangeError('TensorDataset: tensors must not be empty');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) {
        throw new TypeError(`TensorDataset: tensors[${i}] must be a Tensor, got ${typeof t}`);
      }
      if (t.ndim === 0) throw new RangeError(`TensorDataset: tensors[${i}] must have at least one dim, got shape []`);
    });
    const n = tensors[0].shape[0];
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw new RangeError(
          `TensorDataset: tensors[${i}] must have ${n} rows like tensors[0], got shape ${formatShape(t.shape)}`,
        );
      }
    });
    this.tensors = tensors;
    this.length = n;
  }

  get(i: number): Tensor[] {
    checkItem('TensorDataset', i, this.length);
    return this.tensors.map((t) => t.select(0, i));
  }

  getBatch(indices: Tensor): Tensor[] {
    return this.tensors.map((t) => indexSelect(t, 0, indices));
  }
}

function checkItem(fn: string, i: number, n: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) {
    throw new RangeError(`${fn}: index must be an integer in [0, ${n}), got ${i}`);
  }
}

/** The items of `dataset` at `indices` (as torch.utils.data.Subset). */
export class Subset<T> implements BatchDataset<T> {
  readonly dataset: Dataset<T>;
  /** int32 [length]: positions in `dataset`. */
  readonly indices: Tensor;
  readonly length: number;

  constructor(dataset: Dataset<T>, indices: Tensor | number[]) {
    const idx = indices instanceof Tensor ? indices : new Tensor(Int32Array.from(indices), [indices.length]);
    if (idx.dtype !== 'int32' || idx.ndim !== 1) {
      throw new TypeError(`Subset: indices must be a 1-D int32 Tensor, got ${idx.dtype} ${formatShape(idx.shape)}`);
    }
    this.dataset = dataset;
    this.indices = idx;
    this.length = idx.size;
  }

  get(i: number): T {
    checkItem('Subset', i, this.length);
    return this.dataset.get(this.indices.data[i]);
  }

  getBatch(indices: Tensor): T {
    const inner = indexSelect(this.indices, 0, indices);
    if (isBatchDataset(this.dataset)) return this.dataset.getBatch(inner);
    return defaultCollate(Array.from(inner.data, (j) => this.dataset.get(j)));
  }
}

/**
 * Runs fn with the global generator seeded from (seed, stream), then restores the generator,
 * so seeded shuffles neither depend on nor disturb other draws.
 */
export function withSeed<T>(seed: number, stream: number, fn: () => T): T {
  if (!Number.isInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be an integer >= 0, got ${seed}`);
  }
  const saved = getRngState();
  try {
    manualSeed((seed * 1_000_003 + stream) % Number.MAX_SAFE_INTEGER);
    return fn();
  } finally {
    setRngState(saved);
  }
}

/**
 * Splits a dataset into non-overlapping random subsets (as torch.utils.data.random_split).
 * `lengths` are item counts summing to dataset.length, or fractions summing to 1 (the
 * remainder after flooring goes one item at a time to the first subsets).
 * @param seed when given, the split does not depend on (or advance) the global generator.
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: number[], seed?: number): Subset<T>[] {
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0 || !lengths.every((l) => l >= 0)) {
    throw new RangeError(`randomSplit: lengths must be non-negative numbers, got ${JSON.stringify(lengths)}`);
  }
  let counts = lengths;
  const total = lengths.reduce((p, l) => p + l, 0);
  if (Math.abs(total - 1) < 1e-9 && !lengths.every(Number.isInteger)) {
    counts = lengths.map((f) => Math.floor(f * n));
    let rest = n - counts.reduce((p, c) => p + c, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, --rest) counts[i] += 1;
  }
  if (!counts.every(Number.isInteger) || counts.reduce((p, c) => p + c, 0) !== n) {
    throw new RangeError(
      `randomSplit: lengths must be integers summing to ${n} or fractions summing to 1, got ${JSON.stringify(lengths)}`,
    );
  }
  const perm = seed === undefined ? randperm(n) : withSeed(seed, 0, () => randperm(n));
  const out: Subset<T>[] = [];
  let at = 0;
  for (const c of counts) {
    out.push(new Subset(dataset, perm.narrow(0, at, c)));
    at += c;
  }
  return out;
}

/**
 * Collates items into a batch: tensors are stacked along a new dim 0, numbers become a 1-D
 * tensor (int32 if all integers, else float32), and arrays/objects are collated field by field.
 */
export function defaultCollate<T>(items: T[]): T {
  if (items.length === 0) throw new RangeError('defaultCollate: items must not be empty');
  const first = items[0] as unknown;
  if (first instanceof Tensor) return stack(items as unknown as Tensor[]) as unknown as T;
  if (typeof first === 'number') {
    const nums = items as unknown as number[];
    const data = nums.every(Number.isInteger) ? Int32Array.from(nums) : Float32Array.from(nums);
    return new Tensor(data, [nums.length]) as unknown as T;
  }
  if (Array.isArray(first)) {
    return first.map((_, k) =>
      defaultCollate((items as unknown as unknown[][]).map((it) => it[k])),
    ) as unknown as T;
  }
  if (typeof first === 'object' && first !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = defaultCollate((items as unknown as Record<string, unknown>[]).map((it) => it[key]));
    }
    return out as T;
  }
  throw new TypeError(`defaultCollate: items must be Tensors, numbers, arrays or objects, got ${typeof first}`);
}

export interface DataLoaderOptions<T, B> {
  /** Items per batch (default 1). */
  batchSize?: number;
  /** Reshuffle the order at every pass (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Turns a list of items into a batch (default: defaultCollate, or one indexSelect per
   *  tensor for a TensorDataset). */
  collate?: (items: T[]) => B;
  /** When given, the order of pass e is a function of (seed, e) alone; the loader does not
   *  draw from (or advance) the global generator. fit sets the pass with setEpoch. */
  seed?: number;
}

/**
 * Iterates a dataset in batches (as torch.utils.data.DataLoader). Each `for..of` is one pass.
 * Without a seed, a shuffled pass draws its permutation (randperm) from neurite's global
 * generator; with a seed it uses (seed, epoch) and advances `epoch` after each pass.
 * @example for (const [x, y] of new DataLoader(new TensorDataset(x, y), { batchSize: 64 })) ...
 */
export class DataLoader<T = Tensor[], B = T> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number | undefined;
  /** The pass that the next iteration runs (used with `seed`). */
  epoch = 0;
  private readonly collate: ((items: T[]) => B) | undefined;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const { batchSize = 1, shuffle = false, dropLast = false, collate, seed } = options;
    if (!dataset || typeof dataset.get !== 'function' || !Number.isInteger(dataset.length)) {
      throw new TypeError('DataLoader: dataset must have an integer length and a get(i) method');
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`DataLoader: batchSize must be an integer >= 1, got ${batchSize}`);
    }
    if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) {
      throw new RangeError(`DataLoader: seed must be an integer >= 0, got ${seed}`);
    }
    if (collate !== undefined && typeof collate !== 'function') {
      throw new TypeError(`DataLoader: collate must be a function, got ${typeof collate}`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.seed = seed;
    this.collate = collate;
  }

  /** Number of batches per pass. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Sets the pass number that a seeded shuffle uses next (as DistributedSampler.set_epoch). */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) {
      throw new RangeError(`DataLoader.setEpoch: epoch must be an integer >= 0, got ${epoch}`);
    }
    this.epoch = epoch;
  }

  /** The item order of the next pass, int32 [length]. */
  private order(): Tensor {
    const n = this.dataset.length;
    if (!this.shuffle) return arange(n);
    if (this.seed === undefined) return randperm(n);
    return withSeed(this.seed, this.epoch, () => randperm(n));
  }

  *[Symbol.iterator](): Iterator<B> {
    const order = this.order();
    if (this.seed !== undefined) this.epoch += 1;
    const n = order.size;
    const batches = this.length;
    for (let b = 0; b < batches; ++b) {
      const start = b * this.batchSize;
      const idx = order.narrow(0, start, Math.min(this.batchSize, n - start));
      yield this.batch(idx);
    }
  }

  private batch(idx: Tensor): B {
    const ds = this.dataset;
    if (this.collate === undefined && isBatchDataset(ds)) return ds.getBatch(idx) as unknown as B;
    const items = Array.from(idx.data, (i) => ds.get(i));
    return this.collate ? this.collate(items) : (defaultCollate(items) as unknown as B);
  }
}
