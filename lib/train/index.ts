// Public exports of lib/train: data loading, the fit loop, metrics, callbacks, checkpoints.
export { TensorDataset, Subset, DataLoader, randomSplit, defaultCollate } from './data';
export type { Dataset, BatchDataset, DataLoaderOptions } from './data';
export * as datasets from './datasets';
export type { MnistOptions, MnistSplit, ReadIdxOptions, ReadCsvOptions, CsvTable } from './datasets';
export { fit, evaluate, predict } from './fit';
export type { Batch, FitOptions, EvaluateOptions, EvaluateResult } from './fit';
export {
  earlyStopping, modelCheckpoint, lrSchedulerCallback, csvLogger, normalizeKey,
} from './callbacks';
export type {
  Callback, Logs, BatchLogs, History, TrainState, EarlyStoppingOptions, ModelCheckpointOptions,
} from './callbacks';
export * as metrics from './metrics';
export type { Metric, ClassificationOptions } from './metrics';
export { saveCheckpoint, loadCheckpoint } from './checkpoint';
export type { CheckpointContents, LoadedCheckpoint } from './checkpoint';
export type { TrainableModel, OptimizerLike, SchedulerLike, LossFn } from './types';
