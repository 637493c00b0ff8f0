// The MLP of examples/mlp-mnist.ts (784-128-10, SGD with momentum, cosine schedule) trained
// briefly on part of the MNIST digits of the `mnist` package.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nt from '../../lib/index';

function mlp(): nt.nn.Sequential {
  return new nt.nn.Sequential(
    new nt.nn.Flatten(),
    new nt.nn.Linear(784, 128),
    new nt.nn.ReLU(),
    new nt.nn.Linear(128, 10),
  );
}

describe('MLP on MNIST digits', () => {
  it('2 epochs on 4000 digits: loss falls 5x from the start, test accuracy > 90%; weights round-trip', async () => {
    nt.manualSeed(0);
    const digits = nt.datasets.mnist({ train: 4000, test: 1000 });
    const standardise = ({ tensors: [x, y] }: nt.TensorDataset) =>
      new nt.TensorDataset(x.sub(0.1307).div(0.3081), y);
    const train = new nt.DataLoader(standardise(digits.train), { batchSize: 64, shuffle: true });
    const test = new nt.DataLoader(standardise(digits.test), { batchSize: 500 });
    const model = mlp();
    const optimizer = new nt.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const scheduler = new nt.optim.CosineAnnealingLR(optimizer, { tMax: 2 });
    const loss = (p: nt.Tensor, t: nt.Tensor) => nt.nn.functional.crossEntropy(p, t);

    const before = await nt.evaluate(model, test, { loss });
    const history = await nt.fit(model, {
      train, validation: test, loss, optimizer, scheduler, epochs: 2, metrics: ['accuracy'], verbose: 0,
    });
    expect(before.loss).toBeGreaterThan(2);
    expect(history.loss[1]).toBeLessThan(before.loss / 5);
    expect(history.valMetrics.accuracy[1]).toBeGreaterThan(0.9);

    // safetensors round trip into a fresh model gives the same predictions
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'neurite-mlp-')), 'mlp.safetensors');
    nt.save(model.stateDict(), file);
    const copy = mlp();
    copy.loadStateDict(nt.load(file));
    const x = digits.test.tensors[0].narrow(0, 0, 50);
    expect(nt.predict(copy, x).toArray()).toEqual(nt.predict(model, x).toArray());
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
