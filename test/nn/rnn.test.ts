// RNN, LSTM, GRU and their cells: outputs, final states and every gradient equal PyTorch's
// (fixtures from scripts/fixtures/rnn.py loaded through loadStateDict) for layers,
// bidirectional, batchFirst, lengths (unsorted, garbage in padded steps), projSize, no bias;
// finite differences for the variants PyTorch lacks; lengths semantics; long BPTT; errors.
import { describe, expect, it } from 'vitest';
import { noGrad, randn, manualSeed, Tensor, tensor, zeros } from '../../lib/index';
import { clipGradNorm_ } from '../../lib/optim/clip';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from '../../lib/nn/rnn';
import {
  packPaddedSequence, packSequence, padPackedSequence, padSequence, PackedSequence,
} from '../../lib/nn/rnn_utils';
import { rnnLayer } from '../../lib/ops/rnn';
import { backwardWeighted, expectGrad, expectParamGrads } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

interface SeqCase {
  name: string;
  kind: 'rnn' | 'lstm' | 'gru';
  T: number;
  N: number;
  F: number;
  H: number;
  config: {
    numLayers: number; bidirectional: boolean; batchFirst: boolean; bias: boolean;
    projSize: number; nonlinearity: 'tanh' | 'relu';
  };
  lengths: number[] | null;
  keys: string[];
  state: Record<string, FixtureTensor>;
  x: FixtureTensor;
  h0: FixtureTensor;
  c0?: FixtureTensor;
  out: FixtureTensor;
  h_n: FixtureTensor;
  c_n?: FixtureTensor;
  r_out: FixtureTensor;
  r_h: FixtureTensor;
  r_c?: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  paramGrads: Record<string, FixtureTensor>;
}

const SEQ_CASES = [
  'lstm_l1', 'lstm_l2_bidir_bf', 'lstm_nobias', 'lstm_proj_l2_bidir', 'lstm_lengths_l2_bidir',
  'lstm_lengths_bf', 'lstm_proj_lengths_bidir', 'gru_l1', 'gru_l2_bidir_bf', 'gru_nobias',
  'gru_lengths_l2_bidir', 'rnn_tanh_l1', 'rnn_relu_l2_bidir', 'rnn_tanh_lengths_bidir_bf',
];

function build(c: SeqCase): RNN | LSTM | GRU {
  const { numLayers, bidirectional, batchFirst, bias, projSize, nonlinearity } = c.config;
  const base = { numLayers, bidirectional, batchFirst, bias };
  if (c.kind === 'lstm') return new LSTM(c.F, c.H, { ...base, projSize });
  if (c.kind === 'gru') return new GRU(c.F, c.H, base);
  return new RNN(c.F, c.H, { ...base, nonlinearity });
}

const state = (c: { state: Record<string, FixtureTensor> }) =>
  Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, toTensor(v)]));

describe('recurrent modules match PyTorch (outputs, final states, all gradients)', () => {
  for (const name of SEQ_CASES) {
    it(`matches reference: ${name}`, () => {
      const c = fixtureFile(`rnn/${name}`) as unknown as SeqCase;
      const m = build(c);
      expect(Object.keys(m.stateDict())).toEqual(c.keys);
      m.loadStateDict(state(c));
      const x = toTensor(c.x, true);
      const h0 = toTensor(c.h0, true);
      const c0 = c.c0 ? toTensor(c.c0, true) : null;
      const opts = c.lengths ? { lengths: c.lengths } : {};
      let out: Tensor;
      let hN: Tensor;
      let cN: Tensor | null = null;
      if (m instanceof LSTM) {
        const [o, [h, cc]] = m.forward(x, [h0, c0 as Tensor], opts);
        out = o;
        hN = h;
        cN = cc;
      } else {
        [out, hN] = (m as RNN).forward(x, h0, opts);
      }
      expectClose(out, toTensor(c.out), TOL.value);
      expectClose(hN, toTensor(c.h_n), TOL.value);
      if (cN) expectClose(cN, toTensor(c.c_n as FixtureTensor), TOL.value);
      if (cN) backwardWeighted([out, hN, cN], [c.r_out, c.r_h, c.r_c as FixtureTensor]);
      else backwardWeighted([out, hN], [c.r_out, c.r_h]);
      expectGrad(x, c.grads.x);
      expectGrad(h0, c.grads.h0);
      if (c0) expectGrad(c0, c.grads.c0);
      expectParamGrads(m, c.paramGrads);
    });
  }
});

interface CellCase {
  name: string;
  kind: 'rnn' | 'lstm' | 'gru';
  N: number;
  F: number;
  H: number;
  config: { bias: boolean; nonlinearity: 'tanh' | 'relu' };
  keys: string[];
  state: Record<string, FixtureTensor>;
  x: FixtureTensor;
  h0: FixtureTensor;
  c0?: FixtureTensor;
  h: FixtureTensor;
  c?: FixtureTensor;
  r_h: FixtureTensor;
  r_c?: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  paramGrads: Record<string, FixtureTensor>;
}

describe('cells match PyTorch', () => {
  for (const name of ['cell_lstm', 'cell_gru', 'cell_rnn_tanh', 'cell_rnn_relu_nobias']) {
    it(`matches reference: ${name}`, () => {
      const c = fixtureFile(`rnn/${name}`) as unknown as CellCase;
      const m =
        c.kind === 'lstm' ? new LSTMCell(c.F, c.H, { bias: c.config.bias })
        : c.kind === 'gru' ? new GRUCell(c.F, c.H, { bias: c.config.bias })
        : new RNNCell(c.F, c.H, c.config);
      expect(Object.keys(m.stateDict())).toEqual(c.keys);
      m.loadStateDict(state(c));
      const x = toTensor(c.x, true);
      const h0 = toTensor(c.h0, true);
      const c0 = c.c0 ? toTensor(c.c0, true) : null;
      if (m instanceof LSTMCell) {
        const [h, cc] = m.forward(x, [h0, c0 as Tensor]);
        expectClose(h, toTensor(c.h), TOL.value);
        expectClose(cc, toTensor(c.c as FixtureTensor), TOL.value);
        backwardWeighted([h, cc], [c.r_h, c.r_c as FixtureTensor]);
      } else {
        const h = (m as GRUCell).forward(x, h0);
        expectClose(h, toTensor(c.h), TOL.value);
        backwardWeighted(h, c.r_h);
      }
      expectGrad(x, c.grads.x);
      expectGrad(h0, c.grads.h0);
      if (c0) expectGrad(c0, c.grads.c0);
      expectParamGrads(m, c.paramGrads);
    });
  }
});

// --- variants PyTorch lacks: finite differences through the fused kernels -------------------

const T = 4, N = 3, F = 3, H = 3;
const lengths = Int32Array.from([4, 1, 3]);

function layerCheck(
  mode: 'lstm' | 'gru' | 'rnnTanh' | 'rnnRelu',
  opts: { peephole?: boolean; coupled?: boolean; resetAfter?: boolean; proj?: number; reverse?: boolean; lengths?: Int32Array },
  seed: number,
): void {
  const G = mode === 'lstm' ? (opts.coupled ? 3 : 4) : mode === 'gru' ? 3 : 1;
  const P = opts.proj ?? H;
  const shapes = [[T, N, F], [N, P], [N, H], [G * H, F], [G * H, P], [G * H], [G * H]];
  if (opts.proj) shapes.push([P, H]);
  if (opts.peephole) shapes.push([3, H]);
  const ins = sampleInputs(shapes, seed, -0.9, 0.9);
  if (mode !== 'lstm') ins[2].requiresGrad = false; // c0 is LSTM only
  gradcheck((...xs: Tensor[]) => {
    const [x, h0, c0, wIh, wHh, bIh, bHh] = xs;
    let k = 7;
    const wHr = opts.proj ? xs[k++] : null;
    const wPeep = opts.peephole ? xs[k++] : null;
    const r = rnnLayer(mode, x, h0, mode === 'lstm' ? c0 : null, { wIh, wHh, bIh, bHh, wHr, wPeep }, {
      coupled: opts.coupled, resetAfter: opts.resetAfter, reverse: opts.reverse, lengths: opts.lengths,
    });
    return r.cN ? [r.out, r.hN, r.cN] : [r.out, r.hN];
  }, ins);
}

describe('variants agree with finite differences', () => {
  it('LSTM with peephole connections', () => layerCheck('lstm', { peephole: true }, 1));
  it('LSTM with peephole connections, reversed, with lengths', () =>
    layerCheck('lstm', { peephole: true, reverse: true, lengths }, 2));
  it('LSTM with a coupled input-forget gate', () => layerCheck('lstm', { coupled: true }, 3));
  it('LSTM coupled + peephole + projection', () =>
    layerCheck('lstm', { coupled: true, peephole: true, proj: 2 }, 4));
  it('GRU with resetAfter: false', () => layerCheck('gru', { resetAfter: false }, 5));
  it('GRU with resetAfter: false, reversed, with lengths', () =>
    layerCheck('gru', { resetAfter: false, reverse: true, lengths }, 6));
  it('GRU (PyTorch form) with lengths', () => layerCheck('gru', { lengths }, 7));
  it('ReLU RNN', () => layerCheck('rnnRelu', {}, 8));
});

describe('variant modules', () => {
  it('peephole LSTM registers weight_peephole_l{k} [3, H] and trains', () => {
    manualSeed(1);
    const m = new LSTM(3, 4, { peephole: true, bidirectional: true });
    expect(Object.keys(m.stateDict())).toContain('weight_peephole_l0_reverse');
    expect([...m.stateDict().weight_peephole_l0.shape]).toEqual([3, 4]);
    const [out] = m.forward(randn([5, 2, 3]));
    out.sum().backward();
    expect(m.stateDict().weight_peephole_l0).toBeDefined();
    expect((m as unknown as Record<string, Tensor>).weight_peephole_l0.grad).not.toBeNull();
  });
  it('coupled LSTM packs three gates (f, g, o)', () => {
    const m = new LSTM(3, 4, { coupled: true });
    expect([...m.stateDict().weight_ih_l0.shape]).toEqual([12, 3]);
  });
  it('GRU resetAfter: false differs from the PyTorch form with the same weights', () => {
    manualSeed(2);
    const a = new GRU(3, 4);
    const b = new GRU(3, 4, { resetAfter: false });
    b.loadStateDict(a.stateDict());
    const x = randn([5, 2, 3]);
    const [ya] = a.forward(x);
    const [yb] = b.forward(x);
    expect(Math.abs((ya.sub(yb).abs().sum().item() as number))).toBeGreaterThan(1e-4);
  });
});

// --- lengths semantics ----------------------------------------------------------------------

describe('variable lengths', () => {
  it('padded input steps change nothing, outputs past a length are zeros', () => {
    manualSeed(3);
    for (const m of [new LSTM(3, 4, { bidirectional: true, numLayers: 2 }), new GRU(3, 4, { bidirectional: true })]) {
      const x = randn([5, 3, 3]);
      const lens = [2, 5, 3];
      const x2 = tensor(Float32Array.from(x.data as Float32Array), [5, 3, 3]);
      const d = x2.data as Float32Array;
      for (let t = 0; t < 5; ++t) for (let n = 0; n < 3; ++n) if (t >= lens[n]) for (let f = 0; f < 3; ++f) d[(t * 3 + n) * 3 + f] = 1e3 * (f + 1);
      const run = (xi: Tensor) => {
        const r = (m as GRU).forward(xi, null, { lengths: lens });
        return [r[0], Array.isArray(r[1]) ? r[1][0] : r[1]] as [Tensor, Tensor];
      };
      const [o1, h1] = run(x);
      const [o2, h2] = run(x2);
      expectClose(o1, o2, TOL.value);
      expectClose(h1, h2, TOL.value);
      const od = o1.data as Float32Array;
      for (let t = 0; t < 5; ++t) for (let n = 0; n < 3; ++n) {
        if (t < lens[n]) continue;
        for (let j = 0; j < 8; ++j) expect(od[(t * 3 + n) * 8 + j]).toBe(0);
      }
    }
  });
  it('a sequence alone gives the same output and state as in a padded batch', () => {
    manualSeed(4);
    const m = new LSTM(3, 4, { bidirectional: true });
    const x = randn([6, 2, 3]);
    const [o, [h]] = m.forward(x, null, { lengths: [3, 6] });
    const alone = x.narrow(0, 0, 3).narrow(1, 0, 1);
    const [oa, [ha]] = m.forward(alone);
    expectClose(o.narrow(0, 0, 3).narrow(1, 0, 1), oa, TOL.value);
    expectClose(h.narrow(1, 0, 1), ha, TOL.value);
  });
  it('packSequence / padPackedSequence round trip through a module', () => {
    manualSeed(5);
    const seqs = [randn([2, 3]), randn([5, 3]), randn([4, 3])];
    const packed = packSequence(seqs, { enforceSorted: false });
    expect(packed).toBeInstanceOf(PackedSequence);
    expect([...packed.lengths]).toEqual([2, 5, 4]);
    const m = new GRU(3, 4);
    const [out, h] = m.forward(packed);
    const [padded, lens] = padPackedSequence(out, { batchFirst: true });
    expect([...padded.shape]).toEqual([3, 5, 4]);
    expect([...(lens.data as Int32Array)]).toEqual([2, 5, 4]);
    const [ref, hRef] = m.forward(padSequence(seqs), null, { lengths: [2, 5, 4] });
    expectClose(padded, ref.transpose(0, 1), TOL.value);
    expectClose(h, hRef, TOL.value);
    expect(() => packPaddedSequence(zeros([5, 3, 3]), [2, 5, 4])).toThrow(/sorted in decreasing order/);
  });
});

describe('BPTT over long sequences', () => {
  it('300 steps stay finite with clipGradNorm_', () => {
    manualSeed(6);
    for (const m of [new LSTM(4, 8), new GRU(4, 8)]) {
      const x = randn([300, 2, 4]);
      const [out] = (m as LSTM).forward(x);
      out.sum().backward();
      const norm = clipGradNorm_(m.parameters(), 1.0);
      expect(Number.isFinite(norm)).toBe(true);
      for (const p of m.parameters()) {
        for (const v of (p.grad as Tensor).data as Float32Array) expect(Number.isFinite(v)).toBe(true);
      }
      const after = clipGradNorm_(m.parameters(), 1e9);
      expect(after).toBeLessThanOrEqual(1.0 + 1e-4);
    }
  });
});

describe('errors name the argument', () => {
  it('input feature size', () => {
    expect(() => new LSTM(4, 3).forward(zeros([5, 2, 3]))).toThrow(/LSTM: input must be \[T, N, F\] with F = 4, got \[5, 2, 3\]/);
  });
  it('h0 shape', () => {
    expect(() => new GRU(4, 3, { numLayers: 2 }).forward(zeros([5, 2, 4]), zeros([1, 2, 3]))).toThrow(/GRU: h0 must be/);
  });
  it('lengths range', () => {
    expect(() => new RNN(4, 3).forward(zeros([5, 2, 4]), null, { lengths: [6, 1] })).toThrow(/lengths must be integers in \[0, 5\]/);
  });
  it('projSize', () => {
    expect(() => new LSTM(4, 3, { projSize: 3 })).toThrow(/projSize must be an integer in \[0, hiddenSize = 3\)/);
  });
  it('native export refuses short buffers', () => {
    expect(() => noGrad(() => rnnLayer('lstm', zeros([2, 1, 3]), null, null, { wIh: zeros([8, 3]), wHh: zeros([8, 3]) }))).toThrow(/wHh must be/);
  });
});

describe('module behaviour', () => {
  it('unbatched [T, F] input gives [T, D·H] and [L·D, H]', () => {
    const m = new GRU(3, 4, { bidirectional: true, numLayers: 2 });
    const [out, h] = m.forward(randn([5, 3]));
    expect([...out.shape]).toEqual([5, 8]);
    expect([...h.shape]).toEqual([4, 4]);
  });
  it('dropout between layers acts in training only', () => {
    manualSeed(7);
    const m = new LSTM(3, 4, { numLayers: 2, dropout: 0.5 });
    const x = randn([4, 2, 3]);
    const [a] = m.forward(x);
    const [b] = m.forward(x);
    expect(a.sub(b).abs().sum().item() as number).toBeGreaterThan(0);
    m.eval();
    expectClose(m.forward(x)[0], m.forward(x)[0], { atol: 0, rtol: 0 });
  });
  it('gradients accumulate over two backward calls', () => {
    manualSeed(8);
    const m = new LSTM(3, 4, { bidirectional: true });
    const x = randn([4, 2, 3]);
    m.forward(x)[0].sum().backward();
    const first = (m.parameters()[0].grad as Tensor).data.slice();
    m.forward(x)[0].sum().backward();
    expectClose((m.parameters()[0].grad as Tensor).data, Array.from(first, (v) => 2 * v), TOL.value);
  });
  it('no gradient is made for inputs that do not need one', () => {
    const m = new GRU(3, 4);
    const x = randn([4, 2, 3]);
    m.forward(x)[0].sum().backward();
    expect(x.grad).toBeNull();
    expect(m.parameters()[0].grad).not.toBeNull();
  });
  it('prints its hyper-parameters', () => {
    expect(String(new LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2 }))).toMatch(
      /LSTM\(3, 4, numLayers=2, bidirectional=true, projSize=2\)/,
    );
  });
});
