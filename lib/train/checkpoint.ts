// Training checkpoints in one safetensors file: model tensors under "model/<name>", every
// tensor inside the optimizer / scheduler / extra state under "<part>/<path>", the rest of those
// states as JSON metadata, plus the epoch and the random generator's state. Written atomically.
import { getRngState, setRngState } from '../random';
import { Tensor } from '../tensor';
import { loadFile, saveFile } from '../io/safetensors';
import type { OptimizerLike, SchedulerLike, TrainableModel } from './types';

const FORMAT = 'neurite.checkpoint.v1';

export interface CheckpointContents {
  model: TrainableModel;
  optimizer?: OptimizerLike;
  scheduler?: SchedulerLike;
  /** Completed epochs (fit's initialEpoch when resuming). */
  epoch: number;
  /** Any JSON-like value; tensors inside it are stored as tensors. */
  extra?: unknown;
}

export interface LoadedCheckpoint {
  epoch: number;
  extra: unknown;
}

/** Replaces tensors (stored under `key`) and non-finite numbers by JSON-safe markers. */
function encode(value: unknown, key: string, tensors: Record<string, Tensor>): unknown {
  if (value instanceof Tensor) {
    tensors[key] = value.detach();
    return { __tensor__: key };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { __number__: String(value) };
  if (typeof value === 'bigint') return { __bigint__: value.toString() };
  if (value instanceof Map) {
    return { __map__: [...value.entries()].map(([k, v], i) => [encode(k, `${key}/k${i}`, tensors), encode(v, `${key}/${i}`, tensors)]) };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return { __typed__: value.constructor.name, data: Array.from(value as unknown as ArrayLike<number>) };
  }
  if (Array.isArray(value)) return value.map((v, i) => encode(v, `${key}/${i}`, tensors));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = encode(v, `${key}/${k}`, tensors);
    }
    return out;
  }
  return value;
}

const TYPED: Record<string, (data: number[]) => unknown> = {
  Float32Array: (d) => Float32Array.from(d),
  Float64Array: (d) => Float64Array.from(d),
  Int32Array: (d) => Int32Array.from(d),
  Uint32Array: (d) => Uint32Array.from(d),
  Uint8Array: (d) => Uint8Array.from(d),
};

function decode(value: unknown, tensors: Record<string, Tensor>, file: string): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(v, tensors, file));
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  if (typeof v.__tensor__ === 'string') {
    const t = tensors[v.__tensor__];
    if (!t) throw new RangeError(`loadCheckpoint: ${file}: tensor "${v.__tensor__}" is missing`);
    return t;
  }
  if (typeof v.__number__ === 'string') return Number(v.__number__);
  if (typeof v.__bigint__ === 'string') return BigInt(v.__bigint__);
  if (Array.isArray(v.__map__)) {
    return new Map((v.__map__ as unknown[][]).map(([k, x]) => [decode(k, tensors, file), decode(x, tensors, file)]));
  }
  if (typeof v.__typed__ === 'string' && Array.isArray(v.data)) {
    const make = TYPED[v.__typed__];
    if (make) return make(v.data as number[]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = decode(x, tensors, file);
  return out;
}

/**
 * Saves model, optimizer and scheduler state, the epoch, `extra` and the random generator's
 * state (so shuffling and dropout continue as if never interrupted) to one safetensors file,
 * atomically.
 * @example saveCheckpoint('ckpt.safetensors', { model, optimizer, epoch: 3 })
 */
export function saveCheckpoint(file: string, contents: CheckpointContents): void {
  const { model, optimizer, scheduler, epoch, extra } = contents;
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(`saveCheckpoint: epoch must be an integer >= 0, got ${epoch}`);
  }
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) tensors[`model/${name}`] = t.detach();
  const metadata: Record<string, string> = {
    format: FORMAT,
    epoch: String(epoch),
    rng: JSON.stringify(Array.from(getRngState())),
  };
  const parts: [string, unknown][] = [
    ['optimizer', optimizer?.stateDict()],
    ['scheduler', scheduler?.stateDict()],
    ['extra', extra],
  ];
  for (const [part, state] of parts) {
    if (state !== undefined) metadata[part] = JSON.stringify(encode(state, part, tensors));
  }
  saveFile(tensors, file, metadata);
}

/**
 * Restores what saveCheckpoint wrote into existing objects: model.loadStateDict,
 * optimizer.loadStateDict, scheduler.loadStateDict and the random generator's state (unless
 * restoreRng is false). Returns the epoch and extra.
 * @throws RangeError when the file is not a neurite checkpoint or lacks a requested part.
 */
export function loadCheckpoint(
  file: string,
  targets: { model: TrainableModel; optimizer?: OptimizerLike; scheduler?: SchedulerLike; restoreRng?: boolean },
): LoadedCheckpoint {
  const { tensors, metadata } = loadFile(file);
  if (metadata.format !== FORMAT) {
    throw new RangeError(
      `loadCheckpoint: ${file}: format must be ${FORMAT}, got ${JSON.stringify(metadata.format)}`,
    );
  }
  const model: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith('model/')) model[k.slice(6)] = t;
  targets.model.loadStateDict(model);
  const part = (name: string): unknown => {
    const raw = metadata[name];
    if (raw === undefined) throw new RangeError(`loadCheckpoint: ${file}: holds no ${name} state`);
    return decode(JSON.parse(raw), tensors, file);
  };
  if (targets.optimizer) targets.optimizer.loadStateDict(part('optimizer'));
  if (targets.scheduler) targets.scheduler.loadStateDict(part('scheduler'));
  if (targets.restoreRng ?? true) setRngState(Uint32Array.from(JSON.parse(metadata.rng) as number[]));
  return {
    epoch: Number(metadata.epoch),
    extra: metadata.extra === undefined ? undefined : part('extra'),
  };
}
