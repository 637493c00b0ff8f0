// Training callbacks: the Callback hooks fit calls, and the stock ones (earlyStopping,
// modelCheckpoint, lrSchedulerCallback, csvLogger). Logged values use camelCase keys: loss,
// accuracy, valLoss, valAccuracy, lr; Keras spellings (val_loss) are accepted in `monitor`.
import * as fs from 'node:fs';
import { Tensor } from '../tensor';
import { saveFile } from '../io/safetensors';
import { saveCheckpoint } from './checkpoint';
import type { OptimizerLike, SchedulerLike, TrainableModel } from './types';

/** Per-epoch values: loss, each metric, valLoss, val<Metric>, lr, seconds. */
export type Logs = Record<string, number>;

/** Per-batch values. */
export interface BatchLogs {
  loss: number;
  /** Items in the batch. */
  size: number;
}

export interface History {
  /** Epoch numbers (0-based) that ran. */
  epoch: number[];
  loss: number[];
  /** Empty without validation data. */
  valLoss: number[];
  /** Training metrics by name, one value per epoch. */
  metrics: Record<string, number[]>;
  valMetrics: Record<string, number[]>;
  /** Learning rate of the first parameter group during each epoch. */
  lr: number[];
  seconds: number[];
  /** True when a callback stopped training before `epochs`. */
  stoppedEarly: boolean;
}

/** What callbacks see and may change (stopTraining). */
export interface TrainState {
  model: TrainableModel;
  optimizer: OptimizerLike;
  scheduler?: SchedulerLike;
  epochs: number;
  /** The current (or last) epoch, 0-based. */
  epoch: number;
  batchesPerEpoch: number;
  history: History;
  /** Set true to end training after the current epoch. */
  stopTraining: boolean;
}

type Hook<A extends unknown[]> = (...args: A) => void | Promise<void>;

/** Hooks fit awaits in order; all optional. */
export interface Callback {
  onTrainBegin?: Hook<[state: TrainState]>;
  onEpochBegin?: Hook<[epoch: number, state: TrainState]>;
  onBatchEnd?: Hook<[batch: number, logs: BatchLogs, state: TrainState]>;
  onEpochEnd?: Hook<[epoch: number, logs: Logs, state: TrainState]>;
  onTrainEnd?: Hook<[logs: Logs | null, state: TrainState]>;
}

/** 'val_loss' -> 'valLoss', 'val_accuracy' -> 'valAccuracy'; other names unchanged. */
export function normalizeKey(key: string): string {
  return key.replace(/^val_(\w)/, (_, c: string) => `val${c.toUpperCase()}`);
}

type Mode = 'min' | 'max' | 'auto';

function resolveMode(fn: string, mode: Mode, monitor: string): 'min' | 'max' {
  if (mode !== 'min' && mode !== 'max' && mode !== 'auto') {
    throw new RangeError(`${fn}: mode must be 'min', 'max' or 'auto', got ${JSON.stringify(mode)}`);
  }
  if (mode !== 'auto') return mode;
  return /acc|precision|recall|f1|auc/i.test(monitor) ? 'max' : 'min';
}

function monitored(fn: string, logs: Logs, monitor: string): number {
  const v = logs[monitor];
  if (typeof v !== 'number') {
    throw new RangeError(
      `${fn}: monitor must name a logged value (${Object.keys(logs).join(', ')}), got ${JSON.stringify(monitor)}` +
        (monitor.startsWith('val') ? ' (did fit get validation data?)' : ''),
    );
  }
  return v;
}

function snapshot(model: TrainableModel): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(model.stateDict())) out[k] = new Tensor(t.data.slice(), t.shape);
  return out;
}

export interface EarlyStoppingOptions {
  /** Logged value to watch (default 'valLoss'). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** 'min', 'max', or 'auto' (max for accuracy-like names, min otherwise; default). */
  mode?: Mode;
  /** At the end, load the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
}

/** The best value seen for `monitor`; improved(v) is true when v beats it by > minDelta. */
class Tracker {
  best: number;
  constructor(
    readonly mode: 'min' | 'max',
    readonly minDelta: number,
  ) {
    this.best = mode === 'min' ? Infinity : -Infinity;
  }
  improved(v: number): boolean {
    return this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta;
  }
}

/**
 * Stops training when `monitor` has not improved for `patience` epochs (as Keras EarlyStopping).
 * @example fit(model, { ..., callbacks: [earlyStopping({ monitor: 'valLoss', patience: 3 })] })
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback & { bestEpoch: number; stoppedEpoch: number } {
  const monitor = normalizeKey(options.monitor ?? 'valLoss');
  const patience = options.patience ?? 0;
  const minDelta = Math.abs(options.minDelta ?? 0);
  if (!Number.isInteger(patience) || patience < 0) {
    throw new RangeError(`earlyStopping: patience must be an integer >= 0, got ${patience}`);
  }
  const mode = resolveMode('earlyStopping', options.mode ?? 'auto', monitor);
  let tracker = new Tracker(mode, minDelta);
  let wait = 0;
  let best: Record<string, Tensor> | null = null;
  const cb = {
    bestEpoch: -1,
    stoppedEpoch: -1,
    onTrainBegin() {
      tracker = new Tracker(mode, minDelta);
      wait = 0;
      best = null;
      cb.bestEpoch = -1;
      cb.stoppedEpoch = -1;
    },
    onEpochEnd(epoch: number, logs: Logs, state: TrainState) {
      const v = monitored('earlyStopping', logs, monitor);
      if (tracker.improved(v)) {
        tracker.best = v;
        wait = 0;
        cb.bestEpoch = epoch;
        if (options.restoreBestWeights) best = snapshot(state.model);
        return;
      }
      wait += 1;
      if (wait >= patience) {
        state.stopTraining = true;
        cb.stoppedEpoch = epoch;
      }
    },
    onTrainEnd(_logs: Logs | null, state: TrainState) {
      if (best !== null && cb.bestEpoch !== state.epoch) state.model.loadStateDict(best);
    },
  };
  return cb;
}

export interface ModelCheckpointOptions {
  /** File to write; '{epoch}' (1-based) and '{<logKey>}' (e.g. '{valLoss}') are filled in. */
  path: string;
  /** Logged value that decides "best" (default 'valLoss'). */
  monitor?: string;
  /** Only write when `monitor` improves (default false: write every epoch). */
  saveBestOnly?: boolean;
  mode?: Mode;
  /** true (default): model weights as safetensors; false: a full checkpoint
   *  (saveCheckpoint: optimizer, scheduler, epoch, random state) to resume from. */
  saveWeightsOnly?: boolean;
}

/**
 * Saves the model (or a full checkpoint) after each epoch, or only when `monitor` improves.
 * Files are written atomically, so an interrupted save never corrupts the previous one.
 */
export function modelCheckpoint(options: ModelCheckpointOptions): Callback {
  if (typeof options?.path !== 'string' || options.path === '') {
    throw new TypeError(`modelCheckpoint: path must be a non-empty string, got ${options?.path}`);
  }
  const monitor = normalizeKey(options.monitor ?? 'valLoss');
  const mode = resolveMode('modelCheckpoint', options.mode ?? 'auto', monitor);
  let tracker = new Tracker(mode, 0);
  return {
    onTrainBegin() {
      tracker = new Tracker(mode, 0);
    },
    onEpochEnd(epoch, logs, state) {
      if (options.saveBestOnly) {
        const v = monitored('modelCheckpoint', logs, monitor);
        if (!tracker.improved(v)) return;
        tracker.best = v;
      }
      const file = options.path.replace(/\{(\w+)\}/g, (m, key: string) => {
        if (key === 'epoch') return String(epoch + 1);
        const v = logs[normalizeKey(key)];
        return v === undefined ? m : v.toFixed(4);
      });
      if (options.saveWeightsOnly ?? true) {
        saveFile(state.model.stateDict(), file, { epoch: String(epoch + 1) });
      } else {
        saveCheckpoint(file, {
          model: state.model,
          optimizer: state.optimizer,
          scheduler: state.scheduler,
          epoch: epoch + 1,
        });
      }
    },
  };
}

/**
 * Steps a learning-rate scheduler at the end of each epoch; with `monitor` (for
 * ReduceLROnPlateau) it passes that logged value to step().
 */
export function lrSchedulerCallback(scheduler: SchedulerLike, options: { monitor?: string } = {}): Callback {
  if (!scheduler || typeof scheduler.step !== 'function') {
    throw new TypeError('lrSchedulerCallback: scheduler must have a step() method');
  }
  const monitor = options.monitor === undefined ? undefined : normalizeKey(options.monitor);
  return {
    onEpochEnd(_epoch, logs) {
      if (monitor === undefined) scheduler.step();
      else scheduler.step(monitored('lrSchedulerCallback', logs, monitor));
    },
  };
}

/**
 * Appends one CSV row per epoch to `path` (columns: epoch, then the logged values in the order
 * first seen). The file is truncated at the start of training unless `append`.
 */
export function csvLogger(path: string, options: { separator?: string; append?: boolean } = {}): Callback {
  const sep = options.separator ?? ',';
  let columns: string[] | null = null;
  return {
    onTrainBegin() {
      columns = null;
      if (!options.append) fs.writeFileSync(path, '');
    },
    onEpochEnd(epoch, logs) {
      if (columns === null) {
        columns = Object.keys(logs);
        const exists = options.append && fs.existsSync(path) && fs.statSync(path).size > 0;
        if (!exists) fs.appendFileSync(path, ['epoch', ...columns].join(sep) + '\n');
      }
      const row = [String(epoch), ...columns.map((c) => (logs[c] === undefined ? '' : String(logs[c])))];
      fs.appendFileSync(path, row.join(sep) + '\n');
    },
  };
}
