// Module: the base class of layers and models. It keeps parameters, buffers and child modules
// by name, in registration order, so stateDict() keys equal PyTorch's (`0.weight`,
// `fc1.bias`, `running_mean`). Follows torch.nn.Module; hooks are not implemented.
import { noGrad } from '../autograd/grad_mode';
import { cast } from '../ops/elementwise';
import { formatShape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { Parameter } from './parameter';

export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). Shapes must match either way. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface RegisterBufferOptions {
  /** Include the buffer in stateDict() (default true). */
  persistent?: boolean;
}

export type StateDict = Record<string, Tensor>;

// Property assignment on a module goes through this proxy trap: assigning a Parameter or a
// Module to a field registers it under the field's name (as PyTorch's __setattr__), so
// `this.fc1 = new Linear(4, 3)` in a constructor is enough. Both `this.x = v` and class
// field definitions end in [[DefineOwnProperty]] on the proxy, so one trap sees both.
let explicit = false;
const handler: ProxyHandler<Module> = {
  defineProperty(target, prop, desc) {
    if (!explicit && typeof prop === 'string' && 'value' in desc) {
      const kept = target._autoRegister(prop, desc.value);
      if (kept !== desc.value) desc = { ...desc, value: kept };
    }
    return Reflect.defineProperty(target, prop, desc);
  },
};

/**
 * Base class of all layers and models, as torch.nn.Module.
 *
 * Subclasses create their parameters and children in the constructor and implement
 * `forward`. Assigning a Parameter or Module to a field registers it under that name;
 * `registerParameter`, `registerBuffer` and `addModule` do the same explicitly (and are
 * needed for buffers, which are plain Tensors).
 *
 * Registration order is stateDict() order. Class field initializers run before the
 * constructor body, so fields with initializers come before fields assigned in the
 * constructor; declare fields that a register* call sets with `declare` (or without an
 * initializer). Assigning the same Parameter or Module object to a second field of the same
 * module does not register it twice.
 *
 * `stateDict()` returns detached tensors that share storage with the parameters and buffers
 * (as PyTorch): clone them for a snapshot that later training does not change.
 *
 * @example
 * class MLP extends Module {
 *   fc1 = new Linear(784, 128);
 *   fc2 = new Linear(128, 10);
 *   forward(x: Tensor): Tensor { return this.fc2.forward(relu(this.fc1.forward(x))); }
 * }
 * new MLP().stateDict(); // { 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias' }
 */
export abstract class Module {
  /** Training mode (true) or evaluation mode (false); set with train() / eval(). */
  training = true;
  /** @internal */ readonly _parameters = new Map<string, Parameter | null>();
  /** @internal */ readonly _buffers = new Map<string, Tensor | null>();
  /** @internal */ readonly _nonPersistent = new Set<string>();
  /** @internal */ readonly _modules = new Map<string, Module | null>();

  constructor() {
    return new Proxy(this, handler);
  }

  /** The computation; subclasses define it with their own signature. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  abstract forward(...inputs: any[]): any;

  /** Same as forward(...inputs). */
  call(...inputs: Parameters<this['forward']>): ReturnType<this['forward']> {
    return this.forward(...inputs);
  }

  // --- registration -----------------------------------------------------------------------

  /** Registers `param` (or null: a declared but absent parameter) under `name`; returns it.
   *  Also sets the field `this[name]`. */
  registerParameter<P extends Parameter | null>(name: string, param: P): P {
    checkName('registerParameter', this, name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(
        `registerParameter: param must be a Parameter or null, got ${describe(param)} for '${name}'`,
      );
    }
    this._forget(name, 'parameter');
    this._parameters.set(name, param);
    setField(this, name, param);
    return param;
  }

  /** Registers a buffer: state that is saved in stateDict() but not trained (running
   *  statistics). Returns it and sets the field `this[name]`. */
  registerBuffer<T extends Tensor | null>(name: string, tensor: T, options: RegisterBufferOptions = {}): T {
    checkName('registerBuffer', this, name);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TypeError(`registerBuffer: tensor must be a Tensor or null, got ${describe(tensor)} for '${name}'`);
    }
    this._forget(name, 'buffer');
    this._buffers.set(name, tensor);
    if (options.persistent === false) this._nonPersistent.add(name);
    setField(this, name, tensor);
    return tensor;
  }

  /** Registers a child module under `name`; returns it and sets the field `this[name]`. */
  addModule<M extends Module | null>(name: string, module: M): M {
    checkName('addModule', this, name);
    if (module !== null && !(module instanceof Module)) {
      throw new TypeError(`addModule: module must be a Module or null, got ${describe(module)} for '${name}'`);
    }
    this._forget(name, 'module');
    this._modules.set(name, module);
    setField(this, name, module);
    return module;
  }

  /** Same as addModule. */
  registerModule<M extends Module | null>(name: string, module: M): M {
    return this.addModule(name, module);
  }

  /** Drops `name` from the registries other than `keep` (which keeps its position). */
  private _forget(name: string, keep: 'parameter' | 'buffer' | 'module'): void {
    if (keep !== 'parameter') this._parameters.delete(name);
    if (keep !== 'buffer') this._buffers.delete(name);
    this._nonPersistent.delete(name);
    if (keep !== 'module') this._modules.delete(name);
  }

  /** Called by the proxy for each field assignment; returns the value to store.
   *  @internal */
  _autoRegister(name: string, value: unknown): unknown {
    const params = this._parameters;
    const buffers = this._buffers;
    const modules = this._modules;
    // a field declaration without initializer (value undefined) keeps what is registered
    if (value === undefined) {
      if (params.has(name)) return params.get(name);
      if (buffers.has(name)) return buffers.get(name);
      if (modules.has(name)) return modules.get(name);
      return value;
    }
    if (value instanceof Parameter) {
      if (params.get(name) === value || [...params.values()].includes(value)) return value;
      this._forget(name, 'parameter');
      params.set(name, value);
    } else if (value instanceof Module) {
      if (modules.get(name) === value || [...modules.values()].includes(value)) return value;
      this._forget(name, 'module');
      modules.set(name, value);
    } else if (params.has(name)) {
      if (value !== null) {
        throw new TypeError(
          `${this.constructor.name}: ${name} must be a Parameter or null (it is a registered ` +
            `parameter), got ${describe(value)}; wrap tensors in new Parameter(t)`,
        );
      }
      params.set(name, null);
    } else if (buffers.has(name)) {
      if (value !== null && !(value instanceof Tensor)) {
        throw new TypeError(
          `${this.constructor.name}: ${name} must be a Tensor or null (it is a registered buffer), got ${describe(value)}`,
        );
      }
      buffers.set(name, value as Tensor | null);
    } else if (modules.has(name)) {
      if (value !== null) {
        throw new TypeError(
          `${this.constructor.name}: ${name} must be a Module or null (it is a registered child), got ${describe(value)}`,
        );
      }
      modules.set(name, null);
    }
    return value;
  }

  // --- traversal --------------------------------------------------------------------------

  /** Direct children with their names, in registration order. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [name, m] of this._modules) {
      if (m && !seen.has(m)) {
        seen.add(m);
        out.push([name, m]);
      }
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all descendants, depth first, each once, with dotted names ('' for this). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, p: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [name, child] of m._modules) if (child) visit(child, p ? `${p}.${name}` : name);
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters of this module (and descendants when recurse), each once, with dotted names. */
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [p, m] of mods) {
      for (const [name, param] of m._parameters) {
        if (param && !seen.has(param)) {
          seen.add(param);
          out.push([p ? `${p}.${name}` : name, param]);
        }
      }
    }
    return out;
  }

  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** Buffers of this module (and descendants when recurse), each once, with dotted names. */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [p, m] of mods) {
      for (const [name, b] of m._buffers) {
        if (b && !seen.has(b)) {
          seen.add(b);
          out.push([p ? `${p}.${name}` : name, b]);
        }
      }
    }
    return out;
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /** Calls fn on every descendant (children first) and then on this module; returns this. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  // --- modes and gradients ----------------------------------------------------------------

  /** Sets training mode on this module and all descendants (dropout and batch norm act on
   *  it); returns this. */
  train(on = true): this {
    if (typeof on !== 'boolean') throw new TypeError(`train: on must be a boolean, got ${describe(on)}`);
    for (const m of this.modules()) m.training = on;
    return this;
  }

  /** Same as train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Sets every parameter's grad to null. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Freezes (false) or unfreezes (true) every parameter; returns this. */
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad_(on);
    return this;
  }

  /** Number of elements in all parameters (each counted once); only those requiring grad
   *  when trainableOnly. */
  numParameters(trainableOnly = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  // --- state ------------------------------------------------------------------------------

  /** The tensors stateDict() holds, by key: the module's own parameter and buffer objects. */
  private stateEntries(prefix: string, out: Map<string, Tensor>): Map<string, Tensor> {
    for (const [name, p] of this._parameters) if (p) out.set(prefix + name, p);
    for (const [name, b] of this._buffers) {
      if (b && !this._nonPersistent.has(name)) out.set(prefix + name, b);
    }
    for (const [name, m] of this._modules) if (m) m.stateEntries(`${prefix}${name}.`, out);
    return out;
  }

  /**
   * Parameters and persistent buffers by dotted name, in PyTorch's order (each module's
   * parameters, then its buffers, then its children). Values are detached tensors sharing
   * storage with the module's state: they change when the module trains; clone them for a
   * snapshot.
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [k, t] of this.stateEntries('', new Map())) out[k] = t.detach();
    return out;
  }

  /**
   * Copies values from `stateDict` into the existing parameters and buffers (never adopts
   * the given tensors, so optimizers stay valid). Checks everything before copying anything.
   * Values are cast to the target's dtype.
   * @param stateDict a record (or Map) from dotted names to tensors
   * @param options.strict default true: missing or unexpected keys throw; when false they are
   *   returned. Shape mismatches throw either way.
   * @throws Error listing missing keys, unexpected keys and shape mismatches
   */
  loadStateDict(
    stateDict: Record<string, Tensor> | Map<string, Tensor>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    if (stateDict === null || typeof stateDict !== 'object') {
      throw new TypeError(`loadStateDict: stateDict must be an object of Tensors, got ${describe(stateDict)}`);
    }
    const given = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const own = this.stateEntries('', new Map());
    const missingKeys = [...own.keys()].filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !own.has(k));
    const mismatches: string[] = [];
    for (const [k, src] of given) {
      const dst = own.get(k);
      if (!dst) continue;
      if (!(src instanceof Tensor)) {
        mismatches.push(`${k} must be a Tensor, got ${describe(src)}`);
      } else if (!shapesEqual(src.shape, dst.shape)) {
        mismatches.push(`${k} must have shape ${formatShape(dst.shape)}, got ${formatShape(src.shape)}`);
      }
    }
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (mismatches.length > 0) problems.push(`shape mismatches: ${mismatches.join('; ')}`);
    if (problems.length > 0) {
      throw new Error(
        `loadStateDict: state dict does not match ${this.constructor.name}:\n  ${problems.join('\n  ')}`,
      );
    }
    noGrad(() => {
      for (const [k, src] of given) {
        const dst = own.get(k);
        if (!dst || src.data === dst.data) continue;
        dst.data.set(src.dtype === dst.dtype ? src.data : cast(src, dst.dtype).data);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // --- printing ---------------------------------------------------------------------------

  /** The hyper-parameters shown between the parentheses of toString(); override in layers. */
  extraRepr(): string {
    return '';
  }

  /** The module tree as PyTorch prints it, without the parameter count. */
  repr(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines: string[] = [];
    for (const [name, m] of this._modules) {
      const s = m ? m.repr() : 'None';
      childLines.push(`(${name}): ${s.split('\n').join('\n  ')}`);
    }
    const lines = [...extraLines, ...childLines];
    let out = `${this.constructor.name}(`;
    if (lines.length === 1 && childLines.length === 0) out += lines[0];
    else if (lines.length > 0) out += `\n  ${lines.join('\n  ')}\n`;
    return `${out})`;
  }

  /**
   * A one-line summary for a leaf layer (`Linear(inFeatures=4, outFeatures=3, bias=true)`);
   * for a module with children, the tree as PyTorch prints it followed by a line with the
   * parameter count: `Parameters: 101,770 (trainable: 101,770)`.
   */
  toString(): string {
    if (this._modules.size === 0) return this.repr();
    const all = this.numParameters().toLocaleString('en-US');
    const trainable = this.numParameters(true).toLocaleString('en-US');
    return `${this.repr()}\nParameters: ${all} (trainable: ${trainable})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Sets this[name] without the proxy trap re-registering the value. */
function setField(m: Module, name: string, value: unknown): void {
  explicit = true;
  try {
    Reflect.defineProperty(m, name, { value, writable: true, enumerable: true, configurable: true });
  } finally {
    explicit = false;
  }
}

const RESERVED = new Set(['training', '_parameters', '_buffers', '_nonPersistent', '_modules']);

function checkName(fn: string, m: Module, name: unknown): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new TypeError(`${fn}: name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
  }
  if (name in Object.getPrototypeOf(m) || RESERVED.has(name)) {
    throw new RangeError(`${fn}: name must not shadow a method or property of ${m.constructor.name}, got '${name}'`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return `a ${v.dtype} Tensor of shape ${formatShape(v.shape)}`;
  if (v instanceof Module) return `a ${v.constructor.name}`;
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
