// One binary for every x86-64 CPU: under qemu-user emulating a Nehalem (SSE4.2, no AVX), the
// built package must pick the baseline kernels, and emulating a Haswell (AVX2, no AVX-512) the
// AVX2 ones, computing the same numbers as a native run.
// A binary whose AVX2 code leaked into shared code dies there with "Illegal instruction".
// Skipped, with a message, when qemu-x86_64 is not installed (apt-get install qemu-user).
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareResults, requireBuiltPackage, runProbe, type ProbeReport } from './child';

function findQemu(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  try {
    return execFileSync('sh', ['-c', 'command -v qemu-x86_64'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const QEMU = findQemu();
const SKIP_REASON = process.platform !== 'linux' || process.arch !== 'x64'
  ? `qemu test skipped: needs linux x64, this is ${process.platform} ${process.arch}`
  : 'qemu test skipped: qemu-x86_64 not found (apt-get install qemu-user to run it)';
if (!QEMU) console.warn(SKIP_REASON);

/** float32 results of one computation on two kernel sets, and glibc's exp picked per CPU */
const TOL = { atol: 1e-5, rtol: 1e-5 };

describe(`under qemu-x86_64 -cpu Nehalem (${QEMU ?? 'qemu-x86_64 absent'})`, () => {
  let native: ProbeReport;
  let emulated: ProbeReport;
  beforeAll(async () => {
    if (!QEMU) return;
    requireBuiltPackage();
    // node under qemu is slow (seconds to start): one tiny probe, generous time
    [emulated, native] = await Promise.all([
      runProbe('small', {}, { wrapper: [QEMU, '-cpu', 'Nehalem'], timeoutMs: 240_000 }),
      runProbe('small'),
    ]);
  }, 300_000);

  it.skipIf(!QEMU)("reports isa 'baseline' (no AVX2/FMA on a Nehalem)", () => {
    expect(emulated.backend.isa).toBe('baseline');
    expect(emulated.backend.version).toBe(native.backend.version);
  });

  it.skipIf(!QEMU)('computes the same matmul, backward, softmax and reductions as natively', () => {
    expect(Object.keys(emulated.results).length).toBeGreaterThan(5);
    expect(compareResults(emulated.results, native.results, TOL.atol, TOL.rtol)).toEqual([]);
  });
});

// A Haswell has AVX2 and FMA but no AVX-512: the AVX2 kernels must be picked, and a binary
// whose AVX-512 code leaked into the AVX2 or shared code dies there.
describe(`under qemu-x86_64 -cpu Haswell (${QEMU ?? 'qemu-x86_64 absent'})`, () => {
  let native: ProbeReport;
  let emulated: ProbeReport;
  beforeAll(async () => {
    if (!QEMU) return;
    requireBuiltPackage();
    [emulated, native] = await Promise.all([
      runProbe('small', {}, { wrapper: [QEMU, '-cpu', 'Haswell'], timeoutMs: 240_000 }),
      runProbe('small'),
    ]);
  }, 300_000);

  it.skipIf(!QEMU)("reports isa 'avx2-fma' (AVX2 and FMA, no AVX-512)", () => {
    expect(emulated.backend.isa).toBe('avx2-fma');
    expect(emulated.backend.version).toBe(native.backend.version);
  });

  it.skipIf(!QEMU)('computes the same matmul, backward, softmax and reductions as natively', () => {
    expect(Object.keys(emulated.results).length).toBeGreaterThan(5);
    expect(compareResults(emulated.results, native.results, TOL.atol, TOL.rtol)).toEqual([]);
  });
});
