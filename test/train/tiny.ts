// Tiny hand-written model, loss and optimizer for lib/train tests: they depend only on the
// structural interfaces in lib/train/types.ts, not on lib/nn or lib/optim.
import { noGrad, randn, Tensor, zeros, type TrainableModel, type OptimizerLike, type SchedulerLike } from '../../lib/index';

/** x -> relu(x W1^T + b1) W2^T + b2 (or one affine map when hidden is 0). */
export class TinyMlp implements TrainableModel {
  params: Record<string, Tensor>;
  training = true;
  constructor(inF: number, hidden: number, outF: number) {
    const p: Record<string, Tensor> = {};
    if (hidden > 0) {
      p['0.weight'] = randn([hidden, inF], { std: 1 / Math.sqrt(inF) });
      p['0.bias'] = zeros([hidden]);
      p['2.weight'] = randn([outF, hidden], { std: 1 / Math.sqrt(hidden) });
      p['2.bias'] = zeros([outF]);
    } else {
      p['0.weight'] = randn([outF, inF], { std: 1 / Math.sqrt(inF) });
      p['0.bias'] = zeros([outF]);
    }
    for (const t of Object.values(p)) t.requiresGrad_();
    this.params = p;
  }
  forward(x: Tensor): Tensor {
    const p = this.params;
    const flat = x.reshape([x.shape[0], -1]);
    let h = flat.matmul(p['0.weight'].t()).add(p['0.bias']);
    if (p['2.weight']) h = h.relu().matmul(p['2.weight'].t()).add(p['2.bias']);
    return h;
  }
  train(on = true) {
    this.training = on;
    return this;
  }
  eval() {
    this.training = false;
    return this;
  }
  parameters(): Tensor[] {
    return Object.values(this.params);
  }
  stateDict(): Record<string, Tensor> {
    return { ...this.params };
  }
  loadStateDict(sd: Record<string, Tensor>) {
    for (const [k, t] of Object.entries(this.params)) {
      if (!sd[k]) throw new Error(`missing ${k}`);
      t.data.set(sd[k].data);
    }
  }
}

/** Mean cross-entropy of logits [N, C] against int32 targets [N]. */
export function crossEntropy(logits: Tensor, target: Tensor): Tensor {
  const lp = logits.logSoftmax(1);
  return lp.gather(1, target.reshape([target.size, 1])).mean().neg();
}

export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  return pred.sub(target.reshape([...pred.shape])).square().mean();
}

/** SGD with momentum; state keyed by parameter index as PyTorch's state_dict. */
export class TinySgd implements OptimizerLike {
  paramGroups: { lr: number; momentum: number }[];
  state: Map<number, Tensor> = new Map();
  constructor(
    readonly params: Tensor[],
    lr: number,
    momentum = 0.9,
  ) {
    this.paramGroups = [{ lr, momentum }];
  }
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
  step(): void {
    const { lr, momentum } = this.paramGroups[0];
    noGrad(() => {
      this.params.forEach((p, i) => {
        if (!p.grad) return;
        const prev = this.state.get(i);
        const buf = prev ? prev.mul(momentum).add(p.grad) : p.grad.clone();
        this.state.set(i, buf);
        p.data.set(p.sub(buf.mul(lr)).data);
      });
    });
  }
  stateDict() {
    const state: Record<number, { momentumBuffer: Tensor }> = {};
    for (const [i, t] of this.state) state[i] = { momentumBuffer: t };
    return { state, paramGroups: this.paramGroups.map((g) => ({ ...g })) };
  }
  loadStateDict(s: unknown): void {
    const sd = s as ReturnType<TinySgd['stateDict']>;
    this.paramGroups = sd.paramGroups.map((g) => ({ ...g }));
    this.state = new Map(Object.entries(sd.state).map(([k, v]) => [Number(k), v.momentumBuffer]));
  }
}

/** Multiplies lr by gamma each step; with a metric, only when it did not improve. */
export class TinyStepLr implements SchedulerLike {
  lastEpoch = 0;
  best = Infinity;
  steps: (number | undefined)[] = [];
  constructor(
    readonly optimizer: TinySgd,
    readonly gamma: number,
  ) {}
  // a rest parameter keeps step.length 0, like LRScheduler.step()
  step(...args: number[]): void {
    const metric: number | undefined = args[0];
    this.steps.push(metric);
    this.lastEpoch += 1;
    if (metric === undefined || !(metric < this.best)) this.optimizer.paramGroups[0].lr *= this.gamma;
    if (metric !== undefined && metric < this.best) this.best = metric;
  }
  getLastLr() {
    return [this.optimizer.paramGroups[0].lr];
  }
  stateDict() {
    return { lastEpoch: this.lastEpoch, best: this.best };
  }
  loadStateDict(s: unknown): void {
    const st = s as { lastEpoch: number; best: number };
    this.lastEpoch = st.lastEpoch;
    this.best = st.best;
  }
}

/** A linearly separable-ish 3-class problem: 3 Gaussian blobs in 4-D. */
export function blobs(n: number): { x: Tensor; y: Tensor } {
  const y = new Int32Array(n);
  for (let i = 0; i < n; ++i) y[i] = i % 3;
  const centers = new Float32Array(n * 4);
  for (let i = 0; i < n; ++i) centers[i * 4 + y[i]] = 3;
  const x = randn([n, 4]).add(new Tensor(centers, [n, 4]));
  return { x, y: new Tensor(y, [n]) };
}
