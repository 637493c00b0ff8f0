// MaxPool2d(2) forward and backward on the LeNet shapes ([64, 32, 26, 26] and [64, 64, 11, 11],
// ReLU'd inputs, so half the windows hold ties at 0), calling the addon's exports directly
// with preallocated buffers: the kernels alone, no allocation or autograd. Several addons can be
// compared in one run (e.g. a copy of main's build against this one): samples are interleaved
// addon by addon so machine noise hits all alike; each figure is the median per call, each
// ratio the median of per-sample ratios to the first addon.
//   node bench/pool.mjs [--addon path.node]... [--threads 2] [--samples 15] [--ms 20]
//                       [--batch 64]
// Default addon: build/Release/neurite.node of this checkout.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    addon: { type: 'string', multiple: true },
    threads: { type: 'string', default: '2' },
    samples: { type: 'string', default: '15' },
    ms: { type: 'string', default: '20' },
    batch: { type: 'string', default: '64' },
  },
});
const paths = values.addon ?? [path.join(HERE, '..', 'build', 'Release', 'neurite.node')];
const samples = Number(values.samples);
const budget = Number(values.ms);

const addons = paths.map((p) => {
  const m = { exports: {} };
  process.dlopen(m, path.resolve(p));
  m.exports.setNumThreads(Number(values.threads));
  return m.exports;
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// A fixed pseudo-random ReLU'd input.
function input(n, seed) {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = Math.max(0, s / 2 ** 32 - 0.5);
  }
  return x;
}

function cases([N, C, H, W]) {
  const planes = N * C, OH = H >> 1, OW = W >> 1, P = OH * OW;
  const x = input(planes * H * W, 1), dy = input(planes * P, 2);
  const y = new Float32Array(planes * P), idx = new Int32Array(planes * P);
  const dx = new Float32Array(planes * H * W);
  const fwd = (a) => () =>
    a.maxPool2dForward(y, idx, x, planes, H, W, OH, OW, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1);
  const bwd = (a) => () => a.maxPool2dBackward(dx, dy, idx, planes, H * W, P);
  const shape = `[${N}, ${C}, ${H}, ${W}]`;
  fwd(addons[0])(); // idx for the backward
  return [
    { name: `forward  ${shape}`, runs: addons.map(fwd) },
    { name: `backward ${shape}`, runs: addons.map(bwd) },
  ];
}

// Calls per sample so that one sample takes about `budget` ms.
function calibrate(run) {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; ++i) run();
    const t = performance.now() - t0;
    if (t > budget / 4) return Math.max(1, Math.round((n * budget) / t));
    n *= 2;
  }
}

const rows = [];
const N = Number(values.batch);
for (const c of [...cases([N, 32, 26, 26]), ...cases([N, 64, 11, 11])]) {
  const reps = c.runs.map(calibrate);
  const times = c.runs.map(() => []);
  for (let s = 0; s < samples; ++s) {
    c.runs.forEach((run, k) => {
      const t0 = performance.now();
      for (let i = 0; i < reps[k]; ++i) run();
      times[k].push(((performance.now() - t0) / reps[k]) * 1000);
    });
  }
  const row = { case: c.name };
  times.forEach((t, k) => {
    row[`us ${k}`] = median(t).toFixed(1);
    if (k > 0) row[`ratio ${k}/0`] = median(t.map((v, s) => times[0][s] / v)).toFixed(2);
  });
  rows.push(row);
}
console.log(`threads ${values.threads}; addons: ${paths.map((p, k) => `${k} = ${p}`).join(', ')}`);
console.table(rows);
