// Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, batch-first, variable
// lengths) and the cells RNNCell, LSTMCell, GRUCell, as their torch.nn namesakes: same
// parameter names, shapes, initialisation, outputs and final states. Each layer-direction runs
// as one native call forward and one backward (lib/ops/rnn.ts). Variants beyond PyTorch:
// peephole and coupled-gate LSTMs, and the original GRU (resetAfter: false).
import { gateCount, rnnLayer, type RnnLayerWeights, type RnnMode } from '../ops/rnn';
import { cat, reshape, select, stack, transpose, unsqueeze } from '../ops/shape';
import { formatShape } from '../shape';
import { Tensor, zeros } from '../tensor';
import { dropout } from './functional';
import { uniform_ } from './init';
import { Module } from './module';
import { Parameter } from './parameter';
import { PackedSequence, toLengths } from './rnn_utils';

function checkSize(fn: string, arg: string, v: unknown, min = 1): number {
  if (!Number.isInteger(v) || (v as number) < min) {
    throw new RangeError(`${fn}: ${arg} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v as number;
}

export interface RNNBaseOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Learn b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [N, T, *] instead of [T, N, *] (default false). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Run a second, reversed direction per layer and concatenate (default false). */
  bidirectional?: boolean;
}

export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

export interface LSTMOptions extends RNNBaseOptions {
  /** Project h to this size with weight_hr (0: none, the default), as PyTorch. */
  projSize?: number;
  /** Peephole connections: weight_peephole_l{k} [3, H] (rows w_ci, w_cf, w_co). */
  peephole?: boolean;
  /** Coupled input-forget gate, i = 1 − f; gates packed (f, g, o), so weights are [3H, *]. */
  coupled?: boolean;
}

export interface GRUOptions extends RNNBaseOptions {
  /** Reset applied after the hidden projection, as PyTorch (default true); false gives the
   *  original GRU, n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn). */
  resetAfter?: boolean;
}

/** Options of a recurrent forward call. */
export interface RNNForwardOptions {
  /** Valid steps per sequence, each in [0, T], in any order. Outputs past a length are zeros,
   *  final states are those after the last valid step, and padded input steps change nothing. */
  lengths?: ArrayLike<number> | Tensor;
}

interface Resolved {
  mode: RnnMode;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  dropout: number;
  bidirectional: boolean;
  projSize: number;
  peephole: boolean;
  coupled: boolean;
  resetAfter: boolean;
}

/** The shared machinery of RNN, LSTM and GRU. */
abstract class RNNBase extends Module {
  readonly mode: RnnMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly peephole: boolean;
  readonly coupled: boolean;
  readonly resetAfter: boolean;
  /** @internal per layer-direction (index l·D + d) */
  readonly _layers: RnnLayerWeights[] = [];

  constructor(fn: string, inputSize: number, hiddenSize: number, r: Resolved) {
    super();
    this.mode = r.mode;
    this.inputSize = checkSize(fn, 'inputSize', inputSize, 0);
    this.hiddenSize = checkSize(fn, 'hiddenSize', hiddenSize);
    this.numLayers = checkSize(fn, 'numLayers', r.numLayers);
    if (typeof r.dropout !== 'number' || !(r.dropout >= 0 && r.dropout <= 1)) {
      throw new RangeError(`${fn}: dropout must be a probability in [0, 1], got ${String(r.dropout)}`);
    }
    if (!Number.isInteger(r.projSize) || r.projSize < 0 || (r.projSize > 0 && r.projSize >= hiddenSize)) {
      throw new RangeError(`${fn}: projSize must be an integer in [0, hiddenSize = ${hiddenSize}), got ${r.projSize}`);
    }
    this.bias = r.bias;
    this.batchFirst = r.batchFirst;
    this.dropout = r.dropout;
    this.bidirectional = r.bidirectional;
    this.projSize = r.projSize;
    this.peephole = r.peephole;
    this.coupled = r.coupled;
    this.resetAfter = r.resetAfter;
    const H = hiddenSize;
    const G = gateCount(r.mode, r.coupled);
    const P = r.projSize > 0 ? r.projSize : H;
    const D = r.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; ++l) {
      for (let d = 0; d < D; ++d) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const F = l === 0 ? inputSize : P * D;
        const p = (name: string, shape: number[]) =>
          this.registerParameter(name + sfx, new Parameter(zeros(shape)));
        const w: RnnLayerWeights = { wIh: p('weight_ih', [G * H, F]), wHh: p('weight_hh', [G * H, P]) };
        if (r.bias) {
          w.bIh = p('bias_ih', [G * H]);
          w.bHh = p('bias_hh', [G * H]);
        }
        if (r.projSize > 0) w.wHr = p('weight_hr', [P, H]);
        if (r.peephole) w.wPeep = p('weight_peephole', [3, H]);
        this._layers.push(w);
      }
    }
    this.resetParameters();
  }

  /** Every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), as PyTorch. */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const [, p] of this.namedParameters('', false)) uniform_(p, -bound, bound);
  }

  /** Output size per direction: projSize or hiddenSize. */
  get outputSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}`, `${this.hiddenSize}`];
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (this.mode === 'rnnRelu') parts.push(`nonlinearity='relu'`);
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    if (this.projSize) parts.push(`projSize=${this.projSize}`);
    if (this.peephole) parts.push('peephole=true');
    if (this.coupled) parts.push('coupled=true');
    if (this.mode === 'gru' && !this.resetAfter) parts.push('resetAfter=false');
    return parts.join(', ');
  }

  /** Runs all layers. hx / cx: [L·D, N, P] / [L·D, N, H] or null. */
  protected run(
    fn: string,
    input: Tensor | PackedSequence,
    hx: Tensor | null,
    cx: Tensor | null,
    options: RNNForwardOptions,
  ): { output: Tensor | PackedSequence; h: Tensor; c: Tensor | null } {
    const lstm = this.mode === 'lstm';
    const D = this.bidirectional ? 2 : 1;
    const L = this.numLayers;
    const P = this.outputSize;
    const H = this.hiddenSize;
    let x: Tensor;
    let lengths: Int32Array | null = null;
    const packed = input instanceof PackedSequence;
    let unbatched = false;
    if (packed) {
      x = input.padded;
      lengths = input.lengths;
    } else {
      if (!(input instanceof Tensor)) {
        throw new TypeError(`${fn}: input must be a Tensor or PackedSequence, got ${typeof input}`);
      }
      if (input.ndim === 2) {
        unbatched = true;
        x = unsqueeze(input, 1);
      } else if (input.ndim === 3) {
        x = this.batchFirst ? transpose(input, 0, 1) : input;
      } else {
        const want = this.batchFirst ? '[N, T, F]' : '[T, N, F]';
        throw new RangeError(`${fn}: input must be ${want} or [T, F], got ${formatShape(input.shape)}`);
      }
    }
    const [T, N, F] = x.shape;
    if (F !== this.inputSize) {
      const want = packed ? '[T, N, F]' : unbatched ? '[T, F]' : this.batchFirst ? '[N, T, F]' : '[T, N, F]';
      throw new RangeError(
        `${fn}: input must be ${want} with F = ${this.inputSize}, got ${formatShape(packed ? x.shape : (input as Tensor).shape)}`,
      );
    }
    if (options.lengths !== undefined && options.lengths !== null) {
      if (packed) throw new RangeError(`${fn}: lengths must not be given with a PackedSequence`);
      lengths = toLengths(fn, options.lengths, N, T);
    }
    const checkState = (name: string, s: Tensor | null, size: number): Tensor | null => {
      if (s === null || s === undefined) return null;
      if (!(s instanceof Tensor)) throw new TypeError(`${fn}: ${name} must be a Tensor, got ${typeof s}`);
      const st = unbatched && s.ndim === 2 ? unsqueeze(s, 1) : s;
      if (st.ndim !== 3 || st.shape[0] !== L * D || st.shape[1] !== N || st.shape[2] !== size) {
        const want = unbatched ? `[${L * D}, ${size}]` : `[${L * D}, ${N}, ${size}]`;
        throw new RangeError(`${fn}: ${name} must be [numLayers·D, N, ${name === 'c0' ? 'H' : 'P'}] = ${want}, got ${formatShape(s.shape)}`);
      }
      return st;
    };
    const h0 = checkState('h0', hx, P);
    const c0 = lstm ? checkState('c0', cx, H) : null;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    let layerInput = x;
    for (let l = 0; l < L; ++l) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; ++d) {
        const k = l * D + d;
        const res = rnnLayer(
          this.mode, layerInput, h0 ? select(h0, 0, k) : null, c0 ? select(c0, 0, k) : null,
          this._layers[k],
          { reverse: d === 1, lengths, coupled: this.coupled, resetAfter: this.resetAfter },
        );
        outs.push(res.out);
        hs.push(res.hN);
        if (res.cN) cs.push(res.cN);
      }
      layerInput = D === 1 ? outs[0] : cat(outs, 2);
      if (this.dropout > 0 && this.training && l < L - 1) layerInput = dropout(layerInput, this.dropout, true);
    }
    let h = hs.length === 1 ? unsqueeze(hs[0], 0) : stack(hs, 0);
    let c = lstm ? (cs.length === 1 ? unsqueeze(cs[0], 0) : stack(cs, 0)) : null;
    let output: Tensor | PackedSequence;
    if (packed) {
      output = new PackedSequence(layerInput, lengths as Int32Array);
    } else if (unbatched) {
      output = reshape(layerInput, [T, D * P]);
      h = reshape(h, [L * D, P]);
      if (c) c = reshape(c, [L * D, H]);
    } else {
      output = this.batchFirst ? transpose(layerInput, 0, 1) : layerInput;
    }
    return { output, h, c };
  }
}

/**
 * Elman RNN, as torch.nn.RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act = tanh or
 * relu, per layer and direction.
 * Shape: input [T, N, F] ([N, T, F] with batchFirst; [T, F] unbatched), h0 [L·D, N, H]
 * -> output [T, N, D·H], h_n [L·D, N, H].
 * Parameters: weight_ih_l{k} [H, F] (k = 0) or [H, D·H], weight_hh_l{k} [H, H], bias_ih_l{k},
 * bias_hh_l{k} [H], '_reverse' suffix for the second direction; all ~ U(-1/sqrt(H), 1/sqrt(H)).
 * @example const [out, hN] = new RNN(8, 16, { numLayers: 2 }).forward(randn([5, 3, 8]));
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') {
      throw new RangeError(`RNN: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    }
    super('RNN', inputSize, hiddenSize, resolve(nl === 'tanh' ? 'rnnTanh' : 'rnnRelu', options));
    this.nonlinearity = nl;
  }

  forward(input: Tensor, hx?: Tensor | null, options?: RNNForwardOptions): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null, options?: RNNForwardOptions): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null, options: RNNForwardOptions = {}): [Tensor | PackedSequence, Tensor] {
    const r = this.run('RNN', input, hx, null, options);
    return [r.output, r.h];
  }
}

/**
 * Long short-term memory, as torch.nn.LSTM:
 * i, f, g, o = σ, σ, tanh, σ of (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), gates packed (i, f,
 * g, o); c_t = f ⊙ c_{t-1} + i ⊙ g; h_t = o ⊙ tanh(c_t), times W_hrᵀ with projSize.
 * Variants: peephole (i and f also see w_ci ⊙ c_{t-1}, w_cf ⊙ c_{t-1}; o sees w_co ⊙ c_t;
 * parameter weight_peephole_l{k} [3, H]), coupled (i = 1 − f; gates (f, g, o), weights [3H, *]).
 * Shape: input [T, N, F] ([N, T, F] with batchFirst), h0 [L·D, N, P], c0 [L·D, N, H]
 * -> output [T, N, D·P], [h_n [L·D, N, P], c_n [L·D, N, H]]; P = projSize or H.
 * Parameters: weight_ih_l{k} [4H, F or D·P], weight_hh_l{k} [4H, P], bias_ih_l{k},
 * bias_hh_l{k} [4H], weight_hr_l{k} [P, H] (projSize), '_reverse' suffix for the second
 * direction; all ~ U(-1/sqrt(H), 1/sqrt(H)).
 * @example const [out, [hN, cN]] = new LSTM(8, 16).forward(randn([5, 3, 8]));
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super('LSTM', inputSize, hiddenSize, resolve('lstm', options));
  }

  forward(input: Tensor, hx?: [Tensor, Tensor] | null, options?: RNNForwardOptions): [Tensor, [Tensor, Tensor]];
  forward(input: PackedSequence, hx?: [Tensor, Tensor] | null, options?: RNNForwardOptions): [PackedSequence, [Tensor, Tensor]];
  forward(
    input: Tensor | PackedSequence,
    hx: [Tensor, Tensor] | null = null,
    options: RNNForwardOptions = {},
  ): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (hx !== null && hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new TypeError('LSTM: hx must be [h0, c0] or null');
    }
    const r = this.run('LSTM', input, hx ? hx[0] : null, hx ? hx[1] : null, options);
    return [r.output, [r.h, r.c as Tensor]];
  }
}

/**
 * Gated recurrent unit, as torch.nn.GRU: r, z = σ(W_i· x + b_i· + W_h· h + b_h·),
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}; gates packed
 * (r, z, n). With resetAfter: false, n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn) (Cho et
 * al. 2014), same parameters.
 * Shape: input [T, N, F] ([N, T, F] with batchFirst), h0 [L·D, N, H] -> output [T, N, D·H],
 * h_n [L·D, N, H].
 * Parameters: weight_ih_l{k} [3H, F or D·H], weight_hh_l{k} [3H, H], bias_ih_l{k},
 * bias_hh_l{k} [3H], '_reverse' suffix; all ~ U(-1/sqrt(H), 1/sqrt(H)).
 * @example const [out, hN] = new GRU(8, 16, { bidirectional: true }).forward(randn([5, 3, 8]));
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    super('GRU', inputSize, hiddenSize, resolve('gru', options));
  }

  forward(input: Tensor, hx?: Tensor | null, options?: RNNForwardOptions): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null, options?: RNNForwardOptions): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null, options: RNNForwardOptions = {}): [Tensor | PackedSequence, Tensor] {
    const r = this.run('GRU', input, hx, null, options);
    return [r.output, r.h];
  }
}

function resolve(mode: RnnMode, o: RNNBaseOptions & LSTMOptions & GRUOptions): Resolved {
  const fn = mode === 'lstm' ? 'LSTM' : mode === 'gru' ? 'GRU' : 'RNN';
  const lstm = mode === 'lstm';
  if (!lstm && ((o.projSize ?? 0) !== 0 || o.peephole || o.coupled)) {
    throw new RangeError(`${fn}: projSize, peephole and coupled are LSTM options`);
  }
  return {
    mode,
    numLayers: o.numLayers ?? 1,
    bias: o.bias ?? true,
    batchFirst: o.batchFirst ?? false,
    dropout: o.dropout ?? 0,
    bidirectional: o.bidirectional ?? false,
    projSize: o.projSize ?? 0,
    peephole: lstm && (o.peephole ?? false),
    coupled: lstm && (o.coupled ?? false),
    resetAfter: o.resetAfter ?? true,
  };
}

// --- cells ---------------------------------------------------------------------------------

abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly mode: RnnMode;
  declare weight_ih: Parameter;
  declare weight_hh: Parameter;
  declare bias_ih: Parameter | null;
  declare bias_hh: Parameter | null;

  constructor(fn: string, mode: RnnMode, inputSize: number, hiddenSize: number, bias: boolean) {
    super();
    this.mode = mode;
    this.inputSize = checkSize(fn, 'inputSize', inputSize, 0);
    this.hiddenSize = checkSize(fn, 'hiddenSize', hiddenSize);
    this.bias = bias;
    const GH = gateCount(mode) * hiddenSize;
    this.registerParameter('weight_ih', new Parameter(zeros([GH, inputSize])));
    this.registerParameter('weight_hh', new Parameter(zeros([GH, hiddenSize])));
    this.registerParameter('bias_ih', bias ? new Parameter(zeros([GH])) : null);
    this.registerParameter('bias_hh', bias ? new Parameter(zeros([GH])) : null);
    this.resetParameters();
  }

  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const [, p] of this.namedParameters('', false)) uniform_(p, -bound, bound);
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=false'}` +
      (this.mode === 'rnnRelu' ? `, nonlinearity='relu'` : '');
  }

  /** One step: x [N, F] or [F]; states [N, H] or [H]. */
  protected step(fn: string, x: Tensor, h: Tensor | null, c: Tensor | null): [Tensor, Tensor | null] {
    if (!(x instanceof Tensor)) throw new TypeError(`${fn}: input must be a Tensor, got ${typeof x}`);
    if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${fn}: input must be [N, F] or [F] with F = ${this.inputSize}, got ${formatShape(x.shape)}`);
    }
    const unbatched = x.ndim === 1;
    const N = unbatched ? 1 : x.shape[0];
    const H = this.hiddenSize;
    const state = (name: string, s: Tensor | null): Tensor | null => {
      if (s === null || s === undefined) return null;
      const want = unbatched ? [H] : [N, H];
      if (!(s instanceof Tensor) || formatShape(s.shape) !== formatShape(want)) {
        throw new RangeError(`${fn}: ${name} must be ${formatShape(want)}, got ${s instanceof Tensor ? formatShape(s.shape) : typeof s}`);
      }
      return reshape(s, [N, H]);
    };
    const h0 = state('hx', h);
    const c0 = state('cx', c);
    const res = rnnLayer(this.mode, reshape(x, [1, N, this.inputSize]), h0, c0, {
      wIh: this.weight_ih, wHh: this.weight_hh, bIh: this.bias_ih, bHh: this.bias_hh,
    });
    const shape = unbatched ? [H] : [N, H];
    return [reshape(res.hN, shape), res.cN ? reshape(res.cN, shape) : null];
  }
}

/**
 * One Elman RNN step, as torch.nn.RNNCell: h' = act(W_ih x + b_ih + W_hh h + b_hh).
 * Shape: input [N, F] (or [F]), hx [N, H] -> h' [N, H].
 * Parameters: weight_ih [H, F], weight_hh [H, H], bias_ih, bias_hh [H] ~ U(-1/sqrt(H), 1/sqrt(H)).
 */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; nonlinearity?: 'tanh' | 'relu' } = {}) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') {
      throw new RangeError(`RNNCell: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    }
    super('RNNCell', nl === 'tanh' ? 'rnnTanh' : 'rnnRelu', inputSize, hiddenSize, options.bias ?? true);
    this.nonlinearity = nl;
  }
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.step('RNNCell', input, hx, null)[0];
  }
}

/**
 * One LSTM step, as torch.nn.LSTMCell (gates i, f, g, o).
 * Shape: input [N, F] (or [F]), hx [h [N, H], c [N, H]] -> [h', c'].
 * Parameters: weight_ih [4H, F], weight_hh [4H, H], bias_ih, bias_hh [4H] ~ U(-1/sqrt(H), 1/sqrt(H)).
 */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean } = {}) {
    super('LSTMCell', 'lstm', inputSize, hiddenSize, options.bias ?? true);
  }
  forward(input: Tensor, hx: [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const [h, c] = this.step('LSTMCell', input, hx ? hx[0] : null, hx ? hx[1] : null);
    return [h, c as Tensor];
  }
}

/**
 * One GRU step, as torch.nn.GRUCell (gates r, z, n; reset after the hidden projection).
 * Shape: input [N, F] (or [F]), hx [N, H] -> h' [N, H].
 * Parameters: weight_ih [3H, F], weight_hh [3H, H], bias_ih, bias_hh [3H] ~ U(-1/sqrt(H), 1/sqrt(H)).
 */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean } = {}) {
    super('GRUCell', 'gru', inputSize, hiddenSize, options.bias ?? true);
  }
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.step('GRUCell', input, hx, null)[0];
  }
}
