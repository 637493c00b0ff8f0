// Reuse of large storage buffers that the backward pass proves dead. A training step allocates
// tens of megabytes of activations and gradients; fresh ArrayBuffers cost cache misses (ReLU's
// backward over 5.5 MB: 0.50 ms into a fresh buffer, 0.31 ms into a reused one) and garbage
// collections on "external memory pressure". The backward engine
// (autograd/backward.ts) recycles the gradient buffers it allocated and consumed; the next
// uninitialised allocation of the same byte length (in backward or the next forward) takes one.
import type { Storage } from './tensor';

/** Buffers below this size are not pooled (a fresh one is as cheap; see allocateUninitialised). */
export const POOLED_MIN_BYTES = 1 << 16;
/** What the pool may keep alive at most. A buffer that would overflow it empties it first:
 *  a full pool mostly holds sizes no one asks for any more (shapes change between batches). */
const POOL_MAX_BYTES = 64 << 20;

const free = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;

/** A recycled buffer of exactly `bytes` bytes with unspecified contents, or null. */
export function takeBuffer(bytes: number): ArrayBuffer | null {
  const list = free.get(bytes);
  const buffer = list?.pop();
  if (!buffer) return null;
  pooledBytes -= bytes;
  return buffer;
}

/** Hands a buffer back for reuse. The caller guarantees that nothing can read or write it
 *  any more: no tensor, view or closure still refers to it. */
export function recycleBuffer(buffer: ArrayBuffer): void {
  const bytes = buffer.byteLength;
  if (bytes < POOLED_MIN_BYTES || bytes > POOL_MAX_BYTES) return;
  if (pooledBytes + bytes > POOL_MAX_BYTES) clearBufferPool();
  let list = free.get(bytes);
  if (!list) free.set(bytes, (list = []));
  list.push(buffer);
  pooledBytes += bytes;
}

/** Empties the pool (tests, and code that wants the memory back). */
export function clearBufferPool(): void {
  free.clear();
  pooledBytes = 0;
}

/** Bytes the pool holds now. */
export function pooledBufferBytes(): number {
  return pooledBytes;
}

let reuse = true;

/** Turns gradient-buffer reuse (in-place backward rules, recycling) on or off; for tests that
 *  compare against a pass without it. Returns the previous setting. */
export function setGradientReuse(on: boolean): boolean {
  const prev = reuse;
  reuse = on;
  return prev;
}

export function gradientReuse(): boolean {
  return reuse;
}

let tracker: Storage[] | null = null;

/** Makes every allocateUninitialised result go onto `list` until the next call; returns the
 *  previous list so a caller can restore it. */
export function trackAllocations(list: Storage[] | null): Storage[] | null {
  const prev = tracker;
  tracker = list;
  return prev;
}

/** Called by allocateUninitialised with each array it returns (a whole-buffer view). */
export function noteAllocation(data: Storage): void {
  if (tracker) tracker.push(data);
}
