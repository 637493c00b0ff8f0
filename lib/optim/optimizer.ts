// Optimizer: the base of every optimizer in lib/optim. It holds parameter groups (per-group
// options), per-parameter state, and PyTorch's state-dict layout. Subclasses say how to check
// options, how to create a parameter's state and how to update one parameter (one native
// call per tensor, native/binding/optim.cc). Follows torch.optim.Optimizer (PyTorch 1.13).
import { enableGrad } from '../autograd/grad_mode';
import { Tensor } from '../tensor';
import { formatShape } from '../shape';

/** Options every optimizer has. */
export interface OptimizerOptions {
  lr: number;
}

/** One parameter group: its tensors and its own copy of every option. Schedulers add their
 *  own keys (initialLr, maxLr, minLr, maxMomentum, baseMomentum), as PyTorch's do. */
export type ParamGroup<O extends OptimizerOptions = OptimizerOptions> = O & {
  params: Tensor[];
  [key: string]: unknown;
};

/** A group as given to a constructor or addParamGroup: options left out take the defaults. */
export type ParamGroupInput<O extends OptimizerOptions = OptimizerOptions> = Partial<O> & {
  params: Iterable<Tensor>;
};

/** One state value: a buffer shaped like the parameter, a scalar (step, mu_product) or null
 *  (SGD's momentum_buffer before it exists, as PyTorch). */
export type StateValue = Tensor | number | null;
export type ParamState = Record<string, StateValue>;

/**
 * PyTorch's optimizer state-dict layout. `state` is keyed by parameter index (counting through
 * the groups in order) and holds PyTorch's state names (`step`, `exp_avg`, `exp_avg_sq`,
 * `max_exp_avg_sq`, `momentum_buffer`, `square_avg`, `grad_avg`, `sum`, `acc_delta`,
 * `exp_inf`, `mu_product`). `param_groups` hold the options under neurite's camelCase names
 * (`lr`, `betas`, `eps`, `weightDecay`, `amsgrad`, `maximize`, `momentum`, `dampening`,
 * `nesterov`, `alpha`, `centered`, `lrDecay`, `initialAccumulatorValue`, `rho`,
 * `momentumDecay`, plus scheduler keys such as `initialLr`) and `params`: the indices.
 */
export interface OptimizerStateDict {
  state: Record<number | string, ParamState>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

function copyValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyValue);
  return v;
}

function cloneTensor(t: Tensor): Tensor {
  return new Tensor(Float32Array.from(t.data as Float32Array), t.shape);
}

/** A zero-filled float32 buffer shaped like `p`. */
export function zerosState(p: Tensor, value = 0): Tensor {
  const data = new Float32Array(p.size);
  if (value !== 0) data.fill(value);
  return new Tensor(data, p.shape);
}

// --- option checks shared by the optimizers -----------------------------------------------

export function checkNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new TypeError(`${fn}: ${name} must be a number, got ${String(v)}`);
  }
  return v;
}

export function checkNonNegative(fn: string, name: string, v: unknown): void {
  if (checkNumber(fn, name, v) < 0) throw new RangeError(`${fn}: ${name} must be >= 0, got ${v}`);
}

/** v in [lo, hi) (or [lo, hi] when `closed`). */
export function checkInRange(
  fn: string, name: string, v: unknown, lo: number, hi: number, closed = false,
): void {
  const x = checkNumber(fn, name, v);
  if (!(x >= lo && (closed ? x <= hi : x < hi))) {
    throw new RangeError(`${fn}: ${name} must be in [${lo}, ${hi}${closed ? ']' : ')'}, got ${x}`);
  }
}

export function checkBetas(fn: string, betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new TypeError(`${fn}: betas must be a pair [beta1, beta2], got ${String(betas)}`);
  }
  checkInRange(fn, 'betas[0]', betas[0], 0, 1);
  checkInRange(fn, 'betas[1]', betas[1], 0, 1);
}

export function checkBoolean(fn: string, name: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${name} must be a boolean, got ${String(v)}`);
}

/**
 * Base class of the optimizers. `step()` updates every parameter whose `.grad` is not null;
 * parameters without a gradient are skipped, as in PyTorch.
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /** The options a group gets when it does not set them. */
  readonly defaults: O;
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on the parameter's first update. */
  state = new Map<Tensor, ParamState>();

  /**
   * @param params the tensors to optimize (float32 leaves), or groups `{ params, ...options }`
   * @param defaults every option, resolved by the subclass
   * @throws TypeError for a tensor that is not float32 or not a leaf, RangeError for an empty
   *   parameter list, a parameter in two groups, or an option out of range
   */
  constructor(params: Iterable<Tensor> | ParamGroupInput<O>[], defaults: O) {
    const fn = this.name;
    if (params instanceof Tensor || params === null || typeof params !== 'object' ||
        typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(
        `${fn}: params must be an iterable of Tensors or of parameter groups, got ` +
          `${params instanceof Tensor ? 'a Tensor' : String(params)}`,
      );
    }
    this.validate(defaults);
    this.defaults = defaults;
    const list = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    if (list.length === 0) {
      throw new RangeError(`${fn}: params must hold at least one tensor, got an empty list`);
    }
    const groups: ParamGroupInput<O>[] = list[0] instanceof Tensor
      ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>]
      : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** The class name used in error messages. */
  get name(): string {
    return this.constructor.name;
  }

  /** Checks one group's options (also run on the defaults). Throws naming the option. */
  protected abstract validate(options: O): void;
  /** State for a parameter's first update. */
  protected abstract initState(p: Tensor, group: ParamGroup<O>): ParamState;
  /** Updates one parameter in place from its gradient and state. */
  protected abstract update(p: Tensor, grad: Float32Array, state: ParamState, group: ParamGroup<O>): void;

  /**
   * Adds a group of parameters with its own options (missing options take the defaults).
   * @throws TypeError / RangeError as the constructor
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    const fn = this.name;
    if (group === null || typeof group !== 'object' || group instanceof Tensor || !('params' in group)) {
      throw new TypeError(`${fn}: a parameter group must be an object with params, got ${String(group)}`);
    }
    const src = group.params;
    const params = src instanceof Tensor ? [src] : [...src];
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) {
        throw new TypeError(`${fn}: params[${i}] must be a Tensor, got ${String(p)}`);
      }
      if (p.dtype !== 'float32') {
        throw new TypeError(`${fn}: params[${i}] must have dtype float32, got ${p.dtype}`);
      }
      if (!p.isLeaf) {
        throw new TypeError(`${fn}: params[${i}] must be a leaf tensor, got the output of ${p.gradFn?.name}`);
      }
      if (seen.has(p)) {
        throw new RangeError(`${fn}: params[${i}] appears twice (in this or another parameter group)`);
      }
      seen.add(p);
    });
    if (params.length === 0) {
      throw new RangeError(`${fn}: params must hold at least one tensor, got an empty list`);
    }
    const full: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.defaults)) full[k] = copyValue(v);
    for (const [k, v] of Object.entries(group)) if (k !== 'params' && v !== undefined) full[k] = copyValue(v);
    this.validate(full as unknown as O);
    full.params = params;
    this.paramGroups.push(full as ParamGroup<O>);
  }

  /**
   * Updates every parameter that has a gradient. With a closure, re-evaluates the loss first
   * (grad mode on) and returns what it returned.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    const fn = this.name;
    for (const group of this.paramGroups) {
      this.validate(group);
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        if (g.dtype !== 'float32' || g.size !== p.size) {
          throw new RangeError(
            `${fn}: step: grad must be float32 of shape ${formatShape(p.shape)}, got ` +
              `${g.dtype} ${formatShape(g.shape)}`,
          );
        }
        let st = this.state.get(p);
        if (!st) {
          st = this.initState(p, group);
          this.state.set(p, st);
        }
        this.update(p, g.data as Float32Array, st, group);
      }
    }
    return loss;
  }

  /** Clears the gradients: sets them to null (default, as PyTorch 2) or fills them with 0. */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else (p.grad.data as Float32Array).fill(0);
      }
    }
  }

  /** State and options in PyTorch's layout (see OptimizerStateDict). Buffers are copies. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const param_groups: OptimizerStateDict['param_groups'] = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[k] = copyValue(v);
      out.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p) as number;
      });
      return out as Record<string, unknown> & { params: number[] };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const entry: ParamState = {};
      for (const [k, v] of Object.entries(st)) entry[k] = v instanceof Tensor ? cloneTensor(v) : v;
      state[i] = entry;
    }
    return { state, param_groups };
  }

  /**
   * Loads a state dict from stateDict() (of an optimizer of the same kind over parameters of
   * the same shapes, grouped the same way). Options come from the dict; buffers are copied.
   * @throws RangeError when the groups or the buffer shapes do not match
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const fn = `${this.name}: loadStateDict`;
    const groups = stateDict?.param_groups;
    if (!Array.isArray(groups) || typeof stateDict.state !== 'object' || stateDict.state === null) {
      throw new TypeError(`${fn}: stateDict must have state and param_groups`);
    }
    if (groups.length !== this.paramGroups.length) {
      throw new RangeError(
        `${fn}: param_groups must have ${this.paramGroups.length} groups, got ${groups.length}`,
      );
    }
    const byIndex = new Map<number, Tensor>();
    groups.forEach((g, k) => {
      const mine = this.paramGroups[k].params;
      if (!Array.isArray(g.params) || g.params.length !== mine.length) {
        throw new RangeError(
          `${fn}: param_groups[${k}] must have ${mine.length} params, got ` +
            `${Array.isArray(g.params) ? g.params.length : String(g.params)}`,
        );
      }
      g.params.forEach((id, j) => byIndex.set(Number(id), mine[j]));
    });
    // check everything before changing anything
    const newState = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(stateDict.state)) {
      const p = byIndex.get(Number(key));
      if (!p) throw new RangeError(`${fn}: state has an entry for unknown parameter ${key}`);
      const st: ParamState = {};
      for (const [k, v] of Object.entries(entry)) {
        if (v instanceof Tensor) {
          if (v.size !== p.size || v.dtype !== 'float32') {
            throw new RangeError(
              `${fn}: state[${key}].${k} must be float32 of shape ${formatShape(p.shape)}, got ` +
                `${v.dtype} ${formatShape(v.shape)}`,
            );
          }
          st[k] = new Tensor(Float32Array.from(v.data as Float32Array), p.shape);
        } else if (typeof v === 'number' || v === null) {
          st[k] = v;
        } else {
          throw new TypeError(`${fn}: state[${key}].${k} must be a Tensor, number or null`);
        }
      }
      newState.set(p, st);
    }
    const newGroups = groups.map((g, k) => {
      const full: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(this.defaults)) full[name] = copyValue(v);
      for (const [name, v] of Object.entries(g)) if (name !== 'params') full[name] = copyValue(v);
      this.validate(full as unknown as O);
      full.params = this.paramGroups[k].params;
      return full as ParamGroup<O>;
    });
    this.paramGroups = newGroups;
    this.state = newState;
  }
}
