// LSTM and GRU throughput beside PyTorch in the same run: T = 50, N = 32, F = 128, Hd = 256,
// one layer, loss = sum of the last hidden state; forward ms and forward + backward ms.
// neurite runs through dist/index.js (npm run build:ts first); PyTorch through
// bench/torch_rnn.py (/usr/bin/python3), interleaved block by block; medians of all calls.
// Usage: node --expose-gc bench/rnn.mjs [--rounds 8] [--reps 5] [--json out.json]
//        [--omp-wait passive|active|default] (PyTorch's OMP_WAIT_POLICY; passive by default, as the
//        other benchmarks: spinning OpenMP threads collapse on a busy machine)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const nt = require(path.join(HERE, '..', 'dist', 'index.js'));
const { LSTM, GRU } = require(path.join(HERE, '..', 'dist', 'nn', 'rnn.js'));

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const ROUNDS = Number(arg('rounds', 8));
const REPS = Number(arg('reps', 5));
const T = 50, N = 32, F = 128, H = 256;
const threads = nt.getNumThreads();

nt.manualSeed(0);
const x = nt.randn([T, N, F]);
const mods = { lstm: new LSTM(F, H), gru: new GRU(F, H) };
const hLast = (kind, r) => (kind === 'lstm' ? r[1][0] : r[1]);
const work = {
  lstm_fwd: () => nt.noGrad(() => mods.lstm.forward(x)),
  lstm_fwdbwd: () => {
    for (const p of mods.lstm.parameters()) p.grad = null;
    hLast('lstm', mods.lstm.forward(x)).sum().backward();
  },
  gru_fwd: () => nt.noGrad(() => mods.gru.forward(x)),
  gru_fwdbwd: () => {
    for (const p of mods.gru.parameters()) p.grad = null;
    hLast('gru', mods.gru.forward(x)).sum().backward();
  },
};

function timeNeurite(name, k) {
  const ms = [];
  for (let i = 0; i < k; ++i) {
    const t0 = process.hrtime.bigint();
    work[name]();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms;
}

const ompWait = arg('omp-wait', 'passive');

function startTorch() {
  const child = spawn('/usr/bin/python3', [path.join(HERE, 'torch_rnn.py')], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      ...process.env,
      OMP_NUM_THREADS: String(threads),
      MKL_NUM_THREADS: String(threads),
      ...(ompWait === 'default' ? {} : { OMP_WAIT_POLICY: ompWait.toUpperCase() }),
    },
  });
  const lines = readline.createInterface({ input: child.stdout });
  const queue = [];
  const waiters = [];
  lines.on('line', (l) => (waiters.length ? waiters.shift()(l) : queue.push(l)));
  const next = () => new Promise((res) => (queue.length ? res(queue.shift()) : waiters.push(res)));
  child.stdin.write(JSON.stringify({ threads, T, N, F, H }) + '\n');
  return {
    ready: async () => JSON.parse(await next()),
    run: async (name, k) => {
      child.stdin.write(`run ${name} ${k}\n`);
      return JSON.parse(await next()).ms;
    },
    close: () => child.stdin.end(),
  };
}

const median = (a) => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const torch = startTorch();
const info = await torch.ready();
for (const name of Object.keys(work)) timeNeurite(name, 3); // warm-up
const times = Object.fromEntries(Object.keys(work).map((n) => [n, { neurite: [], torch: [] }]));
for (let r = 0; r < ROUNDS; ++r) {
  for (const name of Object.keys(work)) {
    if (globalThis.gc) globalThis.gc();
    times[name].neurite.push(...timeNeurite(name, REPS));
    times[name].torch.push(...(await torch.run(name, REPS)));
  }
}
torch.close();

const rows = Object.entries(times).map(([name, t]) => {
  const a = median(t.neurite), b = median(t.torch);
  return { workload: name, neurite_ms: +a.toFixed(2), torch_ms: +b.toFixed(2), speedup: +(b / a).toFixed(2) };
});
console.log(`RNN benchmark: T=${T} N=${N} F=${F} H=${H}, ${threads} threads, torch ${info.torch} ` +
  `(${info.threads} threads), ${ROUNDS} rounds x ${REPS} calls, medians`);
console.log('workload        neurite ms   torch ms   torch/neurite');
for (const r of rows) {
  console.log(`${r.workload.padEnd(14)} ${String(r.neurite_ms).padStart(11)} ${String(r.torch_ms).padStart(10)} ${String(r.speedup).padStart(12)}x`);
}
const out = arg('json', null);
const json = { T, N, F, H, threads, torch: info.torch, rows };
if (out) fs.writeFileSync(out, JSON.stringify(json, null, 2));
else console.log(JSON.stringify(json));
