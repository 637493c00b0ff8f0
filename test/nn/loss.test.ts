// Loss functions against PyTorch fixtures (values and input gradients for every reduction and
// option), finite-difference gradient checks, module forms, and error messages.
import { describe, expect, it } from 'vitest';
import { nn, tensor, Tensor } from '../../lib/index';
import { backwardWeighted, expectGrad } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { fixtureFile, isFixtureTensor, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

const F = nn.functional;

interface LossCase {
  name: string;
  fn: string;
  args: FixtureTensor[];
  gradArgs: number[];
  options: Record<string, unknown>;
  output: FixtureTensor;
  r: FixtureTensor;
  grads?: FixtureTensor[];
}

type LossFn = (...args: never[]) => Tensor;
const FNS: Record<string, LossFn> = {
  mseLoss: F.mseLoss, l1Loss: F.l1Loss, smoothL1Loss: F.smoothL1Loss, huberLoss: F.huberLoss,
  crossEntropy: F.crossEntropy, nllLoss: F.nllLoss, binaryCrossEntropy: F.binaryCrossEntropy,
  binaryCrossEntropyWithLogits: F.binaryCrossEntropyWithLogits, multiMarginLoss: F.multiMarginLoss,
  hingeEmbeddingLoss: F.hingeEmbeddingLoss, klDiv: F.klDiv, cosineEmbeddingLoss: F.cosineEmbeddingLoss,
};

function options(c: LossCase): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.options)) out[k] = isFixtureTensor(v) ? toTensor(v) : v;
  return out;
}

function call(c: LossCase, args: Tensor[]): Tensor {
  const f = FNS[c.fn] as unknown as (...a: unknown[]) => Tensor;
  return f(...args, options(c));
}

for (const family of ['regression', 'cross_entropy', 'classification', 'other']) {
  const cases = (fixtureFile(`loss/${family}`) as { cases: LossCase[] }).cases;
  describe(`loss fixtures: ${family}`, () => {
    for (const c of cases) {
      it(`${c.fn} matches PyTorch: ${c.name}`, () => {
        const args = c.args.map((a, i) => toTensor(a, c.gradArgs.includes(i)));
        const y = call(c, args);
        expectClose(y, toTensor(c.output), TOL.value, c.output.shape);
        if (!c.grads) return;
        backwardWeighted(y, c.r);
        c.gradArgs.forEach((i, k) => {
          expect(args[i].grad, `arg ${i} has a gradient`).not.toBeNull();
          expectGrad(args[i], (c.grads as FixtureTensor[])[k]);
        });
      });
    }
  });
}

describe('loss gradients agree with finite differences', () => {
  const idx = (v: number[]) => tensor(Int32Array.from(v), [v.length]);
  const w4 = tensor([0.5, 1.5, 1, 2]);
  const cases: [string, (...xs: Tensor[]) => Tensor, number[][]][] = [
    ['mseLoss', (x, t) => F.mseLoss(x, t), [[3, 4], [3, 4]]],
    ['l1Loss', (x, t) => F.l1Loss(x, t, { reduction: 'sum' }), [[3, 4], [3, 4]]],
    ['smoothL1Loss beta=0.5', (x, t) => F.smoothL1Loss(x, t, { beta: 0.5, reduction: 'none' }), [[3, 4], [3, 4]]],
    ['huberLoss delta=0.7', (x, t) => F.huberLoss(x, t, { delta: 0.7 }), [[3, 4], [3, 4]]],
    ['crossEntropy weight ignore labelSmoothing',
      (x) => F.crossEntropy(x, idx([0, 3, -100, 1, 2]), { weight: w4, labelSmoothing: 0.2 }), [[5, 4]]],
    ['crossEntropy [N, C, d] none',
      (x) => F.crossEntropy(x, tensor(Int32Array.from([0, 2, 1, 1, 0, 2]), [2, 3]), { reduction: 'none' }),
      [[2, 3, 3]]],
    ['crossEntropy probabilities', (x, p) => F.crossEntropy(x, p.softmax(1), { weight: w4 }), [[5, 4], [5, 4]]],
    ['nllLoss weight', (x) => F.nllLoss(x, idx([0, 3, 2]), { weight: w4 }), [[3, 4]]],
    ['binaryCrossEntropy', (x, t) => F.binaryCrossEntropy(x.sigmoid(), t, { weight: w4 }), [[3, 4], [3, 4]]],
    ['binaryCrossEntropyWithLogits posWeight',
      (x, t) => F.binaryCrossEntropyWithLogits(x, t, { posWeight: w4 }), [[3, 4], [3, 4]]],
    ['multiMarginLoss p=2 weight', (x) => F.multiMarginLoss(x, idx([1, 0, 3]), { p: 2, weight: w4 }), [[3, 4]]],
    ['hingeEmbeddingLoss', (x) => F.hingeEmbeddingLoss(x, tensor([[1, -1, -1, 1], [-1, 1, -1, -1]]), { margin: 0.4 }),
      [[2, 4]]],
    ['klDiv batchmean', (x, t) => F.klDiv(x.logSoftmax(1), t.softmax(1), { reduction: 'batchmean' }), [[3, 4], [3, 4]]],
    ['klDiv logTarget', (x, t) => F.klDiv(x, t.logSoftmax(1), { logTarget: true }), [[3, 4], [3, 4]]],
    ['cosineEmbeddingLoss', (a, b) => F.cosineEmbeddingLoss(a, b, tensor([1, -1, -1]), { margin: -0.9 }),
      [[3, 5], [3, 5]]],
  ];
  for (const [name, f, shapes] of cases) {
    it(name, () => gradcheck(f, sampleInputs(shapes, 11, -1, 1)));
  }
});

describe('loss modules', () => {
  it('forward equals the function with the same options', () => {
    const [x, t] = sampleInputs([[4, 3], [4, 3]], 3);
    const labels = tensor(Int32Array.from([0, 2, 1, 2]), [4]);
    const w = tensor([1, 2, 0.5]);
    const pairs: [Tensor, Tensor][] = [
      [new nn.MSELoss({ reduction: 'sum' }).forward(x, t), F.mseLoss(x, t, { reduction: 'sum' })],
      [new nn.L1Loss().forward(x, t), F.l1Loss(x, t)],
      [new nn.SmoothL1Loss({ beta: 0.3 }).forward(x, t), F.smoothL1Loss(x, t, { beta: 0.3 })],
      [new nn.HuberLoss({ delta: 0.3 }).forward(x, t), F.huberLoss(x, t, { delta: 0.3 })],
      [new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.1 }).forward(x, labels),
        F.crossEntropy(x, labels, { weight: w, labelSmoothing: 0.1 })],
      [new nn.NLLLoss({ ignoreIndex: 2 }).forward(x, labels), F.nllLoss(x, labels, { ignoreIndex: 2 })],
      [new nn.BCELoss().forward(x.sigmoid(), t.sigmoid()), F.binaryCrossEntropy(x.sigmoid(), t.sigmoid())],
      [new nn.BCEWithLogitsLoss({ posWeight: w }).forward(x, t), F.binaryCrossEntropyWithLogits(x, t, { posWeight: w })],
      [new nn.MultiMarginLoss({ p: 2 }).forward(x, labels), F.multiMarginLoss(x, labels, { p: 2 })],
      [new nn.HingeEmbeddingLoss().forward(x, t.sign()), F.hingeEmbeddingLoss(x, t.sign())],
      [new nn.KLDivLoss({ reduction: 'batchmean' }).forward(x, t), F.klDiv(x, t, { reduction: 'batchmean' })],
      [new nn.CosineEmbeddingLoss({ margin: 0.1 }).forward(x, t, tensor([1, -1, 1, -1])),
        F.cosineEmbeddingLoss(x, t, tensor([1, -1, 1, -1]), { margin: 0.1 })],
    ];
    for (const [a, b] of pairs) expectClose(a, b, TOL.value);
  });
  it('weight buffers are named as in PyTorch', () => {
    const keys = (fixtureFile('nn/modules') as { lossKeys: Record<string, string[]> }).lossKeys;
    const w = tensor([1, 1, 1]);
    expect(Object.keys(new nn.CrossEntropyLoss({ weight: w }).stateDict())).toEqual(keys.CrossEntropyLoss);
    expect(Object.keys(new nn.BCEWithLogitsLoss({ weight: w, posWeight: w }).stateDict()))
      .toEqual(keys.BCEWithLogitsLoss);
    expect(Object.keys(new nn.CrossEntropyLoss().stateDict())).toEqual([]);
  });
  it('prints a one-line summary', () => {
    expect(String(new nn.CrossEntropyLoss())).toBe('CrossEntropyLoss()');
    expect(String(new nn.MSELoss({ reduction: 'sum' }))).toBe("MSELoss(reduction='sum')");
  });
});

describe('loss errors name the function and argument', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6], [1, 1, 1], [0, 0, 0]]);
  const lab = (v: number[]) => tensor(Int32Array.from(v), [v.length]);
  it('class index out of range', () => {
    const logits = tensor(new Float32Array(40), [4, 10]);
    expect(() => F.crossEntropy(logits, lab([1, 2, 3, 12])))
      .toThrow('crossEntropy: target must hold class indices in [0, 10) or ignoreIndex -100, got 12 at 3');
    expect(() => F.nllLoss(x, lab([0, -1, 0, 0])))
      .toThrow('nllLoss: target must hold class indices in [0, 3) or ignoreIndex -100, got -1 at 1');
    expect(() => F.multiMarginLoss(x, lab([0, 1, 5, 0])))
      .toThrow('multiMarginLoss: target must hold class indices in [0, 3), got 5 at 2');
  });
  it('target shape and dtype', () => {
    expect(() => F.crossEntropy(x, lab([0, 1, 2])))
      .toThrow(/crossEntropy: target must be class indices \(int32\) of shape \[4\] or probabilities \(float32\) of the input's shape \[4, 3\], got int32 \[3\]/);
    expect(() => F.crossEntropy(x, tensor([0, 1, 2, 1])))
      .toThrow(/crossEntropy: target must be class indices \(int32\) of shape \[4\].*got float32 \[4\]/);
    expect(() => F.mseLoss(x, tensor([1, 2, 3])))
      .toThrow("mseLoss: target must have the input's shape [4, 3], got [3]");
    expect(() => F.cosineEmbeddingLoss(x, x, tensor([1, 1])))
      .toThrow('cosineEmbeddingLoss: target must have shape [4], got [2]');
  });
  it('options', () => {
    expect(() => F.crossEntropy(x, lab([0, 1, 2, 1]), { weight: tensor([1, 2]) }))
      .toThrow('crossEntropy: weight must be [C] with C = 3, got [2]');
    expect(() => F.mseLoss(x, x, { reduction: 'avg' as never }))
      .toThrow(`mseLoss: reduction must be 'mean', 'sum' or 'none', got "avg"`);
    expect(() => F.crossEntropy(x, lab([0, 1, 2, 1]), { labelSmoothing: 1.5 }))
      .toThrow('crossEntropy: labelSmoothing must be in [0, 1], got 1.5');
    expect(() => F.multiMarginLoss(x, lab([0, 1, 2, 1]), { p: 3 as never }))
      .toThrow('multiMarginLoss: p must be 1 or 2, got 3');
    expect(() => F.binaryCrossEntropyWithLogits(x, x, { posWeight: tensor([1, 2]) }))
      .toThrow("binaryCrossEntropyWithLogits: posWeight must broadcast to the input's shape [4, 3], got [2]");
    expect(() => F.huberLoss(x, x, { delta: 0 })).toThrow('huberLoss: delta must be > 0, got 0');
  });
  it('binaryCrossEntropy input outside [0, 1]', () => {
    expect(() => F.binaryCrossEntropy(tensor([0.5, 1.5]), tensor([0, 1])))
      .toThrow('binaryCrossEntropy: input must hold probabilities in [0, 1], got values in [0.5, 1.5]');
  });
  it('non-tensor input', () => {
    expect(() => F.mseLoss([1, 2] as unknown as Tensor, x)).toThrow(/mseLoss: input must be a Tensor, got an array/);
  });
});
