import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  nn, optim, DataLoader, fit, getRngState, loadCheckpoint, loadFile, manualSeed, modelCheckpoint, randn,
  saveCheckpoint, save, tensor, TensorDataset,
} from '../../lib/index';
import { blobs, crossEntropy, TinyMlp, TinySgd, TinyStepLr } from './tiny';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurite-ckpt-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Data, loader, model, optimizer and scheduler, all drawn from the global generator. */
function build(seed: number | undefined) {
  manualSeed(0);
  const { x, y } = blobs(120);
  const train = new DataLoader(new TensorDataset(x, y), { batchSize: 16, shuffle: true, seed });
  const model = new TinyMlp(4, 8, 3);
  const optimizer = new TinySgd(model.parameters(), 0.05, 0.9);
  const scheduler = new TinyStepLr(optimizer, 0.8);
  return { train, model, optimizer, scheduler };
}

function params(m: TinyMlp): number[][] {
  return Object.values(m.params).map((t) => Array.from(t.data));
}

describe('checkpoints', () => {
  for (const seed of [undefined, 11]) {
    const how = seed === undefined ? 'global-generator shuffle' : 'seeded shuffle';
    it(`resuming from epoch 2 of 5 gives exactly the uninterrupted parameters (${how})`, async () => {
      const a = build(seed);
      await fit(a.model, { ...a, loss: crossEntropy, epochs: 5, verbose: 0 });

      const b = build(seed);
      const file = path.join(dir, `resume-${seed}-{epoch}.safetensors`);
      await fit(b.model, {
        ...b, loss: crossEntropy, epochs: 2, verbose: 0,
        callbacks: [modelCheckpoint({ path: file, saveWeightsOnly: false })],
      });

      // a fresh process: other draws move the generator, new objects start elsewhere
      manualSeed(999);
      randn([17]);
      const c = build(seed);
      randn([5]);
      const { epoch } = loadCheckpoint(file.replace('{epoch}', '2'), c);
      expect(epoch).toBe(2);
      expect(c.optimizer.paramGroups[0].lr).toBeCloseTo(0.05 * 0.8 * 0.8, 12);
      expect(c.scheduler.lastEpoch).toBe(2);
      await fit(c.model, { ...c, loss: crossEntropy, epochs: 5, initialEpoch: epoch, verbose: 0 });
      expect(params(c.model)).toEqual(params(a.model));
    });
  }

  it('resumes nn.Sequential with Dropout, Adam and StepLR exactly', async () => {
    const make = () => {
      manualSeed(3);
      const { x, y } = blobs(96);
      const train = new DataLoader(new TensorDataset(x, y), { batchSize: 16, shuffle: true });
      const model = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 3));
      const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
      const scheduler = new optim.StepLR(optimizer, { stepSize: 1, gamma: 0.7 });
      return { train, model, optimizer, scheduler, loss: nn.functional.crossEntropy };
    };
    const flat = (m: nn.Module) => m.parameters().map((p) => Array.from(p.data));
    const a = make();
    await fit(a.model, { ...a, epochs: 4, verbose: 0 });
    const b = make();
    await fit(b.model, { ...b, epochs: 1, verbose: 0 });
    const file = path.join(dir, 'adam.safetensors');
    saveCheckpoint(file, { model: b.model, optimizer: b.optimizer, scheduler: b.scheduler, epoch: 1 });
    randn([9]);
    const c = make();
    const { epoch } = loadCheckpoint(file, c);
    await fit(c.model, { ...c, epochs: 4, initialEpoch: epoch, verbose: 0 });
    expect(flat(c.model)).toEqual(flat(a.model));
    expect(c.optimizer.paramGroups[0].lr).toBe(a.optimizer.paramGroups[0].lr);
  });

  it('stores model tensors, optimizer tensors and state as JSON, the epoch, extra and RNG state', () => {
    const { model, optimizer, scheduler } = build(undefined);
    optimizer.state.set(1, tensor([1, 2, 3]));
    scheduler.best = Infinity;
    manualSeed(5);
    const rng = getRngState();
    const file = path.join(dir, 'parts.safetensors');
    saveCheckpoint(file, { model, optimizer, scheduler, epoch: 7, extra: { note: 'x', ids: tensor(Int32Array.of(4)), nan: NaN } });
    const { tensors, metadata } = loadFile(file);
    expect(Object.keys(tensors).sort()).toEqual([
      'extra/ids', 'model/0.bias', 'model/0.weight', 'model/2.bias', 'model/2.weight',
      'optimizer/state/1/momentumBuffer',
    ]);
    expect(metadata.epoch).toBe('7');
    expect(JSON.parse(metadata.rng)).toEqual(Array.from(rng));
    expect(JSON.parse(metadata.scheduler)).toEqual({ lastEpoch: 0, best: { __number__: 'Infinity' } });

    randn([3]);
    const fresh = build(undefined);
    fresh.scheduler.best = 0;
    const out = loadCheckpoint(file, fresh);
    expect(getRngState()).toEqual(rng);
    expect(fresh.scheduler.best).toBe(Infinity);
    expect(Array.from(fresh.optimizer.state.get(1)!.data)).toEqual([1, 2, 3]);
    const extra = out.extra as { note: string; ids: { data: Int32Array }; nan: number };
    expect(extra.note).toBe('x');
    expect(Array.from(extra.ids.data)).toEqual([4]);
    expect(extra.nan).toBeNaN();
  });

  it('rejects a file that is not a checkpoint, and a missing part', () => {
    const plain = path.join(dir, 'plain.safetensors');
    save({ w: tensor([1]) }, plain);
    const { model, optimizer } = build(undefined);
    expect(() => loadCheckpoint(plain, { model })).toThrow(
      /loadCheckpoint: .*plain.safetensors: format must be neurite.checkpoint.v1, got undefined/,
    );
    const file = path.join(dir, 'noopt.safetensors');
    saveCheckpoint(file, { model, epoch: 1 });
    expect(() => loadCheckpoint(file, { model, optimizer })).toThrow(/holds no optimizer state/);
    expect(() => saveCheckpoint(file, { model, epoch: -1 })).toThrow(/epoch must be an integer >= 0, got -1/);
  });
});
