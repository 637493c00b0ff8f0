// Every optimizer against PyTorch 1.13 (foreach=False): fixed start params, stored gradient
// sequences (a null gradient skips the parameter that step), params after every step, state
// after the last; then a stateDict round trip (3 steps, save, fresh optimizer, load, 3 more).
import { describe, expect, it } from 'vitest';
import { optim, tensor, Tensor } from '../../lib/index';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { TOL } from '../helpers/tolerance';

interface OptimCase {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  params: FixtureTensor[];
  grads: (FixtureTensor | null)[][];
  expected: FixtureTensor[][];
  state: Record<string, Record<string, FixtureTensor | number | null>>;
}

type Ctor = new (params: Iterable<Tensor>, options: Record<string, unknown>) => optim.Optimizer;
const CLASSES: Record<string, Ctor> = {
  SGD: optim.SGD as unknown as Ctor,
  Adam: optim.Adam as unknown as Ctor,
  AdamW: optim.AdamW as unknown as Ctor,
  RMSprop: optim.RMSprop as unknown as Ctor,
  Adagrad: optim.Adagrad as unknown as Ctor,
  Adadelta: optim.Adadelta as unknown as Ctor,
  Adamax: optim.Adamax as unknown as Ctor,
  NAdam: optim.NAdam as unknown as Ctor,
};

const FILES = ['sgd', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax', 'nadam'];

function applyGrads(params: Tensor[], grads: (FixtureTensor | null)[]): void {
  params.forEach((p, k) => {
    const g = grads[k];
    p.grad = g === null ? null : toTensor(g);
  });
}

function run(c: OptimCase, opt: optim.Optimizer, params: Tensor[], from: number, to: number): void {
  for (let s = from; s < to; ++s) {
    applyGrads(params, c.grads[s]);
    opt.step();
  }
}

for (const file of FILES) {
  const cases = (fixtureFile(`optim/${file}`) as { cases: OptimCase[] }).cases;
  describe(`optim ${file}`, () => {
    for (const c of cases) {
      it(`${c.name} matches PyTorch for ${c.grads.length} steps`, () => {
        const params = c.params.map((t) => toTensor(t, true));
        const opt = new CLASSES[c.optimizer](params, c.options);
        c.grads.forEach((grads, s) => {
          applyGrads(params, grads);
          opt.step();
          params.forEach((p, k) => expectClose(p, toTensor(c.expected[s][k]), TOL.value));
        });
        // state after the last step, under PyTorch's keys
        const sd = opt.stateDict();
        expect(Object.keys(sd.state).sort()).toEqual(Object.keys(c.state).sort());
        for (const [i, want] of Object.entries(c.state)) {
          const got = sd.state[i];
          expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
          for (const [key, v] of Object.entries(want)) {
            if (v === null || typeof v === 'number') {
              if (typeof v === 'number') expect(got[key] as number).toBeCloseTo(v, 5);
              else expect(got[key]).toBeNull();
            } else {
              expectClose(got[key] as Tensor, toTensor(v).reshape([...v.shape]), TOL.value);
            }
          }
        }
      });

      it(`${c.name}: stateDict after 3 steps, loaded into a fresh optimizer, continues the same`, () => {
        const params = c.params.map((t) => toTensor(t, true));
        const opt = new CLASSES[c.optimizer](params, c.options);
        run(c, opt, params, 0, 3);
        const saved = opt.stateDict();
        const copies = params.map((p) => new Tensor(Float32Array.from(p.data as Float32Array), p.shape, true));
        run(c, opt, params, 3, c.grads.length);

        const fresh = new CLASSES[c.optimizer](copies, { ...c.options, lr: 123 });
        fresh.loadStateDict(saved);
        expect(fresh.paramGroups[0].lr).toBe(opt.paramGroups[0].lr);
        run(c, fresh, copies, 3, c.grads.length);
        const last = c.expected[c.grads.length - 1];
        copies.forEach((p, k) => {
          expect(Array.from(p.data)).toEqual(Array.from(params[k].data));
          expectClose(p, toTensor(last[k]), TOL.value);
        });
      });
    }
  });
}

describe('optimizers drive a quadratic down through autograd', () => {
  const settings: [string, Record<string, unknown>][] = [
    ['SGD', { lr: 0.1, momentum: 0.9 }], ['Adam', { lr: 0.1 }], ['AdamW', { lr: 0.1 }],
    ['RMSprop', { lr: 0.05 }], ['Adagrad', { lr: 0.5 }], ['Adadelta', { lr: 1, eps: 1e-2 }],
    ['Adamax', { lr: 0.2 }], ['NAdam', { lr: 0.1 }],
  ];
  for (const [name, options] of settings) {
    it(`${name} lowers L = sum((w - t)^2) by 10x in 50 steps`, () => {
      const w = tensor([3, -2, 1, 0.5], { requiresGrad: true });
      const t = tensor([1, 1, -1, 0]);
      const loss = () => w.sub(t).square().sum();
      const opt = new CLASSES[name]([w], options);
      const first = loss().item() as number;
      for (let s = 0; s < 50; ++s) {
        opt.zeroGrad();
        loss().backward();
        opt.step();
      }
      expect(loss().item() as number).toBeLessThan(first / 10);
    });
  }
});
