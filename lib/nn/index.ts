// Public exports of lib/nn: Module and Parameter, layers, containers, losses, and the
// `init` and `functional` sub-namespaces (nt.nn.init.xavierUniform_, nt.nn.functional.crossEntropy).
export { Parameter } from './parameter';
export { Module } from './module';
export type {
  LoadStateDictOptions, LoadStateDictResult, RegisterBufferOptions, StateDict,
} from './module';
export { Sequential, ModuleList, ModuleDict } from './container';
export { Linear, Bilinear, Identity, Flatten, Unflatten } from './linear';
export type { LinearOptions } from './linear';
export { Dropout } from './dropout';
export {
  ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax,
} from './activation';
export {
  MSELoss, L1Loss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, BCELoss,
  BCEWithLogitsLoss, MultiMarginLoss, HingeEmbeddingLoss, KLDivLoss, CosineEmbeddingLoss,
} from './loss';
export type {
  Reduction, LossOptions, SmoothL1Options, HuberOptions, CrossEntropyOptions, NLLOptions,
  BCEOptions, BCEWithLogitsOptions, MultiMarginOptions, HingeEmbeddingOptions, KLDivOptions,
  CosineEmbeddingOptions,
} from './loss';
export type { KaimingOptions, FanMode, Nonlinearity } from './init';
export * from './cnn_exports';
export * from './rnn_exports';
export * as init from './init';
export * as functional from './functional';
