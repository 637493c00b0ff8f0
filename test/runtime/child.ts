// Runs the built package (dist/, loaded through the package root) in child processes for the
// runtime tests, and compares the probe results they report (see probe.cjs).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const PROBE = path.join(__dirname, 'probe.cjs');

export interface ProbeReport {
  backend: { version: string; isa: string; threads: number };
  results: Record<string, number[]>;
}

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Throws a clear error when dist/ is missing (the child processes load the built package). */
export function requireBuiltPackage(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    throw new Error(`${ROOT}/dist/index.js is missing: run \`npm run build:ts\` first`);
  }
}

/** Environment without the variables that steer the backend, plus `env`. */
export function cleanEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.NEURITE_ISA;
  delete base.NEURITE_NUM_THREADS;
  delete base.NEURITE_MALLOC;
  return { ...base, ...env };
}

/** Runs `command args` and collects its output; SIGKILL after `timeoutMs`. */
export function run(
  command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Runs a node script given as source text (`node -e`). */
export function runNode(
  code: string, env: Record<string, string> = {}, timeoutMs = 30_000,
): Promise<ChildResult> {
  return run(process.execPath, ['-e', code], cleanEnv(env), timeoutMs);
}

function describeFailure(r: ChildResult): string {
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return `child ${how}; stderr:\n${r.stderr.trim().split('\n').slice(-15).join('\n')}`;
}

/** Parses a child's stdout as JSON, or throws with its exit status and stderr. */
export function parseChild<T>(r: ChildResult): T {
  if (r.status !== 0) throw new Error(describeFailure(r));
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`child printed no JSON: ${r.stdout.slice(0, 500)}\n${describeFailure(r)}`);
  }
}

/** Runs probe.cjs in a child node (optionally through a wrapper such as qemu). */
export async function runProbe(
  mode: 'small' | 'full', env: Record<string, string> = {},
  opts: { wrapper?: string[]; timeoutMs?: number } = {},
): Promise<ProbeReport> {
  const wrapper = opts.wrapper ?? [];
  const argv = [...wrapper, process.execPath, PROBE, mode];
  const r = await run(argv[0], argv.slice(1), cleanEnv(env), opts.timeoutMs ?? 60_000);
  return parseChild<ProbeReport>(r);
}

/** Names and worst elements of results that differ by more than atol + rtol * |b|. */
export function compareResults(
  a: Record<string, number[]>, b: Record<string, number[]>, atol: number, rtol: number,
): string[] {
  const problems: string[] = [];
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of names) {
    const x = a[name];
    const y = b[name];
    if (!x || !y) {
      problems.push(`${name}: only in ${x ? 'the first' : 'the second'} run`);
      continue;
    }
    if (x.length !== y.length) {
      problems.push(`${name}: ${x.length} values vs ${y.length}`);
      continue;
    }
    let worst = -1;
    let worstExcess = 0;
    for (let i = 0; i < x.length; ++i) {
      const excess = Math.abs(x[i] - y[i]) - (atol + rtol * Math.abs(y[i]));
      if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
        worst = i;
        worstExcess = excess;
      }
    }
    if (worst >= 0) problems.push(`${name}[${worst}]: ${x[worst]} vs ${y[worst]}`);
  }
  return problems;
}

/** True when /proc/cpuinfo lists avx512f, avx2 and fma (Linux x86-64), else false. */
export function cpuHasAvx512(): boolean {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const flags = /^flags\s*:(.*)$/m.exec(info)?.[1].split(/\s+/) ?? [];
    return flags.includes('avx512f') && flags.includes('avx2') && flags.includes('fma');
  } catch {
    return false;
  }
}

/** True when /proc/cpuinfo lists both avx2 and fma (Linux x86-64), else false. */
export function cpuHasAvx2Fma(): boolean {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const flags = /^flags\s*:(.*)$/m.exec(info)?.[1].split(/\s+/) ?? [];
    return flags.includes('avx2') && flags.includes('fma');
  } catch {
    return false;
  }
}
