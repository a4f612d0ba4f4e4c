import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import type { Loader } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { processSettings } from '../config.js';
import type { MetricSeries } from '../model/telemetry.js';

export interface ChartMarker {
  ts: number;
  label: string;
}

export interface SeriesChartInput {
  title: string;
  series: MetricSeries[];
  /** vertical rules: fault onset, alert, fix, … */
  markers?: ChartMarker[];
  /** shaded anomaly window */
  band?: { from: number; to: number };
  /** pixels; default 900×300 */
  width?: number;
  height?: number;
}

/** Fonts tried in order; the first one installed is used for every text in the chart. */
const FONT_PREFERENCE = ['DejaVu Sans', 'Liberation Sans', 'Noto Sans', 'Arial', 'Helvetica', 'Roboto', 'FreeSans'];
const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', '/System/Library/Fonts', '/Library/Fonts', 'C:\\Windows\\Fonts'];
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const MARKER_COLOR = '#444444';
const PADDING = 8;
const TITLE_FONT_SIZE = 14;
const AXIS_FONT_SIZE = 11;
/** Room the x axis (labels and title) takes below the plot. */
const X_AXIS_ROOM = 40;
/** The widest title line, in characters, that Vega's own text-width estimate still fits into `px`. */
const charsFitting = (px: number, fontSize: number) => Math.floor(px / (VEGA_CHAR_WIDTH_EM * fontSize));
/**
 * Vega lays text out with an estimate of 0.8 em per character when no canvas is installed (none is here), wider than
 * real text. Layout decisions below use the same estimate, so what fits by it fits on the rendered chart too.
 */
export const VEGA_CHAR_WIDTH_EM = 0.8;

/**
 * vega, vega-lite and resvg cost about half a second to load; they are imported by the first chart drawn, so
 * commands and servers that draw none never pay for them.
 */
const renderers = lazy(async () => {
  const [vega, vegaLite, resvg] = await Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]);
  return { vega, compile: vegaLite.compile, Resvg: resvg.Resvg };
});

/** Builds the Vega-Lite spec (exported for tests and for adapters that render charts themselves). */
export function seriesChartSpec(input: SeriesChartInput, font = FONT_PREFERENCE.join(', ')): TopLevelSpec {
  const width = input.width ?? 900;
  const height = input.height ?? 300;
  const multi = input.series.length > 1;
  const titleLines = wrapTitle(input.title, charsFitting(width - 2 * PADDING, TITLE_FONT_SIZE));
  const plotHeight = height - 2 * PADDING - titleLines.length * (TITLE_FONT_SIZE + 4) - X_AXIS_ROOM - (multi ? 24 : 0);
  const points = input.series.flatMap((s) =>
    s.points
      .filter((p) => Number.isFinite(p.value) && Number.isFinite(p.ts))
      .map((p) => ({ ts: p.ts, value: p.value, series: seriesLabel(s, multi) })),
  );
  const allTs = points.map((p) => p.ts);
  const markers = (input.markers ?? []).filter((m) => Number.isFinite(m.ts));
  const layers: unknown[] = [];
  if (input.band && input.band.to > input.band.from) {
    layers.push({
      data: { values: [{ from: input.band.from, to: input.band.to, label: 'anomaly window' }] },
      mark: { type: 'rect', color: '#f4a259', opacity: 0.18 },
      encoding: { x: { field: 'from', type: 'temporal' }, x2: { field: 'to' } },
    });
  }
  layers.push({
    data: { values: points },
    mark: { type: 'line', strokeWidth: 1.8, clip: true },
    encoding: {
      x: {
        field: 'ts',
        type: 'temporal',
        title: 'time (UTC)',
        scale: { type: 'utc', ...(allTs.length ? { domain: timeDomain(allTs, markers, input.band) } : {}) },
        axis: { labelExpr: "utcFormat(datum.value, '%H:%M')", labelOverlap: true, tickCount: 10, grid: false },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        title: yTitle(input.series, plotHeight),
        // A rotated axis title longer than the plot pushes the chart title off the top edge: never let it be.
        axis: { titleLimit: plotHeight },
        scale: { zero: false, nice: true },
      },
      color: {
        field: 'series',
        type: 'nominal',
        scale: { range: PALETTE },
        legend: multi ? { title: null, orient: 'top', direction: 'horizontal', labelLimit: 260 } : null,
      },
    },
  });
  if (markers.length) {
    layers.push({
      data: { values: markers.map((m, i) => ({ ts: m.ts, label: m.label, row: i % 2 })) },
      layer: [
        {
          mark: { type: 'rule', color: MARKER_COLOR, strokeDash: [4, 3], strokeWidth: 1.2 },
          encoding: { x: { field: 'ts', type: 'temporal' } },
        },
        // Labels alternate between two rows so neighbouring markers do not overprint; a white halo drawn first keeps
        // them legible over lines and rules.
        markerLabelLayer({ color: 'white', stroke: 'white', strokeWidth: 3, strokeJoin: 'round' }),
        markerLabelLayer({ color: MARKER_COLOR }),
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: titleLines.length === 1 ? titleLines[0]! : titleLines, anchor: 'start', fontSize: TITLE_FONT_SIZE, limit: width - 2 * PADDING },
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: PADDING,
    background: 'white',
    config: {
      font,
      view: { stroke: null },
      axis: { labelFontSize: AXIS_FONT_SIZE, titleFontSize: AXIS_FONT_SIZE, titleFontWeight: 'normal', titleColor: '#555', labelColor: '#333' },
      legend: { labelFontSize: 11 },
    },
    resolve: { scale: { color: 'independent' } },
    layer: layers,
  } as TopLevelSpec;
}

function markerLabelLayer(style: Record<string, unknown>): unknown {
  return {
    mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: 11, ...style },
    encoding: {
      x: { field: 'ts', type: 'temporal' },
      y: { value: 2 },
      yOffset: { field: 'row', type: 'quantitative', scale: { domain: [0, 1], range: [0, 14] }, legend: null },
      text: { field: 'label' },
    },
  };
}

/** Compiles the chart spec to SVG with Vega (headless; no data or font is downloaded). */
export async function seriesChartSvg(input: SeriesChartInput): Promise<string> {
  const { vega, compile } = await renderers();
  const spec = seriesChartSpec(input, chartFonts().family);
  const { spec: vgSpec } = compile(spec);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader: offlineLoader(vega.loader()) });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders a line chart (one line per series, marker rules, shaded band) to a PNG file, ~900×300. */
export async function renderSeriesChart(input: SeriesChartInput, pngPath: string): Promise<void> {
  const svg = await seriesChartSvg(input);
  const png = await svgToPng(svg);
  await mkdir(path.dirname(pngPath), { recursive: true });
  await writeFile(pngPath, png);
}

export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await renderers();
  const fonts = chartFonts();
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'original' },
    font: {
      loadSystemFonts: true,
      fontDirs: fonts.extraDirs,
      ...(fonts.primary ? { defaultFontFamily: fonts.primary, sansSerifFamily: fonts.primary } : {}),
      defaultFontSize: 11,
    },
    logLevel: 'off',
  });
  return resvg.render().asPng();
}

interface FontSetup {
  /** CSS font-family list written into the SVG */
  family: string;
  /** family resvg uses for generic and unknown names; undefined when no preferred font was found */
  primary: string | undefined;
  /** extra font folders for resvg on top of the system fonts it loads itself */
  extraDirs: string[];
}

/** File names (lower-case, without extension) of the regular face of each preferred family. */
const FONT_FILES: Record<string, string[]> = {
  'DejaVu Sans': ['dejavusans'],
  'Liberation Sans': ['liberationsans-regular'],
  'Noto Sans': ['notosans-regular'],
  Arial: ['arial'],
  Helvetica: ['helvetica'],
  Roboto: ['roboto-regular'],
  FreeSans: ['freesans'],
};

let cachedFonts: FontSetup | undefined;

/**
 * resvg resolves `font-family` against the fonts it loads. Vega's default family is "sans-serif", which resvg maps to
 * Arial; where Arial is missing resvg silently substitutes some other installed face (often a serif or mono one). So we
 * look for a known sans-serif font file on disk, write its name into the SVG and point the generic families at it.
 * SRE_COPILOT_CHART_FONT (a family name) and SRE_COPILOT_FONT_DIR (an extra folder) override the search.
 */
export function chartFonts(): Readonly<FontSetup> {
  if (cachedFonts) return cachedFonts;
  const settings = processSettings();
  const extraDir = settings.fontDir;
  const extraDirs = extraDir && existsSync(extraDir) ? [extraDir] : [];
  const files = new Set(listFontFiles([...extraDirs, ...FONT_DIRS.filter((d) => existsSync(d))]));
  const wanted = settings.chartFont;
  const primary =
    wanted || FONT_PREFERENCE.find((family) => (FONT_FILES[family] ?? []).some((f) => files.has(f)));
  const family = [...(primary ? [primary] : []), ...FONT_PREFERENCE.filter((f) => f !== primary), 'sans-serif']
    .map((f) => (/\s/.test(f) && f !== 'sans-serif' ? `'${f}'` : f))
    .join(', ');
  cachedFonts = { family, primary, extraDirs };
  return cachedFonts;
}

/** Lower-case base names of the font files under `dirs` (bounded walk). */
function listFontFiles(dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 5 || out.length > 20_000) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(path.join(dir, e.name), depth + 1);
      else if (/\.(ttf|otf|ttc)$/i.test(e.name)) out.push(e.name.replace(/\.(ttf|otf|ttc)$/i, '').toLowerCase());
    }
  };
  for (const d of dirs) walk(d, 0);
  return out;
}

function offlineLoader(loader: Loader): Loader {
  const refuse = () => Promise.reject(new Error('charts render offline: external data or fonts are not loaded'));
  loader.load = refuse;
  loader.sanitize = refuse;
  loader.http = refuse;
  loader.file = refuse;
  return loader;
}

/**
 * Splits a title into lines of at most `maxChars` at spaces (a word longer than a line is cut), so a long title wraps
 * instead of running off the chart; more than three lines end in an ellipsis.
 */
export function wrapTitle(title: string, maxChars: number): string[] {
  const max = Math.max(8, maxChars);
  const lines: string[] = [];
  let line = '';
  for (const word of title.trim().split(/\s+/)) {
    for (let rest = word; rest; ) {
      const room = line ? max - line.length - 1 : max;
      if (rest.length <= room) {
        line = line ? `${line} ${rest}` : rest;
        rest = '';
      } else if (line) {
        lines.push(line);
        line = '';
      } else {
        lines.push(rest.slice(0, max));
        rest = rest.slice(max);
      }
    }
  }
  if (line || lines.length === 0) lines.push(line);
  if (lines.length <= 3) return lines;
  return [...lines.slice(0, 2), `${lines[2]!.slice(0, max - 1)}…`];
}

/** The y axis says what one series measures; when "entity metric" is too long for the plot's height, the metric. */
function yTitle(series: MetricSeries[], plotHeight: number): string {
  const [only] = series;
  if (series.length !== 1 || !only) return 'value';
  const full = `${only.entity} ${only.metric}`;
  return full.length <= charsFitting(plotHeight, AXIS_FONT_SIZE) ? full : only.metric;
}

/** The promise of `load()`, started on first use; a failed load is retried on the next call. */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= load().catch((err: unknown) => {
      pending = undefined;
      throw err;
    }));
}

function seriesLabel(s: MetricSeries, multi: boolean): string {
  return multi ? `${s.entity} · ${s.metric}` : `${s.entity} ${s.metric}`;
}

function timeDomain(ts: number[], markers: ChartMarker[], band?: { from: number; to: number }): [number, number] {
  let lo = Math.min(...ts);
  let hi = Math.max(...ts);
  for (const m of markers) {
    lo = Math.min(lo, m.ts);
    hi = Math.max(hi, m.ts);
  }
  if (band) {
    lo = Math.min(lo, band.from);
    hi = Math.max(hi, band.to);
  }
  if (hi === lo) hi = lo + 60_000;
  return [lo, hi];
}
