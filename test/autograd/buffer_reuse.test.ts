// Gradient-buffer reuse in the backward pass (lib/buffers.ts, autograd/backward.ts): rules
// writing dx over dy, recycled buffers taken by later allocations, leaf .grad taking the
// engine's buffer. A wrong reuse corrupts numbers silently, so every graph here runs with reuse
// on and off and must give identical gradients, and tensors user code holds must keep their
// values while later steps recycle buffers.
import { afterEach, describe, expect, it } from 'vitest';
import {
  add, div, logSoftmax, manualSeed, maximum, mul, nn, optim, pow, randn, randint, relu, softmax,
  sum, type Tensor,
} from '../../lib/index';
import {
  clearBufferPool, pooledBufferBytes, recycleBuffer, setGradientReuse, takeBuffer,
} from '../../lib/buffers';
import { allocateUninitialised } from '../../lib/tensor';
import { native } from '../../lib/native';
import { UnaryOp } from '../../lib/ops/elementwise';

// above the pool's 64 KiB threshold, so buffers of this size are recycled
const N = 24 * 1024;

afterEach(() => {
  setGradientReuse(true);
});

/** First index where a and b differ (bitwise, NaN equal to NaN), or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; ++i) {
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

function expectSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  const i = firstDifference(a, b);
  expect(i, `${what} differs at ${i}: ${a[i]} vs ${b[i]}`).toBe(-1);
}

const copy = (t: Tensor | null): Float32Array =>
  Float32Array.from((t as Tensor).data as Float32Array);

/** Runs `step` three times (so buffers recycled by one step's backward are taken by the next
 *  step's forward and backward). Everything a step returns stays referenced, as user code may
 *  keep it; at the end each must still hold the values it had when its step returned. Returns
 *  the copies taken then. */
function runSteps(step: (k: number) => Tensor[]): Float32Array[] {
  manualSeed(7);
  clearBufferPool();
  const held: Tensor[] = [];
  const values: Float32Array[] = [];
  for (let k = 0; k < 3; ++k) {
    for (const t of step(k)) {
      held.push(t);
      values.push(copy(t));
    }
  }
  held.forEach((t, i) => expectSame(t.data as Float32Array, values[i], `held tensor ${i}`));
  return values;
}

/** The steps give bit-identical tensors with reuse on and off. */
function expectReuseInvisible(step: (k: number) => Tensor[]): void {
  setGradientReuse(false);
  const off = runSteps(step);
  setGradientReuse(true);
  const on = runSteps(step);
  expect(on.length).toBe(off.length);
  on.forEach((v, i) => expectSame(v, off[i], `tensor ${i}`));
}

const leafN = (shape: number[] = [N]) => randn(shape, { requiresGrad: true });

describe('gradient buffer reuse', () => {
  it('recycles consumed gradient buffers into the pool', () => {
    clearBufferPool();
    const x = leafN();
    sum(mul(relu(relu(x)), randn([N]))).backward();
    expect(pooledBufferBytes()).toBeGreaterThan(0);
  });

  it('changes no gradient through a chain of unary ops and views', () => {
    expectReuseInvisible(() => {
      const x = leafN();
      const r = randn([N]);
      const h = relu(x.sub(0.1)).reshape([N / 4, 4]);
      const y = relu(h).view([N]).sigmoid().tanh();
      const loss = sum(mul(y, r));
      loss.backward();
      return [x.grad!, h, y, loss];
    });
  });

  it('changes no gradient through softmax and logSoftmax (dx written over a writable dy)', () => {
    expectReuseInvisible(() => {
      const x = leafN();
      const a = softmax(relu(x).reshape([N / 96, 96]), 1);
      const b = logSoftmax(a.mul(3).reshape([N / 64, 16, 4]), 1);
      sum(mul(b.reshape([N]), randn([N]))).backward();
      return [x.grad!, a, b];
    });
  });

  it('changes no gradient through rules built from other ops (their scratch is recycled)', () => {
    expectReuseInvisible(() => {
      const x = leafN();
      const z = leafN();
      const q = div(relu(x).add(1), z.abs().add(0.5));
      const y = maximum(pow(q, z.tanh()), q.mul(0.5));
      sum(mul(y, randn([N]))).backward();
      return [x.grad!, z.grad!, q, y];
    });
  });

  it('changes no gradient when a tensor feeds two ops (its gradient is a sum)', () => {
    expectReuseInvisible(() => {
      const x = leafN();
      const a = relu(x);
      const loss = add(sum(mul(relu(a), randn([N]))), sum(mul(a.exp(), randn([N]))));
      loss.backward();
      return [x.grad!, a];
    });
  });

  it('changes no gradient when a pass-through hands the same storage to two inputs', () => {
    expectReuseInvisible(() => {
      const x = leafN();
      const t = relu(x);
      const u = add(t, t); // add's backward returns dy for both inputs
      const v = relu(u.clone()).reshape([N]);
      sum(mul(v, randn([N]))).backward();
      return [x.grad!, t, u, v];
    });
  });

  it('changes no gradient when a pass-through hands the same storage to two branches', () => {
    // add's backward gives both branches dy itself: the first relu must not write over it
    expectReuseInvisible(() => {
      const x = leafN();
      const z = leafN();
      const u = add(relu(x), relu(z.neg()).sigmoid());
      sum(mul(u, randn([N]))).backward();
      return [x.grad!, z.grad!, u];
    });
  });

  it('sums into no gradient storage another branch still needs', () => {
    // add hands its dy to both a and b; then mul(a, b) brings a second gradient to each, which
    // must not be summed into that shared dy
    expectReuseInvisible(() => {
      const x = leafN();
      const z = leafN();
      const a = relu(x);
      const b = z.sigmoid();
      const loss = add(sum(mul(a, b)), sum(mul(add(a, b), randn([N]))));
      loss.backward();
      // the caller's gradient reaches a twice through add(a, a): it must not be summed into
      const c = relu(x);
      const g = randn([N]);
      const before = copy(g);
      add(c, c).backward(g);
      expectSame(g.data as Float32Array, before, 'the gradient passed to backward');
      return [x.grad!, z.grad!];
    });
  });

  it('changes no gradient for a leaf used directly and through ops', () => {
    expectReuseInvisible(() => {
      const x = leafN();
      const loss = add(sum(mul(relu(x), randn([N]))), sum(mul(x, randn([N]))));
      loss.backward();
      return [x.grad!];
    });
  });

  it('accumulates a leaf used three times, and a leaf that already had a gradient', () => {
    expectReuseInvisible(() => {
      const w = leafN();
      const v = leafN();
      sum(mul(v, randn([N]))).backward();
      const before = v.grad!;
      const kept = copy(before);
      const parts = [sum(mul(relu(w), randn([N]))), sum(mul(w, randn([N]))), sum(mul(w.tanh(), v))];
      add(add(parts[0], parts[1]), parts[2]).backward();
      // the .grad v had before this backward is not written: accumulation makes a new one
      expectSame(before.data as Float32Array, kept, 'the earlier .grad');
      return [w.grad!, v.grad!, before];
    });
  });

  it('keeps a retained gradient and the caller\'s gradient unchanged', () => {
    expectReuseInvisible(() => {
      const x = leafN();
      const h = relu(x).retainGrad();
      const y = relu(h).tanh();
      const g = randn([N]);
      const before = copy(g);
      y.backward(g);
      expectSame(g.data as Float32Array, before, 'the gradient passed to backward');
      return [x.grad!, h.grad!, g, y];
    });
  });

  it('keeps leaf gradients that later steps do not accumulate into', () => {
    // each step's gradient lands in a fresh leaf; the earlier ones must survive later steps
    expectReuseInvisible(() => {
      const w = leafN();
      sum(mul(relu(w), randn([N]))).backward();
      const g = w.grad!;
      w.grad = null;
      return [g];
    });
  });

  it('accumulates over two backward calls through a retained graph', () => {
    expectReuseInvisible(() => {
      const x = leafN();
      const loss = sum(mul(relu(relu(x)).sigmoid(), randn([N])));
      loss.backward(undefined, { retainGraph: true });
      const first = copy(x.grad);
      loss.backward();
      const twice = Array.from(first, (v) => 2 * v);
      expectSame(twice, x.grad!.data as Float32Array, 'twice the gradient');
      return [x.grad!];
    });
  });

  it('changes no gradient through broadcast sums (a bias added to a batch)', () => {
    expectReuseInvisible(() => {
      const m = leafN([64, N / 64]);
      const b = leafN([N / 64]);
      const y = relu(add(m, b));
      sum(mul(y, randn([64, N / 64]))).backward();
      return [m.grad!, b.grad!, y];
    });
  });

  it('changes no parameter of a small CNN trained for three steps', () => {
    const train = (): Float32Array[] => {
      manualSeed(3);
      clearBufferPool();
      const model = new nn.Sequential(
        new nn.Conv2d(1, 8, 3), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(8, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Flatten(), new nn.Linear(16 * 5 * 5, 32), new nn.ReLU(), new nn.Linear(32, 10),
      );
      const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const x = randn([16, 1, 28, 28]);
      const y = randint(0, 10, [16]);
      const outs: Tensor[] = [];
      for (let k = 0; k < 3; ++k) {
        opt.zeroGrad();
        const out = model.forward(x);
        outs.push(out);
        nn.functional.crossEntropy(out, y).backward();
        opt.step();
      }
      return [...model.parameters().map((p) => copy(p)), ...outs.map(copy)];
    };
    setGradientReuse(false);
    const off = train();
    setGradientReuse(true);
    const on = train();
    on.forEach((v, i) => expectSame(v, off[i], `parameter or output ${i}`));
  });
});

describe('buffer pool', () => {
  it('hands a recycled buffer to the next request of its byte length only', () => {
    clearBufferPool();
    const b = new ArrayBuffer(1 << 17);
    recycleBuffer(b);
    expect(pooledBufferBytes()).toBe(1 << 17);
    expect(takeBuffer(1 << 16)).toBeNull();
    expect(takeBuffer(1 << 17)).toBe(b);
    expect(takeBuffer(1 << 17)).toBeNull();
    expect(pooledBufferBytes()).toBe(0);
  });

  it('keeps no small buffers, and empties itself rather than grow past its cap', () => {
    clearBufferPool();
    recycleBuffer(new ArrayBuffer(1024));
    expect(pooledBufferBytes()).toBe(0);
    const big = 24 << 20;
    for (let i = 0; i < 3; ++i) recycleBuffer(new ArrayBuffer(big));
    expect(pooledBufferBytes()).toBe(big); // the third emptied the pool of the first two
    clearBufferPool();
  });

  it('lets allocateUninitialised take a recycled buffer, as any dtype', () => {
    clearBufferPool();
    const b = new ArrayBuffer(4 * N);
    recycleBuffer(b);
    const a = allocateUninitialised('int32', N);
    expect(a.buffer).toBe(b);
    expect(a).toBeInstanceOf(Int32Array);
    expect(a.length).toBe(N);
  });
});

describe('unaryBackward in place (dx over dy)', () => {
  const ops = Object.values(UnaryOp).filter((v): v is number => typeof v === 'number');
  it.each(ops)('gives the out-of-place result for op %i', (op) => {
    const n = 70001; // several pool chunks and a ragged tail
    manualSeed(op);
    const x = randn([n]).data as Float32Array;
    const dy = randn([n]).data as Float32Array;
    const y = new Float32Array(n);
    const [alpha, beta] =
      op === UnaryOp.Clamp ? [-0.5, 0.5] : op === UnaryOp.Softplus ? [1, 20] : [1.5, 0];
    native.unaryForward(op, y, x, n, alpha, beta);
    const dx = new Float32Array(n);
    native.unaryBackward(op, dx, dy, x, y, n, alpha, beta);
    const io = Float32Array.from(dy);
    native.unaryBackward(op, io, io, x, y, n, alpha, beta);
    expectSame(io, dx, `op ${op}`);
  });
});
