// In-place writes and the graph. matmul(a, b, { out }) writes into an existing tensor; a
// backward rule that kept that tensor (an input of its op, or the op's output) would then read
// the new values and return a wrong gradient, silently. As PyTorch's version counters do,
// every in-place write is logged here (the byte range of the storage it wrote, stamped with a
// counter), every recorded node notes the counter, and backward refuses to run a node whose
// tensors were written after it ran. Nothing is logged until the first in-place write; the
// check is one comparison per node until then.
import type { Storage } from '../tensor';

interface Write {
  begin: number;
  end: number;
  stamp: number;
}

let stamp = 0;
const writes = new WeakMap<ArrayBufferLike, Write[]>();
// The last array written and its log entry (a strong reference to one array until the next
// write elsewhere).
let lastData: Storage | null = null;
let lastWrite: Write | null = null;

/** Logs an in-place write over all of `data` (call before or after writing: the check runs at
 *  the next backward). */
export function noteInPlaceWrite(data: Storage): void {
  ++stamp;
  if (data === lastData && lastWrite) {
    lastWrite.stamp = stamp; // a loop writing into the same tensor: no lookups
    return;
  }
  const begin = data.byteOffset;
  const end = begin + data.byteLength;
  let list = writes.get(data.buffer);
  if (!list) writes.set(data.buffer, (list = []));
  let write = list.find((w) => w.begin === begin && w.end === end);
  if (write) write.stamp = stamp;
  else list.push((write = { begin, end, stamp }));
  lastData = data;
  lastWrite = write;
}

/** The counter of in-place writes so far; a node notes it when it is recorded. */
export function writeStamp(): number {
  return stamp;
}

/** Whether an in-place write overlapping `data` happened after the write counter read `since`. */
export function writtenSince(data: Storage, since: number): boolean {
  if (since === stamp) return false;
  const list = writes.get(data.buffer);
  if (!list) return false;
  const begin = data.byteOffset;
  const end = begin + data.byteLength;
  return list.some((w) => w.stamp > since && w.begin < end && begin < w.end);
}
