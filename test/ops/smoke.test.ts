import { describe, it } from 'vitest';
import { matmul, tensor } from '../../lib/index';
import { gradcheck, sampleInputs } from '../helpers/gradcheck';
import { expectClose } from '../helpers/close';
import { TOL } from '../helpers/tolerance';

describe('smoke', () => {
  it('matmul of 2x2 matrices gives the known product', () => {
    expectClose(matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])), tensor([[19, 22], [43, 50]]), TOL.value);
  });
  it('matmul backward agrees with finite differences', () => {
    gradcheck((a, b) => matmul(a, b), sampleInputs([[3, 5], [5, 4]], 7));
  });
});
