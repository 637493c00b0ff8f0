// Public names of the recurrent family (re-exported by lib/nn/index.ts).
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from './rnn';
export type { RNNBaseOptions, RNNOptions, LSTMOptions, GRUOptions, RNNForwardOptions } from './rnn';
export {
  PackedSequence, packSequence, packPaddedSequence, padSequence, padPackedSequence,
} from './rnn_utils';
export type { PadSequenceOptions, PackPaddedOptions, PadPackedOptions } from './rnn_utils';
export { rnnLayer } from '../ops/rnn';
export type { RnnMode, RnnLayerWeights, RnnLayerOptions, RnnLayerResult } from '../ops/rnn';
