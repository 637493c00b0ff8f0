// The shapes lib/train needs from models, optimizers and schedulers. They are structural, so
// nn.Module, the optim classes and small hand-written objects in tests all fit.
import type { Tensor } from '../tensor';

/** What fit/evaluate/predict need from a model (nn.Module fits). */
export interface TrainableModel {
  forward(x: Tensor): Tensor;
  train(on?: boolean): unknown;
  eval(): unknown;
  parameters(): Tensor[];
  stateDict(): Record<string, Tensor>;
  loadStateDict(sd: Record<string, Tensor>): unknown;
  /** True in training mode (nn.Module has it); used to restore the mode after evaluate. */
  training?: boolean;
}

/** What fit and checkpoints need from an optimizer (optim.SGD, optim.Adam, ... fit). */
export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
  paramGroups?: { lr: number }[];
}

/** A learning-rate scheduler: step() once per epoch (ReduceLROnPlateau takes the metric). */
export interface SchedulerLike {
  step(metric?: number | Tensor): void;
  getLastLr?(): number[];
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
}

/** A loss: prediction and target in, a one-element tensor out. */
export type LossFn = (pred: Tensor, target: Tensor) => Tensor;

/** A loss module such as nn.CrossEntropyLoss: its forward(pred, target) is the loss. */
export interface LossModule {
  forward(pred: Tensor, target: Tensor): Tensor;
}
