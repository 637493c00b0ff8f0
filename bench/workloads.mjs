// The benchmark workloads: one plain-data spec per workload, shared with bench/torch_ops.py
// (which builds the same inputs and runs the same op in PyTorch), plus the neurite setup for
// each op. Traffic counts are bytes read + bytes written (float32, int32 indices), once each.

const F = 4; // bytes per float32 (and per int32 index)

// Sizes: 1M elements for bandwidth, 64K for per-call overhead on small tensors.
const SIZES = [
  { label: '1M', rows: 1024, cols: 1024 },
  { label: '64K', rows: 256, cols: 256 },
];

// Memory-copy references: the same bytes moved with no arithmetic.
//   set:   Float32Array.prototype.set into a preallocated array (torch: dst.copy_(src))
//   clone: neurite's clone(), which allocates its output as every op does (torch: x.clone())
const COPY_OPS = ['set', 'clone'];

// op, text shown in the table, input shapes from (R, C), bytes moved per call
const ELEMENTWISE = [
  {
    op: 'add', text: (R, C) => `[${R},${C}] + [${R},${C}]`,
    shapes: (R, C) => [[R, C], [R, C]], bytes: (R, C) => 3 * R * C * F,
  },
  {
    op: 'mul', text: (R, C) => `[${R},${C}] * [${C}]`,
    shapes: (R, C) => [[R, C], [C]], bytes: (R, C) => (2 * R * C + C) * F,
  },
  ...['exp', 'relu', 'sigmoid', 'tanh', 'gelu'].map((op) => ({
    op, text: (R, C) => `[${R},${C}]`,
    shapes: (R, C) => [[R, C]], bytes: (R, C) => 2 * R * C * F,
  })),
];

const REDUCTIONS = [
  {
    op: 'sum', text: (R, C) => `[${R},${C}] -> []`,
    shapes: (R, C) => [[R, C]], bytes: (R, C) => (R * C + 1) * F,
  },
  {
    op: 'sum_last', text: (R, C) => `[${R},${C}] -> [${R}]`,
    shapes: (R, C) => [[R, C]], bytes: (R, C) => (R * C + R) * F,
  },
  // values and int32 indices (torch writes int64 indices: C * 4 bytes more, not counted)
  {
    op: 'max_dim0', text: (R, C) => `[${R},${C}] -> 2 x [${C}]`,
    shapes: (R, C) => [[R, C]], bytes: (R, C) => (R * C + 2 * C) * F,
  },
  {
    op: 'softmax', text: (R, C) => `[${R},${C}]`,
    shapes: (R, C) => [[R, C]], bytes: (R, C) => 2 * R * C * F,
  },
];

// [M, K] x [K, N]
const MATMULS = [
  [128, 128, 128], [256, 256, 256], [512, 512, 512], [1024, 1024, 1024],
  [64, 784, 128], [64, 128, 10], [32, 1024, 256],
];

// names in the table and for --filter; each workload name is unique (it keys the results)
const LABEL = {
  set: 'copy set', clone: 'copy clone', sum: 'sum all', sum_last: 'sum dim=-1',
  max_dim0: 'max dim=0', softmax: 'softmax dim=-1',
};

/** Every workload, in table order. Each spec is plain JSON (sent to the PyTorch helper). */
export function allWorkloads() {
  const out = [];
  for (const { label, rows: R, cols: C } of SIZES) {
    for (const op of COPY_OPS) {
      out.push({
        name: `${LABEL[op]} ${label}`, section: 'copy reference', size: label, op,
        text: `[${R},${C}]`, shapes: [[R, C]], unit: 'GB/s', work: 2 * R * C * F,
      });
    }
  }
  const families = [['elementwise', ELEMENTWISE], ['reductions', REDUCTIONS]];
  for (const [section, list] of families) {
    for (const { label, rows: R, cols: C } of SIZES) {
      for (const w of list) {
        out.push({
          name: `${LABEL[w.op] ?? w.op} ${label}`, section, size: label, op: w.op,
          text: w.text(R, C), shapes: w.shapes(R, C), unit: 'GB/s', work: w.bytes(R, C),
        });
      }
    }
  }
  for (const [M, K, N] of MATMULS) {
    out.push({
      name: `matmul ${M}x${K}x${N}`, section: 'matmul', size: null, op: 'matmul',
      text: `[${M},${K}] @ [${K},${N}]`, shapes: [[M, K], [K, N]], unit: 'GFLOP/s',
      work: 2 * M * N * K,
    });
  }
  const names = new Set(out.map((w) => w.name));
  if (names.size !== out.length) throw new Error('bench: workload names must be unique');
  return out;
}

/** Builds the inputs of `spec` with neurite and returns a thunk that runs the op once. */
export function neuriteThunk(nt, spec) {
  const [a, b] = spec.shapes.map((s) => nt.randn(s));
  switch (spec.op) {
    case 'set': {
      const dst = new Float32Array(a.size);
      return () => dst.set(a.data);
    }
    case 'clone': return () => nt.clone(a);
    case 'add': return () => nt.add(a, b);
    case 'mul': return () => nt.mul(a, b);
    case 'exp': return () => nt.exp(a);
    case 'relu': return () => nt.relu(a);
    case 'sigmoid': return () => nt.sigmoid(a);
    case 'tanh': return () => nt.tanh(a);
    case 'gelu': return () => nt.gelu(a);
    case 'sum': return () => nt.sum(a);
    case 'sum_last': return () => nt.sum(a, -1);
    case 'max_dim0': return () => nt.max(a, 0);
    case 'softmax': return () => nt.softmax(a, -1);
    case 'matmul': return () => nt.matmul(a, b);
    default: throw new Error(`bench: no neurite setup for op ${spec.op}`);
  }
}
