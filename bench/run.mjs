// `npm run bench`: throughput of neurite's public API (the compiled package in dist/) on
// elementwise ops, reductions and matmul, next to a memory-copy reference measured in the same
// run and, when /usr/bin/python3 can import torch, PyTorch on the same workloads.
// The machine may be shared and noisy, so the two systems are interleaved: in every round each
// workload runs as a neurite block and a torch block back to back (the order alternating), and
// each figure is the median over rounds; the ratio is the median of the per-round ratios.
// PyTorch runs with OMP_WAIT_POLICY=PASSIVE unless --omp-wait says otherwise: on a shared,
// oversubscribed machine OpenMP's spinning threads made its 2-thread ops 10-1000x slower here
// (as bench/mlp_epoch.mjs found for whole epochs).
// Prints a table; writes bench/results/latest.json.
import { spawn, spawnSync, execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { allWorkloads, neuriteThunk } from './workloads.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

const HELP = `usage: npm run bench -- [options]
  --quick          3 rounds of shorter blocks (default: 5 rounds)
  --rounds N       number of interleaved rounds
  --filter REGEX   only workloads whose name matches (e.g. 'matmul', 'exp|gelu', '64K')
  --threads N      threads for neurite and PyTorch (default: neurite's, i.e.
                   NEURITE_NUM_THREADS or the number of cores)
  --no-torch       skip PyTorch even when it is installed
  --omp-wait P     PyTorch's OMP_WAIT_POLICY: passive (default: idle threads sleep),
                   active (they spin), or default (unset: spin a while, then sleep)
  --help           this text`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      filter: { type: 'string' },
      threads: { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      'omp-wait': { type: 'string', default: 'passive' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const int = (name, v) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`bench: --${name} must be an integer >= 1, got ${v}`);
    }
    return n;
  };
  const ompWait = values['omp-wait'];
  if (!['passive', 'active', 'default'].includes(ompWait)) {
    throw new RangeError(`bench: --omp-wait must be passive, active or default, got ${ompWait}`);
  }
  return {
    ompWait,
    rounds: int('rounds', values.rounds) ?? (values.quick ? 3 : 5),
    // seconds per timed block (one workload, one system, one round)
    target: values.quick ? 0.04 : 0.12,
    filter: values.filter === undefined ? null : new RegExp(values.filter),
    threads: int('threads', values.threads),
    torch: !values['no-torch'],
  };
}

async function loadNeurite() {
  try {
    return await import('../dist/index.mjs');
  } catch (err) {
    throw new Error(
      `bench: could not load neurite from dist/ (${err.message}). Build it first: npm run build:ts`,
    );
  }
}

/** Workloads matching the filter, plus the copy references their sizes need. */
function selectWorkloads(filter) {
  const all = allWorkloads();
  const chosen = all.filter((w) => !filter || filter.test(w.name));
  const sizes = new Set(chosen.filter((w) => w.unit === 'GB/s').map((w) => w.size));
  return all.filter(
    (w) => chosen.includes(w) || (w.section === 'copy reference' && sizes.has(w.size)),
  );
}

// --- timing -----------------------------------------------------------------------------

function now() {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Calls per chunk so that one chunk takes about a quarter of `target` (at least 1). */
function calibrate(fn, target) {
  fn();
  for (let n = 1; ; n *= 2) {
    const t0 = now();
    for (let i = 0; i < n; ++i) fn();
    const dt = now() - t0;
    if (dt >= 0.01 || n >= 1 << 20) return Math.max(1, Math.round(((target / 4) * n) / dt));
  }
}

/** Seconds per call over chunks of n calls, repeated until `target` seconds have passed. The
 *  previous block's garbage is collected first; the garbage this block makes is collected
 *  inside it and counts (users pay for it too). */
function timed(fn, n, target) {
  globalThis.gc?.();
  let calls = 0;
  const t0 = now();
  for (;;) {
    for (let i = 0; i < n; ++i) fn();
    calls += n;
    const dt = now() - t0;
    if (dt >= target) return dt / calls;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// --- PyTorch subprocess -----------------------------------------------------------------

function torchAvailable() {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Starts bench/torch_ops.py; resolves once it has built and calibrated every workload. */
async function startTorch(workloads, threads, target, ompWait, isa) {
  const env = {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
  };
  delete env.OMP_WAIT_POLICY;
  if (ompWait !== 'default') env.OMP_WAIT_POLICY = ompWait.toUpperCase();
  // Debian's torch runs torch.mm on the system OpenBLAS, which falls back to SSE3 kernels on
  // CPUs it does not know: give it its best kernels for the ISA neurite uses (as gemm.mjs).
  env.OPENBLAS_CORETYPE ??= isa === 'avx512' ? 'SkylakeX' : 'Haswell';
  const child = spawn(PYTHON, [path.join(HERE, 'torch_ops.py')], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const read = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`bench: torch_ops.py exited early:\n${stderr.trim()}`);
    return JSON.parse(value);
  };
  const specs = workloads.map(({ name, op, shapes }) => ({ name, op, shapes }));
  child.stdin.write(JSON.stringify({ threads, target, workloads: specs }) + '\n');
  const hello = await read();
  return {
    version: hello.torch,
    threads: hello.threads,
    /** Seconds per call of workload i, over one block. */
    async run(i) {
      child.stdin.write(`run ${i}\n`);
      return (await read()).seconds;
    },
    close() {
      child.stdin.end();
    },
  };
}

// --- table ------------------------------------------------------------------------------

const W = { name: 22, text: 29, num: 9, ref: 16, ratio: 15 };

function fmt(v) {
  if (v === null || v === undefined) return '—';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function row(cells) {
  const [name, text, nv, ref, tv, ratio] = cells;
  return (
    '  ' + name.padEnd(W.name) + text.padEnd(W.text) + nv.padStart(W.num) + ref.padStart(W.ref) +
    tv.padStart(W.num) + ratio.padStart(W.ratio)
  );
}

function printTable(results, header) {
  console.log(header);
  console.log(row(['workload', '', 'neurite', 'copy set/clone', 'torch', 'neurite/torch']));
  let section = null;
  for (const r of results) {
    if (r.section !== section) {
      section = r.section;
      const what = r.unit === 'GB/s' ? 'GB/s, bytes read + written' : 'GFLOP/s, 2·M·N·K';
      console.log(`${section} (${what})`);
    }
    const ref = r.copyRef ? `${fmt(r.copyRef.set)} / ${fmt(r.copyRef.clone)}` : '—';
    const ratio = r.ratio === null ? '—' : `${r.ratio.toFixed(2)}x`;
    console.log(row([r.name, r.text, fmt(r.value.neurite), ref, fmt(r.value.torch), ratio]));
  }
  console.log(
    'Medians over rounds; neurite/torch is the median of per-round time ratios (torch / ' +
      'neurite),\n> 1 means neurite is faster.\n' +
      'copy set: Float32Array.prototype.set into a preallocated array (torch: copy_); ' +
      'clone: neurite clone(),\nwhich allocates its output as every op does (torch: clone()).',
  );
}

// --- main -------------------------------------------------------------------------------

async function main() {
  const opts = options();
  const loadBefore = os.loadavg();
  const nt = await loadNeurite();
  const threads = opts.threads ?? nt.getNumThreads();
  nt.setNumThreads(threads);
  nt.manualSeed(0);
  const workloads = selectWorkloads(opts.filter);
  if (workloads.length === 0) throw new Error(`bench: no workload matches --filter ${opts.filter}`);

  let torch = null;
  if (opts.torch && torchAvailable()) {
    process.stderr.write('starting PyTorch helper (bench/torch_ops.py) ...\n');
    torch = await startTorch(workloads, threads, opts.target, opts.ompWait, nt.backend().isa);
  } else if (opts.torch) {
    process.stderr.write(`PyTorch not found (${PYTHON} -c 'import torch' failed): neurite only\n`);
  }

  process.stderr.write(`neurite: building inputs and calibrating ${workloads.length} workloads\n`);
  const fns = workloads.map((w) => {
    const fn = neuriteThunk(nt, w);
    return { fn, n: calibrate(fn, opts.target) };
  });

  // A, B per workload, B first every other time, so neither system always runs just after
  // the other or always on the same phase of the machine's load
  const samples = workloads.map(() => ({ neurite: [], torch: [] }));
  for (let r = 0; r < opts.rounds; ++r) {
    const t0 = now();
    for (let i = 0; i < workloads.length; ++i) {
      const runNeurite = () => samples[i].neurite.push(timed(fns[i].fn, fns[i].n, opts.target));
      if (!torch) runNeurite();
      else if ((r + i) % 2 === 0) {
        runNeurite();
        samples[i].torch.push(await torch.run(i));
      } else {
        samples[i].torch.push(await torch.run(i));
        runNeurite();
      }
    }
    process.stderr.write(`round ${r + 1}/${opts.rounds} (${(now() - t0).toFixed(1)} s)\n`);
  }
  torch?.close();

  const results = workloads.map((w, i) => {
    const s = samples[i];
    const med = { neurite: median(s.neurite), torch: torch ? median(s.torch) : null };
    const value = {
      neurite: w.work / med.neurite / 1e9,
      torch: torch ? w.work / med.torch / 1e9 : null,
    };
    // paired: each round's torch and neurite blocks ran back to back
    const ratio = torch ? median(s.torch.map((t, r) => t / s.neurite[r])) : null;
    return {
      name: w.name, section: w.section, text: w.text, op: w.op, shapes: w.shapes,
      unit: w.unit, work: w.work, size: w.size,
      secondsPerCall: med, samplesSeconds: s, value, ratio,
    };
  });
  // the copy references of each size, set next to every GB/s figure of that size
  const ref = (size, op) => results.find((x) => x.size === size && x.op === op)?.value.neurite;
  for (const r of results) {
    r.copyRef = r.unit === 'GB/s' && r.section !== 'copy reference'
      ? { set: ref(r.size, 'set'), clone: ref(r.size, 'clone') }
      : null;
  }

  const info = nt.backend();
  const meta = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    // 1-minute load average before and after: on a shared machine, read the figures with it
    loadAverage: { before: loadBefore[0], after: os.loadavg()[0] },
    neurite: { version: info.version, isa: info.isa, threads: info.threads },
    torch: torch
      ? { version: torch.version, threads: torch.threads, ompWaitPolicy: opts.ompWait }
      : null,
    rounds: opts.rounds,
    secondsPerBlock: opts.target,
    filter: opts.filter?.source ?? null,
  };
  const threadsText = (n) => `${n} thread${n === 1 ? '' : 's'}`;
  const header = [
    `neurite ${info.version} (${info.isa}, ${threadsText(info.threads)})` +
      (torch
        ? ` vs PyTorch ${torch.version} (${threadsText(torch.threads)}, ` +
          `OMP_WAIT_POLICY ${opts.ompWait})`
        : ''),
    `median of ${opts.rounds}${torch ? ' interleaved' : ''} rounds; ${meta.cpu}, ` +
      `${meta.cores} cores, load average ${meta.loadAverage.before.toFixed(1)} before, ` +
      `${meta.loadAverage.after.toFixed(1)} after`,
  ].join('\n');
  printTable(results, header);
  const load = Math.max(meta.loadAverage.before, meta.loadAverage.after);
  if (load > meta.cores) {
    console.log(
      `warning: the load average (${load.toFixed(1)}) exceeded the ${meta.cores} cores, so ` +
        'other processes shared the CPU and the figures are\nunreliable (multi-threaded runs ' +
        "suffer most, PyTorch's OpenMP threads especially): rerun on a quieter machine\n" +
        'or with --threads 1.',
    );
  }

  const dir = path.join(HERE, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'latest.json');
  writeFileSync(file, JSON.stringify({ meta, results }, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

function gitCommit() {
  try {
    const opts = { cwd: HERE, stdio: ['ignore', 'pipe', 'ignore'] };
    return execSync('git rev-parse --short HEAD', opts).toString().trim();
  } catch {
    return null;
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
