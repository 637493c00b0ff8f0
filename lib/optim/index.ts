// Public exports of lib/optim: optimizers, learning-rate schedulers and gradient clipping,
// all under flat names (nt.optim.Adam, nt.optim.StepLR, nt.optim.clipGradNorm_).
export { Optimizer } from './optimizer';
export type {
  OptimizerOptions, OptimizerStateDict, ParamGroup, ParamGroupInput, ParamState, StateValue,
} from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export { Adagrad } from './adagrad';
export type { AdagradOptions } from './adagrad';
export { Adadelta } from './adadelta';
export type { AdadeltaOptions } from './adadelta';
export { Adamax } from './adamax';
export type { AdamaxOptions } from './adamax';
export { NAdam } from './nadam';
export type { NAdamOptions } from './nadam';
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR,
  ReduceLROnPlateau,
} from './lr_scheduler';
export type {
  StepLROptions, MultiStepLROptions, ExponentialLROptions, CosineAnnealingLROptions,
  LinearLROptions, OneCycleLROptions, ReduceLROnPlateauOptions,
} from './lr_scheduler';
export { clipGradNorm_, clipGradValue_ } from './clip';
export type { ClipGradNormOptions } from './clip';
