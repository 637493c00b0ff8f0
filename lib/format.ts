// toString for tensors, printed like PyTorch: tensor([[1., 2.],\n        [3., 4.]]) with
// 4 decimals, scientific notation for wide ranges, and "..." past 1000 elements.
import type { Tensor } from './tensor';

const EDGE = 3;
const THRESHOLD = 1000;

function formatter(values: number[], dtype: string): (v: number) => string {
  if (dtype === 'bool') return (v) => (v ? 'True' : 'False');
  if (dtype === 'int32') return (v) => String(v);
  const finite = values.filter((v) => Number.isFinite(v));
  const abs = finite.map(Math.abs).filter((v) => v !== 0);
  const allInt = finite.every((v) => Number.isInteger(v));
  const maxAbs = abs.length ? Math.max(...abs) : 0;
  const minAbs = abs.length ? Math.min(...abs) : 0;
  const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  if (allInt) {
    if (maxAbs >= 1e8) return (v) => (Number.isFinite(v) ? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : special(v));
    return (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : special(v));
  }
  if (maxAbs / (minAbs || 1) > 1000 || maxAbs >= 1e8 || (minAbs > 0 && minAbs < 1e-4)) {
    return (v) => (Number.isFinite(v) ? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : special(v));
  }
  return (v) => (Number.isFinite(v) ? v.toFixed(4) : special(v));
}

export function formatTensor(t: Tensor): string {
  const summarize = t.size > THRESHOLD;
  const data = t.data;
  const shape = t.shape;
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d];
  }
  // values that will be printed decide the format
  const shown: number[] = [];
  const visit = (dim: number, offset: number) => {
    if (dim === shape.length) {
      shown.push(data[offset]);
      return;
    }
    const n = shape[dim];
    const idx = summarize && n > 2 * EDGE ? [...Array(EDGE).keys(), ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
    for (const i of idx) visit(dim + 1, offset + i * strides[dim]);
  };
  visit(0, 0);
  const fmt = formatter(shown, t.dtype);
  const width = Math.max(0, ...shown.map((v) => fmt(v).length));
  const indent = 'tensor('.length;
  const render = (dim: number, offset: number): string => {
    if (dim === shape.length) return fmt(data[offset]).padStart(width);
    const n = shape[dim];
    const parts: string[] = [];
    const elide = summarize && n > 2 * EDGE;
    for (let i = 0; i < n; ++i) {
      if (elide && i === EDGE) {
        parts.push('...');
        i = n - EDGE - 1;
        continue;
      }
      parts.push(render(dim + 1, offset + i * strides[dim]));
    }
    if (dim === shape.length - 1) return `[${parts.join(', ')}]`;
    const sep = ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + dim + 1);
    return `[${parts.join(sep)}]`;
  };
  const body = shape.length === 0 ? fmt(data[0]) : render(0, 0);
  const extras: string[] = [];
  if (t.size === 0) extras.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  if (t.dtype === 'int32') extras.push('dtype=neurite.int32');
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
