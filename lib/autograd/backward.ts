// The backward pass: one walk over the graph in reverse topological order, accumulating
// gradients per node and into leaf .grad.
import type { Tensor } from '../tensor';
import { noGrad } from './grad_mode';
import type { Node } from './node';

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (default false). */
  retainGraph?: boolean;
}

export function runBackward(
  root: Tensor,
  grad: Tensor,
  options: BackwardOptions,
  add: (a: Tensor, b: Tensor) => Tensor,
  clone: (t: Tensor) => Tensor,
): void {
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
    grads.set(root.gradFn, grad);
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
      const needs = node.inputs.map((t) => t.requiresGrad);
      const dxs = node.rule(dy, needs);
      if (!retain) node.free();
      node.inputs.forEach((input, i) => {
        const dx = dxs[i];
        if (!needs[i] || !dx) return;
        if (input.gradFn) {
          const prev = grads.get(input.gradFn);
          grads.set(input.gradFn, prev ? add(prev, dx) : dx);
        } else {
          accumulateLeaf(input, dx, add, clone);
        }
      });
    }
  });
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
