// expectClose: elementwise comparison with a tolerance, reporting the worst element.
import { expect } from 'vitest';
import { Tensor } from '../../lib/index';
import type { Tolerance } from './tolerance';

type Numeric = Tensor | number | ArrayLike<number> | unknown[];

function flat(x: Numeric): { values: number[]; shape: readonly number[] | null } {
  if (x instanceof Tensor) return { values: Array.from(x.data as ArrayLike<number>), shape: x.shape };
  if (typeof x === 'number') return { values: [x], shape: null };
  if (Array.isArray(x)) return { values: (x as unknown[]).flat(Infinity as 1) as number[], shape: null };
  return { values: Array.from(x as ArrayLike<number>), shape: null };
}

/** Asserts |a - b| <= atol + rtol * |b| everywhere (NaN matches NaN, inf matches inf). When
 *  both are tensors, or b carries a shape, the shapes must match too. */
export function expectClose(a: Numeric, b: Numeric, tol: Tolerance, shape?: readonly number[]): void {
  const fa = flat(a);
  const fb = flat(b);
  const want = shape ?? fb.shape;
  if (fa.shape && want) expect([...fa.shape]).toEqual([...want]);
  expect(fa.values.length).toBe(fb.values.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < fa.values.length; ++i) {
    const x = fa.values[i];
    const y = fb.values[i];
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (!Number.isFinite(y) && x === y) continue;
    const excess = Math.abs(x - y) - (tol.atol + tol.rtol * Math.abs(y));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `element ${worst}: got ${fa.values[worst]}, expected ${fb.values[worst]} ` +
        `(atol ${tol.atol}, rtol ${tol.rtol})`,
    );
  }
}
