// The LeNet of the CNN demo (examples/demo.ts) trained briefly on part of the MNIST digits of
// the `mnist` package, with the demo's optimizer (Adam, one-cycle schedule stepped per batch).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nt from '../../lib/index';

/** As lenet() in examples/demo.ts (which imports the built package, so is not shared here). */
function lenet(): nt.nn.Sequential {
  return new nt.nn.Sequential(
    new nt.nn.Conv2d(1, 32, 3),
    new nt.nn.ReLU(),
    new nt.nn.MaxPool2d(2),
    new nt.nn.Conv2d(32, 64, 3),
    new nt.nn.ReLU(),
    new nt.nn.MaxPool2d(2),
    new nt.nn.Flatten(),
    new nt.nn.Linear(64 * 5 * 5, 128),
    new nt.nn.ReLU(),
    new nt.nn.Dropout(0.25),
    new nt.nn.Linear(128, 10),
  );
}

describe('LeNet on MNIST digits', () => {
  it('1 epoch on 2000 digits: loss falls 5x from the start, test accuracy > 90%; weights round-trip', async () => {
    nt.manualSeed(0);
    const digits = nt.datasets.mnist({ train: 2000, test: 500 });
    const standardise = ({ tensors: [x, y] }: nt.TensorDataset) =>
      new nt.TensorDataset(x.sub(0.1307).div(0.3081), y);
    const train = new nt.DataLoader(standardise(digits.train), { batchSize: 32, shuffle: true });
    const test = new nt.DataLoader(standardise(digits.test), { batchSize: 250 });
    const model = lenet();
    const optimizer = new nt.optim.Adam(model.parameters(), { lr: 3e-3 });
    const scheduler = new nt.optim.OneCycleLR(optimizer, {
      maxLr: 3e-3, epochs: 1, stepsPerEpoch: train.length, pctStart: 0.25,
    });
    const loss = (p: nt.Tensor, t: nt.Tensor) => nt.nn.functional.crossEntropy(p, t);

    const before = await nt.evaluate(model, test, { loss });
    const history = await nt.fit(model, {
      train, validation: test, loss, optimizer, epochs: 1, metrics: ['accuracy'], verbose: 0,
      callbacks: [{ onBatchEnd: () => scheduler.step() }],
    });
    expect(before.loss).toBeGreaterThan(2);
    expect(history.valLoss[0]).toBeLessThan(before.loss / 5);
    expect(history.valMetrics.accuracy[0]).toBeGreaterThan(0.9);

    // safetensors round trip into a fresh model gives the same predictions; PyTorch's names
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'neurite-lenet-')), 'lenet.safetensors');
    nt.save(model.stateDict(), file);
    const loaded = nt.load(file);
    expect(Object.keys(loaded).sort()).toEqual(
      ['0.bias', '0.weight', '10.bias', '10.weight', '3.bias', '3.weight', '7.bias', '7.weight'],
    );
    expect(loaded['3.weight'].shape).toEqual([64, 32, 3, 3]);
    const copy = lenet();
    copy.loadStateDict(loaded);
    const x = digits.test.tensors[0].narrow(0, 0, 50);
    expect(nt.predict(copy, x).toArray()).toEqual(nt.predict(model, x).toArray());
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
