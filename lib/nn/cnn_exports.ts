// CNN layers for lib/nn/index.ts (`export * from './cnn_exports'`).
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm } from './normalization';
export type { BatchNormOptions, LayerNormOptions, GroupNormOptions } from './normalization';
export { Conv1d, Conv2d, ConvTranspose2d } from './conv';
export type { Conv1dModuleOptions, Conv2dModuleOptions, ConvTranspose2dModuleOptions } from './conv';
export {
  MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d,
} from './pooling';
export { Upsample, ZeroPad2d } from './resize';
export type { UpsampleOptions } from './resize';
export { Dropout2d, dropout2d } from './dropout2d';
export { gaussianKernel2d, sobelKernels, fixedConv2d } from './filters';
export type { FixedConv2dOptions } from './filters';
