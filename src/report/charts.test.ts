import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { chartFonts, renderSeriesChart, seriesChartSpec, seriesChartSvg, type SeriesChartInput } from './charts.js';
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

  it('renders a single series and an empty chart without failing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'charts-'));
    dirs.push(dir);
    await renderSeriesChart({ title: 'orders-db pool', series: [series('orders-db', 'pool_utilization', (i) => i / 60)] }, path.join(dir, 'a.png'));
    await renderSeriesChart({ title: 'nothing', series: [], markers: [{ ts: min(0), label: 'alert' }] }, path.join(dir, 'b.png'));
    expect(pngSize(await readFile(path.join(dir, 'b.png'))).width).toBe(900);
  });
});
