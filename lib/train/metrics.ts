// Classification and regression metrics: stateless functions over one batch and streaming
// accumulators (Metric) that fit and evaluate update batch by batch. Classification takes
// logits [N, C] (or [N] / [N, 1] for binary, positive when > threshold, 0 for logits) and int32
// targets [N]. Precision, recall and F1 are macro averages over the classes present in the
// targets or predictions (as scikit-learn), or of the positive class for binary input.
import { noGrad } from '../autograd/grad_mode';
import { gather, scatterAdd } from '../ops/index';
import { formatShape } from '../shape';
import { Tensor, zeros, onesLike } from '../tensor';

/** A streaming metric: reset, update with each batch, read result(). */
export interface Metric {
  readonly name: string;
  reset(): void;
  update(pred: Tensor, target: Tensor): void;
  result(): number;
}

export interface ClassificationOptions {
  /** Decision threshold for binary input (default 0, i.e. logits; use 0.5 for probabilities). */
  threshold?: number;
  /** 'macro' (default for [N, C]) or 'binary' (default for [N] and [N, 1]). */
  average?: 'macro' | 'binary';
}

function isBinary(pred: Tensor): boolean {
  return pred.ndim === 1 || (pred.ndim === 2 && pred.shape[1] === 1);
}

/** Predicted classes (int32 [N]) and targets as int32 [N], checked against each other. */
function classes(fn: string, pred: Tensor, target: Tensor, threshold: number): [Tensor, Tensor] {
  if (!(pred instanceof Tensor) || pred.ndim < 1 || pred.ndim > 2) {
    throw new RangeError(`${fn}: pred must be [N, C], [N, 1] or [N], got ${pred instanceof Tensor ? formatShape(pred.shape) : typeof pred}`);
  }
  const N = pred.shape[0];
  if (!(target instanceof Tensor) || target.size !== N || (target.ndim !== 1 && !(target.ndim === 2 && target.shape[1] === 1))) {
    throw new RangeError(
      `${fn}: target must be [${N}] class indices, got ${target instanceof Tensor ? formatShape(target.shape) : typeof target}`,
    );
  }
  const t = target.reshape([N]);
  const labels = t.dtype === 'int32' ? t : t.int();
  const predicted = isBinary(pred) ? pred.reshape([N]).gt(threshold).int() : pred.argmax(1);
  return [predicted, labels];
}

class MeanMetric implements Metric {
  private total = 0;
  private count = 0;
  constructor(
    readonly name: string,
    private readonly batchSum: (pred: Tensor, target: Tensor) => number,
    private readonly batchCount: (pred: Tensor) => number = (pred) => pred.shape[0] ?? 1,
  ) {}
  reset(): void {
    this.total = 0;
    this.count = 0;
  }
  update(pred: Tensor, target: Tensor): void {
    noGrad(() => {
      this.total += this.batchSum(pred, target);
      this.count += this.batchCount(pred);
    });
  }
  result(): number {
    return this.count === 0 ? NaN : this.total / this.count;
  }
}

/** Streaming accuracy: the fraction of rows whose predicted class equals the target. */
export function accuracyMetric(options: ClassificationOptions = {}): Metric {
  const threshold = options.threshold ?? 0;
  return new MeanMetric('accuracy', (pred, target) => {
    const [p, t] = classes('accuracy', pred, target, threshold);
    return p.eq(t).sum().item() as number;
  });
}

/** Streaming top-k accuracy: the target's logit is among the k largest of its row. */
export function topKAccuracyMetric(k: number): Metric {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topKAccuracy: k must be an integer >= 1, got ${k}`);
  return new MeanMetric(`top${k}Accuracy`, (pred, target) => {
    if (pred.ndim !== 2) throw new RangeError(`topKAccuracy: pred must be [N, C], got ${formatShape(pred.shape)}`);
    const [, t] = classes('topKAccuracy', pred, target, 0);
    // rank of the target = number of classes scoring strictly higher; ties favour the target
    const own = gather(pred, 1, t.reshape([t.size, 1]));
    const rank = pred.gt(own).sum(1);
    return rank.lt(k).sum().item() as number;
  });
}

/** Streaming mean absolute error over all elements. */
export function maeMetric(): Metric {
  return new MeanMetric(
    'mae',
    (pred, target) => pred.sub(target.reshape([...pred.shape]).float()).abs().sum().item() as number,
    (pred) => pred.size,
  );
}

/** Streaming mean squared error over all elements. */
export function mseMetric(): Metric {
  return new MeanMetric(
    'mse',
    (pred, target) => pred.sub(target.reshape([...pred.shape]).float()).square().sum().item() as number,
    (pred) => pred.size,
  );
}

type ConfusionKind = 'precision' | 'recall' | 'f1';

/** Confusion-matrix metrics: rows are targets, columns predictions. */
class ConfusionMetric implements Metric {
  private counts: Float64Array | null = null;
  private C = 0;
  private binary = false;
  constructor(
    readonly name: ConfusionKind,
    private readonly options: ClassificationOptions,
  ) {}
  reset(): void {
    this.counts = null;
  }
  update(pred: Tensor, target: Tensor): void {
    noGrad(() => {
      const binary = isBinary(pred);
      const C = binary ? 2 : pred.shape[1];
      const [p, t] = classes(this.name, pred, target, this.options.threshold ?? 0);
      const tMax = t.size > 0 ? (t.max().item() as number) : 0;
      const tMin = t.size > 0 ? (t.min().item() as number) : 0;
      if (tMin < 0 || tMax >= C) {
        throw new RangeError(`${this.name}: target must hold classes in [0, ${C}), got ${tMin < 0 ? tMin : tMax}`);
      }
      if (this.counts === null || this.C !== C) {
        this.counts = new Float64Array(C * C);
        this.C = C;
        this.binary = binary;
      }
      const cell = t.mul(C).add(p);
      const batch = scatterAdd(zeros([C * C]), 0, cell, onesLike(cell, { dtype: 'float32' }));
      const b = batch.data as Float32Array;
      for (let i = 0; i < b.length; ++i) this.counts[i] += b[i];
    });
  }
  result(): number {
    if (this.counts === null) return NaN;
    const { C, counts } = this;
    const perClass = (c: number): { p: number; r: number; present: boolean } => {
      let predicted = 0;
      let actual = 0;
      for (let k = 0; k < C; ++k) {
        predicted += counts[k * C + c];
        actual += counts[c * C + k];
      }
      const tp = counts[c * C + c];
      return { p: predicted ? tp / predicted : 0, r: actual ? tp / actual : 0, present: predicted + actual > 0 };
    };
    const value = (c: number): number => {
      const { p, r } = perClass(c);
      if (this.name === 'precision') return p;
      if (this.name === 'recall') return r;
      return p + r > 0 ? (2 * p * r) / (p + r) : 0;
    };
    const average = this.options.average ?? (this.binary ? 'binary' : 'macro');
    if (average === 'binary') {
      if (C !== 2) throw new RangeError(`${this.name}: average 'binary' needs 2 classes, got ${C}`);
      return value(1);
    }
    let sum = 0;
    let n = 0;
    for (let c = 0; c < C; ++c) {
      if (!perClass(c).present) continue;
      sum += value(c);
      n += 1;
    }
    return n ? sum / n : 0;
  }
}

export function precisionMetric(options: ClassificationOptions = {}): Metric {
  return new ConfusionMetric('precision', options);
}
export function recallMetric(options: ClassificationOptions = {}): Metric {
  return new ConfusionMetric('recall', options);
}
export function f1Metric(options: ClassificationOptions = {}): Metric {
  return new ConfusionMetric('f1', options);
}

function once(m: Metric, pred: Tensor, target: Tensor): number {
  m.update(pred, target);
  return m.result();
}

/** Fraction of rows whose predicted class (argmax, or logit > threshold) equals the target. */
export function accuracy(pred: Tensor, target: Tensor, options?: ClassificationOptions): number {
  return once(accuracyMetric(options), pred, target);
}
/** Fraction of rows whose target is among the k highest logits (default k = 5). */
export function topKAccuracy(pred: Tensor, target: Tensor, k = 5): number {
  return once(topKAccuracyMetric(k), pred, target);
}
/** Precision: macro over classes for [N, C], of the positive class for binary input. */
export function precision(pred: Tensor, target: Tensor, options?: ClassificationOptions): number {
  return once(precisionMetric(options), pred, target);
}
/** Recall: macro over classes for [N, C], of the positive class for binary input. */
export function recall(pred: Tensor, target: Tensor, options?: ClassificationOptions): number {
  return once(recallMetric(options), pred, target);
}
/** F1 = 2PR / (P + R) per class, then macro-averaged (or of the positive class if binary). */
export function f1(pred: Tensor, target: Tensor, options?: ClassificationOptions): number {
  return once(f1Metric(options), pred, target);
}
/** Mean absolute error over all elements. */
export function mae(pred: Tensor, target: Tensor): number {
  return once(maeMetric(), pred, target);
}
/** Mean squared error over all elements. */
export function mse(pred: Tensor, target: Tensor): number {
  return once(mseMetric(), pred, target);
}

/**
 * A Metric from its name: 'accuracy' (or 'acc'), 'precision', 'recall', 'f1', 'mae', 'mse',
 * 'topK' / 'topKAccuracy' (e.g. 'top5'); a Metric object is returned as is.
 */
export function resolveMetric(spec: string | Metric): Metric {
  if (typeof spec === 'object' && spec !== null && typeof spec.update === 'function') return spec;
  switch (spec) {
    case 'accuracy':
    case 'acc':
      return accuracyMetric();
    case 'precision':
      return precisionMetric();
    case 'recall':
      return recallMetric();
    case 'f1':
      return f1Metric();
    case 'mae':
      return maeMetric();
    case 'mse':
      return mseMetric();
  }
  const top = typeof spec === 'string' ? /^top(\d+)(Accuracy)?$/i.exec(spec) : null;
  if (top) return topKAccuracyMetric(Number(top[1]));
  throw new RangeError(
    `metrics: metric must be 'accuracy', 'precision', 'recall', 'f1', 'mae', 'mse', 'topK' ` +
      `or a Metric object, got ${JSON.stringify(spec)}`,
  );
}
