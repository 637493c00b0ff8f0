import { describe, expect, it } from 'vitest';
import { metrics, tensor } from '../../lib/index';

// logits [6, 3]; argmax per row: 0, 1, 2, 2, 1, 0
const logits = tensor([
  [3, 1, 0],
  [0, 2, 1],
  [0, 1, 5],
  [1, 0, 2],
  [0.5, 0.9, 0.1],
  [2, 1, 1.5],
]);
const target = tensor(Int32Array.of(0, 1, 2, 0, 0, 0));
// confusion (rows target, cols pred): class 0: [2, 1, 1]; class 1: [0, 1, 0]; class 2: [0, 0, 1]

describe('metrics', () => {
  it('accuracy of logits [N, C] against int32 targets', () => {
    expect(metrics.accuracy(logits, target)).toBeCloseTo(4 / 6);
  });

  it('macro precision, recall and F1 match scikit-learn on a hand-worked confusion matrix', () => {
    // precision per class: 2/2, 1/2, 1/2; recall: 2/4, 1/1, 1/1
    expect(metrics.precision(logits, target)).toBeCloseTo((1 + 0.5 + 0.5) / 3);
    expect(metrics.recall(logits, target)).toBeCloseTo((0.5 + 1 + 1) / 3);
    const f = (p: number, r: number) => (2 * p * r) / (p + r);
    expect(metrics.f1(logits, target)).toBeCloseTo((f(1, 0.5) + f(0.5, 1) + f(0.5, 1)) / 3);
  });

  it('binary input: logits [N] or [N, 1] thresholded at 0, metrics of the positive class', () => {
    const p = tensor([2, -1, 0.5, -3, 1]);
    const t = tensor(Int32Array.of(1, 0, 0, 1, 1));
    // predicted 1, 0, 1, 0, 1: tp 2, fp 1, fn 1
    expect(metrics.accuracy(p, t)).toBeCloseTo(3 / 5);
    expect(metrics.precision(p, t)).toBeCloseTo(2 / 3);
    expect(metrics.recall(p.reshape([5, 1]), t)).toBeCloseTo(2 / 3);
    expect(metrics.f1(p, t.float())).toBeCloseTo(2 / 3);
    expect(metrics.accuracy(p.sigmoid(), t, { threshold: 0.5 })).toBeCloseTo(3 / 5);
  });

  it('top-k accuracy counts the target among the k largest logits', () => {
    // target ranks: row0 0, row1 0, row2 0, row3 1, row4 1, row5 0
    expect(metrics.topKAccuracy(logits, target, 1)).toBeCloseTo(4 / 6);
    expect(metrics.topKAccuracy(logits, target, 2)).toBeCloseTo(1);
  });

  it('mae and mse average over all elements', () => {
    const p = tensor([[1, 2], [3, 4]]);
    const t = tensor([[1, 0], [4, 4]]);
    expect(metrics.mae(p, t)).toBeCloseTo(3 / 4);
    expect(metrics.mse(p, t)).toBeCloseTo(5 / 4);
  });

  it('streaming accumulators over batches equal the metric over the whole set', () => {
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'top2']) {
      const m = metrics.resolveMetric(name);
      m.reset();
      m.update(logits.narrow(0, 0, 4), target.narrow(0, 0, 4));
      m.update(logits.narrow(0, 4, 2), target.narrow(0, 4, 2));
      const whole = metrics.resolveMetric(name);
      whole.update(logits, target);
      expect(m.result()).toBeCloseTo(whole.result());
    }
    const mae = metrics.maeMetric();
    mae.update(tensor([1, 2, 3]), tensor([0, 0, 0]));
    mae.update(tensor([[4]]), tensor([[0]]));
    expect(mae.result()).toBeCloseTo(10 / 4);
  });

  it('names the bad argument', () => {
    expect(() => metrics.accuracy(logits, tensor(Int32Array.of(0, 1)))).toThrow(
      /accuracy: target must be \[6\] class indices, got \[2\]/,
    );
    expect(() => metrics.f1(logits, tensor(Int32Array.of(0, 1, 2, 3, 0, 0)))).toThrow(
      /f1: target must hold classes in \[0, 3\), got 3/,
    );
    expect(() => metrics.resolveMetric('auc')).toThrow(/metric must be 'accuracy'.*got "auc"/);
    expect(() => metrics.topKAccuracy(logits, target, 0)).toThrow(/k must be an integer >= 1, got 0/);
  });
});
