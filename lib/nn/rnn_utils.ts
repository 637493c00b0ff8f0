// Variable-length batches for the recurrent modules: PackedSequence, packSequence,
// packPaddedSequence, padSequence and padPackedSequence, after torch.nn.utils.rnn.
// Difference from PyTorch: a neurite PackedSequence keeps the padded time-major tensor and the
// lengths (the native kernels mask padded steps), not the interleaved [sum(lengths), *] data.
import { cat, narrow, stack, transpose } from '../ops/shape';
import { add, checkTensor, mul } from '../ops/elementwise';
import { formatShape } from '../shape';
import { full, Tensor, tensor } from '../tensor';

/**
 * A batch of sequences of different lengths: `padded` [T, N, *] (time-major, T = the longest
 * length) and `lengths` [N] (need not be sorted). Steps past a sequence's length are ignored by
 * the recurrent modules whatever they hold. Make one with packSequence or packPaddedSequence;
 * the recurrent modules take and return them, padPackedSequence turns one back into a tensor.
 */
export class PackedSequence {
  constructor(
    readonly padded: Tensor,
    readonly lengths: Int32Array,
  ) {
    checkTensor('PackedSequence', 'padded', padded);
    if (padded.ndim < 2 || lengths.length !== padded.shape[1]) {
      throw new RangeError(
        `PackedSequence: padded must be [T, N, *] with N = ${lengths.length}, got ${formatShape(padded.shape)}`,
      );
    }
  }

  /** The batch size N. */
  get batchSize(): number {
    return this.lengths.length;
  }
}

/** Lengths as an Int32Array, each an integer in [lo, T]. */
export function toLengths(fn: string, lengths: ArrayLike<number> | Tensor, N: number, T: number, lo = 0): Int32Array {
  const src = lengths instanceof Tensor ? lengths.data : lengths;
  if (!src || typeof src.length !== 'number' || src.length !== N) {
    throw new RangeError(`${fn}: lengths must hold N = ${N} values, got ${src ? src.length : String(src)}`);
  }
  const out = new Int32Array(N);
  for (let n = 0; n < N; ++n) {
    const v = Number(src[n]);
    if (!Number.isInteger(v) || v < lo || v > T) {
      throw new RangeError(`${fn}: lengths must be integers in [${lo}, ${T}], got ${v} at ${n}`);
    }
    out[n] = v;
  }
  return out;
}

export interface PadSequenceOptions {
  /** Output [N, T, *] instead of [T, N, *] (default false). */
  batchFirst?: boolean;
  /** Value of the padded steps (default 0). */
  paddingValue?: number;
}

/**
 * Pads sequences [L_i, *] to the longest and stacks them, as torch.nn.utils.rnn.pad_sequence.
 * Shape: list of [L_i, *] -> [T, N, *] (or [N, T, *] with batchFirst), T = max L_i.
 */
export function padSequence(sequences: Tensor[], options: PadSequenceOptions = {}): Tensor {
  const fn = 'padSequence';
  if (!Array.isArray(sequences) || sequences.length === 0) {
    throw new RangeError(`${fn}: sequences must be a non-empty array of Tensors`);
  }
  sequences.forEach((s, i) => {
    checkTensor(fn, `sequences[${i}]`, s);
    const tail = formatShape(sequences[0].shape.slice(1));
    if (s.ndim < 1 || formatShape(s.shape.slice(1)) !== tail) {
      throw new RangeError(`${fn}: sequences[${i}] must be [L, ${tail.slice(1, -1)}], got ${formatShape(s.shape)}`);
    }
  });
  const T = Math.max(...sequences.map((s) => s.shape[0]));
  const pad = options.paddingValue ?? 0;
  const padded = sequences.map((s) =>
    s.shape[0] === T ? s : cat([s, full([T - s.shape[0], ...s.shape.slice(1)], pad)], 0),
  );
  return stack(padded, options.batchFirst ? 0 : 1);
}

/**
 * Packs sequences [L_i, *] into a PackedSequence, as torch.nn.utils.rnn.pack_sequence. With
 * enforceSorted (default true, as PyTorch) the lengths must not increase; neurite does not
 * need them sorted, so pass false to skip the check.
 */
export function packSequence(sequences: Tensor[], options: { enforceSorted?: boolean } = {}): PackedSequence {
  const lengths = sequences.map((s) => (s instanceof Tensor ? s.shape[0] : 0));
  return packPaddedSequence(padSequence(sequences), lengths, { enforceSorted: options.enforceSorted });
}

export interface PackPaddedOptions {
  /** input is [N, T, *] (default false: [T, N, *]). */
  batchFirst?: boolean;
  /** Require non-increasing lengths, as PyTorch (default true). */
  enforceSorted?: boolean;
}

/**
 * A PackedSequence from a padded batch and its lengths, as
 * torch.nn.utils.rnn.pack_padded_sequence. Lengths must be in [1, T].
 * Shape: input [T, N, *] (or [N, T, *]), lengths [N].
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: ArrayLike<number> | Tensor,
  options: PackPaddedOptions = {},
): PackedSequence {
  const fn = 'packPaddedSequence';
  checkTensor(fn, 'input', input);
  if (input.ndim < 2) throw new RangeError(`${fn}: input must be [T, N, *], got ${formatShape(input.shape)}`);
  const x = options.batchFirst ? transpose(input, 0, 1) : input;
  const [T, N] = x.shape;
  const lens = toLengths(fn, lengths, N, T, 1);
  if (options.enforceSorted ?? true) {
    for (let n = 1; n < N; ++n) {
      if (lens[n] > lens[n - 1]) {
        throw new RangeError(
          `${fn}: lengths must be sorted in decreasing order with enforceSorted, got [${[...lens].join(', ')}]; ` +
            'pass enforceSorted: false',
        );
      }
    }
  }
  const maxLen = N > 0 ? Math.max(...lens) : 0;
  return new PackedSequence(maxLen < T ? narrow(x, 0, 0, maxLen) : x, lens);
}

export interface PadPackedOptions {
  /** Output [N, T, *] (default false: [T, N, *]). */
  batchFirst?: boolean;
  /** Value of the steps past each length (default 0). */
  paddingValue?: number;
  /** Pad to this many steps (default: the longest length). */
  totalLength?: number;
}

/**
 * The padded tensor and the lengths of a PackedSequence, as
 * torch.nn.utils.rnn.pad_packed_sequence. Steps past a length hold paddingValue.
 * @returns [padded [T, N, *] (or [N, T, *]), lengths int32 [N]]
 */
export function padPackedSequence(sequence: PackedSequence, options: PadPackedOptions = {}): [Tensor, Tensor] {
  const fn = 'padPackedSequence';
  if (!(sequence instanceof PackedSequence)) {
    throw new TypeError(`${fn}: sequence must be a PackedSequence, got ${typeof sequence}`);
  }
  let x = sequence.padded;
  const [T, N] = x.shape;
  const lens = sequence.lengths;
  const maxLen = N > 0 ? Math.max(...lens) : 0;
  const total = options.totalLength ?? maxLen;
  if (!Number.isInteger(total) || total < maxLen) {
    throw new RangeError(`${fn}: totalLength must be an integer >= the longest length ${maxLen}, got ${total}`);
  }
  if (T > maxLen) x = narrow(x, 0, 0, maxLen);
  // mask out steps past each length (zeros, or paddingValue)
  const tail = x.shape.slice(2).map(() => 1);
  const mask = new Float32Array(maxLen * N);
  for (let t = 0; t < maxLen; ++t) for (let n = 0; n < N; ++n) mask[t * N + n] = t < lens[n] ? 1 : 0;
  const m = tensor(mask, [maxLen, N, ...tail]);
  x = mul(x, m);
  const pad = options.paddingValue ?? 0;
  if (pad !== 0) {
    const inv = tensor(mask.map((v) => (1 - v) * pad), [maxLen, N, ...tail]);
    x = add(x, inv);
  }
  if (total > maxLen) x = cat([x, full([total - maxLen, ...x.shape.slice(1)], pad)], 0);
  if (options.batchFirst) x = transpose(x, 0, 1);
  return [x, tensor(Int32Array.from(lens), [N])];
}
