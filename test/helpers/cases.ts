// Runs reference cases from test/fixtures (scripts/fixtures/*.py, STYLE.md §7): outputs against
// PyTorch's, then L = sum(r * y) for the stored random r, backward, and the gradients against
// PyTorch's.
import { expect } from 'vitest';
import { Tensor, type ValuesIndices } from '../../lib/index';
import { expectClose } from './close';
import { fixtureFile, isFixtureTensor, toTensor, type FixtureTensor } from './fixtures';
import { TOL, type Tolerance } from './tolerance';

/** L = sum over k of sum(r_k * y_k), then L.backward(). */
export function backwardWeighted(ys: Tensor | Tensor[], rs: FixtureTensor | FixtureTensor[]): void {
  const outs = Array.isArray(ys) ? ys : [ys];
  const weights = Array.isArray(rs) ? rs : [rs];
  let L: Tensor | null = null;
  outs.forEach((y, k) => {
    const term = y.mul(toTensor(weights[k])).sum();
    L = L ? L.add(term) : term;
  });
  (L as unknown as Tensor).backward();
}

/** t.grad equals the fixture gradient within TOL.grad. */
export function expectGrad(t: Tensor, want: FixtureTensor): void {
  expectClose(t.grad as Tensor, toTensor(want), TOL.grad);
}

/** Every parameter of `m` has a gradient equal to the fixture's gradient of the same name. */
export function expectParamGrads(
  m: { namedParameters(): [string, Tensor][] },
  want: Record<string, FixtureTensor>,
): void {
  for (const [k, p] of m.namedParameters()) {
    expect(p.grad, k).not.toBeNull();
    expectGrad(p, want[k]);
  }
}

/** `got` is a tensor of the fixture's dtype and values. */
export function expectMatches(got: Tensor | null, want: FixtureTensor, tol: Tolerance): void {
  expect(got).not.toBeNull();
  expect((got as Tensor).dtype).toBe(want.dtype);
  expectClose(got as Tensor, toTensor(want), tol);
}

/** A case written by case() in scripts/fixtures/elementwise.py (also used by reduce.py). */
export interface OpCase<Kw = Record<string, unknown>> {
  name: string;
  op: string;
  args: (FixtureTensor | number)[];
  kwargs?: Kw;
  out: FixtureTensor | { values: FixtureTensor; indices: FixtureTensor };
  r?: FixtureTensor;
  grads?: (FixtureTensor | null)[];
}

/** The OpCases of test/fixtures/<family>/<file>.json for each of `files`, in order. */
export function opCases<Kw = Record<string, unknown>>(family: string, files: string[]): OpCase<Kw>[] {
  return files.flatMap((f) => fixtureFile(`${family}/${f}`).cases as OpCase<Kw>[]);
}

/** The test name for an OpCase: "<op> values [and gradients] match PyTorch: <name>". */
export function opCaseTitle(c: OpCase<unknown>): string {
  return `${c.op} ${c.r ? 'values and gradients' : 'values'} match PyTorch: ${c.name}`;
}

/** Runs one OpCase: the output's value and dtype (values and exact indices for a
 *  ValuesIndices result), then the gradients of sum(r * y) for the args that have one. */
export function checkOpCase<Kw>(
  c: OpCase<Kw>,
  run: (args: (Tensor | number)[], kw: Kw) => Tensor | ValuesIndices,
): void {
  const args = c.args.map((a, i) =>
    isFixtureTensor(a) ? toTensor(a, (c.grads?.[i] ?? null) !== null) : a,
  );
  const out = run(args, c.kwargs ?? ({} as Kw));
  let y: Tensor;
  if (isFixtureTensor(c.out)) {
    expect(out).toBeInstanceOf(Tensor);
    y = out as Tensor;
    expectMatches(y, c.out, TOL.value);
  } else {
    const vi = out as ValuesIndices;
    expectMatches(vi.values, c.out.values, TOL.value);
    expectMatches(vi.indices, c.out.indices, { atol: 0, rtol: 0 });
    y = vi.values;
  }
  if (!c.r || !c.grads?.some((g) => g)) return;
  backwardWeighted(y, c.r);
  c.grads.forEach((g, i) => {
    if (g) expectMatches((args[i] as Tensor).grad, g, TOL.grad);
  });
}
