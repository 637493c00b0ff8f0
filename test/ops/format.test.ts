// toString against PyTorch's str(tensor) (scripts/fixtures/format.py). Only tensors without
// grad are compared as exact text; torch's "dtype=torch.int32" reads "dtype=neurite.int32".
import { describe, expect, it } from 'vitest';
import { arange, mul, ones, tensor, type Tensor } from '../../lib/index';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';

interface Recipe {
  n: number;
  shape: number[];
  scale: number;
  offset: number;
  dtype: 'float32' | 'int32';
}
interface FormatCase {
  name: string;
  tensor?: FixtureTensor;
  recipe?: Recipe;
  text: string;
}

const cases = (fixtureFile('format/cases') as { cases: FormatCase[] }).cases;

/** arange(n) * scale + offset in float32, the same float32 operations as the fixture. */
function build(c: FormatCase): Tensor {
  if (c.tensor) return toTensor(c.tensor);
  const r = c.recipe as Recipe;
  if (r.dtype === 'int32') return arange(r.n).reshape(r.shape);
  return arange(0, r.n, 1, { dtype: 'float32' }).mul(r.scale).add(r.offset).reshape(r.shape);
}

function torchText(text: string): string {
  return text.replace(/dtype=torch\./g, 'dtype=neurite.');
}

describe('toString', () => {
  it.each(cases.map((c) => [c.name, c] as const))('matches torch str(): %s', (_, c) => {
    expect(build(c).toString()).toBe(torchText(c.text));
  });

  it('prints requiresGrad=true after the values of a leaf that requires grad', () => {
    expect(tensor([1, 2], { requiresGrad: true }).toString()).toBe(
      'tensor([1., 2.], requiresGrad=true)',
    );
  });

  it('prints gradFn=<name> for a tensor made by a recorded op', () => {
    const y = mul(ones([2], { requiresGrad: true }), 3);
    expect(y.toString()).toMatch(/^tensor\(\[3\., 3\.\], gradFn=<\w+>\)$/);
  });

  it('is what util.inspect and template strings show', async () => {
    const util = await import('node:util');
    const x = tensor([[1, 2], [3, 4]]);
    expect(util.inspect(x)).toBe(x.toString());
    expect(`${x}`).toBe('tensor([[1., 2.],\n        [3., 4.]])');
  });
});
