// The one place that loads the addon and types its exports. Everything else imports `native`
// from here. Exports check their arguments (native/binding/args.h) and throw TypeError or
// RangeError; the typed signatures below keep ordinary callers from getting there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';

type F32 = Float32Array;
type I32 = Int32Array;
type Bits32 = Float32Array | Int32Array;
type AnyArray = Float32Array | Int32Array | Uint8Array;

export interface BackendInfo {
  version: string;
  isa: string;
  threads: number;
  cpuAvx2Fma: boolean;
  /** Whether glibc's malloc keeps large freed blocks (see native/runtime/memory.h). */
  mallocTuned: boolean;
}

export interface NativeAddon {
  backendInfo(): BackendInfo;
  setNumThreads(n: number): void;
  rngSeed(state: Uint32Array, seed: number): void;
  rngUniform(out: F32, n: number, state: Uint32Array, low: number, high: number): void;
  rngNormal(out: F32, n: number, state: Uint32Array, mean: number, std: number): void;
  rngRandint(out: I32, n: number, state: Uint32Array, low: number, high: number): void;
  rngRandperm(out: I32, n: number, state: Uint32Array): void;
  fillArange(out: F32 | I32, n: number, start: number, step: number): void;
  fillLinspace(out: F32, n: number, start: number, end: number): void;
  stridedCopy(
    dst: AnyArray, dstOffset: number, dstStrides: number[],
    src: AnyArray, srcOffset: number, srcStrides: number[], shape: number[],
  ): void;
  unaryForward(op: number, y: F32, x: F32, n: number, alpha: number, beta: number): void;
  unaryBackward(
    op: number, dx: F32, dy: F32, x: F32, y: F32, n: number, alpha: number, beta: number,
  ): void;
  binary(
    op: number, out: Bits32, a: Bits32, aStrides: number[], b: Bits32, bStrides: number[],
    shape: number[],
  ): void;
  compare(
    op: number, out: Uint8Array, a: Bits32, aStrides: number[], b: Bits32, bStrides: number[],
    shape: number[],
  ): void;
  where(
    out: Bits32, cond: Uint8Array, condStrides: number[], a: Bits32, aStrides: number[],
    b: Bits32, bStrides: number[], shape: number[],
  ): void;
  cast(out: AnyArray, x: AnyArray, n: number): void;
  reduceSum(out: Bits32, x: Bits32, outer: number, R: number, inner: number): void;
  reduceMax(
    out: Bits32, indices: I32 | null, x: Bits32, outer: number, R: number, inner: number,
    isMin: boolean,
  ): void;
  softmaxForward(y: F32, x: F32, outer: number, D: number, inner: number, log: boolean): void;
  softmaxBackward(
    dx: F32, dy: F32, y: F32, outer: number, D: number, inner: number, log: boolean,
  ): void;
  indexSelect(out: Bits32, x: Bits32, outer: number, D: number, inner: number, idx: I32): void;
  indexAdd(acc: F32, src: F32, outer: number, D: number, inner: number, idx: I32): void;
  gather(
    out: Bits32, x: Bits32, xShape: number[], index: I32, indexShape: number[], dim: number,
  ): void;
  scatterAdd(
    acc: F32, accShape: number[], src: F32, srcShape: number[], index: I32,
    indexShape: number[], dim: number,
  ): void;
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: F32, aOffset: number, lda: number, B: F32, bOffset: number, ldb: number,
    beta: number, C: F32, cOffset: number, ldc: number,
  ): void;
  /** C = op(A)·op(B) for whole contiguous row-major matrices; C is overwritten, never read. */
  gemmContiguous(
    transA: boolean, transB: boolean, M: number, N: number, K: number, A: F32, B: F32, C: F32,
  ): void;
  gemmBatched(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: F32, aOffsets: Float64Array, lda: number, B: F32, bOffsets: Float64Array, ldb: number,
    beta: number, C: F32, cOffsets: Float64Array, ldc: number,
  ): void;
  // --- convolution (native/binding/conv.cc) ---
  // Geometry of a conv2d: x [N, C, H, W], w [K, C/G, KH, KW], y [N, K, OH, OW]; only the top
  // and left padding enter the index math (bottom/right decide OH, OW).
  conv2dForward(
    y: F32, x: F32, w: F32, bias: F32 | null, N: number, C: number, H: number, W: number,
    K: number, KH: number, KW: number, OH: number, OW: number, strideH: number,
    strideW: number, padTop: number, padLeft: number, dilationH: number, dilationW: number,
    groups: number,
  ): void;
  /** dx = bias (per channel, or 0 when null) + conv2d's input gradient for dy. */
  conv2dBackwardInput(
    dx: F32, dy: F32, w: F32, bias: F32 | null, N: number, C: number, H: number, W: number,
    K: number, KH: number, KW: number, OH: number, OW: number, strideH: number,
    strideW: number, padTop: number, padLeft: number, dilationH: number, dilationW: number,
    groups: number,
  ): void;
  /** dw = conv2d's weight gradient for dy; db = its bias gradient (sum of dy) when given. */
  conv2dBackwardWeight(
    dw: F32, db: F32 | null, x: F32, dy: F32, N: number, C: number, H: number, W: number, K: number,
    KH: number, KW: number, OH: number, OW: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, dilationH: number, dilationW: number, groups: number,
  ): void;
  /** db[c] = sum over n, p of dy[n, c, p]. */
  convBackwardBias(db: F32, dy: F32, N: number, C: number, P: number): void;
  /** y = max_pool2d(conv2d(x, w) + bias) without storing the convolution output; idx: argmax
   *  offsets in the OH x OW convolution planes. */
  conv2dMaxPoolForward(
    y: F32, idx: I32, x: F32, w: F32, bias: F32 | null, N: number, C: number, H: number,
    W: number, K: number, KH: number, KW: number, OH: number, OW: number, strideH: number,
    strideW: number, padTop: number, padLeft: number, dilationH: number, dilationW: number,
    groups: number, poolKH: number, poolKW: number, poolStrideH: number, poolStrideW: number,
    poolPadTop: number, poolPadBottom: number, poolPadLeft: number, poolPadRight: number,
    poolDilationH: number, poolDilationW: number, POH: number, POW: number,
  ): void;
  /** dw, db of conv2dMaxPoolForward from the pooled gradient dy [N, K, P2] and idx (groups 1,
   *  C·KH·KW < 64). */
  conv2dMaxPoolBackwardWeight(
    dw: F32, db: F32 | null, x: F32, dy: F32, idx: I32, N: number, C: number, H: number,
    W: number, K: number, KH: number, KW: number, OH: number, OW: number, strideH: number,
    strideW: number, padTop: number, padLeft: number, dilationH: number, dilationW: number,
    groups: number, P2: number,
  ): void;
  // --- pooling (native/binding/pool.cc) ---
  // x [planes, H, W] -> y [planes, OH, OW]; idx holds argmax offsets ih * W + iw (-1: none).
  maxPool2dForward(
    y: F32, idx: I32, x: F32, planes: number, H: number, W: number, OH: number, OW: number,
    KH: number, KW: number, strideH: number, strideW: number, padTop: number,
    padBottom: number, padLeft: number, padRight: number, dilationH: number, dilationW: number,
  ): void;
  maxPool2dBackward(dx: F32, dy: F32, idx: I32, planes: number, HW: number, P: number): void;
  avgPool2dForward(
    y: F32, x: F32, planes: number, H: number, W: number, OH: number, OW: number, KH: number,
    KW: number, strideH: number, strideW: number, padTop: number, padBottom: number,
    padLeft: number, padRight: number, countIncludePad: boolean, divisorOverride: number,
  ): void;
  avgPool2dBackward(
    dx: F32, dy: F32, planes: number, H: number, W: number, OH: number, OW: number, KH: number,
    KW: number, strideH: number, strideW: number, padTop: number, padBottom: number,
    padLeft: number, padRight: number, countIncludePad: boolean, divisorOverride: number,
  ): void;
  adaptiveAvgPool2dForward(
    y: F32, x: F32, planes: number, H: number, W: number, OH: number, OW: number,
  ): void;
  adaptiveAvgPool2dBackward(
    dx: F32, dy: F32, planes: number, H: number, W: number, OH: number, OW: number,
  ): void;
  adaptiveMaxPool2dForward(
    y: F32, idx: I32, x: F32, planes: number, H: number, W: number, OH: number, OW: number,
  ): void;
  // --- normalisation (native/binding/norm.cc) ---
  batchNormForward(
    y: F32, mean: F32, invstd: F32, runningMean: F32 | null, runningVar: F32 | null, x: F32,
    weight: F32 | null, bias: F32 | null, N: number, C: number, S: number,
    useBatchStats: boolean, momentum: number, eps: number,
  ): void;
  batchNormBackward(
    dx: F32 | null, dweight: F32 | null, dbias: F32 | null, dy: F32, x: F32, mean: F32,
    invstd: F32, weight: F32 | null, N: number, C: number, S: number, useBatchStats: boolean,
  ): void;
  layerNormForward(
    y: F32, mean: F32, rstd: F32, x: F32, weight: F32 | null, bias: F32 | null, M: number,
    D: number, eps: number,
  ): void;
  layerNormBackward(
    dx: F32 | null, dweight: F32 | null, dbias: F32 | null, dy: F32, x: F32, mean: F32,
    rstd: F32, weight: F32 | null, M: number, D: number,
  ): void;
  groupNormForward(
    y: F32, mean: F32, rstd: F32, x: F32, weight: F32 | null, bias: F32 | null, N: number,
    C: number, S: number, G: number, eps: number,
  ): void;
  groupNormBackward(
    dx: F32 | null, dweight: F32 | null, dbias: F32 | null, dy: F32, x: F32, mean: F32,
    rstd: F32, weight: F32 | null, N: number, C: number, S: number, G: number,
  ): void;
  // --- recurrent (native/binding/rnn.cc) ---
  // One layer in one direction over a whole sequence. mode 0 tanh RNN, 1 ReLU RNN, 2 LSTM,
  // 3 GRU; flags: 1 reverse, 2 peephole, 4 coupled, 8 resetAfter (GRU), 16 proj (LSTM);
  // dims [T, N, F, H, P]. Shapes and workspace layout: native/kernels/rnn.h.
  /** [forward workspace, backward workspace, dparams] lengths in floats. */
  rnnWorkspaceSizes(mode: number, flags: number, dims: number[]): [number, number, number];
  rnnForward(
    mode: number, flags: number, dims: number[], x: F32, lengths: I32 | null, h0: F32 | null,
    c0: F32 | null, wIh: F32, wHh: F32, bIh: F32 | null, bHh: F32 | null, wHr: F32 | null,
    wPeep: F32 | null, out: F32, hN: F32 | null, cN: F32 | null, ws: F32,
  ): void;
  /** dparams receives dwIh, dwHh, dbIh, dbHh, then dwHr (proj) and dwPeep (peephole). */
  rnnBackward(
    mode: number, flags: number, dims: number[], x: F32, lengths: I32 | null, wIh: F32,
    wHh: F32, wHr: F32 | null, wPeep: F32 | null, ws: F32, dOut: F32 | null, dhN: F32 | null,
    dcN: F32 | null, dx: F32 | null, dh0: F32 | null, dc0: F32 | null, dparams: F32, bws: F32,
  ): void;
  // --- optimizers (native/binding/optim.cc) ---
  sgdStep(
    param: F32, momentumBuffer: F32 | null, grad: F32, n: number, lr: number, momentum: number,
    dampening: number, weightDecay: number, nesterov: boolean, maximize: boolean, first: boolean,
  ): void;
  adamStep(
    param: F32, expAvg: F32, expAvgSq: F32, maxExpAvgSq: F32 | null, grad: F32, n: number,
    step: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number,
    amsgrad: boolean, maximize: boolean, decoupled: boolean,
  ): void;
  rmspropStep(
    param: F32, squareAvg: F32, gradAvg: F32 | null, momentumBuffer: F32 | null, grad: F32,
    n: number, lr: number, alpha: number, eps: number, weightDecay: number, momentum: number,
    centered: boolean, maximize: boolean,
  ): void;
  adagradStep(
    param: F32, sum: F32, grad: F32, n: number, step: number, lr: number, lrDecay: number,
    eps: number, weightDecay: number, maximize: boolean,
  ): void;
  adadeltaStep(
    param: F32, squareAvg: F32, accDelta: F32, grad: F32, n: number, lr: number, rho: number,
    eps: number, weightDecay: number, maximize: boolean,
  ): void;
  adamaxStep(
    param: F32, expAvg: F32, expInf: F32, grad: F32, n: number, step: number, lr: number,
    beta1: number, beta2: number, eps: number, weightDecay: number, maximize: boolean,
  ): void;
  /** Returns mu_product after the step. */
  nadamStep(
    param: F32, expAvg: F32, expAvgSq: F32, grad: F32, n: number, step: number,
    muProduct: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, momentumDecay: number,
  ): number;
  /** Σ|x|^p in double (max |x| for p = Infinity). */
  gradNormPartial(x: F32, n: number, p: number): number;
  gradScale(x: F32, n: number, c: number): void;
  gradClamp(x: F32, n: number, c: number): void;
}

function load(): NativeAddon {
  const root = path.resolve(__dirname, '..');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    return nodeGypBuild(root) as NativeAddon;
  } catch (err) {
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(
      `neurite: could not load its native addon (platform ${process.platform}, arch ` +
        `${process.arch}, Node-API ${process.versions.napi}, Node ${process.version}, ` +
        `${cpu}${cpuFeatures()}). Looked for build/Release/neurite.node and ` +
        `prebuilds/${process.platform}-${process.arch}/ under ${root}. Reinstall the package, ` +
        `or build from source with a C++17 compiler (npm rebuild neurite). Cause: ${detail}`,
    );
  }
}

/** ', CPU features: ...' with the x86 features the kernels care about ('' when unknown). */
function cpuFeatures(): string {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set(/^flags\s*:(.*)$/m.exec(info)?.[1].trim().split(/\s+/) ?? []);
    const known = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => flags.has(f));
    return flags.size > 0 ? `, CPU features: ${known.join(' ') || 'none of sse4_2 avx avx2 fma'}` : '';
  } catch {
    return '';
  }
}

/** Warns once about environment settings the runtime does not understand (it ignores them). */
function checkEnvironment(addon: NativeAddon): void {
  const isa = process.env.NEURITE_ISA;
  if (isa !== undefined && isa !== '') {
    const active = addon.backendInfo().isa;
    if (!['baseline', 'scalar', 'avx2', 'avx2-fma', 'avx512', 'auto'].includes(isa)) {
      process.emitWarning(
        `NEURITE_ISA must be 'baseline' (or 'scalar'), 'avx2', 'avx512' or 'auto', got ` +
          `'${isa}'; using ${active}`,
        'NeuriteWarning',
      );
    } else if ((isa === 'avx2' || isa === 'avx2-fma') && active !== 'avx2-fma') {
      process.emitWarning(
        `NEURITE_ISA=${isa} asks for AVX2/FMA kernels but this CPU lacks AVX2 or FMA; using ${active}`,
        'NeuriteWarning',
      );
    } else if (isa === 'avx512' && active !== 'avx512') {
      process.emitWarning(
        `NEURITE_ISA=avx512 asks for AVX-512 kernels but this CPU (or OS) lacks AVX-512F; ` +
          `using ${active}`,
        'NeuriteWarning',
      );
    }
  }
  const malloc = process.env.NEURITE_MALLOC;
  if (malloc !== undefined && malloc !== '' && malloc !== 'system' && malloc !== 'tuned') {
    process.emitWarning(
      `NEURITE_MALLOC must be 'system' or 'tuned', got '${malloc}'; using ` +
        (addon.backendInfo().mallocTuned ? 'tuned' : 'system'),
      'NeuriteWarning',
    );
  }
  const threads = process.env.NEURITE_NUM_THREADS;
  if (threads !== undefined && threads !== '' && !/^[1-9][0-9]*$/.test(threads.trim())) {
    process.emitWarning(
      `NEURITE_NUM_THREADS must be a positive integer, got '${threads}'; using ` +
        `${addon.backendInfo().threads} threads`,
      'NeuriteWarning',
    );
  }
}

export const native: NativeAddon = load();
checkEnvironment(native);
