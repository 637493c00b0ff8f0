// The backward pass: one walk over the graph in reverse topological order, accumulating
// gradients per node and into leaf .grad.
import { gradientReuse, recycleBuffer, trackAllocations } from '../buffers';
import type { Storage, Tensor } from '../tensor';
import { noGrad } from './grad_mode';
import type { Node } from './node';
import { writeStamp, writtenSince } from './version';

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (default false). */
  retainGraph?: boolean;
}

/** The tensor arithmetic backward needs, passed in: lib/ops reaches this module through
 *  tensor.ts. */
export interface GradientMath {
  /** a + b, not recorded. */
  add: (a: Tensor, b: Tensor) => Tensor;
  /** acc += g in place, same shapes. */
  addInto: (acc: Tensor, g: Tensor) => void;
  /** A copy, not recorded. */
  clone: (t: Tensor) => Tensor;
}

export function runBackward(
  root: Tensor,
  grad: Tensor,
  options: BackwardOptions,
  math: GradientMath,
): void {
  const { add, clone } = math;
  const retain = options.retainGraph ?? false;
  noGrad(() => {
    if (!root.gradFn) {
      accumulateLeaf(root, grad, add, clone);
      return;
    }
    // topological order by iterative DFS (post-order)
    const order: Node[] = [];
    const seen = new Set<Node>();
    const stack: [Node, number][] = [[root.gradFn, 0]];
    seen.add(root.gradFn);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1] = i + 1;
        const child = node.inputs[i].gradFn;
        if (child && !seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
    const grads = new Map<Node, Tensor>();
    const pool = new GradientBuffers();
    grads.set(root.gradFn, grad);
    pool.hold(grad);
    walk(order, grads, pool, retain, math);
  });
}

/** Runs the rules in `order`, routing each gradient to its inputs' nodes or leaves. */
function walk(
  order: Node[],
  grads: Map<Node, Tensor>,
  pool: GradientBuffers,
  retain: boolean,
  { add, addInto, clone }: GradientMath,
): void {
  for (let k = order.length - 1; k >= 0; --k) {
    const node = order[k];
    const dy = grads.get(node);
    if (!dy) continue;
    grads.delete(node);
    if (node.retained) node.retained.grad = node.retained.grad ? add(node.retained.grad, dy) : clone(dy);
    if (!node.rule) {
      throw new Error(
        `backward: the graph through ${node.name} was freed by an earlier backward(); ` +
          'pass { retainGraph: true } to the first backward() to run backward twice',
      );
    }
    const inputs = node.inputs;
    if (node.stamp !== writeStamp()) checkUnwritten(node);
    const needs = inputs.map((t) => t.requiresGrad);
    const rule = node.rule;
    const dxs = pool.run(() => rule(dy, needs, pool.exclusive(dy)));
    if (!retain) node.free();
    for (let i = 0; i < inputs.length; ++i) if (needs[i] && dxs[i]) pool.hold(dxs[i]!);
    pool.drop(dy);
    for (let i = 0; i < inputs.length; ++i) {
      const dx = dxs[i];
      if (!needs[i] || !dx) continue;
      const input = inputs[i];
      if (input.gradFn) {
        const prev = grads.get(input.gradFn);
        if (prev && pool.exclusive(prev)) {
          addInto(prev, dx);
          pool.drop(dx);
        } else if (prev) {
          const sum = pool.run(() => [add(prev, dx)])[0]!;
          pool.hold(sum);
          pool.drop(prev);
          pool.drop(dx);
          grads.set(input.gradFn, sum);
        } else {
          grads.set(input.gradFn, dx);
        }
      } else if (input.grad && pool.leafGrads?.has(input.grad)) {
        // a .grad this pass made (no one else has seen it): accumulate in place
        addInto(input.grad, dx);
        pool.drop(dx);
      } else if (!input.grad && pool.exclusive(dx)) {
        // the leaf's first gradient: take the engine's buffer rather than a copy of it
        input.grad = dx;
        pool.disown(dx);
        pool.leafGrads?.add(dx);
      } else {
        accumulateLeaf(input, dx, add, clone);
        pool.drop(dx);
        pool.leafGrads?.add(input.grad!);
      }
    }
  }
}

/**
 * Which gradient buffers of one backward pass the engine may overwrite or recycle. `owned`
 * holds the pending gradients' arrays that a rule or a sum of gradients allocated (whole-buffer,
 * by allocateUninitialised) in this pass: nothing outside the engine has seen them, unlike the
 * root gradient, a leaf's or a retained .grad. What a rule allocated and did not return is
 * scratch, recycled when it returns. `refs` counts the pending gradients per ArrayBuffer, so
 * storage that several share (a pass-through rule hands dy to two inputs, a view re-shapes it)
 * is written or recycled only when the last one is consumed. A leaf .grad made during the
 * pass is accumulated into in place until the pass returns.
 */
class GradientBuffers {
  /** null with reuse turned off: then nothing is owned. */
  readonly owned = gradientReuse() ? new Set<Storage>() : null;
  /** Leaf .grad tensors this pass created, with storage of their own. */
  readonly leafGrads = this.owned ? new Set<Tensor>() : null;
  private readonly refs = new Map<ArrayBufferLike, number>();

  /** Runs a rule (or a sum) that returns gradients: what it allocates and returns becomes
   *  owned, what it allocates and drops is recycled at once. */
  run(fn: () => (Tensor | null)[]): (Tensor | null)[] {
    if (!this.owned) return fn();
    const fresh: Storage[] = [];
    const prev = trackAllocations(fresh);
    let out: (Tensor | null)[];
    try {
      out = fn();
    } finally {
      trackAllocations(prev);
    }
    if (fresh.length === 0) return out;
    const kept = new Set<ArrayBufferLike>();
    for (const t of out) if (t) kept.add(t.data.buffer);
    for (const a of fresh) {
      if (kept.has(a.buffer)) this.owned.add(a);
      else recycleBuffer(a.buffer as ArrayBuffer);
    }
    return out;
  }

  hold(t: Tensor): void {
    const b = t.data.buffer;
    this.refs.set(b, (this.refs.get(b) ?? 0) + 1);
  }

  /** True when t is the only pending gradient on storage the engine owns: its consumer may
   *  overwrite it. */
  exclusive(t: Tensor): boolean {
    return this.owned !== null && this.owned.has(t.data) && this.refs.get(t.data.buffer) === 1;
  }

  /** t was consumed; recycles its buffer when no pending gradient shares it any more. */
  drop(t: Tensor): void {
    const b = t.data.buffer;
    const n = (this.refs.get(b) ?? 1) - 1;
    if (n > 0) {
      this.refs.set(b, n);
      return;
    }
    this.refs.delete(b);
    if (this.owned?.delete(t.data)) recycleBuffer(b as ArrayBuffer);
  }

  /** t leaves the engine (it became a leaf's .grad): never recycle it. */
  disown(t: Tensor): void {
    this.owned?.delete(t.data);
    this.drop(t);
  }
}

function accumulateLeaf(
  leaf: Tensor,
  g: Tensor,
  add: (a: Tensor, b: Tensor) => Tensor,
  clone: (t: Tensor) => Tensor,
): void {
  if (!leaf.requiresGrad) return;
  leaf.grad = leaf.grad ? add(leaf.grad, g) : clone(g);
}

/** Throws when an in-place write changed a tensor `node`'s rule may read (an input of its op,
 *  or its output) after the op ran: the gradient could be computed from the new values.
 *  Conservative: PyTorch refuses only tensors the op saved; rules here do not declare theirs. */
function checkUnwritten(node: Node): void {
  const written = node.inputs.findIndex((t) => writtenSince(t.data, node.stamp));
  if (written < 0 && !(node.output && writtenSince(node.output, node.stamp))) return;
  const what = written >= 0 ? `input ${written}` : 'output';
  throw new Error(
    `backward: ${node.name}'s ${what} was overwritten in place (matmul's out) after ` +
      `${node.name} ran, and its gradient may need the old values; write into another tensor, ` +
      'or after backward()',
  );
}
