// toString for tensors, printed as PyTorch's str(): tensor([[1., 2.],\n        [3., 4.]]) with
// 4 decimals, scientific notation for wide ranges, rows wrapped at 80 columns and "..." past
// 1000 elements. Follows torch/_tensor_str.py (precision 4, threshold 1000, edgeitems 3,
// linewidth 80), including Python's rounding of exact ties to even.
import type { Tensor } from './tensor';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE = 3;
const LINEWIDTH = 80;

function signOf(v: number): string {
  return v < 0 || Object.is(v, -0) ? '-' : '';
}

/** True when a >= 0 lies exactly halfway between two integers and the lower one is even:
 *  Python rounds such ties down (to even) where toFixed/toExponential round up. */
function tieToEvenBelow(scaled: number): boolean {
  const low = Math.floor(scaled);
  return scaled - low === 0.5 && low % 2 === 0;
}

/** Python's '{:.Nf}'. a * 10^N is exact for float32 values, so ties are seen exactly. */
function fixed(v: number, digits: number): string {
  const a = Math.abs(v);
  const down = tieToEvenBelow(a * 10 ** digits);
  return signOf(v) + (down ? a - 0.5 * 10 ** -digits : a).toFixed(digits);
}

/** Python's '{:.Ne}': at least two exponent digits, ties to even. */
function scientific(v: number, digits: number): string {
  const a = Math.abs(v);
  let text = a.toExponential(digits);
  const e = Number(text.slice(text.indexOf('e') + 1));
  const shift = digits - e;
  if (shift <= 22) {
    const scaled = shift >= 0 ? a * 10 ** shift : a / 10 ** -shift;
    if (tieToEvenBelow(scaled)) text = (a - 0.5 * 10 ** -shift).toExponential(digits);
  }
  return signOf(v) + text.replace(/e([+-])(\d)$/, 'e$10$2');
}

function special(v: number): string {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

interface Formatter {
  width: number;
  text(v: number): string;
}

/** torch's _Formatter: one notation and width for all printed values of a tensor. */
function formatter(values: number[], dtype: string): Formatter {
  if (dtype !== 'float32') {
    const text = (v: number) => (dtype === 'bool' ? (v ? 'True' : 'False') : String(v));
    return { width: Math.max(1, ...values.map((v) => text(v).length)), text };
  }
  const nonzero = values.filter((v) => Number.isFinite(v) && v !== 0);
  let text = (v: number) => (Number.isFinite(v) ? `${fixed(v, 0)}.` : special(v));
  if (nonzero.length === 0) return { width: 1, text };
  let min = Infinity;
  let max = 0;
  for (const v of nonzero) {
    min = Math.min(min, Math.abs(v));
    max = Math.max(max, Math.abs(v));
  }
  const intMode = nonzero.every((v) => Number.isInteger(v));
  if (max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4)) {
    text = (v) => (Number.isFinite(v) ? scientific(v, PRECISION) : special(v));
  } else if (!intMode) {
    text = (v) => (Number.isFinite(v) ? fixed(v, PRECISION) : special(v));
  }
  let width = 1;
  for (const v of nonzero) width = Math.max(width, text(v).length);
  return { width, text };
}

/** PyTorch's _add_suffixes: ", dtype=..." after the closing bracket, on a new line when it
 *  would pass the line width. */
function addSuffixes(text: string, suffixes: string[], indent: number): string {
  let out = text;
  let lastLine = text.length - text.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > LINEWIDTH) {
      out += `,\n${' '.repeat(indent)}${s}`;
      lastLine = indent + s.length;
    } else {
      out += `, ${s}`;
      lastLine += s.length + 2;
    }
  }
  return `${out})`;
}

/** str(t) as PyTorch prints it, with neurite's names in the suffixes (dtype=neurite.int32,
 *  gradFn=<mul>, requiresGrad=true). Backs Tensor.toString. */
export function formatTensor(t: Tensor): string {
  const prefix = 'tensor(';
  const data = t.data;
  const shape = t.shape;
  const rank = shape.length;
  const summarize = t.size > THRESHOLD;
  const strides: number[] = [];
  for (let d = rank - 1, s = 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d];
  }
  // the indices printed along a dim of size n; -1 marks the "..."
  const shownIndices = (n: number): number[] =>
    summarize && n > 2 * EDGE
      ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)]
      : [...Array(n).keys()];

  const shown: number[] = [];
  const visit = (dim: number, offset: number): void => {
    if (dim === rank) {
      shown.push(data[offset]);
      return;
    }
    for (const i of shownIndices(shape[dim])) {
      if (i >= 0) visit(dim + 1, offset + i * strides[dim]);
    }
  };
  visit(0, 0);
  const fmt = formatter(shown, t.dtype);
  const cell = (v: number) => fmt.text(v).padStart(fmt.width);

  const render = (dim: number, offset: number, indent: number): string => {
    const idx = shownIndices(shape[dim]);
    if (dim === rank - 1) {
      const items = idx.map((i) => (i < 0 ? ' ...' : cell(data[offset + i * strides[dim]])));
      const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (fmt.width + 2)));
      const lines: string[] = [];
      for (let k = 0; k < items.length; k += perLine) {
        lines.push(items.slice(k, k + perLine).join(', '));
      }
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const parts = idx.map((i) =>
      i < 0 ? '...' : render(dim + 1, offset + i * strides[dim], indent + 1),
    );
    return `[${parts.join(`,${'\n'.repeat(rank - dim - 1)}${' '.repeat(indent + 1)}`)}]`;
  };

  const suffixes: string[] = [];
  let body: string;
  if (t.size === 0) {
    body = '[]';
    if (rank !== 1) suffixes.push(`size=(${shape.join(', ')})`);
    if (t.dtype !== 'float32') suffixes.push(`dtype=neurite.${t.dtype}`);
  } else {
    body = rank === 0 ? cell(data[0]) : render(0, 0, prefix.length);
    if (t.dtype === 'int32') suffixes.push('dtype=neurite.int32');
  }
  if (t.gradFn) suffixes.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return addSuffixes(prefix + body, suffixes, prefix.length);
}
