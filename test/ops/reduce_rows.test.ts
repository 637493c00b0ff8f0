// max / min with indices, argmax / argmin and amax on rows long enough to take every path of
// reduce_max in native/kernels/reduce.cc (16 interleaved lanes with a tail, columns in blocks of
// 256 with a tail block), against a sequential scan here: the first extreme wins ties, the
// first NaN wins over everything (as PyTorch), for float32 and int32.
import { describe, expect, it } from 'vitest';
import { argmax, argmin, max, min, tensor, type Tensor } from '../../lib/index';

/** Deterministic values with many ties: integers in [-20, 20) (as float32 or int32). */
function values(n: number, seed: number, int: boolean): Float32Array | Int32Array {
  const out = int ? new Int32Array(n) : new Float32Array(n);
  let s = seed >>> 0;
  for (let k = 0; k < n; ++k) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[k] = Math.floor((s / 2 ** 32) * 40) - 20;
  }
  return out;
}

function scan(x: ArrayLike<number>, shape: number[], dim: number, isMin: boolean) {
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const R = shape[dim];
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const vals: number[] = [];
  const idx: number[] = [];
  for (let o = 0; o < outer; ++o) {
    for (let i = 0; i < inner; ++i) {
      let best = x[o * R * inner + i];
      let arg = 0;
      for (let r = 1; r < R && !Number.isNaN(best); ++r) {
        const v = x[(o * R + r) * inner + i];
        if (Number.isNaN(v) || (isMin ? v < best : v > best)) {
          best = v;
          arg = r;
        }
      }
      vals.push(best);
      idx.push(arg);
    }
  }
  return { vals, idx };
}

const SHAPES: [number[], number][] = [
  [[3, 530], 1], // contiguous rows: lanes, a tail of 2
  [[5, 7], 1], // rows shorter than the 16 lanes
  [[64, 16], 1],
  [[1024, 9], 0], // a tall narrow column block
  [[2, 9, 270], 1], // columns in blocks of 256 and 14
  [[300, 3], 0],
  [[2, 600, 3], 1],
  [[3, 2, 600], 0], // inner 1200: 4 blocks of 256 and a tail of 176
];

describe('max / min with indices over long and strided rows agree with a sequential scan', () => {
  for (const int of [false, true]) {
    for (const isMin of [false, true]) {
      const kind = `${isMin ? 'min' : 'max'} ${int ? 'int32' : 'float32'}`;
      it.each(SHAPES.map(([s, d]) => [`x=[${s}] dim=${d}`, s, d] as const))(
        `${kind} %s`,
        (_, shape, dim) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const data = values(n, n + dim + (isMin ? 7 : 0), int);
          const x = tensor(data, shape);
          const want = scan(data, shape, dim, isMin);
          const got = (isMin ? min : max)(x, dim);
          expect(Array.from(got.values.data)).toEqual(want.vals);
          expect(Array.from(got.indices.data)).toEqual(want.idx);
          const arg = (isMin ? argmin : argmax)(x, dim) as Tensor;
          expect(Array.from(arg.data)).toEqual(want.idx);
        },
      );
    }
  }

  it.each(SHAPES.map(([s, d]) => [`x=[${s}] dim=${d}`, s, d] as const))(
    'NaN wins with its first index, contiguous and strided: %s',
    (_, shape, dim) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = values(n, 3 * n + dim, false) as Float32Array;
      for (let k = 5; k < n; k += 37) data[k] = NaN; // some rows get one or more NaNs
      const x = tensor(data, shape);
      for (const isMin of [false, true]) {
        const want = scan(data, shape, dim, isMin);
        const got = (isMin ? min : max)(x, dim);
        expect(Array.from(got.values.data)).toEqual(want.vals);
        expect(Array.from(got.indices.data)).toEqual(want.idx);
      }
    },
  );
});
