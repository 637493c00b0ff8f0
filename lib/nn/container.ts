// Containers: Sequential (a chain), ModuleList (an indexed list) and ModuleDict (a keyed
// record), as their torch.nn namesakes. Children are named '0', '1', ... or by their keys,
// so stateDict() keys read `0.weight`, `encoder.bias` as in PyTorch.
import { reluOverwriting } from '../ops/activation';
import { conv2dMaxPool2d } from '../ops/conv';
import type { Tensor } from '../tensor';
import { ReLU } from './activation';
import { Conv2d } from './conv';
import { Module } from './module';
import { MaxPool1d, MaxPool2d } from './pooling';

function checkModule(fn: string, arg: string, m: unknown): Module {
  if (!(m instanceof Module)) {
    throw new TypeError(`${fn}: ${arg} must be a Module, got ${m === null ? 'null' : typeof m}`);
  }
  return m;
}

function indexOf(fn: string, index: number, length: number): number {
  if (!Number.isInteger(index) || index < -length || index >= length) {
    throw new RangeError(`${fn}: index must be an integer in [${-length}, ${length - 1}], got ${index}`);
  }
  return index < 0 ? index + length : index;
}

/** m is an instance of cls itself (a subclass may override forward) whose forward has not
 *  been replaced on the instance: what it computes is known. */
function plain(m: Module | undefined, cls: abstract new (...args: never[]) => Module): boolean {
  return m !== undefined && m.constructor === cls && !Object.prototype.hasOwnProperty.call(m, 'forward');
}

function unpadded(pool: MaxPool1d | MaxPool2d): boolean {
  const p = pool.options.padding ?? 0;
  return Array.isArray(p) ? p.every((v) => v === 0) : p === 0;
}

/**
 * Whether a ReLU (a) feeds a max pool without padding (b). ReLU is non-decreasing, so it
 * commutes with max: max(relu(x)) = relu(max(x)) exactly, and every window holds input
 * elements (no -inf padding), so pooling first, then ReLU on the pooled (4x smaller for 2x2)
 * output gives the same values and the same gradients (where the two orders pick different
 * window elements the maximum is <= 0 and the gradient is 0 either way; NaN propagates in
 * both), bit for bit, with far less memory traffic.
 */
function poolFirst(a: Module, b: Module | undefined, x: Tensor): boolean {
  return plain(a, ReLU) && x.dtype === 'float32' &&
    ((plain(b, MaxPool2d) && unpadded(b as MaxPool2d)) || (plain(b, MaxPool1d) && unpadded(b as MaxPool1d)));
}

/** A Conv2d's output pooled by a MaxPool2d in one op (conv2dMaxPool2d: the same values,
 *  without storing the convolution output). */
function convPool(conv: Conv2d, pool: MaxPool2d, x: Tensor): Tensor {
  return conv2dMaxPool2d(x, conv.weight, conv.bias, {
    stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups,
  }, pool.options);
}

/**
 * Runs its modules in order, feeding each one's output to the next, as torch.nn.Sequential.
 * Built from modules (named '0', '1', ...) or from a record of named modules.
 * @example new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10))
 */
export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && !(first instanceof Module) && typeof first === 'object' && first !== null) {
      for (const [name, m] of Object.entries(first)) this.addModule(name, checkModule('Sequential', name, m));
    } else {
      (modules as unknown[]).forEach((m, i) => this.addModule(String(i), checkModule('Sequential', `modules[${i}]`, m)));
    }
  }

  /** Number of modules. */
  get length(): number {
    return this._modules.size;
  }

  /** The module at index (negative counts from the end). */
  get(index: number): Module {
    const i = indexOf('Sequential.get', index, this.length);
    return [...this._modules.values()][i] as Module;
  }

  /** Adds a module at the end (named by its position); returns this. */
  append(module: Module): this {
    this.addModule(String(this.length), checkModule('Sequential.append', 'module', module));
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return ([...this._modules.values()] as Module[])[Symbol.iterator]();
  }

  resetParameters(): void {}

  /**
   * Feeds input through each module in order. Shape: as the modules give. Two patterns run
   * faster with the same results: Conv2d -> MaxPool2d as one op (conv2dMaxPool2d), also when
   * a ReLU sits between them, and ReLU -> MaxPool1d/MaxPool2d without padding as pool, then
   * ReLU (see poolFirst). That ReLU writes over the pooled output: only this loop holds it,
   * and the pool's backward never reads it (test/nn/relu_overwrite.test.ts pins that).
   */
  forward(input: Tensor): Tensor {
    let x = input;
    const mods = [...this._modules.values()];
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i];
      if (!m) continue;
      const a = mods[i + 1] ?? undefined;
      const b = mods[i + 2] ?? undefined;
      if (plain(m, Conv2d) && x.dtype === 'float32' && x.ndim === 4) {
        if (plain(a, MaxPool2d)) {
          x = convPool(m as Conv2d, a as MaxPool2d, x);
          i += 1;
          continue;
        }
        if (a && poolFirst(a, b, x) && plain(b, MaxPool2d)) {
          x = reluOverwriting(convPool(m as Conv2d, b as MaxPool2d, x));
          i += 2;
          continue;
        }
      }
      if (a && poolFirst(m, a, x)) {
        x = reluOverwriting(a.forward(x) as Tensor);
        i++;
        continue;
      }
      x = m.forward(x) as Tensor;
    }
    return x;
  }
}

/**
 * A list of modules registered as children '0', '1', ..., as torch.nn.ModuleList. It has no
 * forward of its own: iterate over it in the owner's forward.
 */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    return this._modules.size;
  }

  get(index: number): Module {
    const i = indexOf('ModuleList.get', index, this.length);
    return [...this._modules.values()][i] as Module;
  }

  /** Replaces the module at index. */
  set(index: number, module: Module): void {
    const i = indexOf('ModuleList.set', index, this.length);
    this.addModule(String(i), checkModule('ModuleList.set', 'module', module));
  }

  append(module: Module): this {
    this.addModule(String(this.length), checkModule('ModuleList.append', 'module', module));
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Inserts before index (index = length appends), renumbering the ones after it. */
  insert(index: number, module: Module): void {
    checkModule('ModuleList.insert', 'module', module);
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index > n) {
      throw new RangeError(`ModuleList.insert: index must be an integer in [${-n}, ${n}], got ${index}`);
    }
    const at = index < 0 ? index + n : index;
    const list = [...this._modules.values()] as Module[];
    list.splice(at, 0, module);
    list.forEach((m, i) => this.addModule(String(i), m));
  }

  [Symbol.iterator](): Iterator<Module> {
    return ([...this._modules.values()] as Module[])[Symbol.iterator]();
  }

  resetParameters(): void {}

  forward(): never {
    throw new Error('ModuleList: forward is not defined; iterate over the list in your forward');
  }
}

/**
 * Modules by name, registered as children under their keys (in insertion order), as
 * torch.nn.ModuleDict. Like ModuleList it has no forward.
 */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    const entries = Symbol.iterator in Object(modules)
      ? [...(modules as Iterable<[string, Module]>)]
      : Object.entries(modules as Record<string, Module>);
    for (const [k, m] of entries) this.set(k, m);
  }

  get size(): number {
    return this._modules.size;
  }

  get(key: string): Module | undefined {
    return this._modules.get(key) ?? undefined;
  }

  set(key: string, module: Module): void {
    this.addModule(key, checkModule('ModuleDict.set', key, module));
  }

  has(key: string): boolean {
    return this._modules.has(key);
  }

  /** Removes and returns the module under key. */
  pop(key: string): Module | undefined {
    const m = this.get(key);
    this._modules.delete(key);
    Reflect.deleteProperty(this, key);
    return m;
  }

  keys(): string[] {
    return [...this._modules.keys()];
  }

  values(): Module[] {
    return [...this._modules.values()] as Module[];
  }

  entries(): [string, Module][] {
    return [...this._modules.entries()] as [string, Module][];
  }

  resetParameters(): void {}

  forward(): never {
    throw new Error('ModuleDict: forward is not defined; look modules up in your forward');
  }
}
