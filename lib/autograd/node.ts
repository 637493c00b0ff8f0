// A graph node: the op that made a tensor, its inputs, and its backward rule.
import type { Storage, Tensor } from '../tensor';

/** Receives the gradient of the output and, for each input, whether it needs a gradient;
 *  returns one gradient per input (null where not needed), each of the input's shape.
 *  `dyWritable` says that nothing else refers to dy's storage: the rule may overwrite it
 *  (and return it as a gradient). A rule keeps nothing it is given or allocates: what it
 *  allocated and does not return is reused once it returns. */
export type BackwardRule = (
  dy: Tensor,
  needs: readonly boolean[],
  dyWritable?: boolean,
) => (Tensor | null)[];

export class Node {
  /** Tensors whose gradient this node's output should keep (retainGrad). */
  retained: Tensor | null = null;

  constructor(
    readonly name: string,
    readonly inputs: readonly Tensor[],
    public rule: BackwardRule | null,
    /** The op's output storage, which the rule may read (see autograd/version.ts). */
    public output: Storage | null = null,
    /** The in-place write counter when the op ran (autograd/version.ts). */
    readonly stamp = 0,
  ) {}

  /** Drops the backward rule and what it saved; a later backward through here throws. */
  free(): void {
    this.rule = null;
    this.output = null;
  }
}
