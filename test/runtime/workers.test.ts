// The addon in worker_threads: one addon instance per thread sharing one native thread pool.
// Workers run probe.cjs (the built package, dist/) and must agree with the main thread; a
// worker terminated in the middle of native work must not take the process down.
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PROBE, ROOT, compareResults, parseChild, requireBuiltPackage, runNode, type ProbeReport,
} from './child';

function runWorker(workerData: object): Promise<ProbeReport> {
  return new Promise((resolve, reject) => {
    const w = new Worker(PROBE, { workerData });
    let result: ProbeReport | undefined;
    w.once('message', (m: ProbeReport) => (result = m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`worker exited with code ${code} and ${result ? 'a' : 'no'} result`));
    });
  });
}

describe('worker_threads', () => {
  let main: ProbeReport;
  beforeAll(() => {
    requireBuiltPackage();
    const { compute } = require('./probe.cjs') as { compute: (m: string) => ProbeReport };
    main = compute('full');
  });

  it('4 workers load the addon and compute matmuls and backwards at once, agreeing with the main thread', async () => {
    const reports = await Promise.all(
      [0, 1, 2, 3].map(() => runWorker({ probe: true, mode: 'full', repeat: 3 })),
    );
    for (const r of reports) {
      expect(r.backend).toEqual(main.backend);
      // same kernels, same thread count, fixed chunking: the same bits
      expect(compareResults(r.results, main.results, 0, 0)).toEqual([]);
    }
  }, 120_000);

  it('the main thread computes while workers do, and gets its own numbers', async () => {
    const workers = [0, 1].map(() => runWorker({ probe: true, mode: 'full', repeat: 5 }));
    const { compute } = require('./probe.cjs') as { compute: (m: string) => ProbeReport };
    for (let i = 0; i < 3; ++i) {
      expect(compareResults(compute('full').results, main.results, 0, 0)).toEqual([]);
    }
    for (const r of await Promise.all(workers)) {
      expect(compareResults(r.results, main.results, 0, 0)).toEqual([]);
    }
  }, 120_000);

  it('a worker can be started again after others exit (addon instances are per thread)', async () => {
    for (let i = 0; i < 3; ++i) {
      const r = await runWorker({ probe: true, mode: 'small', repeat: 1 });
      expect(r.backend.version).toBe(main.backend.version);
    }
  }, 60_000);
});

// In a child process, so that a crash shows up as a failed test rather than a lost runner.
describe('terminating workers mid-computation', () => {
  beforeAll(() => requireBuiltPackage());

  it('terminate() during large matmuls leaves the process running and computing', async () => {
    const code = `
      const { Worker } = require('node:worker_threads');
      const nt = require(${JSON.stringify(ROOT)});
      const busy = \`
        const { parentPort } = require('node:worker_threads');
        const nt = require(${JSON.stringify(ROOT)});
        const a = nt.randn([384, 384], { requiresGrad: true });
        parentPort.postMessage('started');
        for (;;) {
          const y = nt.matmul(a, a);
          nt.sum(nt.softmax(y, 1)).backward();
        }
      \`;
      async function round(delayMs) {
        const workers = [0, 1, 2, 3].map(() => new Worker(busy, { eval: true }));
        await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
        await new Promise((r) => setTimeout(r, delayMs));
        return Promise.all(workers.map((w) => w.terminate()));
      }
      (async () => {
        const codes = [];
        for (const delay of [0, 5, 50, 200]) codes.push(...(await round(delay)));
        const y = nt.matmul(nt.tensor([[1, 2], [3, 4]]), nt.tensor([[5, 6], [7, 8]]));
        process.stdout.write(JSON.stringify({ codes, y: Array.from(y.data) }));
      })();
    `;
    const r = parseChild<{ codes: number[]; y: number[] }>(await runNode(code, {}, 90_000));
    expect(r.codes).toHaveLength(16);
    expect(r.y).toEqual([19, 22, 43, 50]);
  }, 120_000);

  it('process.exit() while workers compute exits with the given code, without a crash', async () => {
    const code = `
      const { Worker } = require('node:worker_threads');
      const busy = \`
        const { parentPort } = require('node:worker_threads');
        const nt = require(${JSON.stringify(ROOT)});
        const a = nt.randn([256, 256]);
        parentPort.postMessage('started');
        for (;;) nt.matmul(a, a);
      \`;
      const workers = [0, 1, 2].map(() => new Worker(busy, { eval: true }));
      Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))))
        .then(() => setTimeout(() => process.exit(7), 20));
    `;
    const r = await runNode(code, {}, 60_000);
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({
      status: 7, signal: null, stderr: '',
    });
  }, 90_000);
});
