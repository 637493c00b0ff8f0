// Named tolerances for tests. float32 kernels against float32 PyTorch references.
export const TOL = {
  /** Values against PyTorch fixtures: |a - b| <= atol + rtol * |b|. */
  value: { atol: 1e-5, rtol: 1e-4 },
  /** Long reductions and products, where summation order differs. */
  accum: { atol: 1e-4, rtol: 1e-3 },
  /** Gradients against PyTorch fixtures. */
  grad: { atol: 1e-4, rtol: 1e-3 },
  /** Finite differences in float32 (eps ~ 1e-2): relative tolerance. */
  fd: { atol: 2e-3, rtol: 2e-2 },
} as const;

export type Tolerance = { atol: number; rtol: number };
