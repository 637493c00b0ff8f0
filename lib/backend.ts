// The native backend: what it runs on and how many threads it uses.
import { native, type BackendInfo } from './native';

/** { version, isa, threads }: the package version, the kernel set in use ('avx512',
 *  'avx2-fma' or 'baseline'), and the thread count. */
export function backend(): { version: string; isa: string; threads: number } {
  const info: BackendInfo = native.backendInfo();
  return { version: info.version, isa: info.isa, threads: info.threads };
}

/** Sets the number of threads kernels use (process-wide, shared by workers; default:
 *  NEURITE_NUM_THREADS or the number of cores).
 *  @throws TypeError unless n is a number; RangeError unless it is an integer in [1, 256]. */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number') {
    throw new TypeError(`setNumThreads: n must be a number, got ${typeof n}`);
  }
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new RangeError(`setNumThreads: n must be an integer in [1, 256], got ${n}`);
  }
  native.setNumThreads(n);
}

/** The number of threads kernels use. */
export function getNumThreads(): number {
  return native.backendInfo().threads;
}
