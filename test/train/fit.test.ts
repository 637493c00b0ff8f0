import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  nn, optim, type Tensor, csvLogger, DataLoader, earlyStopping, evaluate, fit, load, lrSchedulerCallback, manualSeed,
  modelCheckpoint, predict, randn, TensorDataset, type Callback,
} from '../../lib/index';
import { expectClose } from '../helpers/close';
import { TOL } from '../helpers/tolerance';
import { blobs, crossEntropy, mseLoss, TinyMlp, TinySgd, TinyStepLr } from './tiny';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurite-fit-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function setup(seed = 0, n = 240) {
  manualSeed(seed);
  const { x, y } = blobs(n);
  const train = new DataLoader(new TensorDataset(x, y), { batchSize: 16, shuffle: true });
  const v = blobs(60);
  const validation = new DataLoader(new TensorDataset(v.x, v.y), { batchSize: 32 });
  const model = new TinyMlp(4, 16, 3);
  const optimizer = new TinySgd(model.parameters(), 0.05, 0.9);
  return { train, validation, model, optimizer };
}

describe('fit', () => {
  it('takes a loss module as well as a function: nn.CrossEntropyLoss gives the same history', async () => {
    const a = setup(3);
    const ha = await fit(a.model, { train: a.train, loss: crossEntropy, optimizer: a.optimizer, epochs: 2, verbose: 0 });
    const b = setup(3);
    const hb = await fit(b.model, { train: b.train, loss: new nn.CrossEntropyLoss(), optimizer: b.optimizer, epochs: 2, verbose: 0 });
    expect(hb.loss).toEqual(ha.loss);
    const e = await evaluate(b.model, b.validation, { loss: new nn.CrossEntropyLoss() });
    expect(Number.isFinite(e.loss)).toBe(true);
    await expect(fit(b.model, { train: b.train, loss: 42 as never, optimizer: b.optimizer, epochs: 1, verbose: 0 }))
      .rejects.toThrow(/fit: loss must be a function or a module with forward\(pred, target\), got number/);
  });

  it('trains a small classifier: loss falls 3x, accuracy > 0.9, history per epoch', async () => {
    const { train, validation, model, optimizer } = setup();
    const h = await fit(model, {
      train, validation, loss: crossEntropy, optimizer, epochs: 5, metrics: ['accuracy', 'f1'], verbose: 0,
    });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(h.loss.length).toBe(5);
    expect(h.valLoss.length).toBe(5);
    expect(h.loss[4]).toBeLessThan(h.loss[0] / 3);
    expect(h.metrics.accuracy[4]).toBeGreaterThan(0.9);
    expect(h.valMetrics.accuracy[4]).toBeGreaterThan(0.9);
    expect(h.valMetrics.f1[4]).toBeGreaterThan(0.9);
    expect(h.lr).toEqual([0.05, 0.05, 0.05, 0.05, 0.05]);
    expect(h.stoppedEarly).toBe(false);
    expect(model.training).toBe(true);
  });

  it('prints one summary line per epoch with loss, metrics and samples/s when not a TTY', async () => {
    const { train, validation, model, optimizer } = setup();
    const lines: string[] = [];
    await fit(model, {
      train, validation, loss: crossEntropy, optimizer, epochs: 2, metrics: ['accuracy'], log: (l) => lines.push(l),
    });
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(
      /^Epoch 1\/2 - \d+\.\ds - \d+ samples\/s - loss \d\.\d{4} - accuracy \d\.\d{4} - valLoss \d\.\d{4} - valAccuracy \d\.\d{4} - lr 0\.0500$/,
    );
    // default sink: stdout, which is not a TTY under the test runner
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const isTTY = process.stdout.isTTY;
      process.stdout.isTTY = false as unknown as true;
      await fit(model, { train, loss: crossEntropy, optimizer, epochs: 1 });
      process.stdout.isTTY = isTTY;
      expect(write.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^Epoch 1\/1 .* loss /)]);
    } finally {
      write.mockRestore();
    }
  });

  it('draws a progress bar with loss, samples/s and ETA on a TTY', async () => {
    const { train, model, optimizer } = setup();
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    const isTTY = process.stdout.isTTY;
    try {
      process.stdout.isTTY = true;
      await fit(model, { train, loss: crossEntropy, optimizer, epochs: 1, metrics: ['accuracy'] });
    } finally {
      process.stdout.isTTY = isTTY;
      write.mockRestore();
    }
    const text = out.join('');
    expect(text).toMatch(/Epoch 1\/1 \[.*\] \d+\/15 \| loss \d\.\d{4} accuracy \d\.\d{4} \| \d+ samples\/s \| ETA/);
    expect(text).toMatch(/Epoch 1\/1 - .* loss /);
  });

  it('keeps the event loop responsive: timer gaps stay within twice the longest batch', async () => {
    manualSeed(1);
    const x = randn([2048, 512]);
    const y = randn([2048, 64]);
    const train = new DataLoader(new TensorDataset(x, y), { batchSize: 256 });
    const model = new TinyMlp(512, 256, 64);
    const optimizer = new TinySgd(model.parameters(), 0.01);
    // a batch, as the event loop sees it: from one batch's end to the next (loading, forward,
    // backward, step); a fit that did not yield would leave a gap of a whole epoch
    let lastEnd = 0;
    let longestBatch = 0;
    const timing: Callback = {
      onBatchEnd() {
        const now = performance.now();
        longestBatch = Math.max(longestBatch, now - lastEnd);
        lastEnd = now;
      },
    };
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 1);
    const started = performance.now();
    lastEnd = started;
    await fit(model, { train, loss: mseLoss, optimizer, epochs: 3, verbose: 0, callbacks: [timing] });
    const ended = performance.now();
    clearInterval(timer);
    const inside = [started, ...ticks.filter((t) => t >= started && t <= ended), ended];
    let longestGap = 0;
    for (let i = 1; i < inside.length; ++i) longestGap = Math.max(longestGap, inside[i] - inside[i - 1]);
    expect(ticks.length).toBeGreaterThanOrEqual(23); // a tick between every two of the 24 batches
    expect(longestGap).toBeLessThanOrEqual(2 * longestBatch);
  });

  it('rejects bad options and batches, naming them', async () => {
    const { train, model, optimizer } = setup();
    await expect(fit(model, { train, loss: crossEntropy, optimizer, epochs: -1 })).rejects.toThrow(
      /fit: epochs must be an integer >= 0, got -1/,
    );
    const single = new DataLoader(new TensorDataset(randn([4, 4])), { batchSize: 2 });
    await expect(fit(model, { train: single, loss: crossEntropy, optimizer, epochs: 1, verbose: 0 })).rejects.toThrow(
      /fit: each batch must be \[input, target\] Tensors or \{ x, y \}, got an array of 1/,
    );
    await expect(
      fit(model, { train, loss: (p) => p, optimizer, epochs: 1, verbose: 0 }),
    ).rejects.toThrow(/fit: loss must return a one-element Tensor, got shape \[16, 3\]/);
  });
});

describe('evaluate and predict', () => {
  it('run in eval mode without gradients and restore the training mode', async () => {
    const { validation, model } = setup();
    let seenTraining: boolean | undefined;
    const forward = model.forward.bind(model);
    model.forward = (t) => {
      seenTraining = model.training;
      return forward(t);
    };
    const r = await evaluate(model, validation, { loss: crossEntropy, metrics: ['accuracy'] });
    expect(seenTraining).toBe(false);
    expect(model.training).toBe(true);
    expect(r.loss).toBeGreaterThan(0);
    expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0);
    const x = randn([10, 4]);
    const whole = predict(model, x);
    expect(whole.requiresGrad).toBe(false);
    expect(whole.shape).toEqual([10, 3]);
    expectClose(predict(model, x, { batchSize: 3 }), whole, TOL.value);
    const fromLoader = predict(model, new DataLoader(new TensorDataset(x), { batchSize: 4 }));
    expectClose(fromLoader, whole, TOL.value);
    model.eval();
    predict(model, x);
    expect(model.training).toBe(false);
  });
});

describe('callbacks', () => {
  it('are called in order: train begin, epoch begin, batch end x B, epoch end, train end', async () => {
    const { train, model, optimizer } = setup(0, 48);
    const calls: string[] = [];
    const cb: Callback = {
      onTrainBegin: () => void calls.push('trainBegin'),
      onEpochBegin: (e) => void calls.push(`epochBegin ${e}`),
      onBatchEnd: (b, logs) => void calls.push(`batch ${b} ${logs.size}`),
      onEpochEnd: async (e, logs) => {
        await new Promise((r) => setTimeout(r, 1));
        calls.push(`epochEnd ${e} ${typeof logs.loss}`);
      },
      onTrainEnd: (logs) => void calls.push(`trainEnd ${logs !== null}`),
    };
    await fit(model, { train, loss: crossEntropy, optimizer, epochs: 2, callbacks: [cb], verbose: 0 });
    expect(calls).toEqual([
      'trainBegin',
      'epochBegin 0', 'batch 0 16', 'batch 1 16', 'batch 2 16', 'epochEnd 0 number',
      'epochBegin 1', 'batch 0 16', 'batch 1 16', 'batch 2 16', 'epochEnd 1 number',
      'trainEnd true',
    ]);
  });

  it('earlyStopping stops after `patience` epochs without improvement and restores the best weights', async () => {
    const { train, validation, model, optimizer } = setup();
    // the monitored value improves at epochs 0 and 1, then gets worse
    const fake = [1, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
    let snapshotAtBest: number[] = [];
    const inject: Callback = {
      onEpochEnd(epoch, logs) {
        logs.valLoss = fake[epoch];
        if (epoch === 1) snapshotAtBest = Array.from(model.params['0.weight'].data);
      },
    };
    const stopper = earlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    const h = await fit(model, {
      train, validation, loss: crossEntropy, optimizer, epochs: 7, callbacks: [inject, stopper], verbose: 0,
    });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(h.stoppedEarly).toBe(true);
    expect(stopper.bestEpoch).toBe(1);
    expect(stopper.stoppedEpoch).toBe(3);
    expect(Array.from(model.params['0.weight'].data)).toEqual(snapshotAtBest);
  });

  it('earlyStopping in max mode with minDelta, and a clear error for a missing monitor', async () => {
    const { train, model, optimizer } = setup(0, 48);
    const acc = [0.5, 0.505, 0.509, 0.6];
    const inject: Callback = { onEpochEnd: (e, logs) => void (logs.accuracy = acc[e]) };
    const h = await fit(model, {
      train, loss: crossEntropy, optimizer, epochs: 4, verbose: 0,
      callbacks: [inject, earlyStopping({ monitor: 'accuracy', patience: 1, minDelta: 0.01 })],
    });
    expect(h.epoch).toEqual([0, 1]);
    await expect(
      fit(model, { train, loss: crossEntropy, optimizer, epochs: 1, verbose: 0, callbacks: [earlyStopping()] }),
    ).rejects.toThrow(/earlyStopping: monitor must name a logged value \(loss, lr, seconds, samplesPerSecond\), got "valLoss" \(did fit get validation data\?\)/);
  });

  it('modelCheckpoint writes every epoch, or only improvements with saveBestOnly', async () => {
    const { train, validation, model, optimizer } = setup(0, 48);
    const fake = [1, 2, 0.5];
    const inject: Callback = { onEpochEnd: (e, logs) => void (logs.valLoss = fake[e]) };
    await fit(model, {
      train, validation, loss: crossEntropy, optimizer, epochs: 3, verbose: 0,
      callbacks: [
        inject,
        modelCheckpoint({ path: path.join(dir, 'every-{epoch}.safetensors') }),
        modelCheckpoint({ path: path.join(dir, 'best-{epoch}-{valLoss}.safetensors'), saveBestOnly: true }),
      ],
    });
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
    expect(files).toEqual([
      'best-1-1.0000.safetensors', 'best-3-0.5000.safetensors',
      'every-1.safetensors', 'every-2.safetensors', 'every-3.safetensors',
    ]);
    const saved = load(path.join(dir, 'every-3.safetensors'));
    expect(Array.from(saved['2.bias'].data)).toEqual(Array.from(model.params['2.bias'].data));
  });

  it('csvLogger writes a header and one row per epoch', async () => {
    const { train, validation, model, optimizer } = setup(0, 48);
    const file = path.join(dir, 'log.csv');
    await fit(model, {
      train, validation, loss: crossEntropy, optimizer, epochs: 2, metrics: ['accuracy'], verbose: 0,
      callbacks: [csvLogger(file)],
    });
    const rows = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('epoch,loss,accuracy,valLoss,valAccuracy,lr,seconds,samplesPerSecond');
    expect(rows.length).toBe(3);
    expect(rows[2].split(',')[0]).toBe('1');
    expect(Number(rows[2].split(',')[1])).toBeGreaterThan(0);
  });

  it('the scheduler steps once per epoch, with the monitored value when asked', async () => {
    const { train, validation, model, optimizer } = setup(0, 48);
    const scheduler = new TinyStepLr(optimizer, 0.5);
    const h = await fit(model, { train, loss: crossEntropy, optimizer, epochs: 3, scheduler, verbose: 0 });
    expect(h.lr).toEqual([0.05, 0.025, 0.0125]);
    expect(scheduler.steps).toEqual([undefined, undefined, undefined]);
    const plateau = new TinyStepLr(optimizer, 0.5);
    const h2 = await fit(model, {
      train, validation, loss: crossEntropy, optimizer, epochs: 2, verbose: 0,
      callbacks: [lrSchedulerCallback(plateau, { monitor: 'valLoss' })],
    });
    expect(plateau.steps).toEqual(h2.valLoss);
  });

  it('ReduceLROnPlateau as fit\'s scheduler gets valLoss each epoch', async () => {
    const { train, validation, model } = setup(0, 48);
    const sgd = new optim.SGD(model.parameters(), { lr: 0.1 });
    const plateau = new optim.ReduceLROnPlateau(sgd, { patience: 0, factor: 0.5 });
    const seen: number[] = [];
    const step = plateau.step.bind(plateau);
    plateau.step = (m: number | Tensor) => {
      seen.push(m as number);
      step(m);
    };
    const h = await fit(model, { train, validation, loss: crossEntropy, optimizer: sgd, scheduler: plateau, epochs: 2, verbose: 0 });
    expect(seen).toEqual(h.valLoss);
  });
});
