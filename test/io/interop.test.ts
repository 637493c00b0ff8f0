// A safetensors file written from PyTorch (scripts/fixtures/safetensors_interop.py) loads into
// the same neurite architecture and reproduces PyTorch's outputs. The other direction (a
// neurite file loaded by PyTorch) is checked by that script.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { load, loadFile, nn, noGrad } from '../../lib/index';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { TOL } from '../helpers/tolerance';

const file = path.join(__dirname, '..', 'fixtures', 'io', 'torch_mlp.safetensors');

function mlp(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(6, 5), new nn.ReLU(), new nn.Linear(5, 3), new nn.Tanh());
}

describe('safetensors interop with PyTorch', () => {
  it('reads the header, metadata and PyTorch state-dict names of a file written from torch', () => {
    const { tensors, metadata } = loadFile(file);
    expect(Object.keys(tensors).sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors['0.weight'].shape]).toEqual([5, 6]);
  });

  it('a torch MLP saved as safetensors gives PyTorch outputs in neurite: Linear 6-5-3', () => {
    const f = fixtureFile('io/torch_mlp') as { x: FixtureTensor; y: FixtureTensor };
    const net = mlp();
    net.loadStateDict(load(file));
    const y = noGrad(() => net.forward(toTensor(f.x)));
    expectClose(y, toTensor(f.y), TOL.value);
  });
});
