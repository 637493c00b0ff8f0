// The seeded generator behind every random draw (initialisation, dropout, shuffling). Its
// state is 4 x uint32 (xoshiro128++, native/runtime/rng.cc), one per JS environment, so the
// same seed gives the same numbers whatever the thread count.
import { native } from './native';

const state = new Uint32Array(4);
native.rngSeed(state, Date.now() % 2 ** 32);

/** The generator's state, for the native kernels that draw from it. Internal. */
export function rngState(): Uint32Array {
  return state;
}

/** Seeds the generator: the same seed gives the same draws. */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`manualSeed: seed must be an integer in [0, 2^53), got ${seed}`);
  }
  native.rngSeed(state, seed);
}

/** A copy of the generator state (to save in a checkpoint). */
export function getRngState(): Uint32Array {
  return state.slice();
}

/** Restores a state from getRngState(). */
export function setRngState(saved: Uint32Array): void {
  if (!(saved instanceof Uint32Array) || saved.length !== 4) {
    throw new TypeError(
      `setRngState: state must be a Uint32Array of length 4, got ${describe(saved)}`,
    );
  }
  state.set(saved);
}

function describe(v: unknown): string {
  if (v instanceof Uint32Array) return `Uint32Array(${v.length})`;
  return v === null ? 'null' : typeof v;
}
