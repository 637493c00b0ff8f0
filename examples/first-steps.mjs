// First steps with neurite: tensors, a small computation with broadcasting, and its gradient.
// Run from the package root after `npm install`: node examples/first-steps.mjs
// (the package imports itself by name through the "exports" field of package.json).
import { manualSeed, randn, tensor } from 'neurite';

const x = tensor([[1, 2], [3, 4], [5, 6]]); // numbers give float32, shape [3, 2]
const w = tensor([[0.5, -1], [0.25, 1]], { requiresGrad: true });
const b = tensor([0.1, -0.5], { requiresGrad: true });

const y = x.matmul(w).add(b).relu(); // [3, 2] @ [2, 2] + [2], b broadcast over the rows
const loss = y.square().mean();
loss.backward();

console.log('y =', y.toString());
console.log('loss =', loss.toString());
console.log('dloss/dw =', w.grad?.toString());
console.log('dloss/db =', b.grad?.toString());

manualSeed(42); // the same seed gives the same draws
const r = randn([2, 3]);
console.log('r =', r.toString());
console.log('r > 0 =', r.gt(0).toString(), r.gt(0).dtype); // comparisons give dtype 'bool'
