// The fused recurrent op against its slow twin (the same equations composed from primitive
// ops) at sizes that take the multi-threaded paths (N·H >= 4096, awkward H), and the native
// exports' argument checks (bad arguments throw, nothing crashes).
import { describe, expect, it } from 'vitest';
import { cat, manualSeed, randn, sigmoid, tanh, Tensor } from '../../lib/index';
import { native } from '../../lib/native';
import { rnnLayer, type RnnMode } from '../../lib/ops/rnn';
import { expectClose } from '../helpers/close';
import { TOL } from '../helpers/tolerance';

/** One layer by primitive ops (PyTorch's equations), forward direction, full lengths. */
function composed(mode: RnnMode, x: Tensor, h0: Tensor, c0: Tensor, w: Tensor[]): Tensor[] {
  const [wIh, wHh, bIh, bHh] = w;
  const [T] = x.shape;
  const H = wHh.shape[1];
  let h = h0;
  let c = c0;
  const outs: Tensor[] = [];
  for (let t = 0; t < T; ++t) {
    const xi = x.select(0, t).matmul(wIh.t()).add(bIh);
    const hh = h.matmul(wHh.t()).add(bHh);
    if (mode === 'lstm') {
      const g = xi.add(hh);
      const i = sigmoid(g.narrow(1, 0, H));
      const f = sigmoid(g.narrow(1, H, H));
      const gg = tanh(g.narrow(1, 2 * H, H));
      const o = sigmoid(g.narrow(1, 3 * H, H));
      c = f.mul(c).add(i.mul(gg));
      h = o.mul(tanh(c));
    } else if (mode === 'gru') {
      const r = sigmoid(xi.narrow(1, 0, H).add(hh.narrow(1, 0, H)));
      const z = sigmoid(xi.narrow(1, H, H).add(hh.narrow(1, H, H)));
      const n = tanh(xi.narrow(1, 2 * H, H).add(r.mul(hh.narrow(1, 2 * H, H))));
      h = z.neg().add(1).mul(n).add(z.mul(h));
    } else {
      h = tanh(xi.add(hh));
    }
    outs.push(h.unsqueeze(0));
  }
  return mode === 'lstm' ? [cat(outs, 0), h, c] : [cat(outs, 0), h];
}

describe('fused recurrent op equals its composition of primitive ops (threaded sizes)', () => {
  for (const mode of ['lstm', 'gru', 'rnnTanh'] as RnnMode[]) {
    it(`${mode}: T=3 N=64 F=5 H=70`, () => {
      manualSeed(11);
      const T = 3, N = 64, F = 5, H = 70;
      const G = mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
      const mk = (shape: number[], s = 0.3) => randn(shape, { std: s }).requiresGrad_();
      const x = mk([T, N, F], 1);
      const h0 = mk([N, H], 0.5);
      const c0 = mk([N, H], 0.5);
      const w = [mk([G * H, F]), mk([G * H, H], 0.1), mk([G * H]), mk([G * H])];
      const r = rnnLayer(mode, x, h0, mode === 'lstm' ? c0 : null, { wIh: w[0], wHh: w[1], bIh: w[2], bHh: w[3] });
      const fused = r.cN ? [r.out, r.hN, r.cN] : [r.out, r.hN];
      const ref = composed(mode, x, h0, c0, w);
      fused.forEach((y, k) => expectClose(y, ref[k].detach(), TOL.value));
      const rs = ref.map((y) => randn([...y.shape]));
      const grads = (ys: Tensor[]) => {
        const inputs = [x, h0, ...(mode === 'lstm' ? [c0] : []), ...w];
        for (const t of inputs) t.grad = null;
        ys.map((y, k) => y.mul(rs[k]).sum()).reduce((a, b) => a.add(b)).backward();
        return inputs.map((t) => t.grad as Tensor);
      };
      const gf = grads(fused);
      const gr = grads(composed(mode, x, h0, c0, w));
      gf.forEach((g, k) => expectClose(g, gr[k], TOL.accum));
    });
  }
});

describe('native recurrent exports check their arguments', () => {
  const dims = [2, 1, 3, 2, 2];
  const f = (n: number) => new Float32Array(n);
  const [wsN] = native.rnnWorkspaceSizes(2, 0, dims);
  const fwd = (over: Partial<Record<string, unknown>> = {}) => {
    const a: Record<string, unknown> = {
      mode: 2, flags: 0, dims, x: f(6), lengths: null, h0: null, c0: null, wIh: f(24), wHh: f(16),
      bIh: null, bHh: null, wHr: null, wPeep: null, out: f(4), hN: f(2), cN: f(2), ws: f(wsN), ...over,
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return () => (native.rnnForward as any)(...Object.values(a));
  };
  it('accepts a well-formed call', () => expect(fwd()).not.toThrow());
  it('refuses short buffers', () => {
    expect(fwd({ x: f(5) })).toThrow(/rnnForward: x/);
    expect(fwd({ wHh: f(15) })).toThrow(/rnnForward: wHh/);
    expect(fwd({ ws: f(wsN - 1) })).toThrow(/rnnForward: ws/);
    expect(fwd({ out: f(3) })).toThrow(/rnnForward: out/);
  });
  it('refuses bad modes, flags, dims and lengths', () => {
    expect(fwd({ mode: 7 })).toThrow(RangeError);
    expect(fwd({ flags: 8 })).toThrow(/resetAfter needs mode 3/);
    expect(fwd({ dims: [2, 1, 3, 2, 3] })).toThrow(/P must equal H/);
    expect(fwd({ dims: [2, 1, 3, 2] })).toThrow(/dims must be \[T, N, F, H, P\]/);
    expect(fwd({ dims: [2, -1, 3, 2, 2] })).toThrow(RangeError);
    expect(fwd({ lengths: Int32Array.from([3]) })).toThrow(/lengths must be in \[0, T = 2\]/);
    expect(fwd({ x: [1, 2, 3] })).toThrow(TypeError);
  });
  it('refuses a short backward workspace', () => {
    const [, bwsN, dpN] = native.rnnWorkspaceSizes(2, 0, dims);
    expect(() =>
      native.rnnBackward(2, 0, dims, f(6), null, f(24), f(16), null, null, f(wsN), null, null, null,
        null, null, null, f(dpN), f(bwsN - 1)),
    ).toThrow(/rnnBackward: bws/);
  });
});
