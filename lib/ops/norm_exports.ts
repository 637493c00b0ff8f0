// Normalisation and resizing ops for lib/index.ts and nn.functional.
export { batchNorm, layerNorm, groupNorm } from './norm';
export type { BatchNormOptions } from './norm';
export { pad, interpolate, upsample } from './resize';
export type { PadMode, PadOptions, InterpolateMode, InterpolateOptions } from './resize';
