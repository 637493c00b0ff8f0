// A small hand-written SVG line-chart writer for training curves: panels side by side, each with
// axes, "nice" ticks, axis labels, a legend, and one polyline (with a marker per point) per
// series. Plain strings, no dependencies (not even neurite), so tests can check its output and
// the README can show the file it writes.

export interface Series {
  name: string;
  /** x and y have the same length; non-finite y values are skipped. */
  x: number[];
  y: number[];
  color: string;
  /** Dashed line (e.g. for the training curve next to a solid test curve). */
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed y range; default: the data's range, widened to nice tick values. */
  yMin?: number;
  yMax?: number;
  /** Format of y tick labels (default: the tick value with the tick step's decimals). */
  yFormat?: (v: number) => string;
  /** Corner of the plot area that holds the legend (default 'top-right'). */
  legend?: 'top-right' | 'bottom-right';
}

export interface ChartOptions {
  title?: string;
  /** Width and height of one panel in px (default 420 x 300). */
  panelWidth?: number;
  panelHeight?: number;
}

/** Tick values covering [lo, hi] with a step of 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`niceTicks: bounds must be finite, got ${lo}, ${hi}`);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v < hi + step * (1 - 1e-9); v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (v: number): string => Number(v.toFixed(2)).toString();

function panelSvg(p: Panel, ox: number, oy: number, w: number, h: number): string {
  const m = { left: 58, right: 14, top: 30, bottom: 44 };
  const pw = w - m.left - m.right;
  const ph = h - m.top - m.bottom;
  const xs = p.series.flatMap((s) => s.x);
  const ys = p.series.flatMap((s) => s.y.filter(Number.isFinite));
  if (xs.length === 0) throw new RangeError(`plot: panel "${p.title}" must have at least one point`);
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), Math.min(8, Math.max(1, new Set(xs).size - 1)));
  const yTicks = niceTicks(p.yMin ?? Math.min(...ys), p.yMax ?? Math.max(...ys), 5);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const sx = (x: number) => ox + m.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number) => oy + m.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;
  const yDec = yTicks.length > 1 ? decimalsOf(yTicks[1] - yTicks[0]) : 2;
  const yFormat = p.yFormat ?? ((v: number) => v.toFixed(yDec));
  const xDec = xTicks.length > 1 ? decimalsOf(xTicks[1] - xTicks[0]) : 0;
  const out: string[] = [`<g class="panel">`];
  out.push(
    `<text x="${fmt(ox + m.left + pw / 2)}" y="${fmt(oy + 18)}" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(p.title)}</text>`,
  );
  // grid lines and ticks
  for (const t of yTicks) {
    const y = fmt(sy(t));
    out.push(`<line x1="${fmt(ox + m.left)}" y1="${y}" x2="${fmt(ox + m.left + pw)}" y2="${y}" stroke="#e3e3e3"/>`);
    out.push(`<line x1="${fmt(ox + m.left - 5)}" y1="${y}" x2="${fmt(ox + m.left)}" y2="${y}" stroke="#333"/>`);
    out.push(`<text x="${fmt(ox + m.left - 8)}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${escapeXml(yFormat(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = fmt(sx(t));
    const yb = oy + m.top + ph;
    out.push(`<line x1="${x}" y1="${fmt(yb)}" x2="${x}" y2="${fmt(yb + 5)}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${fmt(yb + 18)}" text-anchor="middle" font-size="11">${t.toFixed(xDec)}</text>`);
  }
  // axes
  out.push(
    `<path d="M${fmt(ox + m.left)} ${fmt(oy + m.top)} V${fmt(oy + m.top + ph)} H${fmt(ox + m.left + pw)}" fill="none" stroke="#333"/>`,
  );
  out.push(
    `<text x="${fmt(ox + m.left + pw / 2)}" y="${fmt(oy + h - 6)}" text-anchor="middle" font-size="12">${escapeXml(p.xLabel)}</text>`,
  );
  const ly = oy + m.top + ph / 2;
  out.push(
    `<text x="${fmt(ox + 14)}" y="${fmt(ly)}" text-anchor="middle" font-size="12" transform="rotate(-90 ${fmt(ox + 14)} ${fmt(ly)})">${escapeXml(p.yLabel)}</text>`,
  );
  // series
  for (const s of p.series) {
    if (s.x.length !== s.y.length) {
      throw new RangeError(`plot: series "${s.name}" must have as many x as y values, got ${s.x.length} and ${s.y.length}`);
    }
    const pts = s.x.map((x, i) => [x, s.y[i]]).filter(([, y]) => Number.isFinite(y));
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`).join(' ')}"/>`,
    );
    for (const [x, y] of pts) out.push(`<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="3" fill="${s.color}"/>`);
    out.push(`</g>`);
  }
  // legend in a corner of the plot area
  const lw = 12 + 26 + 6.5 * Math.max(...p.series.map((s) => s.name.length));
  const lh = 8 + 18 * p.series.length;
  const lx = ox + m.left + pw - lw - 6;
  const top = p.legend === 'bottom-right' ? oy + m.top + ph - lh - 6 : oy + m.top + 6;
  out.push(`<g class="legend">`);
  out.push(
    `<rect x="${fmt(lx)}" y="${fmt(top)}" width="${fmt(lw)}" height="${lh}" fill="#fff" fill-opacity="0.85" stroke="#ccc"/>`,
  );
  p.series.forEach((s, i) => {
    const y = top + 13 + 18 * i;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="${fmt(lx + 6)}" y1="${fmt(y)}" x2="${fmt(lx + 30)}" y2="${fmt(y)}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${fmt(lx + 36)}" y="${fmt(y)}" dominant-baseline="middle" font-size="11">${escapeXml(s.name)}</text>`);
  });
  out.push(`</g>`, `</g>`);
  return out.join('\n');
}

/** An SVG document with the panels side by side. */
export function lineChartSvg(panels: Panel[], options: ChartOptions = {}): string {
  if (panels.length === 0) throw new RangeError('lineChartSvg: panels must hold at least one panel, got 0');
  const w = options.panelWidth ?? 420;
  const h = options.panelHeight ?? 300;
  const top = options.title ? 28 : 0;
  const width = w * panels.length;
  const height = h + top;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  if (options.title) {
    parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`);
  }
  panels.forEach((p, i) => parts.push(panelSvg(p, i * w, top, w, h)));
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** Per-epoch training curves (as neurite's fit history gives them, with epoch numbers 1-based). */
export interface Curves {
  epoch: number[];
  trainLoss: number[];
  testLoss: number[];
  trainAccuracy: number[];
  testAccuracy: number[];
}

/**
 * Two panels: loss and accuracy in % per epoch. Train values are fit's means over each epoch's
 * batches (in training mode, with dropout); test values are measured at the end of the epoch.
 */
export function trainingCurvesSvg(c: Curves, title?: string): string {
  const pct = (a: number[]) => a.map((v) => 100 * v);
  const train = '#1f77b4';
  const test = '#d62728';
  return lineChartSvg(
    [
      {
        title: 'Loss (cross-entropy)', xLabel: 'epoch', yLabel: 'loss', yMin: 0,
        series: [
          { name: 'train (epoch mean)', x: c.epoch, y: c.trainLoss, color: train, dashed: true },
          { name: 'test (end of epoch)', x: c.epoch, y: c.testLoss, color: test },
        ],
      },
      {
        title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy (%)', yMax: 100, legend: 'bottom-right',
        yFormat: (v) => `${Number(v.toFixed(2))}`,
        series: [
          { name: 'train (epoch mean)', x: c.epoch, y: pct(c.trainAccuracy), color: train, dashed: true },
          { name: 'test (end of epoch)', x: c.epoch, y: pct(c.testAccuracy), color: test },
        ],
      },
    ],
    { title },
  );
}
