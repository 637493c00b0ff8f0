// The N-API boundary: every raw export of the addon called with wrong argument counts, wrong
// types, short arrays, bad sizes, out-of-bounds strides and indices. Each bad call must throw a
// TypeError or RangeError whose message starts with the export's name, and the process must
// survive. Calls that could kill or hang the process if a check were missing run in a child
// process (see `isolated`). The checks under test live in native/binding/args.{h,cc}.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native';

type Fn = (...args: unknown[]) => unknown;
const raw = native as unknown as Record<string, Fn>;
const ROOT = path.resolve(__dirname, '..', '..');

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------------------------------------
// Argument kinds and the bad values each kind must refuse

type ErrorType = typeof TypeError | typeof RangeError;
interface Bad {
  desc: string;
  value: unknown;
  error: ErrorType;
  /** false when the message cannot name this argument (e.g. a rank mismatch blames strides) */
  named?: boolean;
}

type Kind =
  | { kind: 'f32' | 'i32' | 'u8' | 'bits32' | 'any'; exact: boolean }
  | { kind: 'state' | 'offsets' | 'nullableI32' | 'nullableF32' | 'num' | 'bool' | 'size' | 'dims' }
  | { kind: 'int'; lo: number; hi: number }
  /** an argument the valid call's options make the export ignore */
  | { kind: 'unused' };

interface Arg {
  name: string;
  type: Kind;
  value: () => unknown;
}

const commonTypeErrors = (): Bad[] => [
  { desc: 'a number', value: 4, error: TypeError },
  { desc: 'a string', value: 'x', error: TypeError },
  { desc: 'undefined', value: undefined, error: TypeError },
  { desc: 'an object', value: {}, error: TypeError },
];

function shorter(v: unknown): unknown {
  const t = v as Float32Array;
  return t.subarray(0, t.length - 1);
}

function badValues(type: Kind, valid: unknown): Bad[] {
  switch (type.kind) {
    case 'f32':
    case 'i32':
    case 'u8':
    case 'bits32':
    case 'any': {
      const len = (valid as ArrayLike<number>).length;
      const bad: Bad[] = [
        ...commonTypeErrors(),
        { desc: 'null', value: null, error: TypeError },
        { desc: 'a plain array', value: Array.from({ length: len }, () => 0), error: TypeError },
        { desc: 'a Float64Array', value: new Float64Array(len), error: TypeError },
        { desc: 'a DataView', value: new DataView(new ArrayBuffer(4 * len)), error: TypeError },
      ];
      if (type.kind === 'f32') {
        bad.push({ desc: 'a Uint32Array', value: new Uint32Array(len), error: TypeError });
      }
      if (type.kind === 'i32') {
        bad.push({ desc: 'a Float32Array', value: new Float32Array(len), error: TypeError });
      }
      if (type.kind === 'u8') {
        bad.push({ desc: 'an Int8Array', value: new Int8Array(len), error: TypeError });
      }
      if (type.kind === 'bits32') {
        bad.push({ desc: 'a Uint8Array', value: new Uint8Array(4 * len), error: TypeError });
      }
      if (type.exact && len > 0) {
        bad.push({ desc: 'one element short', value: shorter(valid), error: RangeError });
      }
      return bad;
    }
    case 'state':
      return [
        ...commonTypeErrors(),
        { desc: 'an Int32Array(4)', value: new Int32Array(4), error: TypeError },
        { desc: 'a Uint32Array(3)', value: new Uint32Array(3), error: RangeError },
      ];
    case 'nullableI32':
      return [
        { desc: 'a number', value: 4, error: TypeError },
        { desc: 'a Float32Array', value: new Float32Array(3), error: TypeError },
        { desc: 'one element short', value: shorter(valid), error: RangeError },
      ];
    case 'nullableF32':
      return [
        { desc: 'a number', value: 4, error: TypeError },
        { desc: 'a string', value: 'x', error: TypeError },
        { desc: 'an Int32Array', value: new Int32Array((valid as Float32Array).length), error: TypeError },
        { desc: 'a Float64Array', value: new Float64Array((valid as Float32Array).length), error: TypeError },
        { desc: 'one element short', value: shorter(valid), error: RangeError },
      ];
    case 'offsets': {
      const v = valid as Float64Array;
      const withFirst = (x: number): Float64Array => {
        const c = v.slice();
        c[0] = x;
        return c;
      };
      return [
        ...commonTypeErrors(),
        { desc: 'a Float32Array', value: new Float32Array(v.length), error: TypeError },
        { desc: 'a plain array', value: Array.from(v), error: TypeError },
        { desc: 'holding -1', value: withFirst(-1), error: RangeError },
        { desc: 'holding 0.5', value: withFirst(0.5), error: RangeError },
        { desc: 'holding NaN', value: withFirst(NaN), error: RangeError },
        { desc: 'holding 2**53', value: withFirst(2 ** 53), error: RangeError },
        { desc: 'holding 1e300', value: withFirst(1e300), error: RangeError },
        { desc: 'one entry short', value: v.subarray(0, v.length - 1), error: RangeError },
      ];
    }
    case 'num':
      return [
        { desc: 'a string', value: '1', error: TypeError },
        { desc: 'undefined', value: undefined, error: TypeError },
        { desc: 'null', value: null, error: TypeError },
        { desc: 'a bigint', value: 1n, error: TypeError },
        { desc: 'a boolean', value: true, error: TypeError },
        { desc: 'a Number object', value: new Number(1), error: TypeError },
      ];
    case 'bool':
      return [
        { desc: 'a number', value: 1, error: TypeError },
        { desc: 'a string', value: 'true', error: TypeError },
        { desc: 'undefined', value: undefined, error: TypeError },
        { desc: 'null', value: null, error: TypeError },
      ];
    case 'size':
      return [
        ...commonTypeErrors().filter((b) => typeof b.value !== 'number'),
        { desc: 'a numeric string', value: '3', error: TypeError },
        { desc: 'a bigint', value: 3n, error: TypeError },
        { desc: 'null', value: null, error: TypeError },
        { desc: '-1', value: -1, error: RangeError },
        { desc: '0.5', value: 0.5, error: RangeError },
        { desc: '1.5', value: 1.5, error: RangeError },
        { desc: 'NaN', value: NaN, error: RangeError },
        { desc: 'Infinity', value: Infinity, error: RangeError },
        { desc: '-Infinity', value: -Infinity, error: RangeError },
        { desc: '2**53', value: 2 ** 53, error: RangeError },
        { desc: '1e300', value: 1e300, error: RangeError },
      ];
    case 'int':
      return [
        { desc: 'a string', value: String(type.lo), error: TypeError },
        { desc: 'undefined', value: undefined, error: TypeError },
        { desc: 'a bigint', value: BigInt(type.lo), error: TypeError },
        { desc: `${type.lo - 1} (below ${type.lo})`, value: type.lo - 1, error: RangeError },
        { desc: `${type.hi + 1} (above ${type.hi})`, value: type.hi + 1, error: RangeError },
        { desc: `${type.lo + 0.5}`, value: type.lo + 0.5, error: RangeError },
        { desc: 'NaN', value: NaN, error: RangeError },
        { desc: 'Infinity', value: Infinity, error: RangeError },
        { desc: '1e300', value: 1e300, error: RangeError },
        { desc: '-1e300', value: -1e300, error: RangeError },
      ];
    case 'unused':
      return [];
    case 'dims': {
      const v = valid as number[];
      const withFirst = (x: unknown): unknown[] => [x, ...v.slice(1)];
      const bad: Bad[] = [
        ...commonTypeErrors(),
        { desc: 'an Int32Array', value: Int32Array.from(v), error: TypeError },
        { desc: 'an array-like object', value: { ...v, length: v.length }, error: TypeError },
        { desc: 'a Proxy of an array', value: new Proxy([...v], {}), error: TypeError },
        { desc: 'rank 9', value: Array.from({ length: 9 }, () => 1), error: RangeError },
        { desc: 'rank 100000', value: new Array(100000).fill(1), error: RangeError },
      ];
      if (v.length > 0) {
        bad.push(
          { desc: 'holding -1', value: withFirst(-1), error: RangeError },
          { desc: 'holding 0.5', value: withFirst(0.5), error: RangeError },
          { desc: 'holding NaN', value: withFirst(NaN), error: RangeError },
          { desc: 'holding Infinity', value: withFirst(Infinity), error: RangeError },
          { desc: 'holding 2**53', value: withFirst(2 ** 53), error: RangeError },
          { desc: 'holding 1e300', value: withFirst(1e300), error: RangeError },
          { desc: 'holding a string', value: withFirst('1'), error: RangeError },
          { desc: 'holding null', value: withFirst(null), error: RangeError },
          // eslint-disable-next-line no-sparse-arrays
          { desc: 'with a hole', value: [, ...v.slice(1)], error: RangeError },
          {
            desc: `rank ${v.length - 1}`, value: v.slice(1), error: RangeError, named: false,
          },
          {
            desc: `rank ${v.length + 1}`, value: [1, ...v], error: RangeError, named: false,
          },
        );
      }
      return bad;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One valid call per export; each argument is then replaced by each bad value of its kind

const state = (): Uint32Array => {
  const s = new Uint32Array(4);
  raw.rngSeed(s, 1);
  return s;
};
const a = (name: string, type: Kind, value: () => unknown): Arg => ({ name, type, value });
const F = (n: number) => () => new Float32Array(n).fill(0.5);
const I = (values: number[]) => () => Int32Array.from(values);
const num = (v: number) => () => v;
const size = (name: string, v: number): Arg => a(name, { kind: 'size' }, num(v));
const dims = (name: string, v: number[]): Arg => a(name, { kind: 'dims' }, () => [...v]);
const int = (name: string, v: number, lo: number, hi: number): Arg =>
  a(name, { kind: 'int', lo, hi }, num(v));
const numArg = (name: string, v: number): Arg => a(name, { kind: 'num' }, num(v));
const bool = (name: string, v: boolean): Arg => a(name, { kind: 'bool' }, () => v);
const exact = (kind: 'f32' | 'i32' | 'u8' | 'bits32' | 'any'): Kind => ({ kind, exact: true });
const free = (kind: 'f32' | 'i32' | 'u8' | 'bits32' | 'any'): Kind => ({ kind, exact: false });

interface Case {
  fn: string;
  args: Arg[];
}

// mode (2: LSTM), flags, dims [T, N, F, H, P]
const RNN_CONFIG: Arg[] = [
  int('mode', 2, 0, 3), int('flags', 0, 0, 31), dims('dims', [3, 2, 4, 5, 5]),
];
const rnnSizes = (): number[] => raw.rnnWorkspaceSizes(2, 0, [3, 2, 4, 5, 5]) as number[];

// N, C, H, W, K, KH, KW, OH, OW, strides, pads (top, left), dilations, groups
const CONV_GEOMETRY: Arg[] = [
  int('N', 1, 0, INT32_MAX), int('C', 2, 0, INT32_MAX), int('H', 4, 0, INT32_MAX),
  int('W', 4, 0, INT32_MAX), int('K', 3, 0, INT32_MAX), int('KH', 3, 1, INT32_MAX),
  int('KW', 3, 1, INT32_MAX), int('OH', 2, 0, INT32_MAX), int('OW', 2, 0, INT32_MAX),
  int('strideH', 1, 1, INT32_MAX), int('strideW', 1, 1, INT32_MAX),
  int('padTop', 0, 0, INT32_MAX), int('padLeft', 0, 0, INT32_MAX),
  int('dilationH', 1, 1, INT32_MAX), int('dilationW', 1, 1, INT32_MAX),
  int('groups', 1, 1, INT32_MAX),
];
// planes, H, W, OH, OW
const POOL_PLANES: Arg[] = [
  int('planes', 2, 0, INT32_MAX), int('H', 4, 0, INT32_MAX), int('W', 4, 0, INT32_MAX),
  int('OH', 2, 0, INT32_MAX), int('OW', 2, 0, INT32_MAX),
];
// KH, KW, strides, pads (top, bottom, left, right)
const POOL_WINDOW: Arg[] = [
  int('KH', 2, 1, INT32_MAX), int('KW', 2, 1, INT32_MAX), int('strideH', 2, 1, INT32_MAX),
  int('strideW', 2, 1, INT32_MAX), int('padTop', 0, 0, INT32_MAX),
  int('padBottom', 0, 0, INT32_MAX), int('padLeft', 0, 0, INT32_MAX),
  int('padRight', 0, 0, INT32_MAX),
];

const threadsNow = (): number => (raw.backendInfo() as { threads: number }).threads;

const CASES: Case[] = [
  { fn: 'backendInfo', args: [] },
  { fn: 'setNumThreads', args: [a('n', { kind: 'int', lo: 1, hi: 256 }, threadsNow)] },
  { fn: 'rngSeed', args: [a('state', { kind: 'state' }, state), size('seed', 7)] },
  ...(['rngUniform', 'rngNormal'] as const).map((fn) => ({
    fn,
    args: [
      a('out', exact('f32'), F(8)), size('n', 8), a('state', { kind: 'state' }, state),
      numArg(fn === 'rngUniform' ? 'low' : 'mean', 0),
      numArg(fn === 'rngUniform' ? 'high' : 'std', 1),
    ],
  })),
  {
    fn: 'rngRandint',
    args: [
      a('out', exact('i32'), I([0, 0, 0, 0, 0, 0, 0, 0])), size('n', 8),
      a('state', { kind: 'state' }, state), int('low', -5, INT32_MIN, INT32_MAX),
      int('high', 5, -4, 2 ** 31),
    ],
  },
  {
    fn: 'rngRandperm',
    args: [
      a('out', exact('i32'), I([0, 0, 0, 0, 0, 0, 0, 0])), int('n', 8, 0, INT32_MAX),
      a('state', { kind: 'state' }, state),
    ],
  },
  {
    fn: 'fillArange',
    args: [a('out', exact('any'), F(8)), size('n', 8), numArg('start', 0), numArg('step', 1)],
  },
  {
    fn: 'fillLinspace',
    args: [a('out', exact('f32'), F(8)), size('n', 8), numArg('start', 0), numArg('end', 1)],
  },
  {
    // a transpose: dst [2, 3] contiguous from src stored as [3, 2]
    fn: 'stridedCopy',
    args: [
      a('dst', exact('any'), F(6)), size('dstOffset', 0), dims('dstStrides', [3, 1]),
      a('src', exact('any'), F(6)), size('srcOffset', 0), dims('srcStrides', [1, 2]),
      dims('shape', [2, 3]),
    ],
  },
  {
    fn: 'unaryForward',
    args: [
      int('op', 0, 0, 16), a('y', exact('f32'), F(8)), a('x', exact('f32'), F(8)), size('n', 8),
      numArg('alpha', 0), numArg('beta', 0),
    ],
  },
  {
    fn: 'unaryBackward',
    args: [
      int('op', 0, 0, 16), a('dx', exact('f32'), F(8)), a('dy', exact('f32'), F(8)),
      a('x', exact('f32'), F(8)), a('y', exact('f32'), F(8)), size('n', 8), numArg('alpha', 0),
      numArg('beta', 0),
    ],
  },
  {
    // [2, 3] + [3] broadcast over rows
    fn: 'binary',
    args: [
      int('op', 0, 0, 6), a('out', exact('f32'), F(6)), a('a', exact('f32'), F(6)),
      dims('aStrides', [3, 1]), a('b', exact('f32'), F(3)), dims('bStrides', [0, 1]),
      dims('shape', [2, 3]),
    ],
  },
  {
    fn: 'compare',
    args: [
      int('op', 0, 0, 5), a('out', exact('u8'), () => new Uint8Array(6)),
      a('a', exact('f32'), F(6)), dims('aStrides', [3, 1]), a('b', exact('f32'), F(3)),
      dims('bStrides', [0, 1]), dims('shape', [2, 3]),
    ],
  },
  {
    fn: 'where',
    args: [
      a('out', exact('bits32'), F(6)), a('cond', exact('u8'), () => new Uint8Array(6)),
      dims('condStrides', [3, 1]), a('a', exact('bits32'), F(6)), dims('aStrides', [3, 1]),
      a('b', exact('bits32'), F(1)), dims('bStrides', [0, 0]), dims('shape', [2, 3]),
    ],
  },
  {
    fn: 'cast',
    args: [a('out', exact('any'), I([0, 0, 0, 0, 0])), a('x', exact('any'), F(5)), size('n', 5)],
  },
  {
    fn: 'reduceSum',
    args: [
      a('out', exact('f32'), F(6)), a('x', exact('f32'), F(24)), size('outer', 2), size('R', 4),
      size('inner', 3),
    ],
  },
  {
    fn: 'reduceMax',
    args: [
      a('out', exact('f32'), F(6)), a('indices', { kind: 'nullableI32' }, I([0, 0, 0, 0, 0, 0])),
      a('x', exact('f32'), F(24)), size('outer', 2), size('R', 4), size('inner', 3),
      bool('isMin', false),
    ],
  },
  {
    fn: 'indexSelect',
    args: [
      a('out', exact('bits32'), F(12)), a('x', exact('bits32'), F(24)), size('outer', 2),
      size('D', 4), size('inner', 3), a('idx', free('i32'), I([3, 0])),
    ],
  },
  {
    fn: 'indexAdd',
    args: [
      a('acc', exact('f32'), F(24)), a('src', exact('f32'), F(12)), size('outer', 2),
      size('D', 4), size('inner', 3), a('idx', free('i32'), I([3, 0])),
    ],
  },
  {
    fn: 'gather',
    args: [
      a('out', exact('bits32'), F(4)), a('x', exact('bits32'), F(6)), dims('xShape', [2, 3]),
      a('index', exact('i32'), I([0, 2, 1, 1])), dims('indexShape', [2, 2]), int('dim', 1, 0, 1),
    ],
  },
  {
    fn: 'scatterAdd',
    args: [
      a('acc', exact('f32'), F(6)), dims('accShape', [2, 3]), a('src', exact('f32'), F(4)),
      dims('srcShape', [2, 2]), a('index', exact('i32'), I([0, 2, 1, 1])),
      dims('indexShape', [2, 2]), int('dim', 1, 0, 1),
    ],
  },
  ...(['softmaxForward', 'softmaxBackward'] as const).map((fn) => ({
    fn,
    args: [
      ...(fn === 'softmaxForward'
        ? [a('y', exact('f32'), F(24)), a('x', exact('f32'), F(24))]
        : [
          a('dx', exact('f32'), F(24)), a('dy', exact('f32'), F(24)),
          a('y', exact('f32'), F(24)),
        ]),
      size('outer', 2), size('D', 4), size('inner', 3), bool('log', false),
    ],
  })),
  {
    // C[2x3] = A[2x4] B[4x3]
    fn: 'gemm',
    args: [
      bool('transA', false), bool('transB', false), int('M', 2, 0, INT32_MAX),
      int('N', 3, 0, INT32_MAX), int('K', 4, 0, INT32_MAX), numArg('alpha', 1),
      a('A', exact('f32'), F(8)), size('aOffset', 0), size('lda', 4),
      a('B', exact('f32'), F(12)), size('bOffset', 0), size('ldb', 3), numArg('beta', 0),
      a('C', exact('f32'), F(6)), size('cOffset', 0), size('ldc', 3),
    ],
  },
  {
    // C[2x3] = A[2x4] B[4x3], whole contiguous matrices
    fn: 'gemmContiguous',
    args: [
      bool('transA', false), bool('transB', false), int('M', 2, 0, INT32_MAX),
      int('N', 3, 0, INT32_MAX), int('K', 4, 0, INT32_MAX), a('A', exact('f32'), F(8)),
      a('B', exact('f32'), F(12)), a('C', exact('f32'), F(6)),
    ],
  },
  {
    // two products: A batches at 0 and 8, B shared, C at 0 and 6
    fn: 'gemmBatched',
    args: [
      bool('transA', false), bool('transB', false), int('M', 2, 0, INT32_MAX),
      int('N', 3, 0, INT32_MAX), int('K', 4, 0, INT32_MAX), numArg('alpha', 1),
      a('A', exact('f32'), F(16)), a('aOffsets', { kind: 'offsets' }, () => new Float64Array([0, 8])),
      size('lda', 4), a('B', exact('f32'), F(12)),
      a('bOffsets', { kind: 'offsets' }, () => new Float64Array([0, 0])), size('ldb', 3),
      numArg('beta', 0), a('C', exact('f32'), F(12)),
      a('cOffsets', { kind: 'offsets' }, () => new Float64Array([0, 6])), size('ldc', 3),
    ],
  },
  // optimizers (native/binding/optim.cc): optional state arrays are passed where the options
  // use them, so each is then checked like any other array
  {
    fn: 'sgdStep',
    args: [
      a('param', exact('f32'), F(8)), a('momentumBuffer', exact('f32'), F(8)),
      a('grad', exact('f32'), F(8)), size('n', 8), numArg('lr', 0.1), numArg('momentum', 0.9),
      numArg('dampening', 0), numArg('weightDecay', 0), bool('nesterov', false),
      bool('maximize', false), bool('first', true),
    ],
  },
  {
    fn: 'adamStep',
    args: [
      a('param', exact('f32'), F(8)), a('expAvg', exact('f32'), F(8)),
      a('expAvgSq', exact('f32'), F(8)), a('maxExpAvgSq', exact('f32'), F(8)),
      a('grad', exact('f32'), F(8)), size('n', 8), int('step', 1, 1, MAX_SAFE),
      numArg('lr', 1e-3), numArg('beta1', 0.9), numArg('beta2', 0.999), numArg('eps', 1e-8),
      numArg('weightDecay', 0), bool('amsgrad', true), bool('maximize', false),
      bool('decoupled', false),
    ],
  },
  {
    fn: 'rmspropStep',
    args: [
      a('param', exact('f32'), F(8)), a('squareAvg', exact('f32'), F(8)),
      a('gradAvg', exact('f32'), F(8)), a('momentumBuffer', exact('f32'), F(8)),
      a('grad', exact('f32'), F(8)), size('n', 8), numArg('lr', 0.01), numArg('alpha', 0.99),
      numArg('eps', 1e-8), numArg('weightDecay', 0), numArg('momentum', 0.9),
      bool('centered', true), bool('maximize', false),
    ],
  },
  {
    fn: 'adagradStep',
    args: [
      a('param', exact('f32'), F(8)), a('sum', exact('f32'), F(8)), a('grad', exact('f32'), F(8)),
      size('n', 8), int('step', 1, 1, MAX_SAFE), numArg('lr', 0.01), numArg('lrDecay', 0),
      numArg('eps', 1e-10), numArg('weightDecay', 0), bool('maximize', false),
    ],
  },
  {
    fn: 'adadeltaStep',
    args: [
      a('param', exact('f32'), F(8)), a('squareAvg', exact('f32'), F(8)),
      a('accDelta', exact('f32'), F(8)), a('grad', exact('f32'), F(8)), size('n', 8),
      numArg('lr', 1), numArg('rho', 0.9), numArg('eps', 1e-6), numArg('weightDecay', 0),
      bool('maximize', false),
    ],
  },
  {
    fn: 'adamaxStep',
    args: [
      a('param', exact('f32'), F(8)), a('expAvg', exact('f32'), F(8)),
      a('expInf', exact('f32'), F(8)), a('grad', exact('f32'), F(8)), size('n', 8),
      int('step', 1, 1, MAX_SAFE), numArg('lr', 2e-3), numArg('beta1', 0.9),
      numArg('beta2', 0.999), numArg('eps', 1e-8), numArg('weightDecay', 0),
      bool('maximize', false),
    ],
  },
  {
    fn: 'nadamStep',
    args: [
      a('param', exact('f32'), F(8)), a('expAvg', exact('f32'), F(8)),
      a('expAvgSq', exact('f32'), F(8)), a('grad', exact('f32'), F(8)), size('n', 8),
      int('step', 1, 1, MAX_SAFE), numArg('muProduct', 1), numArg('lr', 2e-3),
      numArg('beta1', 0.9), numArg('beta2', 0.999), numArg('eps', 1e-8),
      numArg('weightDecay', 0), numArg('momentumDecay', 4e-3),
    ],
  },
  // convolution (native/binding/conv.cc): x [1, 2, 4, 4], w [3, 2, 3, 3], y [1, 3, 2, 2]
  ...(['conv2dForward', 'conv2dBackwardInput', 'conv2dBackwardWeight'] as const).map((fn) => ({
    fn,
    args: [
      ...{
        conv2dForward: [
          a('y', exact('f32'), F(12)), a('x', exact('f32'), F(32)), a('w', exact('f32'), F(54)),
          a('bias', { kind: 'nullableF32' }, F(3)),
        ],
        conv2dBackwardInput: [
          a('dx', exact('f32'), F(32)), a('dy', exact('f32'), F(12)), a('w', exact('f32'), F(54)),
          a('bias', { kind: 'nullableF32' }, F(2)),
        ],
        conv2dBackwardWeight: [
          a('dw', exact('f32'), F(54)), a('db', { kind: 'nullableF32' }, F(3)),
          a('x', exact('f32'), F(32)), a('dy', exact('f32'), F(12)),
        ],
      }[fn],
      ...CONV_GEOMETRY,
    ],
  })),
  {
    fn: 'convBackwardBias',
    args: [
      a('db', exact('f32'), F(3)), a('dy', exact('f32'), F(12)), int('N', 1, 0, INT32_MAX),
      int('C', 3, 0, INT32_MAX), size('P', 4),
    ],
  },
  {
    fn: 'conv2dMaxPoolForward',
    args: [
      a('y', exact('f32'), F(3)), a('idx', exact('i32'), I([0, 0, 0])), a('x', exact('f32'), F(32)),
      a('w', exact('f32'), F(54)), a('bias', { kind: 'nullableF32' }, F(3)), ...CONV_GEOMETRY,
      int('poolKH', 2, 1, INT32_MAX), int('poolKW', 2, 1, INT32_MAX),
      int('poolStrideH', 2, 1, INT32_MAX), int('poolStrideW', 2, 1, INT32_MAX),
      int('poolPadTop', 0, 0, INT32_MAX), int('poolPadBottom', 0, 0, INT32_MAX),
      int('poolPadLeft', 0, 0, INT32_MAX), int('poolPadRight', 0, 0, INT32_MAX),
      int('poolDilationH', 1, 1, INT32_MAX), int('poolDilationW', 1, 1, INT32_MAX),
      int('POH', 1, 0, INT32_MAX), int('POW', 1, 0, INT32_MAX),
    ],
  },
  {
    fn: 'conv2dMaxPoolBackwardWeight',
    args: [
      a('dw', exact('f32'), F(54)), a('db', { kind: 'nullableF32' }, F(3)), a('x', exact('f32'), F(32)),
      a('dy', exact('f32'), F(3)), a('idx', exact('i32'), I([0, 3, -1])), ...CONV_GEOMETRY,
      int('P2', 1, 0, INT32_MAX),
    ],
  },
  // pooling (native/binding/pool.cc): 2 planes of 4x4 -> 2x2
  {
    fn: 'maxPool2dForward',
    args: [
      a('y', exact('f32'), F(8)), a('idx', exact('i32'), I([0, 0, 0, 0, 0, 0, 0, 0])),
      a('x', exact('f32'), F(32)), ...POOL_PLANES, ...POOL_WINDOW,
      int('dilationH', 1, 1, INT32_MAX), int('dilationW', 1, 1, INT32_MAX),
    ],
  },
  {
    fn: 'maxPool2dBackward',
    args: [
      a('dx', exact('f32'), F(32)), a('dy', exact('f32'), F(8)),
      a('idx', exact('i32'), I([0, 5, 10, 15, -1, 3, 12, 6])), int('planes', 2, 0, INT32_MAX),
      int('HW', 16, 0, INT32_MAX), int('P', 4, 0, INT32_MAX),
    ],
  },
  ...(['avgPool2dForward', 'avgPool2dBackward'] as const).map((fn) => ({
    fn,
    args: [
      ...(fn === 'avgPool2dForward'
        ? [a('y', exact('f32'), F(8)), a('x', exact('f32'), F(32))]
        : [a('dx', exact('f32'), F(32)), a('dy', exact('f32'), F(8))]),
      ...POOL_PLANES, ...POOL_WINDOW, bool('countIncludePad', true),
      int('divisorOverride', 0, 0, INT32_MAX),
    ],
  })),
  {
    fn: 'adaptiveAvgPool2dForward',
    args: [a('y', exact('f32'), F(8)), a('x', exact('f32'), F(32)), ...POOL_PLANES],
  },
  {
    fn: 'adaptiveAvgPool2dBackward',
    args: [a('dx', exact('f32'), F(32)), a('dy', exact('f32'), F(8)), ...POOL_PLANES],
  },
  {
    fn: 'adaptiveMaxPool2dForward',
    args: [
      a('y', exact('f32'), F(8)), a('idx', exact('i32'), I([0, 0, 0, 0, 0, 0, 0, 0])),
      a('x', exact('f32'), F(32)), ...POOL_PLANES,
    ],
  },
  // normalisation (native/binding/norm.cc): N = 2, C = 3, S = 4; M = 3, D = 5; groups G = 2
  {
    fn: 'batchNormForward',
    args: [
      a('y', exact('f32'), F(24)), a('mean', exact('f32'), F(3)), a('invstd', exact('f32'), F(3)),
      a('runningMean', { kind: 'nullableF32' }, F(3)), a('runningVar', { kind: 'nullableF32' }, F(3)),
      a('x', exact('f32'), F(24)), a('weight', { kind: 'nullableF32' }, F(3)),
      a('bias', { kind: 'nullableF32' }, F(3)), size('N', 2), size('C', 3), size('S', 4),
      bool('useBatchStats', true), numArg('momentum', 0.1), numArg('eps', 1e-5),
    ],
  },
  {
    fn: 'batchNormBackward',
    args: [
      a('dx', { kind: 'nullableF32' }, F(24)), a('dweight', { kind: 'nullableF32' }, F(3)),
      a('dbias', { kind: 'nullableF32' }, F(3)), a('dy', exact('f32'), F(24)),
      a('x', exact('f32'), F(24)), a('mean', exact('f32'), F(3)), a('invstd', exact('f32'), F(3)),
      a('weight', { kind: 'nullableF32' }, F(3)), size('N', 2), size('C', 3), size('S', 4),
      bool('useBatchStats', true),
    ],
  },
  {
    fn: 'layerNormForward',
    args: [
      a('y', exact('f32'), F(15)), a('mean', exact('f32'), F(3)), a('rstd', exact('f32'), F(3)),
      a('x', exact('f32'), F(15)), a('weight', { kind: 'nullableF32' }, F(5)),
      a('bias', { kind: 'nullableF32' }, F(5)), size('M', 3), size('D', 5), numArg('eps', 1e-5),
    ],
  },
  {
    fn: 'layerNormBackward',
    args: [
      a('dx', { kind: 'nullableF32' }, F(15)), a('dweight', { kind: 'nullableF32' }, F(5)),
      a('dbias', { kind: 'nullableF32' }, F(5)), a('dy', exact('f32'), F(15)),
      a('x', exact('f32'), F(15)), a('mean', exact('f32'), F(3)), a('rstd', exact('f32'), F(3)),
      a('weight', { kind: 'nullableF32' }, F(5)), size('M', 3), size('D', 5),
    ],
  },
  {
    fn: 'groupNormForward',
    args: [
      a('y', exact('f32'), F(24)), a('mean', exact('f32'), F(4)), a('rstd', exact('f32'), F(4)),
      a('x', exact('f32'), F(24)), a('weight', { kind: 'nullableF32' }, F(4)),
      a('bias', { kind: 'nullableF32' }, F(4)), size('N', 2), size('C', 4), size('S', 3),
      int('G', 2, 1, MAX_SAFE), numArg('eps', 1e-5),
    ],
  },
  {
    fn: 'groupNormBackward',
    args: [
      a('dx', { kind: 'nullableF32' }, F(24)), a('dweight', { kind: 'nullableF32' }, F(4)),
      a('dbias', { kind: 'nullableF32' }, F(4)), a('dy', exact('f32'), F(24)),
      a('x', exact('f32'), F(24)), a('mean', exact('f32'), F(4)), a('rstd', exact('f32'), F(4)),
      a('weight', { kind: 'nullableF32' }, F(4)), size('N', 2), size('C', 4), size('S', 3),
      int('G', 2, 1, MAX_SAFE),
    ],
  },
  // recurrent (native/binding/rnn.cc): an LSTM layer (mode 2) with T = 3, N = 2, F = 4,
  // H = P = 5, 4 gates; wHr and wPeep are ignored without the proj and peephole flags
  { fn: 'rnnWorkspaceSizes', args: RNN_CONFIG },
  {
    fn: 'rnnForward',
    args: [
      ...RNN_CONFIG, a('x', exact('f32'), F(24)), a('lengths', { kind: 'nullableI32' }, I([3, 2])),
      a('h0', { kind: 'nullableF32' }, F(10)), a('c0', { kind: 'nullableF32' }, F(10)),
      a('wIh', exact('f32'), F(80)), a('wHh', exact('f32'), F(100)),
      a('bIh', { kind: 'nullableF32' }, F(20)), a('bHh', { kind: 'nullableF32' }, F(20)),
      a('wHr', { kind: 'unused' }, () => null), a('wPeep', { kind: 'unused' }, () => null),
      a('out', exact('f32'), F(30)), a('hN', { kind: 'nullableF32' }, F(10)),
      a('cN', { kind: 'nullableF32' }, F(10)), a('ws', exact('f32'), () => F(rnnSizes()[0])()),
    ],
  },
  {
    fn: 'rnnBackward',
    args: [
      ...RNN_CONFIG, a('x', exact('f32'), F(24)), a('lengths', { kind: 'nullableI32' }, I([3, 2])),
      a('wIh', exact('f32'), F(80)), a('wHh', exact('f32'), F(100)),
      a('wHr', { kind: 'unused' }, () => null), a('wPeep', { kind: 'unused' }, () => null),
      a('ws', exact('f32'), () => F(rnnSizes()[0])()), a('dOut', { kind: 'nullableF32' }, F(30)),
      a('dhN', { kind: 'nullableF32' }, F(10)), a('dcN', { kind: 'nullableF32' }, F(10)),
      a('dx', { kind: 'nullableF32' }, F(24)), a('dh0', { kind: 'nullableF32' }, F(10)),
      a('dc0', { kind: 'nullableF32' }, F(10)), a('dparams', exact('f32'), () => F(rnnSizes()[2])()),
      a('bws', exact('f32'), () => F(rnnSizes()[1])()),
    ],
  },
  { fn: 'gradNormPartial', args: [a('x', exact('f32'), F(8)), size('n', 8), numArg('p', 2)] },
  { fn: 'gradScale', args: [a('x', exact('f32'), F(8)), size('n', 8), numArg('c', 0.5)] },
  { fn: 'gradClamp', args: [a('x', exact('f32'), F(8)), size('n', 8), numArg('c', 1)] },
];

function validArgs(c: Case): unknown[] {
  return c.args.map((arg) => arg.value());
}

/** Calls fn and describes how the outcome differs from `error` with a message that starts with
 *  the export name (and names `argName`, when given); null when it matches. */
function mismatch(fn: string, args: unknown[], error: ErrorType, argName?: string): string | null {
  try {
    raw[fn](...args);
  } catch (e) {
    if (!(e instanceof error)) {
      return `threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message} (want ${error.name})`;
    }
    const msg = e.message;
    if (!msg.startsWith(`${fn}: `)) return `message does not start with "${fn}: ": ${msg}`;
    if (argName && !new RegExp(`\\b${argName}\\b`).test(msg.slice(fn.length + 2))) {
      return `message does not name ${argName}: ${msg}`;
    }
    return null;
  }
  return `returned instead of throwing ${error.name}`;
}

// ---------------------------------------------------------------------------------------------

describe('native boundary: case table', () => {
  it('covers every export of the addon', () => {
    const covered = new Set(CASES.map((c) => c.fn));
    const missing = Object.keys(raw).filter((k) => !covered.has(k));
    expect(missing, 'exports without a row in test/native/boundary.test.ts CASES').toEqual([]);
  });
});

describe.each(CASES)('native boundary: $fn', (c) => {
  it('accepts the table\'s valid call (so each bad call below differs in one argument)', () => {
    expect(() => raw[c.fn](...validArgs(c))).not.toThrow();
  });

  if (c.args.length > 0) {
    it(`throws TypeError naming ${c.fn} with no arguments and with ${c.args.length - 1}`, () => {
      const full = validArgs(c);
      expect(mismatch(c.fn, [], TypeError)).toBeNull();
      expect(mismatch(c.fn, full.slice(0, -1), TypeError)).toBeNull();
      expect(() => raw[c.fn](...full.slice(0, -1))).toThrow(
        new RegExp(`^${c.fn}: ${c.args.length} arguments expected, got ${c.args.length - 1}$`),
      );
    });
  }

  for (const [i, arg] of c.args.entries()) {
    const bads = badValues(arg.type, arg.value());
    if (bads.length === 0) continue;
    it(`refuses a bad ${arg.name} (argument ${i}): ${bads.map((b) => b.desc).join(', ')}`, () => {
      const failures: string[] = [];
      for (const bad of bads) {
        const args = validArgs(c);
        args[i] = bad.value;
        const why = mismatch(c.fn, args, bad.error, bad.named === false ? undefined : arg.name);
        if (why) failures.push(`${arg.name} = ${bad.desc}: ${why}`);
      }
      expect(failures.join('\n')).toBe('');
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Cases that need more than one argument changed

interface Special {
  fn: string;
  what: string;
  args: () => unknown[];
  error: ErrorType;
  match: RegExp;
}

const E = (): Float32Array => new Float32Array(0);
const gemmArgs = (over: Record<number, unknown>): unknown[] => {
  const args = validArgs(CASES.find((c) => c.fn === 'gemm')!);
  for (const [k, v] of Object.entries(over)) args[Number(k)] = v;
  return args;
};
const gemmContiguousArgs = (over: Record<number, unknown>): unknown[] => {
  const args = validArgs(CASES.find((c) => c.fn === 'gemmContiguous')!);
  for (const [k, v] of Object.entries(over)) args[Number(k)] = v;
  return args;
};
const gemmBatchedArgs = (over: Record<number, unknown>): unknown[] => {
  const args = validArgs(CASES.find((c) => c.fn === 'gemmBatched')!);
  for (const [k, v] of Object.entries(over)) args[Number(k)] = v;
  return args;
};
const detached = (n: number): Float32Array => {
  const x = new Float32Array(n);
  structuredClone(x.buffer, { transfer: [x.buffer] });
  return x;
};

const SPECIALS: Special[] = [
  {
    fn: 'setNumThreads', what: 'n = 300', args: () => [300], error: RangeError,
    match: /n must be an integer in \[1, 256\], got 300/,
  },
  {
    fn: 'rngRandint', what: 'low == high', args: () => [new Int32Array(4), 4, state(), 3, 3],
    error: RangeError, match: /high must be an integer in \[4, 2147483648\], got 3/,
  },
  {
    fn: 'rngRandperm', what: 'n = 2**31', args: () => [new Int32Array(4), 2 ** 31, state()],
    error: RangeError, match: /n must be an integer/,
  },
  {
    fn: 'rngUniform', what: 'a detached output', args: () => [detached(8), 8, state(), 0, 1],
    error: RangeError, match: /out must have at least 8 elements, got 0/,
  },
  {
    fn: 'fillArange', what: 'an Int32Array whose last value overflows int32',
    args: () => [new Int32Array(3), 3, INT32_MAX - 1, 1], error: RangeError,
    match: /start \+ \(n - 1\) \* step must be an int32, got 2147483648/,
  },
  {
    fn: 'fillArange', what: 'an Int32Array with a huge negative step',
    args: () => [new Int32Array(3), 3, 0, INT32_MIN], error: RangeError, match: /int32/,
  },
  {
    fn: 'fillArange', what: 'an Int32Array with a fractional start',
    args: () => [new Int32Array(3), 3, 0.5, 1], error: RangeError, match: /start must be an integer/,
  },
  {
    fn: 'fillArange', what: 'a Uint8Array', args: () => [new Uint8Array(3), 3, 0, 1],
    error: TypeError, match: /out must be a Float32Array or Int32Array/,
  },
  {
    fn: 'stridedCopy', what: 'dst strides reaching past dst',
    args: () => [new Float32Array(6), 0, [4, 1], new Float32Array(6), 0, [3, 1], [2, 3]],
    error: RangeError, match: /dst must have at least 7 elements, got 6/,
  },
  {
    fn: 'stridedCopy', what: 'a src offset reaching past src',
    args: () => [new Float32Array(6), 0, [3, 1], new Float32Array(6), 1, [3, 1], [2, 3]],
    error: RangeError, match: /src must have at least 7 elements, got 6/,
  },
  {
    fn: 'stridedCopy', what: 'strides of 2**52',
    args: () => [new Float32Array(6), 0, [2 ** 52, 2 ** 52], new Float32Array(6), 0, [3, 1], [3, 3]],
    error: RangeError, match: /dstStrides/,
  },
  {
    fn: 'stridedCopy', what: 'an offset of 2**53 - 1 with strides',
    args: () => [new Float32Array(6), MAX_SAFE, [1], new Float32Array(6), 0, [1], [2]],
    error: RangeError, match: /dstStrides strides reach too far|dst must have/,
  },
  {
    fn: 'stridedCopy', what: 'dst and src the same array',
    args: () => {
      const x = new Float32Array(6);
      return [x, 0, [3, 1], x, 0, [1, 2], [2, 3]];
    },
    error: RangeError, match: /dst and src must not overlap/,
  },
  {
    fn: 'stridedCopy', what: 'dst and src overlapping views of one buffer',
    args: () => {
      const b = new Float32Array(12);
      return [b.subarray(0, 6), 0, [3, 1], b.subarray(3, 9), 0, [1, 2], [2, 3]];
    },
    error: RangeError, match: /dst and src must not overlap/,
  },
  {
    fn: 'stridedCopy', what: 'a Uint8Array dst and a Float32Array src',
    args: () => [new Uint8Array(6), 0, [3, 1], new Float32Array(6), 0, [1, 2], [2, 3]],
    error: TypeError, match: /dst and src must have elements of the same width/,
  },
  {
    fn: 'binary', what: 'Int32Array operands with op div',
    args: () => [3, new Int32Array(2), new Int32Array(2), [1], new Int32Array(2), [1], [2]],
    error: TypeError, match: /op must not be div or pow for Int32Array operands/,
  },
  {
    fn: 'binary', what: 'an Int32Array out with Float32Array operands',
    args: () => [0, new Int32Array(2), new Float32Array(2), [1], new Float32Array(2), [1], [2]],
    error: TypeError, match: /a and b must be typed arrays of the same type as out/,
  },
  {
    fn: 'binary', what: 'a strides reaching past a',
    args: () => [0, new Float32Array(6), new Float32Array(6), [4, 1], new Float32Array(3), [0, 1], [2, 3]],
    error: RangeError, match: /a must have at least 7 elements, got 6/,
  },
  {
    fn: 'compare', what: 'a Float32Array a and an Int32Array b',
    args: () => [0, new Uint8Array(2), new Float32Array(2), [1], new Int32Array(2), [1], [2]],
    error: TypeError, match: /a and b must both be Float32Array or both Int32Array/,
  },
  {
    fn: 'where', what: 'cond strides reaching past cond',
    args: () => [
      new Float32Array(6), new Uint8Array(3), [3, 1], new Float32Array(6), [3, 1],
      new Float32Array(6), [3, 1], [2, 3],
    ],
    error: RangeError, match: /cond must have at least 6 elements, got 3/,
  },
  {
    fn: 'cast', what: 'out and x of one type', args: () => [new Float32Array(2), new Float32Array(2), 2],
    error: TypeError, match: /out and x must differ in type/,
  },
  {
    fn: 'reduceMax', what: 'R = 0 with outputs to write',
    args: () => [new Float32Array(2), null, E(), 2, 0, 1, false], error: RangeError,
    match: /R must be >= 1/,
  },
  {
    fn: 'reduceMax', what: 'strings for out and x when there is nothing to reduce',
    args: () => ['out', null, 'x', 0, 1, 1, false], error: TypeError, match: /out must be/,
  },
  ...[-1, 4, INT32_MAX, INT32_MIN].map((bad) => ({
    fn: 'indexSelect', what: `idx holding ${bad} with D = 4`,
    args: () => [new Float32Array(12), new Float32Array(24), 2, 4, 3, Int32Array.from([0, bad])],
    error: RangeError, match: new RegExp(`idx must hold indices in \\[0, 4\\), got ${bad} at 1`),
  })),
  ...[-1, 4].map((bad) => ({
    fn: 'indexAdd', what: `idx holding ${bad} with D = 4`,
    args: () => [new Float32Array(24), new Float32Array(12), 2, 4, 3, Int32Array.from([bad, 0])],
    error: RangeError, match: new RegExp(`idx must hold indices in \\[0, 4\\), got ${bad} at 0`),
  })),
  {
    fn: 'indexSelect', what: 'D = 0 with an index',
    args: () => [new Float32Array(1), E(), 1, 0, 1, Int32Array.from([0])],
    error: RangeError, match: /idx must hold indices in \[0, 0\)/,
  },
  ...[-1, 3].map((bad) => ({
    fn: 'gather', what: `index holding ${bad} along a dim of size 3`,
    args: () => [new Float32Array(4), new Float32Array(6), [2, 3], Int32Array.from([0, 1, 2, bad]), [2, 2], 1],
    error: RangeError, match: new RegExp(`index must hold indices in \\[0, 3\\), got ${bad} at 3`),
  })),
  {
    fn: 'gather', what: 'an index shape larger than x off the gathered dim',
    args: () => [new Float32Array(6), new Float32Array(6), [2, 3], new Int32Array(6), [3, 2], 1],
    error: RangeError, match: /index size 3 at dim 0 must be <= x size 2/,
  },
  {
    fn: 'gather', what: 'an index of another rank',
    args: () => [new Float32Array(4), new Float32Array(6), [2, 3], new Int32Array(4), [4], 0],
    error: RangeError, match: /indexShape must have 2 entries, got 1/,
  },
  {
    fn: 'gather', what: 'a 0-d x', args: () => [new Float32Array(1), new Float32Array(1), [], new Int32Array(1), [], 0],
    error: RangeError, match: /xShape must have at least one dim/,
  },
  ...[-1, 3].map((bad) => ({
    fn: 'scatterAdd', what: `index holding ${bad} along a dim of size 3`,
    args: () => [new Float32Array(6), [2, 3], new Float32Array(4), [2, 2], Int32Array.from([bad, 0, 0, 0]), [2, 2], 1],
    error: RangeError, match: new RegExp(`index must hold indices in \\[0, 3\\), got ${bad} at 0`),
  })),
  {
    fn: 'scatterAdd', what: 'src smaller than the index',
    args: () => [new Float32Array(6), [2, 3], new Float32Array(2), [1, 2], new Int32Array(4), [2, 2], 1],
    error: RangeError, match: /index size 2 at dim 0 must be <= src size 1/,
  },
  {
    fn: 'scatterAdd', what: 'a 0-d acc', args: () => [new Float32Array(1), [], new Float32Array(1), [], new Int32Array(1), [], 0],
    error: RangeError, match: /accShape must have at least one dim/,
  },
  {
    fn: 'gemm', what: 'lda < K', args: () => gemmArgs({ 8: 3 }), error: RangeError,
    match: /lda must be >= 4, got 3/,
  },
  {
    fn: 'gemm', what: 'transA with A too short for K x M at lda 4',
    args: () => gemmArgs({ 0: true }), error: RangeError, match: /A must have at least 14 elements, got 8/,
  },
  {
    fn: 'gemm', what: 'a C offset reaching past C', args: () => gemmArgs({ 14: 1 }),
    error: RangeError, match: /C must have at least 7 elements, got 6/,
  },
  {
    fn: 'gemm', what: 'an A offset of 2**53 - 1', args: () => gemmArgs({ 7: MAX_SAFE }),
    error: RangeError, match: /A offset is too large/,
  },
  {
    fn: 'gemm', what: 'M = 2**31', args: () => gemmArgs({ 2: 2 ** 31 }), error: RangeError,
    match: /M must be an integer in \[0, 2147483647\], got 2147483648/,
  },
  {
    fn: 'gemm', what: 'a huge ldc', args: () => gemmArgs({ 15: 2 ** 52 }), error: RangeError,
    match: /C must have at least/,
  },
  {
    fn: 'gemmContiguous', what: 'transA with B too short for K x N = 2 x 3',
    args: () => gemmContiguousArgs({ 0: true, 2: 4, 4: 2, 5: new Float32Array(8), 6: new Float32Array(5) }),
    error: RangeError, match: /gemmContiguous: B must have at least 6 elements, got 5/,
  },
  {
    fn: 'gemmContiguous', what: 'M = 3 with A for M = 2', args: () => gemmContiguousArgs({ 2: 3 }),
    error: RangeError, match: /A must have at least 12 elements, got 8/,
  },
  {
    fn: 'gemmContiguous', what: 'M, N, K = 2**31 - 1 with small arrays',
    args: () => gemmContiguousArgs({ 2: INT32_MAX, 3: INT32_MAX, 4: INT32_MAX }),
    error: RangeError, match: /A is too large|must have at least/,
  },
  {
    fn: 'gemm', what: 'M, N, K = 2**31 - 1 with small arrays',
    args: () => gemmArgs({ 2: INT32_MAX, 3: INT32_MAX, 4: INT32_MAX, 8: INT32_MAX, 11: INT32_MAX, 15: INT32_MAX }),
    error: RangeError, match: /lda is too large|must have at least/,
  },
  {
    fn: 'gemmBatched', what: 'offsets of unequal lengths',
    args: () => gemmBatchedArgs({ 7: new Float64Array([0]) }), error: RangeError,
    match: /aOffsets, bOffsets and cOffsets must have equal lengths, got 1, 2, 2/,
  },
  {
    fn: 'gemmBatched', what: 'an A offset reaching past A',
    args: () => gemmBatchedArgs({ 7: new Float64Array([0, 9]) }), error: RangeError,
    match: /A must have at least 17 elements, got 16/,
  },
  {
    fn: 'gemmBatched', what: 'a C offset of 2**53 - 1',
    args: () => gemmBatchedArgs({ 14: new Float64Array([0, MAX_SAFE]) }), error: RangeError,
    match: /C offset is too large/,
  },
  {
    fn: 'sgdStep', what: 'a null momentumBuffer with momentum != 0',
    args: () => [F(8)(), null, F(8)(), 8, 0.1, 0.9, 0, 0, false, false, true], error: TypeError,
    match: /momentumBuffer must be a Float32Array when momentum != 0/,
  },
  {
    fn: 'adamStep', what: 'a maxExpAvgSq array without amsgrad',
    args: () => [F(8)(), F(8)(), F(8)(), F(8)(), F(8)(), 8, 1, 1e-3, 0.9, 0.999, 1e-8, 0, false, false, false],
    error: TypeError, match: /maxExpAvgSq must be null unless amsgrad/,
  },
  {
    fn: 'adamStep', what: 'step = 0', error: RangeError, match: /step must be an integer in \[1, /,
    args: () => [F(8)(), F(8)(), F(8)(), null, F(8)(), 8, 0, 1e-3, 0.9, 0.999, 1e-8, 0, false, false, false],
  },
  {
    fn: 'conv2dForward', what: 'groups that do not divide C',
    args: () => [F(12)(), F(32)(), F(54)(), null, 1, 2, 4, 4, 3, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 2],
    error: RangeError, match: /groups must divide C = 2 and K = 3, got 2/,
  },
  {
    fn: 'conv2dForward', what: 'a kernel and dilation whose column buffer overflows',
    args: () => [F(1)(), F(1)(), F(1)(), null, 1, 1, 1, 1, 1, INT32_MAX, INT32_MAX, 1, 1, 1, 1, 0, 0, 1, 1, 1],
    error: RangeError, match: /too large/,
  },
  {
    fn: 'maxPool2dBackward', what: 'idx holding an offset >= HW',
    args: () => [F(32)(), F(8)(), Int32Array.from([0, 0, 0, 16, 0, 0, 0, 0]), 2, 16, 4],
    error: RangeError, match: /idx must hold offsets in \[-1, 16\), got 16 at 3/,
  },
  ...[4, -2].map((bad) => ({
    fn: 'conv2dMaxPoolBackwardWeight', what: `idx holding ${bad} for 2 x 2 convolution planes`,
    args: () => [F(54)(), null, F(32)(), F(3)(), Int32Array.from([0, bad, 1]), 1, 2, 4, 4, 3, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1],
    error: RangeError, match: new RegExp(`idx must hold offsets in \\[-1, 4\\), got ${bad} at 1`),
  })),
  {
    fn: 'conv2dMaxPoolBackwardWeight', what: 'more than 63 taps (C * KH * KW = 64)',
    args: () => [F(64 * 3)(), null, F(64 * 4)(), F(3)(), Int32Array.from([0, 0, 0]), 1, 64, 2, 2, 3, 1, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1],
    error: RangeError, match: /needs groups = 1 and C \* KH \* KW < 64, got groups 1 and 64/,
  },
  {
    fn: 'maxPool2dBackward', what: 'idx holding -2',
    args: () => [F(32)(), F(8)(), Int32Array.from([-2, 0, 0, 0, 0, 0, 0, 0]), 2, 16, 4],
    error: RangeError, match: /idx must hold offsets in \[-1, 16\), got -2 at 0/,
  },
  {
    fn: 'batchNormForward', what: 'runningMean without runningVar',
    args: () => [F(24)(), F(3)(), F(3)(), F(3)(), null, F(24)(), null, null, 2, 3, 4, true, 0.1, 1e-5],
    error: TypeError, match: /runningMean and runningVar must both be null or both be given/,
  },
  {
    fn: 'batchNormForward', what: 'eval mode without running statistics',
    args: () => [F(24)(), F(3)(), F(3)(), null, null, F(24)(), null, null, 2, 3, 4, false, 0.1, 1e-5],
    error: TypeError, match: /runningMean must be a Float32Array when useBatchStats is false/,
  },
  ...[-1, Infinity, NaN].map((eps) => ({
    fn: 'layerNormForward', what: `eps = ${eps}`,
    args: () => [F(15)(), F(3)(), F(3)(), F(15)(), null, null, 3, 5, eps], error: RangeError,
    match: /eps must be a finite number >= 0/,
  })),
  {
    fn: 'groupNormForward', what: 'G that does not divide C',
    args: () => [F(24)(), F(6)(), F(6)(), F(24)(), null, null, 2, 4, 3, 3, 1e-5],
    error: RangeError, match: /G must divide C = 4, got 3/,
  },
  {
    fn: 'rnnWorkspaceSizes', what: 'the peephole flag on a GRU', args: () => [3, 2, [3, 2, 4, 5, 5]],
    error: RangeError, match: /flags peephole, coupled and proj need mode 2/,
  },
  {
    fn: 'rnnWorkspaceSizes', what: 'P != H without proj', args: () => [2, 0, [3, 2, 4, 5, 4]],
    error: RangeError, match: /P must equal H = 5 without proj, got 4/,
  },
  {
    fn: 'rnnWorkspaceSizes', what: 'dims of rank 4', args: () => [2, 0, [3, 2, 4, 5]],
    error: RangeError, match: /dims must be \[T, N, F, H, P\], got 4 entries/,
  },
  {
    fn: 'rnnWorkspaceSizes', what: 'T and N whose workspace overflows', args: () => [0, 0, [2 ** 30, 2 ** 30, 1, 1, 1]],
    error: RangeError, match: /too large/,
  },
  ...[-1, 4].map((len) => ({
    fn: 'rnnForward', what: `a sequence length of ${len} with T = 3`,
    args: () => {
      const args = validArgs(CASES.find((c) => c.fn === 'rnnForward')!);
      args[4] = Int32Array.from([3, len]);
      return args;
    },
    error: RangeError, match: new RegExp(`lengths must be in \\[0, T = 3\\], got ${len} at 1`),
  })),
  ...[0, -1, NaN].map((p) => ({
    fn: 'gradNormPartial', what: `p = ${p}`, args: () => [F(8)(), 8, p], error: RangeError,
    match: /p must be > 0/,
  })),
  ...[-1, NaN].map((c) => ({
    fn: 'gradClamp', what: `c = ${c}`, args: () => [F(8)(), 8, c], error: RangeError,
    match: /c must be >= 0/,
  })),
];

describe('native boundary: cross-argument checks', () => {
  it.each(SPECIALS)('$fn refuses $what', (s) => {
    expect(mismatch(s.fn, s.args(), s.error)).toBeNull();
    expect(() => raw[s.fn](...s.args())).toThrow(s.match);
  });

  it('stridedCopy accepts non-overlapping views of one buffer and copies them', () => {
    const b = Float32Array.from([0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0]);
    raw.stridedCopy(b.subarray(6), 0, [2, 1], b.subarray(0, 6), 0, [1, 3], [3, 2]);
    expect(Array.from(b.subarray(6))).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

// ---------------------------------------------------------------------------------------------
// Arrays read through getters: JS runs in the middle of argument checks

describe('native boundary: getters on shape and stride arrays', () => {
  it('a getter that throws: its error reaches the caller', () => {
    const strides = [1];
    Object.defineProperty(strides, 0, {
      get() {
        throw new Error('boom from a getter');
      },
    });
    expect(() =>
      raw.stridedCopy(new Float32Array(4), 0, strides, new Float32Array(4), 0, [1], [4]),
    ).toThrow(/boom from a getter/);
  });

  it('a getter that detaches dst: stridedCopy throws RangeError and writes nothing', () => {
    const dst = new Float32Array(1024);
    let moved: ArrayBuffer | undefined;
    const strides = [1];
    Object.defineProperty(strides, 0, {
      get() {
        moved = structuredClone(dst.buffer, { transfer: [dst.buffer] });
        return 1;
      },
    });
    const src = new Float32Array(1024).fill(7);
    expect(() => raw.stridedCopy(dst, 0, strides, src, 0, [1], [1024])).toThrow(
      /^stridedCopy: dst must keep its buffer while the arguments are read/,
    );
    expect(new Float32Array(moved!).every((v) => v === 0)).toBe(true);
  });

  it('a getter that shrinks a resizable buffer: stridedCopy throws RangeError', () => {
    const AB = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & {
      resize(n: number): void;
    };
    const buf = new AB(1 << 20, { maxByteLength: 1 << 20 });
    const dst = new Float32Array(buf);
    const strides = [1];
    Object.defineProperty(strides, 0, {
      get() {
        buf.resize(0);
        return 1;
      },
    });
    expect(() =>
      raw.stridedCopy(dst, 0, strides, new Float32Array(1 << 18), 0, [1], [1 << 18]),
    ).toThrow(/^stridedCopy: dst must keep its buffer/);
  });
});

// ---------------------------------------------------------------------------------------------
// Calls that may kill or hang the process if a check is missing run in a child process with a
// time limit. Each must return (or throw TypeError / RangeError) at once and exit cleanly.

interface Isolated {
  what: string;
  code: string;
  /** milliseconds the child may take */
  limit?: number;
}

function isolated(
  code: string, limit: number,
): Promise<{ status: number | null; signal: string | null; out: string }> {
  const script = `
    const native = require('node-gyp-build')(${JSON.stringify(ROOT)});
    const E = new Float32Array(0);
    const report = (f) => {
      try { f(); console.log('returned'); }
      catch (e) {
        if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
        console.log('threw ' + e.constructor.name + ': ' + e.message);
      }
    };
    ${code}
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], {
      cwd: ROOT,
      env: { ...process.env, NEURITE_NUM_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limit);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, out: out.trim() });
    });
  });
}

const ISOLATED: Isolated[] = [
  {
    // in a child: a getter on Array.prototype[0] breaks ordinary array writes elsewhere
    what: 'stridedCopy with a shape whose hole reads a getter on Array.prototype',
    code: `
      const dst = new Float32Array(6), src = new Float32Array(6);
      Object.defineProperty(Array.prototype, 0, { configurable: true, get() { return 2; } });
      try { report(() => native.stridedCopy(dst, 0, [3, 1], src, 0, [3, 1], [, 3])); }
      finally { delete Array.prototype[0]; }
    `,
  },
  {
    what: 'stridedCopy with a hole-reading getter on Array.prototype that detaches dst',
    code: `
      const dst = new Float32Array(1 << 16), src = new Float32Array(1 << 16).fill(1);
      Object.defineProperty(Array.prototype, 0, {
        configurable: true,
        get() { structuredClone(dst.buffer, { transfer: [dst.buffer] }); return 1 << 16; },
      });
      try { report(() => native.stridedCopy(dst, 0, [1], src, 0, [1], [,])); }
      finally { delete Array.prototype[0]; }
    `,
  },
  {
    what: 'indexSelect with inner = 0 (an empty trailing dim)',
    code: 'report(() => native.indexSelect(E, E, 1, 1, 0, Int32Array.from([0])));',
  },
  {
    what: 'softmaxForward with D = 0 and outer * inner = 2**52',
    code: 'report(() => native.softmaxForward(E, E, 2 ** 26, 0, 2 ** 26, false));',
  },
  {
    what: 'softmaxBackward with D = 0 and outer * inner = 2**52',
    code: 'report(() => native.softmaxBackward(E, E, E, 2 ** 26, 0, 2 ** 26, false));',
  },
  {
    what: 'softmaxForward with D = 0 and outer, inner = 2**53 - 1',
    code: 'report(() => native.softmaxForward(E, E, 2 ** 53 - 1, 0, 2 ** 53 - 1, true));',
  },
  {
    what: 'reduceSum with inner = 0 and outer = 2**52',
    code: 'report(() => native.reduceSum(E, E, 2 ** 52, 3, 0));',
  },
  {
    what: 'reduceSum (int32) with inner = 0 and outer = 2**52',
    code: 'report(() => native.reduceSum(new Int32Array(0), new Int32Array(0), 2 ** 52, 3, 0));',
  },
  {
    what: 'reduceMax with inner = 0 and outer = 2**52',
    code: 'report(() => native.reduceMax(E, null, E, 2 ** 52, 3, 0, false));',
  },
  {
    what: 'indexAdd with inner = 0 and outer = 2**52',
    code: 'report(() => native.indexAdd(E, E, 2 ** 52, 1, 0, Int32Array.from([0])));',
  },
  {
    what: 'indexAdd with an empty index and outer = 2**52',
    code: 'report(() => native.indexAdd(E, E, 2 ** 52, 1, 0, new Int32Array(0)));',
  },
  {
    what: 'gather with an empty index dim and a huge other dim',
    code: 'report(() => native.gather(E, E, [0, 2 ** 52], new Int32Array(0), [0, 2 ** 52], 1));',
  },
  {
    what: 'stridedCopy with shape [0, 2**53 - 1, 2**53 - 1]',
    code: 'report(() => native.stridedCopy(E, 0, [1, 1, 1], E, 0, [1, 1, 1], [0, 2 ** 53 - 1, 2 ** 53 - 1]));',
  },
  {
    what: 'binary with shape [2**53 - 1, 0]',
    code: 'report(() => native.binary(0, E, E, [1, 1], E, [1, 1], [2 ** 53 - 1, 0]));',
  },
  {
    what: 'adaptiveMaxPool2dForward from an empty plane (H = W = 0) to 1x1',
    code: 'report(() => native.adaptiveMaxPool2dForward(new Float32Array(1), new Int32Array(1), E, 1, 0, 0, 1, 1));',
  },
  {
    what: 'adaptiveAvgPool2dBackward from an empty plane (H = W = 0) to 1x1',
    code: 'report(() => native.adaptiveAvgPool2dBackward(E, new Float32Array(1), 1, 0, 0, 1, 1));',
  },
  {
    what: 'maxPool2dForward with windows wholly in the padding',
    code: 'report(() => native.maxPool2dForward(new Float32Array(4), new Int32Array(4), new Float32Array(1), 1, 1, 1, 2, 2, 1, 1, 1, 1, 5, 0, 5, 0, 1, 1));',
  },
  {
    what: 'avgPool2dBackward with windows wholly in the padding',
    code: 'report(() => native.avgPool2dBackward(new Float32Array(1), new Float32Array(4), 1, 1, 1, 2, 2, 1, 1, 1, 1, 5, 0, 5, 0, false, 0));',
  },
  ...(['conv2dForward', 'conv2dBackwardInput'] as const).map((fn) => ({
    what: `${fn} with an output larger than the input allows (OH = OW = 10, padding 3)`,
    code: `report(() => native.${fn}(...(${JSON.stringify(fn)} === 'conv2dForward'
      ? [new Float32Array(100), new Float32Array(4)] : [new Float32Array(4), new Float32Array(100)]),
      new Float32Array(1), null, 1, 1, 2, 2, 1, 1, 1, 10, 10, 1, 1, 3, 3, 1, 1, 1));`,
  })),
  {
    what: 'conv2dBackwardWeight with an output larger than the input allows',
    code: 'report(() => native.conv2dBackwardWeight(new Float32Array(1), new Float32Array(1), new Float32Array(4), new Float32Array(100), 1, 1, 2, 2, 1, 1, 1, 10, 10, 1, 1, 3, 3, 1, 1, 1));',
  },
  {
    what: 'conv2dForward with N = 2**31 - 1 and C = K = 0',
    code: 'report(() => native.conv2dForward(E, E, E, null, 2 ** 31 - 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1));',
  },
  {
    what: 'convBackwardBias with C = 0 and huge N, P',
    code: 'report(() => native.convBackwardBias(E, E, 2 ** 31 - 1, 0, 2 ** 52));',
  },
  {
    what: 'batchNormForward with C = 0 and N = 2**52',
    code: 'report(() => native.batchNormForward(E, E, E, null, null, E, null, null, 2 ** 52, 0, 5, true, 0.1, 1e-5));',
  },
  {
    what: 'layerNormForward with D = 0 (rows of nothing)',
    code: 'report(() => native.layerNormForward(E, new Float32Array(2), new Float32Array(2), E, null, null, 2, 0, 1e-5));',
  },
  {
    what: 'groupNormForward with N = 0 and C = 2**52',
    code: 'report(() => native.groupNormForward(E, E, E, E, null, null, 0, 2 ** 52, 1, 1, 1e-5));',
  },
  {
    what: 'rnnForward (GRU) with H = P = 0 and T = N = 2**20',
    code: 'report(() => native.rnnForward(3, 8, [2 ** 20, 2 ** 20, 0, 0, 0], E, null, null, null, E, E, null, null, null, null, E, null, null, E));',
  },
  {
    what: 'rnnBackward (LSTM) with H = P = 0 and T = N = 2**20',
    code: 'report(() => native.rnnBackward(2, 0, [2 ** 20, 2 ** 20, 0, 0, 0], E, null, E, E, null, null, E, null, null, null, null, null, null, E, E));',
  },
  {
    what: 'gemm with K = 2**31 - 1 and M = N = 0',
    code: 'report(() => native.gemm(false, false, 0, 0, 2 ** 31 - 1, 1, E, 0, 2 ** 31 - 1, E, 0, 1, 0, E, 0, 1));',
  },
  ...(['indexSelect', 'indexAdd', 'gather', 'scatterAdd'] as const).map((fn) => ({
    what: `${fn} while another thread rewrites its SharedArrayBuffer index out of range`,
    limit: 10_000,
    code: `
      const { Worker } = require('node:worker_threads');
      const N = 1 << 14;
      const idx = new Int32Array(new SharedArrayBuffer(4 * N));
      const w = new Worker(\`
        const a = new Int32Array(require('node:worker_threads').workerData);
        for (;;) { a.fill(0); a.fill(1 << 30); }
      \`, { eval: true, workerData: idx.buffer });
      const x = new Float32Array(4), out = new Float32Array(N);
      const call = {
        indexSelect: () => native.indexSelect(out, x, 1, 4, 1, idx),
        indexAdd: () => native.indexAdd(x, out, 1, 4, 1, idx),
        gather: () => native.gather(out, x, [4], idx, [N], 0),
        scatterAdd: () => native.scatterAdd(x, [4], out, [N], idx, [N], 0),
      }[${JSON.stringify(fn)}];
      let returned = 0, threw = 0;
      const t0 = Date.now();
      while (Date.now() - t0 < 1500) {
        try { call(); returned++; } catch (e) { if (!(e instanceof RangeError)) throw e; threw++; }
      }
      console.log('returned', returned, 'threw', threw);
      process.exit(0);
    `,
  })),
];

// One child at a time, on one kernel thread: a hanging call spins a core until the limit, and
// other test files run alongside.
describe('native boundary: calls that could crash or hang run in a child process', () => {
  it.each(ISOLATED)('$what: returns or throws, and the process lives', async (c) => {
    const limit = c.limit ?? 5_000;
    const r = await isolated(c.code, limit);
    const how = r.signal ? `killed by ${r.signal}${r.signal === 'SIGKILL' ? ` (hung > ${limit} ms)` : ''}` : `exit ${r.status}`;
    expect(how, `child output:\n${r.out.split('\n').slice(-6).join('\n')}`).toBe('exit 0');
    expect(r.out).toMatch(/^(returned|threw (TypeError|RangeError): )/m);
  }, 30_000);
});

describe('native boundary: the process survives all of the above', () => {
  it('still computes a product correctly', () => {
    const A = Float32Array.from([1, 2, 3, 4]);
    const B = Float32Array.from([5, 6, 7, 8]);
    const C = new Float32Array(4);
    raw.gemm(false, false, 2, 2, 2, 1, A, 0, 2, B, 0, 2, 0, C, 0, 2);
    expect(Array.from(C)).toEqual([19, 22, 43, 50]);
  });
});
