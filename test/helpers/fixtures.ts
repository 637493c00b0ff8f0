// Loads reference fixtures written by scripts/fixtures/<family>.py: JSON files holding
// named tensors as { shape, dtype, data } and plain values.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, tensor } from '../../lib/index';

export interface FixtureTensor {
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  data: (number | string)[];
}

function decode(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  throw new Error(`fixture: bad value ${v}`);
}

export function toTensor(f: FixtureTensor, requiresGrad = false): Tensor {
  const values = f.data.map(decode);
  if (f.dtype === 'int32') return tensor(Int32Array.from(values), f.shape);
  if (f.dtype === 'bool') return tensor(Uint8Array.from(values), f.shape);
  return tensor(Float32Array.from(values), f.shape, { requiresGrad });
}

const cache = new Map<string, Record<string, unknown>>();

/** The fixture file test/fixtures/<family>.json, parsed once. */
export function fixtureFile(family: string): Record<string, unknown> {
  let f = cache.get(family);
  if (!f) {
    const file = path.join(__dirname, '..', 'fixtures', `${family}.json`);
    f = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    cache.set(family, f);
  }
  return f;
}

export function isFixtureTensor(v: unknown): v is FixtureTensor {
  return typeof v === 'object' && v !== null && 'shape' in v && 'data' in v && 'dtype' in v;
}
