// Recurrent ops: one layer in one direction over a whole sequence, forward in one native call
// (native/kernels/rnn.cc) and backward (BPTT) in one more, from the workspace the forward
// filled. One recorded node per layer-direction; its outputs (out, h_n, c_n) are views of one
// packed buffer. The modules (lib/nn/rnn.ts) stack these into layers and directions.
import { native } from '../native';
import { formatShape } from '../shape';
import { record, Tensor } from '../tensor';
import { checkTensor } from './elementwise';

/** Cell type of a recurrent layer. */
export type RnnMode = 'rnnTanh' | 'rnnRelu' | 'lstm' | 'gru';

const MODE_CODE: Record<RnnMode, number> = { rnnTanh: 0, rnnRelu: 1, lstm: 2, gru: 3 };
const F_REVERSE = 1;
const F_PEEPHOLE = 2;
const F_COUPLED = 4;
const F_RESET_AFTER = 8;
const F_PROJ = 16;

/** Weights of one layer-direction, PyTorch layouts (gates packed: LSTM i,f,g,o; coupled LSTM
 *  f,g,o; GRU r,z,n). */
export interface RnnLayerWeights {
  /** [G·H, F] */
  wIh: Tensor;
  /** [G·H, P] */
  wHh: Tensor;
  /** [G·H] or null */
  bIh?: Tensor | null;
  /** [G·H] or null */
  bHh?: Tensor | null;
  /** LSTM projection [P, H] (projSize), or null */
  wHr?: Tensor | null;
  /** LSTM peephole weights [3, H]: rows w_ci, w_cf, w_co; or null */
  wPeep?: Tensor | null;
}

export interface RnnLayerOptions {
  /** Run from the last valid step to the first (default false). */
  reverse?: boolean;
  /** LSTM with a coupled input-forget gate, i = 1 − f (default false). */
  coupled?: boolean;
  /** GRU: reset applied to the hidden projection, as PyTorch (default true). */
  resetAfter?: boolean;
  /** Valid steps per sequence, each in [0, T] (default: all T). Need not be sorted. */
  lengths?: Int32Array | null;
}

export interface RnnLayerResult {
  /** [T, N, P]: h_t, zeros at steps past a sequence's length. */
  out: Tensor;
  /** [N, P]: the state after each sequence's last valid step. */
  hN: Tensor;
  /** [N, H] (LSTM), else null. */
  cN: Tensor | null;
}

/** Number of packed gates of a layer. */
export function gateCount(mode: RnnMode, coupled = false): number {
  if (mode === 'lstm') return coupled ? 3 : 4;
  return mode === 'gru' ? 3 : 1;
}

function expectShape(fn: string, arg: string, t: Tensor, want: number[], letters: string): void {
  checkTensor(fn, arg, t);
  if (t.dtype !== 'float32') throw new TypeError(`${fn}: ${arg} must be float32, got ${t.dtype}`);
  if (t.ndim !== want.length || t.shape.some((s, i) => s !== want[i])) {
    throw new RangeError(`${fn}: ${arg} must be ${letters} = ${formatShape(want)}, got ${formatShape(t.shape)}`);
  }
}

/** A view of `flat` (elements offset .. offset + size(shape)) recorded as a slice of `whole`. */
function part(whole: Tensor, offset: number, shape: number[]): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const view = new Tensor((whole.data as Float32Array).subarray(offset, offset + n), shape);
  return record(view, 'rnnOutput', [whole], (dy) => {
    const g = new Float32Array(whole.size);
    g.set(dy.data as Float32Array, offset);
    return [new Tensor(g, whole.shape)];
  });
}

/**
 * One recurrent layer in one direction over a whole time-major sequence.
 *
 * RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu.
 * LSTM: i, f, g, o = σ, σ, tanh, σ of W_ih x + b_ih + W_hh h + b_hh (+ w_ci ⊙ c, w_cf ⊙ c for
 * i, f and w_co ⊙ c' for o with peepholes; i = 1 − f when coupled); c' = f ⊙ c + i ⊙ g;
 * h' = o ⊙ tanh(c') (then · W_hrᵀ with a projection).
 * GRU: r, z = σ(W_i· x + b_i· + W_h· h + b_h·); n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 * (resetAfter, PyTorch) or tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn); h' = (1 − z) ⊙ n + z ⊙ h.
 *
 * Shape: x [T, N, F], h0 [N, P], c0 [N, H] -> out [T, N, P], hN [N, P], cN [N, H]; P = H
 * unless wHr is given (then P = its rows).
 * @throws RangeError naming the argument whose shape does not fit
 */
export function rnnLayer(
  mode: RnnMode,
  x: Tensor,
  h0: Tensor | null,
  c0: Tensor | null,
  weights: RnnLayerWeights,
  options: RnnLayerOptions = {},
): RnnLayerResult {
  const fn = mode;
  if (!(mode in MODE_CODE)) {
    throw new RangeError(`rnnLayer: mode must be rnnTanh, rnnRelu, lstm or gru, got ${String(mode)}`);
  }
  checkTensor(fn, 'input', x);
  if (x.ndim !== 3) throw new RangeError(`${fn}: input must be [T, N, F], got ${formatShape(x.shape)}`);
  const [T, N, F] = x.shape;
  const lstm = mode === 'lstm';
  const coupled = lstm && (options.coupled ?? false);
  const G = gateCount(mode, coupled);
  const { wIh, wHh } = weights;
  checkTensor(fn, 'wIh', wIh);
  if (wIh.ndim !== 2 || wIh.shape[0] % G !== 0) {
    throw new RangeError(`${fn}: wIh must be [${G}·H, ${F}], got ${formatShape(wIh.shape)}`);
  }
  const H = wIh.shape[0] / G;
  expectShape(fn, 'wIh', wIh, [G * H, F], '[G·H, F]');
  const wHr = lstm ? (weights.wHr ?? null) : null;
  const P = wHr ? wHr.shape[0] : H;
  if (wHr) expectShape(fn, 'wHr', wHr, [P, H], '[P, H]');
  expectShape(fn, 'wHh', wHh, [G * H, P], '[G·H, P]');
  const bIh = weights.bIh ?? null;
  const bHh = weights.bHh ?? null;
  if (bIh) expectShape(fn, 'bIh', bIh, [G * H], '[G·H]');
  if (bHh) expectShape(fn, 'bHh', bHh, [G * H], '[G·H]');
  const wPeep = lstm ? (weights.wPeep ?? null) : null;
  if (wPeep) expectShape(fn, 'wPeep', wPeep, [3, H], '[3, H]');
  if (h0) expectShape(fn, 'h0', h0, [N, P], '[N, P]');
  const c0u = lstm ? c0 : null;
  if (c0u) expectShape(fn, 'c0', c0u, [N, H], '[N, H]');
  if (x.dtype !== 'float32') throw new TypeError(`${fn}: input must be float32, got ${x.dtype}`);
  const lengths = options.lengths ?? null;
  if (lengths) {
    if (!(lengths instanceof Int32Array) || lengths.length !== N) {
      throw new RangeError(`${fn}: lengths must be an Int32Array of length N = ${N}`);
    }
    for (let n = 0; n < N; ++n) {
      if (lengths[n] < 0 || lengths[n] > T) {
        throw new RangeError(`${fn}: lengths must be in [0, T = ${T}], got ${lengths[n]} at ${n}`);
      }
    }
  }
  let flags = 0;
  if (options.reverse) flags |= F_REVERSE;
  if (wPeep) flags |= F_PEEPHOLE;
  if (coupled) flags |= F_COUPLED;
  if (mode === 'gru' && (options.resetAfter ?? true)) flags |= F_RESET_AFTER;
  if (wHr) flags |= F_PROJ;
  const code = MODE_CODE[mode];
  const dims = [T, N, F, H, P];
  const [wsSize, bwsSize, dpSize] = native.rnnWorkspaceSizes(code, flags, dims);
  const nOut = T * N * P;
  const nH = N * P;
  const nC = lstm ? N * H : 0;
  const packed = new Float32Array(nOut + nH + nC);
  const ws = new Float32Array(wsSize);
  const f32 = (t: Tensor | null) => (t ? (t.data as Float32Array) : null);
  native.rnnForward(
    code, flags, dims, x.data as Float32Array, lengths, f32(h0), f32(c0u),
    wIh.data as Float32Array, wHh.data as Float32Array, f32(bIh), f32(bHh), f32(wHr),
    f32(wPeep), packed.subarray(0, nOut), packed.subarray(nOut, nOut + nH),
    lstm ? packed.subarray(nOut + nH) : null, ws,
  );
  const whole = new Tensor(packed, [packed.length]);
  // inputs in a fixed order; absent ones are left out
  const slots: [string, Tensor | null][] = [
    ['x', x], ['h0', h0], ['c0', c0u], ['wIh', wIh], ['wHh', wHh], ['bIh', bIh], ['bHh', bHh],
    ['wHr', wHr], ['wPeep', wPeep],
  ];
  const present = slots.filter((s): s is [string, Tensor] => s[1] !== null);
  const inputs = present.map((s) => s[1]);
  const lengthsCopy = lengths ? Int32Array.from(lengths) : null;
  record(whole, mode, inputs, (dy, needs) => {
    const want = new Map(present.map(([name], i) => [name, needs[i]]));
    const d = dy.data as Float32Array;
    const dx = want.get('x') ? new Float32Array(T * N * F) : null;
    const dh0 = want.get('h0') ? new Float32Array(N * P) : null;
    const dc0 = want.get('c0') ? new Float32Array(N * H) : null;
    const dparams = new Float32Array(dpSize);
    native.rnnBackward(
      code, flags, dims, x.data as Float32Array, lengthsCopy, wIh.data as Float32Array,
      wHh.data as Float32Array, f32(wHr), f32(wPeep), ws, d.subarray(0, nOut),
      d.subarray(nOut, nOut + nH), lstm ? d.subarray(nOut + nH) : null, dx, dh0, dc0, dparams,
      new Float32Array(bwsSize),
    );
    const GH = G * H;
    let at = 0;
    const take = (n: number) => dparams.subarray(at, (at += n));
    const grads: Record<string, Float32Array | null> = {
      x: dx, h0: dh0, c0: dc0, wIh: take(GH * F), wHh: take(GH * P), bIh: take(GH), bHh: take(GH),
    };
    grads.wHr = wHr ? take(P * H) : null;
    grads.wPeep = wPeep ? take(3 * H) : null;
    return present.map(([name, t], i) => {
      const g = grads[name];
      return needs[i] && g ? new Tensor(g, t.shape) : null;
    });
  });
  if (!whole.requiresGrad) {
    return {
      out: new Tensor(packed.subarray(0, nOut), [T, N, P]),
      hN: new Tensor(packed.subarray(nOut, nOut + nH), [N, P]),
      cN: lstm ? new Tensor(packed.subarray(nOut + nH), [N, H]) : null,
    };
  }
  return {
    out: part(whole, 0, [T, N, P]),
    hN: part(whole, nOut, [N, P]),
    cN: lstm ? part(whole, nOut + nH, [N, H]) : null,
  };
}
