// Convolution and pooling ops for lib/index.ts (`export * from './ops/cnn_exports'`).
export { conv1d, conv2d, convTranspose2d } from './conv';
export type { Conv1dOptions, Conv2dOptions, Conv2dPadding, ConvTranspose2dOptions } from './conv';
export {
  maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d,
} from './pool';
export type {
  MaxPool1dOptions, MaxPool2dOptions, AvgPool1dOptions, AvgPool2dOptions,
} from './pool';
