// The autograd engine: backward from scalars and with a given gradient, accumulation into
// leaf .grad, retainGrad, retainGraph, shared subgraphs, grad mode and detach, and the errors.
import { describe, expect, it } from 'vitest';
import {
  add, cat, enableGrad, isGradEnabled, matmul, mul, noGrad, ones, setGradEnabled, sum, tensor,
  zeros, type Tensor,
} from '../../lib/index';
import { expectClose } from '../helpers/close';
import { gradcheck, sampleInputs } from '../helpers/gradcheck';
import { TOL } from '../helpers/tolerance';

const leaf = (values: number[] | number[][]) => tensor(values, { requiresGrad: true });

describe('backward', () => {
  it('from a scalar fills leaf .grad: d/dx sum(x * x) = 2x', () => {
    const x = leaf([1, -2, 3]);
    mul(x, x).sum().backward();
    expectClose(x.grad as Tensor, tensor([2, -4, 6]), TOL.value);
  });

  it('accumulates into leaf .grad over two backward calls', () => {
    const x = leaf([1, 2]);
    mul(x, 3).sum().backward();
    mul(x, x).sum().backward();
    expectClose(x.grad as Tensor, tensor([3 + 2, 3 + 4]), TOL.value);
  });

  it('takes a gradient for a non-scalar output: y = 2x, backward(g) gives 2g', () => {
    const x = leaf([[1, 2], [3, 4]]);
    mul(x, 2).backward(tensor([[1, 0], [0.5, -1]]));
    expectClose(x.grad as Tensor, tensor([[2, 0], [1, -2]]), TOL.value);
  });

  it('on a leaf sets its .grad to the gradient (ones for a one-element leaf)', () => {
    const x = leaf([5]);
    x.backward();
    expectClose(x.grad as Tensor, tensor([1]), TOL.value);
    const y = leaf([[1, 2]]);
    y.backward(tensor([[3, 4]]));
    expectClose(y.grad as Tensor, tensor([[3, 4]]), TOL.value);
  });

  it('casts an int32 gradient to float32', () => {
    const x = leaf([1, 2]);
    mul(x, 2).backward(tensor(Int32Array.from([1, 3])));
    expect(x.grad?.dtype).toBe('float32');
    expectClose(x.grad as Tensor, tensor([2, 6]), TOL.value);
  });

  it('adds up the paths of a diamond: y = x*x + 3x gives 2x + 3', () => {
    const x = leaf([1, 2, -1]);
    add(mul(x, x), mul(x, 3)).sum().backward();
    expectClose(x.grad as Tensor, tensor([5, 7, 1]), TOL.value);
  });

  it('completes a shared node before its rule runs: a = 2x, c = a + a*a gives 2 + 8x', () => {
    const x = leaf([0.5, -1]);
    const a = mul(x, 2);
    add(a, mul(a, a)).sum().backward();
    expectClose(x.grad as Tensor, tensor([2 + 4, 2 - 8]), TOL.value);
  });

  it('agrees with finite differences through a graph with shared nodes', () => {
    const f = (x: Tensor, w: Tensor) => {
      const h = matmul(x, w);
      return add(mul(h, h), matmul(cat([x, h], 1), cat([w, w.t()], 0)));
    };
    gradcheck(f, sampleInputs([[3, 4], [4, 4]], 31));
  });

  it('leaves inputs without requiresGrad without .grad', () => {
    const x = leaf([1, 2]);
    const w = tensor([3, 4]);
    mul(x, w).sum().backward();
    expect(w.grad).toBeNull();
    expect(w.requiresGrad).toBe(false);
    expectClose(x.grad as Tensor, tensor([3, 4]), TOL.value);
  });

  it('does not ask a backward rule for gradients no input needs', () => {
    const a = leaf([[1, 2]]);
    const b = tensor([[3], [4]]);
    const y = matmul(a, b);
    const rule = y.gradFn?.rule;
    let asked: readonly boolean[] = [];
    (y.gradFn as { rule: typeof rule }).rule = (dy, needs) => {
      asked = needs;
      const out = (rule as NonNullable<typeof rule>)(dy, needs);
      expect(out[1]).toBeNull();
      return out;
    };
    y.sum().backward();
    expect(asked).toEqual([true, false]);
  });

  it('runs a chain of 5000 ops without overflowing the stack', () => {
    const x = leaf([1]);
    let y: Tensor = x;
    for (let i = 0; i < 5000; ++i) y = add(y, 1);
    y.backward();
    expectClose(x.grad as Tensor, tensor([1]), TOL.value);
  });
});

describe('retainGrad and retainGraph', () => {
  it('retainGrad keeps .grad on a non-leaf: y = 2x, L = sum(y*y) gives y.grad = 2y', () => {
    const x = leaf([1, 2]);
    const y = mul(x, 2).retainGrad();
    const z = mul(x, 3);
    mul(y, y).add(z).sum().backward();
    expectClose(y.grad as Tensor, tensor([4, 8]), TOL.value);
    expect(z.grad).toBeNull();
    expectClose(x.grad as Tensor, tensor([8 + 3, 16 + 3]), TOL.value);
  });

  it('backward twice with retainGraph on the first call accumulates', () => {
    const x = leaf([1, 2]);
    const L = mul(x, x).sum();
    L.backward(undefined, { retainGraph: true });
    L.backward();
    expectClose(x.grad as Tensor, tensor([4, 8]), TOL.value);
  });

  it('a second backward without retainGraph throws, naming the freed node', () => {
    const x = leaf([1, 2]);
    const L = mul(x, x).sum();
    L.backward();
    expect(() => L.backward()).toThrow(
      new RegExp(
        '^backward: the graph through \\w+ was freed by an earlier backward\\(\\); ' +
          'pass \\{ retainGraph: true \\} to the first backward\\(\\) to run backward twice$',
      ),
    );
  });
});

describe('grad mode, detach and requiresGrad_', () => {
  it('noGrad records nothing and returns its result', () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(isGradEnabled()).toBe(true);
  });

  it('noGrad restores the mode when its function throws', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(isGradEnabled()).toBe(true);
  });

  it('enableGrad records inside noGrad; setGradEnabled switches the mode', () => {
    const x = leaf([1]);
    const y = noGrad(() => enableGrad(() => mul(x, 2)));
    expect(y.gradFn).not.toBeNull();
    setGradEnabled(false);
    try {
      expect(mul(x, 2).requiresGrad).toBe(false);
    } finally {
      setGradEnabled(true);
    }
  });

  it('ops on tensors without requiresGrad record no node', () => {
    const y = mul(tensor([1, 2]), tensor([3, 4]));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(y.isLeaf).toBe(true);
  });

  it('detach shares storage, requires no grad, and stops the gradient', () => {
    const x = leaf([2, 3]);
    const d = x.detach();
    expect(d.data).toBe(x.data);
    expect(d.requiresGrad).toBe(false);
    mul(x, x.detach()).sum().backward();
    expectClose(x.grad as Tensor, tensor([2, 3]), TOL.value);
  });

  it('requiresGrad_ turns a leaf on and off and returns it', () => {
    const x = tensor([1, 2]);
    expect(x.requiresGrad_()).toBe(x);
    expect(x.requiresGrad).toBe(true);
    mul(x, 4).sum().backward();
    expectClose(x.grad as Tensor, tensor([4, 4]), TOL.value);
    x.requiresGrad_(false);
    expect(mul(x, 4).gradFn).toBeNull();
  });

  it('records gradFn with the op name and isLeaf false on op outputs', () => {
    const y = mul(leaf([1]), 2);
    expect(y.isLeaf).toBe(false);
    expect(y.gradFn?.name).toBe('mul');
  });
});

describe('autograd errors', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'backward of a tensor without grad',
      () => sum(tensor([1, 2])).backward(),
      /^backward: tensor does not require grad and has no graph; set requiresGrad on an input$/,
    ],
    [
      'backward of a non-scalar without a gradient',
      () => mul(leaf([[1, 2, 3], [4, 5, 6]]), 2).backward(),
      /^backward: gradient must be given for a tensor of shape \[2, 3\] \(only one-element/,
    ],
    [
      'backward with a gradient of another shape',
      () => mul(leaf([1, 2]), 2).backward(zeros([3])),
      /^backward: gradient must have shape \[2\], got \[3\]$/,
    ],
    [
      'backward with a non-tensor gradient',
      () => mul(leaf([1, 2]), 2).backward([1, 1] as unknown as Tensor),
      /^backward: gradient must have shape \[2\], got object$/,
    ],
    [
      'requiresGrad_ on an int32 tensor',
      () => tensor(Int32Array.from([1])).requiresGrad_(),
      /^requiresGrad_: only float32 tensors can require grad, got int32$/,
    ],
    [
      'requiresGrad_(false) on a non-leaf',
      () => mul(leaf([1]), 2).requiresGrad_(false),
      /^requiresGrad_: only leaf tensors can be set, use detach\(\) for mul$/,
    ],
  ];
  it.each(cases)('%s', (_, f, message) => {
    expect(f).toThrow(message);
  });

  it('ones with requiresGrad on int32 is refused at creation', () => {
    expect(() => ones([1], { dtype: 'int32', requiresGrad: true })).toThrow(
      /^ones: only float32 tensors can require grad, got dtype int32$/,
    );
  });
});
