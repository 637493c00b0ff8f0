// Samples/s of one LeNet training step at batch 64 (conv 1->32 3x3 -> ReLU -> maxpool 2 ->
// conv 32->64 3x3 -> ReLU -> maxpool 2 -> Linear 1600->128 -> ReLU -> Linear 128->10,
// cross-entropy, SGD lr 0.01) on MNIST digits of the `mnist` package, in neurite (the compiled
// package in dist/) and, when /usr/bin/python3 can import torch, in PyTorch (bench/torch_lenet.py)
// in the same run. Rounds of --steps steps are interleaved (neurite, torch, [tfjs], repeat) so
// machine noise hits all alike; each figure is the median over rounds, the ratio the median of
// per-round ratios.
// PyTorch runs with OMP_WAIT_POLICY=PASSIVE by default (as bench/mlp_epoch.mjs: OpenMP's spinning
// threads slow it badly on a shared, oversubscribed machine); --omp-wait active restores its
// default.
// Optionally the same step through @tensorflow/tfjs (pure-JS CPU backend, or tfjs-node when
// that is what is installed) as a dev-only side-by-side: it is not a dependency; give the folder
// that holds its node_modules with --tfjs-from (default: this project), skipped when absent.
//   node bench/lenet.mjs [--rounds 5] [--steps 40] [--threads N] [--no-torch]
//                        [--omp-wait passive|active] [--tfjs-from DIR] [--no-tfjs]
// Needs the compiled package (npm run build:ts).
// Prints a table; writes bench/results/lenet.json.
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
    steps: { type: 'string', default: '40' },
    threads: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
    'omp-wait': { type: 'string', default: 'passive' },
    'tfjs-from': { type: 'string', default: path.join(HERE, '..') },
    'no-tfjs': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const steps = Number(values.steps);
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds must be >= 1, got ${values.rounds}`);
if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be >= 1, got ${values.steps}`);
const ompWait = values['omp-wait'].toUpperCase();
if (ompWait !== 'PASSIVE' && ompWait !== 'ACTIVE') {
  throw new RangeError(`--omp-wait must be passive or active, got ${values['omp-wait']}`);
}
if (values.threads !== undefined) nt.setNumThreads(Number(values.threads));
const threads = nt.getNumThreads();
const BATCH = 64;
const LR = 0.01;
const N = 4096; // digits cycled through, 64 batches

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// --- data ---------------------------------------------------------------------------------------
nt.manualSeed(0);
const { train } = nt.datasets.mnist({ train: N, test: 0 });
const [images, labels] = train.tensors; // [N, 1, 28, 28], [N]
const batches = [];
for (let i = 0; i + BATCH <= N; i += BATCH) batches.push([images.narrow(0, i, BATCH), labels.narrow(0, i, BATCH)]);

// --- neurite ------------------------------------------------------------------------------------
const model = new nt.nn.Sequential(
  new nt.nn.Conv2d(1, 32, 3), new nt.nn.ReLU(), new nt.nn.MaxPool2d(2),
  new nt.nn.Conv2d(32, 64, 3), new nt.nn.ReLU(), new nt.nn.MaxPool2d(2),
  new nt.nn.Flatten(), new nt.nn.Linear(1600, 128), new nt.nn.ReLU(), new nt.nn.Linear(128, 10),
);
const optimizer = new nt.optim.SGD(model.parameters(), { lr: LR });
let at = 0;
function neuriteRound() {
  const t0 = performance.now();
  let loss;
  for (let s = 0; s < steps; ++s) {
    const [x, y] = batches[at++ % batches.length];
    optimizer.zeroGrad();
    loss = nt.nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    optimizer.step();
  }
  const value = loss.item();
  return { seconds: (performance.now() - t0) / 1000, loss: value };
}

// --- torch --------------------------------------------------------------------------------------
async function startTorch(dataFile) {
  const torch = await startTorchProcess(path.join(HERE, 'torch_lenet.py'), {
    threads, ompWait, name: 'lenet', config: { threads, data: dataFile, batch: BATCH, lr: LR, steps },
  });
  return { version: torch.version, round: () => torch.request('round'), close: torch.close };
}

// --- tfjs (optional, dev-only) ------------------------------------------------------------------
async function startTfjs(from) {
  const req = createRequire(path.join(path.resolve(from), 'noop.js'));
  let tf = null;
  let name = null;
  for (const pkg of ['@tensorflow/tfjs-node', '@tensorflow/tfjs']) {
    try {
      tf = req(pkg);
      name = pkg;
      break;
    } catch {
      // not installed
    }
  }
  if (!tf) return null;
  await tf.ready();
  const net = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const opt = tf.train.sgd(LR);
  // tfjs layers are NHWC
  const tfBatches = batches.map(([x, y]) => [
    tf.tensor4d(Float32Array.from(x.data), [BATCH, 1, 28, 28]).transpose([0, 2, 3, 1]),
    tf.oneHot(tf.tensor1d(Int32Array.from(y.data), 'int32'), 10),
  ]);
  let k = 0;
  const round = async () => {
    const t0 = performance.now();
    let last = 0;
    for (let s = 0; s < steps; ++s) {
      const [x, y] = tfBatches[k++ % tfBatches.length];
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, net.apply(x)), true);
      if (s === steps - 1) last = (await loss.data())[0];
      loss.dispose();
    }
    return { seconds: (performance.now() - t0) / 1000, loss: last };
  };
  await round(); // warm-up
  return { name: `${name} ${tf.version_core ?? tf.version?.['tfjs-core'] ?? ''} (${tf.getBackend()})`.trim(), round };
}

let torch = null;
let tmp = null;
if (!values['no-torch'] && torchAvailable()) {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'neurite-bench-'));
  const file = path.join(tmp, 'mnist.safetensors');
  nt.saveFile({ images, labels }, file);
  torch = await startTorch(file);
}
const tfjs = values['no-tfjs'] ? null : await startTfjs(values['tfjs-from']);

neuriteRound(); // warm-up (torch and tfjs warmed up before)
const rows = [];
for (let r = 0; r < rounds; ++r) {
  const n = neuriteRound();
  const t = torch ? await torch.round() : null;
  const f = tfjs ? await tfjs.round() : null;
  const sps = (x) => (x ? (steps * BATCH) / x.seconds : null);
  rows.push({
    neurite: sps(n), torch: sps(t), tfjs: sps(f),
    neuriteLoss: n.loss, torchLoss: t?.loss ?? null, tfjsLoss: f?.loss ?? null,
  });
  process.stderr.write(
    `round ${r + 1}/${rounds}: neurite ${sps(n).toFixed(0)} samples/s` +
      (t ? `, torch ${sps(t).toFixed(0)}` : '') + (f ? `, tfjs ${sps(f).toFixed(0)}` : '') + '\n',
  );
}
torch?.close();
if (tmp) rmSync(tmp, { recursive: true, force: true });

const result = {
  workload: 'LeNet (conv32-pool-conv64-pool-fc128-fc10) training step, batch 64, SGD lr 0.01, cross-entropy',
  threads,
  backend: nt.backend(),
  torch: torch ? torch.version : null,
  ompWaitPolicy: torch ? ompWait : null,
  tfjs: tfjs ? tfjs.name : null,
  rounds,
  stepsPerRound: steps,
  neuriteSamplesPerSecond: median(rows.map((r) => r.neurite)),
  torchSamplesPerSecond: torch ? median(rows.map((r) => r.torch)) : null,
  tfjsSamplesPerSecond: tfjs ? median(rows.map((r) => r.tfjs)) : null,
  neuriteOverTorch: torch ? median(rows.map((r) => r.neurite / r.torch)) : null,
  neuriteOverTfjs: tfjs ? median(rows.map((r) => r.neurite / r.tfjs)) : null,
  rows,
};
const fmt = (v) => (v === null ? 'n/a' : `${Math.round(v)} samples/s`);
console.log(`LeNet training step (batch ${BATCH}), ${threads} threads, median of ${rounds} rounds of ${steps} steps`);
console.log(`  neurite   ${fmt(result.neuriteSamplesPerSecond)}  (${result.backend.isa})`);
console.log(
  `  torch     ${torch ? `${fmt(result.torchSamplesPerSecond)}  (torch ${torch.version}, OMP_WAIT_POLICY=${ompWait})` : 'not run (PyTorch not importable by /usr/bin/python3, or --no-torch)'}`,
);
console.log(`  tfjs      ${tfjs ? `${fmt(result.tfjsSamplesPerSecond)}  (${tfjs.name})` : 'not run (@tensorflow/tfjs not installed, or --no-tfjs)'}`);
if (torch) console.log(`  neurite/torch samples/s ratio ${result.neuriteOverTorch.toFixed(2)} (median of per-round ratios)`);
if (tfjs) console.log(`  neurite/tfjs samples/s ratio ${result.neuriteOverTfjs.toFixed(2)}`);
mkdirSync(path.join(HERE, 'results'), { recursive: true });
writeFileSync(path.join(HERE, 'results', 'lenet.json'), JSON.stringify(result, null, 2) + '\n');
