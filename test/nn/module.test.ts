// Module, Parameter and containers: registration, traversal, modes, stateDict keys equal to
// PyTorch's, loading PyTorch weights (outputs and gradients match), strict-mode errors, printing.
import { describe, expect, it } from 'vitest';
import * as nt from '../../lib/index';
import { nn, Tensor, tensor, zeros } from '../../lib/index';
import { backwardWeighted, expectGrad, expectParamGrads } from '../helpers/cases';
import { expectClose } from '../helpers/close';
import { fixtureFile, toTensor, type FixtureTensor } from '../helpers/fixtures';
import { TOL } from '../helpers/tolerance';

interface ModuleCase {
  name: string;
  keys: string[];
  shapes: number[][];
  state: Record<string, FixtureTensor>;
  inputs: FixtureTensor[];
  output: FixtureTensor;
  r: FixtureTensor;
  inputGrads: FixtureTensor[];
  paramGrads: Record<string, FixtureTensor>;
}

const fx = fixtureFile('nn/modules') as { cases: ModuleCase[]; reprs: Record<string, string> };
const byName = (n: string) => fx.cases.find((c) => c.name === n) as ModuleCase;

class Block extends nn.Module {
  fc: nn.Linear;
  act: nn.Tanh;
  constructor(n: number) {
    super();
    this.fc = new nn.Linear(n, n);
    this.act = new nn.Tanh();
  }
  forward(x: Tensor): Tensor {
    return x.add(this.act.forward(this.fc.forward(x)));
  }
}

class Nested extends nn.Module {
  declare scale: Tensor;
  encoder = new nn.Sequential(new nn.Linear(5, 4), new nn.GELU());
  blocks = new nn.ModuleList([new Block(4), new Block(4)]);
  heads = new nn.ModuleDict({ cls: new nn.Linear(4, 3), reg: new nn.Linear(4, 1, { bias: false }) });
  constructor() {
    super();
    this.registerBuffer('scale', nt.ones([4]));
  }
  forward(x: Tensor): Tensor {
    let h = this.encoder.forward(x).mul(this.scale);
    for (const b of this.blocks) h = b.forward(h);
    const cls = this.heads.get('cls') as nn.Linear;
    const reg = this.heads.get('reg') as nn.Linear;
    return nt.cat([cls.forward(h), reg.forward(h)], 1);
  }
}

function mlp(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(6, 5), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(5, 3));
}

const models: Record<string, () => nn.Module> = {
  mlp,
  nested: () => new Nested(),
  bilinear: () => new nn.Bilinear(3, 4, 2),
  bilinear_batched: () => new nn.Bilinear(2, 3, 4, { bias: false }),
  linear_3d: () => new nn.Linear(3, 2),
};

function loadFixture(m: nn.Module, c: ModuleCase): void {
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.state)) sd[k] = toTensor(v);
  m.loadStateDict(sd);
}

describe('stateDict keys and shapes equal PyTorch', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const sd = models[c.name]().stateDict();
      expect(Object.keys(sd)).toEqual(c.keys);
      expect(Object.values(sd).map((t) => [...t.shape])).toEqual(c.shapes);
    });
  }
});

describe('PyTorch weights through loadStateDict give PyTorch outputs and gradients', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const m = models[c.name]();
      loadFixture(m, c);
      m.eval();
      const xs = c.inputs.map((x) => toTensor(x, true));
      const y = m.forward(...xs) as Tensor;
      expectClose(y, toTensor(c.output), TOL.value);
      backwardWeighted(y, c.r);
      xs.forEach((x, i) => expectGrad(x, c.inputGrads[i]));
      expectParamGrads(m, c.paramGrads);
    });
  }
});

describe('loadStateDict', () => {
  it('copies values into the existing parameters (never adopts the given tensors)', () => {
    const m = new nn.Linear(3, 2);
    const w = m.weight;
    const data = w.data;
    const src = tensor([[1, 2, 3], [4, 5, 6]]);
    m.loadStateDict({ weight: src, bias: tensor([7, 8]) });
    expect(m.weight).toBe(w);
    expect(m.weight.data).toBe(data);
    expect(Array.from(m.weight.data)).toEqual([1, 2, 3, 4, 5, 6]);
    src.data[0] = 100;
    expect(m.weight.data[0]).toBe(1);
    expect(m.parameters()).toEqual([w, m.bias]);
  });
  it('strict mode throws one error listing missing, unexpected and mismatched keys', () => {
    const m = mlp();
    const before = Array.from(m.stateDict()['0.weight'].data);
    const sd = m.stateDict();
    delete sd['0.bias'];
    sd['4.weight'] = zeros([1]);
    sd['3.weight'] = zeros([3, 4]);
    let msg = '';
    try {
      m.loadStateDict({ ...sd, '0.weight': zeros([5, 6]) });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toBe(
      'loadStateDict: state dict does not match Sequential:\n' +
        '  missing keys: 0.bias\n' +
        '  unexpected keys: 4.weight\n' +
        '  shape mismatches: 3.weight must have shape [3, 5], got [3, 4]',
    );
    // nothing was copied
    expect(Array.from(m.stateDict()['0.weight'].data)).toEqual(before);
  });
  it('non-strict mode returns missing and unexpected keys, and still rejects shapes', () => {
    const m = mlp();
    const res = m.loadStateDict({ '0.weight': zeros([5, 6]), extra: zeros([2]) }, { strict: false });
    expect(res).toEqual({ missingKeys: ['0.bias', '3.weight', '3.bias'], unexpectedKeys: ['extra'] });
    expect(Array.from(m.stateDict()['0.weight'].data).every((v) => v === 0)).toBe(true);
    expect(() => m.loadStateDict({ '0.bias': zeros([4]) }, { strict: false }))
      .toThrow('shape mismatches: 0.bias must have shape [5], got [4]');
  });
  it('round-trips between two models and loads buffers', () => {
    const a = new Nested();
    a.scale.data.set([1, 2, 3, 4]);
    const b = new Nested();
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.scale.data)).toEqual([1, 2, 3, 4]);
    const x = nt.randn([2, 5]);
    expectClose(b.forward(x), a.forward(x), TOL.value);
  });
  it('rejects non-tensor values', () => {
    expect(() => new nn.Linear(2, 2).loadStateDict({ weight: [1, 2] as unknown as Tensor, bias: zeros([2]) }))
      .toThrow(/weight must be a Tensor, got an array/);
  });
});

describe('Module registration and traversal', () => {
  it('registers fields assigned in the constructor, in order', () => {
    class Net extends nn.Module {
      fc1 = new nn.Linear(4, 3);
      w = new nn.Parameter(zeros([2]));
      notRegistered = zeros([3]);
      fc2: nn.Linear;
      constructor() {
        super();
        this.fc2 = new nn.Linear(3, 1);
        this.registerBuffer('running_mean', zeros([3]));
        this.registerBuffer('tmp', zeros([1]), { persistent: false });
      }
      forward(x: Tensor): Tensor {
        return this.fc2.forward(this.fc1.forward(x));
      }
    }
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(['w', 'running_mean', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(net.namedParameters().map(([k]) => k)).toEqual(['w', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(net.namedBuffers().map(([k]) => k)).toEqual(['running_mean', 'tmp']);
    expect(net.namedChildren().map(([k]) => k)).toEqual(['fc1', 'fc2']);
    expect(net.namedModules().map(([k]) => k)).toEqual(['', 'fc1', 'fc2']);
    expect(net.children()).toEqual([net.fc1, net.fc2]);
    expect(net.numParameters()).toBe(2 + 15 + 4);
    // reassigning a field replaces the registration under the same name
    net.fc2 = new nn.Linear(3, 7);
    expect(net.stateDict()['fc2.weight'].shape).toEqual([7, 3]);
    expect(() => {
      (net as unknown as { w: unknown }).w = zeros([2]);
    }).toThrow(/w must be a Parameter or null/);
  });
  it('shared parameters are listed once but saved under each key', () => {
    const a = new nn.Linear(2, 2);
    const seq = new nn.Sequential(a, a);
    expect(seq.parameters().length).toBe(2);
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
  });
  it('stateDict values share storage and are detached', () => {
    const m = new nn.Linear(2, 2);
    const sd = m.stateDict();
    expect(sd.weight.requiresGrad).toBe(false);
    expect(sd.weight.data).toBe(m.weight.data);
  });
  it('train/eval reach every module; zeroGrad; requiresGrad_; apply', () => {
    const m = new Nested();
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
    m.forward(nt.randn([2, 5])).sum().backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    m.requiresGrad_(false);
    expect(m.numParameters(true)).toBe(0);
    expect(m.forward(nt.randn([2, 5])).requiresGrad).toBe(false);
    m.requiresGrad_(true);
    const names: string[] = [];
    m.apply((x) => names.push(x.constructor.name));
    expect(names[names.length - 1]).toBe('Nested');
    expect(names.filter((n) => n === 'Linear').length).toBe(5);
  });
  it('call(...) is forward(...)', () => {
    const m = new nn.Linear(3, 2);
    const x = nt.randn([4, 3]);
    expectClose(m.call(x), m.forward(x), TOL.value);
  });
  it('rejects bad names and values', () => {
    const m = new nn.Identity();
    expect(() => m.registerParameter('a.b', null)).toThrow(/registerParameter: name must be a non-empty string without '.'/);
    expect(() => m.registerParameter('w', zeros([2]) as nn.Parameter)).toThrow(/registerParameter: param must be a Parameter or null/);
    expect(() => m.addModule('forward', new nn.ReLU())).toThrow(/addModule: name must not shadow a method/);
  });
  it('Parameter wraps a tensor, requires grad and works with every op', () => {
    const t = tensor([1, 2, 3]);
    const p = new nn.Parameter(t);
    expect(p).toBeInstanceOf(Tensor);
    expect(p.requiresGrad).toBe(true);
    expect(p.data).toBe(t.data);
    const y = p.mul(2).exp().sum();
    y.backward();
    expect(p.grad?.shape).toEqual([3]);
    expect(new nn.Parameter(t, false).requiresGrad).toBe(false);
    expect(() => new nn.Parameter(tensor(Int32Array.from([1]), [1]))).toThrow(/Parameter: data must be float32/);
  });
});

describe('containers', () => {
  it('Sequential from a record uses its keys', () => {
    const s = new nn.Sequential({ fc: new nn.Linear(2, 3), act: new nn.ReLU() });
    expect(Object.keys(s.stateDict())).toEqual(['fc.weight', 'fc.bias']);
    expect(s.length).toBe(2);
    expect(s.get(-1)).toBeInstanceOf(nn.ReLU);
    s.append(new nn.Linear(3, 1));
    expect(Object.keys(s.stateDict())).toEqual(['fc.weight', 'fc.bias', '2.weight', '2.bias']);
    expect(s.forward(nt.randn([4, 2])).shape).toEqual([4, 1]);
  });
  it('ModuleList append, insert, set, iterate', () => {
    const l = new nn.ModuleList([new nn.Linear(1, 1)]);
    l.append(new nn.Linear(2, 2)).extend([new nn.Linear(3, 3)]);
    l.insert(0, new nn.Linear(4, 4));
    expect([...l].map((m) => (m as nn.Linear).inFeatures)).toEqual([4, 1, 2, 3]);
    expect(Object.keys(l.stateDict())[0]).toBe('0.weight');
    expect(l.stateDict()['0.weight'].shape).toEqual([4, 4]);
    l.set(1, new nn.Identity());
    expect(l.get(1)).toBeInstanceOf(nn.Identity);
    expect(() => l.get(9)).toThrow('ModuleList.get: index must be an integer in [-4, 3], got 9');
    expect(() => l.forward()).toThrow(/ModuleList: forward is not defined/);
  });
  it('ModuleDict keys, get, pop', () => {
    const d = new nn.ModuleDict({ a: new nn.Linear(1, 2), b: new nn.ReLU() });
    expect(d.keys()).toEqual(['a', 'b']);
    expect(d.has('b')).toBe(true);
    d.pop('a');
    expect(Object.keys(d.stateDict())).toEqual([]);
    expect(d.size).toBe(1);
  });
});

describe('toString', () => {
  it('prints the tree like PyTorch with the parameter count', () => {
    const want = fx.reprs.mlp
      .replace(/in_features/g, 'inFeatures').replace(/out_features/g, 'outFeatures')
      .replace(/True/g, 'true').replace(', inplace=False', '');
    expect(String(mlp())).toBe(`${want}\nParameters: 53 (trainable: 53)`);
  });
  it('prints nested modules indented', () => {
    const s = String(new Nested());
    expect(s).toContain('  (blocks): ModuleList(\n    (0): Block(\n      (fc): Linear(inFeatures=4, outFeatures=4, bias=true)');
    expect(s.split('\n').pop()).toBe('Parameters: 83 (trainable: 83)');
  });
  it('leaf layers print one line', () => {
    expect(String(new nn.Bilinear(3, 4, 2))).toBe('Bilinear(in1Features=3, in2Features=4, outFeatures=2, bias=true)');
    expect(String(new nn.ReLU())).toBe('ReLU()');
    expect(String(new nn.Flatten())).toBe('Flatten(startDim=1, endDim=-1)');
  });
});
