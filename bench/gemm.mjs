// GEMM throughput through neurite's public API (dist/, built by `npm run build:ts`) next to
// torch.mm in the same run, on 1 and 2 threads: square 256..2048 and the products of a
// training step (for each linear layer Y = X·Wᵀ, X [N, F], W [O, F]: forward NT, dX = dY·W
// NN, dW = dYᵀ·X TN, plus the NN form of each forward shape). NN products go through
// matmul(); transposed ones through batchedProduct() (dist/ops/matmul.js), the call matmul's
// backward makes, since neurite's transpose() copies. Each product runs twice: allocating its
// result (matmul(a, b) against torch.mm(a, b)) and into one preallocated result
// (matmul(a, b, { out }) against torch.mm(a, b, out=c)). The first includes what each runtime
// pays for fresh memory: torch frees a result the moment it is dropped and hands the same hot
// block back, while V8 frees ArrayBuffers only at a garbage collection, so each small result
// lands in cache-cold memory (see --overhead).
// Interleaved: in every round each shape runs as a neurite block then a torch block (order
// alternating); figures are medians over rounds, ratios medians of per-round ratios.
// With --native DIR (default build-bench/ if it holds gemm_bench) it also runs the C++ bench
// (native/bench/gemm_bench.cc: peak FMA loop, neurite::gemm and OpenBLAS cblas_sgemm, same
// interleaving) and adds its columns. Prints a table; writes bench/results/gemm.json.
//   node bench/gemm.mjs [--rounds N] [--target S] [--threads 1,2] [--filter RE] [--no-torch]
//                       [--torch-any-isa] [--native DIR | --no-native] [--overhead]
// --overhead adds a table of microseconds per call, interleaved in the same rounds: the native
// export alone writing into one reused output (hot in cache), the same with a fresh output per
// call (as the public call allocates: cold memory after the GC recycles it), the public call,
// and torch.mm: where a small product's time goes between kernel, output memory and JS.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const PYTHON = '/usr/bin/python3';
const require = createRequire(import.meta.url);
const nt = require(path.join(ROOT, 'dist/index.js'));
const { batchedProduct } = require(path.join(ROOT, 'dist/ops/matmul.js'));
const { native: addon } = require(path.join(ROOT, 'dist/native.js'));

// name, transA, transB, M, N, K (the names write M x K x N as the issue does)
const SHAPES = [
  ['sq256', false, false, 256, 256, 256],
  ['sq512', false, false, 512, 512, 512],
  ['sq1024', false, false, 1024, 1024, 1024],
  ['sq2048', false, false, 2048, 2048, 2048],
  ['64x784x128', false, false, 64, 128, 784],
  ['64x784x128 fwd NT', false, true, 64, 128, 784],
  ['64x128x784 dX NN', false, false, 64, 784, 128],
  ['128x64x784 dW TN', true, false, 128, 784, 64],
  ['64x128x10', false, false, 64, 10, 128],
  ['64x128x10 fwd NT', false, true, 64, 10, 128],
  ['64x10x128 dX NN', false, false, 64, 128, 10],
  ['10x64x128 dW TN', true, false, 10, 128, 64],
  ['64x10x128 mm dX NT', false, true, 64, 128, 10],
  ['128x64x10 mm dW TN', true, false, 128, 10, 64],
  ['32x1024x256', false, false, 32, 256, 1024],
  ['32x1024x256 fwd NT', false, true, 32, 256, 1024],
  ['32x256x1024 dX NN', false, false, 32, 1024, 256],
  ['256x32x1024 dW TN', true, false, 256, 1024, 32],
].map(([name, ta, tb, M, N, K]) => ({ name, ta, tb, M, N, K }));

function options() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '7' },
      target: { type: 'string', default: '0.05' },
      threads: { type: 'string', default: '1,2' },
      filter: { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      'torch-any-isa': { type: 'boolean', default: false },
      native: { type: 'string' },
      'no-native': { type: 'boolean', default: false },
      overhead: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n')
      .filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
    process.exit(0);
  }
  let native = null;
  if (!values['no-native']) {
    const dir = path.resolve(ROOT, values.native ?? 'build-bench');
    if (existsSync(path.join(dir, 'gemm_bench'))) native = path.join(dir, 'gemm_bench');
    else if (values.native !== undefined) throw new Error(`bench: no gemm_bench in ${dir}`);
  }
  return {
    rounds: Number(values.rounds),
    target: Number(values.target),
    threads: values.threads.split(',').map(Number),
    filter: values.filter === undefined ? null : new RegExp(values.filter),
    torch: !values['no-torch'] && spawnSync(PYTHON, ['-c', 'import torch']).status === 0,
    torchAnyIsa: values['torch-any-isa'],
    overhead: values.overhead,
    native,
  };
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** Two functions running the product once through the public API: allocating the result,
 *  and writing into one preallocated tensor (matmul's out; batchedProduct's destination). */
function neuriteThunks(s) {
  const A = nt.randn(s.ta ? [s.K, s.M] : [s.M, s.K]);
  const B = nt.randn(s.tb ? [s.N, s.K] : [s.K, s.N]);
  const out = nt.zeros([s.M, s.N]);
  if (!s.ta && !s.tb) return [() => nt.matmul(A, B), () => nt.matmul(A, B, { out })];
  return [() => batchedProduct(A, B, s.ta, s.tb), () => batchedProduct(A, B, s.ta, s.tb, out.data)];
}

/** The native export alone: into one reused output, or into a fresh one per call. */
function nativeThunks(s) {
  const a = nt.randn([s.M * s.K]).data;
  const b = nt.randn([s.K * s.N]).data;
  const out = new Float32Array(s.M * s.N);
  const call = (c) => addon.gemmContiguous(s.ta, s.tb, s.M, s.N, s.K, a, b, c);
  return [() => call(out), () => call(new Float32Array(s.M * s.N))];
}

function calibrate(fn, target) {
  fn();
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; ++i) fn();
    const dt = (performance.now() - t0) / 1e3;
    if (dt >= target / 4 || n >= 1 << 20) return Math.max(1, Math.round((target * n) / dt));
    n *= 2;
  }
}

function block(fn, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; ++i) fn();
  return (performance.now() - t0) / 1e3 / n;
}

/** Starts bench/torch_gemm.py; returns { info, ask(line) -> Promise<object>, close() }. */
async function startTorch(shapes, target, anyIsa) {
  // Debian's torch runs torch.mm on the system OpenBLAS, whose idle workers spin ~2^28 cycles
  // after each call and would steal the second core from the next neurite block: shorten that.
  // Its best kernels for the ISA neurite runs: Debian's OpenBLAS 0.3.21 does not know recent
  // Xeons and falls back to SSE3, so force SkylakeX (AVX-512) or Haswell (AVX2) like
  // gemm_bench does; MKL is capped to AVX2 unless neurite uses its AVX-512 table.
  const wide = nt.backend().isa === 'avx512';
  const env = { OPENBLAS_THREAD_TIMEOUT: '4',
    OPENBLAS_CORETYPE: wide ? 'SkylakeX' : 'Haswell', ...process.env };
  if (!anyIsa && !wide) env.MKL_ENABLE_INSTRUCTIONS = 'AVX2';
  const child = spawn(PYTHON, [path.join(HERE, 'torch_gemm.py')], {
    env, stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('bench: torch_gemm.py exited early');
    return JSON.parse(value);
  };
  const spec = shapes.map(({ M, N, K, ta, tb }) => ({ M, N, K, ta, tb }));
  child.stdin.write(`${JSON.stringify({ target, shapes: spec })}\n`);
  const info = await next();
  return {
    info,
    ask: (line) => { child.stdin.write(`${line}\n`); return next(); },
    close: () => child.stdin.end(),
  };
}

function runNative(exe, opt, filterNames) {
  const json = path.join(os.tmpdir(), `neurite-gemm-bench-${process.pid}.json`);
  const args = ['--rounds', String(opt.rounds), '--target', String(opt.target),
    '--threads', opt.threads.join(','), '--json', json];
  console.log(`running ${exe} ${args.join(' ')}`);
  const r = spawnSync(exe, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`bench: ${exe} failed`);
  const out = JSON.parse(readFileSync(json, 'utf8'));
  out.results = out.results.filter((x) => filterNames.has(x.shape));
  return out;
}

async function main() {
  const opt = options();
  const shapes = SHAPES.filter((s) => !opt.filter || opt.filter.test(s.name));
  const info = nt.backend();
  console.log(`neurite ${info.version} (${info.isa}), node ${process.version}, ` +
    `${opt.rounds} rounds of ${opt.target} s blocks`);
  const native = opt.native ? runNative(opt.native, opt, new Set(shapes.map((s) => s.name)))
    : null;
  const torch = opt.torch ? await startTorch(shapes, opt.target, opt.torchAnyIsa) : null;
  if (torch) {
    console.log(`torch ${torch.info.torch} (mkl ${torch.info.mkl}, BLAS: ` +
      `${torch.info.blas ? `OpenBLAS, core ${torch.info.blas}` : 'not OpenBLAS'}` +
      `${opt.torchAnyIsa || info.isa === 'avx512' ? '' : ', MKL_ENABLE_INSTRUCTIONS=AVX2'})`);
  }
  const pairs = shapes.map(neuriteThunks);
  const fns = pairs.map((p) => p[0]);
  const outFns = pairs.map((p) => p[1]);
  const raw = opt.overhead ? shapes.map(nativeThunks) : null;
  const results = [];
  const overheadRows = [];
  for (const threads of opt.threads) {
    nt.setNumThreads(threads);
    if (torch) await torch.ask(`threads ${threads}`);
    const reps = fns.map((fn) => calibrate(fn, opt.target));
    const secs = shapes.map(() => ({ neurite: [], torch: [], ratio: [], hot: [], fresh: [],
      ntOut: [], torchOut: [], outRatio: [] }));
    for (let r = 0; r < opt.rounds; ++r) {
      for (let i = 0; i < shapes.length; ++i) {
        let tn;
        let tt = NaN;
        if (r % 2 === 0 || !torch) tn = block(fns[i], reps[i]);
        if (torch) tt = (await torch.ask(`run ${i}`)).seconds;
        if (r % 2 === 1 && torch) tn = block(fns[i], reps[i]);
        secs[i].neurite.push(tn);
        if (raw) {
          secs[i].hot.push(block(raw[i][0], reps[i]));
          secs[i].fresh.push(block(raw[i][1], reps[i]));
        }
        if (torch) {
          secs[i].torch.push(tt);
          secs[i].ratio.push(tt / tn);
        }
        // the same product into a preallocated result, both sides (order alternating too)
        let to;
        let tto = NaN;
        if (r % 2 === 1 || !torch) to = block(outFns[i], reps[i]);
        if (torch) tto = (await torch.ask(`out ${i}`)).seconds;
        if (r % 2 === 0 && torch) to = block(outFns[i], reps[i]);
        secs[i].ntOut.push(to);
        if (torch) {
          secs[i].torchOut.push(tto);
          secs[i].outRatio.push(tto / to);
        }
      }
    }
    const nat = native ? native.results.filter((x) => x.threads === threads) : [];
    const peak = nat.length ? nat[0].peak_gflops : NaN;
    const p512 = nat.length ? nat[0].peak_avx512_gflops : 0;
    console.log(`\nthreads ${threads}` + (native ? `: peak FMA loop ${peak.toFixed(1)} GFLOP/s` +
      ` (ISA of neurite's kernels${p512 ? `; AVX-512 ${p512.toFixed(1)}` : ''}` +
      `${nat[0]?.peak_avx2_gflops ? `, AVX2 ${nat[0].peak_avx2_gflops.toFixed(1)}` : ''})` +
      ` (C++ run, OpenBLAS core ${native.openblas_core})` : ''));
    const head = ['shape (M x K x N)', 'neurite', '%peak', 'torch', 'nt/torch', 'nt out',
      'torch out', 'out ratio', 'C++ nt', 'openblas', 'nt/oblas'];
    console.log(head.map((h, j) => (j === 0 ? h.padEnd(20) : h.padStart(9))).join(' '));
    for (let i = 0; i < shapes.length; ++i) {
      const s = shapes[i];
      const flops = 2 * s.M * s.N * s.K;
      const g = (t) => (flops / t) * 1e-9;
      const row = {
        threads, shape: s.name, M: s.M, N: s.N, K: s.K, transA: s.ta, transB: s.tb,
        neurite_gflops: g(median(secs[i].neurite)),
        torch_gflops: torch ? g(median(secs[i].torch)) : null,
        neurite_over_torch: torch ? median(secs[i].ratio) : null,
        neurite_out_gflops: g(median(secs[i].ntOut)),
        torch_out_gflops: torch ? g(median(secs[i].torchOut)) : null,
        neurite_out_over_torch_out: torch ? median(secs[i].outRatio) : null,
      };
      const n = nat.find((x) => x.shape === s.name);
      if (n) {
        Object.assign(row, {
          peak_gflops: n.peak_gflops, native_neurite_gflops: n.neurite_gflops,
          openblas_gflops: n.openblas_gflops, native_neurite_over_openblas: n.neurite_over_openblas,
        });
      }
      if (raw) {
        const us = (v) => median(v) * 1e6;
        Object.assign(row, {
          native_reused_us: us(secs[i].hot), native_fresh_us: us(secs[i].fresh),
          public_us: us(secs[i].neurite), torch_us: torch ? us(secs[i].torch) : null,
        });
        overheadRows.push({ shape: s.name, threads, reused: row.native_reused_us,
          fresh: row.native_fresh_us, public: row.public_us, torch: row.torch_us ?? NaN });
      }
      results.push(row);
      const f = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-'
        : x.toFixed(d));
      console.log([s.name.padEnd(20), f(row.neurite_gflops), n ? f((100 * row.neurite_gflops)
        / peak) + '%' : '-', f(row.torch_gflops), f(row.neurite_over_torch, 2) + 'x',
      f(row.neurite_out_gflops), f(row.torch_out_gflops), f(row.neurite_out_over_torch_out, 2) + 'x',
      f(n?.neurite_gflops), f(n?.openblas_gflops), f(n?.neurite_over_openblas, 2) + 'x']
        .map((c, j) => (j === 0 ? c : c.padStart(9))).join(' '));
    }
  }
  if (raw) {
    console.log('\nmicroseconds per call (medians): native export into a reused / a fresh output,' +
      ' the public call, torch.mm');
    console.log(['shape (M x K x N)', 'threads', 'reused', 'fresh', 'public', 'torch']
      .map((h, j) => (j === 0 ? h.padEnd(20) : h.padStart(8))).join(' '));
    for (const r of overheadRows) {
      console.log([r.shape.padEnd(20), String(r.threads).padStart(8), ...[r.reused, r.fresh,
        r.public, r.torch].map((x) => (Number.isNaN(x) ? '-' : x.toFixed(2)).padStart(8))]
        .join(' '));
    }
  }
  if (native) {
    console.log('\n%peak: neurite (through JS) against the peak FMA loop of the C++ run, which ' +
      'ran before the JS rounds; C++ nt / openblas / nt/oblas come from that run.');
  }
  if (torch) {
    console.log('nt out / torch out: the same products into one preallocated result, ' +
      'matmul(a, b, { out }) against torch.mm(a, b, out=c); out ratio is their median ratio.');
  }
  torch?.close();
  mkdirSync(path.join(HERE, 'results'), { recursive: true });
  const out = path.join(HERE, 'results', 'gemm.json');
  writeFileSync(out, `${JSON.stringify({
    neurite: info, torch: torch?.info ?? null, node: process.version, cpus: os.cpus().length,
    rounds: opt.rounds, target: opt.target, openblas_core: native?.openblas_core ?? null, results,
  }, null, 1)}\n`);
  console.log(`\nwrote ${path.relative(ROOT, out)}`);
}

await main();
