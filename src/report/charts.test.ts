import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { chartFonts, renderSeriesChart, seriesChartSpec, seriesChartSvg, VEGA_CHAR_WIDTH_EM, wrapTitle, type SeriesChartInput } from './charts.js';
import { min, series } from './test-fixtures.js';

const input: SeriesChartInput = {
  title: 'payment error_rate around the incident',
  series: [
    series('payment', 'error_rate', (i) => (i >= 5 && i < 12 ? 0.12 : 0.01)),
    series('checkout', 'error_rate', (i) => (i >= 6 && i < 12 ? 0.05 : 0.008)),
  ],
  markers: [
    { ts: min(5), label: 'fault onset' },
    { ts: min(7), label: 'alert' },
    { ts: min(12), label: 'fix' },
  ],
  band: { from: min(5), to: min(12) },
};

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * The chart title as the SVG places it: the sum of the translations of the groups around it, its font size and lines.
 * Its right edge uses Vega's own width estimate, which is wider than the drawn text, so "inside" by it is inside.
 */
function titleBox(svg: string): { top: number; left: number; right: number; viewWidth: number; lines: string[] } {
  const [, viewWidth] = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg)!.map(Number);
  const at = svg.indexOf('role-title-text');
  expect(at).toBeGreaterThan(0);
  const offset = { x: 0, y: 0 };
  const open: { x: number; y: number }[] = [];
  for (const m of svg.slice(0, at).matchAll(/<(\/?)g\b([^>]*)>/g)) {
    if (m[1]) {
      const t = open.pop()!;
      offset.x -= t.x;
      offset.y -= t.y;
      continue;
    }
    const t = /transform="translate\(([-\d.e]+),([-\d.e]+)\)"/.exec(m[2]!);
    const shift = t ? { x: Number(t[1]), y: Number(t[2]) } : { x: 0, y: 0 };
    offset.x += shift.x;
    offset.y += shift.y;
    open.push(shift);
  }
  const text = /<text([^>]*)>(.*?)<\/text>/.exec(svg.slice(at))!;
  const fontSize = Number(/font-size="([\d.]+)px"/.exec(text[1]!)![1]);
  const baseline = Number(/translate\(0,([-\d.]+)\)/.exec(text[1]!)![1]);
  const lines = text[2]!.includes('<tspan') ? [...text[2]!.matchAll(/<tspan[^>]*>(.*?)<\/tspan>/g)].map((l) => l[1]!) : [text[2]!];
  const widest = Math.max(...lines.map((l) => l.length)) * VEGA_CHAR_WIDTH_EM * fontSize;
  return { top: offset.y + baseline - fontSize, left: offset.x, right: offset.x + widest, viewWidth: viewWidth!, lines };
}

describe('charts', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('builds a layered Vega-Lite spec: band, lines, marker rules and labels', () => {
    const spec = seriesChartSpec(input) as unknown as { layer: { mark?: { type: string }; layer?: { mark: { type: string } }[] }[] };
    const marks = spec.layer.flatMap((l) => (l.layer ? l.layer.map((x) => x.mark.type) : [l.mark!.type]));
    expect(marks).toEqual(['rect', 'line', 'rule', 'text', 'text']);
  });

  it('renders SVG with the title, axis labels in UTC and marker labels', async () => {
    const svg = await seriesChartSvg(input);
    expect(svg).toContain('payment error_rate around the incident');
    expect(svg).toContain('fault onset');
    expect(svg).toContain('09:00');
    expect(svg).toContain('payment · error_rate');
  });

  it('writes a ~900×300 PNG whose text is drawn', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'charts-'));
    dirs.push(dir);
    const file = path.join(dir, 'nested', 'chart.png');
    await renderSeriesChart(input, file);
    const png = await readFile(file);
    expect(pngSize(png)).toEqual({ width: 900, height: 300 });

    // Text must produce ink with the font the charts pick (resvg draws nothing when no font resolves).
    const fonts = chartFonts();
    const probe = `<svg xmlns="http://www.w3.org/2000/svg" width="80" height="24"><text x="2" y="18" font-family="${fonts.family.replace(/"/g, '')}" font-size="16">Hg09</text></svg>`;
    const img = new Resvg(probe, { font: { loadSystemFonts: true, ...(fonts.primary ? { defaultFontFamily: fonts.primary } : {}) } }).render();
    let ink = 0;
    for (let i = 3; i < img.pixels.length; i += 4) if (img.pixels[i]! > 0) ink++;
    expect(ink).toBeGreaterThan(50);
  });

  it('keeps every title whole and inside the chart: a long y-axis title, a long title, two series', async () => {
    const longTitle = 'Root cause: checkout-service-eu-west-1 db_connection_pool_utilization over the incident window and after the fix was applied';
    const cases: SeriesChartInput[] = [
      // the report's second chart was clipped: its rotated y-axis title, longer than the plot, pushed the title off the top
      { ...input, title: 'business payment_success_rate', series: [series('business', 'payment_success_rate', (i) => (i >= 5 && i < 12 ? 0.5 : 0.97))] },
      { ...input, title: longTitle, series: [series('checkout-service-eu-west-1', 'db_connection_pool_utilization', (i) => i / 60)] },
      input,
    ];
    for (const c of cases) {
      const box = titleBox(await seriesChartSvg(c));
      expect(box.top, c.title).toBeGreaterThanOrEqual(0);
      expect(box.left, c.title).toBeGreaterThanOrEqual(0);
      expect(box.right, c.title).toBeLessThanOrEqual(box.viewWidth);
      expect(box.lines.join(' '), c.title).toBe(c.title);
    }
  });

  it('wraps long titles at spaces, cuts overlong words, and ends a fourth line with an ellipsis', () => {
    expect(wrapTitle('payment error_rate', 40)).toEqual(['payment error_rate']);
    expect(wrapTitle('aaaa bbbb cccc', 9)).toEqual(['aaaa bbbb', 'cccc']);
    expect(wrapTitle('abcdefghijklmnopqrst', 8)).toEqual(['abcdefgh', 'ijklmnop', 'qrst']);
    const many = wrapTitle('one two three four five six seven eight nine ten eleven', 10);
    expect(many).toHaveLength(3);
    expect(many[2]!.endsWith('…')).toBe(true);
    expect(wrapTitle('', 10)).toEqual(['']);
  });

  it('renders a single series and an empty chart without failing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'charts-'));
    dirs.push(dir);
    await renderSeriesChart({ title: 'orders-db pool', series: [series('orders-db', 'pool_utilization', (i) => i / 60)] }, path.join(dir, 'a.png'));
    await renderSeriesChart({ title: 'nothing', series: [], markers: [{ ts: min(0), label: 'alert' }] }, path.join(dir, 'b.png'));
    expect(pngSize(await readFile(path.join(dir, 'b.png'))).width).toBe(900);
  });
});
