// Computes a fixed set of results with the built package (dist/, through the package root) and
// reports them: printed as JSON when run as a script (`node probe.cjs [small|full]`), posted
// to the parent when run as a worker (workerData: { mode, repeat }), or returned by compute()
// when required. The runtime tests compare these across ISAs, threads, workers and qemu.
// Inputs come from a fixed LCG in JS, so they do not depend on the package's generator.
'use strict';
const path = require('node:path');
const wt = require('node:worker_threads');

const root = process.env.NEURITE_PROBE_ROOT || path.resolve(__dirname, '..', '..');
const nt = require(root);

/** n values in [-1, 1) from a 32-bit LCG (Numerical Recipes constants). */
function values(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function input(shape, seed, requiresGrad = false) {
  const n = shape.reduce((p, d) => p * d, 1);
  return new nt.Tensor(values(n, seed), shape, requiresGrad);
}

const list = (t) => Array.from(t.data);

/** matmul products and their backward through L = sum(r * softmax(a @ b, -1)). */
function matmulCase(out, name, m, k, n, seed) {
  const a = input([m, k], seed, true);
  const b = input([k, n], seed + 1, true);
  const y = nt.matmul(a, b);
  out[`${name} matmul`] = list(y);
  const r = input([m, n], seed + 2);
  nt.sum(nt.mul(nt.softmax(y, -1), r)).backward();
  out[`${name} grad a`] = list(a.grad);
  out[`${name} grad b`] = list(b.grad);
}

/** A convolution, ReLU and max pool through nn.Sequential (the fused conv + pool op, on
 *  Winograd when C >= 8), and the gradients of L = sum(r * y). */
function convCase(out, name, N, C, HW, K, pad, seed) {
  nt.manualSeed(seed);
  const model = new nt.nn.Sequential(new nt.nn.Conv2d(C, K, 3, { padding: pad }), new nt.nn.ReLU(), new nt.nn.MaxPool2d(2));
  const x = input([N, C, HW, HW], seed, true);
  const y = model.forward(x);
  out[`${name} forward`] = list(y);
  nt.sum(nt.mul(y, input(y.shape, seed + 1))).backward();
  out[`${name} grad x`] = list(x.grad);
  for (const [key, p] of model.namedParameters()) out[`${name} grad ${key}`] = list(p.grad);
}

function compute(mode = 'full') {
  const out = {};
  // 7x5x9 takes the direct small-product loops; 33x20x17 the packed microkernel path
  matmulCase(out, '7x5x9', 7, 5, 9, 1);
  matmulCase(out, '33x20x17', 33, 20, 17, 11);
  const x = input([4, 13], 21);
  out['softmax [4, 13]'] = list(nt.softmax(x, 1));
  out['logSoftmax [4, 13]'] = list(nt.logSoftmax(x, 0));
  const v = input([1000], 31);
  out['sum [1000]'] = list(nt.sum(v));
  out['mean [1000]'] = list(nt.mean(v));
  out['amax [1000]'] = list(nt.amax(v));
  const w = input([33, 20], 41);
  out['sum [33, 20] dim 0'] = list(nt.sum(w, 0));
  out['sum [33, 20] dim 1'] = list(nt.sum(w, 1));
  convCase(out, 'conv 1->4 12x12', 2, 1, 12, 4, 0, 111);
  if (mode === 'full') {
    matmulCase(out, '128x96x80', 128, 96, 80, 51);
    matmulCase(out, '1x300x1', 1, 300, 1, 61);
    const a = input([3, 17, 31], 71);
    const b = input([3, 31, 19], 72);
    out['batched [3,17,31]@[3,31,19]'] = list(nt.matmul(a, b));
    out['softmax [64, 257]'] = list(nt.softmax(input([64, 257], 81), 1));
    const big = input([100000], 91);
    out['sum [100000]'] = list(nt.sum(big));
    out['sum [250, 400] dim 0'] = list(nt.sum(input([250, 400], 101), 0));
    // not in 'small', the qemu tests' mode: qemu 7.2's emulation of AVX2 gathers gets the
    // Winograd AVX2 transforms wrong (native/test/winograd_test passes on real CPUs)
    convCase(out, 'conv 8->6 10x10 winograd', 4, 8, 10, 6, 1, 121);
  }
  return { backend: nt.backend(), results: out };
}

module.exports = { compute, values };

if (!wt.isMainThread && wt.workerData && wt.workerData.probe) {
  const { mode, repeat } = wt.workerData;
  let last;
  for (let i = 0; i < (repeat || 1); ++i) last = compute(mode);
  wt.parentPort.postMessage(last);
} else if (wt.isMainThread && require.main === module) {
  process.stdout.write(JSON.stringify(compute(process.argv[2] || 'full')));
}
