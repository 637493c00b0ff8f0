// Layers: Linear, Bilinear, Identity, Flatten, Unflatten, Dropout and the activation modules:
// shapes, initial distributions as PyTorch's, gradients by finite differences, modes, errors.
import { describe, expect, it } from 'vitest';
import * as nt from '../../lib/index';
import { manualSeed, nn, Tensor, tensor, zeros } from '../../lib/index';
import { expectClose } from '../helpers/close';
import { gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

const F = nn.functional;

describe('Linear', () => {
  it('weight [O, F] and bias [O] start in U(-1/sqrt(F), 1/sqrt(F)) as PyTorch', () => {
    manualSeed(0);
    const m = new nn.Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    expect(m.weight.shape).toEqual([300, 400]);
    for (const p of [m.weight, m.bias as Tensor]) {
      expect(p.amax().item() as number).toBeLessThanOrEqual(bound);
      expect(p.amin().item() as number).toBeGreaterThanOrEqual(-bound);
    }
    expect(m.weight.amax().item() as number).toBeGreaterThan(0.99 * bound);
    expect(m.weight.std().item() as number).toBeCloseTo(bound / Math.sqrt(3), 3);
  });
  it('maps [..., F] to [..., O] (1-D, 2-D, 3-D inputs) and has no bias when asked', () => {
    const m = new nn.Linear(3, 2, { bias: false });
    expect(m.bias).toBeNull();
    expect(Object.keys(m.stateDict())).toEqual(['weight']);
    expect(m.forward(zeros([3])).shape).toEqual([2]);
    expect(m.forward(zeros([4, 3])).shape).toEqual([4, 2]);
    expect(m.forward(zeros([5, 4, 3])).shape).toEqual([5, 4, 2]);
    expect(m.forward(zeros([0, 3])).shape).toEqual([0, 2]);
  });
  it('linear backward agrees with finite differences: N=3 F=5 O=4', () => {
    gradcheck((x, w, b) => F.linear(x, w, b), sampleInputs([[3, 5], [4, 5], [4]], 7));
    gradcheck((x, w) => F.linear(x, w), sampleInputs([[2, 3, 5], [4, 5]], 8));
  });
  it('does not compute gradients for inputs that do not need them', () => {
    const m = new nn.Linear(3, 2);
    m.weight.requiresGrad_(false);
    const x = nt.randn([4, 3]);
    m.forward(x).sum().backward();
    expect(m.weight.grad).toBeNull();
    expect(m.bias?.grad?.shape).toEqual([2]);
    expect(x.grad).toBeNull();
  });
  it('resetParameters redraws the weights', () => {
    const m = new nn.Linear(3, 2);
    const before = Array.from(m.weight.data);
    m.resetParameters();
    expect(Array.from(m.weight.data)).not.toEqual(before);
  });
  it('names the mismatched argument', () => {
    expect(() => F.linear(zeros([3, 5]), zeros([4, 6]))).toThrow('linear: weight must be [O, 5], got [4, 6]');
    expect(() => F.linear(zeros([3, 5]), zeros([4, 5]), zeros([3]))).toThrow('linear: bias must be [4], got [3]');
    expect(() => new nn.Linear(-1, 2)).toThrow('Linear: inFeatures must be an integer >= 0, got -1');
  });
});

describe('Bilinear', () => {
  it('parameters start in U(-1/sqrt(I1), 1/sqrt(I1))', () => {
    const m = new nn.Bilinear(16, 5, 30);
    expect(m.weight.shape).toEqual([30, 16, 5]);
    expect(m.weight.amax().item() as number).toBeLessThanOrEqual(0.25);
    expect(m.weight.amax().item() as number).toBeGreaterThan(0.24);
    expect(m.bias?.amin().item() as number).toBeGreaterThanOrEqual(-0.25);
  });
  it('backward agrees with finite differences: N=3 I1=2 I2=4 O=3', () => {
    gradcheck((a, b, w, bias) => F.bilinear(a, b, w, bias), sampleInputs([[3, 2], [3, 4], [3, 2, 4], [3]], 5));
  });
  it('names the mismatched argument', () => {
    expect(() => F.bilinear(zeros([3, 2]), zeros([3, 5]), zeros([3, 2, 4])))
      .toThrow('bilinear: input2 must be [3, 4], got [3, 5]');
  });
});

describe('Identity, Flatten, Unflatten', () => {
  it('shapes', () => {
    const x = nt.randn([2, 3, 4, 5]);
    expect(new nn.Identity().forward(x)).toBe(x);
    expect(new nn.Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new nn.Flatten(0, 2).forward(x).shape).toEqual([24, 5]);
    expect(new nn.Unflatten(1, [3, -1]).forward(nt.randn([2, 12])).shape).toEqual([2, 3, 4]);
    expect(new nn.Unflatten(-1, [2, 2]).forward(nt.randn([3, 4])).shape).toEqual([3, 2, 2]);
    expect(() => new nn.Unflatten(1, [5, 2]).forward(nt.randn([2, 12])))
      .toThrow('Unflatten: input must have a size matching sizes [5, 2] at dim 1, got [2, 12]');
    expect(String(new nn.Unflatten(1, [3, 4]))).toBe('Unflatten(dim=1, unflattenedSize=[3, 4])');
  });
});

describe('Dropout', () => {
  it('zeroes about p of the elements in training and scales the rest by 1/(1-p)', () => {
    manualSeed(5);
    const d = new nn.Dropout(0.3);
    const y = d.forward(nt.ones([100000])).data as Float32Array;
    let zerosCount = 0;
    for (const v of y) {
      if (v === 0) zerosCount++;
      else expect(Math.abs(v - 1 / 0.7)).toBeLessThan(1e-6);
    }
    expect(zerosCount / y.length).toBeCloseTo(0.3, 2);
  });
  it('is the identity in eval mode and with p = 0; p = 1 zeroes everything', () => {
    const x = nt.randn([4, 5]);
    const d = new nn.Dropout(0.5);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
    expect(Array.from(F.dropout(x, 1).data).every((v) => v === 0)).toBe(true);
  });
  it('the gradient is the mask times 1/(1-p), and the seed fixes the mask', () => {
    const x = nt.randn([50], { requiresGrad: true });
    manualSeed(9);
    const y = F.dropout(x, 0.4);
    y.sum().backward();
    const g = x.grad?.data as Float32Array;
    const yd = y.data as Float32Array;
    const xd = x.data as Float32Array;
    for (let i = 0; i < 50; ++i) expect(g[i]).toBeCloseTo(yd[i] === 0 ? 0 : 1 / 0.6, 5);
    for (let i = 0; i < 50; ++i) if (yd[i] !== 0) expect(yd[i]).toBeCloseTo(xd[i] / 0.6, 5);
    manualSeed(9);
    expect(Array.from(F.dropout(x, 0.4).data)).toEqual(Array.from(yd));
  });
  it('rejects p outside [0, 1]', () => {
    expect(() => new nn.Dropout(1.5)).toThrow('Dropout: p must be a probability in [0, 1], got 1.5');
    expect(() => F.dropout(zeros([2]), -0.1)).toThrow('dropout: p must be a probability in [0, 1], got -0.1');
  });
});

describe('activation modules', () => {
  const x = tensor([[-2, -0.5, 0.3, 1.7], [0.1, -1, 2, -3]]);
  const cases: [nn.Module, Tensor][] = [
    [new nn.ReLU(), nt.relu(x)],
    [new nn.LeakyReLU(0.2), nt.leakyRelu(x, 0.2)],
    [new nn.ELU(0.5), nt.elu(x, 0.5)],
    [new nn.GELU(), nt.gelu(x)],
    [new nn.GELU('tanh'), nt.gelu(x, { approximate: 'tanh' })],
    [new nn.Sigmoid(), nt.sigmoid(x)],
    [new nn.Tanh(), nt.tanh(x)],
    [new nn.Softplus(2, 10), nt.softplus(x, { beta: 2, threshold: 10 })],
    [new nn.Softmax(1), nt.softmax(x, 1)],
    [new nn.LogSoftmax(0), nt.logSoftmax(x, 0)],
  ];
  for (const [m, want] of cases) {
    it(`${String(m)} equals its op`, () => {
      expectClose(m.forward(x), want, TOL.value);
      expect(m.parameters()).toEqual([]);
    });
  }
  it('leaky relu values', () => {
    expectClose(new nn.LeakyReLU(0.1).forward(tensor([-2, 3])), [-0.2, 3], TOL.value);
  });
  it('print their hyper-parameters and check them', () => {
    expect(String(new nn.LeakyReLU(0.2))).toBe('LeakyReLU(negativeSlope=0.2)');
    expect(String(new nn.Softmax(-1))).toBe('Softmax(dim=-1)');
    expect(() => new nn.Softmax(undefined as unknown as number)).toThrow('Softmax: dim must be an integer, got undefined');
    expect(() => new nn.GELU('fast' as never)).toThrow(`GELU: approximate must be 'none' or 'tanh', got "fast"`);
  });
});

describe('a small MLP trains', () => {
  it('loss falls by 10x on a fixed regression problem with plain gradient descent', () => {
    manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(4, 16), new nn.Tanh(), new nn.Linear(16, 1));
    const x = nt.randn([32, 4]);
    const y = x.matmul(tensor([[1], [-2], [0.5], [1.5]])).tanh();
    const lossOf = () => F.mseLoss(model.forward(x), y);
    const first = lossOf().item() as number;
    for (let step = 0; step < 300; ++step) {
      model.zeroGrad();
      lossOf().backward();
      nt.noGrad(() => {
        for (const p of model.parameters()) {
          (p.data as Float32Array).set(p.sub((p.grad as Tensor).mul(0.1)).data as Float32Array);
        }
      });
    }
    expect(lossOf().item() as number).toBeLessThan(first / 10);
  });
});
