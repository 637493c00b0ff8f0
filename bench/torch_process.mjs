// The PyTorch side of the training benchmarks (lenet.mjs, mlp_epoch.mjs): a long-lived
// /usr/bin/python3 process that receives one JSON config line, answers with a JSON hello
// ({ torch: version }), then answers each command line (e.g. 'round', 'epoch') with one JSON
// line, so neurite and PyTorch rounds can be interleaved in one run.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

export const PYTHON = '/usr/bin/python3';

/** Whether /usr/bin/python3 can import torch. */
export function torchAvailable() {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts `script` with the thread count and OpenMP wait policy given, sends `config`, waits
 * for its hello. Returns { version, request(command), close() }.
 */
export async function startTorchProcess(script, { threads, ompWait, config, name }) {
  const env = {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
    OMP_WAIT_POLICY: ompWait,
  };
  const child = spawn(PYTHON, [script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${name}: ${script} exited early:\n${stderr.trim()}`);
    return JSON.parse(value);
  };
  child.stdin.write(JSON.stringify(config) + '\n');
  const hello = await next();
  return {
    version: hello.torch,
    request: async (command) => {
      child.stdin.write(`${command}\n`);
      return next();
    },
    close: () => child.stdin.end(),
  };
}
