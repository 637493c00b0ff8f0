// The training loop (fit), evaluation (evaluate) and inference (predict). fit yields to the
// event loop after every batch so a server that trains in-process stays responsive; progress
// is a cli-progress bar on a terminal and one summary line per epoch otherwise (CI logs).
import { SingleBar } from 'cli-progress';
import { noGrad } from '../autograd/grad_mode';
import { cat } from '../ops/shape';
import { Tensor } from '../tensor';
import {
  type Callback, type History, type Logs, type TrainState, lrSchedulerCallback,
} from './callbacks';
import { type Metric, resolveMetric } from './metrics';
import type { LossFn, LossModule, OptimizerLike, SchedulerLike, TrainableModel } from './types';

/** A batch: [input, target] (a TensorDataset of two tensors gives this), or { x, y }. */
export type Batch = Tensor[] | { x: Tensor; y: Tensor };

export interface FitOptions {
  train: Iterable<Batch>;
  validation?: Iterable<Batch>;
  /** A loss function (nn.functional.crossEntropy) or a loss module (new nn.CrossEntropyLoss()). */
  loss: LossFn | LossModule;
  optimizer: OptimizerLike;
  epochs: number;
  /** First epoch to run (to resume from a checkpoint holding that many epochs; default 0). */
  initialEpoch?: number;
  /** Names ('accuracy', 'f1', 'top5', ...) or Metric objects. */
  metrics?: (string | Metric)[];
  callbacks?: Callback[];
  /** Stepped once per epoch, after validation. */
  scheduler?: SchedulerLike;
  /** Logged value passed to scheduler.step, e.g. 'valLoss'. Default: none, except for a
   *  scheduler whose step takes an argument (ReduceLROnPlateau): valLoss, or loss without
   *  validation data. */
  schedulerMonitor?: string;
  /** 0: silent; 1 (default): a progress bar on a terminal, one line per epoch otherwise;
   *  2: one line per epoch always. */
  verbose?: 0 | 1 | 2 | boolean;
  /** Where summary lines go (default: process.stdout). */
  log?: (line: string) => void;
}

export interface EvaluateOptions {
  loss?: LossFn | LossModule;
  metrics?: (string | Metric)[];
}

export interface EvaluateResult {
  /** Mean loss per item (NaN without a loss function). */
  loss: number;
  metrics: Record<string, number>;
}

function splitBatch(fn: string, batch: Batch): [Tensor, Tensor] {
  if (Array.isArray(batch) && batch.length >= 2 && batch[0] instanceof Tensor && batch[1] instanceof Tensor) {
    return [batch[0], batch[1]];
  }
  if (batch && typeof batch === 'object' && 'x' in batch && batch.x instanceof Tensor && batch.y instanceof Tensor) {
    return [batch.x, batch.y];
  }
  throw new TypeError(`${fn}: each batch must be [input, target] Tensors or { x, y }, got ${describeBatch(batch)}`);
}

function describeBatch(b: unknown): string {
  if (b instanceof Tensor) return 'a single Tensor';
  if (Array.isArray(b)) return `an array of ${b.length}`;
  return typeof b;
}

function lengthOf(it: Iterable<unknown>): number {
  const n = (it as { length?: unknown }).length;
  return typeof n === 'number' ? n : NaN;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function lossValue(fn: string, loss: Tensor): number {
  if (!(loss instanceof Tensor) || loss.size !== 1) {
    throw new RangeError(`${fn}: loss must return a one-element Tensor, got ${loss instanceof Tensor ? `shape [${loss.shape.join(', ')}]` : typeof loss}`);
  }
  return loss.item() as number;
}

function withEvalMode<T>(model: TrainableModel, fn: () => T): T {
  const wasTraining = model.training ?? true;
  model.eval();
  const restore = () => {
    if (wasTraining) model.train(true);
  };
  try {
    const out = fn();
    if (out instanceof Promise) return out.finally(restore) as T;
    restore();
    return out;
  } catch (err) {
    restore();
    throw err;
  }
}

/** Accepts a loss function or a loss module (anything with forward(pred, target)). */
function toLossFn(fn: string, loss: unknown): LossFn {
  if (typeof loss === 'function') return loss as LossFn;
  if (loss !== null && typeof loss === 'object' && typeof (loss as LossModule).forward === 'function') {
    const m = loss as LossModule;
    return (pred, target) => m.forward(pred, target);
  }
  throw new TypeError(
    `${fn}: loss must be a function or a module with forward(pred, target), got ${loss === null ? 'null' : typeof loss}`,
  );
}

/**
 * Mean loss and metrics of `model` over a loader, in eval mode with gradients off. Yields to
 * the event loop between batches.
 */
export async function evaluate(
  model: TrainableModel,
  loader: Iterable<Batch>,
  options: EvaluateOptions = {},
): Promise<EvaluateResult> {
  const metrics = (options.metrics ?? []).map(resolveMetric);
  const lossFn = options.loss === undefined ? null : toLossFn('evaluate', options.loss);
  return withEvalMode(model, async () => {
    metrics.forEach((m) => m.reset());
    let total = 0;
    let count = 0;
    for (const batch of loader) {
      const [x, y] = splitBatch('evaluate', batch);
      noGrad(() => {
        const pred = model.forward(x);
        const n = x.shape[0] ?? 1;
        if (lossFn) total += lossValue('evaluate', lossFn(pred, y)) * n;
        count += n;
        for (const m of metrics) m.update(pred, y);
      });
      await yieldToEventLoop();
    }
    const out: Record<string, number> = {};
    for (const m of metrics) out[m.name] = m.result();
    return { loss: options.loss && count > 0 ? total / count : NaN, metrics: out };
  });
}

/**
 * Model outputs for `input` (a Tensor, split into batches of `batchSize` when given, or an
 * iterable of batches whose first element is the input), in eval mode with gradients off,
 * concatenated along dim 0.
 */
export function predict(
  model: TrainableModel,
  input: Tensor | Iterable<Tensor | Batch>,
  options: { batchSize?: number } = {},
): Tensor {
  return withEvalMode(model, () =>
    noGrad(() => {
      if (input instanceof Tensor) {
        const bs = options.batchSize;
        if (bs === undefined || input.ndim === 0 || input.shape[0] <= bs) return model.forward(input);
        return cat(input.split(bs, 0).map((x) => model.forward(x)), 0);
      }
      const outs: Tensor[] = [];
      for (const b of input) {
        const x = b instanceof Tensor ? b : Array.isArray(b) ? b[0] : (b as { x: Tensor }).x;
        if (!(x instanceof Tensor)) throw new TypeError(`predict: each batch must hold an input Tensor, got ${describeBatch(b)}`);
        outs.push(model.forward(x));
      }
      if (outs.length === 0) throw new RangeError('predict: input must hold at least one batch');
      return outs.length === 1 ? outs[0] : cat(outs, 0);
    }),
  );
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3);
}

function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .filter(([k]) => k !== 'seconds' && k !== 'samplesPerSecond')
    .map(([k, v]) => `${k} ${k === 'lr' ? v.toPrecision(3) : formatValue(v)}`)
    .join(' - ');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Trains `model` for `epochs` passes over `train` (as Keras Model.fit): for each batch
 * zeroGrad, forward, loss, backward, optimizer.step; then validation, the scheduler and the
 * callbacks. Returns the history of losses and metrics per epoch.
 * @example const h = await fit(model, { train, validation, loss: nn.functional.crossEntropy,
 *   optimizer, epochs: 5, metrics: ['accuracy'] });
 */
export async function fit(model: TrainableModel, options: FitOptions): Promise<History> {
  const { train, validation, loss, optimizer, epochs, initialEpoch = 0, scheduler } = options;
  if (!train || typeof (train as Iterable<Batch>)[Symbol.iterator] !== 'function') {
    throw new TypeError('fit: train must be a DataLoader or another iterable of batches');
  }
  const lossFn = toLossFn('fit', loss);
  if (!optimizer || typeof optimizer.step !== 'function' || typeof optimizer.zeroGrad !== 'function') {
    throw new TypeError('fit: optimizer must have step() and zeroGrad()');
  }
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new RangeError(`fit: epochs must be an integer >= 0, got ${epochs}`);
  }
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) {
    throw new RangeError(`fit: initialEpoch must be an integer in [0, ${epochs}], got ${initialEpoch}`);
  }
  const verbose = options.verbose === true ? 1 : options.verbose === false ? 0 : options.verbose ?? 1;
  const log = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const useBar = verbose === 1 && options.log === undefined && process.stdout.isTTY === true;
  const metrics = (options.metrics ?? []).map(resolveMetric);
  const callbacks = [...(options.callbacks ?? [])];
  if (scheduler) {
    // a scheduler whose step takes an argument (ReduceLROnPlateau) gets the loss by default
    const wantsMetric = typeof scheduler.step === 'function' && scheduler.step.length >= 1;
    const monitor = options.schedulerMonitor ?? (wantsMetric ? (validation ? 'valLoss' : 'loss') : undefined);
    callbacks.unshift(lrSchedulerCallback(scheduler, { monitor }));
  }

  const history: History = {
    epoch: [], loss: [], valLoss: [], metrics: {}, valMetrics: {}, lr: [], seconds: [], stoppedEarly: false,
  };
  const state: TrainState = {
    model, optimizer, scheduler, epochs, epoch: initialEpoch, batchesPerEpoch: lengthOf(train), history,
    stopTraining: false,
  };
  const seeded = train as { setEpoch?: (e: number) => void; seed?: number };
  let lastLogs: Logs | null = null;

  for (const cb of callbacks) await cb.onTrainBegin?.(state);
  for (let epoch = initialEpoch; epoch < epochs && !state.stopTraining; ++epoch) {
    state.epoch = epoch;
    if (seeded.seed !== undefined && typeof seeded.setEpoch === 'function') seeded.setEpoch(epoch);
    for (const cb of callbacks) await cb.onEpochBegin?.(epoch, state);
    model.train(true);
    metrics.forEach((m) => m.reset());
    const lr = optimizer.paramGroups?.[0]?.lr;
    const start = performance.now();
    let total = 0;
    let count = 0;
    let batchIndex = 0;
    const bar = useBar ? newBar(epoch, epochs, state.batchesPerEpoch) : null;

    for (const batch of train) {
      const [x, y] = splitBatch('fit', batch);
      optimizer.zeroGrad();
      const pred = model.forward(x);
      const l = lossFn(pred, y);
      const value = lossValue('fit', l);
      l.backward();
      optimizer.step();
      const n = x.shape[0] ?? 1;
      total += value * n;
      count += n;
      if (metrics.length > 0) {
        const p = pred.detach();
        noGrad(() => metrics.forEach((m) => m.update(p, y)));
      }
      for (const cb of callbacks) await cb.onBatchEnd?.(batchIndex, { loss: value, size: n }, state);
      batchIndex += 1;
      if (bar) {
        const secs = (performance.now() - start) / 1000;
        bar.update(batchIndex, {
          loss: formatValue(total / count),
          metrics: metrics.map((m) => ` ${m.name} ${formatValue(m.result())}`).join(''),
          speed: Math.round(count / Math.max(secs, 1e-9)),
        });
      }
      await yieldToEventLoop();
    }
    bar?.stop();

    const logs: Logs = { loss: count > 0 ? total / count : NaN };
    for (const m of metrics) logs[m.name] = m.result();
    if (validation) {
      const v = await evaluate(model, validation, { loss, metrics });
      logs.valLoss = v.loss;
      for (const [k, val] of Object.entries(v.metrics)) logs[`val${capitalize(k)}`] = val;
    }
    if (lr !== undefined) logs.lr = lr;
    const seconds = (performance.now() - start) / 1000;
    logs.seconds = seconds;
    logs.samplesPerSecond = count / Math.max(seconds, 1e-9);

    history.epoch.push(epoch);
    history.loss.push(logs.loss);
    history.seconds.push(seconds);
    if (lr !== undefined) history.lr.push(lr);
    if (validation) history.valLoss.push(logs.valLoss);
    for (const m of metrics) {
      (history.metrics[m.name] ??= []).push(logs[m.name]);
      if (validation) (history.valMetrics[m.name] ??= []).push(logs[`val${capitalize(m.name)}`]);
    }
    if (verbose > 0) {
      log(
        `Epoch ${epoch + 1}/${epochs} - ${seconds.toFixed(1)}s - ` +
          `${Math.round(logs.samplesPerSecond)} samples/s - ${formatLogs(logs)}`,
      );
    }
    lastLogs = logs;
    for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, state);
  }
  history.stoppedEarly = state.stopTraining && state.epoch + 1 < epochs;
  for (const cb of callbacks) await cb.onTrainEnd?.(lastLogs, state);
  return history;
}

function newBar(epoch: number, epochs: number, total: number): SingleBar {
  const bar = new SingleBar({
    format:
      `Epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} | loss {loss}{metrics} | ` +
      '{speed} samples/s | ETA {eta_formatted}',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stdout,
    etaBuffer: 50,
  });
  bar.start(Number.isFinite(total) ? total : 0, 0, { loss: '-', metrics: '', speed: 0 });
  return bar;
}
