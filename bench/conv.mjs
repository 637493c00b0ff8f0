// conv2d throughput: 64 -> 64 channels, 3x3 kernel, padding 'same', 32x32, batch 32; forward
// (no grad) and forward + backward (input, weight and bias gradients), neurite against PyTorch
// in the same run. The two are interleaved block by block (order alternating per round); each
// figure is the median over rounds and the ratio the median of per-round ratios.
// Usage: npm run build:ts && node bench/conv.mjs [--rounds N] [--iters K] [--no-torch]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const nt = require('../dist/index.js');
const { conv2d } = require('../dist/ops/conv.js');

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    iters: { type: 'string', default: '5' },
    'no-torch': { type: 'boolean', default: false },
  },
});
const rounds = Number(opt.rounds);
const iters = Number(opt.iters);
const threads = nt.getNumThreads();

nt.manualSeed(0);
const x = nt.randn([32, 64, 32, 32], { requiresGrad: true });
const w = nt.randn([64, 64, 3, 3], { requiresGrad: true });
const b = nt.randn([64], { requiresGrad: true });
const r = nt.randn([32, 64, 32, 32]);
const neurite = {
  fwd: () => nt.noGrad(() => conv2d(x, w, b, { padding: 'same' })),
  train: () => {
    x.grad = w.grad = b.grad = null;
    conv2d(x, w, b, { padding: 'same' }).backward(r);
  },
};
function timeNeurite(name) {
  const t0 = performance.now();
  for (let i = 0; i < iters; ++i) neurite[name]();
  return (performance.now() - t0) / iters;
}

async function startTorch() {
  if (opt['no-torch']) return null;
  const child = spawn('/usr/bin/python3', [path.join(HERE, 'torch_conv.py')], {
    env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async (msg) => {
    child.stdin.write(msg + '\n');
    const { value, done } = await lines.next();
    if (done) throw new Error('torch_conv.py exited');
    return JSON.parse(value);
  };
  try {
    const ready = await ask(JSON.stringify({ threads, iters }));
    return { ask, version: ready.torch, close: () => child.stdin.end() };
  } catch (err) {
    console.error(`PyTorch side unavailable: ${err.message}`);
    return null;
  }
}

const median = (v) => {
  const s = [...v].sort((a, c) => a - c);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const torch = await startTorch();
for (const name of ['fwd', 'train']) neurite[name](); // warm-up
const res = { fwd: { n: [], t: [], ratio: [] }, train: { n: [], t: [], ratio: [] } };
for (let k = 0; k < rounds; ++k) {
  for (const name of ['fwd', 'train']) {
    let n;
    let t = null;
    if (k % 2 === 0 || !torch) {
      n = timeNeurite(name);
      if (torch) t = (await torch.ask(name)).ms;
    } else {
      t = (await torch.ask(name)).ms;
      n = timeNeurite(name);
    }
    res[name].n.push(n);
    if (t !== null) {
      res[name].t.push(t);
      res[name].ratio.push(n / t);
    }
  }
}
torch?.close();

const flops = 2 * 32 * 64 * 32 * 32 * 64 * 9; // multiply-adds x 2 of the forward
console.log(`conv2d 64->64 3x3 same 32x32 batch 32, ${threads} threads, ${rounds} rounds x ${iters} calls` +
  (torch ? `, torch ${torch.version}` : ''));
console.log('workload        neurite ms  GFLOP/s   torch ms  neurite/torch');
const out = {};
for (const [name, label, mult] of [['fwd', 'forward', 1], ['train', 'forward+backward', 3]]) {
  const n = median(res[name].n);
  const t = res[name].t.length ? median(res[name].t) : null;
  const ratio = res[name].ratio.length ? median(res[name].ratio) : null;
  out[name] = { neuriteMs: n, torchMs: t, ratio };
  console.log(
    `${label.padEnd(16)}${n.toFixed(2).padStart(10)}${((mult * flops) / n / 1e6).toFixed(1).padStart(9)}` +
      `${t === null ? '         -' : t.toFixed(2).padStart(11)}${ratio === null ? '' : ratio.toFixed(2).padStart(15)}`,
  );
}
console.log(JSON.stringify({ bench: 'conv2d', threads, ...out }));
