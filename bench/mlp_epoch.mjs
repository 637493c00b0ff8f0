// Seconds per training epoch of a 784-128-10 MLP (batch 64, SGD lr 0.1, cross-entropy) on the
// 10,000 MNIST digits of the `mnist` package, in neurite (the compiled package in dist/, through
// fit) and, when /usr/bin/python3 can import torch, in PyTorch (bench/torch_mlp.py) in the same
// run. Epochs are interleaved (neurite, torch, repeat) so machine noise hits both alike; each
// figure is the median over rounds, the ratio the median of per-round ratios.
// PyTorch runs with OMP_WAIT_POLICY=PASSIVE by default: on a shared, oversubscribed machine
// OpenMP's spinning threads slowed its epochs 10-20x here (0.5 s -> 5-11 s at 2 threads);
// --omp-wait active restores its default.
//   node bench/mlp_epoch.mjs [--rounds 5] [--threads N] [--no-torch] [--omp-wait passive|active]
// Needs the compiled package (npm run build:ts).
// Prints a table; writes bench/results/mlp_epoch.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTorchProcess, torchAvailable } from './torch_process.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const nt = createRequire(import.meta.url)(path.join(HERE, '..', 'dist', 'index.js'));

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
    'omp-wait': { type: 'string', default: 'passive' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds must be >= 1, got ${values.rounds}`);
const ompWait = values['omp-wait'].toUpperCase();
if (ompWait !== 'PASSIVE' && ompWait !== 'ACTIVE') {
  throw new RangeError(`--omp-wait must be passive or active, got ${values['omp-wait']}`);
}
if (values.threads !== undefined) nt.setNumThreads(Number(values.threads));
const threads = nt.getNumThreads();
const BATCH = 64;
const LR = 0.1;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// --- data: all 10,000 digits, flattened ---------------------------------------------------
nt.manualSeed(0);
const { train } = nt.datasets.mnist({ train: 10000, test: 0 });
const [images4d, labels] = train.tensors;
const images = images4d.reshape([10000, 784]);

// --- neurite --------------------------------------------------------------------------------
const model = new nt.nn.Sequential(
  new nt.nn.Flatten(), new nt.nn.Linear(784, 128), new nt.nn.ReLU(), new nt.nn.Linear(128, 10),
);
const optimizer = new nt.optim.SGD(model.parameters(), { lr: LR });
const loader = new nt.DataLoader(new nt.TensorDataset(images, labels), { batchSize: BATCH, shuffle: true });
async function neuriteEpoch() {
  const t0 = performance.now();
  const h = await nt.fit(model, {
    train: loader, loss: nt.nn.functional.crossEntropy, optimizer, epochs: 1, verbose: 0,
  });
  return { seconds: (performance.now() - t0) / 1000, loss: h.loss[0] };
}

// --- torch ----------------------------------------------------------------------------------
async function startTorch(dataFile) {
  const torch = await startTorchProcess(path.join(HERE, 'torch_mlp.py'), {
    threads, ompWait, name: 'mlp_epoch', config: { threads, data: dataFile, batch: BATCH, lr: LR },
  });
  return { version: torch.version, epoch: () => torch.request('epoch'), close: torch.close };
}

let torch = null;
let tmp = null;
if (!values['no-torch'] && torchAvailable()) {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'neurite-bench-'));
  const file = path.join(tmp, 'mnist.safetensors');
  nt.saveFile({ images, labels }, file);
  torch = await startTorch(file);
}

await neuriteEpoch(); // warm-up (torch warmed up before saying ready)
const rows = [];
for (let r = 0; r < rounds; ++r) {
  const n = await neuriteEpoch();
  const t = torch ? await torch.epoch() : null;
  rows.push({ neurite: n.seconds, torch: t?.seconds ?? null, neuriteLoss: n.loss, torchLoss: t?.loss ?? null });
  process.stderr.write(
    `round ${r + 1}/${rounds}: neurite ${n.seconds.toFixed(3)} s` +
      (t ? `, torch ${t.seconds.toFixed(3)} s` : '') + '\n',
  );
}
torch?.close();
if (tmp) rmSync(tmp, { recursive: true, force: true });

const result = {
  workload: 'MLP 784-128-10, 10,000 MNIST digits, batch 64, SGD lr 0.1, one epoch',
  threads,
  backend: nt.backend(),
  torch: torch ? torch.version : null,
  ompWaitPolicy: torch ? ompWait : null,
  rounds,
  neuriteSeconds: median(rows.map((r) => r.neurite)),
  torchSeconds: torch ? median(rows.map((r) => r.torch)) : null,
  neuriteOverTorch: torch ? median(rows.map((r) => r.neurite / r.torch)) : null,
  rows,
};
const fmt = (s) => (s === null ? 'n/a' : `${s.toFixed(3)} s`);
console.log(`MLP epoch (${result.workload}), ${threads} threads, median of ${rounds} rounds`);
console.log(`  neurite   ${fmt(result.neuriteSeconds)}  (${Math.round(10000 / result.neuriteSeconds)} samples/s)`);
console.log(
  `  torch     ${torch ? `${fmt(result.torchSeconds)}  (torch ${torch.version}, OMP_WAIT_POLICY=${ompWait})` : 'not run (PyTorch not importable by /usr/bin/python3, or --no-torch)'}`,
);
if (torch) console.log(`  neurite/torch time ratio ${result.neuriteOverTorch.toFixed(2)}`);
mkdirSync(path.join(HERE, 'results'), { recursive: true });
writeFileSync(path.join(HERE, 'results', 'mlp_epoch.json'), JSON.stringify(result, null, 2) + '\n');
