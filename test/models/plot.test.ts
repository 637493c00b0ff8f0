// The SVG writer of examples/plot.ts (training curves of the demo): well-formed XML, one
// polyline and one marker per point for every series, ticks on nice values.
import { describe, expect, it } from 'vitest';
import { lineChartSvg, niceTicks, trainingCurvesSvg } from '../../examples/plot';

/** Checks tags nest and close, attributes are quoted, and returns the element names seen. */
function parseXml(svg: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const body = svg.replace(/>[^<]*</g, '><'); // drop text between tags
  const tags = body.match(/<[^>]*>/g) ?? [];
  expect(tags.join('')).toBe(body.trim()); // nothing outside tags
  for (const tag of tags) {
    const close = /^<\/([\w-]+)\s*>$/.exec(tag);
    if (close) {
      expect(stack.pop()).toBe(close[1]);
      continue;
    }
    const open = /^<([\w-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(tag);
    expect(open, `malformed tag ${tag}`).not.toBeNull();
    names.push(open![1]);
    if (open![3] !== '/') stack.push(open![1]);
  }
  expect(stack).toEqual([]);
  return names;
}

const curves = {
  epoch: [1, 2, 3, 4, 5],
  trainLoss: [0.8, 0.16, 0.08, 0.045, 0.025],
  testLoss: [0.17, 0.12, 0.07, 0.048, 0.048],
  trainAccuracy: [0.75, 0.95, 0.972, 0.986, 0.994],
  testAccuracy: [0.95, 0.958, 0.976, 0.984, 0.983],
};

describe('training-curves SVG', () => {
  it('is a well-formed SVG with 2 panels, 4 series and 5 points per series', () => {
    const svg = trainingCurvesSvg(curves, 'LeNet <test> & "curves"');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    const names = parseXml(svg);
    expect(names[0]).toBe('svg');
    expect(names.filter((n) => n === 'svg')).toHaveLength(1);
    expect(svg.match(/<g class="panel">/g)).toHaveLength(2);
    const polylines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1].split(' '));
    expect(polylines).toHaveLength(4);
    for (const pts of polylines) {
      expect(pts).toHaveLength(5);
      for (const p of pts) expect(p).toMatch(/^-?\d+(\.\d+)?,-?\d+(\.\d+)?$/);
    }
    expect(names.filter((n) => n === 'circle')).toHaveLength(20);
    // a legend entry per series, axis labels, and the escaped title
    expect(svg.match(/<g class="legend">/g)).toHaveLength(2);
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>accuracy (%)</text>');
    expect(svg).toContain('LeNet &lt;test&gt; &amp; &quot;curves&quot;');
  });

  it('maps larger values higher up and keeps every point inside its panel', () => {
    const svg = lineChartSvg(
      [{ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [0, 1, 2], y: [1, 3, 2], color: '#000' }] }],
      { panelWidth: 400, panelHeight: 300 },
    );
    const pts = /points="([^"]*)"/.exec(svg)![1].split(' ').map((p) => p.split(',').map(Number));
    expect(pts[0][0]).toBeLessThan(pts[1][0]);
    expect(pts[1][1]).toBeLessThan(pts[2][1]); // y = 3 is drawn above y = 2
    expect(pts[2][1]).toBeLessThan(pts[0][1]);
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(400);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(300);
    }
  });

  it('skips non-finite values and rejects mismatched series', () => {
    const svg = lineChartSvg([
      { title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [1, 2, 3], y: [1, NaN, 2], color: '#000' }] },
    ]);
    expect(/points="([^"]*)"/.exec(svg)![1].split(' ')).toHaveLength(2);
    expect(() =>
      lineChartSvg([{ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [1, 2], y: [1], color: '#000' }] }]),
    ).toThrow(/series "s" must have as many x as y values, got 2 and 1/);
    expect(() => lineChartSvg([])).toThrow(RangeError);
  });

  it('niceTicks covers the range with steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 5, 4)).toEqual([1, 2, 3, 4, 5]);
    expect(niceTicks(95.1, 99.4, 5)).toEqual([95, 96, 97, 98, 99, 100]);
    expect(niceTicks(0.023, 0.87, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const t = niceTicks(3, 3);
    expect(t[0]).toBeLessThanOrEqual(3);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(3);
  });
});
