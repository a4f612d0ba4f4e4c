import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TemplateMiner } from '../analytics/log-templates.js';
import { mulberry32 } from '../world/random.js';
import { parseCsvObjects, toCsv } from './loghub-csv.js';
import { scoreParsing, type ParsingScores } from './loghub-metrics.js';
import { renderTable } from './table.js';
import type { BenchSuite } from './types.js';

/**
 * Loghub-2k log parsing (Loghub-2.0's 2k sets, corrected templates): the streaming template miner with its default
 * options (one configuration for every system) reads each system's messages — the Content column of
 * `<Sys>_2k.log_structured_corrected.csv`, as the published evaluation does — and is scored with GA, FGA, PA and FTA.
 * Throughput is the best of `repeat` timed passes (the machine is shared). A synthetic stream (`stream` lines,
 * `streamTemplates` templates) measures throughput and template growth at scale.
 */

interface SystemData {
  name: string;
  lineIds: string[];
  contents: string[];
  truth: string[];
}

export async function loadLoghubSystem(dir: string, name: string): Promise<SystemData> {
  const file = path.join(dir, name, `${name}_2k.log_structured_corrected.csv`);
  const rows = parseCsvObjects(await readFile(file, 'utf8'));
  return {
    name,
    lineIds: rows.map((r) => r.LineId ?? ''),
    contents: rows.map((r) => r.Content ?? ''),
    truth: rows.map((r) => r.EventTemplate ?? ''),
  };
}

/** Parses messages with a fresh miner; per line, the template id and the final (refined) template string. */
export function parseMessages(contents: string[]): { ids: string[]; templates: string[]; miner: TemplateMiner } {
  const miner = new TemplateMiner();
  const ids = contents.map((c) => miner.add(c));
  return { ids, templates: ids.map((id, i) => miner.templateFor(id, contents[i]!)), miner };
}

function timeParse(contents: string[], repeat: number): number {
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    const miner = new TemplateMiner();
    for (const c of contents) miner.add(c);
    miner.templates();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** A synthetic log stream with `templates` distinct templates: words from a fixed vocabulary, variable slots. */
export function* syntheticStream(lines: number, templates: number, seed = 7): Generator<string> {
  const rnd = mulberry32(seed);
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
  const words = Array.from({ length: 600 }, (_, i) => {
    const syll = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'do', 'gu', 'fe', 'hi', 'ba'];
    let w = '';
    for (let k = 0; k < 2 + (i % 3); k++) w += syll[(i * 7 + k * 13 + Math.floor(i / 15) * k) % syll.length];
    return `${w}${i % 5 === 0 ? 'ing' : i % 5 === 1 ? 'ed' : ''}`;
  });
  const slots: (() => string)[] = [
    () => String(Math.floor(rnd() * 100000)),
    () => `${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}:${1024 + Math.floor(rnd() * 60000)}`,
    () => `0x${Math.floor(rnd() * 0xffffffff).toString(16)}`,
    () => `/var/lib/app/${Math.floor(rnd() * 1000)}/data.db`,
    () => `user=${pick(['alice', 'bob', 'carol', 'dave'])}`,
    () => `${(rnd() * 1000).toFixed(1)}ms`,
    () => `blk_${Math.floor(rnd() * 1e12)}`,
  ];
  const shapes = Array.from({ length: templates }, () => {
    const len = 4 + Math.floor(rnd() * 12);
    const parts: (string | number)[] = [];
    for (let k = 0; k < len; k++) parts.push(k > 0 && rnd() < 0.25 ? Math.floor(rnd() * slots.length) : pick(words));
    return parts;
  });
  // Zipf-like template frequencies, as in real logs
  const weights = shapes.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  for (let i = 0; i < lines; i++) {
    const u = rnd();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    yield shapes[lo]!.map((p) => (typeof p === 'number' ? slots[p]!() : p)).join(' ');
  }
}

function measureStream(lines: number, templates: number, repeat: number): { lines: number; linesPerSecond: number; templates: number; generated: number } {
  let bestMs = Infinity;
  let found = 0;
  const chunk = 100_000;
  for (let r = 0; r < repeat; r++) {
    const miner = new TemplateMiner();
    let ms = 0;
    const gen = syntheticStream(lines, templates);
    for (let done = 0; done < lines; ) {
      const batch: string[] = [];
      for (let k = 0; k < chunk && done < lines; k++, done++) batch.push(gen.next().value as string);
      const t0 = performance.now();
      for (let k = 0; k < batch.length; k++) miner.add(batch[k]!, done);
      ms += performance.now() - t0;
    }
    bestMs = Math.min(bestMs, ms);
    found = miner.size;
  }
  return { lines, linesPerSecond: Math.round(lines / (bestMs / 1000)), templates: found, generated: templates };
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

export const loghubSuite: BenchSuite = {
  name: 'loghub',
  description:
    'Loghub-2k log parsing: GA/FGA/PA/FTA per system + lines/s; params repeat (timed passes, default 5), stream (synthetic lines, default 2000000, 0 = off), streamTemplates (default 3000), systems (comma list)',
  async run({ config, data, out, params, progress }) {
    const base = data ?? path.join(config.datasetsDir, 'loghub-2k');
    const nested = path.join(base, 'loghub-2k');
    const root = (await readdir(nested).catch(() => null)) ? nested : base;
    const wanted = params.systems?.split(',').map((s) => s.trim());
    const entries = await readdir(root, { withFileTypes: true }).catch(() => {
      throw new Error(`no Loghub-2k data in ${root}; pass --data or set SRE_COPILOT_DATASETS`);
    });
    const names = entries.filter((e) => e.isDirectory() && (!wanted || wanted.includes(e.name))).map((e) => e.name).sort();
    const repeat = Math.max(1, Number(params.repeat ?? 5));
    if (out) await mkdir(out, { recursive: true });
    const rows: (ParsingScores & { system: string; linesPerSecond: number })[] = [];
    let totalLines = 0;
    const skipped: string[] = [];
    let totalMs = 0;
    for (const name of names) {
      progress(`loghub ${name}`);
      let sys: SystemData;
      try {
        sys = await loadLoghubSystem(root, name);
      } catch {
        skipped.push(name);
        continue;
      }
      const { templates } = parseMessages(sys.contents);
      const eventIds = new Map<string, string>();
      for (const t of templates) if (!eventIds.has(t)) eventIds.set(t, `E${eventIds.size + 1}`);
      const scores = scoreParsing(sys.truth, templates);
      const ms = timeParse(sys.contents, repeat);
      totalLines += sys.contents.length;
      totalMs += ms;
      rows.push({ system: name, ...scores, linesPerSecond: Math.round(sys.contents.length / (ms / 1000)) });
      if (out) {
        await writeFile(
          path.join(out, `${name}_2k.log_structured.csv`),
          toCsv(['LineId', 'Content', 'EventId', 'EventTemplate'], sys.contents.map((c, i) => [sys.lineIds[i]!, c, eventIds.get(templates[i]!)!, templates[i]!])),
        );
      }
    }
    if (!rows.length) throw new Error(`no Loghub-2k systems found in ${root}`);
    const avg = (k: 'GA' | 'FGA' | 'PA' | 'FTA') => round(rows.reduce((a, r) => a + r[k], 0) / rows.length);
    const summary = {
      systems: rows.length,
      GA: avg('GA'),
      FGA: avg('FGA'),
      PA: avg('PA'),
      FTA: avg('FTA'),
      linesPerSecond: Math.round(totalLines / (totalMs / 1000)),
      stream: undefined as ReturnType<typeof measureStream> | undefined,
    };
    const streamLines = Number(params.stream ?? 2_000_000);
    if (streamLines > 0) {
      progress(`loghub synthetic stream of ${streamLines} lines`);
      summary.stream = measureStream(streamLines, Number(params.streamTemplates ?? 3000), Math.max(1, Math.min(repeat, Number(params.streamRepeat ?? 2))));
    }
    const table = renderTable(
      ['system', 'GA', 'FGA', 'PA', 'FTA', 'templates', 'truth', 'lines/s'],
      [
        ...rows.map((r) => [r.system, round(r.GA), round(r.FGA), round(r.PA), round(r.FTA), r.parsedTemplates, r.truthTemplates, r.linesPerSecond]),
        ['average', summary.GA, summary.FGA, summary.PA, summary.FTA, Math.round(rows.reduce((a, r) => a + r.parsedTemplates, 0) / rows.length), Math.round(rows.reduce((a, r) => a + r.truthTemplates, 0) / rows.length), summary.linesPerSecond],
      ],
    );
    const s = summary.stream;
    const streamText = s
      ? `\n\nSynthetic stream: ${s.lines} lines from ${s.generated} generated templates → ${s.templates} templates mined, ${s.linesPerSecond} lines/s (best of ${Math.min(repeat, Number(params.streamRepeat ?? 2))} passes)`
      : '';
    const text = `Loghub-2k log parsing (input: Content column of the corrected structured CSV; lines/s: best of ${repeat} passes, one core)\n\n${table}${streamText}${skipped.length ? `\n\nSkipped (no ${'<Sys>'}_2k.log_structured_corrected.csv): ${skipped.join(', ')}` : ''}`;
    return {
      suite: 'loghub',
      text,
      json: {
        summary,
        skipped,
        systems: Object.fromEntries(rows.map((r) => [r.system, { GA: round(r.GA), FGA: round(r.FGA), PA: round(r.PA), FTA: round(r.FTA), templates: r.parsedTemplates, truthTemplates: r.truthTemplates, linesPerSecond: r.linesPerSecond }])),
      },
    };
  },
};
