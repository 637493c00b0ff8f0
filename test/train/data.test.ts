import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  arange, DataLoader, datasets, manualSeed, randn, randomSplit, Subset, tensor, Tensor,
  TensorDataset, type Dataset,
} from '../../lib/index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurite-data-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function rowsOf(batches: Iterable<Tensor[]>, k = 0): number[] {
  const out: number[] = [];
  for (const b of batches) out.push(...Array.from(b[k].data));
  return out;
}

describe('TensorDataset', () => {
  it('returns rows and batches of every tensor', () => {
    const x = arange(12).reshape([6, 2]);
    const y = arange(6);
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(6);
    const [xi, yi] = ds.get(4);
    expect(xi.toArray()).toEqual([8, 9]);
    expect(yi.item()).toBe(4);
    const [xb, yb] = ds.getBatch(tensor(Int32Array.of(5, 0)));
    expect(xb.toArray()).toEqual([[10, 11], [0, 1]]);
    expect(yb.toArray()).toEqual([5, 0]);
  });
  it('names mismatched tensors and bad indices', () => {
    expect(() => new TensorDataset(randn([3, 2]), randn([4]))).toThrow(
      /TensorDataset: tensors\[1\] must have 3 rows like tensors\[0\], got shape \[4\]/,
    );
    expect(() => new TensorDataset(randn([3])).get(3)).toThrow(/index must be an integer in \[0, 3\), got 3/);
  });
});

describe('DataLoader', () => {
  const ds = new TensorDataset(arange(10).reshape([10, 1]), arange(10));

  it('batches in order, keeping a short last batch unless dropLast', () => {
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const sizes = [...loader].map((b) => b[0].shape[0]);
    expect(sizes).toEqual([4, 4, 2]);
    expect(rowsOf(loader, 1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const dropped = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(dropped.length).toBe(2);
    expect([...dropped].map((b) => b[0].shape)).toEqual([[4, 1], [4, 1]]);
  });

  it('shuffles with the global generator: a permutation, new each pass, repeatable by seed', () => {
    const loader = new DataLoader(ds, { batchSize: 3, shuffle: true });
    manualSeed(7);
    const a1 = rowsOf(loader, 1);
    const a2 = rowsOf(loader, 1);
    manualSeed(7);
    expect(rowsOf(loader, 1)).toEqual(a1);
    expect(rowsOf(loader, 1)).toEqual(a2);
    expect([...a1].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a1).not.toEqual(a2);
  });

  it('with a seed, pass e depends only on (seed, e) and leaves the global generator alone', () => {
    const l1 = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 3 });
    const l2 = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 3 });
    manualSeed(1);
    const before = randn([3]).toArray();
    manualSeed(1);
    const e0 = rowsOf(l1, 1);
    const e1 = rowsOf(l1, 1);
    expect(randn([3]).toArray()).toEqual(before);
    expect(rowsOf(l2, 1)).toEqual(e0);
    l2.setEpoch(1);
    expect(rowsOf(l2, 1)).toEqual(e1);
    expect(e0).not.toEqual(e1);
  });

  it('collates generic datasets: tensors stacked, numbers to tensors, objects by key', () => {
    const items: Dataset<{ x: Tensor; label: number }> = {
      length: 5,
      get: (i) => ({ x: tensor([i, -i]), label: i * 2 }),
    };
    const batches = [...new DataLoader(items, { batchSize: 2 })];
    expect(batches.length).toBe(3);
    expect(batches[0].x.toArray()).toEqual([[0, -0], [1, -1]]);
    expect((batches[0].label as unknown as Tensor).dtype).toBe('int32');
    expect((batches[2].label as unknown as Tensor).toArray()).toEqual([8]);
    const custom = new DataLoader(items, { batchSize: 5, collate: (xs) => xs.length });
    expect([...custom]).toEqual([5]);
  });

  it('rejects bad options', () => {
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize must be an integer >= 1, got 0/);
    expect(() => new DataLoader(ds, { seed: -1 })).toThrow(/seed must be an integer >= 0, got -1/);
  });

  it('covers every row exactly once per shuffled pass of a large dataset', () => {
    const big = new TensorDataset(randn([5000, 784]), arange(5000));
    const seen = rowsOf(new DataLoader(big, { batchSize: 64, shuffle: true }), 1);
    expect(seen.length).toBe(5000);
    expect(new Set(seen).size).toBe(5000);
  });
});

describe('randomSplit', () => {
  const ds = new TensorDataset(arange(10));
  it('splits by counts into disjoint subsets covering the dataset', () => {
    const [a, b] = randomSplit(ds, [7, 3], 42);
    expect([a.length, b.length]).toEqual([7, 3]);
    const all = [...rowsOf(new DataLoader(a, { batchSize: 10 })), ...rowsOf(new DataLoader(b, { batchSize: 10 }))];
    expect(all.sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [a2] = randomSplit(ds, [7, 3], 42);
    expect(Array.from(a2.indices.data)).toEqual(Array.from(a.indices.data));
  });
  it('splits by fractions, giving the remainder to the first subsets', () => {
    const parts = randomSplit(ds, [0.33, 0.33, 0.34], 1);
    expect(parts.map((p) => p.length)).toEqual([4, 3, 3]);
    expect(parts[0]).toBeInstanceOf(Subset);
    expect(parts[0].get(0)[0].ndim).toBe(0);
  });
  it('rejects lengths that do not add up', () => {
    expect(() => randomSplit(ds, [5, 4])).toThrow(/lengths must be integers summing to 10 or fractions summing to 1/);
  });
});

describe('datasets', () => {
  it('mnist: 8000 / 2000 disjoint, deterministic, images [N,1,28,28] in [0,1], int32 labels', () => {
    const { train, test } = datasets.mnist();
    expect(train.length).toBe(8000);
    expect(test.length).toBe(2000);
    const [x, y] = train.tensors;
    expect(x.shape).toEqual([8000, 1, 28, 28]);
    expect(x.dtype).toBe('float32');
    expect(y.dtype).toBe('int32');
    expect(x.min().item()).toBeGreaterThanOrEqual(0);
    expect(x.max().item()).toBeLessThanOrEqual(1);
    // every class is present in both parts, in roughly its share
    const counts = Array.from({ length: 10 }, (_, c) => y.eq(c).sum().item() as number);
    expect(Math.min(...counts)).toBeGreaterThan(600);
    const again = datasets.mnist({ train: 100, test: 10 });
    expect(Array.from(again.train.tensors[1].data)).toEqual(Array.from(y.data).slice(0, 100));
    expect(() => datasets.mnist({ train: 9000, test: 2000 })).toThrow(/train \+ test must be <= 10000/);
  });

  it('readIdx reads big-endian IDX files (ubyte images and int labels), gzipped too', () => {
    const header = Buffer.from([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]);
    const pixels = Buffer.from([0, 255, 128, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const file = path.join(dir, 'images.idx3-ubyte');
    fs.writeFileSync(file, Buffer.concat([header, pixels]));
    const raw = datasets.readIdx(file);
    expect(raw.shape).toEqual([2, 2, 3]);
    expect(raw.dtype).toBe('int32');
    expect(Array.from(raw.data)).toEqual(Array.from(pixels));
    const norm = datasets.readIdx(file, { normalize: true });
    expect(norm.dtype).toBe('float32');
    expect(norm.data[1]).toBeCloseTo(1);
    const ints = Buffer.alloc(4 + 4 + 8);
    ints.set([0, 0, 0x0c, 1]);
    ints.writeUInt32BE(2, 4);
    ints.writeInt32BE(-5, 8);
    ints.writeInt32BE(70000, 12);
    const gz = path.join(dir, 'ints.idx.gz');
    fs.writeFileSync(gz, require('node:zlib').gzipSync(ints));
    expect(datasets.readIdx(gz).toArray()).toEqual([-5, 70000]);
    fs.writeFileSync(file, Buffer.concat([header, pixels.subarray(0, 5)]));
    expect(() => datasets.readIdx(file)).toThrow(/ubyte data of shape \[2, 2, 3\] needs 28 bytes, got 21/);
  });

  it('readCsv reads numeric tables with a header and a label column', () => {
    const file = path.join(dir, 't.csv');
    fs.writeFileSync(file, 'a,b,label\n1,2.5,0\n3,-4,1\n\n5,6e-1,2\n');
    const t = datasets.readCsv(file, { labelColumn: 'label' });
    expect(t.features.toArray()).toEqual([[1, 2.5], [3, -4], [5, Math.fround(0.6)]]);
    expect(t.labels!.dtype).toBe('int32');
    expect(t.labels!.toArray()).toEqual([0, 1, 2]);
    expect(t.columns).toEqual(['a', 'b']);
    const plain = datasets.readCsv(file, { header: true });
    expect(plain.features.shape).toEqual([3, 3]);
    fs.writeFileSync(file, 'a,b\n1,x\n');
    expect(() => datasets.readCsv(file)).toThrow(/line 2, column b must be a number, got "x"/);
  });
});
