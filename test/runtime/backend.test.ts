// backend(), setNumThreads and the environment variables that steer the native backend:
// NEURITE_NUM_THREADS and NEURITE_ISA are read once at load, so they are tested in child
// processes running the built package (dist/).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, getNumThreads, setNumThreads } from '../../lib/index';
import {
  ROOT, compareResults, cpuHasAvx2Fma, cpuHasAvx512, parseChild, requireBuiltPackage, runNode,
  runProbe,
  type ProbeReport,
} from './child';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
};
const HAS_AVX2_FMA = cpuHasAvx2Fma();
const HAS_AVX512 = cpuHasAvx512();
const AVX2_ISA = HAS_AVX2_FMA ? 'avx2-fma' : 'baseline';
const BEST_ISA = HAS_AVX512 ? 'avx512' : AVX2_ISA;
/** float32 results of one computation on two kernel sets: FMA rounds once, mul + add twice */
const ISA_TOL = { atol: 1e-5, rtol: 1e-5 };
/** A sum of 100000 values in [-1, 1) split into a thread-count-dependent number of chunks:
 *  the orders differ, and float32 summation error is up to ~n * 2^-24 * mean |x| ≈ 3e-3. */
const SPLIT_SUM_ATOL = 3e-3;

/** Compares runs made with different thread counts: 1e-5 except the split long sum. */
function compareAcrossThreads(a: Record<string, number[]>, b: Record<string, number[]>): string[] {
  const split = (r: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(r).filter(([k]) => k.startsWith('sum [100000]')));
  const rest = (r: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('sum [100000]')));
  return [
    ...compareResults(rest(a), rest(b), 1e-5, 1e-5),
    ...compareResults(split(a), split(b), SPLIT_SUM_ATOL, 0),
  ];
}

const backendOf = async (env: Record<string, string>) =>
  parseChild<{ version: string; isa: string; threads: number }>(
    await runNode(`process.stdout.write(JSON.stringify(require(${JSON.stringify(ROOT)}).backend()))`, env),
  );

describe('backend()', () => {
  it('returns exactly { version, isa, threads }', () => {
    expect(Object.keys(backend()).sort()).toEqual(['isa', 'threads', 'version']);
  });

  it(`version equals package.json's (${pkg.version})`, () => {
    expect(backend().version).toBe(pkg.version);
  });

  const cpuinfo = `avx512f ${HAS_AVX512 ? '' : 'not '}and avx2, fma ${HAS_AVX2_FMA ? '' : 'not '}`;
  it(`isa is '${BEST_ISA}' on this CPU (${cpuinfo}in /proc/cpuinfo)`, () => {
    const forced = process.env.NEURITE_ISA;
    const want = forced === 'baseline' || forced === 'scalar'
      ? 'baseline'
      : forced === 'avx2' || forced === 'avx2-fma' ? AVX2_ISA : BEST_ISA;
    expect(backend().isa).toBe(want);
  });

  it('threads is NEURITE_NUM_THREADS or the number of cores', () => {
    const env = Number.parseInt(process.env.NEURITE_NUM_THREADS ?? '', 10);
    const want = env > 0 ? Math.min(env, 256) : os.cpus().length;
    expect(backend().threads).toBe(want);
  });
});

describe('setNumThreads', () => {
  let before = 1;
  beforeAll(() => {
    before = getNumThreads();
  });
  afterAll(() => {
    setNumThreads(before);
  });

  it.each([1, 3, 256])('setNumThreads(%i) changes backend().threads and getNumThreads()', (n) => {
    setNumThreads(n);
    expect(backend().threads).toBe(n);
    expect(getNumThreads()).toBe(n);
    setNumThreads(before);
    expect(backend().threads).toBe(before);
  });

  it.each([0, 300, 1.5, -1, NaN, Infinity, 257])('rejects %s with a RangeError naming n', (n) => {
    expect(() => setNumThreads(n)).toThrow(RangeError);
    expect(() => setNumThreads(n)).toThrow(
      `setNumThreads: n must be an integer in [1, 256], got ${n}`,
    );
    expect(getNumThreads()).toBe(before);
  });

  it('rejects a non-number with a TypeError', () => {
    expect(() => setNumThreads('2' as unknown as number)).toThrow(
      new TypeError('setNumThreads: n must be a number, got string'),
    );
  });

  it('matmul gives the same numbers with 1 thread and with 4', () => {
    const { compute } = require('./probe.cjs') as { compute: (m: string) => ProbeReport };
    setNumThreads(1);
    const one = compute('full').results;
    setNumThreads(4);
    const four = compute('full').results;
    setNumThreads(before);
    expect(compareAcrossThreads(one, four)).toEqual([]);
  });
});

describe('environment variables (child processes running dist/)', () => {
  beforeAll(() => requireBuiltPackage());

  it.each([
    ['1', 1],
    ['3', 3],
    ['1000', 256],
  ])('NEURITE_NUM_THREADS=%s gives threads = %i', async (value, want) => {
    const b = await backendOf({ NEURITE_NUM_THREADS: value });
    expect(b.threads).toBe(want);
  });

  it.each(['0', 'abc', ''])('NEURITE_NUM_THREADS=%j falls back to the number of cores', async (value) => {
    const b = await backendOf({ NEURITE_NUM_THREADS: value });
    expect(b.threads).toBe(os.cpus().length);
  });

  it('NEURITE_NUM_THREADS=1 is honoured while computing: one thread gives the same numbers', async () => {
    const [one, dflt] = await Promise.all([
      runProbe('full', { NEURITE_NUM_THREADS: '1' }),
      runProbe('full'),
    ]);
    expect(one.backend.threads).toBe(1);
    expect(compareAcrossThreads(one.results, dflt.results)).toEqual([]);
  });

  it(`with no NEURITE_ISA the isa is '${BEST_ISA}'`, async () => {
    expect((await backendOf({})).isa).toBe(BEST_ISA);
  });

  it.each(['baseline', 'scalar'])("NEURITE_ISA=%s picks 'baseline'", async (value) => {
    const b = await backendOf({ NEURITE_ISA: value });
    expect(b.isa).toBe('baseline');
    expect(b.version).toBe(pkg.version);
  });

  it.each(['avx2', 'avx2-fma'])(`NEURITE_ISA=%s picks '${AVX2_ISA}' (at most AVX2)`,
    async (value) => {
      expect((await backendOf({ NEURITE_ISA: value })).isa).toBe(AVX2_ISA);
    });

  it(`NEURITE_ISA=avx512 picks '${BEST_ISA}'`, async () => {
    const r = await runNode(
      `process.stdout.write(JSON.stringify(require(${JSON.stringify(ROOT)}).backend()))`,
      { NEURITE_ISA: 'avx512' },
    );
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { isa: string }).isa).toBe(BEST_ISA);
    if (HAS_AVX512) expect(r.stderr).not.toMatch(/NeuriteWarning/);
    else expect(r.stderr).toMatch(/NeuriteWarning: NEURITE_ISA=avx512 asks for AVX-512 kernels/);
  });

  it('NEURITE_ISA=avx2 gives the same matmul, backward, softmax and sums (to 1e-5)', async () => {
    const [avx2, best] = await Promise.all([
      runProbe('full', { NEURITE_ISA: 'avx2' }),
      runProbe('full'),
    ]);
    expect(avx2.backend.isa).toBe(AVX2_ISA);
    expect(best.backend.isa).toBe(BEST_ISA);
    expect(Object.keys(avx2.results).length).toBeGreaterThan(10);
    expect(compareResults(avx2.results, best.results, ISA_TOL.atol, ISA_TOL.rtol)).toEqual([]);
  });

  it('NEURITE_ISA=baseline gives the same matmul, backward, softmax and sums (to 1e-5)', async () => {
    const [base, best] = await Promise.all([
      runProbe('full', { NEURITE_ISA: 'baseline' }),
      runProbe('full'),
    ]);
    expect(base.backend.isa).toBe('baseline');
    expect(best.backend.isa).toBe(BEST_ISA);
    expect(Object.keys(base.results).length).toBeGreaterThan(10);
    expect(compareResults(base.results, best.results, ISA_TOL.atol, ISA_TOL.rtol)).toEqual([]);
  });
});

describe('NEURITE_MALLOC (child processes running dist/)', () => {
  beforeAll(() => requireBuiltPackage());
  const report = `process.stdout.write(JSON.stringify(require(${JSON.stringify(path.join(ROOT, 'dist', 'native.js'))}).native.backendInfo()))`;
  const tunedOf = async (env: Record<string, string>) => {
    const r = await runNode(report, env);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/NeuriteWarning/);
    return (JSON.parse(r.stdout) as { mallocTuned: boolean }).mallocTuned;
  };
  // glibc is the C library of every Linux build this package ships (prebuilds are tagged glibc)
  const glibc = process.platform === 'linux' &&
    (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime !== undefined;

  it('by default large freed blocks are kept for reuse (glibc)', async () => {
    expect(await tunedOf({})).toBe(glibc);
    expect(await tunedOf({ NEURITE_MALLOC: 'tuned' })).toBe(glibc);
  });

  it('NEURITE_MALLOC=system leaves malloc alone', async () => {
    expect(await tunedOf({ NEURITE_MALLOC: 'system' })).toBe(false);
  });
});

describe('environment variables the runtime does not understand', () => {
  const loadAndReport = `process.stdout.write(JSON.stringify(require(${JSON.stringify(ROOT)}).backend()))`;

  it.each([
    [{ NEURITE_ISA: 'bogus' }, /NeuriteWarning: NEURITE_ISA must be 'baseline' \(or 'scalar'\), 'avx2', 'avx512' or 'auto', got 'bogus'/],
    [{ NEURITE_NUM_THREADS: 'abc' }, /NeuriteWarning: NEURITE_NUM_THREADS must be a positive integer, got 'abc'/],
    [{ NEURITE_NUM_THREADS: '-2' }, /NeuriteWarning: NEURITE_NUM_THREADS must be a positive integer, got '-2'/],
    [{ NEURITE_MALLOC: 'jemalloc' }, /NeuriteWarning: NEURITE_MALLOC must be 'system' or 'tuned', got 'jemalloc'/],
  ])('%o loads with the default and a warning that names the variable', async (env, warning) => {
    const r = await runNode(loadAndReport, env);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(warning);
    const b = JSON.parse(r.stdout) as { isa: string; threads: number };
    expect(b.isa).toBe(BEST_ISA);
    expect(b.threads).toBe(os.cpus().length);
  });

  it('valid values print no warning', async () => {
    const r = await runNode(loadAndReport, { NEURITE_ISA: 'baseline', NEURITE_NUM_THREADS: '1' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/NeuriteWarning/);
  });
});

describe('loading without a binary (child process)', () => {
  beforeAll(() => requireBuiltPackage());

  it('fails with one error that lists what was tried and what to do', async () => {
    // a copy of the package with dist/ but neither build/ nor prebuilds/
    const pkgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurite-nobinary-'));
    try {
      fs.cpSync(path.join(ROOT, 'dist'), path.join(pkgDir, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkgDir, 'package.json'));
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkgDir, 'node_modules'));
      const r = await runNode(
        `try { require(${JSON.stringify(pkgDir)}); console.log('loaded'); }
         catch (e) { console.log(e.constructor.name + ': ' + e.message); }`,
      );
      expect(r.status).toBe(0);
      const msg = r.stdout.trim();
      const platform = `${process.platform}-${process.arch}`;
      expect(msg).toMatch(new RegExp(
        '^Error: neurite: could not load its native addon \\(platform ' +
          `${process.platform}, arch ${process.arch}, Node-API \\d+, Node ${process.version}, `,
      ));
      if (process.platform === 'linux') {
        expect(msg).toMatch(HAS_AVX2_FMA ? /CPU features: [^)]*avx2 fma/ : /CPU features: /);
      }
      expect(msg).toContain(
        `Looked for build/Release/neurite.node and prebuilds/${platform}/ under ${pkgDir}`,
      );
      expect(msg).toContain('npm rebuild neurite');
      expect(msg).toMatch(/Cause: No native build was found/);
    } finally {
      fs.rmSync(pkgDir, { recursive: true, force: true });
    }
  });
});
